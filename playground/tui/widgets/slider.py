"""A float slider: Textual has none, and third-party ones are integer-only."""

from __future__ import annotations

import math
from typing import ClassVar

from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget


class Slider(Widget, can_focus=True):
    """A horizontal slider over a numeric range, linear or logarithmic.

    Keyboard: ←/→ move one step, shift+←/→ ten steps, home/end jump to the ends.
    Mouse: click to jump, drag to slide. Posts ``Slider.Changed`` when the value changes.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "step(-1)", "Decrease", show=False),
        Binding("right", "step(1)", "Increase", show=False),
        Binding("shift+left", "step(-10)", "Decrease ×10", show=False),
        Binding("shift+right", "step(10)", "Increase ×10", show=False),
        Binding("home", "jump(0)", "Minimum", show=False),
        Binding("end", "jump(1)", "Maximum", show=False),
    ]
    """
    | Key(s) | Description |
    | :- | :- |
    | left / right | One step down / up. |
    | shift+left / shift+right | Ten steps down / up. |
    | home / end | The minimum / maximum. |
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {"slider--fill", "slider--track", "slider--thumb"}
    """
    | Class | Description |
    | :- | :- |
    | `slider--fill` | The track left of the thumb. |
    | `slider--track` | The track right of the thumb. |
    | `slider--thumb` | The thumb. |
    """

    DEFAULT_CSS = """
    Slider {
        height: 1;
        width: 1fr;
        min-width: 8;
        pointer: pointer;
        & > .slider--fill { color: $primary; }
        & > .slider--track { color: $foreground 30%; }
        & > .slider--thumb { color: $foreground; text-style: bold; }
        &:focus > .slider--thumb { color: $accent; }
        &:focus > .slider--fill { color: $accent; }
        &:disabled { opacity: 0.5; }
    }
    """

    value: reactive[float] = reactive(0.0, init=False)
    """The current value, always inside [minimum, maximum] and on a step."""

    class Changed(Message):
        """Posted when the value changes, by key, mouse or code."""

        def __init__(self, slider: Slider, value: float) -> None:
            super().__init__()
            self.slider = slider
            self.value = value

        @property
        def control(self) -> Slider:
            """The slider that changed (alias of ``slider``, for ``@on`` selectors)."""
            return self.slider

    def __init__(self, value: float, minimum: float, maximum: float, *, step: float = 0.01,
                 log_scale: bool = False, integer: bool = False, name: str | None = None,
                 id: str | None = None, classes: str | None = None, disabled: bool = False,
                 tooltip: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        if log_scale and minimum <= 0:
            raise ValueError("a log-scale slider needs a positive minimum")
        self.minimum, self.maximum, self.step = minimum, maximum, step
        self.log_scale, self.integer = log_scale, integer
        self._dragging = False
        self.set_reactive(Slider.value, self.validate_value(value))
        if tooltip:
            self.tooltip = tooltip

    def validate_value(self, value: float) -> float:
        value = min(max(float(value), self.minimum), self.maximum)
        if not self.log_scale:
            steps = round((value - self.minimum) / self.step)
            value = min(self.minimum + steps * self.step, self.maximum)
        return round(value) if self.integer else round(value, 10)

    def watch_value(self, value: float) -> None:
        self.post_message(self.Changed(self, value))

    # position <-> value: a fraction of the track in [0, 1]
    def fraction(self, value: float | None = None) -> float:
        value = self.value if value is None else value
        if self.log_scale:
            return math.log(value / self.minimum) / math.log(self.maximum / self.minimum)
        span = self.maximum - self.minimum
        return (value - self.minimum) / span if span else 0.0

    def value_at(self, fraction: float) -> float:
        fraction = min(max(fraction, 0.0), 1.0)
        if self.log_scale:
            return self.minimum * float((self.maximum / self.minimum) ** fraction)
        return self.minimum + fraction * (self.maximum - self.minimum)

    def action_step(self, steps: int) -> None:
        if self.log_scale:
            # On a log track a step is 1% of the track, so both ends move at a usable pace.
            target = self.value_at(self.fraction() + steps / 100)
            if self.integer and round(target) == self.value:
                target = self.value + (1 if steps > 0 else -1)
            self.value = self.validate_value(target)
        else:
            self.value = self.validate_value(self.value + steps * self.step)

    def action_jump(self, fraction: float) -> None:
        self.value = self.validate_value(self.value_at(fraction))

    def _set_from_x(self, x: int) -> None:
        track = max(self.content_size.width - 1, 1)
        self.value = self.validate_value(self.value_at(x / track))

    async def _on_mouse_down(self, event: events.MouseDown) -> None:
        event.stop()
        self.focus()
        self._dragging = True
        self.capture_mouse()
        self._set_from_x(event.x)

    async def _on_mouse_move(self, event: events.MouseMove) -> None:
        if self._dragging:
            self._set_from_x(event.x)

    async def _on_mouse_up(self, event: events.MouseUp) -> None:
        if self._dragging:
            self._dragging = False
            self.release_mouse()

    def render(self) -> Text:
        width = max(self.content_size.width, 1)
        position = round(self.fraction() * (width - 1))
        text = Text(no_wrap=True, overflow="crop")
        text.append("━" * position, self.get_component_rich_style("slider--fill"))
        text.append("●", self.get_component_rich_style("slider--thumb"))
        text.append("─" * (width - position - 1), self.get_component_rich_style("slider--track"))
        return text
