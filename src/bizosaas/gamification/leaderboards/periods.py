"""When a board's periods start and end: calendar periods or cron resets, in a named timezone.

A period is the half-open interval ``[start, end)``. Daily, weekly (from Monday)
and monthly periods begin at local midnight in the board's timezone; a cron board
begins a period at every fire of its expression (also in that timezone); an
all-time board has a single period that began at :data:`ALL_TIME_START` and never
ends. Every instant belongs to exactly one period, so an event is credited to the
period containing its ``occurred_at`` whenever it is processed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from croniter import CroniterBadCronError, CroniterBadDateError, croniter

ALL_TIME_START = datetime(1970, 1, 1, tzinfo=UTC)
PERIODS = ("daily", "weekly", "monthly", "all_time", "cron")


class ScheduleError(ValueError):
    """A period definition that cannot be used (bad cron, unknown timezone)."""


@lru_cache(maxsize=1)
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    if name not in _zone_names():
        raise ScheduleError(f"unknown timezone {name!r} (use an IANA name like Europe/Paris)")
    return ZoneInfo(name)


@dataclass(frozen=True, slots=True)
class Schedule:
    period: str
    timezone: str = "UTC"
    cron: str | None = None

    def validate(self) -> None:
        """Raise :class:`ScheduleError` unless every period of this schedule can be computed."""
        if self.period not in PERIODS:
            raise ScheduleError(f"unknown period {self.period!r}; one of {', '.join(PERIODS)}")
        zone(self.timezone)
        if self.period == "cron":
            expression = (self.cron or "").strip()
            if not expression:
                raise ScheduleError("a cron period needs a cron expression")
            if not expression.startswith("@") and len(expression.split()) != 5:
                raise ScheduleError(
                    f"cron {expression!r} must have five fields (minute hour day month weekday)"
                )
            if not croniter.is_valid(expression):
                raise ScheduleError(f"cron {expression!r} is not a valid cron expression")
            try:
                self.bounds(datetime.now(UTC))
            except (CroniterBadCronError, CroniterBadDateError) as exc:
                raise ScheduleError(f"cron {expression!r} never fires") from exc
        elif self.cron:
            raise ScheduleError("a cron expression is only allowed with period 'cron'")

    def bounds(self, at: datetime) -> tuple[datetime, datetime | None]:
        """The period containing ``at``: its start and its end (None: it never ends)."""
        if self.period == "all_time":
            return ALL_TIME_START, None
        tz = zone(self.timezone)
        local = at.astimezone(tz)
        if self.period == "cron":
            return self._cron_bounds(local)
        day = local.date()
        if self.period == "daily":
            first, following = day, day + timedelta(days=1)
        elif self.period == "weekly":
            first = day - timedelta(days=day.weekday())
            following = first + timedelta(days=7)
        else:  # monthly
            first = day.replace(day=1)
            following = (first + timedelta(days=32)).replace(day=1)
        return _midnight(first, tz), _midnight(following, tz)

    def start_of(self, at: datetime) -> datetime:
        return self.bounds(at)[0]

    def end_of(self, period_start: datetime) -> datetime | None:
        return self.bounds(period_start)[1]

    def _cron_bounds(self, local: datetime) -> tuple[datetime, datetime]:
        expression = self.cron or ""
        start: datetime = croniter(expression, local).get_prev(datetime)
        end: datetime = croniter(expression, start).get_next(datetime)
        if end <= local:  # `local` is exactly a fire time: croniter skips it both ways
            start, end = end, croniter(expression, end).get_next(datetime)
        return start.astimezone(UTC), end.astimezone(UTC)


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tz).astimezone(UTC)
