"""The playground app: the one owner of the playground's state, and where its messages meet.

Data flows one way. The panel, the editor and the response pane show ``state`` (bound to it)
and post intents; the app applies each to ``state`` and to the running generation, through its
handle. Only the app (and the plain controllers it delegates to) writes ``state``; no widget does.
Workers load the model and generate in threads; their results come back as past-tense messages.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.command import CommandPalette
from textual.containers import Horizontal, Vertical
from textual.dom import DOMNode
from textual.notifications import SeverityLevel
from textual.reactive import reactive
from textual.widgets import Button, Footer
from textual.worker import Worker, WorkerState

from playground.config import AppConfig, load_config
from playground.engine.options import LoadOptions, LoadProgress
from playground.params import SamplingParams
from playground.presets import available_presets
from playground.runtime.describe import error_line
from playground.runtime.engines import EngineLoader, PlaygroundEngine
from playground.runtime.keeper import SessionKeeper
from playground.runtime.opening import describe_engine, open_engine, option_notes
from playground.runtime.prompts import FILL_MARKER
from playground.runtime.running import Generation
from playground.sessions.session import Session
from playground.tui.generation_control import GenerationControl
from playground.tui.keymap import binding_ids, checked_keymap
from playground.tui.messages import GenerationFinished, ModelLoaded, ModelLoadProgressed, TokensStreamed, WorkerFailed
from playground.tui.palette import PaletteCommand, PlaygroundCommands, ThemeCommands, playground_commands
from playground.tui.preset_control import PresetControl
from playground.tui.safe_text import printable
from playground.tui.screens.help import HelpScreen
from playground.tui.session_control import SessionControl
from playground.tui.signals import exit_on_signals
from playground.tui.state import PlaygroundState
from playground.tui.streaming import StreamBatcher
from playground.tui.theme_control import ThemeControl
from playground.tui.widgets.param_panel import ParameterPanel
from playground.tui.widgets.prompt_editor import PromptEditor
from playground.tui.widgets.responses import ResponsesPane
from playground.tui.widgets.status_bar import StatusBar


class PlaygroundApp(App[None]):
    """StarCoder2 in a terminal: write code, set every sampling knob, watch it complete."""

    CSS_PATH = "app.tcss"
    TITLE = "starcoder-play"
    COMMANDS = App.COMMANDS | {PlaygroundCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f5,ctrl+r", "generate", "Generate", id="generate", tooltip="Complete the prompt"),
        Binding("escape", "stop", "Stop", id="stop", priority=True, tooltip="Stop the generation within one step"),
        Binding("f3", "continue", "Continue", id="continue",
                tooltip="Append the response to the prompt (or put the fill in the hole) and generate on"),
        Binding("f4", "pin_seed", "Pin seed", id="pin-seed", tooltip="Reuse the last run's seed"),
        Binding("f8", "toggle_fim", "FIM", id="toggle-fim", tooltip="Fill-in-the-middle at <FILL> or the cursor"),
        Binding("ctrl+s", "save_session", "Save", id="save-session", tooltip="Save this session"),
        Binding("f2", "sessions", "Sessions", id="sessions", tooltip="Saved and recent sessions"),
        Binding("f1", "help", "Help", id="help", tooltip="Keys and parameters"),
    ]

    state: reactive[PlaygroundState] = reactive(PlaygroundState, init=False)
    """Both columns' parameters, linked or not, the column edited, FIM, language, last seed."""

    generating: reactive[bool] = reactive(False, init=False)
    """A generation is running."""

    def __init__(self, options: LoadOptions, params: SamplingParams | None = None, *,
                 loader: EngineLoader = open_engine, config: AppConfig | None = None,
                 prompt: str = "", session: Path | None = None) -> None:
        super().__init__()
        self.options = options
        self.set_reactive(PlaygroundApp.state, PlaygroundState.starting(params or SamplingParams()))
        self.keeper = SessionKeeper(Session(prompt=prompt, params=self.state.params))
        self.loader = loader
        self.config = config or load_config()
        self.engine: PlaygroundEngine | None = None
        self.generation = GenerationControl(self)
        self.sessions = SessionControl(self)
        self.themes = ThemeControl(self)
        self.presets = PresetControl(self)
        self._session_to_open = session
        self._initial_prompt = prompt
        self.crash: Exception | None = None  # re-raised by run_playground once the terminal is restored
        keymap, self.start_problems = checked_keymap(self.config.keymap, binding_ids([DOMNode]))
        self.set_keymap(keymap)

    # ---------------------------------------------------------------- layout
    def compose(self) -> ComposeResult:
        state = self.state
        presets, _problems = available_presets()
        choices = [(f"{p.name}: {p.description}" if p.description else p.name, p.name) for p in presets.values()]
        with Horizontal(id="main"):
            with Vertical(id="work"):
                yield PromptEditor(self._initial_prompt, state=state).data_bind(PlaygroundApp.state)
                yield ResponsesPane(state).data_bind(PlaygroundApp.state)
            yield ParameterPanel(state, presets=choices).data_bind(PlaygroundApp.state)
        yield StatusBar()
        yield Footer()

    def on_mount(self) -> None:
        exit_on_signals(self)
        self.themes.start()
        self.query_one(PromptEditor).focus()
        for problem in self.themes.problems + self.config.problems + self.start_problems + option_notes(self.options):
            self.notify(problem, severity="warning", timeout=8)
        if self._session_to_open is not None:
            self.sessions.open(self._session_to_open)
        # Load after the first frame is on screen: importing torch must not delay it.
        self.call_after_refresh(self.load_model, self.options)

    # ---------------------------------------------------------------- model
    @work(thread=True, exclusive=True, exit_on_error=False, group="load")
    def load_model(self, options: LoadOptions) -> None:
        def progressed(progress: LoadProgress) -> None:
            self.post_message(ModelLoadProgressed(progress))

        engine = self.loader(options, progressed)
        self.post_message(ModelLoaded(engine, describe_engine(engine)))

    def on_model_load_progressed(self, message: ModelLoadProgressed) -> None:
        progress = message.progress
        self.query_one(StatusBar).show_progress(progress.stage, progress.done, progress.total)

    def on_model_loaded(self, message: ModelLoaded) -> None:
        self.engine = message.engine
        self.query_one(StatusBar).show_model(message.description)
        self.query_one(PromptEditor).count_tokens_with(message.engine.count_tokens, message.engine.context_window)
        for warning in message.engine.loaded.warnings:
            self.notify(warning, title="Model loaded", severity="warning", timeout=10, markup=False)

    @on(Button.Pressed, "#load-demo")
    def action_load_demo(self) -> None:
        self.options = dataclasses.replace(self.options, demo=True)
        self.query_one(StatusBar).show_progress("building the demo model", None, None)
        self.load_model(self.options)

    # ---------------------------------------------------------------- workers: one place for errors
    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            self.post_message(WorkerFailed(event.worker.group, error_line(event.worker.error)))

    def on_worker_failed(self, message: WorkerFailed) -> None:
        if message.group == "load":
            self.engine = None
            self.query_one(StatusBar).show_error(message.message, offer_demo=not self.options.demo)
            self.notify(message.message, title="The model did not load", severity="error", timeout=10)
        else:
            self.generation.failed(message.message)

    # ---------------------------------------------------------------- generation
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "stop":
            return self.generating  # otherwise escape goes on to the focused widget
        return True

    def watch_generating(self) -> None:
        self.refresh_bindings()

    def action_generate(self) -> None:
        editor = self.query_one(PromptEditor)
        prompt, suffix = editor.split_at_hole() if self.state.fim else (editor.text, None)
        self.generation.start(self.state.request(prompt, suffix))

    @work(thread=True, exclusive=True, exit_on_error=False, group="generate")
    def run_generation(self, generation: Generation) -> None:
        batcher = StreamBatcher(self.post_message)
        result = generation.run(batcher)
        batcher.flush()
        self.post_message(GenerationFinished(result))

    def on_tokens_streamed(self, message: TokensStreamed) -> None:
        self.generation.streamed(message)

    def on_generation_finished(self, message: GenerationFinished) -> None:
        self.generation.finished(message.result)

    def action_stop(self) -> None:
        self.generation.stop()

    def action_continue(self, column: int = 0) -> None:
        """Append a response to the prompt (or put a fill into its hole) and generate on."""
        if self.action_keep(column, "prompt"):
            self.action_generate()

    def action_keep(self, column: int, how: str) -> bool:
        """Keep one column: ``copy`` it, or make it the ``prompt``."""
        return self.generation.keep(column, how)

    def action_clear_output(self) -> None:
        self.query_one(ResponsesPane).clear()
        self.query_one(StatusBar).show_run("")

    # ---------------------------------------------------------------- intents: the state's one writer
    @on(ParameterPanel.Changed)
    def _value_set(self, event: ParameterPanel.Changed) -> None:
        self.state = self.state.with_value(event.name, event.value)
        self.generation.steer(event.name, event.value, self.state.live_row)

    @on(ParameterPanel.ColumnsChanged)
    def _columns_set(self, event: ParameterPanel.ColumnsChanged) -> None:
        self.state = self.state.with_columns(event.linked, event.editing)

    @on(ParameterPanel.PresetChosen)
    def _preset_chosen(self, event: ParameterPanel.PresetChosen) -> None:
        self.action_apply_preset(event.name)

    @on(ParameterPanel.LanguageChanged)
    def _language_set(self, event: ParameterPanel.LanguageChanged) -> None:
        self.state = self.state.replace(language=event.language)

    def watch_state(self, old: PlaygroundState, new: PlaygroundState) -> None:
        if old.fim != new.fim:
            self.notify(f"Fill-in-the-middle: the hole is {FILL_MARKER}, or the cursor" if new.fim
                        else "Completion mode")

    def action_toggle_fim(self) -> None:
        self.state = self.state.replace(fim=not self.state.fim)

    def action_pin_seed(self) -> None:
        if self.state.last_seed is None:
            self.notify("No seed to pin yet: generate first.", severity="warning")
            return
        self.state = self.state.with_value("seed", self.state.last_seed)

    def action_apply_preset(self, name: str) -> None:
        self.presets.apply(name)

    def action_save_preset(self) -> None:
        self.presets.save()

    # ---------------------------------------------------------------- sessions, help, palette
    def action_save_session(self) -> None:
        self.sessions.save()

    def action_sessions(self) -> None:
        self.sessions.browse()

    def action_replay(self) -> None:
        self.sessions.replay()

    def action_export_markdown(self) -> None:
        self.sessions.export_markdown()

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.BINDINGS))

    def palette_commands(self) -> list[PaletteCommand]:
        presets, problems = available_presets()
        for problem in problems:
            self.notify(problem, severity="warning")
        offer_demo = self.engine is None or not self.options.demo
        return playground_commands(presets.values(), self.available_themes, offer_demo)

    def action_use_theme(self, name: str) -> None:
        self.theme = name

    def search_themes(self) -> None:
        """Textual's theme picker, with theme names (from files) shown as text."""
        self.push_screen(CommandPalette(providers=[ThemeCommands], placeholder="Search for themes…"))

    def action_help_quit(self) -> None:
        # Textual's own says this with markup, and every notification here is plain text.
        keys = [key for key, active in self.active_bindings.items() if active.binding.action in ("quit", "app.quit")]
        if keys:
            self.notify(f"Press {keys[0]} to quit the app", title="Do you want to quit?")

    def _handle_exception(self, error: Exception) -> None:
        # Textual exits (restoring the terminal), then would print a traceback with locals; the
        # CLI's rule is one line (STARCODER_PLAY_DEBUG=1 for the traceback): run_playground re-raises.
        self.crash = self.crash or error
        super()._handle_exception(error)
        self._exit_renderables.clear()

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = False) -> None:
        """Every notification shows its text as written: messages carry names, paths and values
        that users typed or files held, so none is read as markup (widgets' ``notify`` ask for
        markup by default; they get text too)."""
        super().notify(printable(message), title=printable(title), severity=severity, timeout=timeout, markup=False)


def create_app(options: LoadOptions, params: SamplingParams | None = None, session: Path | None = None, *,
               loader: EngineLoader = open_engine, config: AppConfig | None = None,
               prompt: str = "") -> PlaygroundApp:
    """The one factory: the CLI and the snapshot tests build the app the same way."""
    return PlaygroundApp(options, params, session=session, loader=loader, config=config, prompt=prompt)
