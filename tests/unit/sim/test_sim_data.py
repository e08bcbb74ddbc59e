"""Deterministic tenants, accounts and per-tenant data."""

from __future__ import annotations

import re
import threading
import uuid
from datetime import UTC, datetime

from tui.sim.data import ACCOUNTS, NAMESPACE, TENANTS, TenantStore, byte_size, tenant_by_domain

START = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def test_about_a_dozen_believable_tenants():
    assert 10 <= len(TENANTS) <= 16
    domains = [t.domain for t in TENANTS]
    assert len(set(domains)) == len(domains)
    assert all(d.endswith(".onmicrosoft.com") for d in domains)
    assert {"Contoso Ltd", "Northwind Traders", "Woodgrove Bank", "Fourth Coffee"} <= {t.name for t in TENANTS}
    assert all(uuid.UUID(t.tenant_id) for t in TENANTS)
    assert tenant_by_domain("CONTOSO.onmicrosoft.com") is TENANTS[0]
    assert tenant_by_domain("unknown.onmicrosoft.com") is None


def test_partner_accounts_and_delegation():
    assert len(ACCOUNTS) >= 2
    known = {t.domain for t in TENANTS}
    for account in ACCOUNTS:
        assert account.upn.endswith(".onmicrosoft.com") and "@" in account.upn
        assert account.tenants and set(account.tenants) <= known
    assert known - set(ACCOUNTS[0].tenants), "some tenant must not be delegated to the first account"


def test_same_data_every_start():
    a = TenantStore(40, start=START).get("contoso.onmicrosoft.com")
    b = TenantStore(40, start=START).get("contoso.onmicrosoft.com")
    assert a is not None and b is not None
    assert [m.props for m in a.mailboxes] == [m.props for m in b.mailboxes]
    assert [g.props for g in a.groups] == [g.props for g in b.groups]
    assert a.inbox_rules.keys() == b.inbox_rules.keys()
    later = TenantStore(40).get("contoso.onmicrosoft.com")
    assert later is not None
    assert [(m.props["Name"], m.guid) for m in later.mailboxes] == [(m.props["Name"], m.guid) for m in a.mailboxes]


def test_tenants_differ():
    store = TenantStore(30, start=START)
    contoso, fabrikam = store.get("contoso.onmicrosoft.com"), store.get("fabrikam.onmicrosoft.com")
    assert contoso is not None and fabrikam is not None
    assert contoso.mailboxes[0].props["PrimarySmtpAddress"].endswith("@contoso.com")
    assert fabrikam.mailboxes[0].props["PrimarySmtpAddress"].endswith("@fabrikam.com")
    assert {m.guid for m in contoso.mailboxes}.isdisjoint({m.guid for m in fabrikam.mailboxes})


def test_mailbox_shapes():
    data = TenantStore(50, start=START).get("woodgrovebank.onmicrosoft.com")
    assert data is not None
    boxes = data.mailboxes
    assert len(boxes) == 50
    kinds = {m.kind for m in boxes}
    assert kinds == {"UserMailbox", "SharedMailbox", "RoomMailbox", "EquipmentMailbox"}
    aliases = [m.props["Alias"].lower() for m in boxes]
    assert len(set(aliases)) == len(aliases)
    for m in boxes:
        p = m.props
        assert re.fullmatch(r"[A-Z]{3}PR\d{2}DG\d{3}-db\d{3}", p["Database"]), p["Database"]
        assert p["ProhibitSendQuota"] == "99 GB (106,300,440,576 bytes)"
        assert p["ProhibitSendReceiveQuota"] == "100 GB (107,374,182,400 bytes)"
        assert p["UserPrincipalName"] == p["PrimarySmtpAddress"]
        assert f"SMTP:{p['PrimarySmtpAddress']}" in p["EmailAddresses"]
        assert m.guid == uuid.uuid5(NAMESPACE, f"{data.tenant.domain}|mailbox|{p['Alias'].lower()}")
        assert p["Identity"] == p["Name"]
        assert p["DistinguishedName"].startswith(f"CN={p['Name']},OU={data.tenant.domain},")


def test_data_is_generated_lazily_and_once_under_threads():
    store = TenantStore(300, start=START)
    data = store.get("litware.onmicrosoft.com")
    assert data is not None and data._mailboxes is None
    seen: list[int] = []
    threads = [threading.Thread(target=lambda: seen.append(id(data.mailboxes))) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(seen)) == 1
    assert store.get("litware.onmicrosoft.com") is data


def test_size_follows_mailboxes_and_large_tenants_generate():
    data = TenantStore(2500, start=START).get("adatum.onmicrosoft.com")
    assert data is not None and len(data.mailboxes) == 2500
    assert len(data.find_mailboxes(data.mailboxes[-1].props["UserPrincipalName"])) == 1


def test_message_trace_is_per_day_and_stable():
    data = TenantStore(20, start=START).get("contoso.onmicrosoft.com")
    assert data is not None
    day = datetime(2026, 10, 30, tzinfo=UTC)
    first = data.trace_day(day)
    assert first and first == data.trace_day(day)
    assert all(e["Received"].date() == day.date() for e in first)
    assert [e["Received"] for e in first] == sorted((e["Received"] for e in first), reverse=True)
    assert data.trace_day(datetime(2026, 11, 5, tzinfo=UTC)) == []  # after the simulator's "now"


def test_byte_size_text():
    assert byte_size(106_300_440_576) == "99 GB (106,300,440,576 bytes)"
    assert byte_size(1_325_000_000) == "1.234 GB (1,325,000,000 bytes)"
    assert byte_size(5 * 1024 * 1024) == "5 MB (5,242,880 bytes)"
