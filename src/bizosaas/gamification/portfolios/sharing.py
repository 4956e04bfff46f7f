"""What a published showcase is shared with: its schema.org Article (the public page's
JSON-LD), search keywords from the figures that moved, and a post for each network, each
within that network's length limit; and posts promoting an achievement or a referral
program. Pure functions; the public page and the ShowcasePortfolioAgent use the same ones."""

from __future__ import annotations

import json
from typing import Any

from bizosaas.gamification.portfolios.generator import clip
from bizosaas.gamification.portfolios.schemas import Post, PublicShowcase

# Characters a post may hold, and what a link costs in it (X shortens every link to 23).
LIMITS = {"x": 280, "linkedin": 3000, "facebook": 5000, "instagram": 2200}
X_LINK = 23
HASHTAGS = "#BizOSaaS #CaseStudy"


def article(showcase: PublicShowcase, url: str) -> dict[str, Any]:
    """schema.org Article markup of a published showcase."""
    organisation = {"@type": "Organization", "name": showcase.organisation or "BizOSaaS"}
    return {
        "@context": "https://schema.org",
        "@type": "Article",
        "headline": showcase.seo_title or showcase.title,
        "description": showcase.seo_description or showcase.summary,
        "keywords": ", ".join(keywords(showcase)),
        "url": url,
        "datePublished": showcase.published_at.isoformat() if showcase.published_at else None,
        "author": organisation,
        "publisher": organisation,
    }


def script_json(data: dict[str, Any]) -> str:
    """JSON safe inside ``<script type="application/ld+json">``: no ``<`` can end it."""
    return json.dumps(data).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def keywords(showcase: PublicShowcase) -> list[str]:
    """The organisation, "case study", and each figure that moved, by name."""
    moved = [
        m.name.lower()
        for m in showcase.metrics
        if m.before_value is not None
        and m.after_value is not None
        and m.after_value != m.before_value
    ]
    found = [showcase.organisation, "case study", *moved]
    return list(dict.fromkeys(k for k in found if k))


def promotion(story: str, url: str) -> list[Post]:
    """A post per network promoting something members can do, with the link to it (on
    Instagram, where links in captions do not open, the story and hashtags)."""
    texts = {
        "x": f"{clip(story, LIMITS['x'] - X_LINK - 1)} {url}",
        "linkedin": f"{clip(story, LIMITS['linkedin'] - len(url) - 2)}\n\n{url}",
        "facebook": f"{clip(story, LIMITS['facebook'] - len(url) - 2)}\n\n{url}",
        "instagram": clip(f"{story}\n\nLink in bio. {HASHTAGS}", LIMITS["instagram"]),
    }
    return [
        Post(network=network, text=text, limit=LIMITS[network]) for network, text in texts.items()
    ]


def posts(showcase: PublicShowcase, url: str) -> list[Post]:
    """A post per network: short with the link on X, the story on LinkedIn and Facebook,
    and on Instagram (where links in captions do not open) the story with hashtags."""
    headline = showcase.seo_title or showcase.title
    story = f"{showcase.title}\n\n{showcase.summary}\n\n{showcase.results}"
    x_room = LIMITS["x"] - X_LINK - 1
    texts = {
        "x": f"{clip(showcase.share_text or headline, x_room)} {url}",
        "linkedin": f"{clip(story, LIMITS['linkedin'] - len(url) - 2)}\n\n{url}",
        "facebook": f"{clip(story, LIMITS['facebook'] - len(url) - 2)}\n\n{url}",
        "instagram": clip(
            f"{story}\n\nThe whole story: link in bio. {HASHTAGS}", LIMITS["instagram"]
        ),
    }
    return [
        Post(network=network, text=text, limit=LIMITS[network]) for network, text in texts.items()
    ]
