"""Bad addresses and misbehaving servers: each is one line naming the problem and the fix,
never a traceback, never a credential (tests/server_stub.py scripts the server)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from playground.cli import main
from playground.engine.handle import GenerationHandle
from playground.engine.options import LoadOptions
from playground.engine.types import GenerationRequest
from playground.errors import UserError
from playground.params import SamplingParams
from playground.server import connection
from playground.server.address import checked_url
from playground.server.connection import ServerError
from playground.server.engine import open_server
from tests.server_stub import StubHandler, chunk, models, stub_server, tokenize


@pytest.mark.parametrize("url", ["http://[::1", "http://[bold]x:1", "http://ho st:80", "http://a\x1b[31mb:1",
                                 "ftp://host", "http://user:pw@[::1"])
def test_an_address_that_does_not_parse_is_one_line(url: str) -> None:
    with pytest.raises(UserError, match="is not a server address: give one like http://host:8000") as caught:
        checked_url(url)
    assert "pw" not in str(caught.value) and "\x1b" not in str(caught.value)


@pytest.mark.parametrize("url", ["http://127.0.0.1:0", "http://127.0.0.1:99999", "http://127.0.0.1:abc",
                                 "http://alice:s3cret@127.0.0.1:0/?key=s3cret"])
def test_a_port_out_of_range_is_named(url: str) -> None:
    with pytest.raises(UserError, match="has no usable port: give a number from 1 to 65535") as caught:
        checked_url(url)
    assert "s3cret" not in str(caught.value)


def test_good_addresses_pass() -> None:
    assert checked_url("http://[::1]:8000/v1") == "http://[::1]:8000"
    assert checked_url("https://gpu-1.example_lab.org") == "https://gpu-1.example_lab.org"


@contextmanager
def raw_server(answer: bytes | None) -> Iterator[str]:
    """A TCP server that answers every connection with ``answer`` (not HTTP), or never (None)."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            held.append(conn)
            if answer is not None:
                conn.recv(65536)
                conn.sendall(answer)
                conn.close()

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        listener.close()
        for conn in held:
            conn.close()


def test_a_service_that_is_not_http_is_named() -> None:
    with raw_server(b"\x00\xffSSH-2.0 [bold]\x1b[31m\r\n\r\n") as url, \
            pytest.raises(ServerError, match="does not speak HTTP .*is --server the address of an "
                                             "OpenAI-compatible server") as caught:
        open_server(LoadOptions(server=url), lambda progress: None)
    assert "\n" not in str(caught.value) and "\x1b" not in str(caught.value)


def test_a_server_that_never_answers_is_not_waited_for_as_long_as_a_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(connection, "QUESTION_TIMEOUT_S", 0.2)
    with raw_server(None) as url, pytest.raises(ServerError, match="did not answer in time .*check that it is up"):
        open_server(LoadOptions(server=url), lambda progress: None)


def test_a_web_page_for_an_error_is_not_shown_as_its_markup() -> None:
    def page(handler: StubHandler, body: dict[str, Any]) -> None:
        payload = b"<!DOCTYPE HTML><html><head><title>Error response</title></head><body>404</body></html>"
        handler.send_response(404)
        handler.send_header("Content-Type", "text/html")
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)

    with stub_server({"/v1/models": page}) as (url, _), \
            pytest.raises(ServerError, match="answered with a web page, not an OpenAI-style error") as caught:
        open_server(LoadOptions(server=url), lambda progress: None)
    assert "<" not in str(caught.value)


def test_a_validation_report_is_one_line_naming_the_parameter() -> None:
    """vLLM's own answer to five stop sequences (it takes four)."""
    report = ("2 validation errors:\n  {'type': 'string_type', 'loc': 'body.stop', 'msg': 'Input should be a valid "
              "string', 'input': '<list of 6 items>'}\n  {'type': 'too_long', 'loc': 'body.stop', 'msg': 'List "
              "should have at most 4 items after validation, not 6', 'input': '<list of 6 items>', 'ctx': "
              "{'field_type': 'List', 'max_length': 4, 'actual_length': 6}}")

    def refuse(handler: StubHandler, body: dict[str, Any]) -> None:
        handler.send_json({"error": {"message": report, "type": "Bad Request", "param": "body.stop", "code": 400}},
                          400)

    with stub_server({"/v1/models": refuse}) as (url, _), pytest.raises(ServerError) as caught:
        open_server(LoadOptions(server=url), lambda progress: None)
    assert str(caught.value) == ("the server refused the request (400): stop: List should have at most 4 items "
                                 "after validation, not 6; change what it names")


def test_generate_cut_by_the_server_prints_what_came_and_exits_1_not_ctrl_c(capsys: pytest.CaptureFixture[str]) -> None:
    def dying(handler: StubHandler, body: dict[str, Any]) -> None:
        handler.send_events([chunk("x", [120]), chunk("yz", [121, 122])], done=False)

    routes = {"/v1/models": models("m", context=64), "/tokenize": tokenize, "/v1/completions": dying}
    with stub_server(routes) as (url, _):
        code = main(["generate", "--server", url, "--prompt", "ab", "--max-new-tokens", "8"])
    out, err = capsys.readouterr()
    assert (code, out) == (1, "xyz\n")
    assert "warning: response 1 is cut after 3 tokens" in err and "Traceback" not in err


def events_route(*lines: str) -> Any:
    """A completion answered with these raw event-stream lines."""
    def route(handler: StubHandler, body: dict[str, Any]) -> None:
        handler.start_events()
        for line in lines:
            handler.send_event(line)
    return route


def generate_on(route: Any) -> Any:
    routes = {"/v1/models": models("m", context=64), "/tokenize": tokenize, "/v1/completions": route}
    with stub_server(routes) as (url, _):
        engine = open_server(LoadOptions(server=url), lambda progress: None)
        return engine.generate(GenerationRequest("ab", SamplingParams.make(max_new_tokens=4, seed=1), logprobs=2))


@pytest.mark.parametrize("event", ['{"choices": "abc"}', '{"choices": [{"text": "a", "token_ids": "xy"}]}',
                                   '{"choices": [{"text": "a", "token_ids": [97], "logprobs": [1]}]}',
                                   '{"choices": [{"text": "a", "token_ids": [97], "logprobs": {"token_logprobs":'
                                   ' ["x"]}}]}'])
def test_a_chunk_that_is_not_a_completion_is_one_line_not_an_internal_error(event: str) -> None:
    with pytest.raises(ServerError, match="sent a chunk that is not a completion .*is it an OpenAI-compatible"):
        generate_on(events_route(event, "[DONE]"))


def test_a_malformed_chunk_after_tokens_keeps_them() -> None:
    result = generate_on(events_route(json.dumps(chunk("x", [120])), '{"choices": [7]}', "[DONE]"))
    assert [(r.text, r.token_ids, r.finish_reason) for r in result.responses] == [("x", [120], "cancelled")]
    assert "cut after 1 tokens: the server at" in result.warnings[0]


def test_an_event_that_is_not_json_says_so() -> None:
    with pytest.raises(ServerError, match=r"sent an event that is not JSON \(Expecting value\)"):
        generate_on(events_route('{"choices": ['))


@pytest.mark.parametrize("content", [None, "not a certificate\n"])
def test_an_unreadable_ssl_cert_file_is_named(tmp_path: Any, monkeypatch: pytest.MonkeyPatch,
                                              content: str | None) -> None:
    bundle = tmp_path / "ca.pem"
    if content is not None:
        bundle.write_text(content)
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    with pytest.raises(ServerError, match=r"SSL_CERT_FILE=.*ca.pem' is not a readable file of PEM certificates .*"
                                          r"fix the path, or unset it"):
        open_server(LoadOptions(server="https://127.0.0.1:1"), lambda progress: None)


def test_https_to_a_plain_http_server_says_to_use_http() -> None:
    with stub_server({"/v1/models": models("m")}) as (url, _), \
            pytest.raises(ServerError, match="does not speak TLS: if it serves plain HTTP, use http://"):
        open_server(LoadOptions(server=url.replace("http://", "https://")), lambda progress: None)


def test_a_row_that_fails_after_the_other_streamed_keeps_the_other() -> None:
    """Two responses; the second request fails once the first has shown a token: the first's
    tokens are kept (the run was lost whole)."""
    first_shown, second_answered = threading.Event(), threading.Event()

    def completions(handler: StubHandler, body: dict[str, Any]) -> None:
        if body["seed"] == 1:
            handler.start_events()
            handler.send_event(json.dumps(chunk("x", [120])))
            second_answered.wait(30)
            handler.send_event(json.dumps(chunk("y", [121], finish="length")))
            handler.send_event("[DONE]")
        else:
            first_shown.wait(30)
            handler.send_json({"error": {"message": "engine dead"}}, 500)
            second_answered.set()

    def shown(events: list[Any]) -> None:
        first_shown.set()

    routes = {"/v1/models": models("m", context=64), "/tokenize": tokenize, "/v1/completions": completions}
    with stub_server(routes) as (url, _):
        engine = open_server(LoadOptions(server=url), lambda progress: None)
        result = engine.generate(GenerationRequest("ab", SamplingParams.make(max_new_tokens=2, seed=1,
                                                                             num_responses=2)), shown)
    first, second = result.responses
    assert (first.text, first.finish_reason) == ("xy", "length")
    assert (second.token_ids, second.finish_reason) == ([], "cancelled")
    assert "response 2 is cut after 0 tokens: the server at" in result.warnings[0]
    assert "engine dead" in result.warnings[0]


def test_a_redirect_is_not_followed_and_names_where_it_goes() -> None:
    def moved(handler: StubHandler, body: dict[str, Any]) -> None:
        handler.send_response(307)
        handler.send_header("Location", "https://eve:pw@other.example/v1/models?key=s3cret")
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    with stub_server({"/v1/models": moved}) as (url, seen), pytest.raises(ServerError) as caught:
        open_server(LoadOptions(server=url), lambda progress: None)
    assert str(caught.value) == (f"the server at {url} redirects /v1/models to 'https://other.example/v1/models': "
                                 "give --server the address it redirects to (redirects are not followed)")
    assert len(seen) == 1


def test_a_cancel_does_not_wait_on_a_server_that_went_quiet() -> None:
    """Each row's request sent a token and then nothing: a cancel ends both connections at once
    (it waited out five seconds per row, the threads still blocked after)."""
    release = threading.Event()

    def quiet(handler: StubHandler, body: dict[str, Any]) -> None:
        handler.start_events()
        handler.send_event(json.dumps(chunk("x", [120])))
        release.wait(60)

    def detokenize(handler: StubHandler, body: dict[str, Any]) -> None:
        handler.send_json({"prompt": "".join(chr(token) for token in body["tokens"])})

    handle, before = GenerationHandle(), set(threading.enumerate())
    routes = {"/v1/models": models("m", context=64), "/tokenize": tokenize, "/detokenize": detokenize,
              "/v1/completions": quiet}
    with stub_server(routes) as (url, _):
        engine = open_server(LoadOptions(server=url), lambda progress: None)
        try:
            result = engine.generate(GenerationRequest("ab", SamplingParams.make(max_new_tokens=8, seed=1,
                                                                                 num_responses=2)),
                                     lambda events: handle.cancel(), handle)
            still_reading = [t for t in set(threading.enumerate()) - before if t.name.startswith("server-row-")]
        finally:
            release.set()
    assert [r.finish_reason for r in result.responses] == ["cancelled", "cancelled"]
    assert still_reading == []
