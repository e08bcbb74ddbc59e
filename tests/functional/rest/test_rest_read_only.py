"""Read-only mode in the REST session engine: the shipped catalog's -WhatIf marks a state change whose verb
says nothing (Undo-SoftDeletedMailbox), an account's ``read_only = true`` turns it on, and a refused line is
never posted (the simulator's REST door counts every InvokeCommand per cmdlet)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.functional.rest.conftest import ADMIN, CONTOSO
from tui.config import Account
from tui.remoting.events import ErrorEvent, Event
from tui.remoting.rest.session import RestSession
from tui.sim import Simulator
from tui.tenants import Tenant


def invokes(sim: Simulator) -> dict[str, Any]:
    return dict(sim.stats()["rest"]["by_cmdlet"])


@pytest.fixture
def read_only_session(rest_sim: Simulator, providers: Callable[[str], Any], tmp_path: Path) -> Iterator[RestSession]:
    """A REST session of an account configured ``read_only = true``."""
    account = Account(upn=ADMIN, endpoint=rest_sim.url, ca_file=rest_sim.ca_file, auth="oauth",
                      authority=rest_sim.authority, home_tenant=rest_sim.home_tenant_of(ADMIN), read_only=True)
    session = RestSession(account, Tenant(domain=CONTOSO, tenant_id=rest_sim.tenant_ids[CONTOSO]), providers(ADMIN),
                          cache_dir=tmp_path / "cache")
    session.open()
    yield session
    session.close()


def test_an_account_with_read_only_true_refuses_what_the_catalog_marks_and_posts_nothing(
        rest_sim: Simulator, read_only_session: RestSession) -> None:
    s = read_only_session
    assert s.read_only
    info = s.catalog.get("Undo-SoftDeletedMailbox")
    assert info is not None and info.parameter("WhatIf") is not None      # the shipped catalog says so
    before = invokes(rest_sim)
    for line in ("Undo-SoftDeletedMailbox -SoftDeletedObject alice", "Set-Mailbox -Identity alice -CustomAttribute1 x",
                 "Get-Mailbox -ResultSize 2 | Set-Mailbox -CustomAttribute1 x"):
        seen: list[Event] = []
        summary = s.run(line, seen.append)
        assert summary.outcome == "refused", line
        [error] = [e for e in seen if isinstance(e, ErrorEvent)]
        assert "changes the tenant" in error.message and f"read_only = false for {ADMIN}" in error.message
    assert invokes(rest_sim) == before                                     # not one InvokeCommand, not even Get-

    seen = []
    assert s.run("Get-Mailbox -ResultSize 2", seen.append).outcome == "ok"   # reads are not touched
    assert sum(invokes(rest_sim)["Get-Mailbox"].values()) > sum(before.get("Get-Mailbox", {}).values())
