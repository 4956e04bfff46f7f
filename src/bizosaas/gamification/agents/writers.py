"""A language model that writes showcases behind an OpenAI-compatible HTTP API, when one is
configured (:func:`writer_from`); otherwise the deterministic writer, through the same
interface (:class:`~bizosaas.gamification.portfolios.writing.Writer`).

The model is driven by pydantic-ai: its answer must fit :class:`ShowcaseWords` (every
section, within its length), and :func:`_check` then refuses an answer that leaves out a
figure it was given, invents one, or names another tenant; each refusal goes back to the
model as a retry. A model that still fails, times out or cannot be reached raises
:class:`~bizosaas.core.errors.ServiceUnavailable`, so nothing half-written is stored.
Whatever either writer drafts stays a draft until a tenant admin publishes it.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

import httpx
import openai
from pydantic import BaseModel, Field
from pydantic_ai import Agent, ModelRetry, RunContext
from pydantic_ai.exceptions import AgentRunError
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.providers.openai import OpenAIProvider
from sqlalchemy import text

from bizosaas.core.database import Database, RowScope
from bizosaas.core.errors import ServiceUnavailable
from bizosaas.core.runtime import Runtime
from bizosaas.core.settings import Settings
from bizosaas.gamification.portfolios.schemas import PortfolioText
from bizosaas.gamification.portfolios.writing import DeterministicWriter, ShowcaseBrief, Writer

# Other organisations' names, which a tenant's text must never carry.
_OTHER_TENANTS = text(
    "SELECT display_name FROM tenant_settings WHERE tenant_id <> :me AND length(display_name) >= 3"
)
VAULT_NAME = "language-model"
RETRIES = 2


class ShowcaseWords(BaseModel):
    """What a model must write for a showcase: every section, within the showcase's own
    limits (a title the admin chose may be short; it is kept as chosen)."""

    title: str = Field(min_length=1, max_length=200)
    summary: str = Field(min_length=1, max_length=1200)
    challenge: str = Field(min_length=1, max_length=2000)
    solution: str = Field(min_length=1, max_length=2000)
    results: str = Field(min_length=1, max_length=2000)
    seo_title: str = Field(min_length=1, max_length=70)
    seo_description: str = Field(min_length=1, max_length=160)
    share_text: str = Field(min_length=1, max_length=500)


@dataclass(frozen=True)
class _Checked:
    brief: ShowcaseBrief
    forbidden: Collection[str]  # other tenants' names


class ModelWriter:
    def __init__(
        self, database: Database, model: str, base_url: str, api_key: str, timeout: float
    ) -> None:
        self.name = f"language model {model}"
        self.database = database
        # The OpenAI client retries a failed or timed-out call itself (twice, backing off).
        provider = OpenAIProvider(base_url=base_url, api_key=api_key or "none")
        self._agent = Agent(
            OpenAIChatModel(model, provider=provider),
            model_settings={"timeout": timeout},
            output_type=ShowcaseWords,
            deps_type=_Checked,
            retries=RETRIES,
            instructions=(
                "You write customer case studies for a business platform. Use only the "
                "figures you are given, every one of them, exactly as written; invent no "
                "numbers, names, quotes or customers. Plain, concrete English."
            ),
        )
        self._agent.output_validator(_check)

    async def showcase(self, brief: ShowcaseBrief) -> PortfolioText:
        prompt = "\n".join(
            [
                f"Write the case study of {brief.subject}.",
                "Figures (the 90 days before → the latest 90 days):",
                *(f"- {line}" for line in brief.figures),
                "A plain draft to improve on:",
                brief.draft.model_dump_json(),
            ]
        )
        async with self.database.transaction(RowScope.platform_wide()) as db:
            others = await db.execute(_OTHER_TENANTS, {"me": brief.tenant_id})
            forbidden = [name for (name,) in others.tuples()]
        try:
            result = await self._agent.run(prompt, deps=_Checked(brief, forbidden))
        except (AgentRunError, openai.APIError, httpx.HTTPError) as exc:
            raise ServiceUnavailable(
                "The language model did not write a usable showcase; nothing was saved. "
                "Try again, or unset the model to use the deterministic writer."
            ) from exc
        return PortfolioText(**result.output.model_dump())


async def _check(ctx: RunContext[_Checked], words: ShowcaseWords) -> ShowcaseWords:
    text = " ".join(words.model_dump().values())
    lowered = text.lower()
    # The template's draft is the tenant's own (its figures, the title its admin chose):
    # what the model must not do is add another organisation's name to it.
    brief = ctx.deps.brief
    drafted = " ".join(brief.draft.model_dump().values())
    named = [
        n
        for n in ctx.deps.forbidden
        if n and _mentions(lowered, n.lower()) and not _mentions(drafted.lower(), n.lower())
    ]
    if named:
        raise ModelRetry(f"Do not name other organisations ({', '.join(named)}).")
    given = {n for line in brief.figures for n in _numbers(line.split(":", 1)[1])}
    missing = sorted(given - set(_numbers(text)))
    if missing:
        raise ModelRetry(f"Use the figures as given; missing: {', '.join(missing)}.")
    # The draft's own numbers (its dates, the 90 days) may be used too; no others.
    allowed = given | set(_numbers(drafted))
    invented = sorted(set(_numbers(text)) - allowed)
    if invented:
        raise ModelRetry(f"Invent no figures; these were not given: {', '.join(invented)}.")
    return words


def _mentions(text: str, name: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text) is not None


def _numbers(text: str) -> list[str]:
    return re.findall(r"\d[\d,.]*\d|\d", text)


async def writer_from(runtime: Runtime) -> Writer:
    """The language model the settings name (its API key from Vault), else the
    deterministic writer."""
    settings: Settings = runtime.settings
    if not settings.language_model_url or not settings.language_model:
        return DeterministicWriter()
    stored = await runtime.secrets.get_or_create(VAULT_NAME, lambda: {"api_key": ""})
    return ModelWriter(
        runtime.database,
        settings.language_model,
        settings.language_model_url,
        stored.get("api_key", ""),
        settings.language_model_timeout_seconds,
    )
