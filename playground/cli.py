"""Command line: ``starcoder-play`` (the playground), ``generate`` (one-shot) and ``repl``.

Imports stay light: torch and transformers load only once a model is asked for, so the
playground draws its first frame before they are imported.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from playground import __version__, cli_io
from playground.engine.options import (
    DECODE_PATHS,
    DEFAULT_MODEL,
    DEVICES,
    DTYPES,
    QUANTIZATIONS,
    LoadOptions,
    LoadProgress,
)
from playground.engine.types import MOST_ALTERNATIVES, GenerationRequest, StreamEvent
from playground.errors import UserError
from playground.format_input import add_format_args, format_from_args
from playground.params import PARAMETERS, STOP_HELP, SamplingParams, unescape
from playground.runtime.describe import error_message, format_note, is_user_facing, loading_line, status_line
from playground.runtime.engines import PlaygroundEngine
from playground.runtime.opening import DEMO_NOTICE, compiles_first, open_engine, option_notes
from playground.runtime.prompt_check import check_prompt_fits
from playground.runtime.running import Generation, run_interruptible

PROG = "starcoder-play"
EXIT_CANCELLED = cli_io.EXIT_CANCELLED
EXIT_ENVIRONMENT = cli_io.EXIT_ENVIRONMENT


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
    generate.add_argument("--logprobs", type=alternatives_count, metavar="N",
                          help="with --json: each token's probabilities and its N most likely alternatives (0-20)")
    repl = commands.add_parser("repl", help="a line-oriented REPL on the same engine")
    _add_model_args(repl)
    _add_param_args(repl)
    return parser


def alternatives_count(text: str) -> int:
    """--logprobs N: a whole number from 0 to 20 (argparse turns the error into one line, exit 2)."""
    digits = text.strip()
    if not (digits.isascii() and digits.isdigit()) or int(digits) > MOST_ALTERNATIVES:  # not '²'
        raise argparse.ArgumentTypeError(f"give a whole number from 0 to {MOST_ALTERNATIVES} (got {text!r})")
    return int(text)


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
    group.add_argument("--server", default=sub, metavar="URL",
                       help="generate on an OpenAI-compatible server (vLLM) instead of loading the model here; "
                            "its API key from the environment variable STARCODER_PLAY_API_KEY")
    group.add_argument("--server-model", default=sub, metavar="NAME",
                       help="the server's model to use when it serves several (default: its only one)")


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
    add_format_args(group, sub)
    group.add_argument("--preset", default=sub, metavar="NAME|PATH", help="start from a preset; flags override it")


def resolve_params(args: argparse.Namespace) -> SamplingParams:
    """Defaults, then the preset, then the flags."""
    from playground.presets import find_preset

    params = SamplingParams()
    if getattr(args, "preset", None):
        params = find_preset(args.preset).apply(params)
    flags = {name: getattr(args, name) for name in [*PARAMETERS, "stop"] if getattr(args, name, None) is not None}
    if "stop" in flags:  # the one escape rule: stops take \n, \t, \r, \\ everywhere (a prompt never does)
        flags["stop"] = [unescape(cli_io.checked_text(stop, "--stop")) for stop in flags["stop"]]
    response_format = format_from_args(args)
    return params.replace(**flags, **({"response_format": response_format} if response_format else {}))


def load_options(args: argparse.Namespace) -> LoadOptions:
    return LoadOptions(model=args.model, revision=args.revision, device=args.device, dtype=args.dtype,
                       quantize=args.quantize, demo=args.demo, decode=args.decode, server=args.server,
                       server_model=args.server_model)


#: Control characters in a message (a model name, a path) written as escapes, never sent to the terminal.
_SHOWN_CONTROLS = {code: f"\\x{code:02x}" for code in [*range(32), 127] if chr(code) != "\t"}


def say(line: str) -> None:
    """One line on standard error, ``starcoder-play: …``, as plain text (control characters
    escaped); a closed standard error is no crash."""
    with contextlib.suppress(AttributeError, OSError, ValueError):
        print(f"{PROG}: {line.translate(_SHOWN_CONTROLS)}", file=sys.stderr, flush=True)


def load_engine(options: LoadOptions, quiet: bool = False) -> PlaygroundEngine:
    """Open the engine, with a one-line progress display on a terminal's stderr."""
    show_progress = not quiet and sys.stderr.isatty()

    def show(progress: LoadProgress) -> None:
        if show_progress:
            sys.stderr.write(f"\r\033[K{loading_line(progress.stage, progress.done, progress.total)}")
            sys.stderr.flush()

    for note in option_notes(options):
        say(f"note: {note}")
    engine = open_engine(options, show, warm_up=False)  # one generation: it compiles on its own
    if show_progress:
        sys.stderr.write("\r\033[K")
    if engine.loaded.is_demo:
        say(DEMO_NOTICE)
    for warning in engine.loaded.warnings:
        say(f"warning: {warning}")
    if compiles_first(engine) and not quiet:
        say("compiling the decode step first (a minute or two; the playground and the REPL do this once "
            "per session)")
    return engine


def read_request(args: argparse.Namespace, params: SamplingParams) -> GenerationRequest:
    """The prompt (and FIM suffix), read in bounds and checked to be UTF-8 text."""
    if args.prompt is not None:
        prompt = cli_io.checked_text(args.prompt, "--prompt")
    elif args.prompt_file is not None:
        prompt = cli_io.read_file(args.prompt_file, "prompt")
    else:
        piped = cli_io.read_stdin()
        if piped is None:
            raise UserError("no prompt: give --prompt TEXT, --prompt-file FILE, or pipe it on standard input")
        if not piped.strip() and args.suffix is None and args.suffix_file is None:
            raise UserError("standard input was empty: pipe the prompt in, or give --prompt '' to start "
                            "a new document")
        prompt = piped
    suffix = cli_io.checked_text(args.suffix, "--suffix") if args.suffix is not None else (
        cli_io.read_file(args.suffix_file, "suffix") if args.suffix_file is not None else None)
    return GenerationRequest(prompt=prompt, params=params, suffix=suffix, logprobs=args.logprobs)


def command_generate(args: argparse.Namespace, params: SamplingParams) -> int:
    if args.logprobs is not None and not args.json:  # computed, then never shown: say so
        raise UserError("--logprobs N adds each token's probabilities to the --json output: add --json")
    request = read_request(args, params)
    cli_io.require_stdout()
    options = load_options(args)
    if options.server is None:
        check_prompt_fits(options, request.prompt, request.suffix)  # before minutes of loading weights
    engine = load_engine(options, quiet=args.json)
    stream = not args.json and request.params.num_responses == 1 and request.columns is None

    def on_event(events: list[StreamEvent]) -> None:
        cli_io.write("".join(e.text for e in events))

    generation = Generation(engine, request)
    result = run_interruptible(generation, on_event if stream else None)
    for warning in result.warnings:
        say(f"warning: {warning}")
    if args.json:
        cli_io.write(json.dumps(result.to_json(), ensure_ascii=False) + "\n")
    elif stream:
        cli_io.write("\n")
    else:
        cli_io.write("".join(f"--- response {response.index + 1} (seed {response.seed}, {response.finish_reason}"
                             f"{format_note(response)}) ---\n{response.text}\n" for response in result.responses))
    if not args.json:
        say(status_line(result))
    cancelled = [r.finish_reason == "cancelled" for r in result.responses]
    if any(cancelled) and not generation.handle.cancelled:
        return EXIT_ENVIRONMENT  # cut short by a server that died, not by Ctrl+C: scripts must tell them apart
    return EXIT_CANCELLED if all(cancelled) else 0


def command_playground(args: argparse.Namespace, params: SamplingParams) -> int:
    from playground.tui.launch import run_playground

    return run_playground(load_options(args), params, args.session)


def command_repl(args: argparse.Namespace, params: SamplingParams) -> int:
    from playground.repl import run_repl

    return run_repl(load_options(args), params)


def main(argv: Sequence[str] | None = None) -> int:
    """Run a command; every way it can end is one line on standard error and an exit code
    (see ``cli_io``). Called as the program (``argv`` None), a Ctrl+C after the work is done
    ends the process at once instead of interrupting its exit handlers."""
    try:
        try:
            return _run(build_parser().parse_args(argv))
        finally:
            if argv is None:
                cli_io.finish_quietly()
    except KeyboardInterrupt:  # between the command's end and finish_quietly: nothing left to stop
        return EXIT_CANCELLED


def _run(args: argparse.Namespace) -> int:
    command = {"generate": command_generate, "repl": command_repl}.get(args.command, command_playground)
    try:
        return command(args, resolve_params(args))  # a bad value fails before any model loads
    except UserError as error:
        say(error_message(error))
        return error.exit_code
    except KeyboardInterrupt:  # during loading or start-up: generation has its own cancelled line
        say("interrupted (Ctrl+C)")
        return EXIT_CANCELLED
    except BrokenPipeError:
        say("the output's reader went away (broken pipe): generation stopped")
        return cli_io.reader_gone()
    except Exception as error:  # noqa: BLE001 - the last line of defence: never a traceback
        if os.environ.get("STARCODER_PLAY_DEBUG"):
            raise
        hint = "" if is_user_facing(error) else " (set STARCODER_PLAY_DEBUG=1 for the traceback)"
        say(error_message(error) + hint)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
