"""Balances from the reward ledger, the tenant's ledger by status, and an admin's bulk
approvals and payouts (its SQL: :mod:`.repository`).

A member's balance is the sum of its entries per unit: a clawback is a negative entry
that cancels its grant (which is marked ``reversed``; a grant already paid stays paid and
the member owes it). A held grant is ``pending`` until its hold (the program's hold
period, on Temporal: :mod:`bizosaas.gamification.referrals.holds`) is settled, then
``available``, and ``paid`` once an admin pays it out. In a program with manual approval
a grant starts ``unapproved`` and counts as pending until approved.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from bizosaas.core.database import utcnow
from bizosaas.core.errors import Conflict, NotFound
from bizosaas.core.repository import PageRequest
from bizosaas.gamification.events.pipeline import NotificationDraft
from bizosaas.gamification.notifications.service import Notifier
from bizosaas.gamification.rewards.models import RewardEntry
from bizosaas.gamification.rewards.repository import LedgerRepository
from bizosaas.gamification.rewards.schemas import (
    Balance,
    DecisionOut,
    LedgerEntryOut,
    LedgerPage,
    LedgerTotal,
    RewardDecision,
    RewardEntryOut,
    RewardsOut,
)

# What an admin may do to an entry in each state.
DECISIONS = {"approve": "unapproved", "pay": "available"}


def _after(entry: RewardEntry, decision: str) -> str:
    """The state a decision leaves an entry in: an approved grant still on hold waits for
    its hold to be settled; one whose hold is over (or never was) is available."""
    if decision == "pay":
        return "paid"
    return "pending" if entry.hold_state in ("due", "running") else "available"


async def rewards_of(db: AsyncSession, user_id: uuid.UUID) -> RewardsOut:
    """The member's balance per unit (all entries, not only the listed latest) and entries."""
    everything = await LedgerRepository(db).of_member(user_id)
    balances: dict[str, Balance] = {}
    for entry in everything:
        balance = balances.setdefault(entry.unit, Balance(unit=entry.unit))
        state = entry.status
        if state in ("pending", "unapproved"):
            balance.pending += entry.amount
        elif state == "paid":
            balance.paid += entry.amount
        else:  # available, or a grant reversed (cancelled by its clawback beside it)
            balance.available += entry.amount
    for balance in balances.values():
        balance.total = balance.available + balance.pending
    latest = sorted(everything, key=lambda e: (e.created_at, e.grant_key), reverse=True)[:200]
    return RewardsOut(
        user_id=user_id,
        balances=sorted(balances.values(), key=lambda b: b.unit),
        entries=[RewardEntryOut.model_validate(e) for e in latest],
    )


async def ledger_page(
    db: AsyncSession,
    page: PageRequest,
    *,
    state: str | None = None,
    kind: str | None = None,
    user_id: uuid.UUID | None = None,
) -> LedgerPage:
    ledger = LedgerRepository(db)
    found = await ledger.page(page, state=state, kind=kind, user_id=user_id)
    totals = await ledger.totals(kind=kind, user_id=user_id)
    return LedgerPage(
        entries=[LedgerEntryOut.model_validate(row) for row in found.items],
        next_cursor=found.next_cursor,
        totals=[
            LedgerTotal(status=s, unit=u, entries=n, amount=a)  # type: ignore[arg-type]
            for s, u, n, a in totals
        ],
    )


async def decide(
    db: AsyncSession,
    notifier: Notifier,
    decider: uuid.UUID | None,
    decision: str,
    body: RewardDecision,
) -> DecisionOut:
    """Approve (``unapproved`` → held or available) or pay out (``available`` → ``paid``)
    every entry named, or none: an unknown entry answers 404, one in another state 409."""
    before = DECISIONS[decision]
    now, wanted = utcnow(), set(body.entry_ids)
    entries = await LedgerRepository(db).for_decision(sorted(wanted))
    missing = wanted - {e.id for e in entries}
    if missing:
        raise NotFound(f"No reward entry {min(missing)} in this tenant.")
    wrong = [e for e in entries if e.status != before or e.amount <= 0]
    if wrong:
        raise Conflict(
            f"Only {before} rewards can be {'approved' if decision == 'approve' else 'paid'}: "
            f"{len(wrong)} of those chosen are not (the first is {wrong[0].id}, "
            f"{wrong[0].status})."
        )
    for entry in entries:
        entry.status = _after(entry, decision)
        entry.decided_by, entry.decided_at = decider, now
        if body.note:
            entry.note = f"{entry.note} {body.note}" if entry.note else body.note
    await db.flush()
    await notifier.notify(db, entries[0].tenant_id, [_told(e, decision) for e in entries])
    return DecisionOut(entries=[RewardEntryOut.model_validate(e) for e in entries])


def _told(entry: RewardEntry, decision: str) -> NotificationDraft:
    amount = f"{entry.amount} {entry.unit}"
    if decision == "pay":
        title, body = "Your reward was paid", f"{amount} paid out."
    elif entry.status == "available":
        title, body = "Your reward was approved", f"{amount}, available now."
    else:
        assert entry.available_at is not None
        title = "Your reward was approved"
        body = f"{amount}, available from {entry.available_at:%Y-%m-%d}."
    return NotificationDraft(
        user_id=entry.user_id,
        kind=f"reward_{'paid' if decision == 'pay' else 'approved'}",
        title=title,
        body=body,
        data={"entry_id": str(entry.id), "amount": str(entry.amount), "unit": entry.unit},
        dedupe_key=f"reward_{decision}:{entry.id}",
    )
