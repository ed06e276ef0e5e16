import pytest

from playground import locations
from playground.errors import UserError
from playground.params import SamplingParams
from playground.presets import available_presets, find_preset, load_preset_file, save_user_preset


def test_shipped_presets_are_valid_and_default_is_the_model_card():
    presets, problems = available_presets()
    assert problems == []
    assert {"default", "greedy", "precise-code", "creative", "fim"} <= set(presets)
    assert presets["default"].apply(SamplingParams()) == SamplingParams()
    assert presets["greedy"].apply(SamplingParams()).temperature == 0
    precise = presets["precise-code"].apply(SamplingParams())
    assert (precise.temperature, precise.top_p) == (0.2, 0.95)
    assert presets["fim"].apply(SamplingParams()).stop


def test_user_preset_overrides_shipped_and_round_trips():
    params = SamplingParams.make(temperature=0.33, stop=["\n\n"], max_new_tokens=None)
    path = save_user_preset("greedy", params, "mine")
    assert path.parent == locations.user_presets_dir()
    preset = find_preset("greedy")
    assert not preset.shipped and preset.description == "mine"
    applied = preset.apply(SamplingParams())
    assert (applied.temperature, applied.stop, applied.max_new_tokens) == (0.33, ("\n\n",), None)  # none kept


def test_broken_user_preset_is_listed_as_a_problem_and_named_when_asked_for():
    folder = locations.user_presets_dir()
    folder.mkdir(parents=True)
    (folder / "bad.toml").write_text("top_p = 7")
    presets, problems = available_presets()
    assert "bad" not in presets and len(problems) == 1 and "bad.toml" in problems[0]
    with pytest.raises(UserError, match="bad.toml.*top_p"):
        find_preset("bad")


@pytest.mark.parametrize("name", ["", "../evil", ".hidden", "a/b"])
def test_bad_preset_names_are_refused(name):
    with pytest.raises(UserError):
        save_user_preset(name, SamplingParams())


def test_non_utf8_preset(tmp_path):
    path = tmp_path / "x.toml"
    path.write_bytes(b"\xff\xfe")
    with pytest.raises(UserError, match="x.toml"):
        load_preset_file(path)
