"""The pane shown before a tenant is picked: what to press first, and the demo's notice.

A line that starts indented is a "keys   what they do" row. In a narrow pane its description wraps
with a hanging indent (continued under itself, not under the keys), so the keys column stays readable.
"""

from __future__ import annotations

import re

from rich.cells import cell_len
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from tui.shell.safe_text import visible

_KEY_ROW = re.compile(r"(\s+\S.*?\s{2,})(\S.*)")  # indent + keys + a gap of two spaces or more, then the rest


def hanging(label: Text, body: Text) -> Table:
    """``label`` then ``body``; lines of ``body`` that wrap continue under its first character."""
    grid = Table.grid()
    grid.add_column(no_wrap=True, width=cell_len(label.plain))
    grid.add_column(overflow="fold")
    grid.add_row(label, body)
    return grid


def welcome_renderable(text: str, notice: str = "") -> RenderableType:
    """``text`` line by line (key rows with a hanging indent), after ``notice`` when there is one."""
    parts: list[RenderableType] = []
    if notice:
        parts += [hanging(Text("Demo  ", style="bold"), Text(visible(notice))), Text("")]
    for line in text.splitlines():
        row = _KEY_ROW.fullmatch(line)
        parts.append(hanging(Text(row[1]), Text(row[2])) if row else Text(line))
    return Group(*parts)


class Welcome(Static):
    """The welcome text; ``set_notice`` puts a notice above it (the demo says what it runs on)."""

    def __init__(self, text: str, *, id: str | None = None) -> None:
        super().__init__(welcome_renderable(text), id=id)
        self.text = text
        self.notice = ""

    def set_notice(self, notice: str) -> None:
        self.notice = notice
        self.update(welcome_renderable(self.text, notice))
