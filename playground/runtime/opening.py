"""Opening an engine with progress, and the words for what was opened.

torch and transformers are imported here only when a model is opened, never at import time:
the playground draws its first frame before they load.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from playground import locations
from playground.engine.options import DEFAULT_MODEL, LoadOptions, LoadProgress
from playground.runtime.engines import PlaygroundEngine, ProgressCallback

if TYPE_CHECKING:
    from playground.engine.engine import Engine

DEMO_NOTICE = "demo model: random weights, the output is noise"
COMPILING_STAGE = "compiling the decode step (once per session)"


def open_engine(options: LoadOptions, progress: ProgressCallback, *, warm_up: bool = True) -> PlaygroundEngine:
    """The engine ``options`` ask for: a server's (``--server``, no torch), or the model loaded here."""
    if options.server is not None:
        from playground.server.engine import open_server

        return open_server(options, progress)
    return load_local_engine(options, progress, warm_up=warm_up)


def load_local_engine(options: LoadOptions, progress: ProgressCallback, *, warm_up: bool = True) -> Engine:
    """Load the model and build its engine. With ``warm_up`` (the playground, the REPL) the
    compiled decode step is compiled now, reported as one more stage, so the first generation
    does not wait for it; a one-shot ``generate`` leaves that to its one generation."""
    from playground.engine.loading import load_model, quiet_transformers

    quiet_transformers()
    if options.quantize != "none":
        # bitsandbytes logs a warning per layer and step on CPU (one MatMul8bitLt line per
        # matmul): the loader's warnings say it once instead.
        logging.getLogger("bitsandbytes").setLevel(logging.ERROR)
    from playground.engine.engine import Engine

    engine = Engine(load_model(options, progress, demo_dir=locations.demo_model_dir()), decode=options.decode)
    if warm_up and engine.will_compile(1):
        progress(LoadProgress(COMPILING_STAGE))
        engine.warm_up()
    return engine


def compiles_first(engine: PlaygroundEngine) -> bool:
    """Whether the engine's first generation starts by compiling its decode step (never on a server)."""
    will_compile = getattr(engine, "will_compile", None)
    return bool(will_compile is not None and will_compile(1))


def describe_engine(engine: PlaygroundEngine) -> str:
    """The model line: name, device, precision, GPU memory in use, load time."""
    loaded = engine.loaded
    text = loaded.describe()
    if loaded.device.type == "cuda":
        import torch  # already imported by the engine: a CUDA device means a real model

        text += f" · {torch.cuda.memory_allocated() / 1e9:.1f} GB GPU memory"
    verb = "connected" if getattr(loaded, "url", None) else "loaded"  # a server's model is not loaded here
    return text + f" · {verb} in {loaded.load_s:.1f} s"


def option_notes(options: LoadOptions) -> list[str]:
    """Options that will not do what they say, one line each, said before loading."""
    notes = []
    if options.server is not None:
        # Everything that picks or places a model here does nothing when the server runs it.
        ignored = [flag for flag, on in (("--demo", options.demo), ("--model", options.model != DEFAULT_MODEL),
                                         ("--revision", options.revision is not None),
                                         ("--device", options.device != "auto"), ("--dtype", options.dtype != "auto"),
                                         ("--quantize", options.quantize != "none"),
                                         ("--decode", options.decode != "auto")) if on]
        if ignored:
            picking = " (--server-model NAME picks the server's model)" if options.model != DEFAULT_MODEL else ""
            notes.append(f"--server generates on the server: {', '.join(ignored)} ignored{picking}")
        return notes
    if options.demo and options.model != DEFAULT_MODEL:
        notes.append(f"--demo uses the built-in demo model: --model {options.model} is ignored")
    return notes
