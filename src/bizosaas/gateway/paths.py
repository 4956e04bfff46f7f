"""Refuse malformed requests at the door, before any upstream sees them."""

from __future__ import annotations

from starlette.types import Scope

from bizosaas.core.errors import AppError, BadRequest

MAX_PATH = 2048
MAX_HEADER_BYTES = 16 * 1024
ENCODED_TRICKS = (b"%2e", b"%2f", b"%5c", b"%00", b"%25")


class HeadersTooLarge(AppError):
    status_code = 431


class URITooLong(AppError):
    status_code = 414


def check_request_line(scope: Scope) -> None:
    """Path traversal (plain or encoded), control characters, oversized paths and headers."""
    path: str = scope["path"]
    raw: bytes = scope.get("raw_path") or path.encode()
    if len(raw) > MAX_PATH:
        raise URITooLong(f"The path is longer than {MAX_PATH} characters.")
    lowered = raw.lower()
    if any(trick in lowered for trick in ENCODED_TRICKS):
        raise BadRequest("Encoded dots, slashes and escapes are not allowed in the path.")
    if any(ord(ch) < 0x20 or ch == "\\" for ch in path):
        raise BadRequest("The path contains forbidden characters.")
    segments = path.split("/")
    if ".." in segments or "." in segments or "//" in path:
        raise BadRequest("The path is not in normal form (no '.', '..' or '//').")
    size = sum(len(k) + len(v) for k, v in scope["headers"])
    if size > MAX_HEADER_BYTES:
        raise HeadersTooLarge(f"Request headers exceed {MAX_HEADER_BYTES} bytes.")
