"""Which cmdlets change the tenant (tui.shell.safety): the catalog's -WhatIf/-Confirm, the write verbs, Get-
as a read; the same rule for the confirmation and the read-only refusal, checked on both real catalogs."""

from __future__ import annotations

from collections import Counter

import pytest

from tui.catalog import Catalog, CmdletInfo
from tui.remoting.shipped_catalog import shipped_catalog, shipped_cmdlet
from tui.shell.safety import (
    STATE_CHANGING_VERBS,
    changes_state,
    needs_confirmation,
    read_only_refusal,
    state_changes,
)
from tui.sim.builtin_catalog import builtin_catalog

from .conftest import P

SHOULD_PROCESS = (P("WhatIf", "SwitchParameter"), P("Confirm", "SwitchParameter"))
CATALOG = Catalog([
    CmdletInfo("Undo-SoftDeletedMailbox", parameters=(P("Identity", position=0), *SHOULD_PROCESS)),
    CmdletInfo("Rotate-DkimSigningConfig", parameters=(P("Identity"), P("Confirm", "SwitchParameter"))),
    CmdletInfo("Delete-QuarantineMessage", parameters=(P("Identity"), *SHOULD_PROCESS)),
    CmdletInfo("Search-MessageTrackingReport", parameters=(P("Identity"),)),
    CmdletInfo("Get-Mailbox", parameters=(P("Identity", position=0), P("ResultSize"))),
    CmdletInfo("Get-Place", parameters=(P("Identity"), *SHOULD_PROCESS)),   # as the reference lists it
    CmdletInfo("Set-Clutter", parameters=(P("Identity"), P("Enable", "Boolean"))),   # a write without -WhatIf
    CmdletInfo("Expedite-Delicensing"),   # a name-only entry: no parameter metadata
])


def test_a_cmdlet_whose_catalog_entry_takes_whatif_changes_state_whatever_its_verb() -> None:
    assert "undo" not in STATE_CHANGING_VERBS and "rotate" not in STATE_CHANGING_VERBS
    assert changes_state("Undo-SoftDeletedMailbox", CATALOG)
    assert changes_state("undo-softdeletedmailbox", CATALOG)       # names are case-insensitive
    assert changes_state("Rotate-DkimSigningConfig", CATALOG)      # -Confirm alone says so too
    assert not changes_state("Undo-SoftDeletedMailbox")           # without the catalog: only the verb list


def test_a_cmdlet_without_whatif_changes_state_only_when_its_verb_is_a_write() -> None:
    assert not changes_state("Get-Mailbox", CATALOG)
    assert not changes_state("Search-MessageTrackingReport", CATALOG)
    assert changes_state("Set-Clutter", CATALOG)                   # the reference gives it no -WhatIf


def test_a_get_cmdlet_reads_even_when_its_entry_lists_whatif() -> None:
    assert not changes_state("Get-Place", CATALOG)


@pytest.mark.parametrize(("name", "expected"), [
    ("Set-Mailbox", True), ("Remove-MailboxPermission", True), ("Enable-Mailbox", True),
    ("Get-Recipient", False), ("Test-MAPIConnectivity", False), ("Expedite-Delicensing", False),
])
def test_a_cmdlet_missing_from_the_catalog_or_without_metadata_goes_by_the_verb_list(name: str,
                                                                                      expected: bool) -> None:
    assert name not in CATALOG or not CATALOG[name].parameters
    assert changes_state(name, CATALOG) is expected
    assert changes_state(name, Catalog()) is expected
    assert changes_state(name, lambda _name: None) is expected     # a lookup that knows nothing


def test_whatif_and_local_cmdlets_change_nothing() -> None:
    assert state_changes("Undo-SoftDeletedMailbox alice -WhatIf", CATALOG) == []
    assert state_changes("Undo-SoftDeletedMailbox alice -wi:$true", CATALOG) == ["Undo-SoftDeletedMailbox"]
    assert state_changes("Get-Mailbox | Export-Csv out.csv", CATALOG) == []
    assert state_changes("$m = Get-Mailbox; Undo-SoftDeletedMailbox bob", CATALOG) == ["Undo-SoftDeletedMailbox"]


def test_the_confirmation_uses_the_same_rule() -> None:
    assert needs_confirmation("Undo-SoftDeletedMailbox alice", "always", CATALOG)
    assert not needs_confirmation("Undo-SoftDeletedMailbox alice", "always")
    assert not needs_confirmation("Get-Place -Identity room1", "always", CATALOG)
    assert needs_confirmation("Delete-QuarantineMessage -Identity x", "destructive", CATALOG)
    assert not needs_confirmation("Undo-SoftDeletedMailbox alice", "destructive", CATALOG)
    # read-only refuses instead of asking
    assert not needs_confirmation("Set-Mailbox alice -Type Shared", "always", CATALOG, read_only=True)


def test_the_read_only_refusal_names_the_cmdlets_the_way_to_preview_and_the_way_out() -> None:
    message = read_only_refusal("Get-Mailbox | Set-Mailbox -Type Shared; Undo-SoftDeletedMailbox x", CATALOG,
                                leave="run it without --read-only")
    assert message is not None
    assert message.startswith("Read-only: Set-Mailbox, Undo-SoftDeletedMailbox change the tenant")
    assert "did not send" in message and "-WhatIf" in message and "run it without --read-only" in message
    assert read_only_refusal("Set-Mailbox alice -Type Shared -WhatIf", CATALOG) is None
    assert read_only_refusal("Get-Mailbox -ResultSize 5 | Select-Object Name", CATALOG) is None
    assert read_only_refusal("Set-Mailbox 'unterminated", CATALOG) is not None   # the fallback scan is careful


def _census(catalog: Catalog) -> tuple[list[str], Counter[str]]:
    takes = [c for c in catalog if any(c.parameter(p) for p in ("WhatIf", "Confirm"))]
    gets = sorted(c.name for c in takes if c.verb.lower() == "get")
    others = Counter(c.verb for c in takes if c.verb.lower() not in STATE_CHANGING_VERBS | {"get"})
    return gets, others


def test_on_the_simulators_catalog_no_get_takes_whatif_and_every_modeled_write_is_caught() -> None:
    catalog = builtin_catalog()
    gets, others = _census(catalog)
    assert gets == []
    assert others == Counter({"Delete": 1, "Undo": 1})
    assert changes_state("Undo-SoftDeletedMailbox", catalog) and changes_state("Delete-QuarantineMessage", catalog)
    assert not any(changes_state(c.name, catalog) for c in catalog if c.verb == "Get")
    assert all(changes_state(c.name, catalog) for c in catalog if c.verb in ("Set", "New", "Remove"))


def test_on_the_shipped_catalog_the_rule_reads_gets_and_catches_the_writes_without_whatif() -> None:
    catalog = shipped_catalog()
    gets, others = _census(catalog)
    assert "Get-Place" in gets and len(gets) == 11               # the reference lists -WhatIf on 11 Get- cmdlets
    assert {"Delete", "Undo", "Rotate", "Test"} <= set(others)
    assert not any(changes_state(c.name, shipped_cmdlet) for c in catalog if c.verb == "Get")
    for name in ("Undo-SoftDeletedMailbox", "Delete-QuarantineMessage", "Rotate-DkimSigningConfig",
                 "Set-Clutter", "Remove-TenantAllowBlockListItems", "New-QuarantinePolicy"):
        assert changes_state(name, shipped_cmdlet), name
    assert all(changes_state(c.name, catalog) for c in catalog if c.verb in ("Set", "New", "Remove"))
