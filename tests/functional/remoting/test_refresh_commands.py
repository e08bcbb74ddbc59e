""""Refresh commands": a re-import over the open session (no new shell), catalog swapped whole, cache rewritten."""

from __future__ import annotations

import functools
from pathlib import Path

from tests.functional.remoting.conftest import TEST_COMMANDS
from tui.catalog import Catalog
from tui.config import Account, Config, Settings
from tui.console.controller import Controller
from tui.remoting.events import ImportProgress
from tui.remoting.importer import CatalogCache
from tui.remoting.pool import SessionPool
from tui.remoting.session import DelegatedSession
from tui.tenants import Tenant, TenantDirectory


def _spent(sim, before: dict[str, int]) -> dict[str, int]:   # type: ignore[no-untyped-def]
    return {k: v - before.get(k, 0) for k, v in sim.stats()["requests"].items()}


def test_refresh_catalog_reimports_on_the_open_shell(sim, open_session) -> None:   # type: ignore[no-untyped-def]
    session = open_session(sim, tenant=sim.accounts[0].tenants[5])
    session.ensure_detail("Add-MailboxPermission")
    stale = Catalog(c for c in session.catalog if c.name != "Get-Mailbox")       # the service gained a cmdlet
    session.catalog = stale
    changed: list[Catalog] = []
    session.on_catalog_changed = changed.append
    progress: list[ImportProgress] = []
    before = dict(sim.stats()["requests"])
    shells = sim.stats()["shells_created"]

    catalog = session.refresh_catalog(progress.append)

    spent = _spent(sim, before)
    assert spent["Create"] == 0 and sim.stats()["shells_created"] == shells       # the same shell
    assert spent["Command"] == 1                                                   # one GetCommandMetadata
    assert "Get-Mailbox" in catalog and session.catalog is catalog and catalog is not stale
    assert changed == [catalog]
    assert progress and progress[-1].done == progress[-1].total == len(catalog)
    saved = CatalogCache(session.cache.directory.parent).load(sim.url, session.account.upn, session.tenant.domain)
    assert saved == catalog
    assert session.run("Get-Mailbox -ResultSize 1", lambda e: None).outcome == "ok"   # still usable


def test_controller_refresh_uses_the_open_session(sim, seeded_catalog, tmp_path: Path) -> None:   # type: ignore[no-untyped-def]
    a = sim.accounts[0]
    account = Account(upn=a.upn, endpoint=sim.url, ca_file=sim.ca_file, default=True)
    tenant = Tenant(a.tenants[6])
    cache = CatalogCache(tmp_path)
    cache.save(sim.url, a.upn, tenant.domain, Catalog(c for c in seeded_catalog if c.name != "Get-Mailbox"))
    factory = functools.partial(DelegatedSession, refresh_in_background=False, import_patterns=TEST_COMMANDS)
    pool = SessionPool(3, cache_dir=tmp_path, factory=factory)
    ctl = Controller(Config(settings=Settings(), accounts=[account]), TenantDirectory([tenant]),
                     password_source=lambda upn: a.password, pool=pool, cache_dir=tmp_path)
    try:
        first = ctl.open_session(tenant, a.password)
        assert "Get-Mailbox" not in first.catalog                     # from the (stale) cache
        before = dict(sim.stats()["requests"])
        progress: list[object] = []
        again = ctl.refresh_catalog(tenant, a.password, progress.append)
        assert again is first and "Get-Mailbox" in again.catalog and progress
        assert _spent(sim, before)["Create"] == 0
        saved = cache.load(sim.url, a.upn, tenant.domain)
        assert saved is not None and "Get-Mailbox" in saved
    finally:
        assert not pool.close_all(10)
