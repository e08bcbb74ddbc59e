"""The line shell's completer before its session is open: the shipped catalog stands in, marked as such."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document

from tui.catalog import Catalog, CmdletInfo
from tui.cli.shell_link import Link
from tui.cli.shell_prompt import PROVISIONAL, LiveCompleter
from tui.config import Account
from tui.tenants import Tenant


def _completions(link: Link, text: str) -> list[tuple[str, str]]:
    found = LiveCompleter(lambda: link).get_completions(Document(text, len(text)), CompleteEvent(True))
    return [(c.text, c.display_meta_text) for c in found]


def _link(tmp_path: Path) -> Link:
    return Link(Tenant("contoso.onmicrosoft.com"), Account(upn="admin@fabrikampartner.onmicrosoft.com"), tmp_path)


def test_while_connecting_well_known_cmdlets_complete_from_the_shipped_catalog_marked_provisional(
        tmp_path: Path) -> None:
    link = _link(tmp_path)
    assert link.session is None
    got = _completions(link, "Get-MailboxPerm")
    assert [text for text, _ in got] == ["Get-MailboxPermission"]
    assert PROVISIONAL in got[0][1]


def test_once_open_the_tenants_own_catalog_replaces_it(tmp_path: Path) -> None:
    link = _link(tmp_path)
    link.session = SimpleNamespace(catalog=Catalog([CmdletInfo("Get-MailboxPermissionOfThisTenant")]))
    got = _completions(link, "Get-MailboxPerm")
    assert [text for text, _ in got] == ["Get-MailboxPermissionOfThisTenant"]
    assert all(PROVISIONAL not in meta for _, meta in got)
