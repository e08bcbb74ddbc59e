"""Snapshot tests of exohop's main screens (pytest-textual-snapshot, fixed terminal size).

Regenerate after an intended change with ``pytest tests/snapshots --snapshot-update`` and look at
the report before committing the SVG files.
"""

from __future__ import annotations

from typing import Any

from tui.app import ExohopApp, make_app
from tui.config import Account, Config
from tui.controller import Controller, TenantStatus
from tui.tenants import Tenant, TenantDirectory

SIZE = (110, 30)
UPN = "admin@fabrikampartner.onmicrosoft.com"


def _offline_app() -> ExohopApp:
    """An app over a small directory and no server: for the screens that need no session."""
    config = Config(accounts=[Account(UPN, "https://127.0.0.1:9/powershell-liveid", default=True)])
    tenants = TenantDirectory([
        Tenant("contoso.onmicrosoft.com", "Contoso Ltd", tags=("retail", "eu"), favorite=True),
        Tenant("fabrikam.onmicrosoft.com", "Fabrikam Inc"),
        Tenant("northwind.onmicrosoft.com", "Northwind Traders", tags=("us",)),
        Tenant("adatum.onmicrosoft.com", "Adatum Corporation", tags=("finance",)),
        Tenant("wingtiptoys.onmicrosoft.com", "Wingtip Toys", tags=("retail",)),
        Tenant("tailspin.onmicrosoft.com", "Tailspin Toys"),
    ])
    ctl = Controller(config, tenants, password_source=lambda upn: None)
    ctl.set_status("adatum.onmicrosoft.com", TenantStatus.ERROR,
                   "Access is denied to adatum.onmicrosoft.com for " + UPN + ": the account has no delegated "
                   "admin rights for that tenant.")
    return make_app(ctl)


def test_tenant_list(snap_compare: Any) -> None:
    assert snap_compare(_offline_app(), terminal_size=SIZE)


def test_tenant_list_filtered(snap_compare: Any) -> None:
    assert snap_compare(_offline_app(), press=["slash", *"toys"], terminal_size=SIZE)


def test_tenant_error_detail(snap_compare: Any) -> None:
    assert snap_compare(_offline_app(), press=["slash", *"adatum"], terminal_size=SIZE)


def test_help_screen(snap_compare: Any) -> None:
    assert snap_compare(_offline_app(), press=["f1"], terminal_size=SIZE)
