"""The REPL's /probs, /tokens and /branch, driven through prompt_toolkit's pipe input."""

from __future__ import annotations

import io
import math

from prompt_toolkit.history import InMemoryHistory
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput
from rich.console import Console
from rich.text import Text

from playground.engine.types import TokenInfo
from playground.params import SamplingParams
from playground.repl import Repl, StreamDisplay
from playground.repl_probs import BAND_STYLES, shown_token, styled
from tests.test_repl import EOF_KEY, SEND

PARAMS = SamplingParams.make(max_new_tokens=8, seed=3, temperature=0.9)


def drive(engine, keys: str) -> tuple[Repl, str]:
    console = Console(file=io.StringIO(), width=160, force_terminal=False, color_system=None)
    with create_pipe_input() as pipe:
        pipe.send_text(keys + EOF_KEY)
        repl = Repl(engine, PARAMS, console=console, history=InMemoryHistory(), input=pipe, output=DummyOutput())
        assert repl.run() == 0
    return repl, console.file.getvalue()


def lines(*commands: str) -> str:
    return "".join(command + "\r" for command in commands)


def test_probabilities_are_on_by_default_and_off_tokens_says_how_to_get_them(engine):
    repl, out = drive(engine, "def f(x):" + SEND + lines("/probs off") + "def g(x):" + SEND + lines("/tokens"))
    first, second = repl.keeper.session.runs
    assert first.responses[0].probabilities is not None
    assert second.responses[0].probabilities is None
    assert "error: the last run has no probabilities: /probs on, then generate" in out


def test_tokens_lists_each_token_with_its_probability_and_alternatives(engine):
    repl, out = drive(engine, lines("/probs on") + "def f(x):" + SEND + lines("/tokens", "/probs maybe"))
    run = repl.keeper.last_run
    infos = run.responses[0].probabilities
    assert infos is not None and len(infos) == 8 and all(len(info.top) == 10 for info in infos)
    assert "probabilities on" in out and "< 5 %" in out  # the legend
    table = out.split("top 5 alternatives")[1]
    for info in infos:
        assert f"{100 * math.exp(info.logprob):.1f}%" in table
    assert f"1:{shown_token(infos[0].top[0].text)}" in table
    assert "error: usage: /probs on|off" in out


def test_tokens_shows_spaces_and_control_characters_as_the_inspector_does():
    # a token of spaces was a blank cell, and a control byte was \x04 where the stream shows ␄
    assert [shown_token(t) for t in ("  ", " def", "\x04", "a\n\tb", "")] == ["␠␠", "␠def", "␄", "a\\n\\tb", "∅"]


def test_branch_continues_from_a_token_with_the_chosen_alternative(engine):
    repl, out = drive(engine, lines("/probs on") + "def f(x):" + SEND + lines("/branch 3 2", "/branch 3 id:7",
                                                                                  "/branch 99 1", "/branch 3 11",
                                                                                  "/history", "/branch ² 1",
                                                                                  "/branch " + "9" * 5000 + " 1",
                                                                                  "/tokens ²"))
    parent, second, third = repl.keeper.session.runs
    tokens, infos = parent.responses[0].token_ids, parent.responses[0].probabilities
    assert second.responses[0].token_ids[:4] == tokens[:3] + [infos[3].top[1].token_id]
    assert third.responses[0].token_ids[:4] == tokens[:3] + [7]
    # /branch works on the last run: the third run branches from the second
    for branch, source, forced in ((second, parent, infos[3].top[1].token_id), (third, second, 7)):
        assert (branch.parent, branch.branch_point, branch.forced_token) == (source.id, 3, forced)
        assert branch.prompt == parent.prompt and branch.responses[0].seed == parent.responses[0].seed
    assert "error: no token 99 in response 1: give 0..7" in out
    assert "error: no alternative '11' at this token: give 1..10" in out
    assert "#1 at token 3" in out and "#2 at token 3" in out
    assert "internal error" not in out and out.count("error: usage: /branch K ALT") == 2  # '²' is no number
    assert out.count("error: usage: /tokens [R]") == 1


def test_streamed_tokens_take_their_probabilitys_colour_as_plain_text():
    sure = TokenInfo(logprob=-0.01, sampled_logprob=None, entropy=0.1, rank=1)
    unlikely = TokenInfo(logprob=-6.0, sampled_logprob=-5.0, entropy=3.0, rank=40)
    assert styled("[bold]x[/bold]", sure).plain == "[bold]x[/bold]"  # user text is never markup
    assert (styled("a", sure).style, styled("b", unlikely).style) == (BAND_STYLES[0], BAND_STYLES[-1])
    console = Console(file=io.StringIO(), force_terminal=True, color_system="truecolor")
    display = StreamDisplay(console, 1, "python", colour=True)
    from playground.engine.types import TokenEvent

    display.on_event([TokenEvent(0, 5, "ok", sure), TokenEvent(0, 6, "[red]no", unlikely)])
    rendered = display._render().renderables[0]
    assert isinstance(rendered, Text) and rendered.plain == "ok[red]no"
    assert [span.style for span in rendered.spans] == [BAND_STYLES[0], BAND_STYLES[-1]]


def test_a_models_control_bytes_reach_a_terminal_as_pictures_and_a_pipe_as_they_are():
    from playground.engine.types import GenerationResult, ResponseResult, Timings, TokenEvent

    hostile = "x\x1b[2Jy\x07\n"
    terminal = Console(file=io.StringIO(), force_terminal=True, color_system="truecolor", width=80)
    with StreamDisplay(terminal, 1, "python") as display:
        display.on_event([TokenEvent(0, 5, hostile)])
        assert display._render().renderables[0].plain.rstrip("\n") == "x␛[2Jy␇"
    result = GenerationResult("m", 1, PARAMS, [ResponseResult(0, hostile, [5], "length", 3, PARAMS)],
                              Timings(0, 0, 0, 0))
    display.show_final(result)
    assert "\x1b[2J" not in terminal.file.getvalue() and "␛[2J" in terminal.file.getvalue()
    pipe = Console(file=io.StringIO(), force_terminal=False)
    with StreamDisplay(pipe, 1, "python") as piped:
        piped.on_event([TokenEvent(0, 5, hostile)])
    assert pipe.file.getvalue() == hostile


def test_branch_refuses_the_token_the_run_wrote(engine):
    # greedy: every token is the most likely, so alternative 1 is the token written (it re-ran the same run)
    repl, out = drive(engine, lines("/set temperature 0") + "def f(x):" + SEND + lines("/branch 2 1"))
    assert len(repl.keeper.session.runs) == 1
    assert "error: that is the token response 1 wrote at 2: choose another alternative" in out
