"""Response bodies of the wizard API. A step's answer is a JSON object its own schema
checks (given with the draft, as JSON Schema), so the request body is an object."""

from __future__ import annotations

import uuid
from datetime import datetime
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, Field

from bizosaas.wizards.engine import Wizard
from bizosaas.wizards.models import WizardDraft


@lru_cache(maxsize=512)
def json_schema_of(schema: type[BaseModel]) -> dict[str, Any]:
    """A step's JSON Schema, made once per schema class (shared: never changed)."""
    return schema.model_json_schema()


class StepOut(BaseModel):
    key: str
    title: str
    answered: bool
    suggests: bool = Field(description="POST …/steps/{key}/suggestion proposes an answer")
    json_schema: dict[str, Any] | None = Field(
        description="What the step takes (fields in `format: password` are secrets: sent "
        "once, kept in Vault, never answered back); null until the earlier steps it "
        "depends on are answered"
    )


class WizardOut(BaseModel):
    key: str
    title: str
    summary: str
    steps: list[str] = Field(description="The step titles, in order (some may not apply)")
    expires_after_days: int

    @classmethod
    def of(cls, wizard: Wizard) -> WizardOut:
        return cls(
            key=wizard.key,
            title=wizard.title,
            summary=wizard.summary,
            steps=[step.title for step in wizard.steps],
            expires_after_days=wizard.expires_after.days,
        )


class GoalOut(BaseModel):
    kind: Literal["program", "achievement", "leaderboard"]
    id: uuid.UUID
    target: int
    unit: str


class OutcomeOut(BaseModel):
    summary: str
    done: list[str]
    shown: dict[str, str]
    links: dict[str, str]
    waiting: str | None
    goal: GoalOut | None = Field(
        None,
        description="A campaign's goal: its results are at "
        "/api/v1/gamification/analytics/results/{kind}/{id}",
    )


class DraftOut(BaseModel):
    id: uuid.UUID
    wizard: str
    title: str
    status: Literal["open", "finished", "waiting"]
    finish_label: str = Field(description="What finishing does, in a word or three")
    answers: dict[str, dict[str, Any]] = Field(description="Each answered step (no secrets)")
    steps: list[StepOut] = Field(description="The steps that apply, given the answers")
    next_step: str | None = Field(description="Where to resume; null: ready to review")
    answered: int
    total: int
    expires_at: datetime = Field(description="An open draft is deleted after this")
    updated_at: datetime
    finished_at: datetime | None
    outcome: OutcomeOut | None

    @classmethod
    def of(cls, draft: WizardDraft, wizard: Wizard, outcome: dict[str, Any] | None) -> DraftOut:
        answers = draft.answers
        steps = []
        before: dict[str, dict[str, Any]] = {}
        for step in wizard.plan(answers):
            schema = step.schema_if_known(before)
            steps.append(
                StepOut(
                    key=step.key,
                    title=step.title,
                    answered=step.key in answers,
                    suggests=step.suggest is not None,
                    json_schema=json_schema_of(schema) if schema else None,
                )
            )
            if step.key in answers:
                before[step.key] = answers[step.key]
        answered, total = wizard.progress(answers)
        following = wizard.next_step(answers)
        return cls(
            id=draft.id,
            wizard=wizard.key,
            title=wizard.title,
            status=draft.status,  # type: ignore[arg-type]
            finish_label=wizard.finish_label,
            answers=answers,
            steps=steps,
            next_step=following.key if following else None,
            answered=answered,
            total=total,
            expires_at=draft.expires_at,
            updated_at=draft.updated_at,
            finished_at=draft.finished_at,
            outcome=OutcomeOut.model_validate(outcome) if outcome else None,
        )


class DraftSummary(BaseModel):
    id: uuid.UUID
    wizard: str
    title: str
    status: Literal["open", "finished", "waiting"]
    answered: int
    total: int
    expires_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, draft: WizardDraft, wizard: Wizard) -> DraftSummary:
        answered, total = wizard.progress(draft.answers)
        return cls(
            id=draft.id,
            wizard=wizard.key,
            title=wizard.title,
            status=draft.status,  # type: ignore[arg-type]
            answered=answered,
            total=total,
            expires_at=draft.expires_at,
            updated_at=draft.updated_at,
        )


class DraftList(BaseModel):
    drafts: list[DraftSummary]
