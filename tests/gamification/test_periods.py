"""Period maths: where each period of a board starts and ends, in the board's timezone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bizosaas.gamification.leaderboards.periods import ALL_TIME_START, Schedule, ScheduleError


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def test_a_day_begins_at_local_midnight_and_may_last_23_hours() -> None:
    paris = Schedule("daily", "Europe/Paris")
    # 29 March 2026: clocks go forward in Paris, so that day is 23 hours long.
    start, end = paris.bounds(utc(2026, 3, 29, 10))
    assert start == utc(2026, 3, 28, 23)  # midnight at UTC+1
    assert end == utc(2026, 3, 29, 22)  # the next midnight, at UTC+2
    assert end - start == timedelta(hours=23)
    # Just before local midnight is still the previous day.
    assert paris.start_of(utc(2026, 3, 28, 22, 59)) == utc(2026, 3, 27, 23)


def test_weeks_start_on_monday_and_months_on_the_first() -> None:
    weekly = Schedule("weekly", "America/New_York")
    start, end = weekly.bounds(utc(2026, 11, 26, 12))  # a Thursday
    assert start == utc(2026, 11, 23, 5)  # Monday 00:00 EST
    assert end == utc(2026, 11, 30, 5)
    monthly = Schedule("monthly", "UTC")
    assert monthly.bounds(utc(2026, 12, 31, 23, 59)) == (utc(2026, 12, 1), utc(2027, 1, 1))
    assert monthly.bounds(utc(2027, 1, 1)) == (utc(2027, 1, 1), utc(2027, 2, 1))


def test_all_time_is_one_period_that_never_ends() -> None:
    assert Schedule("all_time").bounds(utc(2026, 1, 1)) == (ALL_TIME_START, None)


def test_each_cron_fire_starts_a_period_in_the_board_timezone() -> None:
    # Every Monday 09:00 in Tokyo (00:00 UTC).
    cron = Schedule("cron", "Asia/Tokyo", "0 9 * * 1")
    start, end = cron.bounds(utc(2026, 11, 26, 12))
    assert (start, end) == (utc(2026, 11, 23), utc(2026, 11, 30))
    # The instant of a fire belongs to the period it starts, not the one it ends.
    assert cron.bounds(utc(2026, 11, 30)) == (utc(2026, 11, 30), utc(2026, 12, 7))
    assert cron.start_of(utc(2026, 11, 29, 23, 59, 59, 999999)) == utc(2026, 11, 23)
    every_15 = Schedule("cron", "UTC", "*/15 * * * *")
    assert every_15.bounds(utc(2026, 1, 1, 10, 7, 30)) == (
        utc(2026, 1, 1, 10, 0),
        utc(2026, 1, 1, 10, 15),
    )


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        (Schedule("cron", "UTC", "61 * * * *"), "not a valid cron"),
        (Schedule("cron", "UTC", "0 0 * * * *"), "five fields"),
        (Schedule("cron", "UTC", None), "needs a cron expression"),
        (Schedule("cron", "UTC", "0 0 31 2 *"), "never fires"),
        (Schedule("daily", "Mars/Olympus_Mons"), "unknown timezone"),
        (Schedule("daily", "../../etc/passwd"), "unknown timezone"),
        (Schedule("daily", "UTC", "0 0 * * *"), "only allowed with period 'cron'"),
        (Schedule("hourly", "UTC"), "unknown period"),
    ],
)
def test_unusable_schedules_are_refused(schedule: Schedule, message: str) -> None:
    with pytest.raises(ScheduleError, match=message):
        schedule.validate()
