"""A wizard step's form, made from the JSON Schema the wizard API gives for it, and the
posted form read back into the JSON that schema takes.

The page knows no wizard: each field's kind follows from its schema (an enum is a choice,
a list of an enum is a set of checkboxes, a ``password`` string is a secret, a list of
objects is a few rows of sub-fields…), its label from ``title`` and its hint from
``description``. Whatever the person typed goes back to the API as typed (a number that
is not one stays text), so the API's schema, not the page, decides what is refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

ROWS = 5  # rows offered for a list of objects (more than any wizard asks for)


@dataclass(frozen=True)
class FormField:
    name: str  # the form's field name; also the dotted path the API's refusals use
    label: str
    kind: str  # text, textarea, password, number, checkbox, choice, choices, lines, rows,
    #            date, datetime-local, color, email, url
    hint: str = ""
    required: bool = False
    options: tuple[tuple[str, str], ...] = ()
    rows: tuple[tuple[FormField, ...], ...] = ()  # for "rows": each row's fields
    sources: tuple[dict[str, str], ...] = ()  # for "select": the APIs listing its choices
    attrs: dict[str, str] = field(default_factory=dict)  # min, max, maxlength, step


def fields_of_schema(schema: dict[str, Any]) -> list[FormField]:
    defs = schema.get("$defs", {})
    required = set(schema.get("required", []))
    return [
        _field(name, _resolved(prop, defs), defs, name in required)
        for name, prop in schema.get("properties", {}).items()
    ]


def _resolved(prop: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    """The property with its ``$ref`` followed and an optional's ``null`` left out."""
    if "$ref" in prop:
        prop = {
            **defs[prop["$ref"].rsplit("/", 1)[-1]],
            **{k: v for k, v in prop.items() if k != "$ref"},
        }
    options = [o for o in prop.get("anyOf", []) if o.get("type") != "null"]
    if len(options) == 1:
        prop = {**_resolved(options[0], defs), **{k: v for k, v in prop.items() if k != "anyOf"}}
    return prop


def _field(name: str, prop: dict[str, Any], defs: dict[str, Any], required: bool) -> FormField:
    label = prop.get("title") or name.replace("_", " ").capitalize()
    hint = prop.get("description", "")
    labels = prop.get("x-labels", {})
    attrs = {
        attr: str(prop[key])
        for key, attr in (
            ("minimum", "min"),
            ("maximum", "max"),
            ("exclusiveMinimum", "min"),
            ("maxLength", "maxlength"),
        )
        if key in prop
    }

    def choices(values: list[Any]) -> tuple[tuple[str, str], ...]:
        return tuple((str(v), str(labels.get(str(v), v))) for v in values)

    kind = prop.get("type")
    common: dict[str, Any] = {"name": name, "label": label, "hint": hint, "required": required}
    if prop.get("x-input") == "none":  # kept by the step itself (what a file upload read)
        return FormField(kind="none", **common)
    if "x-options" in prop:  # the tenant's own objects: the page lists them (options_from)
        return FormField(kind="select", sources=tuple(prop["x-options"]), **common)
    if "enum" in prop or "const" in prop:
        values = prop.get("enum") or [prop["const"]]
        if kind == "boolean":
            return FormField(kind="checkbox", **common)
        return FormField(kind="choice", options=choices(values), **common)
    if kind == "boolean":
        return FormField(kind="checkbox", **common)
    if kind in ("integer", "number"):
        step = {"step": "1" if kind == "integer" else "any"}
        return FormField(kind="number", attrs=attrs | step, **common)
    if kind == "array":
        items = _resolved(prop.get("items", {}), defs)
        if "enum" in items:
            return FormField(kind="choices", options=choices(items["enum"]), **common)
        if items.get("type") == "object":
            limit = min(int(prop.get("maxItems", ROWS)), ROWS)
            return FormField(kind="rows", rows=_rows(name, items, defs, limit), **common)
        return FormField(kind="lines", **common)
    formats = {
        "password": "password",
        "date": "date",
        "date-time": "datetime-local",
        "email": "email",
    }
    found = formats.get(prop.get("format", "")) or prop.get("x-input", "")
    if found:
        return FormField(kind=found, attrs=attrs, **common)
    if int(prop.get("maxLength", 0)) > 200:
        return FormField(kind="textarea", attrs=attrs, **common)
    return FormField(kind="text", attrs=attrs, **common)


def _rows(
    name: str, item: dict[str, Any], defs: dict[str, Any], count: int
) -> tuple[tuple[FormField, ...], ...]:
    return tuple(
        tuple(
            _field(f"{name}.{i}.{sub}", _resolved(prop, defs), defs, False)
            for sub, prop in item.get("properties", {}).items()
        )
        for i in range(count)
    )


def with_choices(f: FormField, listed: list[list[dict[str, Any]] | None]) -> FormField:
    """A select's field with its choices: ``listed`` is what each of its sources answered
    (None where the visitor may not see it)."""
    options = [
        (f"{source['kind']}:{item['id']}", f"{source['group']}: {item[source['label']]}")
        for source, items in zip(f.sources, listed, strict=True)
        for item in items or []
    ]
    return replace(f, options=tuple(options))


def defaults_of(schema: dict[str, Any]) -> dict[str, Any]:
    """What a step's schema proposes before anything is answered."""
    return {
        name: prop["default"]
        for name, prop in schema.get("properties", {}).items()
        if prop.get("default") is not None
    }


def answer_of(
    fields: list[FormField], form: dict[str, list[str]], kept: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The posted form as the step's JSON answer (``form``: every value of each name); a
    field the form does not show keeps its ``kept`` value."""
    answer: dict[str, Any] = {}
    for f in fields:
        key = f.name.rsplit(".", 1)[-1]
        value = (kept or {}).get(key) if f.kind == "none" else _value(f, form)
        if value is not None:
            answer[key] = value
    return answer


def _value(f: FormField, form: dict[str, list[str]]) -> Any:
    given = [v.strip() for v in form.get(f.name, [])]
    first = given[0] if given else ""
    if f.kind == "checkbox":
        return bool(given)
    if f.kind == "choices":
        return [v for v in given if v]
    if f.kind == "lines":
        return [line.strip() for line in first.splitlines() if line.strip()]
    if f.kind == "rows":
        rows = [answer_of(list(row), form) for row in f.rows]
        return [row for row in rows if any(v not in ("", None, [], False) for v in row.values())]
    if first == "":
        return None  # left empty: the schema's default, or its "required" message
    if f.kind == "number":
        for kind in (int, float):
            try:
                return kind(first)
            except ValueError:
                pass
    if f.kind == "datetime-local" and len(first) == 16:
        return first + ":00"
    return first


def shown_values(fields: list[FormField], answer: dict[str, Any]) -> dict[str, str]:
    """A kept answer as the form's fields show it again (secrets are never in it)."""
    values: dict[str, str] = {}
    for f in fields:
        value = answer.get(f.name.rsplit(".", 1)[-1])
        if value is None:
            continue
        if f.kind == "rows":
            for row_fields, row in zip(f.rows, value, strict=False):
                values |= shown_values(list(row_fields), row)
        elif isinstance(value, bool):
            values[f.name] = "on" if value else ""
        elif isinstance(value, list):
            joiner = "\n" if f.kind == "lines" else "\x1f"
            values[f.name] = joiner.join(str(v) for v in value)
        elif f.kind == "datetime-local":
            values[f.name] = str(value)[:16]
        else:
            values[f.name] = str(value)
    return values


def readable(fields: list[FormField], answer: dict[str, Any]) -> list[tuple[str, str]]:
    """A kept answer as the review shows it: (label, value) per field."""
    shown: list[tuple[str, str]] = []
    for f in fields:
        value = answer.get(f.name.rsplit(".", 1)[-1])
        if f.kind == "password":
            shown.append((f.label, "•••••••• (kept in Vault)"))
            continue
        if f.kind == "none" and isinstance(value, list):
            shown.append((f.label, f"{len(value)} read"))
            continue
        if value is None or value == [] or value == "":
            continue
        labels = dict(f.options)
        if f.kind == "rows":
            text = "; ".join(", ".join(str(v) for v in row.values() if v) for row in value)
        elif isinstance(value, bool):
            text = "Yes" if value else "No"
        elif isinstance(value, list):
            text = ", ".join(labels.get(str(v), str(v)) for v in value)
        else:
            text = labels.get(str(value), str(value))
        shown.append((f.label, text))
    return shown
