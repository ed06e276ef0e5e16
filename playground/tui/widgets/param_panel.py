"""The parameter panel: a control for every sampling parameter, from params.PARAMETERS."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Label, RadioButton, RadioSet, Select, Switch

from playground.params import PARAMETERS, SamplingParams
from playground.tui.widgets.param_control import ParamControl
from playground.tui.widgets.seed_field import SeedField
from playground.tui.widgets.stop_list import StopList

SLIDER_PARAMETERS = ("temperature", "top_p", "min_p", "top_k", "repetition_penalty",
                     "presence_penalty", "frequency_penalty", "max_new_tokens")
LANGUAGES = ("python", "javascript", "rust", "go", "java", "bash", "sql", "html", "css", "json",
             "yaml", "toml", "markdown", "xml", "regex")


class ParameterPanel(VerticalScroll):
    """Every sampling parameter; posts ``ParameterPanel.Changed`` with the whole new set."""

    DEFAULT_CSS = """
    ParameterPanel {
        width: 62;
        padding: 0 1;
        background: $surface;
        border-left: tall $panel;
        & > * { background: $surface; }
        & .row { height: 3; }
        & .row > Label { width: 19; padding: 1 1 0 0; }
        & #language, & #preset { width: 1fr; }
        & #edit-column { layout: horizontal; height: 3; border: none; background: $surface; }
    }
    """

    class Changed(Message):
        """A parameter changed; ``params`` is the full new set."""

        def __init__(self, params: SamplingParams, name: str, value: object) -> None:
            super().__init__()
            self.params = params
            self.name = name
            self.value = value

    class PresetChosen(Message):
        def __init__(self, name: str) -> None:
            super().__init__()
            self.name = name

    class ColumnsChanged(Message):
        """Linked columns share parameters; unlinked, the panel edits column ``editing``."""

        def __init__(self, linked: bool, editing: int) -> None:
            super().__init__()
            self.linked = linked
            self.editing = editing

    class LanguageChanged(Message):
        def __init__(self, language: str) -> None:
            super().__init__()
            self.language = language

    def __init__(self, params: SamplingParams, language: str = "python",
                 presets: list[tuple[str, str]] | None = None) -> None:
        super().__init__(id="parameters")
        self.params = params
        self.language = language
        self.presets = presets or []

    def compose(self) -> ComposeResult:
        with Horizontal(classes="row"):
            yield Label("preset")
            yield Select(self.presets, prompt="apply a preset…", id="preset", allow_blank=True)
        with Horizontal(classes="row"):
            yield Label("language")
            yield Select([(name, name) for name in LANGUAGES], value=self.language, allow_blank=False, id="language")
        for name in SLIDER_PARAMETERS:
            yield ParamControl(PARAMETERS[name], getattr(self.params, name))
        yield SeedField(self.params.seed)
        with Horizontal(classes="row"):
            yield Label("two responses").with_tooltip(PARAMETERS["num_responses"].help)
            yield Switch(self.params.num_responses == 2, id="two-responses")
        with Horizontal(classes="row two-only", id="columns-row"):
            yield Label("link columns").with_tooltip(
                "Linked: both columns use these parameters and draw different samples. Unlinked: each column "
                "has its own parameters and both share the seed, for an A/B of one knob.")
            yield Switch(True, id="link-columns")
            with RadioSet(id="edit-column"):
                yield RadioButton("edit A", value=True)
                yield RadioButton("edit B")
        yield StopList(self.params.stop)

    def set_params(self, params: SamplingParams) -> None:
        """Show a whole new set (a preset, a session) and announce it once."""
        self.params = params
        for name in SLIDER_PARAMETERS:
            self.query_one(f"#param-{name}", ParamControl).set_value(getattr(params, name))
        self.query_one(SeedField).set_seed(params.seed)
        with self.query_one("#two-responses", Switch).prevent(Switch.Changed):
            self.query_one("#two-responses", Switch).value = params.num_responses == 2
        self.query_one(StopList).set_stops(params.stop)
        self._show_column_controls()
        self.post_message(self.Changed(params, "*", None))

    def _update(self, name: str, value: object) -> None:
        self.params = self.params.replace(**{name: value})
        self.post_message(self.Changed(self.params, name, value))

    @on(ParamControl.Changed)
    def _param(self, event: ParamControl.Changed) -> None:
        event.stop()
        self._update(event.name, event.value)

    @on(SeedField.Changed)
    def _seed(self, event: SeedField.Changed) -> None:
        event.stop()
        self._update("seed", event.seed)

    @on(StopList.Changed)
    def _stops(self, event: StopList.Changed) -> None:
        event.stop()
        self._update("stop", event.stops)

    def on_mount(self) -> None:
        self._show_column_controls()

    def _show_column_controls(self) -> None:
        two = self.params.num_responses == 2
        self.query_one("#columns-row").display = two
        self.query_one("#edit-column").display = two and not self.query_one("#link-columns", Switch).value

    @property
    def linked(self) -> bool:
        return self.query_one("#link-columns", Switch).value

    @property
    def editing(self) -> int:
        index = self.query_one("#edit-column", RadioSet).pressed_index
        return 0 if self.linked or index < 0 else index

    @on(Switch.Changed, "#two-responses")
    def _responses(self, event: Switch.Changed) -> None:
        event.stop()
        self._update("num_responses", 2 if event.value else 1)
        self._show_column_controls()

    @on(Switch.Changed, "#link-columns")
    def _link(self, event: Switch.Changed) -> None:
        event.stop()
        if event.value:
            self.query_one("#edit-column", RadioSet).query(RadioButton).first().value = True
        self._show_column_controls()
        self.post_message(self.ColumnsChanged(self.linked, self.editing))

    @on(RadioSet.Changed, "#edit-column")
    def _edit_column(self, event: RadioSet.Changed) -> None:
        event.stop()
        self.post_message(self.ColumnsChanged(self.linked, self.editing))

    @on(Select.Changed, "#preset")
    def _preset(self, event: Select.Changed) -> None:
        event.stop()
        if event.value is not Select.BLANK:
            self.post_message(self.PresetChosen(str(event.value)))
            with event.select.prevent(Select.Changed):
                event.select.clear()

    @on(Select.Changed, "#language")
    def _language(self, event: Select.Changed) -> None:
        event.stop()
        self.language = str(event.value)
        self.post_message(self.LanguageChanged(self.language))
