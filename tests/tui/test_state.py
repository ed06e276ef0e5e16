"""The playground's state on its own: every change is a pure function of the last state."""

from playground.params import SamplingParams
from playground.tui.state import PlaygroundState

WARM = SamplingParams.make(temperature=0.9, num_responses=2, seed=4)


def test_linked_columns_move_together_and_unlinked_ones_apart():
    state = PlaygroundState.starting(WARM).with_value("temperature", 0.3)
    assert state.params.temperature == state.params_b.temperature == 0.3 and state.live_row is None
    state = state.with_columns(linked=False, editing=1).with_value("temperature", 1.5)
    assert (state.params.temperature, state.params_b.temperature, state.edited.temperature) == (0.3, 1.5, 1.5)
    assert state.live_row == 1
    relinked = state.with_columns(linked=True, editing=1)
    assert relinked.params_b == relinked.params and relinked.editing == 0


def test_the_number_of_responses_is_one_setting_for_both_columns():
    unlinked = PlaygroundState.starting(WARM).with_columns(linked=False, editing=1)
    preset = SamplingParams.make(temperature=0.0, num_responses=2)
    state = unlinked.with_params(preset)
    assert state.params_b == preset and state.params.num_responses == 2 and state.params.temperature == 0.9
    single = state.with_value("num_responses", 1)
    assert single.params.num_responses == single.params_b.num_responses == 1


def test_one_response_leaves_one_set_of_parameters_the_one_the_panel_showed():
    """Issue 13, item 1: after an unlinked A/B, switching two responses off keeps the edited
    column's parameters as the only set, and every later edit reaches the run."""
    ab = PlaygroundState.starting(WARM).with_columns(linked=False, editing=1).with_value("temperature", 2.0)
    single = ab.with_value("num_responses", 1)
    assert single.linked and single.editing == 0 and single.params == single.params_b
    assert single.params.temperature == 2.0 and single.params.num_responses == 1
    edited = single.with_value("max_new_tokens", 8)
    assert edited.request("x").params.max_new_tokens == 8 and edited.request("x").columns is None
    assert single.with_columns(linked=False, editing=1).linked  # one response: nothing to unlink
    again = edited.with_value("num_responses", 2)
    assert again.linked and again.params_b == again.params and again.params.max_new_tokens == 8
    from_session = ab.with_params(SamplingParams.make(top_k=5))  # a one-response session opened mid A/B
    assert from_session.linked and from_session.params.top_k == 5 == from_session.params_b.top_k


def test_the_request_gives_unlinked_columns_their_own_parameters():
    state = PlaygroundState.starting(WARM)
    assert state.request("x").columns is None and state.request("x", "y").suffix == "y"
    unlinked = state.with_columns(linked=False, editing=1).with_value("top_k", 40)
    request = unlinked.request("x")
    assert request.columns == (unlinked.params, unlinked.params_b) and request.columns[1].top_k == 40
    single = unlinked.with_value("num_responses", 1)
    assert single.request("x").columns is None
