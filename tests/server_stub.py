"""A tiny scripted HTTP server on 127.0.0.1 for the client's failures real vLLM cannot be made
to show on demand: a 401, a timeout, an error event mid-stream, a stream cut after two chunks."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Route = Callable[["StubHandler", dict[str, Any]], None]


class StubHandler(BaseHTTPRequestHandler):
    routes: dict[str, Route]
    seen: list[tuple[str, dict[str, str], dict[str, Any]]]

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass

    def setup(self) -> None:
        super().setup()
        self.server.open_connections.append(self.connection)  # type: ignore[attr-defined]

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self._route({})

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        length = int(self.headers.get("Content-Length", 0))
        self._route(json.loads(self.rfile.read(length) or b"{}"))

    def _route(self, body: dict[str, Any]) -> None:
        self.seen.append((self.path, dict(self.headers), body))
        self.routes[self.path](self, body)

    def send_json(self, data: Any, status: int = 200) -> None:
        payload = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def start_events(self) -> None:
        """The head of an event stream; the connection closes when the handler returns."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True

    def send_event(self, data: str) -> None:
        """One ``data:`` line (already JSON, or not: a test may send what is not), flushed."""
        self.wfile.write(f"data: {data}\n\n".encode())
        self.wfile.flush()

    def send_events(self, events: list[Any], done: bool = True) -> None:
        """Server-sent events; without ``done`` the connection just closes (a server dying)."""
        self.start_events()
        for event in events:
            self.send_event(json.dumps(event))
        if done:
            self.wfile.write(b"data: [DONE]\n\n")
        self.close_connection = True


def models(*names: str, context: int | None = 64) -> Route:
    data = [{"id": name, **({"max_model_len": context} if context else {})} for name in names]
    return lambda handler, body: handler.send_json({"object": "list", "data": data})


def tokenize(handler: StubHandler, body: dict[str, Any]) -> None:
    """One token per character, its code point as the id."""
    ids = [ord(c) for c in body["prompt"]]
    handler.send_json({"count": len(ids), "max_model_len": 64, "tokens": ids, "token_strs": list(body["prompt"])})


def chunk(text: str, token_ids: list[int], finish: str | None = None, stop: Any = None) -> dict[str, Any]:
    return {"choices": [{"index": 0, "text": text, "token_ids": token_ids, "finish_reason": finish,
                         "stop_reason": stop}]}


@contextmanager
def stub_server(routes: dict[str, Route], port: int = 0,
                keep_alive: bool = False) -> Iterator[tuple[str, list[tuple[str, dict[str, str], dict[str, Any]]]]]:
    """``(url, requests seen)`` while the stub serves ``routes`` (on ``port``; 0: any free one).
    ``keep_alive``: HTTP/1.1, whose JSON answers leave the connection open, as vLLM's server does."""
    seen: list[tuple[str, dict[str, str], dict[str, Any]]] = []
    protocol = "HTTP/1.1" if keep_alive else "HTTP/1.0"
    handler = type("Handler", (StubHandler,), {"routes": routes, "seen": seen, "protocol_version": protocol})
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.daemon_threads = True
    server.open_connections = []  # type: ignore[attr-defined]
    # serve_forever looks for shutdown() once per poll interval: 0.5 s by default, at every stub's end.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()
        for connection in server.open_connections:  # type: ignore[attr-defined]
            with contextlib.suppress(OSError):  # as a process that ends: its connections close too
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()
