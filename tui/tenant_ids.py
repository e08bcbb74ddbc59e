"""Tenant ids (GUIDs) written into tenants.toml once they are known (a sign-in resolves them from each
domain's OpenID configuration), so URLs and anchors can use the id and no later run asks again."""

from __future__ import annotations

import logging
from typing import Any

from tui.config import ConfigError
from tui.tenants import TenantDirectory

log = logging.getLogger(__name__)


def store_tenant_ids(ids: dict[str, str]) -> int:
    """Write each id into its tenants.toml entry that has none, and change nothing else; the number of
    entries changed.

    ``TenantDirectory.update`` does it (under the file's lock, on the file as it is now, atomically): each
    ``tenant_id = "…"`` line goes in right under its entry's ``domain`` line, or tomlkit sets the key in a
    layout that edit cannot handle (inline tables). A tenants.toml that does not load is left alone: the
    next load reports it with its line."""
    if not ids:
        return 0
    try:
        changed, _ = TenantDirectory.update(None, lambda directory: directory.set_tenant_ids(ids))
    except ConfigError:
        return 0
    return changed


def remember_tenant_id(tenant: Any, session: Any) -> None:
    """After a session opened: store the tenant id it resolved when tenants.toml has none for it.

    Best effort: a busy or unwritable tenants.toml only means the next run resolves it again (logged)."""
    resolved = getattr(session, "tenant_id", None)
    if not resolved or getattr(tenant, "tenant_id", None):
        return
    try:
        store_tenant_ids({tenant.domain: str(resolved)})
    except OSError as exc:   # FileBusy too: another exohop holds the file's lock
        log.warning("could not store the tenant id of %s: %s", tenant.domain, type(exc).__name__)
    except Exception as exc:   # a layout tomlkit cannot edit: the id is resolved again next time
        log.warning("could not store the tenant id of %s", tenant.domain, exc_info=exc)
