"""Issue 9 §4 and §8: parallel writers keep every change, files keep their comments, a corrupt catalog
cache is set aside, and a look-alike domain is accepted with a warning showing both forms.

Before: 20 parallel `exohop tenants add` kept 7 of 20, 10 parallel `login` kept 1 of 10, a save
dropped the comments, a deeply nested cache made the tenant impossible to connect (RecursionError),
and `соntoso.onmicrosoft.com` (Cyrillic о) went in silently as punycode.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import keyring
import pytest

from tui.cli.main import main
from tui.config import Account, load_config
from tui.remoting.importer import CatalogCache
from tui.tenants import Tenant, TenantDirectory

from .conftest import TEST_COMMANDS, write_sim_config

HOMOGLYPH = "\u0441\u043entoso.onmicrosoft.com"    # Cyrillic с and о, then "ntoso"


def _env(dirs: dict[str, Path], extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {**os.environ, **(extra or {})}
    for name, path in dirs.items():
        env[f"EXOHOP_{name.upper()}_DIR"] = str(path)
    return env


def _run_parallel(argvs: list[list[str]], env: dict[str, str], stdins: list[str] | None = None
                  ) -> list[subprocess.CompletedProcess[str]]:
    procs = [subprocess.Popen([sys.executable, "-m", "tui", *argv], env=env, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for argv in argvs]
    results = []
    for i, proc in enumerate(procs):
        out, err = proc.communicate(stdins[i] if stdins else None, timeout=240)
        results.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    return results


def test_twenty_parallel_tenants_add_keep_all_twenty(exohop_dirs: dict[str, Path]) -> None:
    path = exohop_dirs["config"] / "tenants.toml"
    path.write_text("# my customers\n[[tenants]]\ndomain = \"first.onmicrosoft.com\"  # keep me\n")
    domains = [f"parallel{i:02d}.onmicrosoft.com" for i in range(20)]
    results = _run_parallel([["tenants", "add", d, "--tag", "p"] for d in domains], _env(exohop_dirs))
    assert all(r.returncode == 0 for r in results), [r.stderr for r in results if r.returncode]
    loaded = TenantDirectory.load(path)
    assert sorted(t.domain for t in loaded) == sorted(["first.onmicrosoft.com", *domains])
    assert path.read_text().startswith("# my customers\n[[tenants]]\ndomain = \"first.onmicrosoft.com\"  # keep me\n")


@pytest.mark.keyring
def test_ten_parallel_logins_keep_all_ten_accounts(secret_service, exohop_dirs: dict[str, Path]) -> None:   # type: ignore[no-untyped-def]
    config = exohop_dirs["config"] / "config.toml"
    config.write_text('# partner accounts\n[settings]\nconfirm = "always"  # house rule\n')
    upns = [f"admin{i}@partner{i}.onmicrosoft.com" for i in range(10)]
    env = _env(exohop_dirs, {"DBUS_SESSION_BUS_ADDRESS": secret_service.address,
                             "PYTHON_KEYRING_BACKEND": "keyring.backends.SecretService.Keyring"})
    try:
        results = _run_parallel([["login", u, "--password-stdin", "--endpoint", "gcchigh"] for u in upns], env,
                                [f"pw-{i}\n" for i in range(10)])
        assert all(r.returncode == 0 for r in results), [r.stderr for r in results if r.returncode]
        cfg = load_config(config)
        assert sorted(a.upn for a in cfg.accounts) == sorted(upns)
        assert sum(a.default for a in cfg.accounts) == 1                  # only the first login is the default
        assert all(keyring.get_password("exohop", u) == f"pw-{i}" for i, u in enumerate(upns))
        assert config.read_text().startswith('# partner accounts\n[settings]\nconfirm = "always"  # house rule\n')
    finally:
        for u in upns:
            try:
                keyring.delete_password("exohop", u)
            except keyring.errors.PasswordDeleteError:
                pass


def test_cli_add_keeps_a_commented_file_untouched_but_for_the_change(exohop_dirs: dict[str, Path], capsys) -> None:   # type: ignore[no-untyped-def]
    path = exohop_dirs["config"] / "tenants.toml"
    original = ('# exported from Partner Center\n[groups]\nvip = ["contoso.onmicrosoft.com"]\n\n'
                '[[tenants]]\ndomain = "contoso.onmicrosoft.com"   # initial domain\nname = "Contoso Ltd"\n'
                'favorite = true\n')
    path.write_text(original)
    assert main(["tenants", "add", "fabrikam.onmicrosoft.com", "--name", "Fabrikam"]) == 0
    text = path.read_text()
    assert text.startswith(original)
    assert tomllib.loads(text[len(original):])["tenants"][0]["domain"] == "fabrikam.onmicrosoft.com"
    assert main(["tenants", "remove", "fabrikam.onmicrosoft.com"]) == 0
    assert path.read_text().rstrip("\n") == original.rstrip("\n")


def test_homoglyph_domain_is_accepted_with_a_warning_showing_both_forms(exohop_dirs: dict[str, Path], tmp_path: Path,
                                                                        capsys) -> None:   # type: ignore[no-untyped-def]
    punycode = HOMOGLYPH.encode("idna").decode("ascii")
    assert main(["tenants", "add", HOMOGLYPH]) == 0
    out, err = capsys.readouterr()
    assert punycode in out
    assert "warning" in err and HOMOGLYPH in err and punycode in err and "U+0441" in err and "CYRILLIC" in err
    assert main(["tenants", "add", "plain.onmicrosoft.com"]) == 0
    assert "warning" not in capsys.readouterr().err

    export = tmp_path / "export.csv"
    export.write_text("Company name,Primary domain\nLook Alike,f\u0430brikam.onmicrosoft.com\n"
                      "Fabrikam,fabrikam.onmicrosoft.com\n", encoding="utf-8")
    assert main(["tenants", "import", str(export)]) == 0
    out = capsys.readouterr().out
    assert "added 2" in out and "line 2" in out and "f\u0430brikam.onmicrosoft.com" in out
    assert "f\u0430brikam".encode("idna").decode() in out and "U+0430" in out


@pytest.mark.parametrize("content, reason", [
    ("[" * 200_000 + "]" * 200_000, "nests too deeply"),
    ('{"cmdlets": [{"name": "Get-Mailbox", "parame', "not JSON"),
    ('{"cmdlets": {"Get-Mailbox": 1}}', "'cmdlets' list"),
    ('{"cmdlets": [{"name": "Get-Mailbox", "parameters": [{"name": 5}]}]}', "non-empty string 'name'"),
])
def test_corrupt_catalog_cache_is_set_aside_with_a_notice(tmp_path: Path, content: str, reason: str) -> None:
    cache = CatalogCache(tmp_path)
    path = cache.path_for("worldwide", "a@p.onmicrosoft.com", "contoso.onmicrosoft.com")
    path.parent.mkdir(parents=True)
    path.write_text(content)
    assert cache.load("worldwide", "a@p.onmicrosoft.com", "contoso.onmicrosoft.com") is None
    assert not path.exists()
    aside = list(path.parent.glob(path.name + ".corrupt-*"))
    assert len(aside) == 1 and aside[0].read_text() == content
    notices = cache.take_notices()
    assert len(notices) == 1 and "contoso.onmicrosoft.com" in notices[0] and reason in notices[0]
    assert str(aside[0]) in notices[0] and cache.take_notices() == []


def test_tenant_with_a_corrupt_cache_still_connects(sim, tmp_path: Path) -> None:   # type: ignore[no-untyped-def]
    from tui.remoting.session import DelegatedSession

    a = sim.accounts[0]
    account = Account(upn=a.upn, endpoint=sim.url, ca_file=sim.ca_file)
    cache_dir = tmp_path / "cache"
    path = CatalogCache(cache_dir).path_for(sim.url, a.upn, a.tenants[0])
    path.parent.mkdir(parents=True)
    path.write_text("[" * 200_000)
    session = DelegatedSession(account, Tenant(a.tenants[0]), a.password, cache_dir=cache_dir,
                               refresh_in_background=False, import_patterns=TEST_COMMANDS)
    try:
        session.open()
        assert session.catalog is not None and session.catalog.get("Get-Mailbox") is not None
    finally:
        session.close()
    assert list(path.parent.glob(path.name + ".corrupt-*"))
    assert "set aside" in " ".join(session.take_notices())
    assert session.take_notices() == []                       # told once


def test_run_tells_that_a_corrupt_cache_was_set_aside(sim, secret_service, exohop_dirs,
                                                      capsys) -> None:   # type: ignore[no-untyped-def]
    from tui import accounts

    a = sim.accounts[0]
    write_sim_config(exohop_dirs, sim, [a.tenants[0]])
    path = CatalogCache(exohop_dirs["cache"]).path_for(sim.url, a.upn, a.tenants[0])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('{"cmdlets": [')                          # truncated
    accounts.set_password(a.upn, a.password)
    try:
        assert main(["run", "-t", a.tenants[0], "Get-Mailbox -ResultSize 1"]) == 0
    finally:
        accounts.delete_password(a.upn)
    err = capsys.readouterr().err
    assert "could not be read" in err and "set aside" in err and "imported afresh" in err


def test_a_file_another_exohop_holds_is_said_and_left_alone(exohop_dirs, monkeypatch: pytest.MonkeyPatch,
                                                           capsys) -> None:   # type: ignore[no-untyped-def]
    from filelock import FileLock

    from tui import files

    assert main(["tenants", "add", "contoso.onmicrosoft.com"]) == 0
    path = exohop_dirs["config"] / "tenants.toml"
    before = path.read_text()
    capsys.readouterr()
    monkeypatch.setattr(files, "LOCK_TIMEOUT_S", 0.2)
    with FileLock(str(files.lock_path(path))):             # another exohop in the middle of a change
        assert main(["tenants", "add", "fabrikam.onmicrosoft.com"]) == 1
    err = capsys.readouterr().err
    assert "being changed by another exohop" in err and "try again" in err and "unexpected" not in err
    assert path.read_text() == before
