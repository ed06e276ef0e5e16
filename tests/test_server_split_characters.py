"""Characters split across tokens on a server: a request that continues a row from tokens ending
inside a character (a branch, a live change), and a row that ends inside one.

The stub's tokens are UTF-8 bytes, and it writes texts as vLLM 0.32 does: a character's text
waits for its last byte, never comes when the row ends inside it, and a request whose prompt
ends inside a character starts its first text with the whole decoded prompt (its incremental
detokenizer cannot take up the stream there). tests/test_server_vllm.py checks the same
against a real vLLM and the in-process engine.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from playground.engine.handle import GenerationHandle
from playground.engine.types import GenerationRequest, StreamEvent, TokenEvent
from playground.params import SamplingParams
from tests.server_stub import StubHandler, chunk, models, stub_server
from tests.test_server_client import open_stub

SMILE = "🙂".encode()  # four bytes: f0 9f 99 82


def decode(ids: list[int]) -> str:
    return bytes(ids).decode("utf-8", errors="replace")


def tokenize(handler: StubHandler, body: dict[str, Any]) -> None:
    ids = list(body["prompt"].encode())
    handler.send_json({"count": len(ids), "tokens": ids})


def detokenize(handler: StubHandler, body: dict[str, Any]) -> None:
    handler.send_json({"prompt": decode(body["tokens"])})


def vllm_texts(prompt: list[int], generated: list[int]) -> list[str]:
    """Each generated token's text as vLLM streams it after ``prompt`` (no stop strings)."""
    return [text for text, _ in vllm_stream(prompt, generated, [])]


def vllm_stream(prompt: list[int], generated: list[int], stops: list[str],
                ended: bool = False) -> list[tuple[str, str | None]]:
    """Each generated token's text, and the stop string that ended the request there, as vLLM
    0.32 streams them (``vllm/v1/engine/detokenizer.py``): the detokenizer's text grows by each
    token's; a stop is looked for in what it added (with the stop's length before it), the text
    cut where the stop starts; and while running, the text's last ``max(len(stop)) - 1``
    characters are held back. A prompt that ends inside a character restarts the detokenizer:
    its text then starts with the whole decoded prompt, and a stop in it ends the request.
    ``ended``: the last token is the end token, which adds no text and releases what was held."""
    hold = max((len(stop) for stop in stops), default=1) - 1
    output, released, texts = "", 0, []
    before = decode(prompt)
    if before.endswith("\ufffd"):  # the detokenizer starts from nothing: the prompt comes again
        before = ""
    for end in range(1, len(generated) + 1):
        whole = decode(prompt + generated[:end - 1 if ended and end == len(generated) else end])
        added = "" if whole.endswith("\ufffd") else whole[len(before):]
        before = before if whole.endswith("\ufffd") else whole
        output += added
        found = [(output.find(stop, max(len(output) - len(added) - len(stop) + 1, 0)), stop) for stop in stops]
        hits = sorted((start + len(stop), start, stop) for start, stop in found if start >= 0 and added)
        if hits:
            output = output[:hits[0][1]]
            texts.append((output[released:], hits[0][2]))
            return texts
        shown = len(output) if end == len(generated) else max(len(output) - hold, released)
        texts.append((output[released:shown], None))
        released = shown
    return texts


def completions(script: dict[bytes, list[int]], gate: threading.Event | None = None) -> Any:
    """Streams the tokens ``script`` gives for the prompt's last bytes; a request without a
    script entry holds its connection until ``gate`` is set (a live change ends it)."""

    def route(handler: StubHandler, body: dict[str, Any]) -> None:
        prompt = body["prompt"]
        generated = next((ids for tail, ids in script.items() if bytes(prompt).endswith(tail)), None)
        if generated is None:
            return
        generated = generated[:body["max_tokens"]]
        ended = generated[-1:] == [0]  # the end token: the server writes no text for it
        texts = vllm_stream(prompt, generated, body.get("stop") or [], ended)
        handler.start_events()
        for position, (token, (text, stop)) in enumerate(zip(generated, texts)):
            last = position == len(texts) - 1
            finish = ("stop" if token == 0 or stop is not None else "length") if last else None
            handler.send_event(json.dumps(chunk(text, [token], finish, stop)))
            if gate is not None and position == 2 and not last and not gate.is_set():
                gate.wait(30)  # the client has the token, and changes a parameter: this request ends
                return
        handler.wfile.write(b"data: [DONE]\n\n")

    return route


def run(request: GenerationRequest, route: Any, handle: GenerationHandle | None = None,
        on_event: Any = None) -> tuple[Any, list[StreamEvent], list[dict[str, Any]]]:
    events: list[StreamEvent] = []

    def sink(batch: list[StreamEvent]) -> None:
        events.extend(batch)
        if on_event is not None:
            on_event(events)

    routes = {"/v1/models": models("m"), "/tokenize": tokenize, "/detokenize": detokenize, "/v1/completions": route}
    with stub_server(routes) as (url, seen):
        result = open_stub(url).generate(request, sink, handle)
    return result, events, [body for path, _, body in seen if path == "/v1/completions"]


def test_the_stub_writes_texts_as_vllm_does() -> None:
    assert vllm_texts(list(b"x = '"), [*SMILE, ord("a")]) == ["", "", "", "🙂", "a"]
    assert vllm_texts(list(b"x = '") + list(SMILE[:2]), [*SMILE[2:], ord("a")]) == ["", "x = '🙂", "a"]


def test_a_branch_from_inside_a_character_shows_the_character_not_the_prompt_again() -> None:
    request = GenerationRequest("x = '", SamplingParams(max_new_tokens=6), prefix_tokens=tuple(SMILE[:2]))
    result, events, [body] = run(request, completions({SMILE[:2]: [*SMILE[2:], ord("a"), ord("b")]}))
    assert body["prompt"] == [*b"x = '", *SMILE[:2]]
    [response] = result.responses
    assert response.token_ids == [*SMILE, ord("a"), ord("b")]
    assert response.text == "🙂ab" == "".join(event.text for event in events)


def test_a_live_change_inside_a_character_continues_the_text_exactly() -> None:
    """The change comes with the second byte of the smile: the new request starts inside it."""
    gate, handle = threading.Event(), GenerationHandle()
    script = {b"x = ": [ord("a"), *SMILE], SMILE[:2]: [*SMILE[2:], ord("b"), ord("c")]}

    def change_inside_the_character(events: list[StreamEvent]) -> None:
        tokens = [event for event in events if isinstance(event, TokenEvent)]
        if len(tokens) == 3 and not gate.is_set():
            handle.set_param("top_k", 7)
            gate.set()

    request = GenerationRequest("x = ", SamplingParams(max_new_tokens=7))
    result, events, bodies = run(request, completions(script, gate), handle, change_inside_the_character)
    assert [body["top_k"] for body in bodies] == [0, 7] and bodies[1]["prompt"][-2:] == list(SMILE[:2])
    [response] = result.responses
    assert response.token_ids == [ord("a"), *SMILE, ord("b"), ord("c")]
    assert response.text == "a🙂bc" == "".join(event.text for event in events)
    assert [(change.at_token, change.name) for change in result.live_changes] == [(3, "top_k")]


def test_a_row_that_ends_inside_a_character_shows_it_as_the_in_process_engine_does() -> None:
    """By its length, or by its end token: the bytes the server held back show as U+FFFD."""
    for generated, reason in (([ord("a"), *SMILE[:2]], "length"), ([ord("a"), *SMILE[:2], 0], "eos_token")):
        request = GenerationRequest("x = ", SamplingParams(max_new_tokens=len(generated)))
        result, events, _ = run(request, completions({b"x = ": generated}))
        [response] = result.responses
        assert (response.text, response.finish_reason) == ("a\ufffd", reason)
        assert "".join(event.text for event in events) == response.text


def test_a_branch_that_ends_at_its_forced_token_inside_a_character_shows_it() -> None:
    """Forced end-of-text (the stub's is ``<|endoftext|>``'s bytes: ``<`` is one of its end
    tokens) after given tokens that end inside a character: no request, and the row ends as in
    process, the unfinished character shown as U+FFFD; so does a branch that ends by its length."""
    ended = GenerationRequest("x = ", SamplingParams(max_new_tokens=6), prefix_tokens=(ord("a"), *SMILE[:2]),
                              forced_token=ord("<"))
    full = GenerationRequest("x = ", SamplingParams(max_new_tokens=3), prefix_tokens=(ord("a"), *SMILE[:2]))
    for request, reason in ((ended, "eos_token"), (full, "length")):
        result, events, bodies = run(request, completions({}))
        [response] = result.responses
        assert (bodies, response.text, response.finish_reason) == ([], "a\ufffd", reason)
        assert "".join(event.text for event in events) == response.text


def test_a_stop_in_the_prompt_does_not_end_a_branch_from_inside_a_character() -> None:
    """vLLM's detokenizer text starts with the whole prompt there, and it looks for stops in it:
    the client sends that request no stops and finds them in the request's own text, as in
    process (which looks for them in the response's text only)."""
    request = GenerationRequest("x\ny = '", SamplingParams(max_new_tokens=9, stop=("\n",)),
                                prefix_tokens=tuple(SMILE[:2]))
    result, events, [body] = run(request, completions({SMILE[:2]: [*SMILE[2:], *b"ab\ncd"]}))
    assert body["stop"] == []
    [response] = result.responses
    assert (response.token_ids, response.finish_reason) == ([*SMILE, *b"ab\n"], "stop_sequence")
    assert response.text == "🙂ab" == "".join(event.text for event in events)


def test_a_stop_sequence_held_back_does_not_repeat_text_after_a_character_split() -> None:
    """The prompt ends with the character the branch completes: text held back for a possible
    stop (the server holds the last ``len(stop) - 1`` characters) must not show it twice."""
    for stops, generated, text in (((";;",), b"ab;;c", "🙂ab"), (("zz", "\n\n"), b"abc", "🙂abc")):
        request = GenerationRequest("x = '🙂", SamplingParams(max_new_tokens=4 + len(generated), stop=stops),
                                    prefix_tokens=tuple(SMILE[:2]))
        result, events, _ = run(request, completions({SMILE[:2]: [*SMILE[2:], *generated]}))
        [response] = result.responses
        assert response.text == text == "".join(event.text for event in events)


def test_the_stub_streams_stops_as_vllm_does() -> None:
    """Held back ``len(stop) - 1`` characters while it runs, cut where the stop starts; from
    inside a character, the prompt again, and a stop in it ends the request at once."""
    assert vllm_stream(list(b"x"), list(b"abc;d"), [";;", "c;"]) == [("", None), ("a", None), ("b", None),
                                                                         ("", "c;")]
    assert vllm_stream(list(b"x"), list(b"abc"), ["zzz"]) == [("", None), ("", None), ("abc", None)]
    assert vllm_stream([*b"x\n", *SMILE[:2]], [*SMILE[2:], ord("a")], ["\n"]) == [("", None), ("x", "\n")]


def test_a_stop_in_given_tokens_after_a_split_character_ends_the_branch_at_its_token() -> None:
    """Without a local tokenizer the given tokens' texts come from the server: the stop's token
    ends the row, as in process, not the last given token (which once carried all the text)."""
    request = GenerationRequest("x = ", SamplingParams(max_new_tokens=9, stop=(";",)),
                                prefix_tokens=(ord("a"), *SMILE, *b";b"))
    result, events, bodies = run(request, completions({}))
    [response] = result.responses
    assert (bodies, response.token_ids, response.finish_reason) == ([], [ord("a"), *SMILE, ord(";")], "stop_sequence")
    assert response.text == "a🙂" == "".join(event.text for event in events)
    assert [event.text for event in events if isinstance(event, TokenEvent)] == ["a", "", "", "", "🙂", ""]
