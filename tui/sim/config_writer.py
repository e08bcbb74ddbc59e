"""``exohop simulate --write-config DIR``: an exohop configuration that points at this simulator.

Writes ``config.toml`` (every simulator account with this endpoint and CA, the first one the default;
with ``auth="oauth"`` also what an OAuth sign-in needs: ``auth``, ``client_id``, ``home_tenant`` and the
simulator's ``authority``) and ``tenants.toml`` (every customer tenant of the simulator, under the default account, including
the ones not delegated to it), in the format of contracts.md. Passwords are never written. The CA is
copied into DIR so the configuration stays valid while the simulator that made it runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import tomli_w

from tui.files import atomic_write_text
from tui.sim.directory import EXO_PUBLIC_CLIENT_ID, partner_domain

CONFIG_FILE = "config.toml"
TENANTS_FILE = "tenants.toml"
CA_FILE = "ca.pem"
AUTH_CHOICES = ("oauth", "basic")


def write_config(directory: Path, *, url: str, ca_file: str | None, account_upns: list[str],
                 tenants: list[Any], auth: str = "basic", authority: str | None = None) -> list[Path]:
    """Write the files into ``directory`` (created if needed); returns the paths written. ``auth="oauth"``
    needs ``authority`` (the simulator's base URL); the home tenant is the UPN's domain."""
    if auth not in AUTH_CHOICES:
        raise ValueError(f"auth must be one of {AUTH_CHOICES}, not {auth!r}")
    if auth == "oauth" and not authority:
        raise ValueError("an OAuth configuration needs the simulator's authority")
    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    ca_copy: Path | None = None
    if ca_file:
        ca_copy = directory / CA_FILE
        atomic_write_text(ca_copy, Path(ca_file).read_text(encoding="ascii"))
        written.append(ca_copy)
    accounts = []
    for i, upn in enumerate(account_upns):
        entry: dict[str, Any] = {"upn": upn, "endpoint": url}
        if auth == "oauth":
            entry.update({"auth": "oauth", "client_id": EXO_PUBLIC_CLIENT_ID,
                          "home_tenant": partner_domain(upn), "authority": authority})
        if ca_copy is not None:
            entry["ca_file"] = str(ca_copy.resolve())
        entry["default"] = i == 0
        accounts.append(entry)
    config = {"settings": {"confirm": "always", "max_sessions_per_account": 3}, "accounts": accounts}
    directory_entries = []
    for t in tenants:
        entry = {"domain": t.domain, "name": t.name, "tenant_id": t.tenant_id,
                 "tags": list(getattr(t, "tags", ())), "favorite": False}
        directory_entries.append(entry)
    for name, doc in ((CONFIG_FILE, config), (TENANTS_FILE, {"tenants": directory_entries})):
        path = directory / name
        atomic_write_text(path, tomli_w.dumps(doc))
        written.append(path)
    return written
