"""Issue 9 §4: two consoles on one tenant keep both's history, and the recently-used order of both.

Before, each save wrote the console's own list over the file: the last writer won.
"""

from __future__ import annotations

import threading
from pathlib import Path

from tui.console.controller import Controller
from tui.shell.history import History, added_since, merge_new


def _controller(history_dir: Path) -> Controller:
    return Controller(config=None, tenants=[], password_source=lambda upn: None, history_dir=history_dir)


def test_added_since_and_merge() -> None:
    assert added_since(["a", "b"], ["a", "b", "c"]) == ["c"]
    assert added_since(["a", "b", "c"], ["b", "c", "d"]) == ["d"]          # the oldest dropped at the limit
    assert added_since([], ["x"]) == ["x"]
    assert merge_new(["a", "b", "z"], ["a", "b"], ["a", "b", "c"]) == ["a", "b", "z", "c"]
    assert merge_new(["a", "c"], ["a"], ["a", "c"]) == ["a", "c"]            # no immediate repeat
    assert merge_new([str(i) for i in range(5)], [], ["new"], limit=3) == ["3", "4", "new"]


def test_two_consoles_on_one_tenant_keep_both_histories(tmp_path: Path) -> None:
    first, second = _controller(tmp_path), _controller(tmp_path)
    domain = "contoso.onmicrosoft.com"
    h1, h2 = History(first.load_history(domain)), History(second.load_history(domain))
    for i in range(3):
        h1.add(f"Get-Mailbox one-{i}")
        first.save_history(domain, h1.entries, seq=i + 1)
        h2.add(f"Get-User two-{i}")
        second.save_history(domain, h2.entries, seq=i + 1)
    assert _controller(tmp_path).load_history(domain) == [
        "Get-Mailbox one-0", "Get-User two-0", "Get-Mailbox one-1", "Get-User two-1",
        "Get-Mailbox one-2", "Get-User two-2"]


def test_concurrent_history_writers_lose_nothing(tmp_path: Path) -> None:
    domain = "fabrikam.onmicrosoft.com"
    barrier = threading.Barrier(2)

    def writer(name: str) -> None:
        ctl = _controller(tmp_path)
        history = History(ctl.load_history(domain))
        barrier.wait()
        for i in range(25):
            history.add(f"{name}-{i}")
            ctl.save_history(domain, history.entries, seq=i + 1)

    threads = [threading.Thread(target=writer, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    saved = _controller(tmp_path).load_history(domain)
    assert sorted(saved) == sorted([f"a-{i}" for i in range(25)] + [f"b-{i}" for i in range(25)])


def test_recent_tenants_of_two_consoles_are_merged(tmp_path: Path) -> None:
    first, second = _controller(tmp_path), _controller(tmp_path)
    first.state("contoso.onmicrosoft.com").last_used = 100.0
    first.save_recent()
    second.state("fabrikam.onmicrosoft.com").last_used = 200.0
    second.save_recent()
    third = _controller(tmp_path)
    third.load_recent()
    assert third.recent() == {"contoso.onmicrosoft.com": 100.0, "fabrikam.onmicrosoft.com": 200.0}
