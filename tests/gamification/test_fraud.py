"""The fraud scorer alone: each signal gives its reason, and the score decides."""

from __future__ import annotations

import uuid

import pytest

from bizosaas.gamification.referrals.fraud import (
    DISPOSABLE_EMAIL_DOMAINS,
    Signals,
    assess,
    decide,
    is_disposable,
    normalise_email,
)

ALICE, BOB = uuid.uuid4(), uuid.uuid4()


def signals(**overrides: object) -> Signals:
    base: dict[str, object] = {
        "referrer_id": ALICE,
        "referee_id": BOB,
        "referrer_name": "Alice Archer",
        "referee_name": "Bruno Costa",
        "referee_email": "bruno@example.com",
        "ip": "203.0.113.7",
        "device_fingerprint": "dev-bruno",
    }
    return Signals(**{**base, **overrides})  # type: ignore[arg-type]


def codes(s: Signals) -> list[str]:
    return [r.code for r in assess(s).reasons]


def test_a_clean_conversion_scores_zero_and_is_approved() -> None:
    result = assess(signals())
    assert result.score == 0.0 and result.reasons == [] and result.decision == "approved"


def test_self_referral_is_rejected() -> None:
    result = assess(signals(referee_id=ALICE, referee_name="Alice Archer"))
    assert [r.code for r in result.reasons] == ["self_referral"]
    assert result.score == 1.0 and result.decision == "rejected"


@pytest.mark.parametrize(
    ("referee", "referrer"),
    [
        ("A.Lice+promo@Gmail.com", "alice@gmail.com"),
        ("alice@googlemail.com", "al.ice@gmail.com"),
        ("ALICE+x@example.com", "alice@example.com"),
    ],
)
def test_the_referrers_own_email_normalised_is_rejected(referee: str, referrer: str) -> None:
    result = assess(signals(referee_email=referee, referrer_email=referrer))
    assert codes(signals(referee_email=referee, referrer_email=referrer)) == ["same_email"]
    assert result.decision == "rejected"


def test_dots_count_outside_gmail() -> None:
    assert normalise_email("a.lice@example.com") != normalise_email("alice@example.com")
    assert normalise_email("A.Lice+x@gmail.com") == "alice@gmail.com"


def test_an_email_seen_before_on_the_code_is_flagged() -> None:
    s = signals(
        referee_email="b.runo+2@gmail.com", earlier_referee_emails=frozenset({"bruno@gmail.com"})
    )
    assert codes(s) == ["duplicate_email"] and assess(s).decision == "review"


def test_similar_names_go_to_review() -> None:
    s = signals(referee_name="alice  archer")
    result = assess(s)
    assert codes(s) == ["similar_name"] and result.decision == "review"
    assert "100%" in result.reasons[0].detail
    assert codes(signals(referee_name="Alicia Archer")) == ["similar_name"]
    assert codes(signals(referee_name="Bob Stone")) == []


def test_the_referrers_own_device_or_ip() -> None:
    device = signals(referrer_devices=frozenset({"dev-bruno"}))
    assert codes(device) == ["shared_device"] and assess(device).decision == "review"
    ip = signals(referrer_ips=frozenset({"203.0.113.7"}))
    assert codes(ip) == ["shared_ip"] and assess(ip).decision == "review"
    both = signals(
        referrer_devices=frozenset({"dev-bruno"}), referrer_ips=frozenset({"203.0.113.7"})
    )
    assert assess(both).score == pytest.approx(0.8) and assess(both).decision == "rejected"


def test_many_referees_on_one_ip_or_device() -> None:
    assert codes(signals(referees_on_ip=2)) == []
    assert codes(signals(referees_on_ip=3)) == ["ip_cluster"]
    assert codes(signals(referees_on_device=3)) == ["device_cluster"]
    assert assess(signals(referees_on_ip=3)).decision == "review"


def test_disposable_email_domains() -> None:
    assert len(DISPOSABLE_EMAIL_DOMAINS) >= 30
    assert is_disposable("x@mailinator.com") and is_disposable("x@eu.mailinator.com")
    assert not is_disposable("x@gmail.com")
    s = signals(referee_email="bruno@yopmail.com")
    assert codes(s) == ["disposable_email"] and assess(s).decision == "review"
    assert "yopmail.com" in assess(s).reasons[0].detail


def test_velocity() -> None:
    assert codes(signals(conversions_last_hour=4)) == []
    s = signals(conversions_last_hour=5)
    assert codes(s) == ["velocity"] and assess(s).decision == "review"


def test_weak_signals_add_up_without_passing_one() -> None:
    s = signals(
        referee_email="bruno@yopmail.com",
        referees_on_ip=5,
        conversions_last_hour=9,
        referee_name="Alice Archer",
    )
    result = assess(s)
    assert set(codes(s)) == {"disposable_email", "ip_cluster", "velocity", "similar_name"}
    assert 0.7 <= result.score < 1.0 and result.decision == "rejected"
    assert all(r.weight > 0 and r.detail for r in result.reasons)


def test_thresholds() -> None:
    assert decide(0.0) == "approved" and decide(0.299) == "approved"
    assert decide(0.3) == "review" and decide(0.699) == "review"
    assert decide(0.7) == "rejected" and decide(1.0) == "rejected"
