"""``starcoder-play repl``: a line-oriented REPL on the same engine, parameters and sessions.

Enter adds a line and alt+enter (escape, enter) sends the prompt; a line starting with ``/`` is
a command and goes with Enter. While a response streams, ctrl+c stops it and returns to the
prompt; ctrl+d on an empty prompt leaves.
"""

from __future__ import annotations

import sys
import threading
from typing import Any

from prompt_toolkit import PromptSession
from prompt_toolkit.history import History
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from prompt_toolkit.lexers import PygmentsLexer
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound
from rich.console import Console, Group
from rich.live import Live
from rich.panel import Panel
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from playground import locations
from playground.engine.options import LoadOptions, LoadProgress
from playground.engine.types import GenerationRequest, GenerationResult, StreamEvent
from playground.errors import UserError
from playground.params import SamplingParams
from playground.repl_commands import CommandCompleter, run_command, toolbar_text
from playground.repl_history import ReplHistory
from playground.repl_probs import styled
from playground.runtime.describe import error_message, status_line
from playground.runtime.engines import PlaygroundEngine
from playground.runtime.keeper import SessionKeeper
from playground.runtime.opening import DEMO_NOTICE, open_engine, option_notes
from playground.runtime.prompts import FILL_MARKER, split_at_marker
from playground.runtime.running import Generation, run_interruptible
from playground.runtime.token_view import PLAYGROUND_ALTERNATIVES, PROBABILITIES_BY_DEFAULT
from playground.sessions.records import RunRecord
from playground.sessions.session import Session


class StreamDisplay:
    """Shows the responses while they stream: plain text into a pipe, or on a terminal the tail
    of each response one above the other, replaced when complete by highlighted text (two
    responses side by side). With ``colour``, tokens show in their probability's colour, and
    stay so once complete."""

    def __init__(self, console: Console, rows: int, language: str, colour: bool = False) -> None:
        self.console, self.rows, self.language, self.colour = console, rows, language, colour
        self.parts: list[list[Text]] = [[] for _ in range(rows)]
        self._lock = threading.Lock()
        self._live: Live | None = None

    def __enter__(self) -> StreamDisplay:
        if self.console.is_terminal:
            self._live = Live(self._render(), console=self.console, transient=True, refresh_per_second=15,
                              get_renderable=self._render)
            self._live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.stop()

    def on_event(self, events: list[StreamEvent]) -> None:
        with self._lock:
            for event in events:
                self.parts[event.row].append(styled(event.text, getattr(event, "info", None) if self.colour
                                                    else None))
        if self._live is None and self.rows == 1:
            self.console.file.write("".join(e.text for e in events))
            self.console.file.flush()

    def _render(self) -> Group:
        height = max(3, (self.console.height - 2) // self.rows - 2)
        with self._lock:
            texts = [Text("").join(p) for p in self.parts]
        tails = [Text("\n").join(t.split("\n")[-height:]) for t in texts]
        if self.rows == 1:
            return Group(tails[0])
        return Group(*(Panel(t, title=f"response {i + 1}", title_align="left") for i, t in enumerate(tails)))

    def show_final(self, result: GenerationResult) -> None:
        if not self.console.is_terminal:
            if self.rows == 1:
                self.console.file.write("\n")
            else:
                for response in result.responses:
                    self.console.print(f"--- response {response.index + 1} (seed {response.seed}) ---", markup=False)
                    self.console.print(response.text, markup=False, highlight=False)
            return
        panels: list[Syntax | Text] = [Syntax(r.text, self.language, word_wrap=True, theme="monokai")
                                       for r in result.responses]
        if self.colour:  # the probabilities' colours instead of the syntax's
            panels = [Text("").join(parts) for parts in self.parts]
        if self.rows == 1:
            self.console.print(panels[0])
        else:
            grid = Table.grid(expand=True, padding=(0, 1))
            for _ in result.responses:
                grid.add_column(ratio=1)
            grid.add_row(*(Panel(p, title=f"response {i + 1} · seed {r.seed}", title_align="left")
                           for i, (p, r) in enumerate(zip(panels, result.responses))))
            self.console.print(grid)


class Repl:
    def __init__(self, engine: PlaygroundEngine, params: SamplingParams, *, console: Console | None = None,
                 history: History | None = None, **prompt_options: Any) -> None:
        self.engine = engine
        self.params = params
        self.console = console or Console()
        self.language = "python"
        self.fim_next = False
        self.last_seed: int | None = None
        #: /probs: ask for per-token probabilities and colour the stream by them.
        self.probabilities = PROBABILITIES_BY_DEFAULT
        self.keeper = SessionKeeper(Session(params=params))
        self.model_name = engine.name
        self.prompt_session: PromptSession[str] = PromptSession(
            message="» ", multiline=True, prompt_continuation="… ", key_bindings=self._bindings(),
            history=history if history is not None else _file_history(), completer=CommandCompleter(self),
            complete_while_typing=False, bottom_toolbar=lambda: toolbar_text(self),
            lexer=PygmentsLexer(type(get_lexer_by_name(self.language))), **prompt_options)

    def _bindings(self) -> KeyBindings:
        bindings = KeyBindings()

        @bindings.add("enter")
        def _enter(event: KeyPressEvent) -> None:
            buffer = event.current_buffer
            if buffer.text.startswith("/") and "\n" not in buffer.text:
                buffer.validate_and_handle()  # commands go with a plain Enter
            else:
                buffer.insert_text("\n")

        return bindings

    def say(self, text: str) -> None:
        self.console.print(text, style="dim", markup=False, highlight=False)

    def warn(self, text: str) -> None:
        self.console.print(f"warning: {text}", style="yellow", markup=False, highlight=False)

    def set_language(self, language: str) -> None:
        try:
            lexer = get_lexer_by_name(language)
        except ClassNotFound:
            raise UserError(f"unknown language {language!r} for highlighting; try python, rust, go, sql…") from None
        self.language = language
        self.prompt_session.lexer = PygmentsLexer(type(lexer))
        self.keeper.session.language = language

    def run(self) -> int:
        self.say(f"{self.model_name} · /help for commands · alt+enter sends · ctrl+d quits")
        while True:
            try:
                text = self.prompt_session.prompt()
            except KeyboardInterrupt:
                continue  # ctrl+c at the prompt clears the line, as in a shell
            except EOFError:
                return 0
            finally:
                history = self.prompt_session.history
                problem = history.take_problem() if isinstance(history, ReplHistory) else None
                if problem is not None:
                    self.warn(problem)
            try:
                if text.startswith("/") and "\n" not in text:
                    run_command(self, text.strip())
                elif text.strip():
                    self.generate(text)
            except EOFError:
                return 0
            except Exception as error:  # noqa: BLE001 - one line, and the REPL goes on
                self.console.print(error_message(error), style="red", markup=False, highlight=False)

    def build_request(self, text: str) -> GenerationRequest:
        if self.fim_next:
            hole = split_at_marker(text)
            if hole is None:
                raise UserError(f"/fim is on: put {FILL_MARKER} where the hole is (or send /fim again later)")
            self.fim_next = False
            return GenerationRequest(hole[0], self.params, suffix=hole[1], logprobs=self.alternatives)
        return GenerationRequest(text, self.params, logprobs=self.alternatives)

    @property
    def alternatives(self) -> int | None:
        return PLAYGROUND_ALTERNATIVES if self.probabilities else None

    def generate(self, text: str) -> GenerationResult:
        return self.run_request(self.build_request(text))

    def run_request(self, request: GenerationRequest, parent: RunRecord | None = None) -> GenerationResult:
        """Stream, show and record one generation (a branch names its ``parent`` run)."""
        generation = Generation(self.engine, request)
        display = StreamDisplay(self.console, len(generation.request.row_params()), self.language,
                                colour=request.logprobs is not None)
        with display:
            result = run_interruptible(generation, display.on_event)
        display.show_final(result)
        for warning in result.warnings:
            self.warn(warning)
        self.last_seed = result.seed
        # Autosaved before the status line: a run whose status was shown is on disk.
        problem = self.keeper.record(generation, result, self.params, parent=parent)
        if problem is not None:
            self.warn(problem)
        self.console.print(status_line(result), style="dim", markup=False, highlight=False)
        return result


def _file_history() -> History:
    return ReplHistory(locations.repl_history_file())


def load_with_progress(options: LoadOptions, console: Console) -> PlaygroundEngine:
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn

    for note in option_notes(options):
        console.print(f"note: {note}", style="yellow", markup=False, highlight=False)
    with Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), console=console,
                  transient=True, disable=not console.is_terminal) as progress:
        task = progress.add_task("loading", total=None)

        def report(update: LoadProgress) -> None:
            progress.update(task, description=update.stage, completed=update.done or 0, total=update.total)

        engine = open_engine(options, report)
    if engine.loaded.is_demo:
        console.print(DEMO_NOTICE, style="yellow", markup=False)
    for warning in engine.loaded.warnings:
        console.print(f"warning: {warning}", style="yellow", markup=False, highlight=False)
    return engine


def run_repl(options: LoadOptions, params: SamplingParams) -> int:
    console = Console(stderr=False)
    engine = load_with_progress(options, console)  # a UserError here is the CLI's one line
    if not sys.stdin.isatty():
        raise UserError("the REPL needs a terminal; for scripts use `starcoder-play generate`")
    return Repl(engine, params, console=console).run()
