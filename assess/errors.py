"""Error types that the CLI turns into one clear line and an exit status."""

from __future__ import annotations


class AssessError(Exception):
    """Base class for errors shown to the user without a traceback."""

    exit_code = 2


class InputError(AssessError):
    """Bad user input: a file, an option, an inventory or a catalog (exit 2)."""

    def __init__(self, message: str, file: str | None = None, line: int | None = None):
        self.message = message
        self.file = file
        self.line = line
        super().__init__(self.where() + message)

    def where(self) -> str:
        if self.file and self.line:
            return f"{self.file}:{self.line}: "
        if self.file:
            return f"{self.file}: "
        return ""


class LintErrors(AssessError):
    """Several validation problems, each already formatted as `file:line: message`."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))
