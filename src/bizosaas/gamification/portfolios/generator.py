"""The portfolio generator: text composed from templates and the tenant's own figures.

Deterministic on purpose: no randomness, no clock beyond the period it is given, and no
language model. The same figures for the same period always give the same text, so a
draft can be regenerated, compared and trusted to say only what the data says.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from bizosaas.gamification.portfolios.repository import Figures
from bizosaas.gamification.portfolios.schemas import PortfolioText

PERIOD_DAYS = 90


@dataclass(frozen=True)
class Metric:
    key: str
    name: str
    unit: str
    before: Decimal
    after: Decimal
    money: bool = False

    def shown(self, value: Decimal) -> str:
        return f"{value:,.2f}" if self.money else f"{int(value):,}"

    @property
    def change(self) -> str:
        if self.before == 0:
            return "new" if self.after > 0 else "no change"
        percent = (self.after - self.before) / self.before * 100
        return f"{percent:+.0f}%"


class Draft(PortfolioText):
    metrics: list[dict[str, Any]]


def metrics_of(figures: Figures) -> list[Metric]:
    def m(
        key: str, name: str, pair: tuple[Any, Any], unit: str = "", money: bool = False
    ) -> Metric:
        return Metric(key, name, unit, Decimal(pair[0]), Decimal(pair[1]), money)

    return [
        m("revenue", "Revenue", figures.revenue, "currency", money=True),
        m("orders", "Orders", figures.orders, "orders"),
        m("leads", "Leads captured", figures.leads, "leads"),
        m("campaigns", "Campaigns launched", figures.campaigns, "campaigns"),
        m("referrals", "Referral conversions", figures.referrals, "referrals"),
        m("achievements", "Achievements unlocked", figures.achievements, "achievements"),
    ]


def figure_lines(figures: Figures) -> list[str]:
    """Each metric as a line a writer is given: "Orders: 12 → 30 (+150%)"."""
    return [
        f"{m.name}: {m.shown(m.before)} → {m.shown(m.after)} ({m.change})"
        for m in metrics_of(figures)
    ]


def _headline(subject: str, metrics: list[Metric]) -> str:
    """The first metric, in the order above, that grew."""
    for metric in metrics:
        if metric.after > metric.before:
            name = metric.name.lower()
            if metric.before == 0:
                return f"How {subject} went from zero to {metric.shown(metric.after)} {name}"
            percent = (metric.after - metric.before) / metric.before * 100
            return f"How {subject} grew {name} by {percent:.0f}% in {PERIOD_DAYS} days"
    return f"{subject}: the last {PERIOD_DAYS} days in numbers"


def clip(value: str, limit: int) -> str:
    """Shortened at a word boundary, with an ellipsis, to fit `limit` characters."""
    if len(value) <= limit:
        return value
    cut = value[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,.;:-")
    return cut + "…"


def slugify(value: str, limit: int = 60) -> str:
    ascii_text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:limit].strip("-")
    return slug if len(slug) >= 2 else "portfolio"


def compose(subject: str, figures: Figures, period_end: date, title: str | None = None) -> Draft:
    """`period_end` is the first day after the latest period (UTC)."""
    metrics = metrics_of(figures)
    by_key = {m.key: m for m in metrics}
    after_first = period_end - timedelta(days=PERIOD_DAYS)
    before_first = after_first - timedelta(days=PERIOD_DAYS)
    last_day = period_end - timedelta(days=1)
    latest = f"{after_first:%d %b %Y} to {last_day:%d %b %Y}"
    previous = f"{before_first:%d %b %Y} to {after_first - timedelta(days=1):%d %b %Y}"

    def after(key: str) -> str:
        return by_key[key].shown(by_key[key].after)

    def before(key: str) -> str:
        return by_key[key].shown(by_key[key].before)

    headline = _headline(subject, metrics)
    title = title or headline
    summary = (
        f"From {latest}, {subject} completed {after('orders')} orders worth "
        f"{after('revenue')} in revenue, captured {after('leads')} leads, launched "
        f"{after('campaigns')} campaigns, converted {after('referrals')} referrals and "
        f"unlocked {after('achievements')} achievements."
    )
    challenge = (
        f"In the previous {PERIOD_DAYS} days ({previous}), {subject} had {before('orders')} "
        f"orders worth {before('revenue')}, {before('leads')} leads and {before('campaigns')} "
        f"campaigns. The aim was to grow sales and reach, and to keep the team engaged."
    )
    solution = (
        f"{subject} ran {after('campaigns')} campaigns on BizOSaaS, followed up "
        f"{after('leads')} leads, brought customers in through referrals "
        f"({after('referrals')} approved conversions) and tracked progress with gamified "
        f"goals ({after('achievements')} achievements unlocked)."
    )
    results = "\n".join(figure_lines(figures))
    share_text = clip(
        f"{headline}. {by_key['orders'].name}: {before('orders')} → {after('orders')}, "
        f"revenue: {before('revenue')} → {after('revenue')}. #BizOSaaS",
        500,
    )
    return Draft(
        title=clip(title, 200),
        summary=summary,
        challenge=challenge,
        solution=solution,
        results=results,
        seo_title=clip(title, 70),
        seo_description=clip(summary, 160),
        share_text=share_text,
        metrics=[
            {"name": m.name, "unit": m.unit, "before_value": m.before, "after_value": m.after}
            for m in metrics
        ],
    )
