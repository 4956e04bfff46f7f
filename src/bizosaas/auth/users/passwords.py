"""Password policy (NIST SP 800-63B / OWASP ASVS 2.1): length, not common, not guessable.

12 to 128 characters, never truncated (argon2 hashes all of it), not on the list
of common passwords shipped with ``zxcvbn``, and not easily guessed from the
account's own details (zxcvbn score 3 or more).
"""

from __future__ import annotations

from functools import lru_cache

from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

MIN_LENGTH = 12
MAX_LENGTH = 128
MIN_SCORE = 3


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    return frozenset(FREQUENCY_LISTS["passwords"])


def password_problem(password: str, user_inputs: list[str] | None = None) -> str | None:
    """Why a password is refused, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return f"Password must be at least {MIN_LENGTH} characters long."
    if len(password) > MAX_LENGTH:
        return f"Password must be at most {MAX_LENGTH} characters long."
    if password.lower() in common_passwords():
        return "This password is too common; choose another."
    inputs = [i for i in (user_inputs or []) if i]
    for value in inputs:
        local = value.split("@", 1)[0].lower()
        if len(local) >= 4 and local in password.lower():
            return "Password must not contain your email address or name."
    # zxcvbn is quadratic in length; past 64 characters a password is strong enough.
    result = zxcvbn(password[:64], user_inputs=inputs)
    if result["score"] < MIN_SCORE:
        hint = result["feedback"].get("warning") or "Add more words or characters."
        return f"Password is too easy to guess. {hint}".strip()
    return None
