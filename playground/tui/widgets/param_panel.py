"""The parameter panel: a control for every sampling parameter, from params.PARAMETERS."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Label, RadioButton, RadioSet, Select, Switch
from textual.widgets.text_area import BUILTIN_LANGUAGES

from playground.params import PARAMETERS
from playground.tui.safe_text import plain_text
from playground.tui.state import PlaygroundState
from playground.tui.widgets.format_picker import FormatPicker
from playground.tui.widgets.param_control import ParamControl
from playground.tui.widgets.seed_field import SeedField
from playground.tui.widgets.stop_list import StopList

SLIDER_PARAMETERS = ("temperature", "top_p", "min_p", "top_k", "repetition_penalty",
                     "presence_penalty", "frequency_penalty", "max_new_tokens")


class ParameterPanel(VerticalScroll):
    """Every sampling parameter of the column being edited, a preset picker, the language, and
    the two-column switches. It shows ``state`` and changes nothing itself: each edit is posted
    as an intent (``Changed``, ``ColumnsChanged``, ``PresetChosen``, ``LanguageChanged``) for
    the state's owner to apply."""

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

    state: reactive[PlaygroundState] = reactive(PlaygroundState, init=False)
    """The playground's state, bound to the app's: the panel shows its edited column."""

    class Intent(Message):
        """Something the user asked of the panel, for the state's owner to apply."""

        def __init__(self, panel: ParameterPanel) -> None:
            super().__init__()
            self.panel = panel

        @property
        def control(self) -> ParameterPanel:
            return self.panel

    class Changed(Intent):
        """The user set parameter ``name`` to ``value`` (already validated)."""

        def __init__(self, panel: ParameterPanel, name: str, value: object) -> None:
            super().__init__(panel)
            self.name = name
            self.value = value

    class ColumnsChanged(Intent):
        """The user linked or unlinked the columns, or chose the column to edit."""

        def __init__(self, panel: ParameterPanel, linked: bool, editing: int) -> None:
            super().__init__(panel)
            self.linked = linked
            self.editing = editing

    class PresetChosen(Intent):
        """The user picked preset ``name``."""

        def __init__(self, panel: ParameterPanel, name: str) -> None:
            super().__init__(panel)
            self.name = name

    class LanguageChanged(Intent):
        """The user picked the highlighting language."""

        def __init__(self, panel: ParameterPanel, language: str) -> None:
            super().__init__(panel)
            self.language = language

    def __init__(self, state: PlaygroundState, presets: list[tuple[str, str]] | None = None) -> None:
        super().__init__(id="parameters")
        self.set_reactive(ParameterPanel.state, state)
        self.presets = presets or []

    def compose(self) -> ComposeResult:
        params = self.state.edited
        with Horizontal(classes="row"):
            yield Label("preset")
            # preset names and descriptions come from files: shown as text, never as markup
            yield Select([(plain_text(label), name) for label, name in self.presets], prompt="apply a preset…",
                         id="preset", allow_blank=True)
        with Horizontal(classes="row"):
            yield Label("language")
            yield Select([(name, name) for name in sorted(BUILTIN_LANGUAGES)], value=self.state.language,
                         allow_blank=False, id="language")
        for name in SLIDER_PARAMETERS:
            yield ParamControl(PARAMETERS[name], getattr(params, name))
        yield SeedField(params.seed)
        with Horizontal(classes="row"):
            yield Label("two responses").with_tooltip(PARAMETERS["num_responses"].help)
            yield Switch(params.num_responses == 2, id="two-responses")
        with Horizontal(classes="row two-only", id="columns-row"):
            yield Label("link columns").with_tooltip(
                "Linked: both columns use these parameters and draw different samples. Unlinked: each column "
                "has its own parameters and both share the seed, for an A/B of one knob.")
            yield Switch(self.state.linked, id="link-columns")
            with RadioSet(id="edit-column"):
                yield RadioButton("edit A", value=self.state.editing == 0)
                yield RadioButton("edit B", value=self.state.editing == 1)
        yield StopList(params.stop)
        yield FormatPicker(params.response_format)

    def on_mount(self) -> None:
        self._show(self.state)

    def watch_state(self, state: PlaygroundState) -> None:
        if self.is_mounted:
            self._show(state)

    def _show(self, state: PlaygroundState) -> None:
        """Only controls whose value differs are touched, and none of them posts back."""
        params = state.edited
        for name in SLIDER_PARAMETERS:
            control = self.query_one(f"#param-{name}", ParamControl)
            if control.value != getattr(params, name):
                control.set_value(getattr(params, name))
        seed = self.query_one(SeedField)
        if seed.seed != params.seed:
            seed.set_seed(params.seed)
        if state.last_seed is not None and seed.last_used != state.last_seed:
            seed.show_last_used(state.last_seed)
        stops = self.query_one(StopList)
        if stops.stops != params.stop:
            stops.set_stops(params.stop)
        picker = self.query_one(FormatPicker)
        if picker.response_format != params.response_format:
            picker.set_format(params.response_format)
        with self.prevent(Switch.Changed, RadioSet.Changed, Select.Changed):
            self.query_one("#two-responses", Switch).value = params.num_responses == 2
            self.query_one("#link-columns", Switch).value = state.linked
            buttons = self.query_one("#edit-column", RadioSet).query(RadioButton)
            if not buttons[state.editing].value:
                buttons[state.editing].value = True
            language = self.query_one("#language", Select)
            if language.value != state.language:
                language.value = state.language
        self.query_one("#columns-row", Horizontal).display = params.num_responses == 2
        self.query_one("#edit-column", RadioSet).display = params.num_responses == 2 and not state.linked

    def _edited(self, name: str, value: object) -> None:
        self.post_message(self.Changed(self, name, value))

    @on(ParamControl.Changed)
    def _param(self, event: ParamControl.Changed) -> None:
        event.stop()
        self._edited(event.name, event.value)

    @on(SeedField.Changed)
    def _seed(self, event: SeedField.Changed) -> None:
        event.stop()
        self._edited("seed", event.seed)

    @on(StopList.Changed)
    def _stops(self, event: StopList.Changed) -> None:
        event.stop()
        self._edited("stop", event.stops)

    @on(FormatPicker.Changed)
    def _format(self, event: FormatPicker.Changed) -> None:
        event.stop()
        self._edited("response_format", event.response_format)

    @on(Switch.Changed, "#two-responses")
    def _responses(self, event: Switch.Changed) -> None:
        event.stop()
        self._edited("num_responses", 2 if event.value else 1)

    @on(Switch.Changed, "#link-columns")
    def _link(self, event: Switch.Changed) -> None:
        event.stop()
        self.post_message(self.ColumnsChanged(self, event.value, 0 if event.value else self.state.editing))

    @on(RadioSet.Changed, "#edit-column")
    def _edit_column(self, event: RadioSet.Changed) -> None:
        event.stop()
        self.post_message(self.ColumnsChanged(self, self.state.linked, max(event.index, 0)))

    @on(Select.Changed, "#preset")
    def _preset(self, event: Select.Changed) -> None:
        event.stop()
        if event.value is not Select.BLANK:
            self.post_message(self.PresetChosen(self, str(event.value)))
            with event.select.prevent(Select.Changed):
                event.select.clear()

    @on(Select.Changed, "#language")
    def _language(self, event: Select.Changed) -> None:
        event.stop()
        self.post_message(self.LanguageChanged(self, str(event.value)))
