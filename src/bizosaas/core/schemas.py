"""Request schemas shared by every service: partial updates, and the error body.

A partial update (PATCH) changes only the fields it sends. Its fields are
optional, but ``null`` is a value, not an absence: it is refused for every field
except the few listed in ``clearable``, where it removes a value from a nullable
column. The OpenAPI shows exactly that, so generated clients never send a ``null``
the database cannot store.
"""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any, ClassVar, TypeVar
from zoneinfo import available_timezones

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator


class FromRow(BaseModel):
    """A response read from a model's attributes (``model_validate(row)``)."""

    model_config = ConfigDict(from_attributes=True)


View = TypeVar("View", bound=BaseModel)


def view_of(schema: type[View], row: Any, **given: Any) -> View:
    """``row`` as ``schema`` shows it: the row's attributes of the schema's field names,
    with the values in ``given`` instead where the row has none (or another form)."""
    columns = {name: getattr(row, name) for name in schema.model_fields if name not in given}
    return schema.model_validate({**columns, **given})


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _known_timezone(value: str) -> str:
    if value not in _zones():
        raise ValueError(f"unknown timezone {value!r} (use an IANA name like Europe/Paris)")
    return value


Timezone = Annotated[
    str,
    Field(min_length=1, max_length=64, description="An IANA name, such as Europe/Paris"),
    AfterValidator(_known_timezone),
]


def _drop_null_alternatives(schema: dict[str, Any], model: type[BaseModel]) -> None:
    clearable: frozenset[str] = getattr(model, "clearable", frozenset())
    for name, prop in schema.get("properties", {}).items():
        if name in clearable or "anyOf" not in prop:
            continue
        kept = [option for option in prop["anyOf"] if option.get("type") != "null"]
        if len(kept) == 1:
            del prop["anyOf"]
            prop.update(kept[0])
        else:
            prop["anyOf"] = kept


class Patch(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra=_drop_null_alternatives)

    clearable: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="before")
    @classmethod
    def _null_only_where_clearable(cls, data: Any) -> Any:
        if isinstance(data, dict):
            refused = sorted(k for k, v in data.items() if v is None and k not in cls.clearable)
            if refused:
                raise ValueError(
                    f"{', '.join(refused)} cannot be null (leave a field out to keep it)"
                )
        return data


class ErrorBody(BaseModel):
    """Every error the platform answers: 400, 401, 403, 404, 409, 413, 422, 429, 503."""

    error: str
    detail: Any


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": description}
    for status, description in (
        (400, "Bad input: nothing was changed"),
        (401, "Missing, invalid or ended credentials"),
        (403, "Not allowed for this caller (or not through the gateway)"),
        (404, "Not found, or another tenant's"),
        (409, "Conflicts with the current state"),
        (429, "Rate limited: retry after `Retry-After` seconds"),
        (503, "A dependency is unavailable: retry after `Retry-After` seconds"),
    )
}
