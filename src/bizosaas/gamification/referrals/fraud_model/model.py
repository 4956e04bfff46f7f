"""The fraud classifier: scikit-learn's histogram gradient boosting over :mod:`.features`,
trained on :mod:`.traffic` (or a tenant's reviewed conversions), saved in skops' format
and loaded with an explicit list of trusted types — never a bare pickle.

At scoring time the model's probability and the rules meet in one score: the model
decides, except that a certain rule (the referee is the referrer, or has the referrer's
own email) keeps the score at least at its weight. The reasons say what drove it: the
rules that fired, and the features whose honest values would lower the score most.

The probability is mapped onto the service's decision thresholds at two operating points
chosen on validation traffic (never the test set). A conversion is held for review from
the raw probability that catches the most abuse while, with a margin, at least
:data:`TARGET_PRECISION` of what it holds is abuse; it is rejected outright only from the
probability at which :data:`REJECT_PRECISION` of what it would reject is abuse. Between
the two a person decides: turning an honest member away unheard costs more than a review.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import skops.io as sio
from sklearn.ensemble import HistGradientBoostingClassifier

from bizosaas.gamification.referrals.fraud import (
    APPROVE_BELOW,
    REJECT_FROM,
    WEIGHTS,
    Assessment,
    Reason,
    Signals,
    assess,
)
from bizosaas.gamification.referrals.fraud_model.features import NAMES, vector
from bizosaas.gamification.referrals.fraud_model.traffic import Sample

SHIPPED = Path(__file__).with_name("fraud-model.skops")
CERTAIN = ("self_referral", "same_email")  # rules no model may overrule
DRIVERS = 3  # features named in the model's reason
TARGET_PRECISION = 0.95
# Chosen on validation traffic with a margin, so that new traffic still meets the target.
VALIDATION_PRECISION = TARGET_PRECISION + 0.01
REJECT_PRECISION = 0.995  # what is rejected without a person looking
REVIEW_WEIGHT = 5.0  # a reviewed real conversion against a generated one
# What the file may hold; anything else is refused when loading it.
TRUSTED = [
    "builtins.dict",
    "builtins.list",
    "builtins.str",
    "builtins.float",
    "builtins.int",
    "numpy.dtype",
    "numpy.ndarray",
    "numpy.float64",
    "numpy.int64",
    "numpy.random.mtrand.RandomState",
    "numpy.random._mt19937.MT19937",
    "sklearn._loss.loss.HalfBinomialLoss",
    "sklearn._loss.link.LogitLink",
    "sklearn._loss.link.Interval",
    "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingClassifier",
]
LABELS = {
    "name_likeness": "how alike the names are",
    "email_likeness_referrer": "an email like the referrer's",
    "email_likeness_earlier": "an email like earlier referees'",
    "referees_on_ip": "referees sharing the address",
    "referees_on_device": "referees sharing the device",
    "device_accounts": "other accounts on the device",
    "ip_accounts": "other accounts behind the address",
    "conversions_last_hour": "conversions in the last hour",
    "conversions_last_day": "conversions in the last day",
    "log_seconds_since_visit": "time from the click",
    "log_code_age": "the code's age",
    "referrer_approved": "the referrer's history",
    "referrer_rejected_share": "the referrer's rejected referrals",
    "earlier_referees": "the code's earlier referees",
    "devices_per_referee": "devices per referee",
    "ring_length": "a referral ring",
    "cluster_referees": "referees bound by devices and addresses",
    "cluster_referees_per_link": "referees per shared device or address",
}


@dataclass(frozen=True)
class Figures:
    precision: float
    recall: float
    accuracy: float
    count: int

    @property
    def f1(self) -> float:
        both = self.precision + self.recall
        return 2 * self.precision * self.recall / both if both else 0.0

    def line(self) -> str:
        return (
            f"precision {self.precision:.3f}, recall {self.recall:.3f}, "
            f"accuracy {self.accuracy:.3f} ({self.count} conversions)"
        )


@dataclass
class FraudModel:
    classifier: HistGradientBoostingClassifier
    baseline: np.ndarray  # an honest conversion's typical features (the median)
    trained_on: str
    review_from: float = APPROVE_BELOW  # the raw probability held for review
    reject_from: float = REJECT_FROM  # the raw probability rejected outright

    def probability(self, signals: Signals) -> float:
        row = np.asarray([vector(signals)], dtype=np.float64)
        return self.scaled(float(self.classifier.predict_proba(row)[0, 1]))

    def scaled(self, raw: float) -> float:
        """The raw probability on the service's scale: :attr:`review_from` becomes the
        review threshold, :attr:`reject_from` the rejection threshold; 0 and 1 stay."""
        points = [(0.0, 0.0), (self.review_from, APPROVE_BELOW), (self.reject_from, REJECT_FROM)]
        for (x0, y0), (x1, y1) in zip(points, [*points[1:], (1.0, 1.0)], strict=True):
            if raw < x1:
                return y0 + (y1 - y0) * (raw - x0) / max(x1 - x0, 1e-9)
        return 1.0

    def assess(self, signals: Signals) -> Assessment:
        """The rules and the model as one score from 0 to 1, with the reasons behind it."""
        rules = assess(signals)
        row = np.asarray(vector(signals, {r.code for r in rules.reasons}), dtype=np.float64)
        p = self.scaled(float(self.classifier.predict_proba(row[None, :])[0, 1]))
        score = max([p] + [r.weight for r in rules.reasons if r.code in CERTAIN])
        reasons = list(rules.reasons)
        if p >= APPROVE_BELOW:  # the model is what holds or rejects it: say why
            reasons.append(Reason("model", round(p, 4), self._why(p, row)))
        return Assessment(round(min(1.0, max(0.0, score)), 4), reasons, tuple(row.tolist()))

    def _why(self, p: float, row: np.ndarray) -> str:
        """The features whose honest value alone would lower ``p`` the most."""
        variants = np.repeat(row[None, :], len(NAMES), axis=0)
        variants[np.arange(len(NAMES)), np.arange(len(NAMES))] = self.baseline
        without = self.classifier.predict_proba(variants)[:, 1]
        drops = sorted(
            (
                (p - self.scaled(float(q)), NAMES[i])
                for i, q in enumerate(without)
                if p - self.scaled(float(q)) > 0.02
            ),
            reverse=True,
        )
        named = [LABELS.get(n, n.removeprefix("rule_").replace("_", " ")) for _, n in drops]
        drivers = ", ".join(named[:DRIVERS]) or "the pattern as a whole"
        return f"The fraud model puts it at {p:.0%}, most of all for {drivers}."

    def save(self, path: Path) -> None:
        path.write_bytes(self.to_bytes())

    def to_bytes(self) -> bytes:
        saved: bytes = sio.dumps(
            {
                "classifier": self.classifier,
                "baseline": self.baseline,
                "features": list(NAMES),
                "trained_on": self.trained_on,
                "review_from": self.review_from,
                "reject_from": self.reject_from,
            },
            compression=zipfile.ZIP_DEFLATED,
            compresslevel=9,
        )
        return saved

    @classmethod
    def load(cls, path: Path) -> FraudModel:
        return cls.from_bytes(path.read_bytes(), str(path))

    @classmethod
    def from_bytes(cls, saved: bytes, name: str = "the model") -> FraudModel:
        """A saved model, refused if it holds any type not listed as trusted, or was made
        for other features."""
        data: dict[str, Any] = sio.loads(saved, trusted=TRUSTED)
        if tuple(data["features"]) != NAMES:
            raise ValueError(f"{name} was trained on other features; retrain it")
        return cls(
            data["classifier"],
            np.asarray(data["baseline"]),
            str(data["trained_on"]),
            float(data["review_from"]),
            float(data["reject_from"]),
        )


@cache
def shipped() -> FraudModel | None:
    """The model the package carries, or None if it is missing (the rules then decide)."""
    return FraudModel.load(SHIPPED) if SHIPPED.exists() else None


def train(
    samples: Sequence[Sample],
    validation: Sequence[Sample],
    *,
    seed: int,
    trained_on: str,
    progress: Callable[[int, int], None] | None = None,
    reviewed: tuple[np.ndarray, np.ndarray] | None = None,
) -> FraudModel:
    """Fit the classifier on ``samples`` (and on ``reviewed``: feature rows of real
    conversions with the tenant admins' verdicts, each weighing :data:`REVIEW_WEIGHT`
    generated ones) and choose its operating points on ``validation``
    (``progress(done, total)`` as the features are computed)."""
    total = len(samples) + len(validation)
    done = 0

    def matrix(part: Sequence[Sample]) -> np.ndarray:
        nonlocal done
        rows = []
        for sample in part:
            rows.append(vector(sample.signals))
            done += 1
            if progress and (done % 250 == 0 or done == total):
                progress(done, total)
        return np.asarray(rows, dtype=np.float64).reshape(len(rows), len(NAMES))

    x, y = matrix(samples), np.asarray([s.fraud for s in samples], dtype=np.int64)
    weights = np.ones(len(y))
    if reviewed is not None and len(reviewed[1]):
        x, y = np.vstack([x, reviewed[0]]), np.concatenate([y, reviewed[1].astype(np.int64)])
        weights = np.concatenate([weights, np.full(len(reviewed[1]), REVIEW_WEIGHT)])
    classifier = HistGradientBoostingClassifier(
        max_iter=120,
        learning_rate=0.15,
        max_leaf_nodes=31,
        l2_regularization=1.0,
        early_stopping=False,
        random_state=seed,
    )
    classifier.fit(x, y, sample_weight=weights)
    honest = x[y == 0]
    baseline = np.median(honest, axis=0) if len(honest) else np.zeros(x.shape[1])
    raw = classifier.predict_proba(matrix(validation))[:, 1] if validation else np.array([])
    truth = np.asarray([s.fraud for s in validation], dtype=bool)
    review_from = operating_point(raw, truth, VALIDATION_PRECISION)
    reject_from = max(operating_point(raw, truth, REJECT_PRECISION), review_from)
    return FraudModel(classifier, baseline, trained_on, review_from, min(reject_from, 0.999))


def operating_point(raw: np.ndarray, truth: np.ndarray, precision: float) -> float:
    """The lowest raw probability from which at least ``precision`` of the conversions it
    flags are abuse (the most abuse caught so); without such a point, the one with the
    best balance of precision and recall (F1)."""
    if not len(raw):
        return APPROVE_BELOW
    best, best_f1 = 0.5, -1.0
    for t in np.unique(np.round(raw, 4)):
        held = raw >= t
        tp = int(np.sum(held & truth))
        flagged_precision = tp / max(1, int(np.sum(held)))
        recall = tp / max(1, int(np.sum(truth)))
        if flagged_precision >= precision:
            return float(t)
        f1 = 2 * flagged_precision * recall / max(1e-9, flagged_precision + recall)
        if f1 > best_f1:
            best, best_f1 = float(t), f1
    return best


def evaluate_rows(model: FraudModel, rows: np.ndarray, fraud: np.ndarray) -> Figures:
    """The figures on stored feature rows (reviewed conversions): the model's score with
    the certain rules' floor, as :meth:`FraudModel.assess` gives it."""
    if not len(fraud):
        return Figures(1.0, 1.0, 1.0, 0)
    scores = np.asarray(
        [model.scaled(float(q)) for q in model.classifier.predict_proba(rows)[:, 1]]
    )
    for rule in CERTAIN:
        column = NAMES.index(f"rule_{rule}")
        scores = np.where(rows[:, column] > 0, np.maximum(scores, WEIGHTS[rule]), scores)
    return _figures(list(scores >= APPROVE_BELOW), [bool(f) for f in fraud])


def evaluate(model: FraudModel, samples: Sequence[Sample]) -> Figures:
    """Precision, recall and accuracy of the combined score's decision (anything not
    approved at once counts as caught)."""
    caught = [model.assess(s.signals).decision != "approved" for s in samples]
    return _figures(caught, [s.fraud for s in samples])


def _figures(caught: Sequence[bool], truth: Sequence[bool]) -> Figures:
    tp = sum(c and t for c, t in zip(caught, truth, strict=True))
    fp = sum(c and not t for c, t in zip(caught, truth, strict=True))
    fn = sum(t and not c for c, t in zip(caught, truth, strict=True))
    right = sum(c == t for c, t in zip(caught, truth, strict=True))
    return Figures(
        precision=tp / (tp + fp) if tp + fp else 1.0,
        recall=tp / (tp + fn) if tp + fn else 1.0,
        accuracy=right / len(truth) if truth else 1.0,
        count=len(truth),
    )
