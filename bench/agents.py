"""Agents benchmark (so far: the referral-fraud model).

Scores conversions of generated traffic with the shipped model (the rules and the model
together, with the reasons behind each score, as the service would) and prints the
latency per conversion, then the model's precision, recall and accuracy on a held-out
set made with another seed and on each abuse pattern::

    .venv/bin/python bench/agents.py            # about a minute
    .venv/bin/python bench/agents.py --quick    # smoke run

The task throughput through the agents API and showcase generation time come with the
agents themselves.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections import defaultdict
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._auth_load import percentile
from bench._harness import progress
from bizosaas.gamification.referrals.fraud_model.model import evaluate, shipped
from bizosaas.gamification.referrals.fraud_model.traffic import ABUSE, generate

SCORING_P99_TARGET_MS = 10.0
SEED = 4242  # not one the shipped model was trained, validated or tested with


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    options = parser.parse_args()
    model = shipped()
    if model is None:
        sys.exit("No shipped fraud model: run `bizosaas agents train-fraud` first.")
    size = {"tenants": 2, "episodes": 120} if options.quick else {"tenants": 8, "episodes": 400}
    progress(f"generating traffic (seed {SEED})")
    samples = generate(SEED, **size)
    progress(f"scoring {len(samples)} conversions one by one")
    timings = []
    for sample in samples:
        started = time.perf_counter()
        model.assess(sample.signals)
        timings.append(time.perf_counter() - started)
    timings.sort()
    print(f"BizOSaaS agents, {platform.python_implementation()} {platform.python_version()},"
          f" {os.cpu_count()} CPUs; model: {model.trained_on}")  # fmt: skip
    print(
        f"fraud scoring per conversion (features, model, reasons): p50"
        f" {percentile(timings, 50) * 1000:.2f} ms, p99 {percentile(timings, 99) * 1000:.2f} ms"
        f" (target p99 <= {SCORING_P99_TARGET_MS:.0f} ms)"
    )
    print(f"held-out traffic: {evaluate(model, samples).line()}")
    by_pattern = defaultdict(list)
    for sample in samples:
        by_pattern[sample.pattern].append(sample)
    for pattern in ABUSE:
        found = by_pattern.get(pattern, [])
        if found:
            print(f"  {pattern:<16} caught {evaluate(model, found).recall:.3f} of {len(found)}")
    honest = [s for s in samples if not s.fraud]
    wrongly = 1 - evaluate(model, honest).accuracy
    print(f"  honest traffic held by mistake: {wrongly:.3f} of {len(honest)}")


if __name__ == "__main__":
    main()
