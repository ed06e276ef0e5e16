"""One sampling parameter: its name, a slider and a box for an exact value."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Input, Label

from playground.errors import UserError
from playground.params import ParamSpec
from playground.runtime.describe import format_value
from playground.tui.widgets.slider import Slider
from playground.tui.widgets.value_box import ValueBox


class ParamControl(Horizontal):
    """Slider and exact-value box for one parameter, kept in step with each other.

    A typed value may lie beyond the slider's track (temperature 5): the slider then rests
    at its end while the box shows the exact value. An invalid typed value is refused with
    the parameter's range and the box reverts.
    """

    DEFAULT_CSS = """
    ParamControl {
        height: 3;
        & > Label { width: 19; padding: 1 1 0 0; }
        & > Slider { margin: 1 1 0 0; }
        /* the widest value whole: 1000000, -1.2345, none, with the cursor after it */
        & > ValueBox { width: 12; padding: 0 1; }
    }
    """

    class Changed(Message):
        def __init__(self, control_widget: ParamControl, value: float | int | None) -> None:
            super().__init__()
            self.param_control = control_widget
            self.name = control_widget.spec.name
            self.value = value

        @property
        def control(self) -> ParamControl:
            return self.param_control

    def __init__(self, spec: ParamSpec, value: float | int | None) -> None:
        super().__init__(id=f"param-{spec.name}")
        self.spec = spec
        self.value = value

    def compose(self) -> ComposeResult:
        spec = self.spec
        yield Label(spec.name, classes="param-name").with_tooltip(f"{spec.help}\nRange: {spec.range_text()}")
        yield Slider(self._slider_value(self.value), self._slider_minimum(), spec.slider_maximum, step=spec.step,
                     log_scale=spec.log_scale, integer=spec.kind == "int", id=f"slider-{spec.name}",
                     tooltip=f"{spec.help} Range: {spec.range_text()}.")
        yield ValueBox(format_value(spec, self.value), id=f"input-{spec.name}", select_on_focus=True,
                       tooltip=f"Type an exact value ({spec.range_text()}), then enter")

    def _slider_minimum(self) -> float:
        # top_p excludes 0: the track starts one step above it.
        return self.spec.minimum + self.spec.step if self.spec.minimum_exclusive else self.spec.minimum

    def _slider_value(self, value: float | int | None) -> float:
        return self.spec.slider_maximum if value is None else min(value, self.spec.slider_maximum)

    def set_value(self, value: float | int | None, *, notify: bool = False) -> None:
        """Show ``value`` (already validated) without echoing it back as a change."""
        self.value = value
        slider = self.query_one(Slider)
        with slider.prevent(Slider.Changed):
            slider.value = self._slider_value(value)
        self.query_one(Input).value = format_value(self.spec, value)
        if notify:
            self.post_message(self.Changed(self, value))

    @on(Slider.Changed)
    def _slider_moved(self, event: Slider.Changed) -> None:
        event.stop()
        value = self.spec.check(event.value)  # the slider's range lies inside the spec's
        if value != self.value:
            self.set_value(value, notify=True)

    @on(Input.Submitted)
    def _typed(self, event: Input.Submitted) -> None:
        event.stop()
        self._accept_typed(event.value)

    @on(Input.Blurred)
    def _left_box(self, event: Input.Blurred) -> None:
        if event.value != format_value(self.spec, self.value):
            self._accept_typed(event.value)

    def _accept_typed(self, text: str) -> None:
        try:
            value = self.spec.check(text)
        except UserError as error:
            self.app.notify(str(error), title="Invalid value", severity="error")
            self.query_one(Input).value = format_value(self.spec, self.value)
            return
        self.set_value(value, notify=value != self.value)
