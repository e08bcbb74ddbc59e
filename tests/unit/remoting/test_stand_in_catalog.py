"""The stand-in catalog a first import completes from: another tenant's cache on the endpoint, else the shipped one."""

from __future__ import annotations

from pathlib import Path

from tui.catalog import Catalog, CmdletInfo
from tui.config import Account, Config
from tui.console.controller import Controller
from tui.remoting.catalog_cache import CatalogCache
from tui.remoting.shipped_catalog import shipped_catalog
from tui.remoting.stand_in_catalog import SHIPPED, stand_in_catalog
from tui.tenants import Tenant, TenantDirectory

ENDPOINT = "https://outlook.office365.com/powershell-liveid/"
OTHER_ENDPOINT = "https://ps.compliance.protection.outlook.com/powershell-liveid/"
UPN = "admin@partner.onmicrosoft.com"
CACHED = Catalog([CmdletInfo("Get-Mailbox", "Retrieves mailboxes."), CmdletInfo("Get-OnlyInFabrikam")])


def test_another_tenants_cache_on_the_endpoint_comes_first(tmp_path: Path) -> None:
    CatalogCache(tmp_path).save(ENDPOINT, UPN, "fabrikam.onmicrosoft.com", CACHED)
    found = stand_in_catalog(tmp_path, ENDPOINT, [(UPN, "nothing-cached.onmicrosoft.com"),
                                                 (UPN, "fabrikam.onmicrosoft.com")])
    assert found.source == "the cached commands of fabrikam.onmicrosoft.com"
    assert [c.name for c in found.catalog] == ["Get-Mailbox", "Get-OnlyInFabrikam"]


def test_a_cache_on_another_endpoint_is_not_used(tmp_path: Path) -> None:
    CatalogCache(tmp_path).save(OTHER_ENDPOINT, UPN, "fabrikam.onmicrosoft.com", CACHED)
    found = stand_in_catalog(tmp_path, ENDPOINT, [(UPN, "fabrikam.onmicrosoft.com")])
    assert found.source == SHIPPED
    assert found.catalog is shipped_catalog() and found.catalog.get("Get-MailboxPermission") is not None


def test_a_corrupt_cache_is_skipped_for_the_next_one(tmp_path: Path) -> None:
    cache = CatalogCache(tmp_path)
    broken = cache.path_for(ENDPOINT, UPN, "broken.onmicrosoft.com")
    broken.parent.mkdir(parents=True, exist_ok=True)
    broken.write_text("{not json", encoding="utf-8")
    cache.save(ENDPOINT, UPN, "fabrikam.onmicrosoft.com", CACHED)
    found = stand_in_catalog(tmp_path, ENDPOINT, [(UPN, "broken.onmicrosoft.com"), (UPN, "fabrikam.onmicrosoft.com")])
    assert found.source.endswith("fabrikam.onmicrosoft.com")
    assert not broken.exists()   # set aside, so that tenant imports afresh when next opened


def test_no_cache_directory_gives_the_shipped_catalog() -> None:
    found = stand_in_catalog(None, ENDPOINT, [(UPN, "fabrikam.onmicrosoft.com")])
    assert found.source == SHIPPED and len(found.catalog) > 700


def test_the_controller_tries_the_recently_used_tenants_newest_first(tmp_path: Path) -> None:
    tenants = TenantDirectory([Tenant("contoso.onmicrosoft.com", "Contoso"),
                               Tenant("fabrikam.onmicrosoft.com", "Fabrikam"),
                               Tenant("tailspin.onmicrosoft.com", "Tailspin")])
    config = Config(accounts=[Account(UPN, ENDPOINT, default=True)])
    ctl = Controller(config, tenants, password_source=lambda upn: None, cache_dir=tmp_path)
    cache = CatalogCache(tmp_path)
    cache.save(ENDPOINT, UPN, "fabrikam.onmicrosoft.com", CACHED)
    cache.save(ENDPOINT, UPN, "tailspin.onmicrosoft.com", Catalog([CmdletInfo("Get-OnlyInTailspin")]))
    contoso = tenants.get("contoso.onmicrosoft.com")
    assert contoso is not None
    assert ctl.stand_in_catalog(contoso).source == SHIPPED   # none used yet
    ctl.state("fabrikam.onmicrosoft.com").last_used = 100.0
    ctl.state("tailspin.onmicrosoft.com").last_used = 200.0
    ctl.state("contoso.onmicrosoft.com").last_used = 300.0   # its own (empty) cache is never the stand-in
    found = ctl.stand_in_catalog(contoso)
    assert found.source == "the cached commands of tailspin.onmicrosoft.com"
    assert found.catalog.get("Get-OnlyInTailspin") is not None
