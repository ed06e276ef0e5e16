"""The REPL's slash commands, their completion, and its bottom toolbar.

Commands change the REPL's state (parameters, language, FIM, session) and print through a
rich console; they never touch the engine. Names, ranges and messages are the CLI's own.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document
from rich.table import Table
from rich.text import Text

from playground.errors import UserError
from playground.params import PARAMETERS, SamplingParams, all_names, unescape
from playground.presets import available_presets, find_preset
from playground.repl_format import USAGE as FORMAT_USAGE
from playground.repl_format import WORDS as FORMAT_WORDS
from playground.repl_format import format_command
from playground.repl_probs import branch_command, probs_command, tokens_command
from playground.runtime.describe import assignments, format_value, preset_summary
from playground.runtime.parameters import apply_preset
from playground.runtime.prompts import FILL_MARKER, LANGUAGES
from playground.sessions.store import NameTaken
from playground.user_files import shown

if TYPE_CHECKING:
    from playground.repl import Repl


@dataclass
class Command:
    name: str
    usage: str
    help: str
    run: Callable[[Repl, list[str]], None]
    arguments: Callable[[Repl], Iterable[str]] = field(default=lambda repl: ())


def _cells(*values: str) -> list[Text]:
    """Table cells as text: a rich table reads a plain ``str`` as markup, and these hold stop
    sequences (``[/INST]``) and prompts."""
    return [Text(value) for value in values]


def shown_value(name: str, value: object) -> str:
    """A parameter's value as the REPL echoes it: as typed (``none``, ``random``, ``0.7``), and
    stops as Python strings (``['\\n']``: one newline, written the way ``/stop add`` takes it)."""
    if name == "stop":
        return repr(list(value)) if isinstance(value, (list, tuple)) else repr(value)
    if name == "seed":
        return "random" if value is None else str(value)
    return format_value(PARAMETERS[name], value) if isinstance(value, (int, float, type(None))) else repr(value)


def _set(repl: Repl, args: list[str]) -> None:
    if len(args) != 2:
        raise UserError("usage: /set NAME VALUE (see /show for the names)")
    name, value = args
    if name in ("stop", "response_format"):
        raise UserError("use /stop add TEXT or /stop clear" if name == "stop" else f"use {FORMAT_USAGE}")
    repl.params = repl.params.replace(**{name: value})
    repl.say(f"{name} = {shown_value(name, getattr(repl.params, name))}")


def _show(repl: Repl, args: list[str]) -> None:
    table = Table("parameter", "value", "default", "range", box=None, pad_edge=False)
    defaults = SamplingParams()
    for name, spec in PARAMETERS.items():
        value, default = getattr(repl.params, name), getattr(defaults, name)
        style = "bold" if value != default else ""
        table.add_row(*_cells(name, shown_value(name, value), shown_value(name, default), spec.range_text()),
                      style=style)
    table.add_row(*_cells("stop", shown_value("stop", repl.params.stop), "[]", "list of strings"),
                  style="bold" if repl.params.stop else "")
    table.add_row(*_cells("response_format", repl.params.response_format.label(40), "text", FORMAT_USAGE),
                  style="bold" if repl.params.response_format.constrained else "")
    repl.console.print(table)


def _reset(repl: Repl, args: list[str]) -> None:
    repl.params = SamplingParams()
    repl.say("parameters reset to the model card's defaults")


def _preset(repl: Repl, args: list[str]) -> None:
    if len(args) != 1:
        raise UserError("usage: /preset NAME (tab lists them)")
    preset = find_preset(args[0])
    repl.params = apply_preset(preset, repl.params)
    repl.say(f"preset {preset.name}: {preset_summary(preset)}")


def _seed(repl: Repl, args: list[str]) -> None:
    if not args:
        if repl.last_seed is None:
            raise UserError("no seed to pin yet: generate first, or /seed N")
        repl.params = repl.params.replace(seed=repl.last_seed)
    elif args[0] == "random":
        repl.params = repl.params.replace(seed=None)
    else:
        repl.params = repl.params.replace(seed=args[0])
    repl.say(f"seed = {shown_value('seed', repl.params.seed)}")


def _stop(repl: Repl, args: list[str]) -> None:
    if args[:1] == ["clear"] and len(args) == 1:
        repl.params = repl.params.replace(stop=())
    elif args[:1] == ["add"] and len(args) == 2:
        repl.params = repl.params.replace(stop=(*repl.params.stop, unescape(args[1])))
    else:
        raise UserError("usage: /stop add TEXT (\\n = newline) or /stop clear")
    repl.say(f"stop = {shown_value('stop', repl.params.stop)}")


def _responses(repl: Repl, args: list[str]) -> None:
    if len(args) != 1:
        raise UserError("usage: /n 1|2")
    repl.params = repl.params.replace(num_responses=args[0])
    repl.say(f"num_responses = {repl.params.num_responses}")


def _fim(repl: Repl, args: list[str]) -> None:
    repl.fim_next = True
    repl.say(f"fill-in-the-middle: write the next prompt with {FILL_MARKER} where the hole is")


def _lang(repl: Repl, args: list[str]) -> None:
    if len(args) != 1:
        raise UserError("usage: /lang NAME (tab lists some)")
    repl.set_language(args[0])
    repl.say(f"language = {repl.language}")


def _save(repl: Repl, args: list[str], overwrite: bool = False) -> None:
    """Save where the session lives now, or under NAME; the first save without a name uses
    the session's name (or "repl"). A NAME held by another session is refused unless ``/save!``."""
    keeper = repl.keeper
    name = " ".join(args) or None
    if name is None and keeper.path is None:
        name = keeper.session.name or "repl"
    try:
        path = keeper.save(repl.params, name=name, overwrite=overwrite)
    except NameTaken as taken:
        again = f"/save! {name}" if name else "/save! NAME"
        problem = taken.what.removesuffix("; overwrite it or pick another name")
        raise UserError(f"{shown(taken.path)}: {problem}: {again} overwrites it, or pick another name") from None
    repl.say(f"saved {path}")


def _save_over(repl: Repl, args: list[str]) -> None:
    _save(repl, args, overwrite=True)


def _load(repl: Repl, args: list[str]) -> None:
    if not args:
        raise UserError("usage: /load NAME (tab lists saved sessions)")
    session = repl.keeper.open(" ".join(args))
    repl.params = session.params
    repl.set_language(session.language)
    where = session.saved_path.name if session.saved_path else session.title
    repl.say(f"loaded {where}: {len(session.runs)} run(s); parameters restored")


def _history(repl: Repl, args: list[str]) -> None:
    runs = repl.keeper.session.runs
    if not runs:
        repl.say("no runs yet in this session")
        return
    table = Table("#", "prompt", "tokens", "finish", "seed", "branch of", box=None, pad_edge=False)
    numbers = {run.id: number for number, run in enumerate(runs, 1)}
    for number, run in enumerate(runs, 1):
        first = next((line for line in run.prompt.splitlines() if line.strip()), "")[:50]
        tokens = " / ".join(str(len(r.token_ids)) for r in run.responses)
        finish = " / ".join(r.finish_reason for r in run.responses)
        parent = numbers.get(run.parent or "", "?")
        origin = "" if run.branch_point is None else f"#{parent} at token {run.branch_point}"
        table.add_row(*_cells(str(number), first, tokens, finish, str(run.params.seed), origin))
    repl.console.print(table)


def _help(repl: Repl, args: list[str]) -> None:
    table = Table("command", "what it does", box=None, pad_edge=False)
    for command in COMMANDS.values():
        table.add_row(*_cells(command.usage, command.help))
    repl.console.print(table)
    repl.say("Enter adds a line; alt+enter (or escape, enter) sends the prompt; a /command sends with Enter. "
             "ctrl+r searches history; ctrl+c stops a generation; ctrl+d on an empty prompt quits.")


def _quit(repl: Repl, args: list[str]) -> None:
    raise EOFError


def _saved_names(repl: Repl) -> list[str]:
    return [entry.title for entry in repl.keeper.store.entries() if entry.kind == "saved" and entry.error is None]


COMMANDS: dict[str, Command] = {c.name: c for c in [
    Command("/set", "/set NAME VALUE", "set a parameter (same names and ranges as the CLI)", _set,
            lambda repl: [n for n in all_names() if n not in ("stop", "response_format")]),
    Command("/show", "/show", "the parameters, changed ones in bold", _show),
    Command("/reset", "/reset", "back to the model card's defaults", _reset),
    Command("/preset", "/preset NAME", "apply a preset", _preset, lambda repl: sorted(available_presets()[0])),
    Command("/seed", "/seed [N|random]", "pin seed N, or the last one used; random unpins", _seed,
            lambda repl: ["random"]),
    Command("/stop", "/stop add TEXT | clear", "add a stop sequence (\\n = newline) or clear them", _stop,
            lambda repl: ["add", "clear"]),
    Command("/n", "/n 1|2", "one response, or two side by side", _responses, lambda repl: ["1", "2"]),
    Command("/format", FORMAT_USAGE, "how to format the responses (JSON, a JSON Schema, a regex, a grammar)",
            format_command, lambda repl: FORMAT_WORDS),
    Command("/fim", "/fim", f"the next prompt holds a {FILL_MARKER} marker for the hole", _fim),
    Command("/lang", "/lang NAME", "syntax highlighting language", _lang, lambda repl: LANGUAGES),
    Command("/save", "/save [NAME]", "save this session (a NAME another session has is refused)", _save),
    Command("/save!", "/save! NAME", "save under NAME, overwriting the session saved there", _save_over,
            _saved_names),
    Command("/load", "/load NAME", "open a saved session", _load, _saved_names),
    Command("/history", "/history", "the runs of this session", _history),
    Command("/probs", "/probs on|off", "colour streamed tokens by probability", probs_command,
            lambda repl: ["on", "off"]),
    Command("/tokens", "/tokens [R]", "the last response's tokens, probabilities and alternatives", tokens_command),
    Command("/branch", "/branch K ALT [R]", "continue from token K with alternative ALT (a place in /tokens, "
            "or id:N)", branch_command),
    Command("/help", "/help", "this list", _help),
    Command("/quit", "/quit", "leave (as ctrl+d)", _quit),
]}


def run_command(repl: Repl, line: str) -> None:
    lexer = shlex.shlex(line, posix=True)
    lexer.whitespace_split = True
    lexer.escape = ""  # backslashes stay: /stop add "\n\ndef " keeps its escapes for unescape()
    try:
        words = list(lexer)
    except ValueError as error:
        raise UserError(f"cannot read the command: {error}") from None
    command = COMMANDS.get(words[0])
    if command is None:
        raise UserError(f"unknown command {words[0]}; /help lists them")
    command.run(repl, words[1:])


class CommandCompleter(Completer):
    def __init__(self, repl: Repl) -> None:
        self.repl = repl

    def get_completions(self, document: Document, complete_event: CompleteEvent) -> Iterable[Completion]:
        text = document.text_before_cursor
        if not text.startswith("/") or "\n" in text:
            return
        words = text.split(" ")
        if len(words) == 1:
            candidates: Iterable[str] = COMMANDS
        elif len(words) == 2 and words[0] in COMMANDS:
            candidates = COMMANDS[words[0]].arguments(self.repl)
        else:
            return
        for candidate in candidates:
            if candidate.startswith(words[-1]):
                yield Completion(candidate, start_position=-len(words[-1]))


def toolbar_text(repl: Repl) -> str:
    shown = assignments(repl.params.changes_from_defaults(), " ") or "model card defaults"
    fim = " · FIM next" if repl.fim_next else ""
    return f" {repl.model_name} · {shown}{fim} · /help"
