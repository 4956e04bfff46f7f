"""The pages' static files: our stylesheet and script, and the pinned front-end packages.

Each web app serves the same files under its own prefix (``/portal/static/app.js``), so
every page loads them from its own origin and path through the gateway. Addresses carry
the file's digest (``?v=…``): a browser keeps a file for a year and fetches the new one
the moment it changes. The front-end packages (htmx, Chart.js) are installed from the npm
registry by ``./dev`` (``package-lock.json``) into ``static/vendor/``, which the wheel
carries; they are never copied into the repository or loaded from a CDN.
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib.resources import files
from pathlib import Path

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC = Path(str(files("bizosaas.web").joinpath("static")))
A_YEAR = 365 * 24 * 3600


@cache
def digest(name: str) -> str:
    """A short digest of a static file (read once per process: the files do not change)."""
    path = STATIC / name
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing: run ./dev (it installs the web pages' front-end files)"
        )
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


class VersionedFiles(StaticFiles):
    """Static files; an address with the file's digest may be cached for good."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 200 and b"v=" in scope.get("query_string", b""):
            response.headers["cache-control"] = f"public, max-age={A_YEAR}, immutable"
        return response


class Assets:
    """One web app's static files, under ``<prefix>/static``."""

    def __init__(self, prefix: str) -> None:
        self.path = prefix.rstrip("/") + "/static"

    def url(self, name: str) -> str:
        return f"{self.path}/{name}?v={digest(name)}"

    def files(self) -> StaticFiles:
        return VersionedFiles(directory=STATIC)
