"""The wizard engine: a wizard is declared, not hand-coded page by page.

A :class:`Wizard` is its steps; a :class:`Step` has a Pydantic schema (or a function of the
earlier answers that picks one, as a payment provider picks its credentials' format) and
may apply only when the earlier answers say so. What a person has answered so far is a
plain JSON object per step (:data:`Answers`), kept server-side as their draft.

* :meth:`Wizard.save` validates one step against its schema and the answers before it.
  Refused, it raises :class:`StepRefused` with a message per field and what was typed, so
  the page can show both; nothing is kept. Accepted, the step's answer replaces the old
  one. If it changed, answers of later steps that no longer apply, or no longer fit, are
  dropped (and a later step with secrets is asked again): changing an earlier step never
  leaves a stale later one behind.
* :meth:`Wizard.next_step` is where a person resumes: the first applicable step without a
  valid answer, or None when everything is answered (the review).
* Fields typed :class:`~pydantic.SecretStr` are secrets: :meth:`Wizard.save` hands them
  back apart (:attr:`Saved.secrets`) and never puts them in the answers, so a service can
  store them in Vault and a draft never holds one.
* :attr:`Wizard.finish` is what finishing does, given every answer (a
  :class:`~bizosaas.wizards.applying.Finishing`): it applies the result through the
  platform's services and says what it did as an :class:`Outcome`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, SecretStr, ValidationError

if TYPE_CHECKING:
    from bizosaas.wizards.applying import Finishing

Answers = dict[str, dict[str, Any]]  # step key -> the step's accepted answer (JSON values)
SchemaFor = Callable[[Mapping[str, Any]], type[BaseModel]]


@dataclass(frozen=True)
class Outcome:
    """What finishing did, as the person reads it (kept on the draft, as JSON)."""

    summary: str
    done: list[str] = field(default_factory=list)  # each thing applied, one line each
    shown: dict[str, str] = field(default_factory=dict)  # values to copy (a webhook URL…)
    links: dict[str, str] = field(default_factory=dict)  # label -> where to see the result
    waiting: str | None = None  # why the result is kept to send later, if it is
    # What to measure against a goal: {"kind", "id", "target", "unit"}; the campaign's
    # results come from the analytics API (results/{kind}/{id}).
    goal: dict[str, Any] | None = None

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


Finish = Callable[["Finishing"], Awaitable[Outcome]]
Suggest = Callable[["Finishing"], Awaitable[dict[str, Any]]]


def labelled(labels: Mapping[str, str]) -> dict[str, Any]:
    """A choice's words for its values, for the pages (``json_schema_extra``)."""
    return {"x-labels": dict(labels)}


def picked_by(step: str, field: str, schemas: Mapping[str, type[BaseModel]]) -> SchemaFor:
    """A step's schema as an earlier answer picks it (the provider picks its credentials'
    format); unknown (KeyError) until that step is answered."""

    def schema_for(answers: Mapping[str, Any]) -> type[BaseModel]:
        return schemas[answers[step][field]]

    return schema_for


def chosen_from(sources: list[dict[str, str]]) -> dict[str, Any]:
    """A choice among the tenant's own objects, for the pages (``json_schema_extra``): each
    source is an API path listing them, the ``kind`` its values start with (``kind:id``),
    the field that names one, and the group the choices are shown in."""
    return {"x-options": sources}


def always(_answers: Mapping[str, Any]) -> bool:
    return True


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    schema: type[BaseModel] | SchemaFor
    applies: Callable[[Mapping[str, Any]], bool] = always
    # A suggested answer the platform writes (the agent's posts…), given the answers before.
    suggest: Suggest | None = None

    def schema_for(self, answers: Mapping[str, Any]) -> type[BaseModel]:
        if isinstance(self.schema, type):
            return self.schema
        return self.schema(answers)

    def schema_if_known(self, answers: Mapping[str, Any]) -> type[BaseModel] | None:
        """The schema, or None while it depends on an earlier step not answered yet."""
        try:
            return self.schema_for(answers)
        except KeyError:
            return None


class StepRefused(Exception):
    """A step's answer did not validate: a message per field, and what was typed."""

    def __init__(self, step: str, errors: dict[str, str], typed: Mapping[str, Any]) -> None:
        super().__init__(f"step {step!r}: " + "; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.step = step
        self.errors = errors
        self.typed = dict(typed)


@dataclass(frozen=True)
class Saved:
    answers: Answers  # every step's accepted answer after this save
    secrets: dict[str, str] = field(default_factory=dict)  # this step's secret fields


@dataclass(frozen=True)
class Wizard:
    key: str
    title: str
    steps: tuple[Step, ...]
    finish: Finish
    summary: str = ""  # one line on the list of wizards
    finish_label: str = "Finish"  # the review's button
    expires_after: timedelta = timedelta(days=14)

    def __post_init__(self) -> None:
        keys = [step.key for step in self.steps]
        if len(set(keys)) != len(keys):
            raise ValueError(f"wizard {self.key!r} names a step twice")

    def step(self, key: str) -> Step:
        for step in self.steps:
            if step.key == key:
                return step
        raise KeyError(key)

    def plan(self, answers: Answers) -> list[Step]:
        """The steps that apply, given the answers before each of them."""
        planned: list[Step] = []
        before: Answers = {}
        for step in self.steps:
            if step.applies(before):
                planned.append(step)
                if step.key in answers:
                    before[step.key] = answers[step.key]
        return planned

    def save(self, answers: Answers, key: str, typed: Mapping[str, Any]) -> Saved:
        """Validate ``typed`` as the answer of step ``key``; see the module's docstring."""
        planned = self.plan(answers)
        if key not in {step.key for step in planned}:
            raise KeyError(key)
        before = self._before(answers, key)
        values, secrets = _validated(self.step(key), before, typed)
        kept: Answers = {**before, key: values}
        later_steps = self.steps[self.steps.index(self.step(key)) + 1 :]
        if answers.get(key) == values:  # saved again unchanged: the later answers stand
            kept |= {s.key: answers[s.key] for s in later_steps if s.key in answers}
            return Saved(kept, secrets)
        # Later steps keep their answers only while they still apply and still fit (one
        # with secrets cannot be checked again without them: it is asked again).
        for later in later_steps:
            if later.key not in answers or not later.applies(kept):
                continue
            try:
                kept[later.key], _ = _validated(later, kept, answers[later.key])
            except StepRefused:
                continue
        return Saved(kept, secrets)

    def next_step(self, answers: Answers) -> Step | None:
        """Where to resume: the first step that applies and has no answer yet."""
        return next((s for s in self.plan(answers) if s.key not in answers), None)

    def progress(self, answers: Answers) -> tuple[int, int]:
        """(steps answered, steps in all) of the plan these answers make."""
        planned = self.plan(answers)
        return sum(step.key in answers for step in planned), len(planned)

    def _before(self, answers: Answers, key: str) -> Answers:
        before: Answers = {}
        for step in self.plan(answers):
            if step.key == key:
                break
            if step.key in answers:
                before[step.key] = answers[step.key]
        return before


def _validated(
    step: Step, before: Mapping[str, Any], typed: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The step's answer as JSON values, and its secret fields apart."""
    schema = step.schema_for(before)
    try:
        model = schema.model_validate(dict(typed), context={"answers": before})
    except ValidationError as refused:
        errors: dict[str, str] = {}
        for problem in refused.errors():
            where = ".".join(str(part) for part in problem["loc"]) or "__all__"
            errors.setdefault(where, problem["msg"].removeprefix("Value error, "))
        shown = {k: v for k, v in typed.items() if not _is_secret(schema, k)}
        raise StepRefused(step.key, errors, shown) from None
    secrets = {
        name: value.get_secret_value() for name, value in model if isinstance(value, SecretStr)
    }
    values = model.model_dump(mode="json", exclude=set(secrets))
    return values, secrets


def _is_secret(schema: type[BaseModel], name: str) -> bool:
    info = schema.model_fields.get(name)
    return info is not None and info.annotation is SecretStr
