"""The wizard engine, driven through the payment gateway wizard as a tenant admin would
fill it in: each step refused with a message beside the field (and what was typed kept),
secrets never kept in the draft, an earlier step changed without leaving a stale later
one, and resuming at the first step still to answer."""

from __future__ import annotations

import pytest

from bizosaas.wizards.engine import Answers, StepRefused
from bizosaas.wizards.payments import PAYMENTS

STRIPE_TEST = {"publishable_key": "pk_test_" + "a1" * 12, "secret_key": "sk_test_" + "b2" * 12}
RAZORPAY_TEST = {"key_id": "rzp_test_" + "c3" * 7, "key_secret": "d4" * 12}


def refused(answers: Answers, step: str, typed: dict[str, object]) -> StepRefused:
    with pytest.raises(StepRefused) as caught:
        PAYMENTS.save(answers, step, typed)
    return caught.value


def test_a_whole_run_keeps_the_secret_apart_and_resumes_where_it_should() -> None:
    answers: Answers = {}
    assert PAYMENTS.next_step(answers).key == "provider"  # type: ignore[union-attr]
    answers = PAYMENTS.save(answers, "provider", {"provider": "stripe", "mode": "test"}).answers
    assert PAYMENTS.next_step(answers).key == "credentials"  # type: ignore[union-attr]
    saved = PAYMENTS.save(answers, "credentials", STRIPE_TEST)
    assert saved.secrets == {"secret_key": STRIPE_TEST["secret_key"]}
    assert saved.answers["credentials"] == {"publishable_key": STRIPE_TEST["publishable_key"]}
    assert STRIPE_TEST["secret_key"] not in repr(saved.answers)
    assert PAYMENTS.progress(saved.answers) == (2, 3)
    done = PAYMENTS.save(saved.answers, "activate", {"activate": True}).answers
    assert PAYMENTS.next_step(done) is None and PAYMENTS.progress(done) == (3, 3)


@pytest.mark.parametrize(
    ("step", "typed", "field", "message"),
    [
        ("provider", {"provider": "square", "mode": "test"}, "provider", "'stripe', 'paypal'"),
        ("provider", {"provider": "stripe"}, "mode", "Field required"),
        (
            "credentials",
            {**STRIPE_TEST, "publishable_key": "pub-123"},
            "publishable_key",
            "not a Stripe publishable key",
        ),
        (
            "credentials",
            {**STRIPE_TEST, "secret_key": "sk_live_" + "e5" * 12},
            "secret_key",
            "This is a live key; the wizard is set up for test.",
        ),
        ("activate", {"activate": False}, "activate", "Tick the box to activate"),
    ],
)
def test_each_step_refuses_a_bad_value_beside_its_field(
    step: str, typed: dict[str, object], field: str, message: str
) -> None:
    answers: Answers = {"provider": {"provider": "stripe", "mode": "test"}}
    if step == "activate":
        answers = PAYMENTS.save(answers, "credentials", STRIPE_TEST).answers
    if step == "provider":
        answers = {}
    problem = refused(answers, step, typed)
    assert message in problem.errors[field], problem.errors
    # What was typed comes back for the form, except a secret.
    assert "secret_key" not in problem.typed
    assert {k: v for k, v in typed.items() if k != "secret_key"}.items() <= problem.typed.items()


def test_the_credentials_step_asks_for_the_format_of_the_provider_chosen() -> None:
    razorpay = PAYMENTS.save({}, "provider", {"provider": "razorpay", "mode": "test"}).answers
    assert "key_id" in refused(razorpay, "credentials", STRIPE_TEST).errors
    saved = PAYMENTS.save(razorpay, "credentials", RAZORPAY_TEST)
    assert saved.secrets == {"key_secret": RAZORPAY_TEST["key_secret"]}


def test_changing_an_earlier_step_drops_later_answers_that_no_longer_fit() -> None:
    answers = PAYMENTS.save({}, "provider", {"provider": "stripe", "mode": "test"}).answers
    answers = PAYMENTS.save(answers, "credentials", STRIPE_TEST).answers
    answers = PAYMENTS.save(answers, "activate", {"activate": True}).answers
    # Saved again unchanged (the admin went back and forward): nothing is asked again.
    same = PAYMENTS.save(answers, "provider", {"provider": "stripe", "mode": "test"}).answers
    assert same == answers
    # Same provider, other mode: the test key no longer fits and must be entered again.
    live = PAYMENTS.save(answers, "provider", {"provider": "stripe", "mode": "live"}).answers
    assert "credentials" not in live and live["activate"] == {"activate": True}
    assert PAYMENTS.next_step(live).key == "credentials"  # type: ignore[union-attr]
    # Another provider: Stripe's keys are dropped too.
    other = PAYMENTS.save(answers, "provider", {"provider": "paypal", "mode": "test"}).answers
    assert "credentials" not in other


def test_a_step_that_is_not_in_the_wizard_is_refused() -> None:
    with pytest.raises(KeyError):
        PAYMENTS.save({}, "shipping", {})
