"""Declarative triggers: which events count towards an achievement, and how they add up.

A trigger is data (stored as JSON on the achievement, the same for catalog and
custom achievements)::

    {"event_type": "order.completed",
     "filters": [{"property": "total", "op": "gte", "value": 50}],
     "aggregation": "sum", "property": "total",
     "window_days": 30, "timezone": "Europe/Paris"}

Filters (all must hold): ``eq``/``ne``/``in`` compare numbers numerically and
anything else exactly, strings included (a list property matches when any item
does; ``ne`` also matches an absent property); ``gt``/``gte``/``lt``/``lte`` hold
only for numeric properties (numbers, or strings holding one, as for ``sum``);
``exists`` (value true, the default, or false) tests presence.

Aggregations: ``count`` matching events; ``sum`` or ``max`` of a numeric
``property`` (events without a number there do not match); ``distinct`` values of
``property`` (remembered up to the top threshold, between :data:`DISTINCT_FLOOR`
and :data:`DISTINCT_MAX`); ``streak`` of consecutive days with a matching event
(levels of at most :data:`MAX_STREAK_DAYS`). Days are calendar days in
the trigger's IANA ``timezone``. ``window_days`` N (not for streaks) counts only
the last N days, ending on the latest day seen, kept as per-day buckets; null
counts all time. Everything here is pure: the running state is a JSON dict the
caller stores with the value.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bizosaas.gamification.events.pipeline import Event, as_decimal

AGGREGATIONS = ("count", "sum", "max", "distinct", "streak")
NEEDS_PROPERTY = frozenset({"sum", "max", "distinct"})
OPERATORS = ("eq", "ne", "gt", "gte", "lt", "lte", "in", "exists")
ORDERING = frozenset({"gt", "gte", "lt", "lte"})
DISTINCT_FLOOR = 100  # distinct values remembered at least (beyond the top threshold)
DISTINCT_MAX = 1000  # ... and at most: the state is rewritten with every matching event
MAX_STREAK_DAYS = 1000  # the longest streak a level may ask for
STREAK_SLACK = 7  # days kept beyond the top threshold, so late events can still fill gaps
LONG_VALUE = 40  # longer distinct values are remembered by a hash
ZERO = Decimal(0)


def zone(name: str) -> ZoneInfo:
    """The IANA zone, or ValueError with a message fit for a client."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown timezone {name!r} (use an IANA name like Europe/Paris)") from exc


def _number(value: Any) -> Decimal | None:
    """A finite number, from a number or a numeric string (as the leaderboards read them)."""
    number = as_decimal(value)
    return number if number is not None and number.is_finite() else None


def _same(actual: Any, expected: Any) -> bool:
    if not isinstance(actual, str) and not isinstance(expected, str):
        a, b = _number(actual), _number(expected)
        if a is not None and b is not None:
            return a == b
    return bool(actual == expected)


def distinct_key(value: Any) -> str | None:
    """How a property value is told apart from others (3 and 3.0 are one value)."""
    if value is None or isinstance(value, list | dict):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    number = _number(value) if not isinstance(value, str) else None
    key = format(number.normalize(), "f") if number is not None else str(value)
    if len(key) > LONG_VALUE:
        return "#" + hashlib.blake2b(key.encode(), digest_size=16).hexdigest()
    return key


@dataclass(frozen=True, slots=True)
class Filter:
    property: str
    op: str
    value: Any = None

    def holds(self, properties: Mapping[str, Any]) -> bool:
        present = properties.get(self.property) is not None
        if self.op == "exists":
            return present == (self.value is not False)
        if not present:
            return self.op == "ne"
        actual = properties[self.property]
        items = actual if isinstance(actual, list) else [actual]
        if self.op == "eq":
            return any(_same(item, self.value) for item in items)
        if self.op == "ne":
            return not any(_same(item, self.value) for item in items)
        if self.op == "in":
            return any(_same(item, option) for item in items for option in self.value)
        number, bound = _number(actual), _number(self.value)
        if number is None or bound is None:
            return False
        if self.op == "gt":
            return number > bound
        if self.op == "gte":
            return number >= bound
        if self.op == "lt":
            return number < bound
        return number <= bound  # lte


@dataclass(frozen=True, slots=True)
class Trigger:
    event_type: str
    filters: tuple[Filter, ...] = ()
    aggregation: str = "count"
    property: str | None = None
    window_days: int | None = None
    timezone: str = "UTC"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Trigger:
        return cls(
            event_type=data["event_type"],
            filters=tuple(
                Filter(f["property"], f["op"], f.get("value")) for f in data.get("filters") or ()
            ),
            aggregation=data.get("aggregation", "count"),
            property=data.get("property"),
            window_days=data.get("window_days"),
            timezone=data.get("timezone") or "UTC",
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "event_type": self.event_type,
            "filters": [
                {"property": f.property, "op": f.op, "value": f.value} for f in self.filters
            ],
            "aggregation": self.aggregation,
            "property": self.property,
            "window_days": self.window_days,
            "timezone": self.timezone,
        }

    def signature(self) -> str:
        """What the running state depends on: when it changes, counting starts afresh."""
        return f"{self.aggregation}|{self.property}|{self.window_days}|{self.timezone}"

    def day_of(self, at: datetime) -> date:
        return at.astimezone(zone(self.timezone)).date()

    def matches(self, event: Event) -> bool:
        """Whether the event counts at all (type, filters, and a usable property)."""
        if event.type != self.event_type:
            return False
        if not all(f.holds(event.properties) for f in self.filters):
            return False
        if self.aggregation in ("sum", "max"):
            return _number(event.properties.get(self.property or "")) is not None
        if self.aggregation == "distinct":
            return distinct_key(event.properties.get(self.property or "")) is not None
        return True

    # -- adding up -----------------------------------------------------------------------

    def advance(self, value: Decimal, state: dict[str, Any], event: Event, top: Decimal) -> Decimal:
        """Add one matching event to the running state (changed in place); the new value.

        ``top`` is the achievement's highest threshold: it bounds what must be remembered.
        """
        if self.aggregation == "streak":
            return self._advance_streak(state, event, top)
        if self.window_days:
            return self._advance_window(state, event, top)
        if self.aggregation == "count":
            return value + 1
        if self.aggregation == "sum":
            return value + self._amount(event)
        if self.aggregation == "max":
            amount = self._amount(event)
            first = not state.get("seen")
            state["seen"] = True
            return amount if first or amount > value else value
        # distinct
        seen: list[str] = state.setdefault("values", [])
        key = distinct_key(event.properties.get(self.property or ""))
        if key is not None and key not in seen and len(seen) < _distinct_cap(top):
            seen.append(key)
        return Decimal(len(seen))

    def current(self, value: Decimal, state: Mapping[str, Any], today: date) -> Decimal:
        """The value as a member sees it today (a window slides, a streak can lapse)."""
        if self.aggregation == "streak":
            last = state.get("days", [])[-1:] or [None]
            if last[0] is None or date.fromisoformat(last[0]) < today - timedelta(days=1):
                return ZERO
            return value
        if self.window_days:
            return self._window_value(state.get("buckets", {}), today)
        return value

    def _amount(self, event: Event) -> Decimal:
        return _number(event.properties.get(self.property or "")) or ZERO

    def _advance_window(self, state: dict[str, Any], event: Event, top: Decimal) -> Decimal:
        buckets: dict[str, Any] = state.setdefault("buckets", {})
        day = self.day_of(event.occurred_at)
        latest = max([day, *(date.fromisoformat(d) for d in buckets)])
        start = latest - timedelta(days=self.window_days or 0)  # exclusive
        if day > start:
            key = day.isoformat()
            held = buckets.get(key)
            if self.aggregation == "count":
                buckets[key] = int(held or 0) + 1
            elif self.aggregation == "sum":
                buckets[key] = str(Decimal(held or 0) + self._amount(event))
            elif self.aggregation == "max":
                amount = self._amount(event)
                buckets[key] = str(amount if held is None else max(Decimal(held), amount))
            else:  # distinct: each day's values
                values: list[str] = buckets.setdefault(key, [])
                seen = distinct_key(event.properties.get(self.property or ""))
                if seen is not None and seen not in values and len(values) < _distinct_cap(top):
                    values.append(seen)
        for old in [d for d in buckets if date.fromisoformat(d) <= start]:
            del buckets[old]
        return self._window_value(buckets, latest)

    def _window_value(self, buckets: Mapping[str, Any], end: date) -> Decimal:
        start = end - timedelta(days=self.window_days or 0)
        held = [v for d, v in buckets.items() if start < date.fromisoformat(d) <= end]
        if not held:
            return ZERO
        if self.aggregation == "distinct":
            return Decimal(len({item for values in held for item in values}))
        if self.aggregation == "max":
            return max(Decimal(v) for v in held)
        return sum((Decimal(v) for v in held), ZERO)

    def _advance_streak(self, state: dict[str, Any], event: Event, top: Decimal) -> Decimal:
        days = set(state.get("days", []))
        days.add(self.day_of(event.occurred_at).isoformat())
        ordered = sorted(date.fromisoformat(d) for d in days)
        latest = ordered[-1]
        keep_from = latest - timedelta(days=min(int(top), MAX_STREAK_DAYS) + STREAK_SLACK)
        ordered = [d for d in ordered if d > keep_from]
        state["days"] = [d.isoformat() for d in ordered]
        run, expected = 0, latest
        for day in reversed(ordered):
            if day != expected:
                break
            run += 1
            expected = day - timedelta(days=1)
        state["best"] = max(int(state.get("best", 0)), run)
        return Decimal(run)


def _distinct_cap(top: Decimal) -> int:
    return min(max(int(top), DISTINCT_FLOOR), DISTINCT_MAX)
