"""Issue 14: `exohop run` and `exohop tenants list` choose tenants with -t (all, @group, tag:X), --tag and
--except; `exohop tenants groups` shows what each group reaches. Through tui.cli.main.main, real files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tui import accounts
from tui.cli.main import main

from .conftest import seed_cache, write_sim_config

TENANTS = '''[groups]
retail = ["contoso", "tag:eu", "@vip"]
vip = ["Litware"]
broken = ["contso"]
loop = ["@loop"]

[[tenants]]
domain = "contoso.onmicrosoft.com"
name = "Contoso"

[[tenants]]
domain = "fabrikam.onmicrosoft.com"
name = "Fabrikam"
tags = ["EU"]

[[tenants]]
domain = "northwindtraders.onmicrosoft.com"
name = "Northwind"
tags = ["us"]

[[tenants]]
domain = "litware.onmicrosoft.com"
name = "Litware"
'''


def _write_tenants(dirs: dict[str, Path]) -> Path:
    path = dirs["config"] / "tenants.toml"
    path.write_text(TENANTS)
    return path


def _listed(out: str) -> list[str]:
    return [line.split()[1] for line in out.splitlines() if ".onmicrosoft.com" in line]


def test_tenants_list_shows_what_a_run_with_the_same_options_reaches(exohop_dirs, capsys) -> None:   # type: ignore[no-untyped-def]
    _write_tenants(exohop_dirs)
    assert main(["tenants", "list", "-t", "@retail", "--except", "contoso"]) == 0
    out = capsys.readouterr().out
    assert _listed(out) == ["fabrikam.onmicrosoft.com", "litware.onmicrosoft.com"]
    assert out.splitlines()[-1] == "(2 of 4 tenants)"
    assert main(["tenants", "list", "--tag", "eu", "--tag", "US"]) == 0
    assert _listed(capsys.readouterr().out) == ["fabrikam.onmicrosoft.com", "northwindtraders.onmicrosoft.com"]
    assert main(["tenants", "list", "--except", "@retail"]) == 0          # --except alone: all but those
    assert _listed(capsys.readouterr().out) == ["northwindtraders.onmicrosoft.com"]
    assert main(["tenants", "list"]) == 0                                  # no options: the whole directory
    assert len(_listed(capsys.readouterr().out)) == 4


def test_tenants_list_explains_a_selection_it_cannot_make(exohop_dirs, capsys) -> None:   # type: ignore[no-untyped-def]
    path = _write_tenants(exohop_dirs)
    assert main(["tenants", "list", "-t", "@retial"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == (f"exohop: no group 'retial' in {path}; did you mean 'retail'? "
                           "groups: 'retail', 'vip', 'broken', 'loop'")
    assert main(["tenants", "list", "-t", "@broken"]) == 2
    assert f"group 'broken' in {path}, entry 'contso': no tenant matches 'contso'" in capsys.readouterr().err
    assert main(["tenants", "list", "-t", "@vip", "--except", "litware"]) == 2
    assert capsys.readouterr().err.strip() == "exohop: -t @vip --except litware leaves no tenant"


def test_tenants_groups_lists_each_group_with_its_reach_or_its_error(exohop_dirs, capsys) -> None:   # type: ignore[no-untyped-def]
    path = _write_tenants(exohop_dirs)
    assert main(["tenants", "groups"]) == 2                                # two groups cannot be expanded
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["@retail", "3", "tenants", "contoso,", "tag:eu,", "@vip"]
    assert lines[1].split() == ["@vip", "1", "tenant", "Litware"]
    assert lines[2].startswith("@broken  error: group 'broken'") and "entry 'contso'" in lines[2]
    assert lines[3].startswith("@loop    error:") and "cycle: @loop → @loop" in lines[3]
    path.write_text("[[tenants]]" + TENANTS.split("[[tenants]]", 1)[1])      # the same tenants, no groups
    assert main(["tenants", "groups"]) == 0
    assert "No groups yet: add a [groups] table" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [["run", "Get-Mailbox"], ["run", "--except", "contoso", "Get-Mailbox"]])
def test_run_without_tenant_or_tag_is_a_usage_error(exohop_dirs, capsys, argv: list[str]) -> None:   # type: ignore[no-untyped-def]
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: exohop run") and "exohop run: error: choose the tenants: -t TENANT" in err


def test_run_with_an_unknown_group_says_so_before_connecting(exohop_dirs, capsys) -> None:   # type: ignore[no-untyped-def]
    (exohop_dirs["config"] / "config.toml").write_text(
        '[[accounts]]\nupn = "admin@partner.onmicrosoft.com"\nendpoint = "https://127.0.0.1:9/powershell"\n')
    path = _write_tenants(exohop_dirs)
    assert main(["run", "-t", "@retial", "Get-Mailbox"]) == 2
    assert f"no group 'retial' in {path}; did you mean 'retail'?" in capsys.readouterr().err
    assert not (exohop_dirs["data"] / "transcripts").exists() or not any((exohop_dirs["data"] / "transcripts").iterdir())


@pytest.mark.keyring
def test_run_reaches_the_group_and_tags_but_not_the_exceptions(sim, secret_service, exohop_dirs,
                                                              seeded_catalog, capsys) -> None:   # type: ignore[no-untyped-def]
    a = sim.accounts[0]
    seed_cache(exohop_dirs["cache"], sim, seeded_catalog)
    write_sim_config(exohop_dirs, sim, [])
    _write_tenants(exohop_dirs)
    accounts.set_password(a.upn, a.password)
    try:
        code = main(["run", "-t", "@retail", "--tag", "us", "--except", "tag:eu", "Get-Mailbox -ResultSize 1",
                     "--format", "json"])
    finally:
        accounts.delete_password(a.upn)
    out, err = capsys.readouterr()
    assert code == 0, err
    reached = ["contoso.onmicrosoft.com", "northwindtraders.onmicrosoft.com", "litware.onmicrosoft.com"]
    # One mailbox from each tenant reached, in the directory's order, each tagged with its tenant.
    assert [r["TenantDomain"] for r in json.loads(out)] == reached
    assert "3 of 3 tenants succeeded" in err
    transcripts = exohop_dirs["data"] / "transcripts"
    assert sorted(p.stem for p in transcripts.glob("*.jsonl")) == sorted(reached)   # fabrikam (eu) left out
    for domain in reached:
        entry = json.loads((transcripts / f"{domain}.jsonl").read_text().splitlines()[-1])
        assert entry["line"] == "Get-Mailbox -ResultSize 1" and entry["outcome"] == "ok"
