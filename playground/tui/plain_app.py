"""An app whose every line from the app itself is text: notifications, the quit hint, the theme
picker, and a crash (one line from the CLI, never a traceback with locals)."""

from __future__ import annotations

from textual.app import App
from textual.command import CommandPalette
from textual.notifications import SeverityLevel

from playground.tui.palette import ThemeCommands
from playground.visible import printable


class PlainTextApp(App[None]):
    """Textual's app, with the parts that would read names, paths and values as markup made plain."""

    crash: Exception | None = None
    """Re-raised by run_playground once the terminal is restored."""

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
