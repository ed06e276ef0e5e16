"""`starcoder-play generate` end to end, in-process and (once) as a real subprocess."""

import json
import os
import subprocess
import sys

import pytest

from playground.cli import main


def run(capsys, *argv, stdin=None, monkeypatch=None):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_json_output_has_exactly_the_documented_fields(capsys, tiny_model_dir):
    code, out, err = run(capsys, "generate", "--model", str(tiny_model_dir), "--prompt", "def f(x):",
                         "--json", "--num-responses", "2", "--seed", "5", "--max-new-tokens", "12")
    assert code == 0
    data = json.loads(out)
    assert set(data) == {"model", "prompt_tokens", "params", "responses", "timings"}
    assert data["params"]["seed"] == 5 and data["params"]["num_responses"] == 2
    assert set(data["timings"]) == {"load_s", "ttft_s", "decode_tokens_per_s", "total_s", "compile_s"}
    assert [r["index"] for r in data["responses"]] == [0, 1]
    for response in data["responses"]:
        assert set(response) >= {"index", "text", "token_ids", "finish_reason"}
        assert response["finish_reason"] == "length" and len(response["token_ids"]) == 12


def test_streamed_text_equals_the_json_text_for_the_same_seed(capsys, tiny_model_dir):
    args = ["generate", "--model", str(tiny_model_dir), "--prompt", "import os\n", "--seed", "9",
            "--max-new-tokens", "20"]
    code, streamed, err = run(capsys, *args)
    assert code == 0 and "seed 9" in err
    code, out, _ = run(capsys, *args, "--json")
    assert streamed == json.loads(out)["responses"][0]["text"] + "\n"


def test_preset_then_flags_override(capsys, tiny_model_dir, tmp_path):
    preset = tmp_path / "mine.toml"
    preset.write_text('temperature = 0.0\nmax_new_tokens = 7\ntop_k = 3\n')
    code, out, _ = run(capsys, "generate", "--model", str(tiny_model_dir), "--prompt", "x", "--json",
                       "--preset", str(preset), "--max-new-tokens", "4")
    params = json.loads(out)["params"]
    assert code == 0 and (params["temperature"], params["top_k"], params["max_new_tokens"]) == (0.0, 3, 4)
    code, out, _ = run(capsys, "generate", "--model", str(tiny_model_dir), "--prompt", "x", "--json",
                       "--preset", "precise-code", "--max-new-tokens", "2")
    assert (json.loads(out)["params"]["temperature"], json.loads(out)["params"]["top_p"]) == (0.2, 0.95)


@pytest.mark.parametrize("argv, expected", [
    (["--temperature", "150"], "temperature must be between 0 and 100"),
    (["--top-p", "0"], "top_p must be 0 < top_p <= 1"),
    (["--top-k", "1.5"], "top_k must be a whole number"),
    (["--seed", "-3"], "seed must be between 0"),
    (["--preset", "no-such-preset"], "unknown preset 'no-such-preset'"),
    (["--prompt-file", "/nonexistent/prompt.py"], "prompt file not found"),
])
def test_bad_input_is_one_line_and_exit_code_2(capsys, tiny_model_dir, argv, expected):
    base = ["generate", "--model", str(tiny_model_dir)]
    if "--prompt-file" not in argv:
        base += ["--prompt", "x"]
    code, out, err = run(capsys, *base, *argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and expected in err and err.startswith("starcoder-play: error:")


def test_broken_preset_file_names_the_file(capsys, tiny_model_dir, tmp_path):
    for name, text in [("syntax.toml", "temperature = = 1"), ("range.toml", "temperature = 300"),
                       ("type.toml", 'stop = "x"\ntop_k = "many"')]:
        path = tmp_path / name
        path.write_text(text)
        code, _, err = run(capsys, "generate", "--model", str(tiny_model_dir), "--prompt", "x", "--preset", str(path))
        assert code == 2 and str(path) in err and err.count("\n") == 1


def test_prompt_longer_than_the_context_is_refused(capsys, tiny_model_dir):
    code, out, err = run(capsys, "generate", "--model", str(tiny_model_dir), "--prompt", "x = 1\n" * 300)
    assert code == 2 and "context window is 160" in err and err.count("\n") == 1


def test_missing_model_is_one_line(capsys, tmp_path):
    code, _, err = run(capsys, "generate", "--model", str(tmp_path / "missing"), "--prompt", "x")
    assert code == 1 and "model not found" in err and err.count("\n") == 1


def test_fim_and_special_token_warning(capsys, tiny_model_dir):
    code, out, err = run(capsys, "generate", "--model", str(tiny_model_dir), "--prompt", "a = '<fim_pad>'",
                         "--suffix", "\nprint(a)", "--json", "--max-new-tokens", "3", "--seed", "1")
    assert code == 0 and "<fim_pad>" in err and "special token" in err
    assert json.loads(out)["prompt_tokens"] > 3


def test_two_responses_with_fill_in_the_middle(capsys, tiny_model_dir):
    code, out, _ = run(capsys, "generate", "--model", str(tiny_model_dir), "--prompt", "def f(x):\n    ",
                       "--suffix", "\nprint(f(1))\n", "--num-responses", "2", "--json", "--seed", "3",
                       "--max-new-tokens", "10", "--temperature", "1.0")
    responses = json.loads(out)["responses"]
    assert code == 0 and [r["seed"] for r in responses] == [3, 4]
    assert responses[0]["token_ids"] != responses[1]["token_ids"]
    code, out, _ = run(capsys, "generate", "--model", str(tiny_model_dir), "--prompt", "x = 1",
                       "--num-responses", "2", "--seed", "3", "--max-new-tokens", "4")
    assert code == 0 and "--- response 1 (seed 3" in out and "--- response 2 (seed 4" in out


def test_subprocess_reads_stdin_and_never_shows_a_traceback(tiny_model_dir, tmp_path):
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    ok = subprocess.run([sys.executable, "-m", "playground", "generate", "--model", str(tiny_model_dir),
                         "--json", "--max-new-tokens", "3"], input="def main():\n", capture_output=True,
                        text=True, env=env, timeout=300)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["prompt_tokens"] > 0
    bad = subprocess.run([sys.executable, "-m", "playground", "generate", "--model", str(tiny_model_dir),
                          "--prompt", "x", "--device", "cuda"], capture_output=True, text=True, env=env, timeout=300)
    assert bad.returncode == 1 and "Traceback" not in bad.stderr and "no CUDA GPU" in bad.stderr


def test_ctrl_c_while_the_model_loads_is_one_line_and_exit_130(capsys, monkeypatch, tiny_model_dir):
    import playground.cli as cli

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "open_engine", interrupted)
    code = main(["generate", "--model", str(tiny_model_dir), "--prompt", "x"])
    err = capsys.readouterr().err
    assert code == 130 and err.strip().splitlines() == ["starcoder-play: interrupted (Ctrl+C)"]


def test_empty_standard_input_is_refused_with_one_line_and_an_empty_prompt_starts_a_document(
        capsys, tiny_model_dir, monkeypatch):
    import io

    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"")))  # a pipe: bytes under the text
    code, out, err = run(capsys, "generate", "--model", str(tiny_model_dir), "--max-new-tokens", "3")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "standard input was empty" in err and "--prompt ''" in err
    code, out, err = run(capsys, "generate", "--model", str(tiny_model_dir), "--prompt", "", "--max-new-tokens", "3",
                         "--json")
    assert code == 0 and len(json.loads(out)["responses"][0]["token_ids"]) == 3


def test_stop_escapes_are_read_on_the_command_line_as_in_the_playground_and_the_repl(capsys, tiny_model_dir):
    code, out, _ = run(capsys, "generate", "--model", str(tiny_model_dir), "--prompt", "x", "--json",
                       "--max-new-tokens", "2", "--stop", "\\n\\n", "--stop", "a\\tb", "--stop", "\\\\n")
    assert code == 0 and json.loads(out)["params"]["stop"] == ["\n\n", "a\tb", "\\n"]
