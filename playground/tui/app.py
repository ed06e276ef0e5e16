"""The playground app: the one owner of the playground's state, and where its messages meet.

Data flows one way. The widgets show the app's reactives (bound to them) and post intents; the
app applies each to ``state`` and to the running generation, through its handle. Only the app
(with the plain controllers it delegates to) writes its reactives. Workers load the model and
generate in threads; their results come back as past-tense messages, their errors to one handler.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.dom import DOMNode
from textual.events import DescendantFocus
from textual.reactive import reactive
from textual.widgets import Button, Footer
from textual.worker import Worker, WorkerState, get_current_worker

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
from playground.tui.areas import NARROW_WIDTH, Areas
from playground.tui.explore_control import ExploreControl
from playground.tui.file_control import FileControl
from playground.tui.generation_control import GenerationControl
from playground.tui.keymap import binding_ids, checked_keymap
from playground.tui.keys import PLAYGROUND_BINDINGS
from playground.tui.messages import GenerationFinished, ModelLoaded, ModelLoadProgressed, TokensStreamed, WorkerFailed
from playground.tui.model_control import ModelControl
from playground.tui.palette import PaletteCommand, PlaygroundCommands, commands_for
from playground.tui.plain_app import PlainTextApp
from playground.tui.preset_control import PresetControl
from playground.tui.screens.help import HelpScreen
from playground.tui.session_control import SessionControl
from playground.tui.signals import exit_on_signals
from playground.tui.state import PlaygroundState
from playground.tui.streaming import StreamBatcher
from playground.tui.theme_control import ThemeControl
from playground.tui.widgets.param_panel import ParameterPanel
from playground.tui.widgets.prompt_editor import PromptEditor, TokenCounter
from playground.tui.widgets.responses import ResponsesPane
from playground.tui.widgets.status_bar import ModelStatus, StatusBar


class PlaygroundApp(PlainTextApp):
    """StarCoder2 in a terminal: write code, set every sampling knob, watch it complete."""

    CSS_PATH = "app.tcss"
    TITLE = "starcoder-play"
    COMMANDS = App.COMMANDS | {PlaygroundCommands}
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (NARROW_WIDTH, "-wide")]
    BINDINGS: ClassVar[list[BindingType]] = list(PLAYGROUND_BINDINGS)

    state: reactive[PlaygroundState] = reactive(PlaygroundState, init=False)
    """Both columns' parameters, linked or not, the column edited, FIM, language, last seed."""

    generating: reactive[bool] = reactive(False, init=False, bindings=True)
    """A generation is running (the keys it enables show and hide with it)."""

    model_status: reactive[ModelStatus] = reactive(ModelStatus, init=False)
    """The model: loading (and how far), loaded (its line), or why it failed."""

    run_status: reactive[str] = reactive("", init=False)
    """The run streaming or last finished, in one line (or why it could not run)."""

    token_counter: reactive[TokenCounter | None] = reactive(None, init=False)
    """How the loaded model counts the prompt's tokens (None until one has loaded)."""

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
        self.model = ModelControl(self)
        self.sessions = SessionControl(self)
        self.files = FileControl(self)
        self.themes = ThemeControl(self)
        self.presets = PresetControl(self)
        self.areas = Areas(self)
        self.explore = ExploreControl(self)
        self._session_to_open = session
        self._initial_prompt = prompt
        self.crash = None
        keymap, self.start_problems = checked_keymap(self.config.keymap, binding_ids([DOMNode]))
        self.set_keymap(keymap)

    # ---------------------------------------------------------------- layout and focus
    def compose(self) -> ComposeResult:
        state = self.state
        presets, _problems = available_presets()
        choices = [(f"{p.name}: {p.description}" if p.description else p.name, p.name) for p in presets.values()]
        with Horizontal(id="main"):
            with Vertical(id="work"):
                yield PromptEditor(self._initial_prompt, state=state).data_bind(PlaygroundApp.state,
                                                                                counter=PlaygroundApp.token_counter)
                yield ResponsesPane(state).data_bind(PlaygroundApp.state)
            yield ParameterPanel(state, presets=choices).data_bind(PlaygroundApp.state)
        yield StatusBar().data_bind(PlaygroundApp.model_status, PlaygroundApp.run_status)
        yield Footer()

    def on_mount(self) -> None:
        exit_on_signals(self)
        self.themes.start()
        self.query_one(PromptEditor).focus()
        for problem in self.themes.problems + self.config.problems + self.start_problems + option_notes(self.options):
            self.notify(problem, severity="warning", timeout=8)
        if self._session_to_open is not None:
            self.sessions.open(self._session_to_open)
        self.screen_change_signal.subscribe(self, self._screen_changed)
        # Load after the first frame is on screen: importing torch must not delay it.
        self.call_after_refresh(self.load_model, self.options)

    def _screen_changed(self, screen: object) -> None:
        # A dialog, the palette or the help closed: focus where it was, or the editor.
        if screen is self.default_screen:
            self.call_after_refresh(self.areas.restore)

    def on_descendant_focus(self, event: DescendantFocus) -> None:
        self.areas.focused(event.widget)

    def action_cycle_area(self, step: int) -> None:
        self.areas.cycle(step)

    def action_toggle_panel(self) -> None:
        self.areas.toggle_panel()

    # ---------------------------------------------------------------- model
    @work(thread=True, exclusive=True, exit_on_error=False, group="load")
    def load_model(self, options: LoadOptions) -> None:
        worker = get_current_worker()

        def progressed(progress: LoadProgress) -> None:
            self.post_message(ModelLoadProgressed(progress, worker))

        engine = self.loader(options, progressed)
        self.post_message(ModelLoaded(engine, describe_engine(engine), worker))

    def on_model_load_progressed(self, message: ModelLoadProgressed) -> None:
        if not message.left_behind:
            self.model_status = ModelStatus.loading_from(message.progress)

    def on_model_loaded(self, message: ModelLoaded) -> None:
        self.model.loaded(message)

    @on(Button.Pressed, "#load-demo")
    def action_load_demo(self) -> None:
        self.model.load_demo()

    @on(Button.Pressed, "#retry-load")
    def action_retry_load(self) -> None:
        self.model.retry()

    # ---------------------------------------------------------------- workers: one place for errors
    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            self.post_message(WorkerFailed(event.worker.group, error_line(event.worker.error)))

    def on_worker_failed(self, message: WorkerFailed) -> None:
        if message.group == "load":
            self.model.failed(message.message)
        else:
            self.generation.failed(message.message)

    # ---------------------------------------------------------------- generation
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("stop", "cycle_area", "explore") and self.screen is not self.default_screen:
            return False  # escape, F6 and the exploring keys go on to the dialog on top
        return self.generation.can_stop if action == "stop" else True  # else escape goes to the focused widget

    def action_generate(self) -> None:
        self.generation.start(self.generation.current_request())
        self.refresh_bindings()

    @work(thread=True, exclusive=True, exit_on_error=False, group="generate")
    def run_generation(self, generation: Generation) -> None:
        batcher = StreamBatcher(self.post_message)
        result = generation.run(batcher)
        batcher.flush()
        self.post_message(GenerationFinished(result))

    def on_tokens_streamed(self, message: TokensStreamed) -> None:
        try:
            self.generation.streamed(message)
        finally:
            message.handled()  # the batcher holds the next frame until now

    def on_generation_finished(self, message: GenerationFinished) -> None:
        self.generation.finished(message.result)

    def action_stop(self) -> None:
        self.generation.stop()
        self.refresh_bindings()

    def action_continue(self, column: int = 0) -> None:
        """Append a response to the prompt (or put a fill into its hole) and generate on."""
        if self.action_keep(column, "prompt"):
            self.action_generate()

    def action_keep(self, column: int, how: str) -> bool:
        """Keep one column: ``copy`` it, or make it the ``prompt``."""
        return self.generation.keep(column, how)

    def action_clear_output(self) -> None:
        self.query_one(ResponsesPane).clear()
        self.run_status = ""

    def action_clear_prompt(self) -> None:
        self.files.clear_prompt()

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
        self.presets.apply(event.name)

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
        self.generation.pin_seed()

    def action_apply_preset(self, name: str) -> None:
        self.presets.apply(name)

    def action_save_preset(self) -> None:
        self.presets.ask_save()

    # ---------------------------------------------------------------- files, sessions, help, palette
    def action_open_file(self) -> None:
        self.files.ask_open()

    def action_save_response(self, column: int) -> None:
        self.files.ask_save_response(column)

    def action_tokens(self) -> None:
        self.files.show_tokens()

    def action_save_session(self) -> None:
        self.sessions.save()

    def action_sessions(self) -> None:
        self.sessions.browse()

    def action_replay(self) -> None:
        self.sessions.replay()

    def action_export_markdown(self) -> None:
        self.sessions.export_markdown()

    def action_explore(self, what: str) -> None:
        self.explore.act(what)

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.BINDINGS))

    def palette_commands(self) -> list[PaletteCommand]:
        return commands_for(self)


def create_app(options: LoadOptions, params: SamplingParams | None = None, session: Path | None = None, *,
               loader: EngineLoader = open_engine, config: AppConfig | None = None, prompt: str = "") -> PlaygroundApp:
    """The one factory: the CLI and the snapshot tests build the app the same way."""
    return PlaygroundApp(options, params, session=session, loader=loader, config=config, prompt=prompt)
