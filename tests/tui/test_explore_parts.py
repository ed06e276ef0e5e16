"""The pieces behind the heatmap, the inspector, branching and the runs list, without an app."""

from __future__ import annotations

import math

import pytest

from playground.engine.types import GenerationRequest, LiveChange, RowFinished, TokenEvent, TokenInfo
from playground.params import SamplingParams
from playground.repl_probs import shown_token
from playground.runtime.running import Generation
from playground.runtime.token_view import PLAYGROUND_ALTERNATIVES, params_at
from playground.sessions.records import ModelRecord, ResponseRecord, RunRecord
from playground.tui.explore_control import branch_request, token_at
from playground.tui.messages import TokensStreamed
from playground.tui.probabilities import HEAT_BANDS, band_of, param_lines, percent
from playground.tui.runs import RunState
from playground.tui.screens.inspector import BranchChoice, bar, not_drawn, shown_text
from playground.tui.screens.runs_list import lineage, run_line
from playground.tui.state import PlaygroundState
from playground.tui.streaming import StreamBatcher
from playground.tui.text_diff import compare
from playground.tui.widgets.token_lines import CURSOR_STYLE, TokenLines
from playground.visible import printable
from tests.fakes import ScriptedEngine


def info(p: float) -> TokenInfo:
    return TokenInfo(math.log(p), None, 0.0, 1)


@pytest.mark.parametrize(("p", "label"), [(1.0, "≥ 90 %"), (0.9, "≥ 90 %"), (0.89, "50-90 %"), (0.5, "50-90 %"),
                                          (0.3, "20-50 %"), (0.2, "20-50 %"), (0.1, "5-20 %"), (0.05, "5-20 %"),
                                          (0.049, "< 5 %"), (1e-9, "< 5 %")])
def test_each_probability_falls_in_one_band(p, label):
    band = band_of(info(p))
    assert band is not None and band.label == label
    assert band_of(None) is None
    assert [b.floor for b in HEAT_BANDS] == sorted((b.floor for b in HEAT_BANDS), reverse=True)


def test_percentages_read_as_people_read_them():
    assert [percent(math.log(p)) for p in (0.873, 0.05, 0.0004, 1e-7)] == ["87.3%", "5.00%", "0.04%", "<0.01%"]
    assert percent(None) == "—"


def test_parameters_at_a_token_include_the_live_changes_made_before_it_on_its_row():
    base = SamplingParams.make(temperature=0.7)
    changes = [LiveChange(0, 3, "temperature", 0.2), LiveChange(1, 1, "top_k", 5), LiveChange(0, 5, "stop", ["\n"])]
    assert params_at(base, changes, 0, 2) == base
    assert params_at(base, changes, 0, 3).temperature == 0.2 and params_at(base, changes, 0, 3).top_k == 0
    assert params_at(base, changes, 0, 9).stop == ("\n",)
    assert params_at(base, changes, 1, 9) == base.replace(top_k=5)
    lines = param_lines(params_at(base, changes, 0, 9), ["temperature", "stop"])
    assert lines[0] == "*temperature 0.2 · top_p 0.9" and lines[-1].endswith(" · *stop ['\\n']")
    assert all(len(line) <= 36 for line in lines)


def test_bars_grow_by_eighths_of_a_cell():
    assert bar(0.0) == " " * 12 and bar(1.0) == "█" * 12 and bar(2.0) == "█" * 12
    assert bar(0.5, 4) == "██  " and bar(1 / 32, 4) == "▏   "


def shown_content(pieces, *, heat, cursor):
    lines = TokenLines()
    lines.heat, lines.cursor = heat, cursor
    lines.update(pieces)
    lines.render(80, lambda content, width: [])
    return lines.content()


def test_token_text_goes_in_as_text_with_its_styles_as_spans():
    from playground.tui.probabilities import TokenPiece

    pieces = [TokenPiece(0, 7, "[b]x", info(0.95)), TokenPiece(1, 8, "", info(0.005)), TokenPiece(2, 9, "\x1b", None)]
    content = shown_content(pieces, heat=True, cursor=1)
    assert content.plain == "[b]x·␛"  # an empty token shows as a dot, a control byte as its picture
    styles = [(s.start, s.end, s.style) for s in content.spans if isinstance(s.style, str)]
    assert (0, 4, HEAT_BANDS[0].style) in styles and (4, 5, HEAT_BANDS[-1].style) in styles
    assert (4, 5, CURSOR_STYLE) in styles and (5, 6, "$text-muted") in styles
    assert not any(isinstance(s.style, str) for s in shown_content(pieces, heat=False, cursor=None).spans)


def test_the_batcher_passes_on_token_ids_and_probabilities():
    posted: list[TokensStreamed] = []
    batcher = StreamBatcher(posted.append, interval=1.0, clock=lambda: 0.0)
    batcher([TokenEvent(0, 5, "a", info(0.5)), TokenEvent(1, 6, "b")])
    batcher([TokenEvent(0, 7, "c", info(0.25)), RowFinished(0, "length", "!")])
    batcher.flush()
    [message] = posted
    assert message.token_ids == {0: [5, 7], 1: [6]} and message.token_chars == {0: [1, 2], 1: [1]}
    assert message.infos == {0: [info(0.5), info(0.25)], 1: [None]}


def finished_run(request: GenerationRequest) -> RunState:
    engine = ScriptedEngine()
    run = RunState(Generation(engine, request))
    batcher = StreamBatcher(run.absorb, interval=1e9, clock=lambda: 0.0)
    run.result = engine.generate(request, batcher)
    batcher.flush()
    return run


def test_a_branch_asks_for_the_parents_prompt_prefix_and_parameters_at_that_token():
    request = GenerationRequest("def f():\n", SamplingParams.make(temperature=0.7, num_responses=2), suffix="\n",
                                logprobs=5)
    run = finished_run(request)
    run.result.live_changes = [LiveChange(1, 1, "temperature", 0.3), LiveChange(1, 3, "top_p", 0.5)]
    parent = RunRecord.from_result(request, run.result, "2026-11-26T10:00:00+00:00", ModelRecord("m"))
    branch = branch_request(parent, BranchChoice(1, 2, 201))
    assert branch.prompt == "def f():\n" and branch.suffix == "\n" and branch.columns is None
    assert branch.prefix_tokens == (100, 101) and branch.forced_token == 201
    assert branch.params.temperature == 0.3 and branch.params.top_p == 0.9  # the change after it is not in force
    assert branch.params.num_responses == 1 and branch.params.seed == 43  # row 1's own seed
    assert branch.logprobs == PLAYGROUND_ALTERNATIVES
    assert [piece.text for piece in run.pieces(0)] == list(ScriptedEngine().script)


def test_a_character_offset_finds_its_token():
    run = finished_run(GenerationRequest("x", logprobs=1))
    chars = run.token_chars[0]
    assert token_at(run, 0, 0) == 0 and token_at(run, 0, chars[0]) == 1
    assert token_at(run, 0, chars[0] - 1) == 0 and token_at(run, 0, 10_000) == len(chars) - 1


def test_the_playground_asks_for_probabilities_when_they_are_on():
    assert PlaygroundState(probabilities=True).request("x").logprobs == PLAYGROUND_ALTERNATIVES
    assert PlaygroundState(probabilities=False).request("x").logprobs is None


def record(run_id: str, parent: str | None = None, branch_point: int | None = None) -> RunRecord:
    params = SamplingParams(seed=1)
    return RunRecord(run_id, "2026-11-26T10:00:00+00:00", ModelRecord("m"), "p", None, params, None, 1,
                     (ResponseRecord(0, "x", [1, 2, 3, 4, 5], "length", 1, params),), parent=parent,
                     branch_point=branch_point)


def test_runs_group_under_the_run_they_branched_from():
    runs = [record("a"), record("b", "a", 3), record("c", "b", 1), record("d", "gone", 2), record("e", "a", 0)]
    tree = lineage(runs)
    assert [r.id for r in tree[None]] == ["a", "d"]  # a parent missing from the session: a root
    assert [r.id for r in tree["a"]] == ["b", "e"] and [r.id for r in tree["b"]] == ["c"]
    assert run_line(2, runs[1]).startswith("#2 · branch at token 4 · 5 tokens length · t 0.7")


def test_runs_whose_parents_loop_in_a_tampered_file_still_show_as_roots():
    runs = [record("a", "b", 1), record("b", "a", 1), record("s", "s", 0), record("c", "a", 2)]
    tree = lineage(runs)
    assert [r.id for r in tree[None]] == ["a", "b", "s"]  # none vanishes from the list
    assert [r.id for r in tree["a"]] == ["c"] and "s" not in tree and "b" not in tree


def test_a_comparison_marks_only_what_differs():
    left, right, ratio = compare("a = 1\nb = 2\n", "a = 1\nb = 3\nc = 4\n")
    assert "".join(t for t, _ in left.parts) == "a = 1\nb = 2\n"
    assert "".join(t for t, _ in right.parts) == "a = 1\nb = 3\nc = 4\n"
    assert [(t, k) for t, k in left.parts if k != "same"] == [("2", "changed")]
    assert [(t, k) for t, k in right.parts if k != "same"] == [("3", "changed"), ("c = 4\n", "only")]
    assert 0 < ratio < 1 and compare("same", "same")[2] == 1.0


def test_a_comparison_is_the_same_whichever_side_each_text_is_on():
    """difflib alone finds 15 % alike one way and 31 % the other for this pair."""
    a, b = "1(\nx\n2 1", "21a\n\n((1"
    left, right, ratio = compare(a, b)
    right_swapped, left_swapped, ratio_swapped = compare(b, a)
    assert (left, right, ratio) == (left_swapped, right_swapped, ratio_swapped)


def test_a_runs_parent_and_branch_point_survive_the_session_file():
    branch = record("b", "a", 3)
    again = RunRecord.read(branch.to_json(), "runs[1]")
    assert (again.parent, again.branch_point) == ("a", 3)
    older = {key: value for key, value in record("a").to_json().items() if key not in ("parent", "branch_point")}
    assert (RunRecord.read(older, "runs[0]").parent, RunRecord.read(older, "runs[0]").branch_point) == (None, None)


def test_a_token_without_a_sampled_probability_says_why():
    """Greedy drew nothing; a branch's given and forced tokens were not drawn; a sampled token
    without one came from a server (it reports raw probabilities only), not from greedy."""
    assert not_drawn(3, None, 0.0) == "greedy, not drawn"
    assert "server" in not_drawn(3, None, 0.7) and "greedy" not in not_drawn(3, None, 0.7)
    assert not_drawn(2, 4, 0.7) == "the parent's token, not drawn"
    assert not_drawn(4, 4, 0.7) == "forced, not drawn"
    assert "server" in not_drawn(5, 4, 0.7) and not_drawn(5, 4, 0.0) == "greedy, not drawn"


def test_the_inspector_names_a_token_s_text_as_the_repl_does_an_empty_one_included():
    """A piece of a split character has no text of its own yet: ``∅``, as ``/tokens`` shows it
    (the README says the two agree), not a blank after "text"."""
    for text in ("  ", " def", "\x04", "a\n\tb", ""):
        assert printable(shown_text(text)) == shown_token(text)
    assert shown_text("") == "∅"


def test_an_ab_runs_line_gives_both_columns_values_where_they_differ():
    a, b = SamplingParams(seed=1, temperature=0.2), SamplingParams(seed=1, temperature=0.8)
    run = RunRecord("ab", "2026-11-26T10:00:00+00:00", ModelRecord("m"), "p", None, a, (a, b), 1,
                    (ResponseRecord(0, "x", [1], "length", 1, a), ResponseRecord(1, "y", [2], "length", 1, b)))
    assert " · t 0.2/0.8 top_p 0.9 top_k 0 " in run_line(1, run)
    assert " · t 0.7 top_p 0.9 " in run_line(1, record("one"))
