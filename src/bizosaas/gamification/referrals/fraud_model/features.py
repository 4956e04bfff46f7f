"""A conversion as numbers: the rules' signals, timing, reuse of devices and addresses,
email and name likeness, the referrer's history, and two graph features that a pairwise
check misses: the referral ring the conversion would close, and the cluster of referees
bound together by shared devices and addresses.

Training (from generated traffic) and scoring (from the database) both go through
:func:`vector`, so the model never sees a feature computed two ways.
"""

from __future__ import annotations

import difflib
import math
import re
import uuid
from collections.abc import Collection, Sequence

import networkx as nx

from bizosaas.gamification.referrals.fraud import Signals, assess, name_similarity, normalise_email

RULES = (
    "self_referral",
    "same_email",
    "duplicate_email",
    "shared_device",
    "shared_ip",
    "device_cluster",
    "similar_name",
    "ip_cluster",
    "disposable_email",
    "velocity",
)
NUMBERS = (
    "name_likeness",
    "email_likeness_referrer",
    "email_likeness_earlier",
    "referees_on_ip",
    "referees_on_device",
    "device_accounts",
    "ip_accounts",
    "conversions_last_hour",
    "conversions_last_day",
    "log_seconds_since_visit",
    "log_code_age",
    "referrer_approved",
    "referrer_rejected_share",
    "earlier_referees",
    "devices_per_referee",
    "ring_length",
    "cluster_referees",
    "cluster_referees_per_link",
)
NAMES = tuple(f"rule_{r}" for r in RULES) + NUMBERS
RING_DEPTH = 6  # rings longer than this are not looked for
_DIGITS = re.compile(r"\d+")


def vector(s: Signals, fired: Collection[str] | None = None) -> list[float]:
    """The features of ``s``; ``fired``: the rules' reasons, when they were already run."""
    if fired is None:
        fired = {r.code for r in assess(s).reasons}
    referees = {referee for referee, _ in s.code_links}
    devices = {link for _, link in s.code_links if link.startswith("device:")}
    cluster, links = _cluster(s)
    return [float(rule in fired) for rule in RULES] + [
        name_similarity(s.referrer_name, s.referee_name) if s.referee_id != s.referrer_id else 1.0,
        _email_likeness(s.referee_email, [s.referrer_email] if s.referrer_email else []),
        _email_likeness(s.referee_email, s.earlier_referee_emails),
        float(s.referees_on_ip),
        float(s.referees_on_device),
        float(s.device_accounts),
        float(s.ip_accounts),
        float(s.conversions_last_hour),
        float(s.conversions_last_day),
        _log(s.seconds_since_visit),
        _log(s.code_age_seconds),
        float(s.referrer_approved),
        s.referrer_rejected / max(1, s.referrer_approved + s.referrer_rejected),
        float(len(referees)),
        len(devices) / len(referees) if referees else 1.0,
        float(ring_length(s.referral_edges, s.referrer_id, s.referee_id)),
        float(cluster),
        cluster / links if links else 0.0,
    ]


def ring_length(
    edges: Sequence[tuple[uuid.UUID, uuid.UUID]], referrer: uuid.UUID, referee: uuid.UUID
) -> int:
    """The length of the referral cycle this conversion would close (A refers B refers C
    refers A is 3), or 0: the referee already leads, through earlier referrals, back to
    the referrer."""
    if referee == referrer:
        return 1
    graph = nx.DiGraph()
    graph.add_edges_from(edges)
    if referee not in graph or referrer not in graph:
        return 0
    try:
        path = nx.shortest_path(graph, referee, referrer)
    except nx.NetworkXNoPath:
        return 0
    hops = len(path)  # the path's edges, plus the conversion that closes it
    return hops if hops <= RING_DEPTH else 0


def _cluster(s: Signals) -> tuple[int, int]:
    """How many of the code's referees (this one included) are bound to this referee by
    shared devices or addresses, and how many devices and addresses bind them: many people
    on few devices is a farm; a family shares one address but not its phones."""
    graph = nx.Graph()
    me = ("referee", s.referee_id)
    graph.add_node(me)
    mine = [f"device:{s.device_fingerprint}"] if s.device_fingerprint else []
    mine += [f"ip:{s.ip}"] if s.ip else []
    graph.add_edges_from((me, ("link", link)) for link in mine)
    graph.add_edges_from((("referee", who), ("link", link)) for who, link in s.code_links)
    component = nx.node_connected_component(graph, me)
    people = sum(1 for kind, _ in component if kind == "referee")
    return people, len(component) - people


def _email_likeness(email: str | None, others: Sequence[str] | frozenset[str]) -> float:
    """How alike the local parts are once digits are set aside (jane.doe1, jane.doe2)."""
    if not email or not others:
        return 0.0
    mine = _local(email)
    return max(difflib.SequenceMatcher(None, mine, _local(o)).ratio() for o in others)


def _local(email: str) -> str:
    return _DIGITS.sub("", normalise_email(email).rpartition("@")[0])


def _log(seconds: float | None) -> float:
    return math.log1p(max(0.0, seconds)) if seconds is not None else -1.0
