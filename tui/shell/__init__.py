"""The command language: parse, bind, plan, local cmdlets, completion and formatting (pure).

The names below are imported on first use (PEP 562): the console imports ``tui.shell.safe_text``,
``history`` and ``safety`` while it starts, and that must not pay for the parser, binder and planner
before the first frame.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tui.shell.binder import BindError, bind
    from tui.shell.errors import ParseError, ShellError
    from tui.shell.parser import parse
    from tui.shell.plan import Plan, PlanError, plan_pipeline

__all__ = ["BindError", "ParseError", "Plan", "PlanError", "ShellError", "bind", "parse", "plan_pipeline"]

_HOME = {"BindError": "binder", "bind": "binder", "ParseError": "errors", "ShellError": "errors",
         "parse": "parser", "Plan": "plan", "PlanError": "plan", "plan_pipeline": "plan"}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value
