"""Where the server is, as it may be written down, and the key it wants (from the environment only)."""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

from playground.errors import UserError

#: The only place the API key is read from: never a flag (shell history), a file or a session.
API_KEY_VARIABLE = "STARCODER_PLAY_API_KEY"


def checked_url(url: str) -> str:
    """The server's base URL without a trailing ``/`` or ``/v1``; a one-line error when it is not
    an http(s) URL with a host."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UserError(f"--server {public_url(url)!r} is not a server address: give one like http://host:8000")
    path = parts.path.rstrip("/")
    path = path[: -len("/v1")] if path.endswith("/v1") else path
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def public_url(url: str) -> str:
    """The URL as sessions, status lines and errors show it: no user name, password, query or
    fragment (where keys and tokens hide)."""
    parts = urlsplit(url.strip())
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 address goes back in brackets
        host = f"[{host}]"
    try:
        port = f":{parts.port}" if parts.port is not None else ""
    except ValueError:  # a port that is not a number: show none rather than fail
        port = ""
    return urlunsplit((parts.scheme, host + port, parts.path.rstrip("/"), "", ""))


def api_key() -> str | None:
    """The key from ``STARCODER_PLAY_API_KEY`` (None when unset or empty)."""
    return os.environ.get(API_KEY_VARIABLE) or None
