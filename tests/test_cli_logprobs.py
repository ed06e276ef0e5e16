"""`starcoder-play generate --logprobs N`: the JSON shape, its numbers, and out-of-range N."""

from __future__ import annotations

import json
import math

import pytest

from playground.cli import main


def generate_json(capsys, model_dir, *extra: str) -> dict:
    code = main(["generate", "--model", str(model_dir), "--prompt", "def f(x):", "--json", "--seed", "5",
                 "--max-new-tokens", "10", *extra])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


def test_each_response_lists_every_token_with_its_probabilities(capsys, tiny_model_dir, loaded):
    data = generate_json(capsys, tiny_model_dir, "--logprobs", "3", "--num-responses", "2", "--temperature", "0.8")
    for response in data["responses"]:
        entries = response["logprobs"]
        assert [e["token_id"] for e in entries] == response["token_ids"]  # one each, the last included
        for entry in entries:
            assert set(entry) == {"token_id", "text", "logprob", "sampled_logprob", "rank", "entropy", "top"}
            assert entry["text"] == loaded.tokenizer.decode([entry["token_id"]])
            assert entry["logprob"] <= 0 and entry["sampled_logprob"] <= 0 and entry["rank"] >= 1
            assert len(entry["top"]) == 3 and all(set(a) == {"token_id", "text", "logprob"} for a in entry["top"])
            best = [a["logprob"] for a in entry["top"]]
            assert best == sorted(best, reverse=True) and math.isclose(max(best[0], entry["logprob"]), best[0])
            assert (entry["rank"] <= 3) == (entry["token_id"] in [a["token_id"] for a in entry["top"]])


def test_greedy_tokens_have_no_sampled_probability_and_the_default_adds_nothing(capsys, tiny_model_dir):
    data = generate_json(capsys, tiny_model_dir, "--logprobs", "0", "--temperature", "0")
    assert all(e["sampled_logprob"] is None and e["top"] == [] and e["rank"] == 1
               for e in data["responses"][0]["logprobs"])
    assert "logprobs" not in generate_json(capsys, tiny_model_dir)["responses"][0]


@pytest.mark.parametrize("value", ["21", "-1", "two", "1.5", "", "1e3", "²"])
def test_an_out_of_range_count_is_one_line_and_exit_2(capsys, tiny_model_dir, value):
    with pytest.raises(SystemExit) as exit_code:  # argparse's own exit, before anything loads
        main(["generate", "--model", str(tiny_model_dir), "--prompt", "x", "--json", "--logprobs", value])
    out, err = capsys.readouterr()
    assert exit_code.value.code == 2 and out == ""
    assert err.count("\n") == 1 and "--logprobs" in err and "0 to 20" in err


def test_logprobs_without_json_says_to_add_it_before_anything_loads(capsys, tiny_model_dir):
    code = main(["generate", "--model", str(tiny_model_dir / "absent"), "--prompt", "x", "--logprobs", "3"])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "--logprobs" in err and "add --json" in err
