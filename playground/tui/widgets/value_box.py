"""Text boxes that take keys in the order they came, however fast they come (a paste, a burst).

Textual inserts a printable key in the focused widget at once, but runs a key's binding
(home, ctrl+k, backspace, enter) only after the key has bubbled up to the app through every
parent's message queue. Keys that arrive together (Home, ctrl+k, ``0.3``, Enter from a
macro, tmux or a fast typist) then apply out of order: the text is typed, then deleted, and
an empty value submitted (Textual issue #6605, fixed upstream the same way in PR #6631, not
yet released). Running the widget's own bindings in its key handler keeps the order.
"""

from __future__ import annotations

from textual import events
from textual.widget import Widget
from textual.widgets import Input


async def run_own_binding(widget: Widget, event: events.Key) -> bool:
    """Run ``widget``'s own (non-priority) binding for ``event`` now; False if it has none.
    Priority bindings (the app's F-keys) were checked before the key reached the widget."""
    for binding in widget._bindings.key_to_bindings.get(event.key, ()):
        if not binding.priority and await widget.app.run_action(binding.action, widget):
            event.stop()
            event.prevent_default()
            return True
    return False


class ValueBox(Input):
    """An ``Input`` whose editing keys (home, ctrl+k, backspace, enter…) run in the order they
    were typed, in step with the characters typed between them."""

    async def _on_key(self, event: events.Key) -> None:
        focused = self.screen.focused
        if focused is not None and focused is not self:
            # Focus moved on (a tab in the same burst) after the app had sent this key here:
            # it belongs to the box that has the focus now.
            event.stop()
            event.prevent_default()
            focused._forward_event(events.Key(event.key, event.character))
            return
        if event.key in ("tab", "shift+tab") and not self._bindings.key_to_bindings.get(event.key):
            # The screen would move the focus only once the key had bubbled up to it, after the
            # keys behind it had been sent here: move it now, so that they follow it.
            event.stop()
            event.prevent_default()
            if event.key == "tab":
                self.screen.focus_next()
            else:
                self.screen.focus_previous()
            return
        if not await run_own_binding(self, event):
            await super()._on_key(event)

    def _on_paste(self, event: events.Paste) -> None:
        # A value copied from elsewhere often comes with a newline or blank lines around it.
        line = next((line.strip() for line in event.text.splitlines() if line.strip()), "")
        super()._on_paste(events.Paste(line))
        event.stop()
