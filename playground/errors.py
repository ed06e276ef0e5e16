"""The one exception type that reaches a user: a single line naming the problem and the fix."""


class UserError(Exception):
    """A problem the user can fix. ``str(error)`` is the whole message: one line, no traceback.

    ``exit_code`` follows the CLI convention: 2 for bad input (arguments, files, prompt too
    long), 1 for an environment problem (model missing, no GPU, out of memory).
    """

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code
