"""The "Run in tenants…" picker's exact selectors: tag:X and @group narrow the list as `exohop run` would."""

from __future__ import annotations

from tui.console.batch_selection import narrow, parse_query
from tui.tenant_selection import group_members
from tui.tenants import Tenant, TenantDirectory


def _directory() -> TenantDirectory:
    return TenantDirectory([Tenant("contoso.onmicrosoft.com", "Contoso", tags=("eu",)),
                            Tenant("fabrikam.onmicrosoft.com", "Fabrikam", tags=("us",)),
                            Tenant("litware.onmicrosoft.com", "Litware", tags=("eu", "vip"))],
                           groups={"retail": ["Fabrikam", "tag:vip"]})


def test_a_group_term_keeps_its_members_and_combines_with_tags() -> None:
    directory = _directory()

    def members(name: str) -> list[str]:
        return [t.domain for t in group_members(directory, name)]

    query = parse_query("@retail")
    assert query.groups == ("retail",) and query.text == ""
    kept = narrow(directory.tenants, query, members=members)
    assert [t.name for t in kept] == ["Fabrikam", "Litware"]
    both = narrow(directory.tenants, parse_query("@retail tag:eu"), members=members)
    assert [t.name for t in both] == ["Litware"]
    assert narrow(directory.tenants, parse_query("@nosuch"), members=lambda name: []) == []
    assert parse_query("@").groups == ()          # still being typed: selects nothing yet
