"""Issue 14: choosing tenants for a multi-tenant run: -t (all, @group, tag:X, a tenant), --tag, --except,
and the [groups] of tenants.toml; each mistake is a message naming what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.tenant_selection import group_members, select_tenants, selection_text
from tui.tenants import Tenant, TenantDirectory, TenantLookupError

PATH = Path("/home/eng/.config/exohop/tenants.toml")


def _directory(groups: dict[str, list[str]] | None = None) -> TenantDirectory:
    return TenantDirectory([
        Tenant("contoso.onmicrosoft.com", "Contoso", tags=("EU", "retail")),
        Tenant("fabrikam.onmicrosoft.com", "Fabrikam", tags=("us",)),
        Tenant("northwind.onmicrosoft.com", "Northwind Traders", tags=("eu",)),
        Tenant("litware.onmicrosoft.com", "Litware"),
        Tenant("tailspin.onmicrosoft.com", "Tailspin Toys", tags=("Retail",)),
    ], path=PATH, groups=groups)


def _domains(tenants: list[Tenant]) -> list[str]:
    return [t.domain.split(".")[0] for t in tenants]


def _error(directory: TenantDirectory, **selection: list[str]) -> TenantLookupError:
    with pytest.raises(TenantLookupError) as info:
        select_tenants(directory, **selection)
    return info.value


def test_tenants_come_in_directory_order_each_once() -> None:
    d = _directory()
    chosen = select_tenants(d, ["litware", "Contoso", "contoso.onmicrosoft.com", "north"])
    assert _domains(chosen) == ["contoso", "northwind", "litware"]
    assert _domains(select_tenants(d, ["all", "litware"])) == [t.domain.split(".")[0] for t in d]


def test_tag_selects_tenants_with_any_of_the_tags_case_insensitively() -> None:
    d = _directory()
    assert _domains(select_tenants(d, tags=["eu"])) == ["contoso", "northwind"]
    assert _domains(select_tenants(d, tags=["RETAIL", "us"])) == ["contoso", "fabrikam", "tailspin"]
    assert _domains(select_tenants(d, ["tag:Eu"])) == ["contoso", "northwind"]
    assert _domains(select_tenants(d, ["litware"], tags=["us"])) == ["fabrikam", "litware"]


def test_a_tag_given_to_tag_with_the_t_prefix_means_the_same_tag() -> None:
    d = _directory()
    assert _domains(select_tenants(d, tags=["tag:eu"])) == ["contoso", "northwind"]
    assert _domains(select_tenants(d, tags=["TAG:retail"])) == ["contoso", "tailspin"]


def test_a_group_expands_its_domains_names_tags_and_nested_groups() -> None:
    d = _directory({"retail": ["tailspin.onmicrosoft.com", "tag:eu", "@vip"], "vip": ["Litware"],
                    "everyone": ["all"]})
    assert _domains(select_tenants(d, ["@retail"])) == ["contoso", "northwind", "litware", "tailspin"]
    assert _domains(group_members(d, "vip")) == ["litware"]
    assert _domains(select_tenants(d, ["@RETAIL"])) == _domains(select_tenants(d, ["@retail"]))   # case-insensitive
    assert len(select_tenants(d, ["@everyone"])) == len(d)


def test_except_removes_tenants_groups_and_tags() -> None:
    d = _directory({"vip": ["litware", "fabrikam"]})
    assert _domains(select_tenants(d, ["all"], excluded=["@vip"])) == ["contoso", "northwind", "tailspin"]
    assert _domains(select_tenants(d, ["all"], excluded=["tag:eu", "tailspin"])) == ["fabrikam", "litware"]
    assert _domains(select_tenants(d, tags=["eu"], excluded=["contoso"])) == ["northwind"]


def test_an_unknown_group_names_the_file_and_suggests_the_close_one() -> None:
    d = _directory({"retail": ["contoso"], "vip": ["litware"]})
    message = _error(d, tenants=["@retial"]).message
    assert message == (f"no group 'retial' in {PATH}; did you mean 'retail'? groups: 'retail', 'vip'")
    assert "[groups]" in _error(_directory(), tenants=["@retail"]).message     # no table yet: how to add one
    assert "group's name" in _error(d, tenants=["@"]).message


def test_a_tag_nobody_has_is_an_error_listing_the_tags_in_use() -> None:
    d = _directory()
    message = _error(d, tags=["ue"]).message
    assert message.startswith("no tenant has the tag 'ue'") and "'EU'" in message and "'us'" in message
    assert "no tenant has the tag 'retial'; did you mean 'retail'?" in _error(d, tenants=["tag:retial"]).message
    untagged = TenantDirectory([Tenant("a.onmicrosoft.com")], path=PATH)
    assert "no tenant has any tag yet" in _error(untagged, tags=["eu"]).message


def test_a_group_entry_that_names_no_tenant_says_which_group_and_entry() -> None:
    d = _directory({"retail": ["contoso", "@broken"], "broken": ["contso"]})
    message = _error(d, tenants=["@retail"]).message
    assert message.startswith(f"group 'broken' in {PATH}, entry 'contso': no tenant matches 'contso'")
    d = _directory({"retail": ["tag:nope"]})
    assert _error(d, tenants=["@retail"]).message.startswith(
        f"group 'retail' in {PATH}, entry 'tag:nope': no tenant has the tag 'nope'")
    d = _directory({"retail": ["@missing"]})
    assert f"group 'retail' in {PATH}, entry '@missing': no group 'missing'" in _error(d, tenants=["@retail"]).message


def test_an_ambiguous_group_entry_keeps_its_candidates() -> None:
    d = TenantDirectory([Tenant("contoso-eu.onmicrosoft.com", "Contoso EU"),
                         Tenant("contoso-us.onmicrosoft.com", "Contoso US")], path=PATH, groups={"g": ["contoso"]})
    error = _error(d, tenants=["@g"])
    assert "entry 'contoso': 'contoso' matches several tenants" in error.message
    assert [t.domain for t in error.candidates] == ["contoso-eu.onmicrosoft.com", "contoso-us.onmicrosoft.com"]


def test_a_cycle_of_groups_is_an_error_naming_the_cycle() -> None:
    d = _directory({"a": ["contoso", "@b"], "b": ["@c"], "c": ["litware", "@a"], "self": ["@self"]})
    assert _error(d, tenants=["@a"]).message == (f"the groups in {PATH} form a cycle: @a → @b → @c → @a; "
                                                 "take one of these entries out")
    assert "cycle: @self → @self" in _error(d, tenants=["@self"]).message


def test_a_group_used_twice_is_not_a_cycle() -> None:
    d = _directory({"eu": ["tag:eu"], "a": ["@eu"], "b": ["@eu", "@a"]})
    assert _domains(select_tenants(d, ["@a", "@b"], excluded=["@eu"], tags=["us"])) == ["fabrikam"]


def test_a_selection_that_ends_empty_says_so_as_it_was_typed() -> None:
    d = _directory({"g": ["tag:eu"], "empty": []})
    assert _error(d, tenants=["@g"], excluded=["tag:eu"]).message == "-t @g --except tag:eu leaves no tenant"
    assert _error(d, tenants=["@empty"]).message == "-t @empty leaves no tenant"
    assert "no tenant chosen" in _error(d).message
    assert "directory is empty" in _error(TenantDirectory(path=PATH), tenants=["all"]).message
    assert selection_text(["my group"], ["eu"], []) == "-t 'my group' --tag eu"


def test_a_typo_in_except_is_an_error_not_a_silent_no_op() -> None:
    message = _error(_directory(), tenants=["all"], excluded=["contso"]).message
    assert "no tenant matches 'contso'" in message


def test_exact_matches_answer_as_find_does() -> None:
    # The exact-name index must give find's answers: a name that is another tenant's domain is ambiguous.
    d = TenantDirectory([Tenant("a.onmicrosoft.com", "Alpha"), Tenant("b.onmicrosoft.com", "a.onmicrosoft.com"),
                         Tenant("alpine.onmicrosoft.com", "Alpine")], path=PATH)
    with pytest.raises(TenantLookupError) as found:
        d.find("a.onmicrosoft.com")
    assert _error(d, tenants=["a.onmicrosoft.com"]).message == found.value.message
    assert _domains(select_tenants(d, ["ALPHA", "alpi", " Alpine "])) == ["a", "alpine"]


def test_hostile_names_tags_and_groups_give_messages_not_crashes() -> None:
    evil = "\x1b]0;pwned\x07\x1b[2J\r\n"
    d = TenantDirectory([Tenant("contoso.onmicrosoft.com", f"Contoso{evil}", tags=(f"eu{evil}",)),
                         Tenant("contoso2.onmicrosoft.com", f"Contoso{evil}2")], path=PATH,
                        groups={f"g{evil}": [f"x{evil}"], "ok": [f"tag:EU{evil}"]})
    assert _domains(select_tenants(d, ["@ok"])) == ["contoso"]
    # The group's, entry's and tag's own words are quoted with their control characters escaped.
    for selection in ({"tenants": [f"@g{evil}"]}, {"tenants": [f"@h{evil}"]}, {"tags": [f"us{evil}"]}):
        message = _error(d, **selection).message
        assert ("entry 'x" in message) == (selection == {"tenants": [f"@g{evil}"]})
        assert not any(c in message for c in "\x1b\x07\r\n"), message
    # find's own message quotes the names as they are; the faces make them visible when printing.
    assert len(_error(d, tenants=["contoso"]).candidates) == 2
