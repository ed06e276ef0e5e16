"""The server client's own logic and the failures a real vLLM cannot be made to show on demand,
against a scripted local HTTP stub (tests/server_stub.py). The real server's behaviour is
tested in tests/test_server_vllm.py."""

from __future__ import annotations

import math
import threading
from typing import Any

import httpx
import pytest

from playground.engine.options import LoadOptions
from playground.engine.types import GenerationRequest
from playground.errors import UserError
from playground.params import SamplingParams
from playground.server.address import API_KEY_VARIABLE, checked_url, public_url
from playground.server.connection import ServerConnection, ServerError
from playground.server.engine import open_server
from playground.server.models import DEFAULT_CONTEXT, choose_model
from playground.server.wire import finish_reason, structured_outputs, token_infos
from playground.sessions.records import ModelRecord
from tests.server_stub import StubHandler, chunk, models, stub_server, tokenize

NO_PROGRESS = lambda progress: None  # noqa: E731


def open_stub(url: str, **options: Any) -> Any:
    return open_server(LoadOptions(server=url, **options), NO_PROGRESS)


def test_urls_are_recorded_without_credentials() -> None:
    url = "https://alice:s3cret@gpu.example:8443/v1/?api_key=s3cret#frag"
    assert public_url(url) == "https://gpu.example:8443/v1"
    assert checked_url("http://host:8000/v1/") == "http://host:8000"
    with pytest.raises(UserError, match="not a server address"):
        checked_url("host:8000")


def test_the_only_model_and_its_context_are_read_from_the_server() -> None:
    with stub_server({"/v1/models": models("starcoder2-15b", context=4096)}) as (url, _):
        engine = open_stub(url)
    assert (engine.name, engine.context_window) == ("starcoder2-15b", 4096)
    assert "starcoder2-15b on http://127.0.0.1" in engine.loaded.describe()
    listing = {"data": [{"id": "a"}, {"id": "b", "max_model_len": 8}]}
    assert choose_model(listing, "b", "x") == ("b", 8)
    assert choose_model({"data": [{"id": "a"}]}, None, "x") == ("a", DEFAULT_CONTEXT)
    with pytest.raises(UserError, match=r"serves several models \(a, b\): choose one with --server-model NAME"):
        choose_model(listing, None, "x")


def test_the_key_comes_from_the_environment_and_is_never_recorded(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(handler: StubHandler, body: dict[str, Any]) -> None:
        handler.send_json({"error": {"message": "Unauthorized"}}, 401)

    with stub_server({"/v1/models": refuse}) as (url, seen):
        with pytest.raises(ServerError, match=f"refused access \\(401\\): set the API key in .*{API_KEY_VARIABLE}"
                                              r" \(it is not set\)"):
            open_stub(url)
        monkeypatch.setenv(API_KEY_VARIABLE, "sk-secret-key")
        with pytest.raises(ServerError, match="it is set") as raised:
            open_stub(url)
    assert seen[-1][1]["Authorization"] == "Bearer sk-secret-key"
    assert "sk-secret-key" not in str(raised.value)
    with stub_server({"/v1/models": models("m")}) as (url, _):
        engine = open_stub(url.replace("http://", "http://bob:pw@") + "/?token=sk-secret-key")
    record = ModelRecord.from_engine(engine)
    assert record.device == url and "secret" not in repr(record) and "pw" not in repr(record)


def test_a_tls_failure_is_one_line() -> None:
    with stub_server({}) as (url, _), pytest.raises(ServerError, match="TLS failure talking to https://"):
        open_stub(url.replace("http://", "https://"))  # TLS to a plain-HTTP port


def test_a_server_that_does_not_answer_times_out_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    from playground.server import connection as connection_module

    monkeypatch.setattr(connection_module, "QUESTION_TIMEOUT_S", 0.2)  # a short question's own limit (15 s)
    release = threading.Event()

    def hang(handler: StubHandler, body: dict[str, Any]) -> None:
        release.wait(30)  # until the test has seen the timeout: a safety net, not synchronisation

    with stub_server({"/v1/models": hang}) as (url, _):
        connection = ServerConnection(url, timeout=httpx.Timeout(0.2))
        try:
            with pytest.raises(ServerError, match="did not answer in time"):
                connection.get("/v1/models")
        finally:
            release.set()


def test_a_refused_parameter_is_named() -> None:
    def refuse(handler: StubHandler, body: dict[str, Any]) -> None:
        handler.send_json({"error": {"message": "must be at least 1", "param": "top_k", "code": 400}}, 400)

    routes = {"/v1/models": models("m"), "/tokenize": tokenize, "/v1/completions": refuse}
    with stub_server(routes) as (url, _), pytest.raises(ServerError, match=r"\(400\): must be .*\(parameter top_k\)") \
            as refused:
        open_stub(url).generate(GenerationRequest("ab", SamplingParams(max_new_tokens=4)))
    assert refused.value.exit_code == 2  # bad input, as a flag's value


def test_a_server_that_is_down_is_the_environment_not_bad_input() -> None:
    with stub_server({}) as (url, _):
        pass  # the port is closed again once the stub has stopped
    with pytest.raises(ServerError, match="cannot reach the server") as down:
        ServerConnection(url).get("/v1/models")
    assert down.value.exit_code == 1  # README: 1 is the environment (a model that cannot load)


def test_a_stream_cut_short_keeps_the_partial_response_marked() -> None:
    def dying(handler: StubHandler, body: dict[str, Any]) -> None:
        handler.send_events([chunk("x", [120]), chunk("yz", [121, 122])], done=False)

    routes = {"/v1/models": models("m"), "/tokenize": tokenize, "/v1/completions": dying}
    with stub_server(routes) as (url, seen):
        result = open_stub(url).generate(GenerationRequest("ab", SamplingParams(max_new_tokens=9, seed=4)))
    [response] = result.responses
    assert (response.text, response.token_ids, response.finish_reason) == ("xyz", [120, 121, 122], "cancelled")
    assert result.warnings and "cut after 3 tokens" in result.warnings[0] and "partial response is kept" in \
        result.warnings[0]
    body = seen[-1][2]
    assert body["prompt"] == [97, 98] and body["seed"] == 4 and body["max_tokens"] == 9 and body["stream"]


def test_an_error_event_mid_stream_fails_the_run_in_one_line() -> None:
    def failing(handler: StubHandler, body: dict[str, Any]) -> None:
        handler.send_events([{"error": {"message": "engine dead", "code": 500}}])

    routes = {"/v1/models": models("m"), "/tokenize": tokenize, "/v1/completions": failing}
    with stub_server(routes) as (url, _), pytest.raises(ServerError, match="failed the request: engine dead"):
        open_stub(url).generate(GenerationRequest("ab"))


def test_finish_reasons_map_to_ours() -> None:
    assert finish_reason({"finish_reason": None}) is None
    assert finish_reason({"finish_reason": "length"}) == "length"
    assert finish_reason({"finish_reason": "stop", "stop_reason": "\n\n"}) == "stop_sequence"
    assert finish_reason({"finish_reason": "stop", "stop_reason": None}) == "eos_token"
    assert finish_reason({"finish_reason": "stop", "stop_reason": 6}) == "eos_token"  # <file_sep> in FIM
    assert finish_reason({"finish_reason": "abort"}) == "cancelled"


def test_response_formats_map_to_structured_outputs() -> None:
    assert structured_outputs(None) is None and structured_outputs({"type": "text"}) is None
    assert structured_outputs({"type": "json"}) == {"json_object": True}
    schema = {"type": "object"}
    assert structured_outputs({"type": "json_schema", "value": schema}) == {"json": schema}
    assert structured_outputs({"type": "regex", "value": "[a-z]+"}) == {"regex": "[a-z]+"}
    assert structured_outputs({"type": "grammar", "value": "root ::= \"x\""}) == {"grammar": "root ::= \"x\""}
    with pytest.raises(UserError, match="not one a server takes"):
        structured_outputs({"type": "xml"})


def test_a_rows_response_format_is_read_from_its_parameters() -> None:
    from playground.response_format import ResponseFormat
    from playground.server.engine import _response_format

    assert _response_format(SamplingParams()) is None  # plain text: no structured outputs
    params = SamplingParams().replace(response_format=ResponseFormat("json_schema", '{"type": "integer"}'))
    assert structured_outputs(_response_format(params)) == {"json": '{"type": "integer"}'}
    assert structured_outputs(_response_format(SamplingParams().replace(response_format="json"))) == \
        {"json_object": True}


def test_logprobs_map_to_token_infos() -> None:
    logprobs = {"token_logprobs": [-0.5, -3.0],
                "top_logprobs": [{"token_id:7": -0.5, "token_id:9": -1.5},
                                 {"token_id:4": -0.1, "token_id:5": -2.5, "token_id:8": -3.0}]}
    first, second = token_infos(logprobs, [7, 8], 2, lambda token_id: f"t{token_id}")
    # Where no text is known for a token: its chunk's text, when the chunk carries it alone.
    [alone] = token_infos({"token_logprobs": [-0.5], "top_logprobs": [{"token_id:7": -0.5}]}, [7], 1,
                          chunk_text=" x")
    unknown = token_infos(logprobs, [7, 8], 2, lambda token_id: "", chunk_text="ab")
    assert alone is not None and alone.text == " x" and unknown[0] and unknown[0].text == ""  # two: not split
    assert alone.top[0].text == " x"  # the sampled token among the alternatives: named by its own text
    assert first is not None and first.text == "t7"  # known: the token's own text
    assert first is not None and second is not None
    assert (first.rank, [a.token_id for a in first.top], first.top[0].text) == (1, [7, 9], "t7")
    assert first.entropy == pytest.approx(-sum(math.exp(v) * v for v in (-0.5, -1.5)))
    assert (second.rank, [a.token_id for a in second.top]) == (3, [4, 5])  # the sampled token is third
    assert second.logprob == -3.0 and second.sampled_logprob is None
    assert token_infos(None, [1, 2], 2) == [None, None]


def test_a_server_restarted_between_runs_needs_nothing_from_the_client() -> None:
    """The connection pool keeps an idle connection to the old process: the next run must not
    fail on it, it opens a new one."""
    def answer(letter: str) -> Any:
        def completions(handler: StubHandler, body: dict[str, Any]) -> None:
            handler.send_events([chunk(letter, [ord(letter)], finish="length")])
        return completions

    request = GenerationRequest("x", SamplingParams.make(max_new_tokens=1, seed=1))
    routes = {"/v1/models": models("m"), "/tokenize": tokenize, "/v1/completions": answer("a")}
    with stub_server(routes, keep_alive=True) as (url, _seen):
        engine = open_stub(url)
        assert engine.generate(request).responses[0].text == "a"
        assert engine.count_tokens("x = 1") == 5  # as the playground counts while you type: a pooled connection
    port = int(url.rsplit(":", 1)[1])
    with stub_server({**routes, "/v1/completions": answer("b")}, port=port, keep_alive=True) as (_url, second):
        assert engine.generate(request).responses[0].text == "b"  # the server, restarted
        assert "/tokenize" in [path for path, _headers, _body in second]
