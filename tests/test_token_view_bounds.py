"""A server's ranks and entropies are lower bounds, and say so wherever they are shown."""

from __future__ import annotations

from playground.engine.types import Alternative, TokenInfo
from playground.runtime.token_view import entropy_text, rank_text
from playground.server.wire import token_infos

TOP = (Alternative(5, -0.5, "a"), Alternative(6, -1.5, "b"))


def test_in_process_ranks_and_entropies_are_exact() -> None:
    info = TokenInfo(logprob=-4.0, sampled_logprob=None, entropy=2.5, rank=11, top=TOP)
    assert (rank_text(info), entropy_text(info)) == ("11", "2.50 nats")


def test_a_servers_rank_past_its_alternatives_and_its_entropy_are_lower_bounds() -> None:
    outside = TokenInfo(logprob=-4.0, sampled_logprob=None, entropy=1.2, rank=3, top=TOP, partial=True)
    inside = TokenInfo(logprob=-1.5, sampled_logprob=None, entropy=1.2, rank=2, top=TOP, partial=True)
    assert (rank_text(outside), entropy_text(outside)) == ("≥ 3", "≥ 1.20 nats")
    assert rank_text(inside) == "2"  # among the returned alternatives: exact


def test_the_servers_token_information_is_marked_partial() -> None:
    logprobs = {"token_logprobs": [-4.0], "top_logprobs": [{"token_id:5": -0.5, "token_id:6": -1.5,
                                                            "token_id:9": -4.0}]}
    [info] = token_infos(logprobs, [9], 2)
    assert info is not None and info.partial and info.rank == 3 and rank_text(info) == "≥ 3"


def test_the_json_of_a_servers_token_says_its_bounds_and_an_in_process_one_stays_as_before() -> None:
    logprobs = {"token_logprobs": [-4.0], "top_logprobs": [{"token_id:5": -0.5, "token_id:9": -4.0}]}
    [info] = token_infos(logprobs, [9], 1)
    assert info is not None and info.to_json(9)["partial"] is True
    exact = TokenInfo(logprob=-4.0, sampled_logprob=None, entropy=2.5, rank=11, top=TOP)
    assert "partial" not in exact.to_json(9)


def test_with_no_alternatives_a_servers_rank_is_only_a_lower_bound() -> None:
    # --logprobs 0: vLLM returns the token's own log-probability and nothing to rank it against.
    [info] = token_infos({"token_logprobs": [-4.0], "top_logprobs": [{"token_id:9": -4.0}]}, [9], 0)
    assert info is not None and info.top == () and rank_text(info) == "≥ 1"
