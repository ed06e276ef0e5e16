"""The playground's three areas and the keyboard's way between them.

F6 moves focus editor → parameter panel → responses (shift+F6 back); ctrl+b shows or hides the
panel, which a narrow terminal hides by default so the editor keeps the width. Whenever the
main screen comes back (a dialog, the palette, the help closed) or its focused widget
disappears, focus returns to the area it was in, so keys never go nowhere.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.widget import Widget

from playground.tui.widgets.param_panel import ParameterPanel
from playground.tui.widgets.prompt_editor import PromptEditor
from playground.tui.widgets.responses import ResponsesPane

if TYPE_CHECKING:
    from playground.tui.app import PlaygroundApp

#: Below this many columns the panel starts hidden (ctrl+b shows it).
NARROW_WIDTH = 110


class Areas:
    """Focus between the editor, the panel and the responses, and whether the panel shows."""

    def __init__(self, app: PlaygroundApp) -> None:
        self.app = app
        self._last_in_panel: Widget | None = None

    def _areas(self) -> list[Widget]:
        screen = self.app.default_screen
        return [screen.query_one(PromptEditor), screen.query_one(ParameterPanel), screen.query_one(ResponsesPane)]

    def _area_of(self, widget: Widget | None) -> int | None:
        areas = self._areas()
        node = widget
        while node is not None:
            if node in areas:
                return areas.index(node)
            node = node.parent if isinstance(node.parent, Widget) else None
        return None

    def cycle(self, step: int) -> None:
        """Focus the next (``step`` 1) or previous (-1) area that is on screen."""
        areas = self._areas()
        current = self._area_of(self.app.default_screen.focused)
        start = 0 if current is None else current
        for offset in range(1, len(areas) + 1):
            index = (start + step * offset) % len(areas)
            if self.enter(index):
                return

    def enter(self, index: int) -> bool:
        """Focus area ``index``: the editor, the panel (where focus last was in it), or the
        first response column on screen. False if that area is not shown."""
        area = self._areas()[index]
        if not area.display:
            return False
        if isinstance(area, ParameterPanel):
            target = self._last_in_panel if self._in_panel(self._last_in_panel) else None
            target = target or next((w for w in area.query("*") if w.focusable), None)
        elif isinstance(area, ResponsesPane):
            target = next(iter(area.shown_columns), None)
        else:
            target = area
        if target is None:
            return False
        target.focus()
        return True

    def _in_panel(self, widget: Widget | None) -> bool:
        return widget is not None and widget.is_attached and widget.focusable and self._area_of(widget) == 1

    def focused(self, widget: Widget | None) -> None:
        """Remember where focus was in the panel, to come back to it."""
        if self._area_of(widget) == 1:
            self._last_in_panel = widget

    def panel_shown(self) -> bool:
        return self._areas()[1].display

    def toggle_panel(self) -> None:
        """Show or hide the panel; shown, it takes focus; hidden, focus goes back to the editor."""
        panel = self._areas()[1]
        show = not panel.display
        panel.set_class(show, "-shown")
        panel.set_class(not show, "-hidden")
        if show:
            self.app.call_after_refresh(self.enter, 1)
        elif self._area_of(self.app.default_screen.focused) in (1, None):
            self.enter(0)

    def restore(self) -> None:
        """If nothing on the main screen has focus (or what had it is hidden), focus the editor."""
        screen = self.app.default_screen
        if self.app.screen is not screen:
            return
        focused = screen.focused
        if focused is None or not focused.is_attached or not self._visible(focused):
            self.enter(0)

    @staticmethod
    def _visible(widget: Widget) -> bool:
        node: Widget | None = widget
        while node is not None:
            if not node.display:
                return False
            node = node.parent if isinstance(node.parent, Widget) else None
        return True
