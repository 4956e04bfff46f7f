"""Showcases written by a language model: the platform under test is configured with the
suite's OpenAI-compatible server (tests/language_model.py), which each test scripts for a
member of its own. What the model writes is validated before it is stored, and a model
that answers garbage, names another organisation, stalls or fails leaves nothing behind."""

from __future__ import annotations

import uuid
from types import SimpleNamespace
from typing import Any

import pytest

from bizosaas.core.settings import Settings
from bizosaas.gamification.agents.writers import writer_from
from bizosaas.gamification.portfolios.writing import DeterministicWriter
from tests.gamification.factories import Member, Org
from tests.gamification.test_agents import finished, run, tasks
from tests.language_model import MODEL, Failure, FakeLanguageModel, Garbage, Stall, Words

PORTFOLIOS = "/api/v1/gamification/portfolios"


@pytest.fixture
def model(language_model: tuple[FakeLanguageModel, str]) -> FakeLanguageModel:
    return language_model[0]


async def subject(org: Org) -> tuple[Member, str]:
    """A member with a name no other test uses: the word the model is scripted for."""
    name = f"Nadia Quill{uuid.uuid4().hex[:6]}"
    return await org.member(full_name=name), name


def words(summary: str, **changes: str) -> Words:
    """A model's case study of a new member (every figure is 0 or 0.00)."""
    return Words(
        {
            "title": "A first quarter on BizOSaaS",
            "summary": summary,
            "challenge": "Starting from nothing: no orders, no leads and no campaigns yet.",
            "solution": "Set up the account, the first campaign and the referral link.",
            "results": "Revenue: 0.00 → 0.00. Orders: 0 → 0. Leads, campaigns, referrals "
            "and achievements: 0 → 0.",
            "seo_title": "A first quarter on BizOSaaS",
            "seo_description": "How a new member set up campaigns, referrals and goals in "
            "their first ninety days on BizOSaaS.",
            "share_text": "A first quarter on BizOSaaS #BizOSaaS",
            **changes,
        }
    )


async def generate(org: Org, member: Member, **payload: Any) -> dict[str, Any]:
    """The showcase task of a member, once its workflow has finished it."""
    answer = await run(org, org.admin.headers, "generate_showcase", user_id=member.id, **payload)
    return await finished(org, org.admin.headers, answer)


async def drafts(org: Org) -> list[dict[str, Any]]:
    listed = await org.client.get(PORTFOLIOS, params={"status": "draft"}, headers=org.admin.headers)
    assert listed.status_code == 200, listed.text
    found: list[dict[str, Any]] = listed.json()
    return found


async def test_the_model_writes_a_draft_from_the_figures_it_was_given(
    org: Org, model: FakeLanguageModel
) -> None:
    member, name = await subject(org)
    model.script(name, words("A new member's first ninety days, told from their figures."))
    task = await generate(org, member)
    assert task["status"] == "succeeded", task
    assert task["model"] == f"language model {MODEL}"
    portfolio = task["result"]["portfolio"]
    assert portfolio["summary"] == "A new member's first ninety days, told from their figures."
    assert portfolio["status"] == "draft"  # nothing the model writes is published unasked
    # The figures are the computed ones, whoever writes the words.
    assert {m["name"]: m["after_value"] for m in portfolio["metrics"]}["Orders"] == 0
    told = " ".join(model.told(name))
    assert "Orders: 0 → 0" in told and "Revenue: 0.00 → 0.00" in told


async def test_garbage_and_another_organisations_name_are_sent_back_to_the_model(
    org: Org, other_org: Org, model: FakeLanguageModel
) -> None:
    rival = f"Globex Rival {uuid.uuid4().hex[:4]}"
    named = await other_org.client.patch(
        "/api/v1/gamification/settings",
        json={"display_name": rival},
        headers=other_org.admin.headers,
    )
    assert named.status_code == 200, named.text
    member, name = await subject(org)
    model.script(
        name,
        Garbage(),
        words(f"Doing better than {rival} ever did, in ninety days."),
        words("Ninety days of steady work, told from the member's own figures."),
    )
    task = await generate(org, member)
    assert task["status"] == "succeeded", task
    portfolio = task["result"]["portfolio"]
    assert rival not in str(portfolio)
    assert portfolio["summary"].startswith("Ninety days of steady work")
    told = " ".join(model.told(name))
    assert "Do not name other organisations" in told and rival in told


@pytest.mark.parametrize(
    ("failure", "why"),
    [
        ((Garbage(), Garbage(), Garbage()), "garbage every time"),
        (
            (words("Revenue grew to 1,000,000.00 in ninety days thanks to BizOSaaS."),) * 3,
            "made-up figures",
        ),
        ((Stall(5), Stall(5), Stall(5)), "too slow"),
        ((Failure(500), Failure(500), Failure(500)), "down"),
    ],
)
async def test_a_model_that_cannot_write_leaves_nothing_half_written(
    org: Org, model: FakeLanguageModel, failure: tuple[Any, ...], why: str
) -> None:
    member, name = await subject(org)
    model.script(name, *failure, *failure)  # the first try and the workflow's retry
    before = await drafts(org)
    task = await generate(org, member)
    assert task["status"] == "failed", (why, task)
    assert "nothing was saved" in task["error"] and task["result"] is None
    assert await drafts(org) == before
    assert [(t["id"], t["status"]) for t in await tasks(org)] == [(task["id"], "failed")]
    assert model.asked(name) == 2 * len(failure)  # the workflow tried it all again


async def test_a_model_that_fails_once_is_tried_again_by_the_workflow(
    org: Org, model: FakeLanguageModel
) -> None:
    member, name = await subject(org)
    model.script(name, Failure(500), Failure(500), Failure(500))  # one whole try
    task = await generate(org, member)
    assert task["status"] == "succeeded", task
    assert task["result"]["portfolio"]["status"] == "draft"
    assert len(await drafts(org)) == 1


async def test_without_a_model_the_deterministic_writer_writes() -> None:
    runtime = SimpleNamespace(settings=Settings(language_model_url="", language_model=""))
    writer = await writer_from(runtime)  # type: ignore[arg-type]
    assert isinstance(writer, DeterministicWriter) and writer.name == "deterministic writer"


async def test_a_short_title_the_admin_chose_is_kept_as_chosen(
    org: Org, model: FakeLanguageModel
) -> None:
    member, name = await subject(org)
    chosen = "Q3 🚀"
    task = await generate(org, member, title=chosen)
    portfolio = task["result"]["portfolio"]
    assert portfolio["title"] == chosen and portfolio["seo_title"] == chosen
    assert name in " ".join(model.told(name))
