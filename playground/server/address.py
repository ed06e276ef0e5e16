"""Where the server is, as it may be written down, and the key it wants (from the environment only)."""

from __future__ import annotations

import os
import re
from urllib.parse import urlsplit, urlunsplit

from playground.errors import UserError

#: A host name (letters of any script, digits, ``-``, ``.``, ``_``) or an IPv6 address: no spaces,
#: control characters or markup, which resolve nowhere and would only fail later and less clearly.
_HOST = re.compile(r"[\w.-]+|[0-9a-f:.%]*:[0-9a-f:.%]*", re.IGNORECASE)

#: The only place the API key is read from: never a flag (shell history), a file or a session.
API_KEY_VARIABLE = "STARCODER_PLAY_API_KEY"


def checked_url(url: str) -> str:
    """The server's base URL without a trailing ``/`` or ``/v1``; a one-line error when it is not
    an http(s) URL with a host."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:  # brackets that do not close
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname \
            or not _HOST.fullmatch(parts.hostname):
        raise UserError(f"--server {shown_url(url)!r} is not a server address: give one like http://host:8000")
    if "@" in parts.path + parts.query + parts.fragment:  # a '/', '?' or '#' in a password ended the host early
        raise UserError(f"--server {shown_url(url)!r}: a user name or password holding '/', '?' or '#' ends the "
                        "host early: percent-encode them (%2F, %3F, %23)")
    try:
        port = parts.port
    except ValueError:  # not a number, or over 65535
        port = 0
    if port == 0:
        raise UserError(f"--server {shown_url(url)!r} has no usable port: give a number from 1 to 65535, "
                        "like http://host:8000")
    path = parts.path.rstrip("/")
    path = path[: -len("/v1")] if path.endswith("/v1") else path
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def shown_url(url: str) -> str:
    """An address that may not parse, as an error line shows it: without credentials when it parses."""
    try:
        return public_url(url)
    except ValueError:
        return url.strip().rpartition("@")[2]  # whatever came before an ``@`` may be a password


def public_url(url: str) -> str:
    """The URL as sessions, status lines and errors show it: no user name, password, query or
    fragment (where keys and tokens hide). Everything before the last ``@`` after the scheme is
    taken for credentials, even where a ``/``, ``?`` or ``#`` in a password ends the host early."""
    scheme, separator, rest = url.strip().partition("://")
    parts = urlsplit(scheme + separator + rest.rpartition("@")[2] if separator else url.strip().rpartition("@")[2])
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
