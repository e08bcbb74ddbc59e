"""Cache files with the same bytes (a batch's tenants of one endpoint) are parsed once per process."""

from __future__ import annotations

from pathlib import Path

from tui.catalog import Catalog, CmdletInfo, ParameterInfo
from tui.remoting.catalog_cache import CatalogCache

ENDPOINT = "https://127.0.0.1:8443/powershell-liveid"
UPN = "admin@fabrikampartner.onmicrosoft.com"


def catalog(*names: str) -> Catalog:
    return Catalog(CmdletInfo(n, parameters=(ParameterInfo("Identity", "System.String"),)) for n in names)


def test_identical_files_share_one_parsed_catalog_and_a_changed_one_is_read_again(tmp_path: Path) -> None:
    cache = CatalogCache(tmp_path)
    for domain in ("contoso.onmicrosoft.com", "fabrikam.onmicrosoft.com"):
        cache.save(ENDPOINT, UPN, domain, catalog("Get-Mailbox", "Get-User"))
    first = cache.load(ENDPOINT, UPN, "contoso.onmicrosoft.com")
    second = cache.load(ENDPOINT, UPN, "fabrikam.onmicrosoft.com")
    assert first is not None and first == catalog("Get-Mailbox", "Get-User")
    assert second is first

    cache.save(ENDPOINT, UPN, "fabrikam.onmicrosoft.com", catalog("Get-Mailbox", "Set-Mailbox"))
    changed = cache.load(ENDPOINT, UPN, "fabrikam.onmicrosoft.com")
    assert changed == catalog("Get-Mailbox", "Set-Mailbox")
    assert cache.load(ENDPOINT, UPN, "contoso.onmicrosoft.com") is first


def test_a_corrupt_copy_is_still_set_aside(tmp_path: Path) -> None:
    cache = CatalogCache(tmp_path)
    cache.save(ENDPOINT, UPN, "contoso.onmicrosoft.com", catalog("Get-Mailbox"))
    assert cache.load(ENDPOINT, UPN, "contoso.onmicrosoft.com") is not None
    path = cache.path_for(ENDPOINT, UPN, "fabrikam.onmicrosoft.com")
    path.write_text("{not json")
    assert cache.load(ENDPOINT, UPN, "fabrikam.onmicrosoft.com") is None
    assert list(path.parent.glob(path.name + ".corrupt-*"))
    assert "could not be read" in " ".join(cache.take_notices())
