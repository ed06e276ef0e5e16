"""`generate` at the edges of its streams, as a real process: bad bytes in, closed or full or
vanished outputs, Ctrl+C after the work is done, prompts too large or too long for the model.
Each ends in one line on stderr and the documented exit code, never a traceback."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def command(model: Path | str, *args: str | bytes) -> list[str | bytes]:
    return [sys.executable, "-m", "playground", "generate", "--model", str(model), "--seed", "1", *args]


def run(argv: list[str | bytes], **kwargs) -> subprocess.CompletedProcess[bytes]:
    kwargs.setdefault("stdout", subprocess.PIPE)
    return subprocess.run(argv, stderr=subprocess.PIPE, cwd=ROOT, timeout=300, **kwargs)


def one_line(stderr: bytes) -> str:
    text = stderr.decode()
    assert "Traceback" not in text, text
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("starcoder-play: "), text
    return lines[0]


def test_invalid_utf8_in_the_prompt_argument_is_refused_before_loading(tmp_path):
    done = run(command(tmp_path / "no-model", "--prompt", b"def f\xff():"))
    assert done.returncode == 2
    assert "--prompt is not valid UTF-8 text" in one_line(done.stderr)
    done = run(command(tmp_path / "no-model", "--prompt", "x", "--stop", b"\xfe"))
    assert done.returncode == 2 and "--stop is not valid UTF-8 text" in one_line(done.stderr)


def test_invalid_utf8_on_stdin_is_refused(tmp_path):
    done = run(command(tmp_path / "no-model"), input=b"print('\xff')\n")
    assert done.returncode == 2
    assert "the prompt on standard input is not UTF-8 text (an invalid byte at offset 7)" in one_line(done.stderr)


def test_closed_stdin_and_closed_stdout(tmp_path):
    base = " ".join(f"'{part}'" for part in command(tmp_path / "no-model"))
    done = run(f"{base} <&-", shell=True)
    assert done.returncode == 2 and "no prompt" in one_line(done.stderr)
    done = run(f"{base} --prompt x >&-", shell=True, stdout=None)
    assert done.returncode == 1 and "standard output is closed" in one_line(done.stderr)


def test_a_prompt_file_larger_than_the_bound_is_refused_before_the_model_loads(tmp_path):
    big = tmp_path / "big.py"
    with big.open("wb") as file:
        file.truncate(50 * 1024 * 1024)  # 50 MB (sparse: nothing written)
    done = run(command(tmp_path / "no-model", "--prompt-file", str(big)))  # no model: it was never reached
    assert done.returncode == 2 and "larger than 8 MB" in one_line(done.stderr)
    done = run(command(tmp_path / "no-model", "--prompt-file", "/dev/zero"))
    assert done.returncode == 2 and "larger than 8 MB" in one_line(done.stderr)
    with big.open("rb") as piped:
        done = run(command(tmp_path / "no-model"), stdin=piped)
    assert done.returncode == 2 and "larger than 8 MB" in one_line(done.stderr)


def test_a_prompt_longer_than_the_context_is_refused_with_the_tokenizer_alone(tiny_model_dir, tmp_path):
    no_weights = tmp_path / "tokenizer-and-config-only"
    no_weights.mkdir()
    for name in ("tokenizer.json", "config.json"):
        shutil.copy(tiny_model_dir / name, no_weights / name)
    done = run(command(no_weights, "--prompt", "x = 1\n" * 200))  # the weights would be refused next
    assert done.returncode == 2
    assert "but the context window is 160: shorten it to at most 159 tokens" in one_line(done.stderr)


def test_dev_full_is_one_line_and_exit_code_1(tiny_model_dir):
    with open("/dev/full", "wb") as full:  # the JSON at the end; the streamed text meets a broken pipe below
        done = run(command(tiny_model_dir, "--prompt", "x", "--max-new-tokens", "3", "--json"), stdout=full)
    assert done.returncode == 1
    assert "cannot write the output: No space left on device" in one_line(done.stderr)


def test_a_reader_gone_away_is_a_broken_pipe_exit_141(tiny_model_dir):
    read_end, write_end = os.pipe()
    os.close(read_end)  # like `| head -c 10` once head has left: every write fails with EPIPE
    try:
        done = run(command(tiny_model_dir, "--prompt", "x", "--max-new-tokens", "20"), stdout=write_end)
    finally:
        os.close(write_end)
    assert done.returncode == 141
    assert "broken pipe" in one_line(done.stderr)


def test_ctrl_c_right_after_the_json_is_printed_is_no_traceback(tiny_model_dir):
    process = subprocess.Popen(command(tiny_model_dir, "--prompt", "x", "--json", "--max-new-tokens", "3"),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    assert process.stdout is not None
    printed = json.loads(process.stdout.readline())
    process.send_signal(signal.SIGINT)  # lands in whatever comes after the print: exit handlers included
    _out, err = process.communicate(timeout=300)
    assert len(printed["responses"][0]["token_ids"]) == 3
    assert "Traceback" not in err.decode() and "KeyboardInterrupt" not in err.decode()
    assert process.returncode in (0, 130, -signal.SIGINT)  # done, or ended by the Ctrl+C (a shell says 130)
