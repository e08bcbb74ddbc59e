"""Where exohop keeps its files, the partner accounts and settings (``config.toml``), and the clouds table.

Formats are fixed in contracts.md; the known keys are the schema tables just below. Reading uses
``tomllib`` and checks every key and type (tui.tomlfile). Changing the file goes through
``edit_config``: under the file's lock it re-reads the file, applies the caller's change to the
fresh copy and writes only that difference into the parsed document with ``tomlkit``, so comments,
ordering and the keys of other tools survive; the write is atomic (tui.files). A malformed file is
reported with its path and line and is never overwritten.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import platformdirs

from tui.files import atomic_write_text, locked
from tui.tomlfile import (
    BOOL,
    INTEGER,
    STRING,
    TABLE,
    TABLES,
    ConfigError,
    Schema,
    Where,
    check_table,
    key_line,
    one_of,
    parse_text,
    read_text,
)

__all__ = ["ConfigError"]  # re-exported: callers import it from here

APP_NAME = "exohop"
CONFIG_FILE = "config.toml"
TENANTS_FILE = "tenants.toml"

# The remote-PowerShell endpoints of each Microsoft cloud (PROTOCOL.md).
CLOUDS: dict[str, str] = {
    "worldwide": "https://outlook.office365.com/powershell-liveid/",
    "gcchigh": "https://outlook.office365.us/powershell-liveid/",
    "dod": "https://webmail.apps.mil/powershell-liveid",
    "germany": "https://outlook.office.de/powershell-liveid/",
    "china": "https://partner.outlook.cn/PowerShell",
}

CONFIRM_CHOICES = ("always", "destructive", "never")
AUTH_CHOICES = ("oauth", "app", "basic")
TRANSPORT_CHOICES = ("rest", "psrp")
DEFAULT_MAX_SESSIONS = 3

# -- the schema of config.toml: every key exohop knows, and what its value must be ------------------

CONFIG_KEYS: Schema = {"settings": TABLE, "accounts": TABLES, "keys": TABLE}

SETTINGS_KEYS: Schema = {
    "confirm": one_of(*CONFIRM_CHOICES),
    "max_sessions_per_account": INTEGER,        # 1..3: the service allows three
    "rest_concurrency_per_tenant": INTEGER,     # >= 1
}

ACCOUNT_KEYS: Schema = {
    "upn": STRING,                  # required
    "endpoint": STRING,             # a cloud name or an https URL (resolve_endpoint)
    "ca_file": STRING,
    "default": BOOL,
    "auth": one_of(*AUTH_CHOICES),
    "client_id": STRING,
    "home_tenant": STRING,
    "authority": STRING,
    "cloud": STRING,
    "transport": one_of(*TRANSPORT_CHOICES),
    "read_only": BOOL,
    "app_id": STRING,
    "certificate": STRING,
    "organization": STRING,
}


def _dir_from(env: str, default: str) -> Path:
    value = os.environ.get(env)
    return Path(value).expanduser() if value else Path(default)


def config_dir() -> Path:
    """``config.toml`` and ``tenants.toml`` live here (``EXOHOP_CONFIG_DIR`` overrides)."""
    return _dir_from("EXOHOP_CONFIG_DIR", platformdirs.user_config_dir(APP_NAME))


def data_dir() -> Path:
    """Transcripts and history (``EXOHOP_DATA_DIR`` overrides)."""
    return _dir_from("EXOHOP_DATA_DIR", platformdirs.user_data_dir(APP_NAME))


def cache_dir() -> Path:
    """The catalog cache (``EXOHOP_CACHE_DIR`` overrides)."""
    return _dir_from("EXOHOP_CACHE_DIR", platformdirs.user_cache_dir(APP_NAME))


@dataclass(frozen=True)
class Folders:
    """Where a face keeps what it writes: the user's own folders, or the demo's."""

    data: Path     # the transcripts, the history, what exohop remembers between runs
    cache: Path    # the catalog cache

    @property
    def transcripts(self) -> Path:
        return self.data / "transcripts"

    @property
    def history(self) -> Path:
        return self.data / "history"


def user_folders() -> Folders:
    return Folders(data=data_dir(), cache=cache_dir())


def demo_folders() -> Folders:
    """The demo's own folder, ``<data dir>/demo``: its transcripts, history and catalog cache stay out of
    the user's (the simulator's tenants are not the user's customers), and deleting it resets the demo."""
    base = data_dir() / "demo"
    return Folders(data=base, cache=base / "cache")


SETUP_GUIDANCE = """exohop has no partner account or tenant configured yet. To start:

  exohop login admin@yourpartner.onmicrosoft.com         sign the partner account in
  exohop tenants add contoso.onmicrosoft.com --name "Contoso Ltd"
                                                         add a customer tenant
  exohop tenants import customers.csv                    import a Partner Center customer export

Or try everything offline on the built-in simulator:  exohop --demo  (also `exohop run --demo …`)"""


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def resolve_endpoint(value: str) -> str:
    """A cloud name (``worldwide``, ``gcchigh``, ``dod``, ``germany``, ``china``) or an https URL → URL.

    Plain http is accepted for loopback hosts only (a local simulator started with ``--no-tls``):
    Basic auth must never cross a network in clear text.
    """
    text = value.strip()
    if text.lower() in CLOUDS:
        return CLOUDS[text.lower()]
    parts = urlsplit(text)
    if parts.scheme == "https" and parts.hostname:
        if parts.query or parts.fragment:
            raise ConfigError(f"endpoint {value!r}: leave out the query string; exohop adds ?DelegatedOrg=… itself")
        return text
    if parts.scheme == "http" and parts.hostname and _is_loopback(parts.hostname):
        return text
    names = ", ".join(CLOUDS)
    raise ConfigError(f"endpoint {value!r} is not known: use one of {names}, or an https:// URL")


@dataclass(frozen=True, slots=True)
class Settings:
    confirm: str = "always"
    max_sessions_per_account: int = DEFAULT_MAX_SESSIONS
    rest_concurrency_per_tenant: int | None = None   # None: the REST transport's own default


@dataclass(frozen=True, slots=True)
class Account:
    """A partner account. The password is never here: it lives in the OS keyring (tui.accounts).

    The fields after ``default`` are the sign-in options of ACCOUNT_KEYS; they are carried so that
    the file round-trips (None / False: not set in the file).
    """

    upn: str
    endpoint: str = "worldwide"
    ca_file: str | None = None
    default: bool = False
    auth: str | None = None
    client_id: str | None = None
    home_tenant: str | None = None
    authority: str | None = None
    cloud: str | None = None
    transport: str | None = None
    read_only: bool = False
    app_id: str | None = None
    certificate: str | None = None
    organization: str | None = None

    @property
    def endpoint_url(self) -> str:
        return resolve_endpoint(self.endpoint)

    @property
    def cert_validation(self) -> str | bool:
        """What pypsrp's ``cert_validation`` takes: the CA bundle path, or True (system store).

        A ca_file that is gone raises ConfigError naming it and the account (requests would otherwise
        fail with "Could not find a suitable TLS CA certificate bundle" on the first request)."""
        if self.ca_file and not os.path.exists(self.ca_file):
            raise ConfigError(f"the CA file {self.ca_file} for account {self.upn} is missing: put it back, or fix "
                              "(or remove) ca_file in config.toml")
        return self.ca_file or True

    def to_toml(self) -> dict[str, Any]:
        data: dict[str, Any] = {"upn": self.upn, "endpoint": self.endpoint}
        if self.ca_file:
            data["ca_file"] = self.ca_file
        data["default"] = self.default
        for f in _OPTIONAL_ACCOUNT_FIELDS:
            value = getattr(self, f)
            if value not in (None, False):
                data[f] = value
        return data


_OPTIONAL_ACCOUNT_FIELDS = tuple(f.name for f in fields(Account))[4:]


def validate_upn(upn: str) -> str:
    """A UPN looks like ``user@domain``; returns it stripped or raises ConfigError."""
    text = upn.strip()
    local, sep, domain = text.partition("@")
    if not sep or not local or "." not in domain or any(c.isspace() for c in text) or "@" in domain:
        raise ConfigError(f"account {upn!r} is not a user principal name like admin@partner.onmicrosoft.com")
    return text


@dataclass(frozen=True, slots=True)
class KeyEntry:
    """One line of the ``[keys]`` table (``filter = "ctrl+f"``): a key binding id and the keys wanted for it.

    Carried as written: the console checks the id and the keys (it holds the bindings), and a bad
    entry is reported there and the default kept, never a reason not to start. ``at`` names the
    file and line for that message.
    """

    id: str
    keys: Any
    at: str


@dataclass(slots=True)
class Config:
    settings: Settings = field(default_factory=Settings)
    accounts: list[Account] = field(default_factory=list)
    path: Path | None = None
    keys: tuple[KeyEntry, ...] = ()   # the [keys] table, in file order

    def account(self, upn: str) -> Account | None:
        wanted = upn.strip().lower()
        return next((a for a in self.accounts if a.upn.lower() == wanted), None)

    def default_account(self) -> Account | None:
        """The account marked default, else the only one, else None."""
        marked = [a for a in self.accounts if a.default]
        if marked:
            return marked[0]
        return self.accounts[0] if len(self.accounts) == 1 else None

    def resolve_account(self, upn: str | None) -> Account:
        """The account called ``upn`` (or the default); ConfigError saying how to add one otherwise."""
        if upn:
            found = self.account(upn)
            if found is None:
                raise ConfigError(f"no partner account {upn!r} in {self.path or CONFIG_FILE}: add it with "
                                  f"`exohop login {upn} --endpoint worldwide`")
            return found
        found = self.default_account()
        if found is None:
            if not self.accounts:
                raise ConfigError("no partner account is configured: run `exohop login UPN` first")
            raise ConfigError("several partner accounts and none is the default: pass --account UPN "
                              f"or set default = true on one in {self.path or CONFIG_FILE}")
        return found

    def with_account(self, account: Account) -> Config:
        """A copy with ``account`` added or replaced; a new default clears the others' flag."""
        others = [a for a in self.accounts if a.upn.lower() != account.upn.lower()]
        if account.default:
            others = [replace(a, default=False) for a in others]
        return replace(self, accounts=[*others, account])


def _parse_settings(data: Mapping[str, Any] | None, where: Where) -> Settings:
    if data is None:
        return Settings()
    check_table(data, SETTINGS_KEYS, where)
    limit = data.get("max_sessions_per_account", DEFAULT_MAX_SESSIONS)
    if not 1 <= limit <= 3:
        raise where.error("max_sessions_per_account must be 1, 2 or 3 (the service allows 3)",
                          "max_sessions_per_account")
    concurrency = data.get("rest_concurrency_per_tenant")
    if concurrency is not None and concurrency < 1:
        raise where.error("rest_concurrency_per_tenant must be 1 or more", "rest_concurrency_per_tenant")
    return Settings(confirm=data.get("confirm", "always"), max_sessions_per_account=limit,
                    rest_concurrency_per_tenant=concurrency)


def _parse_account(data: Mapping[str, Any], where: Where) -> Account:
    check_table(data, ACCOUNT_KEYS, where)
    if "upn" not in data:
        raise where.error('needs a upn = "user@domain"')
    try:
        upn = validate_upn(data["upn"])
    except ConfigError as exc:
        raise where.error(exc.message, "upn") from None
    try:
        resolve_endpoint(data.get("endpoint", "worldwide"))
    except ConfigError as exc:
        raise where.error(exc.message, "endpoint") from None
    values = {**data, "upn": upn, "ca_file": data.get("ca_file") or None}
    return Account(**values)


def _parse_keys(data: Mapping[str, Any] | None, where: Where) -> tuple[KeyEntry, ...]:
    entries = []
    for name, value in (data or {}).items():
        line = key_line(where.text, where.table, None, name)
        entries.append(KeyEntry(name, value, f"{where.path}, line {line}" if line else str(where.path)))
    return tuple(entries)


def parse_config(data: Mapping[str, Any], path: Path, text: str = "") -> Config:
    """A checked Config from a parsed ``config.toml``; ``text`` (the file) lets errors name the line."""
    top = Where(path, text)
    check_table(data, CONFIG_KEYS, top)
    accounts: list[Account] = []
    seen: set[str] = set()
    for i, entry in enumerate(data.get("accounts", [])):
        where = Where(path, text, "accounts", i)
        account = _parse_account(entry, where)
        if account.upn.lower() in seen:
            raise where.error(f"account {account.upn} appears twice; keep one", "upn")
        seen.add(account.upn.lower())
        accounts.append(account)
    return Config(settings=_parse_settings(data.get("settings"), Where(path, text, "settings")),
                  accounts=accounts, path=path, keys=_parse_keys(data.get("keys"), Where(path, text, "keys")))


def _read_config(target: Path) -> tuple[str | None, Config]:
    text = read_text(target)
    if text is None:
        return None, Config(path=target)
    return text, parse_config(parse_text(text, target), target, text)


def load_config(path: Path | None = None) -> Config:
    """Read ``config.toml`` (a missing file is an empty configuration); ConfigError when it is wrong."""
    return _read_config(path or config_dir() / CONFIG_FILE)[1]


# -- changing config.toml ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ConfigEdit:
    """What ``edit_config`` found in the file (``before``) and left there (``after``)."""

    before: Config
    after: Config

    @property
    def changed(self) -> bool:
        return self.before != self.after


def edit_config(change: Callable[[Config], Config], path: Path | None = None) -> ConfigEdit:
    """Apply ``change`` to the configuration as it is on disk now, under the file's lock.

    ``change`` gets the freshly read Config and returns the one wanted (e.g. ``c.with_account(a)``);
    only the difference is written, into the parsed tomlkit document, so the user's comments and
    layout stay. Nothing is written when nothing changed. Two processes adding different accounts
    at once both keep theirs: the second re-reads the first's file inside the lock.
    """
    import tomlkit  # here, not at the top: every start imports this module, few change the file

    target = path or config_dir() / CONFIG_FILE
    with locked(target):
        text, before = _read_config(target)
        after = change(before)
        after = replace(after, accounts=list(after.accounts), path=target)
        if after != before:
            doc = tomlkit.parse(text) if text else tomlkit.document()
            _apply_settings(doc, before.settings, after.settings)
            _apply_accounts(doc, before.accounts, after.accounts)
            new_text = tomlkit.dumps(doc)
            parse_config(parse_text(new_text, target), target, new_text)   # never write what would not load
            atomic_write_text(target, new_text)
    return ConfigEdit(before, after)


def _set_or_drop(table: Any, key: str, value: Any, keep_false: bool) -> None:
    if value is None or (value is False and not keep_false):
        if key in table:
            del table[key]
    else:
        table[key] = value


def _apply_settings(doc: Any, before: Settings, after: Settings) -> None:
    import tomlkit

    if before == after:
        return
    if "settings" not in doc:
        doc["settings"] = tomlkit.table()
    table = doc["settings"]
    for f in fields(Settings):
        old, new = getattr(before, f.name), getattr(after, f.name)
        if old != new:
            _set_or_drop(table, f.name, new, keep_false=True)


def _apply_accounts(doc: Any, before: list[Account], after: list[Account]) -> None:
    import tomlkit

    old = {a.upn.lower(): a for a in before}
    new = {a.upn.lower(): a for a in after}
    if old == new:
        return
    if "accounts" not in doc:
        doc["accounts"] = tomlkit.aot()
    aot = doc["accounts"]
    for i in reversed(range(len(aot))):
        if str(aot[i].get("upn", "")).strip().lower() not in new:
            del aot[i]
    for table in aot:
        key = str(table.get("upn", "")).strip().lower()
        was, now = old.get(key), new.get(key)
        if was is None or now is None or was == now:
            continue
        for f in fields(Account):
            if getattr(was, f.name) != getattr(now, f.name):
                _set_or_drop(table, f.name, getattr(now, f.name), keep_false=f.name == "default")
    for key, account in new.items():
        if key not in old:
            table = tomlkit.table()
            for k, v in account.to_toml().items():
                table[k] = v
            aot.append(table)
