"""Command line: ``starcoder-play`` (the playground), ``generate`` (one-shot) and ``repl``.

Imports stay light: torch and transformers load only once a model is asked for, so the
playground draws its first frame before they are imported.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from playground import __version__
from playground.engine.options import (
    DECODE_PATHS,
    DEFAULT_MODEL,
    DEVICES,
    DTYPES,
    QUANTIZATIONS,
    LoadOptions,
    LoadProgress,
)
from playground.engine.types import GenerationRequest, StreamEvent
from playground.errors import UserError
from playground.params import PARAMETERS, STOP_HELP, SamplingParams, unescape
from playground.runtime.describe import error_message, loading_line, status_line
from playground.runtime.opening import DEMO_NOTICE, open_engine
from playground.runtime.running import Generation, run_interruptible

if TYPE_CHECKING:
    from playground.engine.engine import Engine

PROG = "starcoder-play"
EXIT_CANCELLED = 130


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="A terminal playground for the code model StarCoder2.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    _add_model_args(parser)
    _add_param_args(parser)
    parser.add_argument("--session", type=Path, help="reopen a saved session file")
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)
    generate = commands.add_parser("generate", help="one-shot completion, streamed or as JSON")
    _add_model_args(generate)
    _add_param_args(generate)
    prompt = generate.add_mutually_exclusive_group()
    prompt.add_argument("--prompt", help="the prompt text (default: standard input)")
    prompt.add_argument("--prompt-file", type=Path, help="read the prompt from a file")
    suffix = generate.add_mutually_exclusive_group()
    suffix.add_argument("--suffix", help="fill-in-the-middle: the code after the hole")
    suffix.add_argument("--suffix-file", type=Path, help="fill-in-the-middle: read the suffix from a file")
    generate.add_argument("--json", action="store_true", help="print one JSON object instead of streaming")
    repl = commands.add_parser("repl", help="a line-oriented REPL on the same engine")
    _add_model_args(repl)
    _add_param_args(repl)
    return parser


def _add_model_args(parser: argparse.ArgumentParser) -> None:
    # Subcommands repeat the flags with suppressed defaults, so a flag works before or after
    # the subcommand name without the subcommand's default overwriting it.
    group = parser.add_argument_group("model")
    sub = argparse.SUPPRESS if parser.prog != PROG else None
    group.add_argument("--model", default=sub or DEFAULT_MODEL,
                       help=f"hub id or local directory in transformers format (default {DEFAULT_MODEL})")
    group.add_argument("--revision", default=sub, help="hub revision (branch, tag or commit)")
    group.add_argument("--device", choices=DEVICES, default=sub or "auto",
                       help="auto: CUDA when present")
    group.add_argument("--dtype", choices=DTYPES, default=sub or "auto",
                       help="auto: bfloat16 on GPU, float32 on CPU")
    group.add_argument("--quantize", choices=QUANTIZATIONS, default=sub or "none",
                       help="bitsandbytes quantization (4bit: nf4, about 9 GB for 15B)")
    group.add_argument("--decode", choices=DECODE_PATHS, default=sub or "auto",
                       help="decode loop: auto (compiled static cache on CUDA, eager on CPU and for bitsandbytes), "
                            "eager, static (ring-buffer cache, not compiled) or compiled")
    group.add_argument("--demo", action="store_true", default=sub or False,
                       help="a tiny random-weight StarCoder2 built locally: try everything, output is noise")


def _add_param_args(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("sampling (defaults from the model card)")
    sub = argparse.SUPPRESS if parser.prog != PROG else None
    for spec in PARAMETERS.values():
        default = "random" if spec.name == "seed" else spec.default
        group.add_argument(spec.flag, dest=spec.name, default=sub, metavar="N",
                           help=f"{spec.help} Range: {spec.range_text()}; default {default}.")
    group.add_argument("--stop", action="append", default=sub, metavar="TEXT",
                       help=STOP_HELP + " Repeatable; \\n, \\t, \\r and \\\\ are read as newline, tab, "
                            "return and backslash.")
    group.add_argument("--preset", default=sub, metavar="NAME|PATH", help="start from a preset; flags override it")


def resolve_params(args: argparse.Namespace) -> SamplingParams:
    """Defaults, then the preset, then the flags."""
    from playground.presets import find_preset

    params = SamplingParams()
    if getattr(args, "preset", None):
        params = find_preset(args.preset).apply(params)
    flags = {name: getattr(args, name) for name in [*PARAMETERS, "stop"] if getattr(args, name, None) is not None}
    if "stop" in flags:  # the one escape rule: stops take \n, \t, \r, \\ everywhere (a prompt never does)
        flags["stop"] = [unescape(stop) for stop in flags["stop"]]
    return params.replace(**flags)


def load_options(args: argparse.Namespace) -> LoadOptions:
    return LoadOptions(model=args.model, revision=args.revision, device=args.device,
                       dtype=args.dtype, quantize=args.quantize, demo=args.demo, decode=args.decode)


def load_engine(options: LoadOptions, quiet: bool = False) -> Engine:
    """Open the engine, with a one-line progress display on a terminal's stderr."""
    show_progress = not quiet and sys.stderr.isatty()

    def show(progress: LoadProgress) -> None:
        if show_progress:
            sys.stderr.write(f"\r\033[K{loading_line(progress.stage, progress.done, progress.total)}")
            sys.stderr.flush()

    engine = open_engine(options, show, warm_up=False)  # one generation: it compiles on its own
    if show_progress:
        sys.stderr.write("\r\033[K")
    if engine.loaded.is_demo:
        print(f"{PROG}: {DEMO_NOTICE}", file=sys.stderr)
    if engine.will_compile(1) and not quiet:
        print(f"{PROG}: compiling the decode step first (a minute or two; the playground and the REPL "
              "do this once per session)", file=sys.stderr)
    return engine


def _read_text(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"{what} file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(f"cannot read {what} file {path}: {error}") from None


def read_request(args: argparse.Namespace, params: SamplingParams) -> GenerationRequest:
    if args.prompt is not None:
        prompt = args.prompt
    elif args.prompt_file is not None:
        prompt = _read_text(args.prompt_file, "prompt")
    elif not sys.stdin.isatty():
        prompt = sys.stdin.read()
        if not prompt.strip() and args.suffix is None and args.suffix_file is None:
            raise UserError("standard input was empty: pipe the prompt in, or give --prompt '' to start "
                            "a new document")
    else:
        raise UserError("no prompt: give --prompt TEXT, --prompt-file FILE, or pipe it on standard input")
    suffix = args.suffix if args.suffix is not None else (
        _read_text(args.suffix_file, "suffix") if args.suffix_file is not None else None)
    return GenerationRequest(prompt=prompt, params=params, suffix=suffix)


def command_generate(args: argparse.Namespace, params: SamplingParams) -> int:
    request = read_request(args, params)
    engine = load_engine(load_options(args), quiet=args.json)
    stream = not args.json and request.params.num_responses == 1 and request.columns is None

    def on_event(events: list[StreamEvent]) -> None:
        sys.stdout.write("".join(e.text for e in events))
        sys.stdout.flush()

    result = run_interruptible(Generation(engine, request), on_event if stream else None)
    for warning in result.warnings:
        print(f"{PROG}: warning: {warning}", file=sys.stderr)
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False))
    elif stream:
        print()
    else:
        for response in result.responses:
            print(f"--- response {response.index + 1} (seed {response.seed}, {response.finish_reason}) ---")
            print(response.text)
    if not args.json:
        print(f"{PROG}: {status_line(result)}", file=sys.stderr)
    cancelled = all(r.finish_reason == "cancelled" for r in result.responses)
    return EXIT_CANCELLED if cancelled else 0


def command_playground(args: argparse.Namespace, params: SamplingParams) -> int:
    from playground.tui.app import run_playground

    return run_playground(load_options(args), params, args.session)


def command_repl(args: argparse.Namespace, params: SamplingParams) -> int:
    from playground.repl import run_repl

    return run_repl(load_options(args), params)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    command = {"generate": command_generate, "repl": command_repl}.get(args.command, command_playground)
    try:
        return command(args, resolve_params(args))  # a bad value fails before any model loads
    except UserError as error:
        print(f"{PROG}: {error_message(error)}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        return EXIT_CANCELLED
    except Exception as error:  # noqa: BLE001 - the last line of defence: never a traceback
        if os.environ.get("STARCODER_PLAY_DEBUG"):
            raise
        print(f"{PROG}: {error_message(error)} (set STARCODER_PLAY_DEBUG=1 for the traceback)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
