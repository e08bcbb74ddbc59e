"""Pure helpers of tui.remoting.synopsis: reading Get-Help summaries, merging, which patterns need asking."""

from __future__ import annotations

from tui.catalog import Catalog, CmdletInfo
from tui.remoting.synopsis import patterns_lacking, synopses_from_records, with_synopses
from tui.shell.records import Record


def test_synopses_from_records_keeps_commands_and_unwraps_lines() -> None:
    records = [Record({"Name": "Get-Mailbox", "Category": "Cmdlet", "Synopsis": "Use the Get-Mailbox\n   cmdlet."}),
               Record({"Name": "about_Quoting", "Category": "HelpFile", "Synopsis": "Quoting rules"}),
               Record({"Name": "Set-Thing", "Category": "Cmdlet", "Synopsis": ""})]
    assert synopses_from_records(records) == {"get-mailbox": "Use the Get-Mailbox cmdlet."}


def test_with_synopses_builds_a_new_catalog_and_keeps_the_rest() -> None:
    old = Catalog([CmdletInfo("Get-Mailbox"), CmdletInfo("Set-Mailbox", synopsis="kept")])
    new = with_synopses(old, {"get-mailbox": "Gets mailboxes."})
    assert new is not old and new["Get-Mailbox"].synopsis == "Gets mailboxes."
    assert new["Set-Mailbox"].synopsis == "kept" and old["Get-Mailbox"].synopsis == ""


def test_patterns_lacking_names_only_chunks_with_a_missing_synopsis() -> None:
    cat = Catalog([CmdletInfo("Get-Mailbox", synopsis="x"), CmdletInfo("Set-User"), CmdletInfo("New-Foo", synopsis="y")])
    assert patterns_lacking(cat, ["G*", "S*", "N*", "Z*"]) == ["S*"]


def test_help_refused_only_by_a_terminating_error() -> None:
    from tui.remoting.events import ErrorEvent
    from tui.remoting.synopsis import help_refused

    assert help_refused([]) is None
    assert help_refused([ErrorEvent("one topic failed", terminating=False)]) is None
    refused = ErrorEvent("The term 'Get-Help' is not recognized", category="ObjectNotFound",
                         terminating=True, exception_type="System.Management.Automation.CommandNotFoundException")
    assert help_refused([refused]) == "The term 'Get-Help' is not recognized"
