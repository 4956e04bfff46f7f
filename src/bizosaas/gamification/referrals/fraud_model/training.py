"""Training the fraud model from generated traffic, and from a tenant's reviewed
conversions when given, and reporting its figures: precision, recall and accuracy on a
held-out set made with another seed, on a quarter of the reviewed conversions kept out of
training, and the share of one abuse pattern caught by a model that never saw it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from bizosaas.gamification.referrals.fraud_model.model import (
    Figures,
    FraudModel,
    evaluate,
    evaluate_rows,
    train,
)
from bizosaas.gamification.referrals.fraud_model.traffic import ABUSE, PATTERNS, Sample, generate

Step = Callable[[str, int, int], None]  # (what, done, total)


@dataclass(frozen=True)
class Report:
    model: FraudModel
    held_out: Figures
    left_out: str
    left_out_figures: Figures
    reviewed: Figures | None = None  # on the reviewed conversions kept out of training
    rival: Figures | None = None  # the model it would replace, on the same held-out set

    def lines(self) -> list[str]:
        own = self.reviewed
        return [
            f"held-out set (another seed): {self.held_out.line()}",
            *([f"reviewed conversions kept out of training: {own.line()}"] if own else []),
            f"'{self.left_out}' left out of training: caught {self.left_out_figures.recall:.3f}"
            f" of {self.left_out_figures.count} conversions",
            f"operating points: held for review from a raw probability of "
            f"{self.model.review_from:.3f}, rejected from {self.model.reject_from:.3f}",
        ]


def train_from_traffic(
    seed: int,
    *,
    tenants: int = 8,
    episodes: int = 400,
    left_out: str = "ring",
    step: Step | None = None,
    reviewed: tuple[np.ndarray, np.ndarray] | None = None,
    rival: FraudModel | None = None,
) -> Report:
    """The model to ship (trained on every pattern, and on three quarters of ``reviewed``:
    feature rows of a tenant's reviewed conversions and whether each was fraud) and its
    figures, and ``rival``'s on the same held-out set. Training, validation (the operating
    points), the held-out test and the left-out check use four seeds."""
    if left_out not in ABUSE:
        raise ValueError(f"{left_out!r} is not an abuse pattern: one of {', '.join(ABUSE)}")
    learn, check = _split(reviewed, seed) if reviewed is not None else (None, None)

    def traffic(offset: int, patterns: tuple[str, ...] = PATTERNS) -> list[Sample]:
        return generate(seed + offset, tenants=tenants, episodes=episodes, patterns=patterns)

    def progress(what: str) -> Callable[[int, int], None] | None:
        return (lambda done, total: step(what, done, total)) if step else None

    model = train(
        traffic(0),
        traffic(1),
        seed=seed,
        trained_on=f"generated traffic, seed {seed}, {tenants} tenants x {episodes} episodes"
        + (f", and {len(learn[1])} reviewed conversions" if learn is not None else ""),
        progress=progress("training"),
        reviewed=learn,
    )
    test = traffic(2)
    held_out = evaluate(model, test)
    others = tuple(p for p in PATTERNS if p != left_out)
    without = train(
        traffic(0, others),
        traffic(1, others),
        seed=seed,
        trained_on=f"generated traffic without {left_out}",
        progress=progress(f"training without '{left_out}'"),
    )
    unseen = [s for s in traffic(3) if s.pattern == left_out]
    own = evaluate_rows(model, *check) if check is not None else None
    against = evaluate(rival, test) if rival is not None else None
    return Report(model, held_out, left_out, evaluate(without, unseen), own, against)


def _split(
    reviewed: tuple[np.ndarray, np.ndarray], seed: int
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Three quarters to learn from, a quarter to measure on (shuffled by ``seed``)."""
    rows, fraud = reviewed
    order = np.random.default_rng(seed).permutation(len(fraud))
    cut = len(fraud) - len(fraud) // 4
    learn, check = order[:cut], order[cut:]
    return (rows[learn], fraud[learn]), (rows[check], fraud[check])
