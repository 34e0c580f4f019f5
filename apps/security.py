"""What the server checks before any handler runs: request size, login, and whether a bind is public."""

from __future__ import annotations

import ipaddress
import json
import os
import secrets
import sys
from pathlib import Path

MAX_BODY_BYTES = 64 * 1024  # a chat event carries one message (the manager reads 2,000 characters)
MAX_UPLOAD = "200mb"  # Gradio's max_file_size: checked while the upload streams in, before it is kept
_UPLOAD_PATHS = ("/gradio_api/upload", "/upload")


class AuthError(ValueError):
    """A malformed --auth value."""


def parse_auth(value: str | None) -> list[tuple[str, str]] | None:
    """`user:pass` (several separated by commas) or `@FILE` with one `user:pass` per line; None: no login."""
    if not value:
        return None
    if value.startswith("@"):
        path = Path(value[1:]).expanduser()
        if not path.is_file():
            raise AuthError(f"--auth file not found: {path}")
        entries = [ln.strip() for ln in path.read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    else:
        entries = [e for e in value.split(",") if e]
    pairs = []
    for e in entries:
        user, sep, password = e.partition(":")
        if not sep or not user or not password:
            raise AuthError("--auth takes user:password (or @FILE with one user:password per line)")
        pairs.append((user, password))
    return pairs


def is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return host == "localhost"
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def public_bind_warning(host: str, auth) -> str | None:
    """The warning printed when the app is reachable from other machines with no login."""
    if is_loopback(host) or auth:
        return None
    return (f"WARNING: serving on {host} without a login: anyone who can reach this machine can use the app "
            "and read conversations by session. Add --auth user:password (or --auth @FILE).")


def browser_secret() -> str:
    """A key kept under $CRS_HOME, so the browser-local session id survives a server restart."""
    from crs.paths import cache_dir

    path = cache_dir("app") / "browser_secret"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(16))
    return path.read_text().strip()


class BodyLimit:
    """ASGI middleware: refuse a request body over `limit` bytes (uploads: `upload_limit`) with 413,
    before any handler reads it. Bodies without Content-Length are counted as they stream."""

    def __init__(self, app, limit: int = MAX_BODY_BYTES, upload_limit: int | None = None):
        self.app, self.limit, self.upload_limit = app, limit, upload_limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope.get("path", "")
        limit = self.upload_limit if any(path.endswith(p) for p in _UPLOAD_PATHS) else self.limit
        if limit is None:
            return await self.app(scope, receive, send)
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            return await _too_large(send, limit)
        seen = 0

        async def counted():
            nonlocal seen
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > limit:
                    raise _TooLarge()
            return msg

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await _too_large(send, limit)


class _TooLarge(Exception):
    pass


async def _too_large(send, limit: int) -> None:
    body = json.dumps({"error": f"Request too large: the limit is {limit:,} bytes."}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def size_bytes(size: str | int) -> int:
    """'200mb' -> bytes (Gradio's notation)."""
    if isinstance(size, int):
        return size
    s = size.strip().lower()
    for unit, mult in (("gb", 1 << 30), ("mb", 1 << 20), ("kb", 1 << 10), ("b", 1)):
        if s.endswith(unit):
            return int(float(s[: -len(unit)]) * mult)
    return int(s)


def warn(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)
