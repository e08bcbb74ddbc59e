"""One history file per tenant for the console and `exohop shell`: the shell's old .txt merged once, and
a console and a shell writing at the same time (two processes) lose no line."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from tui.console.controller import Controller
from tui.shell.history_file import HistoryFile, read_file_history

DOMAIN = "contoso.onmicrosoft.com"
# What prompt_toolkit's FileHistory writes: "# <time>" then the entry's lines prefixed "+".
FILE_HISTORY = ("\n# 2025-01-01 10:00:00.000000\n+Get-Mailbox -ResultSize 2\n"
                "\n# 2025-01-01 10:01:00.000000\n+Get-User\n+  -ResultSize 1\n"
                "\n# 2025-01-01 10:02:00.000000\n+Get-Recipient\n")


def _console(directory: Path) -> Controller:
    return Controller(config=None, tenants=[], password_source=lambda upn: None, history_dir=directory)


def parse_file_history(text: str, tmp_path: Path) -> list[str]:
    (tmp_path / "file-history.txt").write_text(text)
    return read_file_history(tmp_path / "file-history.txt")


def test_file_history_entries_are_read_oldest_first(tmp_path: Path) -> None:
    assert parse_file_history(FILE_HISTORY, tmp_path) == ["Get-Mailbox -ResultSize 2", "Get-User\n  -ResultSize 1",
                                                "Get-Recipient"]
    assert parse_file_history("", tmp_path) == []


def test_the_shell_history_is_merged_once_before_the_console_lines_and_kept_aside(tmp_path: Path) -> None:
    # Both faces used the tenant before the file was shared: the console's JSON and the shell's .txt.
    (tmp_path / f"{DOMAIN}.json").write_text(json.dumps({"version": 1, "entries": ["Get-AcceptedDomain"]}))
    (tmp_path / f"{DOMAIN}.txt").write_text(FILE_HISTORY)

    merged = _console(tmp_path).load_history(DOMAIN)
    assert merged == [*parse_file_history(FILE_HISTORY, tmp_path), "Get-AcceptedDomain"]   # the shell's lines are older
    assert not (tmp_path / f"{DOMAIN}.txt").exists()
    assert (tmp_path / f"{DOMAIN}.txt.migrated").read_text() == FILE_HISTORY   # left whole, renamed
    assert HistoryFile(tmp_path, DOMAIN).load() == merged                     # merged once, not again


def test_a_long_old_history_keeps_its_newest_lines_and_the_whole_file_aside(tmp_path: Path) -> None:
    lines = [f"Get-Mailbox -Identity user{i}" for i in range(1500)]
    text = "".join(f"\n# 2025-01-01 10:00:00.000000\n+{line}\n" for line in lines)
    (tmp_path / f"{DOMAIN}.txt").write_text(text)
    assert HistoryFile(tmp_path, DOMAIN).load() == lines[-1000:]
    assert read_file_history(tmp_path / f"{DOMAIN}.txt.migrated") == lines


def test_a_console_and_a_shell_writing_at_once_lose_no_line(tmp_path: Path) -> None:
    """Two processes: a console saving its whole list (merge) and a shell appending each line."""
    console = textwrap.dedent(f"""
        from pathlib import Path
        from tui.console.controller import Controller
        from tui.shell.history import History
        ctl = Controller(config=None, tenants=[], password_source=lambda upn: None, history_dir=Path({str(tmp_path)!r}))
        history = History(ctl.load_history({DOMAIN!r}))
        for i in range(40):
            history.add(f"console-{{i}}")
            ctl.save_history({DOMAIN!r}, history.entries, seq=i + 1)
    """)
    shell = textwrap.dedent(f"""
        from pathlib import Path
        from tui.shell.history_file import HistoryFile
        file = HistoryFile(Path({str(tmp_path)!r}), {DOMAIN!r})
        for i in range(40):
            file.append(f"shell-{{i}}")
    """)
    procs = [subprocess.Popen([sys.executable, "-c", code]) for code in (console, shell)]
    for p in procs:
        assert p.wait(120) == 0
    saved = _console(tmp_path).load_history(DOMAIN)
    assert sorted(saved) == sorted([f"console-{i}" for i in range(40)] + [f"shell-{i}" for i in range(40)])
    assert [s for s in saved if s.startswith("shell-")] == [f"shell-{i}" for i in range(40)]   # in order
    assert json.loads((tmp_path / f"{DOMAIN}.json").read_text())["version"] == 1


def test_append_skips_blank_lines_and_an_immediate_repeat(tmp_path: Path) -> None:
    file = HistoryFile(tmp_path, DOMAIN)
    for line in ("Get-Mailbox", "  ", "Get-Mailbox ", "Get-User", "Get-Mailbox"):
        file.append(line)
    assert file.load() == ["Get-Mailbox", "Get-User", "Get-Mailbox"]
