"""The errors the command language raises: each says what happened and where (0-based column).

The UI puts a caret under ``column``; ``suggestions`` carries "did you mean" candidates.
"""

from __future__ import annotations

from collections.abc import Sequence


class ShellError(Exception):
    """Base of every error raised by parse, bind and plan."""

    def __init__(self, message: str, column: int | None = 0,
                 suggestions: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.column = column
        self.suggestions: list[str] = list(suggestions)

    def __str__(self) -> str:
        return self.message


class ParseError(ShellError):
    """The line is not well-formed (unbalanced quote, dangling ``|`` …)."""
