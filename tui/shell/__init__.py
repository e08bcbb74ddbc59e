"""The command language: parse, bind, plan, local cmdlets, completion and formatting (pure)."""

from tui.shell.binder import BindError, bind
from tui.shell.errors import ParseError, ShellError
from tui.shell.parser import parse
from tui.shell.plan import Plan, PlanError, plan_pipeline

__all__ = ["BindError", "ParseError", "Plan", "PlanError", "ShellError", "bind", "parse", "plan_pipeline"]
