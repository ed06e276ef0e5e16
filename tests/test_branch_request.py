"""A branch asks for the parameters its parent had in force at the branch point."""

from __future__ import annotations

import pytest

from playground.engine.types import Alternative, TokenInfo
from playground.errors import UserError
from playground.params import SamplingParams
from playground.runtime.token_view import branch_request, resolve_alternative, run_params_at
from tests.session_records import make_run


def test_a_branch_before_a_live_change_uses_the_parameters_from_before_it() -> None:
    run = make_run(seed=7, tokens=5)  # temperature set to 0.0 live from token 2 of response 0
    start = SamplingParams().temperature
    assert start != 0.0
    assert run_params_at(run, 0, 1).temperature == start
    assert run_params_at(run, 0, 2).temperature == 0.0
    early, late = branch_request(run, 0, 1, 42, 5), branch_request(run, 0, 3, 42, None)
    assert early.params.temperature == start and late.params.temperature == 0.0
    assert early.prefix_tokens == (100,) and early.forced_token == 42 and early.logprobs == 5
    assert late.prefix_tokens == (100, 101, 102) and late.params.seed == 7 and late.params.num_responses == 1


def test_a_branch_outside_the_response_is_one_line() -> None:
    run = make_run(tokens=3)
    with pytest.raises(UserError, match="no token 3"):
        branch_request(run, 0, 3, 1, None)
    with pytest.raises(UserError, match="no response 2"):
        branch_request(run, 1, 0, 1, None)


@pytest.mark.parametrize("choice", ["²", "id:²", "0", "3", "id:-1", "id:", "-1", "9" * 5000, "id:" + "9" * 5000])
def test_an_alternative_that_is_not_plain_digits_or_out_of_the_list_is_one_line(choice: str) -> None:
    info = TokenInfo(-0.1, None, 0.5, 1, (Alternative(5, -0.1, "a"), Alternative(6, -2.0, "b")))
    with pytest.raises(UserError, match="give 1..2"):  # '²' passes str.isdigit but not int()
        resolve_alternative(info, choice)
    assert resolve_alternative(info, "2") == 6 and resolve_alternative(info, "id:99") == 99


def test_a_response_stopped_before_its_first_token_has_nothing_to_branch_from() -> None:
    run = make_run(tokens=0)
    with pytest.raises(UserError, match="^response 1 has no tokens to branch from"):  # not "give 0..-1"
        branch_request(run, 0, 0, 1, None)
