"""Cmdlet synopses (Get-Help) fetched in the background after an import, kept in the cache (real pypsrp → simulator)."""

from __future__ import annotations

from pathlib import Path

from tests.functional.remoting.conftest import TEST_COMMANDS
from tui.catalog import Catalog
from tui.config import Account
from tui.remoting.importer import CatalogCache
from tui.remoting.invoke import run_simple
from tui.remoting.session import DelegatedSession
from tui.tenants import Tenant


def _requests(sim) -> dict[str, int]:   # type: ignore[no-untyped-def]
    return dict(sim.stats()["requests"])


def _diff(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {k: after[k] - before.get(k, 0) for k in after}


def test_synopses_arrive_after_import_are_cached_and_cost_a_warm_connect_nothing(sim, tmp_path: Path) -> None:   # type: ignore[no-untyped-def]
    a = sim.accounts[0]
    account = Account(upn=a.upn, endpoint=sim.url, ca_file=sim.ca_file)
    tenant = Tenant(a.tenants[3])
    changed: list[Catalog] = []
    cold = DelegatedSession(account, tenant, a.password, cache_dir=tmp_path, import_patterns=TEST_COMMANDS)
    cold.on_catalog_changed = changed.append
    try:
        cold.open()
        assert cold.wait_for_refresh(60)
        synopsis = cold.catalog["Get-Mailbox"].synopsis
        assert synopsis and "mailbox" in synopsis.lower()
        assert changed and changed[-1] is cold.catalog and changed[-1]["Get-Mailbox"].synopsis == synopsis
        assert all(c.synopsis for c in cold.catalog)
    finally:
        cold.close()
    cached = CatalogCache(tmp_path).load(sim.url, a.upn, tenant.domain)
    assert cached is not None and cached["Get-Mailbox"].synopsis == synopsis

    # A warm connect has them at once: Create + one Receive, nothing else.
    warm = DelegatedSession(account, tenant, a.password, cache_dir=tmp_path, refresh_in_background=False,
                            import_patterns=TEST_COMMANDS)
    before = _requests(sim)
    warm.open()
    spent = _diff(before, _requests(sim))
    try:
        assert warm.catalog["Get-Mailbox"].synopsis == synopsis
        assert spent["Create"] == 1 and spent["Receive"] == 1 and sum(spent.values()) == 2
    finally:
        warm.close()

    # A background refresh over a catalog whose synopses are all known asks Get-Help nothing:
    # one GetCommandMetadata per import pattern, no more commands.
    again = DelegatedSession(account, tenant, a.password, cache_dir=tmp_path, import_patterns=TEST_COMMANDS)
    before = _requests(sim)
    try:
        again.open()
        assert again.wait_for_refresh(60)
        assert _diff(before, _requests(sim))["Command"] == len(TEST_COMMANDS)
        assert again.catalog["Get-Mailbox"].synopsis == synopsis
    finally:
        again.close()


def test_refresh_fills_synopses_a_cached_catalog_lacks(sim, seeded_catalog, tmp_path: Path) -> None:   # type: ignore[no-untyped-def]
    a = sim.accounts[0]
    account = Account(upn=a.upn, endpoint=sim.url, ca_file=sim.ca_file)
    tenant = Tenant(a.tenants[4])
    cache = CatalogCache(tmp_path)
    bare = Catalog(c for c in seeded_catalog)   # as an older exohop cached it: no synopses
    cache.save(sim.url, a.upn, tenant.domain, Catalog(
        type(c)(name=c.name, parameter_sets=c.parameter_sets, parameters=c.parameters) for c in bare))
    session = DelegatedSession(account, tenant, a.password, cache_dir=tmp_path, import_patterns=TEST_COMMANDS)
    try:
        session.open()
        assert not session.catalog["Get-Mailbox"].synopsis          # the cache at once …
        detail = session.ensure_detail("Add-MailboxPermission")      # detail fetched meanwhile is kept
        assert detail is not None and detail.parameter_sets
        assert session.wait_for_refresh(60)
        assert session.catalog["Get-Mailbox"].synopsis              # … then the synopses
        kept = session.catalog["Add-MailboxPermission"]
        assert kept.synopsis and kept.parameter_sets == detail.parameter_sets
        saved = cache.load(sim.url, a.upn, tenant.domain)
        assert saved is not None and saved == session.catalog
    finally:
        session.close()


def test_get_help_with_a_wildcard_answers_summaries(sim, open_session) -> None:   # type: ignore[no-untyped-def]
    session = open_session(sim)
    assert session._pool is not None
    records, errors = run_simple(session._pool, "Get-Help", {"Name": "Get-Mailbox*"})
    assert not errors
    names = {r["Name"] for r in records}
    assert {"Get-Mailbox", "Get-MailboxStatistics", "Get-MailboxPermission"} <= names
    first = records[0]
    assert first["Category"] == "Cmdlet" and first["Synopsis"] and "Syntax" not in first
    records, errors = run_simple(session._pool, "Get-Help", {"Name": "Zzz-Nothing*"})
    assert records == [] and errors == []          # a wildcard that matches nothing is not an error
