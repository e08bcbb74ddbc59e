"""The console's layout rules at small sizes: when the sidebar shows, how the header shortens the
account, how the welcome text wraps."""

from __future__ import annotations

import pytest
from rich.console import Console

from tui.console.app import WELCOME
from tui.console.sidebar import WIDE_COLUMNS, SidebarRule
from tui.console.widgets.header import shorten_account
from tui.console.widgets.welcome import welcome_renderable

UPN = "admin@fabrikampartner.onmicrosoft.com"


@pytest.mark.parametrize(("width", "tenant_open", "shown"), [
    (WIDE_COLUMNS, True, True), (WIDE_COLUMNS - 1, True, False),
    (80, False, True),   # nothing is open yet: the list is the only thing to use
])
def test_the_sidebar_follows_the_width_until_ctrl_b(width: int, tenant_open: bool, shown: bool) -> None:
    assert SidebarRule().shown(width=width, focus_inside=False, tenant_open=tenant_open) is shown


def test_ctrl_b_holds_at_any_width_and_the_focus_shows_it_anyway() -> None:
    rule = SidebarRule()
    assert rule.toggle(shown_now=False) is True
    assert rule.shown(width=80, focus_inside=False, tenant_open=True)
    assert rule.toggle(shown_now=True) is False
    assert not rule.shown(width=200, focus_inside=False, tenant_open=True)
    assert not rule.shown(width=200, focus_inside=False, tenant_open=False)
    assert rule.shown(width=80, focus_inside=True, tenant_open=True)   # "/" or Ctrl+T while collapsed


@pytest.mark.parametrize(("room", "shown"), [
    (40, UPN), (len(UPN), UPN),
    (30, "admin@fabrikampartner…"),   # the shared .onmicrosoft.com goes first
    (19, "admin@fabrikampart…"),
    (6, "admin…"),
    (5, ""),
])
def test_the_account_is_shortened_from_its_domain_suffix(room: int, shown: str) -> None:
    assert shorten_account(UPN, room) == shown
    assert len(shorten_account(UPN, room)) <= room


def test_a_name_without_a_domain_is_cut_at_the_end() -> None:
    assert shorten_account("serviceaccount", 8) == "service…"


def _lines(width: int, notice: str = "") -> list[str]:
    console = Console(width=width, record=True, color_system=None)
    console.print(welcome_renderable(WELCOME, notice))
    return [line.rstrip() for line in console.export_text().splitlines()]


def test_welcome_key_rows_wrap_with_a_hanging_indent() -> None:
    lines = _lines(36)
    at = next(i for i, line in enumerate(lines) if "filter by name" in line)
    column = lines[at].index("filter")
    assert lines[at + 1].strip() and lines[at + 1][:column].isspace()   # continued under "filter"
    assert " ".join(" ".join(lines[at:at + 2]).split()) == "/ filter by name, domain or tag"
    assert all(len(line) <= 36 for line in lines)


def test_wide_enough_the_welcome_reads_as_written() -> None:
    assert _lines(80) == [line.rstrip() for line in WELCOME.splitlines()]


def test_the_demo_notice_comes_first_with_its_own_hanging_indent() -> None:
    lines = _lines(40, "13 customer tenants on the built-in Exchange Online simulator.")
    assert lines[0].startswith("Demo  13 customer tenants")
    assert lines[1].startswith(" " * 6) and lines[1].strip()
