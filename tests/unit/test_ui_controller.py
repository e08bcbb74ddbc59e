"""The UI's pure parts: the confirmation policy, the event batching and the tenant ranking."""

from __future__ import annotations

import threading

import pytest

from tui.console.controller import EventBuffer, needs_confirmation
from tui.console.widgets.tenant_list import fuzzy_score, order_tenants
from tui.tenants import Tenant


@pytest.mark.parametrize(("line", "policy", "expected"), [
    ("Get-Mailbox -ResultSize 5", "always", False),
    ("Set-Mailbox -Identity alice -ProhibitSendQuota 5GB", "always", True),
    ("Set-Mailbox -Identity alice -ProhibitSendQuota 5GB", "destructive", False),
    ("Set-Mailbox -Identity alice -ProhibitSendQuota 5GB", "never", False),
    ("Remove-MailboxPermission alice -User bob -AccessRights FullAccess", "destructive", True),
    ("Disable-Mailbox alice", "destructive", True),
    ("Clear-MobileDevice x", "destructive", True),
    ("New-DistributionGroup -Name Sales", "always", True),
    ("Enable-Mailbox alice -Archive", "always", True),
    ("Get-Mailbox | Set-Mailbox -HiddenFromAddressListsEnabled $true", "always", True),
    ("Set-Mailbox alice -Type Shared -WhatIf", "always", False),
    ("Remove-Mailbox alice -wh", "always", False),
    ("Remove-Mailbox alice -WhatIf:$false", "always", True),
    ("Test-MAPIConnectivity", "always", False),
    ("Get-Mailbox | Export-Csv out.csv", "always", False),
    ("$m = Get-Mailbox; Set-User bob -Title x", "always", True),
    ("Set-Mailbox 'unterminated", "always", True),  # the parser refuses it; the fallback stays careful
])
def test_confirmation_policy(line: str, policy: str, expected: bool) -> None:
    assert needs_confirmation(line, policy) is expected


def test_event_buffer_asks_for_one_message_per_batch() -> None:
    buf = EventBuffer()
    wakeups = 0
    barrier = threading.Barrier(4)

    def producer() -> None:
        nonlocal wakeups
        barrier.wait()
        for i in range(1000):
            if buf.push(i):
                wakeups += 1

    threads = [threading.Thread(target=producer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert wakeups == 1  # nothing drained: still the first batch
    assert len(buf.drain()) == 4000
    assert buf.push("x") is True  # empty again: the next event wakes the UI


TENANTS = [
    Tenant("contoso.onmicrosoft.com", "Contoso Ltd", tags=("retail", "eu")),
    Tenant("fabrikam.onmicrosoft.com", "Fabrikam Inc", favorite=True),
    Tenant("northwind.onmicrosoft.com", "Northwind Traders"),
    Tenant("wingtip.onmicrosoft.com", "Wingtip Toys", tags=("retail",)),
]


def test_ranking_prefers_prefix_then_word_then_subsequence() -> None:
    assert fuzzy_score("north", TENANTS[2]) > fuzzy_score("wind", TENANTS[2]) > fuzzy_score("nwd", TENANTS[2]) > 0
    assert fuzzy_score("zz", TENANTS[0]) == 0
    assert [t.domain for t in order_tenants(TENANTS, "retail")] == ["contoso.onmicrosoft.com",
                                                                    "wingtip.onmicrosoft.com"]
    # every term must match something
    assert [t.domain for t in order_tenants(TENANTS, "retail toys")] == ["wingtip.onmicrosoft.com"]


def test_order_without_query_favorites_recent_name() -> None:
    recent = {"wingtip.onmicrosoft.com": 20.0, "northwind.onmicrosoft.com": 10.0}
    assert [t.name for t in order_tenants(TENANTS, "", recent)] == [
        "Fabrikam Inc", "Wingtip Toys", "Northwind Traders", "Contoso Ltd"]
