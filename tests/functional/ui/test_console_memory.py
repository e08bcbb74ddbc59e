"""The console's pure models: per-tenant history and what completion learns from results."""

from __future__ import annotations

from tui.shell.history import History
from tui.shell.memory import CompletionMemory, commands_of, shape_source
from tui.shell.records import Record


def test_history_navigation_keeps_the_draft() -> None:
    h = History(["a", "b", "c"])
    assert h.older("draft") == "c"
    assert h.older("c") == "b"
    assert h.newer() == "c"
    assert h.newer() == "draft"
    assert h.newer() is None  # not navigating any more


def test_history_search_walks_older_matches() -> None:
    h = History(["Get-Mailbox a", "Get-User", "Get-Mailbox b"])
    first = h.search("mailbox")
    assert first == (2, "Get-Mailbox b")
    assert h.search("mailbox", first[0]) == (0, "Get-Mailbox a")
    assert h.search("mailbox", 0) is None


def test_commands_and_shapes_of_lines() -> None:
    assert commands_of("$x = Get-Mailbox -ResultSize 5 | Sort-Object Name; Get-User") == [
        "Get-Mailbox", "Sort-Object", "Get-User"]
    assert shape_source("Get-Mailbox | Where-Object Name -like a* | Sort-Object Name") == "Get-Mailbox"
    assert shape_source("Get-Mailbox | Select-Object Name") == "Select-Object"


def test_memory_learns_counts_properties_identities_variables() -> None:
    mem = CompletionMemory(["Get-Mailbox", "Get-Mailbox -Identity x | Get-MailboxStatistics"])
    mailbox = Record({"Name": "Adele Vance", "PrimarySmtpAddress": "AdeleV@contoso.com", "Alias": "AdeleV"})
    mem.saw_result("$boxes = Get-Mailbox", mailbox, [mailbox], "boxes")
    selected = Record({"Name": "Adele Vance"})
    mem.saw_result("Get-Mailbox | Select-Object Name", selected, [selected], None)
    data = mem.data()
    assert data.history_counts["Get-Mailbox"] == 2 and data.history_counts["Get-MailboxStatistics"] == 1
    assert data.properties["Get-Mailbox"] == ["Name", "PrimarySmtpAddress", "Alias"]  # not Select's shape
    assert data.properties["$boxes"] == ["Name", "PrimarySmtpAddress", "Alias"]
    assert data.properties["$last"] == ["Name"]
    assert "AdeleV@contoso.com" in data.identities and "boxes" in data.variables
