"""The harness's one error type: a message for the user and the exit status the CLI gives it."""


class HarnessError(Exception):
    """Something the user must fix (a missing or broken file, a bad setting); never a bug.

    The CLI prints `error: <message>` and exits with `exit_code`: 2 for a refused input, the
    convention of argparse and of `compare`.
    """

    exit_code = 2

    def __init__(self, message, exit_code=None):
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code
