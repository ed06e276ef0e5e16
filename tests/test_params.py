import pytest

from playground.errors import UserError
from playground.params import PARAMETERS, SEED_LIMIT, ParamError, SamplingParams


def test_defaults_follow_the_model_card():
    params = SamplingParams()
    assert (params.max_new_tokens, params.temperature, params.top_p, params.min_p, params.top_k) == \
        (512, 0.7, 0.9, 0.0, 0)
    assert (params.repetition_penalty, params.presence_penalty, params.frequency_penalty) == (1.0, 0.0, 0.0)
    assert (params.num_responses, params.seed, params.stop) == (1, None, ())
    for name, spec in PARAMETERS.items():
        assert getattr(params, name) == spec.default


@pytest.mark.parametrize("name, value", [
    ("max_new_tokens", 0), ("max_new_tokens", 1_000_001), ("temperature", -0.1), ("temperature", 100.5),
    ("top_p", 0), ("top_p", 1.01), ("min_p", -0.01), ("min_p", 1.5), ("top_k", -1), ("top_k", 1000),
    ("top_k", 2.5), ("repetition_penalty", 0.001), ("repetition_penalty", 5.1), ("presence_penalty", -2.1),
    ("frequency_penalty", 2.1), ("num_responses", 3), ("num_responses", 0), ("seed", -1), ("seed", SEED_LIMIT),
    ("temperature", "abc"), ("temperature", "nan"), ("temperature", True), ("temperature", None),
])
def test_out_of_range_values_name_the_parameter_and_range(name, value):
    with pytest.raises(ParamError) as caught:
        SamplingParams.make({name: value})
    message = str(caught.value)
    assert message.startswith(name) and "\n" not in message
    assert isinstance(caught.value, UserError) and caught.value.exit_code == 2


@pytest.mark.parametrize("name, value, expected", [
    ("max_new_tokens", "none", None), ("max_new_tokens", "1000000", 1_000_000), ("top_p", "1", 1.0),
    ("temperature", "0", 0.0), ("top_k", "5.0", 5), ("seed", str(SEED_LIMIT - 1), SEED_LIMIT - 1),
    ("seed", 3725940588086597325, 3725940588086597325), ("repetition_penalty", 0.01, 0.01),
])
def test_edges_of_ranges_are_accepted_and_exact(name, value, expected):
    assert getattr(SamplingParams.make({name: value}), name) == expected


def test_unknown_parameter_and_bad_stops():
    with pytest.raises(ParamError, match="unknown parameter 'tempature'"):
        SamplingParams.make(tempature=1)
    with pytest.raises(ParamError, match="empty"):
        SamplingParams.make(stop=[""])
    with pytest.raises(ParamError, match="list of strings"):
        SamplingParams.make(stop=[1])
    assert SamplingParams.make(stop=["a", "a", "b"]).stop == ("a", "b")


def test_changes_from_defaults():
    changes = SamplingParams.make(temperature=0.2, stop=["\n"]).changes_from_defaults()
    assert changes == {"temperature": 0.2, "stop": ["\n"]}
