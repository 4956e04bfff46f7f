"""Who is signing in from where: the client's address and a readable device label."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ClientInfo:
    ip: str | None
    user_agent: str

    @property
    def device(self) -> str:
        return describe_device(self.user_agent)


def describe_device(user_agent: str) -> str:
    """A short, human label ("Chrome on Android") for the sessions list."""
    ua = user_agent.lower()
    browser = next((name for key, name in _BROWSERS if key in ua), "Unknown browser")
    system = next((name for key, name in _SYSTEMS if key in ua), "")
    return f"{browser} on {system}" if system else browser


# The first match wins: Edge says "chrome/" too, and Chrome says "safari/".
_BROWSERS = (
    ("edg/", "Edge"),
    ("firefox/", "Firefox"),
    ("chrome/", "Chrome"),
    ("safari/", "Safari"),
    ("curl/", "curl"),
    ("python", "Python"),
)
_SYSTEMS = (
    ("android", "Android"),
    ("iphone", "iOS"),
    ("ipad", "iPadOS"),
    ("windows", "Windows"),
    ("mac os", "macOS"),
    ("linux", "Linux"),
)
