"""config.toml: paths from EXOHOP_* variables, clouds, accounts, malformed files reported and kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.config import (
    CLOUDS,
    Account,
    Config,
    ConfigError,
    Settings,
    cache_dir,
    config_dir,
    data_dir,
    edit_config,
    load_config,
    resolve_endpoint,
)


def test_dirs_follow_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXOHOP_CONFIG_DIR", str(tmp_path / "c"))
    monkeypatch.setenv("EXOHOP_DATA_DIR", str(tmp_path / "d"))
    monkeypatch.setenv("EXOHOP_CACHE_DIR", str(tmp_path / "k"))
    assert (config_dir(), data_dir(), cache_dir()) == (tmp_path / "c", tmp_path / "d", tmp_path / "k")


@pytest.mark.parametrize("name", sorted(CLOUDS))
def test_cloud_names_resolve_to_https(name: str) -> None:
    assert resolve_endpoint(name).startswith("https://")
    assert resolve_endpoint(name.upper()) == CLOUDS[name]


def test_endpoint_urls_and_refusals() -> None:
    assert resolve_endpoint("https://mail.example.com/PowerShell/") == "https://mail.example.com/PowerShell/"
    assert resolve_endpoint("http://127.0.0.1:5985/powershell-liveid").startswith("http://127.0.0.1")
    for bad in ("http://outlook.office365.com/powershell-liveid", "ftp://x", "nowhere",
                "https://h/p?DelegatedOrg=x"):
        with pytest.raises(ConfigError):
            resolve_endpoint(bad)


def test_missing_file_is_empty_config(tmp_path: Path) -> None:
    cfg = load_config(tmp_path / "config.toml")
    assert cfg.accounts == [] and cfg.settings == Settings()


def test_round_trip_and_default(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    ca = tmp_path / "ca.pem"
    ca.write_text("")
    edit_config(lambda c: c.with_account(Account("a@p.onmicrosoft.com", "worldwide", default=True)), path)
    edit_config(lambda c: c.with_account(Account("b@p.onmicrosoft.com", "https://127.0.0.1:8443/powershell-liveid",
                                                 ca_file=str(ca), default=True)), path)
    again = load_config(path)
    assert [a.upn for a in again.accounts] == ["a@p.onmicrosoft.com", "b@p.onmicrosoft.com"]
    assert again.default_account() is not None and again.default_account().upn == "b@p.onmicrosoft.com"
    assert again.resolve_account("A@P.onmicrosoft.com").endpoint_url == CLOUDS["worldwide"]
    assert again.account("b@p.onmicrosoft.com").cert_validation == str(ca)


def test_malformed_toml_names_file_and_line_and_is_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    text = '[settings]\nconfirm = "always"\n[[accounts]]\nupn = "a@b.com\n'
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(path) in info.value.message and info.value.line == 4
    assert path.read_text() == text


def test_bad_values_are_explained(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[settings]\nmax_sessions_per_account = 5\n')
    with pytest.raises(ConfigError, match="1, 2 or 3"):
        load_config(path)
    path.write_text('[[accounts]]\nupn = "not-an-upn"\n')
    with pytest.raises(ConfigError, match="principal name"):
        load_config(path)
    path.write_text('[[accounts]]\nupn = "a@b.com"\nendpoint = "mars"\n')
    with pytest.raises(ConfigError, match="worldwide"):
        load_config(path)


def test_resolve_account_messages() -> None:
    with pytest.raises(ConfigError, match="exohop login"):
        Config().resolve_account(None)
    two = Config(accounts=[Account("a@b.com"), Account("c@d.com")])
    with pytest.raises(ConfigError, match="--account"):
        two.resolve_account(None)
    with pytest.raises(ConfigError, match=r"x@y\.com"):
        two.resolve_account("x@y.com")


def test_the_keys_table_is_carried_with_its_lines_and_kept_by_edits(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    text = '# my keys\n[keys]\nfilter = "ctrl+f"\n"help" = 3\n'
    path.write_text(text)
    cfg = load_config(path)
    # read as written (the console checks ids and keys, and keeps the default of a bad one)
    assert [(k.id, k.keys, k.at) for k in cfg.keys] == [("filter", "ctrl+f", f"{path}, line 3"),
                                                       ("help", 3, f"{path}, line 4")]
    edit = edit_config(lambda c: c.with_account(Account("a@p.onmicrosoft.com", default=True)), path)
    assert edit.changed and edit.after.keys == cfg.keys
    assert path.read_text().startswith(text)   # comments and the [keys] table left as they were
    again = load_config(path)
    assert again.keys == cfg.keys and again.accounts[0].upn == "a@p.onmicrosoft.com"
    assert not edit_config(lambda c: c, path).changed


def test_keys_must_be_a_table(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('keys = "ctrl+f"\n')
    with pytest.raises(ConfigError, match=r"line 1: top level: keys must be a table"):
        load_config(path)
