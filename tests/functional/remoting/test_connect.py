"""Connecting like New-PSSession -AllowRedirection + Import-PSSession, against the simulator over HTTPS."""

from __future__ import annotations

from pathlib import Path

from tui.config import Account
from tui.remoting.events import ImportProgress, RedirectEvent
from tui.remoting.importer import DROPPED_COMMON, SKIPPED_COMMANDS, CatalogCache
from tui.remoting.session import DelegatedSession
from tui.tenants import Tenant

from .conftest import TEST_COMMANDS


def test_first_contact_redirect_is_followed_kept_and_reported(make_sim, tmp_path: Path) -> None:
    sim = make_sim()
    a = sim.accounts[0]
    account = Account(upn=a.upn, endpoint=sim.url, ca_file=sim.ca_file)
    seen: list[object] = []
    session = DelegatedSession(account, Tenant(a.tenants[0]), a.password, cache_dir=None,
                               refresh_in_background=False)
    try:
        session._load_catalog = lambda on_progress: None  # type: ignore[method-assign]  # connect only
        session.open(on_event=seen.append)
        assert session.redirected_to is not None and "/PowerShell-LiveID/pod01" in session.redirected_to
        assert f"DelegatedOrg={a.tenants[0]}" in session.redirected_to
        assert session.connected_uri == session.redirected_to          # every later request goes there
        assert [type(e) for e in seen] == [RedirectEvent]
        assert "redirected to the following URI" in seen[0].message  # type: ignore[attr-defined]
        # 302 on the first Create, then the Create at Location: one shell, on the pod URI.
        stats = sim.stats()
        assert stats["requests"]["Create"] == 2 and stats["shells_created"] == 1
        records: list[object] = []
        from tui.remoting.invoke import RemotePipeline
        from tui.shell.bound import BoundCommand

        assert session._pool is not None
        got = RemotePipeline(session._pool, [BoundCommand("Get-Mailbox", {"ResultSize": 2})],
                             records.append).run_to_end()
        assert len(got) == 2
    finally:
        session.close()
    assert sim.stats()["open_shells"] == {}


def test_import_progress_then_cache_on_next_connect(make_sim, tmp_path: Path) -> None:
    sim = make_sim()
    a = sim.accounts[0]
    account = Account(upn=a.upn, endpoint=sim.url, ca_file=sim.ca_file)
    tenant = Tenant(a.tenants[0])
    cache = CatalogCache(tmp_path)
    corrupt = cache.path_for(sim.url, a.upn, tenant.domain)
    corrupt.parent.mkdir(parents=True)
    corrupt.write_text('{"cmdlets": [{"name": ')          # a torn write from an earlier crash

    progress: list[ImportProgress] = []
    cold = DelegatedSession(account, tenant, a.password, cache_dir=tmp_path, refresh_in_background=False)
    before = sim.stats()["requests"]
    cold.open(on_progress=progress.append)
    cold_requests = {k: v - before[k] for k, v in sim.stats()["requests"].items()}
    cold.close()

    total = len(cold.catalog)
    assert total > 500 and "Get-Mailbox" in cold.catalog and "Get-Command" not in cold.catalog
    assert progress[-1].done == progress[-1].total >= total
    streamed = [p for p in progress if 0 < p.done < p.total]
    assert len(streamed) >= 3, "progress must arrive while the metadata is still coming in"
    assert all(p.total == progress[-1].total for p in streamed)
    assert [p.done for p in progress] == sorted(p.done for p in progress)
    assert "of" in streamed[0].text and str(streamed[0].total) in streamed[0].text

    cached = cache.load(sim.url, a.upn, tenant.domain)
    assert cached is not None and cached == cold.catalog   # the corrupt file was replaced

    warm_progress: list[ImportProgress] = []
    warm = DelegatedSession(account, tenant, a.password, cache_dir=tmp_path, refresh_in_background=False)
    before = sim.stats()["requests"]
    warm.open(on_progress=warm_progress.append)
    warm_requests = {k: v - before[k] for k, v in sim.stats()["requests"].items()}
    try:
        assert warm.catalog == cold.catalog
        assert warm_progress == [ImportProgress(total, total, phase="cache", from_cache=True)]
        # Opening the pool is all a warm connect costs: Create + one Receive, no GetCommandMetadata.
        assert warm_requests["Create"] == 1 and warm_requests["Command"] == 0 and warm_requests["Receive"] == 1
        assert sum(warm_requests.values()) < sum(cold_requests.values())
    finally:
        warm.close()


def test_a_cold_import_of_every_command_holds_each_served_cmdlet_whole(make_sim, tmp_path: Path) -> None:
    # 730 commands take several Receives: the importer reads them in parts, on a thread of its own.
    sim = make_sim()
    a = sim.accounts[0]
    session = DelegatedSession(Account(upn=a.upn, endpoint=sim.url, ca_file=sim.ca_file), Tenant(a.tenants[0]),
                               a.password, cache_dir=tmp_path, refresh_in_background=False)
    before = sim.stats()["requests"]["Receive"]
    session.open()
    try:
        assert sim.stats()["requests"]["Receive"] - before >= 4
        served = [c for c in sim.engine.catalog if c.name.lower() not in SKIPPED_COMMANDS]
        assert session.catalog.names == [c.name for c in served]
        for cmdlet in served:
            kept = [p for p in cmdlet.parameters if p.name.lower() not in DROPPED_COMMON]
            got = session.catalog[cmdlet.name].parameters
            assert [(p.name, p.switch, p.aliases) for p in got] == [(p.name, p.switch, p.aliases) for p in kept]
    finally:
        session.close()


def test_background_refresh_swaps_in_the_served_catalog(sim, seeded_cache: Path, tmp_path: Path) -> None:
    from tui.catalog import Catalog

    cache_dir = seeded_cache
    a = sim.accounts[0]
    account = Account(upn=a.upn, endpoint=sim.url, ca_file=sim.ca_file)
    tenant = Tenant(a.tenants[1])
    cache = CatalogCache(cache_dir)
    full = cache.load(sim.url, a.upn, tenant.domain)
    assert full is not None
    stale = Catalog(c for c in full if c.name != "Get-Mailbox")       # the service gained a cmdlet since
    cache.save(sim.url, a.upn, tenant.domain, stale)
    changed: list[Catalog] = []
    session = DelegatedSession(account, tenant, a.password, cache_dir=cache_dir, import_patterns=TEST_COMMANDS)
    session.on_catalog_changed = changed.append
    try:
        session.open()
        assert "Get-Mailbox" not in session.catalog                    # the cache is used at once …
        assert session.wait_for_refresh(60)
        assert "Get-Mailbox" in session.catalog and changed and "Get-Mailbox" in changed[-1]   # … then refreshed
        saved = cache.load(sim.url, a.upn, tenant.domain)
        assert saved is not None and "Get-Mailbox" in saved
    finally:
        session.close()


def test_lazy_detail_from_get_command_is_merged_and_cached(sim, seeded_cache: Path, tmp_path: Path) -> None:
    cache_dir = seeded_cache
    a = sim.accounts[0]
    account = Account(upn=a.upn, endpoint=sim.url, ca_file=sim.ca_file)
    tenant = Tenant(a.tenants[0])
    session = DelegatedSession(account, tenant, a.password, cache_dir=cache_dir, refresh_in_background=False)
    try:
        session.open()
        bare = session.catalog.get("Set-Mailbox")
        assert bare is not None and not bare.parameter_sets               # GetCommandMetadata has no sets
        before = sim.stats()["requests"]["Command"]
        detail = session.ensure_detail("set-mailbox")
        assert sim.stats()["requests"]["Command"] == before + 1
        assert detail is not None
        identity = detail.parameter("Identity")
        assert identity is not None and identity.position == 1 and identity.pipeline and identity.is_mandatory()
        bare_identity = bare.parameter("Identity")
        assert bare_identity is not None and identity.type == bare_identity.type   # full type, not "string"
        assert session.catalog.get("Set-Mailbox") == detail
        assert session.ensure_detail("Set-Mailbox") == detail
        assert sim.stats()["requests"]["Command"] == before + 1           # fetched once

        perm = session.ensure_detail("Add-MailboxPermission")             # several parameter sets
        assert perm is not None and perm.parameter_sets[0] == "AccessRights" and "Owner" in perm.parameter_sets
        rights = perm.parameter("AccessRights")
        assert rights is not None and "FullAccess" in rights.valid_values and rights.is_mandatory("AccessRights")
        owner = perm.parameter("Owner")
        assert owner is not None and owner.sets == ("Owner",)
        cached = CatalogCache(cache_dir).load(sim.url, a.upn, tenant.domain)
        assert cached is not None and cached.get("Set-Mailbox") == detail and cached.get("Add-MailboxPermission") == perm
    finally:
        session.close()


def test_reimport_replaces_catalog_and_detail(sim, open_session) -> None:   # type: ignore[no-untyped-def]
    from tui.catalog import Catalog
    from tui.remoting.importer import CatalogCache

    session = open_session(sim)
    session.ensure_detail("Set-Mailbox")
    session.catalog = Catalog(c for c in session.catalog if c.name != "Get-Mailbox")   # stale
    progress: list[ImportProgress] = []
    catalog = session.reimport(progress.append)
    assert "Get-Mailbox" in catalog and session.catalog is catalog
    assert progress and progress[-1].done == progress[-1].total
    bare = catalog.get("Set-Mailbox")
    assert bare is not None and not any(p.position for p in bare.parameters)        # detail fetched afresh later
    saved = CatalogCache(session.cache.directory.parent).load(sim.url, session.account.upn, session.tenant.domain)
    assert saved == catalog


def test_commands_during_the_background_refresh_wait_one_chunk_at_most(sim, seeded_cache: Path) -> None:   # type: ignore[no-untyped-def]
    from tui.catalog import Catalog

    a = sim.accounts[0]
    account = Account(upn=a.upn, endpoint=sim.url, ca_file=sim.ca_file)
    tenant = Tenant(a.tenants[2])
    cache = CatalogCache(seeded_cache)
    full = cache.load(sim.url, a.upn, tenant.domain)
    assert full is not None
    cache.save(sim.url, a.upn, tenant.domain, Catalog(c for c in full if c.name != "Get-Recipient"))
    session = DelegatedSession(account, tenant, a.password, cache_dir=seeded_cache, import_patterns=TEST_COMMANDS)
    try:
        session.open()                                    # the refresh starts at once, in chunks
        for _ in range(3):
            assert session.run("Get-Mailbox -ResultSize 1", lambda e: None).outcome == "ok"
        assert session.wait_for_refresh(60)
        assert "Get-Recipient" in session.catalog          # the refresh went on after the commands
        detailed = session.catalog.get("Get-Mailbox")
        assert detailed is not None and detailed.parameter_sets   # and kept the detail fetched meanwhile
    finally:
        session.close()
