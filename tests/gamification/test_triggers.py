"""Triggers and levels without a database: matching, adding up, days in a timezone, checks."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from bizosaas.gamification.achievements import catalog
from bizosaas.gamification.achievements.member_repository import ProgressRow
from bizosaas.gamification.achievements.progress import Definition, levels_of, standing
from bizosaas.gamification.achievements.schemas import AchievementCreate, LevelIn, TriggerIn
from bizosaas.gamification.achievements.triggers import Filter, Trigger
from bizosaas.gamification.events.pipeline import Event

USER = uuid.uuid4()
NOON = datetime(2026, 3, 10, 12, tzinfo=UTC)


def ev(type: str = "deal.closed", at: datetime = NOON, **properties: Any) -> Event:
    return Event(uuid.uuid4().hex, type, USER, properties, at)


def definition(trigger: dict[str, Any], *thresholds: int) -> Definition:
    levels = [{"name": f"l{i}", "threshold": t, "points": 1} for i, t in enumerate(thresholds)]
    return Definition(
        uuid.uuid4(),
        "k",
        "K",
        "",
        Trigger.from_dict(trigger),
        levels_of(levels),
        None,
        None,
        None,
    )


def run(d: Definition, events: list[Event]) -> tuple[ProgressRow, list[int]]:
    row = ProgressRow(d.id, USER, Decimal(0), {})
    crossed: list[int] = []
    for e in events:
        crossed += d.advance(row, e)
    return row, crossed


@pytest.mark.parametrize(
    ("op", "value", "properties", "holds"),
    [
        ("eq", 5, {"p": 5.0}, True),
        ("eq", "EUR", {"p": "eur"}, False),
        ("eq", "a", {"p": ["b", "a"]}, True),
        ("ne", "EUR", {}, True),
        ("ne", "EUR", {"p": "EUR"}, False),
        ("gt", 10, {"p": "11"}, True),
        ("gte", 10, {"p": 10}, True),
        ("lt", 10, {"p": 10}, False),
        ("lte", 10, {"p": 9.5}, True),
        ("gt", 10, {"p": "lots"}, False),
        ("gt", 0, {"p": True}, False),
        ("in", ["a", 2], {"p": 2}, True),
        ("in", ["a", 2], {"p": "b"}, False),
        ("exists", None, {"p": 0}, True),
        ("exists", False, {"p": None}, True),
        ("exists", True, {}, False),
    ],
)
def test_filters(op: str, value: Any, properties: dict[str, Any], holds: bool) -> None:
    assert Filter("p", op, value).holds(properties) is holds


def test_levels_can_be_crossed_together_and_each_only_once() -> None:
    d = definition({"event_type": "deal.closed", "aggregation": "sum", "property": "n"}, 5, 10)
    row, crossed = run(d, [ev(n=12)])
    assert crossed == [0, 1] and row.value == 12
    _, again = run(d, [ev(n=12), ev(n=-5), ev(n=5)])
    assert again == [0, 1]  # dipping below and climbing back crosses nothing twice


def test_max_keeps_the_largest_value() -> None:
    d = definition({"event_type": "deal.closed", "aggregation": "max", "property": "n"}, 100)
    row, crossed = run(d, [ev(n=-3), ev(n=40), ev(n=7), ev(n="x")])
    assert row.value == 40 and crossed == []


def test_distinct_tells_3_and_3_0_apart_from_4() -> None:
    d = definition({"event_type": "deal.closed", "aggregation": "distinct", "property": "n"}, 3)
    row, _ = run(d, [ev(n=3), ev(n=3.0), ev(n="3"), ev(n=4)])
    assert row.value == 2


def test_distinct_values_are_remembered_compactly_and_boundedly() -> None:
    d = definition({"event_type": "deal.closed", "aggregation": "distinct", "property": "n"}, 5)
    row, _ = run(d, [ev(n="x" * 500), ev(n="x" * 500), *(ev(n=i) for i in range(300))])
    assert row.value == 100  # at most max(top threshold, 100) values are kept
    assert max(len(v) for v in row.state["values"]) <= 40


def test_sums_ignore_values_that_are_not_finite_numbers() -> None:
    d = definition({"event_type": "deal.closed", "aggregation": "sum", "property": "n"}, 50)
    row, _ = run(d, [ev(n="NaN"), ev(n="Infinity"), ev(n=True), ev(n="12.5"), ev(n=10)])
    assert row.value == Decimal("22.5")


def test_streak_days_are_counted_in_the_triggers_timezone() -> None:
    """23:30 and 00:30 in Auckland are two days there, and one day in UTC."""
    late = datetime(2026, 3, 10, 10, 30, tzinfo=UTC)  # 23:30 in Auckland (UTC+13)
    early = late + timedelta(hours=1)  # 00:30 the next day in Auckland
    auckland = definition(
        {"event_type": "deal.closed", "aggregation": "streak", "timezone": "Pacific/Auckland"}, 2
    )
    utc = definition({"event_type": "deal.closed", "aggregation": "streak"}, 2)
    assert run(auckland, [ev(at=late), ev(at=early)])[1] == [0]
    assert run(utc, [ev(at=late), ev(at=early)])[1] == []


def test_a_streak_tolerates_late_events_and_lapses_after_a_missed_day() -> None:
    d = definition({"event_type": "deal.closed", "aggregation": "streak"}, 3, 10)
    days = [NOON, NOON + timedelta(days=2), NOON + timedelta(days=1)]  # the middle one late
    row, crossed = run(d, [ev(at=at) for at in days])
    assert crossed == [0] and row.value == 3
    last = (NOON + timedelta(days=2)).date()
    assert standing(d, row, {0}, last + timedelta(days=1)).value == 3  # yesterday counts
    assert standing(d, row, {0}, last + timedelta(days=2)).value == 0  # a day missed
    row, _ = run(d, [ev(at=at) for at in [*days, NOON + timedelta(days=4)]])
    assert row.value == 1  # the gap on the 4th day started a new run


def test_a_completed_achievement_stops_counting_and_shows_where_it_stood() -> None:
    d = definition({"event_type": "deal.closed", "aggregation": "streak"}, 2)
    row, crossed = run(d, [ev(at=NOON), ev(at=NOON + timedelta(days=1))])
    assert crossed == [0] and d.completed(row)
    assert standing(d, row, {0}, NOON.date() + timedelta(days=30)).value == 2
    assert standing(d, row, {0}, NOON.date()).percent == 100.0


def test_a_window_forgets_old_days() -> None:
    d = definition({"event_type": "deal.closed", "window_days": 2}, 10)
    events = [ev(at=NOON), ev(at=NOON), ev(at=NOON + timedelta(days=1))]
    row, _ = run(d, events)
    assert row.value == 3
    row2, _ = run(d, [*events, ev(at=NOON + timedelta(days=2))])
    assert row2.value == 2  # the first day slid out
    assert list(row2.state["buckets"]) == ["2026-03-11", "2026-03-12"]
    assert standing(d, row2, set(), NOON.date() + timedelta(days=5)).value == 0


def test_changing_what_the_state_means_restarts_counting() -> None:
    d = definition({"event_type": "deal.closed"}, 2, 4)
    row, crossed = run(d, [ev(), ev()])
    assert crossed == [0]
    summed = Definition(
        d.id,
        d.key,
        d.name,
        d.description,
        Trigger.from_dict({"event_type": "deal.closed", "aggregation": "sum", "property": "n"}),
        d.levels,
        None,
        None,
        None,
    )
    assert summed.advance(row, ev(n=3)) == []  # level 1 was crossed already
    assert row.value == 3


def test_start_and_end_bound_the_events_that_count() -> None:
    d = definition({"event_type": "deal.closed"}, 1)
    bounded = Definition(
        d.id, "k", "K", "", d.trigger, d.levels, None, NOON, NOON + timedelta(days=1)
    )
    assert bounded.accepts(ev(at=NOON))
    assert not bounded.accepts(ev(at=NOON - timedelta(seconds=1)))
    assert not bounded.accepts(ev(at=NOON + timedelta(days=2)))
    assert not bounded.accepts(ev(type="other.thing"))


@pytest.mark.parametrize(
    ("trigger", "message"),
    [
        ({"event_type": "a.b", "aggregation": "sum"}, "needs a property"),
        ({"event_type": "a.b", "aggregation": "distinct"}, "needs a property"),
        ({"event_type": "a.b", "property": "x"}, "only used by sum"),
        ({"event_type": "a.b", "aggregation": "streak", "window_days": 7}, "cannot have"),
        ({"event_type": "a.b", "timezone": "Nowhere/Special"}, "unknown timezone"),
        ({"event_type": "a.b", "aggregation": "median", "property": "x"}, "aggregation"),
        ({"event_type": "a.b", "window_days": 0}, "window_days"),
        ({"event_type": "a.b", "filters": [{"property": "x", "op": "in", "value": 3}]}, "list"),
        ({"event_type": "a.b", "filters": [{"property": "x", "op": "eq"}]}, "one value"),
        ({"event_type": "Not A Type"}, "event_type"),
    ],
)
def test_bad_triggers_are_refused_with_a_reason(trigger: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        TriggerIn.model_validate(trigger)


def test_levels_are_checked() -> None:
    base = {"key": "k", "name": "K", "trigger": {"event_type": "a.b"}}
    for levels, message in [
        ([{"threshold": 3}, {"threshold": 2}], "strictly increasing"),
        ([{"threshold": 0}], "greater than 0"),
        ([{"threshold": 1, "points": -1}], "greater than or equal to 0"),
        ([{"threshold": i} for i in range(1, 7)], "at most 5"),
        ([{"threshold": 1, "name": "a"}, {"threshold": 2, "name": "a"}], "names must differ"),
    ]:
        with pytest.raises(ValidationError, match=message):
            AchievementCreate.model_validate({**base, "levels": levels})
    with pytest.raises(ValidationError, match="at most 1000 days"):
        AchievementCreate.model_validate(
            {**base, "trigger": {"event_type": "a.b", "aggregation": "streak"}, "threshold": 1001}
        )
    with pytest.raises(ValidationError, match="not both"):
        AchievementCreate.model_validate({**base, "levels": [{"threshold": 1}], "threshold": 2})
    named = AchievementCreate.model_validate(
        {**base, "levels": [{"threshold": 1}, {"threshold": 2}]}
    )
    assert [level.name for level in named.level_list()] == [None, None]  # stored as bronze...


def test_the_catalog_is_made_of_valid_definitions() -> None:
    """Catalog entries pass the same checks as custom ones."""
    keys = [a.key for a in catalog.ACHIEVEMENTS]
    assert len(keys) == len(set(keys)) >= 20
    categories = {c.key for c in catalog.CATEGORIES}
    for entry in catalog.ACHIEVEMENTS:
        TriggerIn.model_validate(entry.trigger)
        AchievementCreate.model_validate(
            {
                "key": entry.key,
                "name": entry.name,
                "trigger": entry.trigger,
                "levels": [LevelIn.model_validate(level).model_dump() for level in entry.levels],
            }
        )
        assert entry.category in categories
        assert entry.prerequisite is None or entry.prerequisite in keys
    assert {a.platform for a in catalog.ACHIEVEMENTS} == {
        "bizoholic",
        "coreldove",
        "bizosaas-admin",
    }
