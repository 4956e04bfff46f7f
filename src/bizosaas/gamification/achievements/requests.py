"""A custom achievement from a plain request ("reward members who refer three friends in a
month"): the deterministic reader turns the common kinds of request into a definition the
designer accepts (an event, how it adds up, a threshold, a window), or says what it could
not read. It proposes only; a tenant admin confirms it in the designer before anything is
saved.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from bizosaas.gamification.achievements.schemas import AchievementCreate, LevelIn, TriggerIn

NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "twelve": 12, "fifteen": 15, "twenty": 20,
    "thirty": 30, "fifty": 50, "hundred": 100,
}  # fmt: skip
_NUMBER = r"(\d[\d,]*(?:\.\d+)?|" + "|".join(NUMBERS) + r")"


@dataclass(frozen=True)
class Pattern:
    """A kind of request: the words that name it, and what it counts."""

    words: str  # a regular expression, with the amount as its first group
    event_type: str
    aggregation: str
    noun: str  # how the proposal names what is counted
    property: str | None = None


PATTERNS = (
    Pattern(rf"refer\w*\s+{_NUMBER}\s+(?:friends?|people|members?|customers?)",
            "referral.converted", "count", "referrals"),
    Pattern(rf"{_NUMBER}\s+(?:referrals?|friends? referred)", "referral.converted", "count",
            "referrals"),
    Pattern(rf"(?:spend|spent|spends|buy for|revenue of|sales of)\s+\D?{_NUMBER}",
            "order.completed", "sum", "spent", "total"),
    Pattern(rf"{_NUMBER}\s+(?:orders?|purchases?|sales)", "order.completed", "count", "orders"),
    Pattern(rf"{_NUMBER}\s+campaigns?", "campaign.launched", "count", "campaigns"),
    Pattern(rf"{_NUMBER}\s+leads?", "lead.captured", "count", "leads"),
    Pattern(rf"(?:log\s*in|sign\s*in|visit)\w*\s+(?:on\s+)?{_NUMBER}\s+days?\s+in\s+a\s+row",
            "member.login", "streak", "days in a row"),
    Pattern(rf"{_NUMBER}[- ]day\s+(?:login\s+)?streak", "member.login", "streak",
            "days in a row"),
)  # fmt: skip
WINDOWS = (
    (r"\b(?:in|within|per|each|every)\s+(?:a|one|the)?\s*day\b|\btoday\b", 1),
    (r"\b(?:in|within|per|each|every)\s+(?:a|one|the)?\s*week\b", 7),
    (r"\b(?:in|within|per|each|every)\s+(?:a|one|the)?\s*month\b", 30),
    (r"\b(?:in|within|per|each|every)\s+(?:a|one|the)?\s*quarter\b", 90),
    (r"\b(?:in|within|per|each|every)\s+(?:a|one|the)?\s*year\b", 365),
)
DEFAULT_POINTS = 50


@dataclass(frozen=True)
class Reading:
    proposal: AchievementCreate | None
    explanation: str


def read_request(request: str) -> Reading:
    """The definition a request asks for, and in words how it was read (or why not)."""
    text = " ".join(request.lower().split())
    for pattern in PATTERNS:
        found = re.search(pattern.words, text)
        if found is None:
            continue
        amount = _amount(found.group(1))
        if amount is None or amount <= 0:
            continue
        # A streak is about consecutive days ("log in 7 days in a row"), never a window.
        days = None if pattern.aggregation == "streak" else _window(text)
        over = f" within {days} days" if days else ""
        what = "spent" if pattern.aggregation == "sum" else pattern.noun
        summary = f"{_shown(amount)} {what}{over}"
        proposal = AchievementCreate(
            key=_key(f"{pattern.noun} {_shown(amount)} {days or ''}"),
            name=summary[:1].upper() + summary[1:100],
            description=f"Asked for: “{request.strip()[:400]}”",
            trigger=TriggerIn(
                event_type=pattern.event_type,
                aggregation=pattern.aggregation,  # type: ignore[arg-type]
                property=pattern.property,
                window_days=days,
            ),
            levels=[LevelIn(threshold=amount, points=DEFAULT_POINTS)],
        )
        if pattern.aggregation == "streak":
            counted = f"days in a row with a {pattern.event_type} event"
        else:
            how = "adding up the total of" if pattern.aggregation == "sum" else "counting"
            counted = f"{how} {pattern.event_type} events" + (
                f" over the last {days} days" if days else ", all time"
            )
        explanation = (
            f"Read as: {counted}; unlocked at {_shown(amount)}, worth {DEFAULT_POINTS} points."
        )
        return Reading(proposal, explanation)
    return Reading(
        None,
        "Not understood. Name what members do and how many times: for example “refer "
        "three friends in a month”, “spend 500”, “launch 5 campaigns”, or “log in 7 days in "
        "a row”. Or design it yourself.",
    )


def _amount(word: str) -> Decimal | None:
    if word in NUMBERS:
        return Decimal(NUMBERS[word])
    try:
        return Decimal(word.replace(",", ""))
    except ArithmeticError:
        return None


def _window(text: str) -> int | None:
    found = re.search(r"\b(?:in|within)\s+(\d{1,3})\s+days?\b", text)
    if found and 1 <= int(found.group(1)) <= 366:
        return int(found.group(1))
    return next((days for words, days in WINDOWS if re.search(words, text)), None)


def _shown(amount: Decimal) -> str:
    return f"{amount:,.0f}" if amount == amount.to_integral_value() else f"{amount:,.2f}"


def _key(words: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", words.lower()).strip("_")[:64] or "custom"
