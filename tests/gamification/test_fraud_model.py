"""The trained fraud model: its features (rings and clusters from the referral graph), the
figures it reaches on traffic it never saw, the safe loading of its file, and the command
that retrains it."""

from __future__ import annotations

import fractions
import subprocess
import sys
import uuid
from pathlib import Path

import numpy as np
import pytest
import skops.io as sio
from skops.io.exceptions import UntrustedTypesFoundException

from bizosaas.core.settings import Settings
from bizosaas.gamification.referrals.fraud import Signals
from bizosaas.gamification.referrals.fraud_model.features import NAMES, ring_length, vector
from bizosaas.gamification.referrals.fraud_model.model import FraudModel, evaluate, shipped, train
from bizosaas.gamification.referrals.fraud_model.traffic import PATTERNS, generate
from bizosaas.gamification.referrals.fraud_model.training import train_from_traffic
from bizosaas.launch import reviewed_conversions
from tests.gamification.factories import Org
from tests.gamification.test_referrals import code_of, doubtful, make_program, person, referee


def ids(n: int) -> list[uuid.UUID]:
    return [uuid.uuid4() for _ in range(n)]


def test_a_conversion_that_closes_a_ring_is_seen_and_a_chain_is_not() -> None:
    a, b, c, d = ids(4)
    assert ring_length([(a, b), (b, c)], referrer=c, referee=a) == 3  # c refers a: a ring
    assert ring_length([(a, b), (b, c)], referrer=c, referee=d) == 0  # a newcomer
    assert ring_length([(a, b), (c, b)], referrer=b, referee=a) == 2  # a and b, each other
    assert ring_length([(a, b), (c, b)], referrer=a, referee=c) == 0  # no path back
    assert ring_length([], referrer=a, referee=a) == 1  # oneself


def test_referees_bound_by_devices_form_a_cluster_a_family_does_not() -> None:
    referrer, me, *others = ids(6)
    farm = Signals(
        referrer_id=referrer,
        referee_id=me,
        device_fingerprint="phone-1",
        ip="203.0.113.5",
        code_links=tuple((o, "device:phone-1") for o in others),
    )
    family = Signals(
        referrer_id=referrer,
        referee_id=me,
        device_fingerprint="my-phone",
        ip="198.51.100.7",
        code_links=tuple((o, f"device:phone-{i}") for i, o in enumerate(others)),
    )
    cluster = NAMES.index("cluster_referees")
    assert vector(farm)[cluster] == 5  # me and the four others on one phone
    assert vector(family)[cluster] == 1


def test_the_model_learns_what_the_rules_miss_and_keeps_to_its_figures() -> None:
    model = train(
        generate(11, tenants=3, episodes=200),
        generate(12, tenants=3, episodes=200),
        seed=11,
        trained_on="test",
    )
    held_out = generate(13, tenants=3, episodes=200)
    figures = evaluate(model, held_out)
    assert figures.precision >= 0.9 and figures.recall >= 0.85, figures.line()
    # A code posted publicly: strangers, each innocent to the rules, within minutes.
    public = [s for s in held_out if s.pattern == "public_code"]
    assert public and evaluate(model, public).recall >= 0.8
    assessed = [model.assess(s.signals) for s in public]
    quiet = [
        a for a in assessed if a.decision != "approved" and {r.code for r in a.reasons} == {"model"}
    ]
    assert quiet  # only the model saw these, and says why
    reasons = quiet[0].reasons
    assert reasons[0].detail.startswith("The fraud model puts it at")


def test_the_shipped_model_loads_with_trusted_types_only(tmp_path: Path) -> None:
    model = shipped()
    assert model is not None and model.review_from > 0
    honest = next(s for s in generate(5, tenants=1, episodes=30) if s.pattern == "friend")
    assert model.assess(honest.signals).decision == "approved"
    forged = tmp_path / "forged.skops"
    sio.dump({"classifier": fractions.Fraction(1, 3), "features": list(NAMES)}, forged)
    with pytest.raises(UntrustedTypesFoundException):
        FraudModel.load(forged)


def test_train_fraud_prints_its_figures_and_writes_the_model(tmp_path: Path) -> None:
    out = tmp_path / "model.skops"
    done = subprocess.run(
        [sys.executable, "-m", "bizosaas.cli", "agents", "train-fraud", "--tenants", "2",
         "--episodes", "120", "--out", str(out)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "held-out set (another seed): precision" in done.stdout
    assert "'ring' left out of training: caught" in done.stdout
    assert FraudModel.load(out).trained_on.startswith("generated traffic")
    wrong = subprocess.run(
        [sys.executable, "-m", "bizosaas.cli", "agents", "train-fraud", "--left-out", "friend",
         "--out", str(tmp_path / "no.skops")],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert wrong.returncode == 2 and "not an abuse pattern" in wrong.stderr
    assert set(PATTERNS) >= {"friend", "ring"}


async def test_a_tenants_reviewed_conversions_retrain_the_model(
    org: Org, settings: Settings
) -> None:
    await make_program(org)
    key = await org.api_key()
    # The tenant admin decides eight held conversions: four were fraud, four honest.
    names = ["Ana Costa", "Ben Dubois", "Chloe Evans", "Dev Fischer", "Emma Garcia",
             "Farid Haddad", "Grace Jensen", "Hugo Larsen"]  # fmt: skip
    for n, name in enumerate(names):
        code = (await code_of(org, await person(org, name)))["code"]
        held = await doubtful(org, key, code, await referee(org))
        decision = "reject" if n % 2 else "approve"
        decided = await org.client.post(
            f"/api/v1/gamification/referrals/conversions/{held['id']}/{decision}",
            headers=org.admin.headers,
        )
        assert decided.status_code == 200, decided.text
    tenant_id, rows = await reviewed_conversions(settings, str(org.id))
    assert tenant_id == org.id and len(rows) == 8
    assert sum(fraud for _, fraud in rows) == 4 and {len(r) for r, _ in rows} == {len(NAMES)}
    report = train_from_traffic(
        3,
        tenants=1,
        episodes=60,
        reviewed=(np.asarray([r for r, _ in rows]), np.asarray([f for _, f in rows])),
    )
    assert report.model.trained_on.endswith("and 6 reviewed conversions")
    assert report.reviewed is not None and report.reviewed.count == 2
    assert any(
        line.startswith("reviewed conversions kept out of training") for line in report.lines()
    )
