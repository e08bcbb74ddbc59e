"""tenants.toml and the tenant directory: validation, lookup, atomic save, CSV import."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.config import ConfigError
from tui.tenants import InvalidDomain, Tenant, TenantDirectory, TenantLookupError, validate_domain


@pytest.mark.parametrize("raw, expected", [
    ("contoso.onmicrosoft.com", "contoso.onmicrosoft.com"),
    (" Contoso.OnMicrosoft.com. ", "contoso.onmicrosoft.com"),
    ("a-b.example.co.uk", "a-b.example.co.uk"),
    ("bücher.example", "xn--bcher-kva.example"),
])
def test_valid_domains(raw: str, expected: str) -> None:
    assert validate_domain(raw) == expected


@pytest.mark.parametrize("raw", [
    "", "contoso", "contoso.onmicrosoft.com&DelegatedOrg=evil.com", "https://contoso.com", "a/b.com",
    "contoso.com?x=1", "con toso.com", "-bad.com", "bad-.com", "a..b.com", ("a" * 64) + ".com",
    ".".join(["abcdefghi"] * 26) + ".com", "10.0.0.1", "contoso.com#frag", "user@contoso.com", "x%2e.com",
])
def test_invalid_domains(raw: str) -> None:
    with pytest.raises(InvalidDomain):
        validate_domain(raw)


def _directory() -> TenantDirectory:
    return TenantDirectory([
        Tenant("contoso.onmicrosoft.com", "Contoso Ltd"),
        Tenant("contosobank.onmicrosoft.com", "Contoso Bank"),
        Tenant("fabrikam.onmicrosoft.com", "Fabrikam"),
    ])


def test_lookup_by_domain_name_and_prefix() -> None:
    d = _directory()
    assert d.find("fabrikam.onmicrosoft.com").name == "Fabrikam"
    assert d.find("contoso ltd").domain == "contoso.onmicrosoft.com"
    assert d.find("fab").domain == "fabrikam.onmicrosoft.com"
    assert d.find("contoso.onmicrosoft.com").name == "Contoso Ltd"   # exact wins over prefix of another
    with pytest.raises(TenantLookupError) as info:
        d.find("conto")
    assert {t.domain for t in info.value.candidates} == {"contoso.onmicrosoft.com", "contosobank.onmicrosoft.com"}
    assert "Contoso Bank" in info.value.message
    with pytest.raises(TenantLookupError, match="tenants add"):
        d.find("northwind")


def test_add_duplicate_and_remove() -> None:
    d = _directory()
    with pytest.raises(ValueError, match="already"):
        d.add(Tenant("FABRIKAM.onmicrosoft.com"))
    d.remove("fabrikam.onmicrosoft.com")
    assert "fabrikam.onmicrosoft.com" not in d
    with pytest.raises(TenantLookupError):
        d.remove("fabrikam.onmicrosoft.com")


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "tenants.toml"
    _, d = TenantDirectory.update(path, lambda d: d.add(Tenant("contoso.onmicrosoft.com", "Contoso", tenant_id="t-1",
                                                              account="a@b.com", tags=("eu", "retail"),
                                                              favorite=True)))
    again = TenantDirectory.load(path)
    assert again.tenants == d.tenants


def test_malformed_tenants_toml_reported_with_line_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "tenants.toml"
    text = '[[tenants]]\ndomain = "contoso.onmicrosoft.com"\nname = Contoso\n'
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        TenantDirectory.load(path)
    assert str(path) in info.value.message and info.value.line == 3
    assert path.read_text() == text


def test_invalid_domain_in_file_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "tenants.toml"
    path.write_text('[[tenants]]\ndomain = "contoso.com?x=1"\n')
    with pytest.raises(ConfigError, match="tenants\\[0\\]"):
        TenantDirectory.load(path)


def test_csv_import_good_and_bad_rows(tmp_path: Path) -> None:
    csv_path = tmp_path / "customers.csv"
    csv_path.write_bytes(
        "\ufeffCompany name,Microsoft ID,Primary domain,Relationship\r\n"
        "Northwind Traders,6f1c2b9e-0000-4000-8000-000000000001,northwind.onmicrosoft.com,Reseller\r\n"
        "Bad Row Inc,,bad row.com,Reseller\r\n"
        "Fabrikam again,,FABRIKAM.onmicrosoft.com,Reseller\r\n"
        "\r\n"
        "Evil,,evil.com?DelegatedOrg=x,Reseller\r\n"
        "No Domain,,,Reseller\r\n"
        "Tailspin,,tailspin.onmicrosoft.com,Reseller\r\n"
        "Tailspin dup,,tailspin.onmicrosoft.com,Reseller\r\n".encode())
    d = _directory()
    report = d.import_csv(csv_path, account="a@b.com")
    assert [t.domain for t in report.added] == ["northwind.onmicrosoft.com", "tailspin.onmicrosoft.com"]
    assert report.added[0].name == "Northwind Traders"
    assert report.added[0].tenant_id == "6f1c2b9e-0000-4000-8000-000000000001"
    assert report.added[0].account == "a@b.com"
    assert report.skipped == [(4, "fabrikam.onmicrosoft.com"), (9, "tailspin.onmicrosoft.com")]
    assert [line for line, _ in report.rejected] == [3, 6, 7]
    text = "\n".join(report.lines())
    assert "line 3" in text and "added 2" in text


@pytest.mark.parametrize("header", ["CompanyName;Domain", "Customer name;Default domain", "Name;Domain name"])
def test_csv_header_spellings_and_semicolons(header: str) -> None:
    d = TenantDirectory()
    report = d.import_csv_text(f"{header}\nWoodgrove;woodgrove.onmicrosoft.com\n")
    assert [(t.domain, t.name) for t in report.added] == [("woodgrove.onmicrosoft.com", "Woodgrove")]


def test_csv_without_domain_column_is_explained() -> None:
    with pytest.raises(ValueError, match="no domain column"):
        TenantDirectory().import_csv_text("Company,Country\nX,Y\n")


# -- [groups]: loaded from the parse and from the cache of a large file, untouched by updates -----------------

GROUPS_TEXT = '''# hand-written groups
[groups]
retail = ["contoso.onmicrosoft.com", "tag:eu"]   # the shops
"key accounts" = ["@retail", "Fabrikam"]
emea = []
'''
GROUPS = {"retail": ["contoso.onmicrosoft.com", "tag:eu"], "key accounts": ["@retail", "Fabrikam"], "emea": []}


def _tenants_text(count: int) -> str:
    return "".join(f'\n[[tenants]]\ndomain = "t{i}.onmicrosoft.com"\nname = "Tenant {i}"\ntags = ["eu"]\n'
                   for i in range(count))


def test_groups_load_in_file_order(tmp_path: Path) -> None:
    path = tmp_path / "tenants.toml"
    path.write_text(_tenants_text(2) + "\n" + GROUPS_TEXT)      # after the tenants is as good as before
    directory = TenantDirectory.load(path)
    assert directory.groups == GROUPS and list(directory.groups) == list(GROUPS)
    directory.groups["retail"].append("x")                        # a copy: the directory's stay as read
    assert directory.groups == GROUPS
    assert TenantDirectory(path=None).groups == {}


def test_groups_of_a_large_file_come_back_from_its_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tui import tenants_store as store

    monkeypatch.setenv("EXOHOP_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "tenants.toml"
    path.write_text(GROUPS_TEXT + _tenants_text(1500))
    raw = path.read_bytes()
    assert len(raw) >= store.CACHE_MIN_BYTES
    assert TenantDirectory.load(path).groups == GROUPS                    # parsed, and cached
    cached = store.read_cache(path, store.digest(raw))
    assert cached is not None and cached[1] == GROUPS and len(cached[0]) == 1500
    again = TenantDirectory.load(path)                                    # served from the cache
    assert again.groups == GROUPS and list(again.groups) == list(GROUPS) and len(again) == 1500


def test_a_cache_from_before_groups_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from tui import tenants_store as store

    monkeypatch.setenv("EXOHOP_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "tenants.toml"
    path.write_text(GROUPS_TEXT + _tenants_text(1500))
    TenantDirectory.load(path)
    cache = next((tmp_path / "cache" / "tenants").glob("*.json"))
    # Version 1 had no groups in its head line: for the very same bytes it would say "no groups".
    cache.write_text(json.dumps({"v": 1, "sha256": store.digest(path.read_bytes())}) + "\n[]")
    directory = TenantDirectory.load(path)
    assert directory.groups == GROUPS and len(directory) == 1500


@pytest.mark.parametrize("tenant_count", [2, 1500])       # small: parsed each time; large: the cache
def test_updates_leave_the_groups_untouched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            tenant_count: int) -> None:
    monkeypatch.setenv("EXOHOP_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "tenants.toml"
    path.write_text(_tenants_text(tenant_count) + "\n" + GROUPS_TEXT)

    def the_groups_are_as_written(directory: TenantDirectory) -> None:
        assert directory.groups == GROUPS
        assert GROUPS_TEXT in path.read_text()                   # byte for byte, comment included
        assert TenantDirectory.load(path).groups == GROUPS

    _, directory = TenantDirectory.update(path, lambda d: d.add(Tenant("new.onmicrosoft.com", "New")))
    the_groups_are_as_written(directory)
    _, directory = TenantDirectory.update(path, lambda d: d.set_tenant_ids(
        {"t1.onmicrosoft.com": "11111111-2222-3333-4444-555555555555"}))
    the_groups_are_as_written(directory)
    assert TenantDirectory.load(path).get("t1.onmicrosoft.com").tenant_id is not None   # type: ignore[union-attr]
    _, directory = TenantDirectory.update(path, lambda d: d.remove("t1.onmicrosoft.com"))
    the_groups_are_as_written(directory)
    assert len(TenantDirectory.load(path)) == tenant_count


def test_an_inline_tenants_file_keeps_its_groups_through_tomlkit(tmp_path: Path) -> None:
    path = tmp_path / "tenants.toml"
    path.write_text('tenants = [{ domain = "a.onmicrosoft.com" }]\n\n' + GROUPS_TEXT)
    TenantDirectory.update(path, lambda d: d.add(Tenant("b.onmicrosoft.com")))
    assert GROUPS_TEXT in path.read_text()
    assert TenantDirectory.load(path).groups == GROUPS
