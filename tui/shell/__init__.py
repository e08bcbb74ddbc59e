"""The command language: parse, bind, plan, local cmdlets, completion and formatting (pure)."""

from tui.shell.errors import ParseError, ShellError
from tui.shell.parser import parse

__all__ = ["ParseError", "ShellError", "parse"]
