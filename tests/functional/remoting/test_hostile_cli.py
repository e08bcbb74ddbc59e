"""Hostile tenant data through the CLI faces: the simulator's Tailspin Toys mailbox (README "Hostile data")
reaches the terminal made visible in table, list and csv output, and unchanged through JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tui.cli.main import main
from tui.sim.data import HOSTILE_ALIAS, HOSTILE_DOMAIN, HOSTILE_TEXT

from .conftest import seed_cache

RAW = ("\x1b", "\x07", "\u202e")


@pytest.fixture
def demo_on_sim(sim, seeded_catalog, exohop_dirs, monkeypatch):   # type: ignore[no-untyped-def]
    """`--demo` over the shared simulator (cache seeded, so no import), which it must not stop."""
    from tui.cli import demo as demo_module
    from tui.config import Account, Config, Settings, demo_folders
    from tui.tenants import Tenant, TenantDirectory

    seed_cache(demo_folders().cache, sim, seeded_catalog)   # the demo keeps a cache of its own
    first = sim.accounts[0]
    assert HOSTILE_DOMAIN in first.tenants

    class _Borrowed:
        def stop(self) -> None:
            """The shared simulator outlives this test."""

    def start_demo(transport: str = "psrp") -> demo_module.Demo:   # this borrowed demo speaks PSRP
        config = Config(settings=Settings(), path=None,
                        accounts=[Account(upn=first.upn, endpoint=sim.url, ca_file=sim.ca_file, default=True)])
        tenants = TenantDirectory(path=None)
        tenants.add(Tenant(domain=HOSTILE_DOMAIN, name="Tailspin Toys"))
        return demo_module.Demo(sim=_Borrowed(), config=config, tenants=tenants,
                                _passwords={first.upn.lower(): first.password}, transport=transport)

    monkeypatch.setattr(demo_module, "start_demo", start_demo)


@pytest.mark.parametrize("fmt", ["table", "list", "csv"])
def test_run_shows_hostile_values_made_visible(demo_on_sim, capsys, fmt: str) -> None:   # type: ignore[no-untyped-def]
    line = f"Get-Mailbox {HOSTILE_ALIAS} | Select-Object Name, Alias"   # fits in 120 columns
    assert main(["run", "--demo", "-t", "tailspintoys", line, "--format", fmt]) == 0
    out, err = capsys.readouterr()
    for raw in RAW:
        assert raw not in out and raw not in err, f"{raw!r} reached the terminal in {fmt}"
    assert "␛[2J␛]0;pwned␇" in out and "\\u202egnp.exe" in out
    assert "[bold red]markup[/]" in out and "[link=https://evil.example]click[/link]" in out


def test_run_json_round_trips_the_original_value(demo_on_sim, capsys) -> None:   # type: ignore[no-untyped-def]
    line = f"Get-Mailbox {HOSTILE_ALIAS} | Select-Object Name, DisplayName"
    assert main(["run", "--demo", "-t", "tailspintoys", line, "--format", "json"]) == 0
    out, err = capsys.readouterr()
    assert not any(raw in out or raw in err for raw in RAW)
    [record] = json.loads(out)
    assert record == {"Name": HOSTILE_TEXT, "DisplayName": HOSTILE_TEXT}


def test_error_and_warning_lines_show_service_text_made_visible() -> None:
    import io

    from tui.cli.printer import Printer, show_line_error
    from tui.remoting.events import ErrorEvent, TextEvent, WarningEvent

    out, err = io.StringIO(), io.StringIO()
    printer = Printer(None, out, err)
    printer(ErrorEvent(message=f"The operation couldn't be performed because '{HOSTILE_TEXT}' couldn't be found.",
                       error_id="x\x1b[2J"))
    printer(WarningEvent(message=f"rule {HOSTILE_TEXT}"))
    printer(TextEvent(text=f"two\nlines {HOSTILE_TEXT}"))
    printer.finish()
    show_line_error(f"Get-Mailbox '{HOSTILE_TEXT}' -Foo", "bad \x1b[2J", 5, err)
    text = out.getvalue() + err.getvalue()
    assert not any(raw in text for raw in RAW)
    assert text.count("␛[2J␛]0;pwned␇") == 4 and "two\nlines" in text


def test_tenants_list_shows_an_imported_hostile_name_as_text(exohop_dirs, capsys, tmp_path: Path) -> None:   # type: ignore[no-untyped-def]
    export = tmp_path / "customers.csv"
    export.write_text("Company name,Domain\n"
                      "\"Evil \x1b]0;pwned\x07 [bold]Co[/] \u202eoc\",evil.onmicrosoft.com\n", encoding="utf-8")
    assert main(["tenants", "import", str(export)]) == 0
    capsys.readouterr()
    assert main(["tenants", "list"]) == 0
    out, _ = capsys.readouterr()
    assert not any(raw in out for raw in RAW)
    assert "Evil ␛]0;pwned␇ [bold]Co[/] \\u202eoc" in out and "evil.onmicrosoft.com" in out
