"""HTTP to the server with httpx: JSON calls, the event stream of a completion, and every
failure as one ``ServerError`` line that names the problem and the fix.

httpx, not the standard library: timeouts per phase, TLS verified by default, a pooled
client that several threads share, and a streamed body that closing ends (which is how a
cancel reaches vLLM: it aborts a request whose connection closed).
"""

from __future__ import annotations

import json
import os
import re
import socket
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

import httpx

from playground.errors import UserError
from playground.server.address import API_KEY_VARIABLE, api_key, public_url

#: Connecting fails fast; a token may take long on a busy server (or a long prefill).
TIMEOUTS = httpx.Timeout(connect=10.0, read=120.0, write=30.0, pool=30.0)
#: Questions about the server itself (its models, its tokenizer) answer at once on a working one:
#: one that does not is not waited for as long as a token may take.
QUESTION_TIMEOUT_S = 15.0
#: A server's error text is shown, cut to this many characters.
_MESSAGE_LIMIT = 300


#: One error of a pydantic validation report: where (``body.stop``) and the message.
_VALIDATION_ERROR = re.compile(r"'loc': '([^']*)', 'msg': '([^']*)'")


class ServerError(UserError):
    """The server could not be used for this: the line says why and what to do.

    Exit code 1 (the environment: a server down, unreachable, failing, refusing the key), as a
    model that cannot load; 2 only where the request itself was bad (a 400, an unknown model)."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message, exit_code)


class StreamBroken(ServerError):
    """The connection ended in the middle of a response (the server died or was stopped)."""


class ServerConnection:
    """One server: its base URL, the key from the environment, one pooled httpx client."""

    def __init__(self, url: str, *, timeout: httpx.Timeout = TIMEOUTS,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.url = url
        self.shown_url = public_url(url)
        key = api_key()
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        # Proxies and .netrc from the environment are not read (trust_env): the key goes only
        # where --server says. A private CA is taken from SSL_CERT_FILE; TLS is always verified.
        self._client = httpx.Client(base_url=url, headers=headers, timeout=timeout, transport=transport,
                                    verify=_tls_context(), follow_redirects=False, trust_env=False)

    def close(self) -> None:
        self._client.close()

    def get(self, path: str) -> Any:
        with self._translated(path):
            response = self._client.get(path, timeout=QUESTION_TIMEOUT_S)
            self._check(response, path)
            return self._json(response, path)

    def post(self, path: str, body: dict[str, Any], *, timeout: float | None = None) -> Any:
        with self._translated(path):
            response = self._client.post(path, json=body, timeout=timeout or httpx.USE_CLIENT_DEFAULT)
            self._check(response, path)
            return self._json(response, path)

    @contextmanager
    def events(self, path: str, body: dict[str, Any],
               on_open: Callable[[Callable[[], None]], None] | None = None) -> Iterator[Iterator[dict[str, Any]]]:
        """The server-sent events of a streamed POST, each parsed; leaving the block closes the
        connection (the server then aborts the request). ``on_open`` gets a function that ends the
        connection from another thread, waking a read that waits on a server that went quiet."""
        with self._translated(path), self._client.stream("POST", path, json=body) as response:
            if on_open is not None:
                on_open(lambda: _shut(response))
            if response.is_error:
                response.read()
            self._check(response, path)
            yield self._parsed_events(response, path)

    def _parsed_events(self, response: httpx.Response, path: str) -> Iterator[dict[str, Any]]:
        # vLLM sends only ``data:`` lines (no event names, ids or retries): six lines of parsing
        # do not warrant an SSE dependency.
        try:
            for line in response.iter_lines():
                if not line.startswith("data:"):
                    continue
                data = line[len("data:"):].strip()
                if data == "[DONE]":
                    return
                event = json.loads(data)
                if isinstance(event, dict) and "error" in event:
                    raise ServerError(f"the server failed the request: {_error_text(event)}")
                yield event
        except json.JSONDecodeError as error:
            raise StreamBroken(f"the server at {self.shown_url} sent an event that is not JSON ({error.msg}): "
                               "is it an OpenAI-compatible server?") from None
        except httpx.TransportError as error:
            raise StreamBroken(f"the server at {self.shown_url} ended the response early "
                               f"({_reason(error)})") from None
        raise StreamBroken(f"the server at {self.shown_url} ended the response early (no [DONE])")

    @contextmanager
    def _translated(self, path: str) -> Iterator[None]:
        """httpx's failures before a response as one line each."""
        where = self.shown_url
        try:
            yield
        except httpx.TimeoutException as error:
            raise ServerError(f"the server at {where} did not answer in time ({type(error).__name__}): "
                              "check that it is up and not overloaded") from None
        except httpx.ConnectError as error:
            if _is_tls(error):
                raise ServerError(f"TLS failure talking to {where}: {_reason(error)} ({_tls_fix(error)})") from None
            raise ServerError(f"cannot reach the server at {where}: {_reason(error)} "
                              "(is it running? check --server)") from None
        except httpx.RemoteProtocolError as error:
            if _not_http(error):
                raise ServerError(f"the server at {where} does not speak HTTP ({_reason(error)}): is --server "
                                  "the address of an OpenAI-compatible server?") from None
            raise StreamBroken(f"the connection to {where} failed: {_reason(error)}") from None
        except httpx.TransportError as error:
            raise StreamBroken(f"the connection to {where} failed: {_reason(error)}") from None

    def _check(self, response: httpx.Response, path: str) -> None:
        if response.is_redirect:  # not followed: the key goes only where --server says
            target = _shown_location(response.headers.get("location", ""))
            raise ServerError(f"the server at {self.shown_url} redirects {path} to {target}: give --server the "
                              "address it redirects to (redirects are not followed)")
        if not response.is_error:
            return
        status = response.status_code
        text = _error_text(_body(response))
        if status in (401, 403):
            have = "is set" if api_key() else "is not set"
            raise ServerError(f"the server at {self.shown_url} refused access ({status}): set the API key in "
                              f"the environment variable {API_KEY_VARIABLE} (it {have})")
        if status == 404:
            raise ServerError(f"not found on the server at {self.shown_url} ({path}): {text} "
                              "(check --server and --server-model)", 2)
        if status in (400, 413, 422):
            raise ServerError(f"the server refused the request ({status}): {text}; change what it names", 2)
        raise ServerError(f"the server at {self.shown_url} failed ({status}): {text}")

    def _json(self, response: httpx.Response, path: str) -> Any:
        try:
            return response.json()
        except ValueError:
            raise ServerError(f"{self.shown_url}{path} did not answer JSON: is it an OpenAI-compatible "
                              "server?") from None


def _tls_context() -> ssl.SSLContext:
    """The system's certificate authorities, or the bundle ``SSL_CERT_FILE`` names."""
    bundle = os.environ.get("SSL_CERT_FILE") or None
    try:
        return ssl.create_default_context(cafile=bundle)
    except (OSError, ssl.SSLError) as error:
        raise ServerError(f"SSL_CERT_FILE={bundle!r} is not a readable file of PEM certificates "
                          f"({_reason(error)}): fix the path, or unset it to use the system's") from None


def _body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        if "html" in response.headers.get("content-type", "").lower() or response.text.lstrip()[:1] == "<":
            # A web server or proxy's page, not an API's error: its markup says nothing useful.
            return "it answered with a web page, not an OpenAI-style error: is it the API server?"
        return response.text


def _error_text(body: Any) -> str:
    """The message of an OpenAI-style error (``{"error": {"message": …}}``, or vLLM's older
    ``{"message": …}``), on one line."""
    error = body.get("error", body) if isinstance(body, dict) else body
    message = error.get("message", error) if isinstance(error, dict) else error
    message = _validation_summary(str(message))
    param = str(error.get("param") or "").removeprefix("body.") if isinstance(error, dict) else ""
    if param and param not in message:
        message = f"{message} (parameter {param})"
    line = " ".join(str(message).split())
    return line[:_MESSAGE_LIMIT] + ("…" if len(line) > _MESSAGE_LIMIT else "")


def _validation_summary(message: str) -> str:
    """A FastAPI/pydantic validation report (``2 validation errors: {'type': …, 'loc': 'body.stop',
    'msg': …}``, a dict per error) as ``stop: <its last message>`` (the most specific)."""
    found = _VALIDATION_ERROR.findall(message) if "validation error" in message else []
    if not found:
        return message
    where, why = found[-1]
    return f"{where.removeprefix('body.')}: {why}"


def _reason(error: BaseException) -> str:
    """The innermost cause's words (``Connection refused``, ``certificate verify failed``)."""
    while error.__cause__ is not None or error.__context__ is not None:
        error = error.__cause__ or error.__context__  # type: ignore[assignment]
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    text = " ".join(str(error).split()) or type(error).__name__
    return text[:_MESSAGE_LIMIT]


def _shut(response: httpx.Response) -> None:
    """Shut the response's socket down: a thread blocked reading it sees the end at once (closing
    the socket would not wake it)."""
    stream = response.extensions.get("network_stream")
    raw = stream.get_extra_info("socket") if stream is not None else None
    if isinstance(raw, socket.socket):
        with suppress(OSError):
            raw.shutdown(socket.SHUT_RDWR)


def _shown_location(location: str) -> str:
    """A redirect's target as an error line shows it: no credentials, no control characters."""
    try:
        return repr(public_url(location))
    except ValueError:
        return "an address that does not parse"


def _tls_fix(error: BaseException) -> str:
    """What to do about a failed TLS handshake."""
    if "WRONG_VERSION_NUMBER" in str(error) or "record layer" in str(error):
        return "the server does not speak TLS: if it serves plain HTTP, use http://"
    return ("certificates are verified: name its CA bundle in SSL_CERT_FILE, or use http:// only for a server "
            "on a trusted network")


def _not_http(error: BaseException) -> bool:
    """h11's words for an answer that is not HTTP at all (not a connection that broke off)."""
    text = str(error).lower()
    return "illegal" in text or "invalid" in text


def _is_tls(error: BaseException) -> bool:
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, ssl.SSLError):
            return True
        seen = seen.__cause__ or seen.__context__
    return "SSL" in str(error) or "certificate" in str(error).lower()
