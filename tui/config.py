"""Where exohop keeps its files, the partner accounts and settings (``config.toml``), and the clouds table.

Formats are fixed in contracts.md. Reading uses ``tomllib``; writing uses ``tomli_w`` through
``tui.files.atomic_write_text`` so a crash never leaves half a file. A malformed file is reported
with its path and line and is never overwritten.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import platformdirs
import tomli_w

from tui.files import atomic_write_text

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
DEFAULT_MAX_SESSIONS = 3


class ConfigError(Exception):
    """A configuration file or value is wrong; ``message`` names the file (and line) and the fix."""

    def __init__(self, message: str, path: Path | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line


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

    def to_toml(self) -> dict[str, Any]:
        return {"confirm": self.confirm, "max_sessions_per_account": self.max_sessions_per_account}


@dataclass(frozen=True, slots=True)
class Account:
    """A partner account. The password is never here: it lives in the OS keyring (tui.accounts)."""

    upn: str
    endpoint: str = "worldwide"
    ca_file: str | None = None
    default: bool = False

    @property
    def endpoint_url(self) -> str:
        return resolve_endpoint(self.endpoint)

    @property
    def cert_validation(self) -> str | bool:
        """What pypsrp's ``cert_validation`` takes: the CA bundle path, or True (system store)."""
        return self.ca_file or True

    def to_toml(self) -> dict[str, Any]:
        data: dict[str, Any] = {"upn": self.upn, "endpoint": self.endpoint}
        if self.ca_file:
            data["ca_file"] = self.ca_file
        data["default"] = self.default
        return data


def validate_upn(upn: str) -> str:
    """A UPN looks like ``user@domain``; returns it stripped or raises ConfigError."""
    text = upn.strip()
    local, sep, domain = text.partition("@")
    if not sep or not local or "." not in domain or any(c.isspace() for c in text) or "@" in domain:
        raise ConfigError(f"account {upn!r} is not a user principal name like admin@partner.onmicrosoft.com")
    return text


@dataclass(slots=True)
class Config:
    settings: Settings = field(default_factory=Settings)
    accounts: list[Account] = field(default_factory=list)
    path: Path | None = None

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
        return Config(settings=self.settings, accounts=[*others, account], path=self.path)

    def to_toml(self) -> dict[str, Any]:
        return {"settings": self.settings.to_toml(), "accounts": [a.to_toml() for a in self.accounts]}

    def save(self, path: Path | None = None) -> Path:
        target = path or self.path or config_dir() / CONFIG_FILE
        atomic_write_text(target, tomli_w.dumps(self.to_toml()))
        self.path = target
        return target


def read_toml(path: Path) -> dict[str, Any] | None:
    """The parsed document, or None when the file does not exist; ConfigError with the line if malformed."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read it ({exc.strerror})", path) from None
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text; fix or remove the file", path) from None
    except tomllib.TOMLDecodeError as exc:
        line = _line_of(str(exc))
        raise ConfigError(f"{path}: malformed TOML: {exc}. Fix the file (it was left unchanged).",
                          path, line) from None


def _line_of(message: str) -> int | None:
    marker = "at line "
    if marker not in message:
        return None
    digits = message.split(marker, 1)[1].split(",", 1)[0].split(")", 1)[0].strip()
    return int(digits) if digits.isdigit() else None


def _parse_settings(data: Any, path: Path) -> Settings:
    if data is None:
        return Settings()
    if not isinstance(data, Mapping):
        raise ConfigError(f"{path}: [settings] must be a table", path)
    confirm = data.get("confirm", "always")
    if confirm not in CONFIRM_CHOICES:
        raise ConfigError(f"{path}: settings.confirm must be one of {', '.join(CONFIRM_CHOICES)}, not {confirm!r}",
                          path)
    limit = data.get("max_sessions_per_account", DEFAULT_MAX_SESSIONS)
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= 3:
        raise ConfigError(f"{path}: settings.max_sessions_per_account must be 1, 2 or 3 (the service allows 3)",
                          path)
    return Settings(confirm=confirm, max_sessions_per_account=limit)


def _parse_account(data: Any, path: Path, index: int) -> Account:
    where = f"{path}: accounts[{index}]"
    if not isinstance(data, Mapping) or not isinstance(data.get("upn"), str):
        raise ConfigError(f"{where} needs a upn = \"user@domain\"", path)
    try:
        upn = validate_upn(data["upn"])
        endpoint = str(data.get("endpoint", "worldwide"))
        resolve_endpoint(endpoint)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc.message}", path) from None
    ca_file = data.get("ca_file")
    if ca_file is not None and not isinstance(ca_file, str):
        raise ConfigError(f"{where}: ca_file must be a path string", path)
    return Account(upn=upn, endpoint=endpoint, ca_file=ca_file or None, default=bool(data.get("default", False)))


def parse_config(data: Mapping[str, Any], path: Path) -> Config:
    accounts_raw = data.get("accounts", [])
    if not isinstance(accounts_raw, list):
        raise ConfigError(f"{path}: accounts must be an array of tables ([[accounts]])", path)
    accounts = [_parse_account(a, path, i) for i, a in enumerate(accounts_raw)]
    seen: set[str] = set()
    for a in accounts:
        if a.upn.lower() in seen:
            raise ConfigError(f"{path}: account {a.upn} appears twice; keep one", path)
        seen.add(a.upn.lower())
    return Config(settings=_parse_settings(data.get("settings"), path), accounts=accounts, path=path)


def load_config(path: Path | None = None) -> Config:
    """Read ``config.toml`` (a missing file is an empty configuration); ConfigError when it is wrong."""
    target = path or config_dir() / CONFIG_FILE
    data = read_toml(target)
    if data is None:
        return Config(path=target)
    return parse_config(data, target)
