"""The playground app: prompt editor, parameter panel, streamed responses.

Data flows one way: the panel's parameters and the editor's text become a request; a worker
runs the engine; its events come back as batched messages. The running generation is steered
only through its ``GenerationHandle`` (cancel, live parameter changes).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, ClassVar

from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Button, Footer, TextArea
from textual.worker import Worker, WorkerState

from playground.config import AppConfig, load_config, remember_theme
from playground.presets import available_presets
from playground.sessions import RunRecord, Session, SessionStore
from playground.engine.options import LoadOptions, LoadProgress
from playground.errors import UserError
from playground.params import LIVE_PARAMETERS, SamplingParams
from playground.themes import DEFAULT_THEME, available_themes
from playground.tui.columns import column_titles
from playground.tui.commands import apply_preset, palette_commands
from playground.tui.messages import ModelLoaded, ModelLoadProgressed, WorkerFailed
from playground.tui.runs import RunState
from playground.tui.screens.help import HelpScreen
from playground.tui.generation_actions import GenerationActions
from playground.tui.session_actions import SessionActions
from playground.tui.widgets.param_panel import ParameterPanel
from playground.tui.widgets.prompt_editor import PromptEditor
from playground.tui.widgets.response_view import ResponseView
from playground.tui.widgets.status_bar import StatusBar

#: Builds an engine in the worker thread: (options, progress callback) -> engine.
Loader = Callable[[LoadOptions, Callable[[LoadProgress], None]], Any]


def load_engine_with_progress(options: LoadOptions, progress: Callable[[LoadProgress], None]) -> Any:
    from playground.engine.loading import load_model, quiet_transformers

    quiet_transformers()
    from playground.engine.engine import Engine

    engine = Engine(load_model(options, progress), decode=options.decode)
    if engine.will_compile(1):
        progress(LoadProgress("compiling the decode step (once per session)"))
        engine.warm_up()
    return engine


def describe_error(error: BaseException) -> str:
    if isinstance(error, UserError):
        return str(error)
    first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"internal error: {type(error).__name__}: {first_line}"


class PlaygroundApp(GenerationActions, SessionActions, App[None]):
    """StarCoder2 in a terminal: write code, set every sampling knob, watch it complete."""

    CSS_PATH = "app.tcss"
    TITLE = "starcoder-play"
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

    fim: reactive[bool] = reactive(False, init=False)
    """Fill-in-the-middle mode: the prompt is split at the hole."""

    generating: reactive[bool] = reactive(False, init=False)
    """A generation is running."""

    def __init__(self, options: LoadOptions, params: SamplingParams | None = None, *,
                 loader: Loader = load_engine_with_progress, config: AppConfig | None = None,
                 prompt: str = "", session: Path | None = None) -> None:
        super().__init__()
        self.options = options
        self.params = params or SamplingParams()
        self.params_b = self.params  # column B's parameters, once the columns are unlinked
        self.linked = True
        self.editing = 0  # the column the panel edits
        self.store = SessionStore()
        self.session = Session(prompt=prompt, params=self.params)
        self._session_to_open = session
        self._replaying: RunRecord | None = None
        self.loader = loader
        self.config = config or load_config()
        self.engine: Any = None
        self.run_state: RunState | None = None
        self.syntax_theme = "monokai"
        self._count_timer: Timer | None = None
        self._initial_prompt = prompt
        self._theme_files, self._theme_problems = available_themes()
        for theme_file in self._theme_files.values():
            self.register_theme(theme_file.theme)
        if self.config.keymap:
            self.set_keymap(self.config.keymap)

    # ---------------------------------------------------------------- layout
    def compose(self) -> ComposeResult:
        with Horizontal(id="main"):
            with Vertical(id="work"):
                yield PromptEditor(self._initial_prompt)
                with Horizontal(id="responses"):
                    yield ResponseView(0)
                    yield ResponseView(1)
            presets, _problems = available_presets()
            yield ParameterPanel(self.params, presets=[
                (f"{p.name}: {p.description}" if p.description else p.name, p.name) for p in presets.values()])
        yield StatusBar()
        yield Footer()

    def on_mount(self) -> None:
        wanted = self.config.theme if self.config.theme in self.available_themes else DEFAULT_THEME
        self.theme = wanted
        self._apply_syntax_theme(wanted)
        self._starting_theme: str | None = wanted  # applied, not chosen: never written to config.toml
        self.theme_changed_signal.subscribe(self, lambda theme: self._theme_chosen(theme.name))
        self.query_one("#response-1").display = self.params.num_responses == 2
        self.query_one(PromptEditor).focus()
        for problem in self._theme_problems + self.config.problems:
            self.notify(problem, severity="warning", timeout=8)
        self._update_prompt_title()
        if self._session_to_open is not None:
            self.open_session(self._session_to_open)
        # Load after the first frame is on screen: importing torch must not delay it.
        self.call_after_refresh(self.load_model, self.options)

    # ---------------------------------------------------------------- model
    @work(thread=True, exclusive=True, exit_on_error=False, group="load")
    def load_model(self, options: LoadOptions) -> None:
        engine = self.loader(options, lambda progress: self.post_message(ModelLoadProgressed(progress)))
        self.post_message(ModelLoaded(engine, describe_engine(engine)))

    def on_model_load_progressed(self, message: ModelLoadProgressed) -> None:
        p = message.progress
        self.query_one(StatusBar).show_progress(p.stage, p.done, p.total)

    def on_model_loaded(self, message: ModelLoaded) -> None:
        self.engine = message.engine
        self.query_one(StatusBar).show_model(message.description)
        self._update_prompt_title()

    @on(Button.Pressed, "#load-demo")
    def load_demo(self) -> None:
        self.options = dataclasses.replace(self.options, demo=True)
        self.query_one(StatusBar).show_progress("building the demo model", None, None)
        self.load_model(self.options)

    # ---------------------------------------------------------------- workers: one place for errors
    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            self.post_message(WorkerFailed(event.worker.group, describe_error(event.worker.error)))

    def on_worker_failed(self, message: WorkerFailed) -> None:
        status = self.query_one(StatusBar)
        if message.group == "load":
            self.engine = None
            status.show_error(message.message, offer_demo=not self.options.demo)
            self.notify(message.message, title="The model did not load", severity="error", timeout=10)
        else:
            self.generating = False
            status.show_run(message.message)
            self.notify(message.message, title="Generation failed", severity="error", timeout=10)

    # ---------------------------------------------------------------- generation
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "stop":
            return self.generating  # otherwise escape goes on to the focused widget
        return True

    def action_pin_seed(self) -> None:
        if not self.query_one("#seed-field").pin_last_used():
            self.notify("No seed to pin yet: generate first.", severity="warning")

    def action_toggle_fim(self) -> None:
        self.fim = not self.fim

    def watch_fim(self, fim: bool) -> None:
        self._update_prompt_title()
        self.notify("Fill-in-the-middle: the hole is <FILL>, or the cursor" if fim else "Completion mode")

    def watch_generating(self, generating: bool) -> None:
        self.refresh_bindings()

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_clear_output(self) -> None:
        for view in self._response_views():
            view.start()
        self.query_one(StatusBar).show_run("")

    # ---------------------------------------------------------------- parameters, prompt, themes
    @on(ParameterPanel.Changed)
    def _params_changed(self, event: ParameterPanel.Changed) -> None:
        if self.linked or self.editing == 0:
            self.params = event.params
        if self.linked or self.editing == 1:
            self.params_b = event.params
        if event.name == "num_responses":  # one setting for both columns
            self.params = self.params.replace(num_responses=event.value)
            self.params_b = self.params_b.replace(num_responses=event.value)
            if not self.generating:
                self.query_one("#response-1").display = event.value == 2
        self._show_column_titles()
        if self.generating and self.run_state is not None and (event.name in LIVE_PARAMETERS or event.name == "stop"):
            row = None if self.linked else self.editing
            self.run_state.handle.set_param(event.name, event.value, row)

    @on(ParameterPanel.ColumnsChanged)
    def _columns_changed(self, event: ParameterPanel.ColumnsChanged) -> None:
        if event.linked and not self.linked:
            self.params_b = self.params
        self.linked, self.editing = event.linked, event.editing
        panel = self.query_one(ParameterPanel)
        panel.set_params(self.params if self.editing == 0 else self.params_b)
        self._show_column_titles()

    @on(ParameterPanel.PresetChosen)
    def _preset_chosen(self, event: ParameterPanel.PresetChosen) -> None:
        presets, _problems = available_presets()
        if event.name in presets:
            apply_preset(self, presets[event.name])

    def _show_column_titles(self) -> None:
        titles = column_titles(self.params, self.params_b, self.linked)
        views = self._response_views()
        if self.params.num_responses == 1 and self.linked:
            views[0].border_title = "response"
            return
        for view, title in zip(views, titles):
            view.border_title = title

    @on(ParameterPanel.LanguageChanged)
    def _language_changed(self, event: ParameterPanel.LanguageChanged) -> None:
        for area in self.query(TextArea):
            area.language = event.language
        self._update_prompt_title()

    @on(TextArea.Changed, "#prompt")
    def _prompt_edited(self) -> None:
        # Debounced: a long prompt is tokenized once typing pauses, not once per key.
        if self._count_timer is not None:
            self._count_timer.stop()
        self._count_timer = self.set_timer(0.2, self._update_prompt_title, name="count-tokens")

    def _update_prompt_title(self) -> None:
        editor = self.query_one(PromptEditor)
        mode = "fill-in-the-middle (hole: <FILL> or cursor)" if self.fim else "prompt"
        editor.border_title = f"{mode} · {editor.language or 'text'}"
        if self.engine is not None:
            count = self.engine.count_tokens(editor.text)
            editor.border_subtitle = f"{count:,} / {self.engine.context_window:,} tokens"

    def _apply_syntax_theme(self, theme_name: str) -> None:
        theme_file = self._theme_files.get(theme_name)
        dark = self.available_themes[theme_name].dark if theme_name in self.available_themes else True
        self.syntax_theme = theme_file.syntax if theme_file else ("monokai" if dark else "github_light")
        for area in self.query(TextArea):
            area.theme = self.syntax_theme

    def _theme_chosen(self, theme_name: str) -> None:
        self._apply_syntax_theme(theme_name)
        starting, self._starting_theme = self._starting_theme, None
        if theme_name == starting:
            return
        try:
            remember_theme(theme_name)
        except UserError as error:
            self.notify(str(error), severity="warning")

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield from palette_commands(self)

    def _response_views(self) -> list[ResponseView]:
        return list(self.query(ResponseView))


def describe_engine(engine: Any) -> str:
    loaded = engine.loaded
    text = loaded.describe()
    try:
        import torch

        if loaded.device.type == "cuda":
            text += f" · {torch.cuda.memory_allocated(loaded.device) / 1e9:.1f} GB GPU memory"
    except Exception:  # noqa: BLE001 - the memory figure is a nicety
        pass
    return text + f" · loaded in {loaded.load_s:.1f} s"


def create_app(options: LoadOptions, params: SamplingParams | None = None, session: Path | None = None,
               **kwargs: Any) -> PlaygroundApp:
    """The one factory: the CLI and the snapshot tests build the app the same way."""
    return PlaygroundApp(options, params, session=session, **kwargs)


def run_playground(options: LoadOptions, params: SamplingParams, session: Path | None = None) -> int:
    create_app(options, params, session).run()
    return 0
