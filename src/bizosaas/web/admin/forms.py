"""What the dashboard's forms share: filter rows (a property, a test and a value, as both
achievements and boards take them), datetimes read as UTC, and putting an API's refusal
next to the field it names."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi.responses import Response

from bizosaas.web.api import ApiError
from bizosaas.web.shell import FormState, back_to

FILTER_ROWS = 3
OPS = {
    "eq": "equals",
    "ne": "is not",
    "gt": "more than",
    "gte": "at least",
    "lt": "less than",
    "lte": "at most",
    "in": "one of (comma-separated)",
    "exists": "is present (true/false)",
}


def scalar(text: str) -> str | int | float | bool:
    """A value as typed: numbers and true/false are read as such."""
    if text in ("true", "false"):
        return text == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def filters_of(values: dict[str, str]) -> list[dict[str, Any]]:
    """The filter rows filled in (``filter_property_0``, ``filter_op_0``, ``filter_value_0``…)."""
    found = []
    for i in range(FILTER_ROWS):
        prop = values.get(f"filter_property_{i}", "")
        if not prop:
            continue
        op = values.get(f"filter_op_{i}", "eq")
        text = values.get(f"filter_value_{i}", "")
        value: Any
        if op == "in":
            value = [scalar(v.strip()) for v in text.split(",") if v.strip()]
        elif op == "exists":
            value = text != "false"
        else:
            value = scalar(text) if text else None
        found.append({"property": prop, "op": op, "value": value})
    return found


def filter_values(filters: list[dict[str, Any]]) -> dict[str, str]:
    """Stored filters as the rows show them."""
    values: dict[str, str] = {}
    for i, f in enumerate(filters):
        value = f["value"]
        shown = ", ".join(map(str, value)) if isinstance(value, list) else value
        values |= {
            f"filter_property_{i}": f["property"],
            f"filter_op_{i}": f["op"],
            f"filter_value_{i}": str(shown).lower() if isinstance(shown, bool) else str(shown),
        }
    return values


def utc(text: str) -> str | None:
    """A datetime-local field (read as UTC) as the APIs take it."""
    return f"{text}:00+00:00" if re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d", text) else text or None


def field_of(path: str) -> str:
    """The form field an API error names: ``trigger.filters.0.value`` → ``filter_value_0``,
    ``levels.1.threshold`` → ``level_threshold_1``, ``metrics.0.name`` → ``metric_name_0``;
    the whole body → ``form``."""
    parts = path.split(".")
    if parts[0] == "trigger":
        parts = parts[1:] or ["aggregation"]
    if parts[0] in ("filters", "levels", "metrics") and len(parts) >= 3 and parts[1].isdigit():
        return f"{parts[0][:-1]}_{parts[2]}_{parts[1]}"
    return parts[0] if len(parts) == 1 else "form"


async def attempt(
    values: dict[str, str],
    call: Awaitable[Any],
    *,
    also: tuple[int, ...] = (),
    fields: Callable[[str], str] = field_of,
) -> Any:
    """The API's answer to a form; or, where the API refuses what was typed (400, 409, 422,
    and any status in ``also``), the form again with each message beside its field (the
    field ``fields`` names for the API's path). Any other failure is raised, to become the
    app's error page."""
    try:
        return await call
    except ApiError as exc:
        if exc.status not in (400, 409, 422, *also):
            raise
        return refused(values, exc, fields)


def refused(
    values: dict[str, str], error: ApiError, fields: Callable[[str], str] = field_of
) -> FormState:
    """The form again, with what was typed and each message beside its field."""
    errors: dict[str, str] = {}
    for path, message in error.fields.items():
        errors.setdefault(fields(path), message)
    if not errors:
        errors["form"] = error.detail
    errors.setdefault("form", "Please correct the fields marked below.")
    return FormState(values, errors)


async def from_the_start_if_refused(page: Awaitable[Response], start: str) -> Response:
    """A listing's page; or, when the API refuses its query (a stale or forged cursor, a
    filter it does not take), the listing from its start."""
    try:
        return await page
    except ApiError as exc:
        if exc.status not in (400, 422):
            raise
        return back_to(start, start)
