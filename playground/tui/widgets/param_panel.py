"""The parameter panel: a control for every sampling parameter, from params.PARAMETERS."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Label, Select, Switch

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
        & #language { width: 1fr; }
    }
    """

    class Changed(Message):
        """A parameter changed; ``params`` is the full new set."""

        def __init__(self, params: SamplingParams, name: str, value: object) -> None:
            super().__init__()
            self.params = params
            self.name = name
            self.value = value

    class LanguageChanged(Message):
        def __init__(self, language: str) -> None:
            super().__init__()
            self.language = language

    def __init__(self, params: SamplingParams, language: str = "python") -> None:
        super().__init__(id="parameters")
        self.params = params
        self.language = language

    def compose(self) -> ComposeResult:
        with Horizontal(classes="row"):
            yield Label("language")
            yield Select([(name, name) for name in LANGUAGES], value=self.language, allow_blank=False, id="language")
        for name in SLIDER_PARAMETERS:
            yield ParamControl(PARAMETERS[name], getattr(self.params, name))
        yield SeedField(self.params.seed)
        with Horizontal(classes="row"):
            yield Label("two responses").with_tooltip(PARAMETERS["num_responses"].help)
            yield Switch(self.params.num_responses == 2, id="two-responses")
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

    @on(Switch.Changed, "#two-responses")
    def _responses(self, event: Switch.Changed) -> None:
        event.stop()
        self._update("num_responses", 2 if event.value else 1)

    @on(Select.Changed, "#language")
    def _language(self, event: Select.Changed) -> None:
        event.stop()
        self.language = str(event.value)
        self.post_message(self.LanguageChanged(self.language))
