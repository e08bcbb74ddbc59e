"""The tenant directory (``tenants.toml``): model, validation, lookup, atomic save and CSV import.

A tenant's initial domain goes into the connection URI's query string (``?DelegatedOrg=…``), so it is
validated strictly here: DNS labels only, no URL or query characters.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from tui.config import TENANTS_FILE, ConfigError, config_dir, read_toml
from tui.files import atomic_write_text

MAX_DOMAIN = 253
MAX_LABEL = 63
_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")


class InvalidDomain(ValueError):
    """``message`` says what is wrong with the domain."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TenantLookupError(LookupError):
    """No tenant, or several, match a query; ``candidates`` lists the several."""

    def __init__(self, message: str, candidates: Iterable[Tenant] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.candidates = list(candidates)


def validate_domain(domain: str) -> str:
    """The domain normalised (lower case, no trailing dot, IDN as punycode), or InvalidDomain."""
    text = domain.strip()
    if not text:
        raise InvalidDomain("the domain is empty")
    bad = sorted({c for c in text if c in "/?#&=%:@\\ \t;,+'\"<>[]{}|^`!$*()"})
    if bad:
        shown = " ".join(repr(c) for c in bad)
        raise InvalidDomain(f"{domain!r} is not a domain name: it contains {shown} "
                            "(give the bare initial domain, e.g. contoso.onmicrosoft.com)")
    if text.endswith("."):
        text = text[:-1]
    if not text.isascii():
        try:
            text = text.encode("idna").decode("ascii")
        except UnicodeError:
            raise InvalidDomain(f"{domain!r} is not a valid internationalised domain name") from None
    text = text.lower()
    if len(text) > MAX_DOMAIN:
        raise InvalidDomain(f"{domain!r} is {len(text)} characters long; a domain name has at most {MAX_DOMAIN}")
    labels = text.split(".")
    if len(labels) < 2:
        raise InvalidDomain(f"{domain!r} has no dot; give the full domain, e.g. contoso.onmicrosoft.com")
    for label in labels:
        if not label:
            raise InvalidDomain(f"{domain!r} has an empty label (two dots in a row, or a leading dot)")
        if len(label) > MAX_LABEL:
            raise InvalidDomain(f"{domain!r}: the label {label[:20]!r}… is longer than {MAX_LABEL} characters")
        if not _LABEL.match(label):
            raise InvalidDomain(f"{domain!r}: the label {label!r} may hold only letters, digits and inner hyphens")
    if labels[-1].isdigit():
        raise InvalidDomain(f"{domain!r} looks like an IP address; give the tenant's domain name")
    return text


def default_name(domain: str) -> str:
    """A display name guessed from the domain: ``contoso.onmicrosoft.com`` → ``contoso``."""
    return domain.split(".", 1)[0]


@dataclass(frozen=True, slots=True)
class Tenant:
    domain: str
    name: str = ""
    tenant_id: str | None = None
    account: str | None = None
    tags: tuple[str, ...] = ()
    favorite: bool = False

    @property
    def display_name(self) -> str:
        return self.name or default_name(self.domain)

    def to_toml(self) -> dict[str, Any]:
        data: dict[str, Any] = {"domain": self.domain, "name": self.display_name}
        if self.tenant_id:
            data["tenant_id"] = self.tenant_id
        if self.account:
            data["account"] = self.account
        data["tags"] = list(self.tags)
        data["favorite"] = self.favorite
        return data

    @classmethod
    def from_toml(cls, data: Any, where: str) -> Tenant:
        if not isinstance(data, Mapping) or not isinstance(data.get("domain"), str):
            raise ConfigError(f"{where} needs a domain = \"….onmicrosoft.com\"")
        try:
            domain = validate_domain(data["domain"])
        except InvalidDomain as exc:
            raise ConfigError(f"{where}: {exc.message}") from None
        tags = data.get("tags", [])
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise ConfigError(f"{where}: tags must be a list of strings")
        for key in ("name", "tenant_id", "account"):
            if data.get(key) is not None and not isinstance(data[key], str):
                raise ConfigError(f"{where}: {key} must be a string")
        return cls(domain=domain, name=data.get("name") or default_name(domain),
                   tenant_id=data.get("tenant_id") or None, account=data.get("account") or None,
                   tags=tuple(tags), favorite=bool(data.get("favorite", False)))


@dataclass(slots=True)
class ImportReport:
    added: list[Tenant] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)    # (line, domain) already present
    rejected: list[tuple[int, str]] = field(default_factory=list)   # (line, reason)

    def lines(self) -> list[str]:
        out = [f"added {len(self.added)} tenant(s)"]
        out += [f"  + {t.domain} ({t.display_name})" for t in self.added]
        if self.skipped:
            out.append(f"skipped {len(self.skipped)} already in the directory")
            out += [f"  = line {n}: {d}" for n, d in self.skipped]
        if self.rejected:
            out.append(f"rejected {len(self.rejected)}")
            out += [f"  ! line {n}: {why}" for n, why in self.rejected]
        return out


# Header spellings seen in Partner Center customer exports (normalised: lower case, letters and digits only).
NAME_HEADERS = ("companyname", "customername", "customercompanyname", "organizationname", "displayname",
                "company", "customer", "name")
DOMAIN_HEADERS = ("domain", "primarydomain", "defaultdomain", "domainname", "primarydomainname",
                  "initialdomain", "customerdomain", "tenantdomain")
TENANT_ID_HEADERS = ("tenantid", "microsoftid", "customertenantid", "customerid")


def _norm_header(text: str) -> str:
    return "".join(c for c in text.lower() if c.isalnum())


def _pick(headers: list[str], wanted: tuple[str, ...]) -> int | None:
    normed = [_norm_header(h) for h in headers]
    for w in wanted:
        if w in normed:
            return normed.index(w)
    return None


class TenantDirectory:
    """The tenants, in file order; ``path`` None means in memory only (the demo)."""

    def __init__(self, tenants: Iterable[Tenant] = (), path: Path | None = None) -> None:
        self._tenants: list[Tenant] = []
        self.path = path
        for t in tenants:
            self.add(t)

    def __iter__(self) -> Iterator[Tenant]:
        return iter(self._tenants)

    def __len__(self) -> int:
        return len(self._tenants)

    def __contains__(self, domain: object) -> bool:
        return isinstance(domain, str) and self.get(domain) is not None

    @property
    def tenants(self) -> list[Tenant]:
        return list(self._tenants)

    def get(self, domain: str) -> Tenant | None:
        wanted = domain.strip().lower().rstrip(".")
        return next((t for t in self._tenants if t.domain == wanted), None)

    def add(self, tenant: Tenant) -> Tenant:
        """Add a tenant (domain validated); ValueError if the domain is already there."""
        domain = validate_domain(tenant.domain)
        if self.get(domain) is not None:
            raise ValueError(f"{domain} is already in the tenant directory")
        if domain != tenant.domain:
            tenant = Tenant(domain, tenant.name, tenant.tenant_id, tenant.account, tenant.tags, tenant.favorite)
        self._tenants.append(tenant)
        return tenant

    def remove(self, domain: str) -> Tenant:
        found = self.get(domain)
        if found is None:
            raise TenantLookupError(f"{domain} is not in the tenant directory (see `exohop tenants list`)")
        self._tenants.remove(found)
        return found

    def find(self, query: str) -> Tenant:
        """By domain, display name, or a unique prefix of either (case-insensitive)."""
        q = query.strip().lower()
        if not q:
            raise TenantLookupError("no tenant given")
        exact = [t for t in self._tenants if t.domain == q.rstrip(".") or t.display_name.lower() == q]
        if len(exact) == 1:
            return exact[0]
        matches = exact or [t for t in self._tenants
                            if t.domain.startswith(q) or t.display_name.lower().startswith(q)]
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise TenantLookupError(f"no tenant matches {query!r}: see `exohop tenants list`, "
                                    "or add it with `exohop tenants add DOMAIN`")
        names = ", ".join(f"{t.display_name} ({t.domain})" for t in matches[:10])
        more = f" and {len(matches) - 10} more" if len(matches) > 10 else ""
        raise TenantLookupError(f"{query!r} matches several tenants: {names}{more}; type more of the name",
                                matches)

    # -- files -------------------------------------------------------------------------------------

    @classmethod
    def load(cls, path: Path | None = None) -> TenantDirectory:
        """Read ``tenants.toml`` (missing = empty); ConfigError with file and line when malformed."""
        target = path or config_dir() / TENANTS_FILE
        data = read_toml(target)
        directory = cls(path=target)
        if data is None:
            return directory
        entries = data.get("tenants", [])
        if not isinstance(entries, list):
            raise ConfigError(f"{target}: tenants must be an array of tables ([[tenants]])", target)
        for i, entry in enumerate(entries):
            try:
                tenant = Tenant.from_toml(entry, f"{target}: tenants[{i}]")
                directory.add(tenant)
            except ConfigError as exc:
                raise ConfigError(exc.message, target) from None
            except ValueError:
                raise ConfigError(f"{target}: tenants[{i}]: {tenant.domain} appears twice; keep one", target) from None
        return directory

    def dumps(self) -> str:
        return tomli_w.dumps({"tenants": [t.to_toml() for t in self._tenants]})

    def save(self, path: Path | None = None) -> Path:
        target = path or self.path
        if target is None:
            raise ValueError("this tenant directory lives in memory only")
        atomic_write_text(target, self.dumps())
        self.path = target
        return target

    # -- CSV import ----------------------------------------------------------------------------------

    def import_csv_text(self, text: str, account: str | None = None) -> ImportReport:
        """Add the customers of a Partner Center style export; see ImportReport for the outcome.

        The header row must name a company column and a domain column (common spellings accepted);
        other columns are ignored. Raises ValueError when the header has no domain column.
        """
        text = text.removeprefix("\ufeff")
        sample = text[:4096]
        try:
            dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        reader = csv.reader(io.StringIO(text), dialect)
        header: list[str] | None = None
        for header in reader:
            if any(cell.strip() for cell in header):
                break
        if not header:
            raise ValueError("the file is empty; expected a header row with a company name and a domain column")
        domain_col = _pick(header, DOMAIN_HEADERS)
        name_col = _pick(header, NAME_HEADERS)
        id_col = _pick(header, TENANT_ID_HEADERS)
        if domain_col is None:
            shown = ", ".join(h.strip() for h in header if h.strip()) or "(none)"
            raise ValueError(f"no domain column in the header (found: {shown}); expected one called "
                             "Domain, Primary domain, Default domain or Domain name")
        report = ImportReport()
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            raw = row[domain_col].strip() if domain_col < len(row) else ""
            if not raw:
                report.rejected.append((line, "no domain"))
                continue
            try:
                domain = validate_domain(raw)
            except InvalidDomain as exc:
                report.rejected.append((line, exc.message))
                continue
            if self.get(domain) is not None:
                report.skipped.append((line, domain))
                continue
            name = row[name_col].strip() if name_col is not None and name_col < len(row) else ""
            tenant_id = row[id_col].strip() if id_col is not None and id_col < len(row) else ""
            report.added.append(self.add(Tenant(domain=domain, name=name or default_name(domain),
                                                tenant_id=_guid_or_none(tenant_id), account=account)))
        return report

    def import_csv(self, path: Path, account: str | None = None) -> ImportReport:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise ValueError(f"{path}: cannot read it ({exc.strerror})") from None
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("cp1252", errors="replace")  # Excel's "CSV" on Windows
        return self.import_csv_text(text, account)


def _guid_or_none(text: str) -> str | None:
    try:
        return str(uuid.UUID(text)) if text else None
    except ValueError:
        return None
