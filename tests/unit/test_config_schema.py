"""Issue 9 §4: config.toml and tenants.toml are checked key by key and type by type, and edits keep the file.

Each case failed before: ``default = "false"`` counted as true, ``favorite = "no"`` made a favorite,
``endpiont`` fell back to the worldwide endpoint, and a save rewrote the file without its comments.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.config import Account, ConfigError, Settings, edit_config, load_config
from tui.tenants import Tenant, TenantDirectory

GOOD_ACCOUNT = 'upn = "a@p.onmicrosoft.com"\n'


@pytest.mark.parametrize("body, key, line, words", [
    ('[[accounts]]\nupn = "a@p.onmicrosoft.com"\ndefault = "false"\n', "default", 3, "true or false"),
    ('[[accounts]]\nupn = "a@p.onmicrosoft.com"\nendpiont = "gcchigh"\n', "endpiont", 3, "did you mean 'endpoint'?"),
    ('[[accounts]]\nupn = "a@p.onmicrosoft.com"\n\n[[accounts]]\nupn = "b@p.onmicrosoft.com"\nread_only = 1\n',
     "read_only", 6, "true or false"),
    ('[[accounts]]\nupn = "a@p.onmicrosoft.com"\nauth = "password"\n', "auth", 3, '"oauth", "app", "basic"'),
    ('[[accounts]]\nupn = "a@p.onmicrosoft.com"\ntransport = "http"\n', "transport", 3, '"rest", "psrp"'),
    ('[[accounts]]\nupn = "a@p.onmicrosoft.com"\nca_file = 3\n', "ca_file", 3, "a string"),
    ('[settings]\nconfirm = "sometimes"\n', "confirm", 2, '"always", "destructive", "never"'),
    ('[settings]\nconfrim = "always"\n', "confrim", 2, "did you mean 'confirm'?"),
    ('[settings]\nmax_sessions_per_account = "3"\n', "max_sessions_per_account", 2, "a whole number"),
    ('[settings]\nrest_concurrency_per_tenant = 0\n', "rest_concurrency_per_tenant", 2, "1 or more"),
    ('[setings]\nconfirm = "always"\n', "setings", 1, "did you mean 'settings'?"),
    ('[[accounts]]\nupn = "a@p.onmicrosoft.com"\nzzz = 1\n', "zzz", 3, "known keys: upn, endpoint"),
])
def test_config_errors_name_file_line_and_key(tmp_path: Path, body: str, key: str, line: int, words: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(body)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    err = info.value
    assert (err.path, err.line, err.key) == (path, line, key)
    assert str(path) in err.message and f"line {line}" in err.message and key in err.message
    assert words in err.message


@pytest.mark.parametrize("body, key, line, words", [
    ('[[tenants]]\ndomain = "contoso.onmicrosoft.com"\nfavorite = "no"\n', "favorite", 3, "true or false"),
    ('[[tenants]]\ndomain = "a.onmicrosoft.com"\n\n[[tenants]]\ndomain = "b.onmicrosoft.com"\ntagz = ["x"]\n',
     "tagz", 6, "did you mean 'tags'?"),
    ('[[tenants]]\ndomain = "contoso.onmicrosoft.com"\ntags = "eu"\n', "tags", 3, "a list of strings"),
    ('[[tenants]]\ndomain = "contoso.onmicrosoft.com"\nname = 5\n', "name", 3, "a string"),
    ('[[tenants]]\ndomain = "contoso.onmicrosoft.com"\n\n[[tenants]]\ndomain = "CONTOSO.onmicrosoft.com"\n',
     "domain", 5, "appears twice"),
    ('[[tenants]]\ndomain = "contoso.com?x=1"\n', "domain", 2, "tenants[0]"),
    ('[groups]\neu = "contoso"\n', "groups", None, "a table of lists of strings"),
    ('[[tenant]]\ndomain = "contoso.onmicrosoft.com"\n', "tenant", 1, "did you mean 'tenants'?"),
])
def test_tenants_errors_name_file_line_and_key(tmp_path: Path, body: str, key: str, line: int | None,
                                                words: str) -> None:
    path = tmp_path / "tenants.toml"
    path.write_text(body)
    with pytest.raises(ConfigError) as info:
        TenantDirectory.load(path)
    err = info.value
    assert (err.path, err.key) == (path, key) and str(path) in err.message and words in err.message
    if line is not None:
        assert err.line == line and f"line {line}" in err.message


def test_every_known_account_key_loads_and_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[settings]\nconfirm = "destructive"\nmax_sessions_per_account = 2\n'
                    'rest_concurrency_per_tenant = 4\n\n[[accounts]]\nupn = "a@p.onmicrosoft.com"\n'
                    'endpoint = "gcchigh"\ndefault = true\nauth = "oauth"\nclient_id = "c-1"\n'
                    'home_tenant = "p.onmicrosoft.com"\nauthority = "https://login.microsoftonline.us"\n'
                    'cloud = "gcchigh"\ntransport = "rest"\nread_only = true\napp_id = "app-1"\n'
                    'certificate = "/k/cert.pem"\norganization = "contoso.onmicrosoft.com"\n')
    cfg = load_config(path)
    assert cfg.settings == Settings("destructive", 2, 4)
    assert cfg.accounts == [Account("a@p.onmicrosoft.com", "gcchigh", None, True, "oauth", "c-1", "p.onmicrosoft.com",
                                    "https://login.microsoftonline.us", "gcchigh", "rest", True, "app-1",
                                    "/k/cert.pem", "contoso.onmicrosoft.com")]
    before = path.read_text()
    edit_config(lambda c: c.with_account(Account("b@p.onmicrosoft.com")), path)
    assert path.read_text().startswith(before)            # the first account untouched, the new one after it
    assert load_config(path).accounts[0] == cfg.accounts[0]


def test_simulator_written_config_with_sign_in_keys_loads(tmp_path: Path) -> None:
    from tui.sim.config_writer import write_config

    class T:
        def __init__(self, domain: str) -> None:
            self.domain, self.name, self.tenant_id, self.tags = domain, domain.split(".")[0], "t-1", ()

    write_config(tmp_path, url="https://127.0.0.1:1/powershell-liveid", ca_file=None,
                 account_upns=["a@p.onmicrosoft.com", "b@p.onmicrosoft.com"], tenants=[T("contoso.onmicrosoft.com")])
    # What the sign-in work makes the writer add: it must load.
    config = tmp_path / "config.toml"
    config.write_text(config.read_text().replace(
        'upn = "a@p.onmicrosoft.com"\n',
        'upn = "a@p.onmicrosoft.com"\nauth = "oauth"\nclient_id = "x"\nhome_tenant = "p.onmicrosoft.com"\n'
        'authority = "https://127.0.0.1:1/entra"\n'))
    cfg = load_config(config)
    assert cfg.accounts[0].auth == "oauth" and cfg.accounts[0].authority == "https://127.0.0.1:1/entra"
    assert [t.domain for t in TenantDirectory.load(tmp_path / "tenants.toml")] == ["contoso.onmicrosoft.com"]


CONFIG_WITH_COMMENTS = '''# My exohop configuration -- hand written
[settings]
confirm = "always"   # ask every time

# the partner account we use most
[[accounts]]
upn = "a@p.onmicrosoft.com"
endpoint = "worldwide"  # the commercial cloud
default = true
'''


def test_config_edit_keeps_comments_and_order(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG_WITH_COMMENTS)
    edit = edit_config(lambda c: c.with_account(Account("b@p.onmicrosoft.com", "gcchigh")), path)
    assert edit.changed
    text = path.read_text()
    assert text.startswith(CONFIG_WITH_COMMENTS)
    assert 'upn = "b@p.onmicrosoft.com"\nendpoint = "gcchigh"\ndefault = false\n' in text
    # A change to an existing account touches its line only.
    edit_config(lambda c: c.with_account(Account("a@p.onmicrosoft.com", "gcchigh", default=True)), path)
    assert path.read_text().replace('endpoint = "gcchigh"  # the commercial cloud',
                                    'endpoint = "worldwide"  # the commercial cloud', 1) == text
    assert not edit_config(lambda c: c, path).changed


TENANTS_WITH_COMMENTS = '''# customers -- exported 2026-11-30
[groups]
eu = ["contoso.onmicrosoft.com"]

[[tenants]]
domain = "contoso.onmicrosoft.com"  # the big one
name = "Contoso"
tags = ["eu"]

# Fabrikam: VIP, call before changes
[[tenants]]
domain = "fabrikam.onmicrosoft.com"
name = "Fabrikam"
favorite = true
'''


def test_tenants_add_and_remove_keep_comments_groups_and_order(tmp_path: Path) -> None:
    path = tmp_path / "tenants.toml"
    path.write_text(TENANTS_WITH_COMMENTS)
    TenantDirectory.update(path, lambda d: d.add(Tenant("northwind.onmicrosoft.com", "Northwind")))
    added = path.read_text()
    assert added.startswith(TENANTS_WITH_COMMENTS)
    assert added.endswith('[[tenants]]\ndomain = "northwind.onmicrosoft.com"\nname = "Northwind"\ntags = []\n'
                          'favorite = false\n')
    TenantDirectory.update(path, lambda d: d.remove("contoso.onmicrosoft.com"))
    removed = path.read_text()
    assert "contoso.onmicrosoft.com\"  # the big one" not in removed
    assert "# Fabrikam: VIP, call before changes\n[[tenants]]\ndomain = \"fabrikam" in removed
    assert removed.startswith('# customers -- exported 2026-11-30\n[groups]\neu = ["contoso.onmicrosoft.com"]\n')
    assert [t.domain for t in TenantDirectory.load(path)] == ["fabrikam.onmicrosoft.com", "northwind.onmicrosoft.com"]


def test_inline_tenants_array_is_edited_through_tomlkit(tmp_path: Path) -> None:
    path = tmp_path / "tenants.toml"
    path.write_text('# inline form\ntenants = [\n  { domain = "a.onmicrosoft.com" },  # first\n]\n')
    TenantDirectory.update(path, lambda d: d.add(Tenant("b.onmicrosoft.com")))
    text = path.read_text()
    assert text.startswith("# inline form\n") and "# first" in text
    assert [t.domain for t in TenantDirectory.load(path)] == ["a.onmicrosoft.com", "b.onmicrosoft.com"]


def test_large_directory_cache_follows_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXOHOP_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "tenants.toml"
    rows = "\n".join(f"Tenant {i},t{i}.onmicrosoft.com" for i in range(3000))
    TenantDirectory.update(path, lambda d: d.import_csv_text("Name,Domain\n" + rows))
    assert list((tmp_path / "cache" / "tenants").glob("*.json"))          # large: cached
    assert len(TenantDirectory.load(path)) == 3000
    # A hand edit (same size, same second) must not be answered from the cache.
    text = path.read_text()
    path.write_text(text.replace('name = "Tenant 7"', 'name = "Tenant X"', 1))
    assert TenantDirectory.load(path).get("t7.onmicrosoft.com").name == "Tenant X"   # type: ignore[union-attr]
    path.write_text(text.replace('name = "Tenant 7"', 'nmae = "Tenant 7"', 1))
    with pytest.raises(ConfigError, match="did you mean 'name'"):
        TenantDirectory.load(path)
