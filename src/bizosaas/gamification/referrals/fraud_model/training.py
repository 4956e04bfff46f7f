"""Training the fraud model from generated traffic and reporting its figures: precision,
recall and accuracy on a held-out set made with another seed, and the share of one abuse
pattern caught by a model that never saw it (trained on the rest)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bizosaas.gamification.referrals.fraud_model.model import Figures, FraudModel, evaluate, train
from bizosaas.gamification.referrals.fraud_model.traffic import ABUSE, PATTERNS, Sample, generate

Step = Callable[[str, int, int], None]  # (what, done, total)


@dataclass(frozen=True)
class Report:
    model: FraudModel
    held_out: Figures
    left_out: str
    left_out_figures: Figures

    def lines(self) -> list[str]:
        return [
            f"held-out set (another seed): {self.held_out.line()}",
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
) -> Report:
    """The model to ship (trained on every pattern) and its figures. Training, validation
    (the operating point), the held-out test and the left-out check use four seeds."""
    if left_out not in ABUSE:
        raise ValueError(f"{left_out!r} is not an abuse pattern: one of {', '.join(ABUSE)}")

    def traffic(offset: int, patterns: tuple[str, ...] = PATTERNS) -> list[Sample]:
        return generate(seed + offset, tenants=tenants, episodes=episodes, patterns=patterns)

    def progress(what: str) -> Callable[[int, int], None] | None:
        return (lambda done, total: step(what, done, total)) if step else None

    model = train(
        traffic(0),
        traffic(1),
        seed=seed,
        trained_on=f"generated traffic, seed {seed}, {tenants} tenants x {episodes} episodes",
        progress=progress("training"),
    )
    held_out = evaluate(model, traffic(2))
    others = tuple(p for p in PATTERNS if p != left_out)
    without = train(
        traffic(0, others),
        traffic(1, others),
        seed=seed,
        trained_on=f"generated traffic without {left_out}",
        progress=progress(f"training without '{left_out}'"),
    )
    unseen = [s for s in traffic(3) if s.pattern == left_out]
    return Report(model, held_out, left_out, evaluate(without, unseen))
