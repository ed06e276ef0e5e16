"""Every ``starcoder-play generate`` example in the README runs as written.

Each example line is handed to bash exactly as the README prints it (its quoting, ``$'…'``
and pipes are the shell's), with ``starcoder-play`` standing for a function that records the
arguments and standard input it was given. The CLI then runs on them in-process, on the tiny
test model, and every request it builds is checked: no backslash-n reached the model as two
characters where a newline was meant.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
from pathlib import Path

import pytest

from playground import cli
from playground.runtime.running import run_interruptible

README = Path(__file__).resolve().parents[1] / "README.md"
RECORDER = 'starcoder-play() { printf "%s\\0" "$@" > "$ARGS_FILE"; if [ ! -t 0 ]; then cat > "$STDIN_FILE"; fi; }\n'


def readme_generate_examples() -> list[str]:
    blocks = re.findall(r"```bash\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    return [line.strip() for block in blocks for line in block.splitlines() if "starcoder-play generate" in line]


def shell_words(line: str, folder: Path) -> tuple[list[str], str]:
    """The arguments and standard input bash gives ``starcoder-play`` for ``line``."""
    args_file, stdin_file = folder / "args", folder / "stdin"
    stdin_file.write_text("")
    subprocess.run(["bash", "-c", RECORDER + line], cwd=folder, check=True, stdin=subprocess.DEVNULL,
                   env={"PATH": "/usr/bin:/bin", "ARGS_FILE": str(args_file), "STDIN_FILE": str(stdin_file)})
    return args_file.read_bytes().decode().split("\0")[:-1], stdin_file.read_text()


def test_the_readme_has_the_examples_it_promises():
    examples = readme_generate_examples()
    assert len(examples) >= 4 and any("--suffix" in e for e in examples) and any("--stop" in e for e in examples)


@pytest.mark.parametrize("line", readme_generate_examples())
def test_a_readme_example_runs_as_written(line, tiny_model_dir, tmp_path, monkeypatch, capsys):
    (tmp_path / "main.py").write_text("import sys\n\n\ndef main():\n")
    (tmp_path / "prompt.py").write_text("def fibonacci(n):\n")
    argv, stdin = shell_words(line, tmp_path)
    assert argv[0] == "generate"
    requests = []

    def recording(generation, on_event=None):
        requests.append(generation.request)
        return run_interruptible(generation, on_event)

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cli, "run_interruptible", recording)
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(stdin.encode())))  # a pipe: bytes under the text
    code = cli.main([*argv, "--model", str(tiny_model_dir), "--device", "cpu"])
    out, err = capsys.readouterr()
    assert code == 0, err
    (request,) = requests
    for text in (request.prompt, request.suffix or "", *request.params.stop):
        assert "\\n" not in text  # an escape meant as a newline never reaches the model as two characters
    if "--stop" in argv:
        assert request.params.stop == ("\n\n\n",)
    if "--suffix" in argv:
        assert request.prompt.endswith(":\n    ") and request.suffix.startswith("\n\n")
    if "--json" in argv:
        assert len(json.loads(out)["responses"]) == request.params.num_responses
    else:
        assert "tokens ·" in err  # the status line
