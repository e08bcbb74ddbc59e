"""The sidebar filter over a distributor's 50,000 tenants: large rankings run off the UI thread, the
list shows the ranking of what is typed now (never a stale one), and it matches the pure ranking."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from textual.app import App, ComposeResult
from textual.pilot import Pilot

from tui.console.tenant_filter import TenantMatcher
from tui.console.widgets.tenant_list import RANK_IN_BACKGROUND_AT, TenantList
from tui.tenants import Tenant

WORDS = ("contoso", "fabrikam", "northwind", "tailspin", "woodgrove", "adatum", "litware", "proseware")
TENANTS = [Tenant(f"{WORDS[i % 8]}{i}.onmicrosoft.com", f"{WORDS[i % 8].title()} {WORDS[(i // 8) % 8]} {i}")
           for i in range(50_000)]


class Host(App[None]):
    def compose(self) -> ComposeResult:
        yield TenantList(TENANTS, id="sidebar")



async def _until(pilot: Pilot[None], condition: Callable[[], bool], timeout: float = 30.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "the tenant list never showed the ranking"
        await pilot.pause(0.02)


def test_cost_says_how_many_tenants_a_query_will_score() -> None:
    matcher = TenantMatcher(TENANTS[:20_000])
    assert matcher.cost("") == 0
    assert matcher.cost("wood") == 20_000                     # a new query scores every tenant
    matcher.rank("wood")
    assert matcher.cost("wood") == 0                          # remembered
    assert matcher.cost("woodg") == len(matcher.rank("wood"))  # narrows the previous matches
    assert matcher.cost("fab") == 20_000


def test_a_large_ranking_lands_for_the_query_typed_last() -> None:
    async def run() -> None:
        app = Host()
        async with app.run_test(size=(100, 30)) as pilot:
            sidebar = app.query_one(TenantList)
            await _until(pilot, lambda: len(sidebar.shown) == len(TENANTS))
            assert TenantMatcher(TENANTS).cost("w") >= RANK_IN_BACKGROUND_AT    # this one goes to a thread
            sidebar.filter_input.focus()
            await pilot.press("w", "o", "o", "d", "g")                        # typed over while ranking
            expected = [t.domain for t in TenantMatcher(TENANTS).rank("woodg")]
            await _until(pilot, lambda: sidebar._ranking == 0)
            assert sidebar.filter_input.value == "woodg"
            assert [t.domain for t in sidebar.shown] == expected
            assert sidebar.rows.current is not None and sidebar.rows.current.domain == expected[0]
            # Backspace to a one-letter query: answered again, the same as the pure ranking.
            await pilot.press("backspace", "backspace", "backspace", "backspace")
            await _until(pilot, lambda: sidebar._ranking == 0 and sidebar.filter_input.value == "w")
            assert [t.domain for t in sidebar.shown] == [t.domain for t in TenantMatcher(TENANTS).rank("w")]

    asyncio.run(run())
