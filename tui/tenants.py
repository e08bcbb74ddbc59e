"""The tenant directory (``tenants.toml``): model, validation, lookup, atomic save and CSV import.

A tenant's initial domain goes into the connection URI's query string (``?DelegatedOrg=…``), so it is
validated strictly here: DNS labels only, no URL or query characters.
"""

from __future__ import annotations

import csv
import gc
import io
import re
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from tui import tenants_store as store
from tui.config import TENANTS_FILE, config_dir
from tui.files import atomic_write_text, locked
from tui.tomlfile import (
    BOOL,
    STRING,
    STRING_LISTS,
    STRINGS,
    TABLES,
    Schema,
    Where,
    check_table,
    parse_text,
    read_bytes_and_text,
)

# -- the schema of tenants.toml: every key exohop knows, and what its value must be ------------------

TENANTS_FILE_KEYS: Schema = {
    "tenants": TABLES,
    "groups": STRING_LISTS,     # group name → entries: domains or names, "tag:X", "@other" (tenant_selection)
}

TENANT_KEYS: Schema = {
    "domain": STRING,           # required: the initial domain (validate_domain)
    "name": STRING,
    "tenant_id": STRING,
    "account": STRING,
    "tags": STRINGS,
    "favorite": BOOL,
}

R = TypeVar("R")

MAX_DOMAIN = 253
MAX_LABEL = 63
_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")


class InvalidDomain(ValueError):
    """``message`` says what is wrong with the domain."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class DirectoryError(ValueError):
    """A tenant cannot be added (already there) or a CSV cannot be imported; ``message`` says why."""

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


def idn_warning(raw: str, domain: str) -> str | None:
    """A warning for a domain typed in Unicode, showing both forms; None for a plain ASCII domain.

    ``соntoso.onmicrosoft.com`` with a Cyrillic ``о`` is accepted (it is a valid IDN, and some
    customers do have one) but it is a different tenant from ``contoso``: a look-alike pasted from a
    phishing mail must not slip in silently as ``xn--ntoso-…``.
    """
    text = raw.strip().rstrip(".")
    if text.isascii():
        return None
    odd = sorted({c for c in text if not c.isascii()})
    named = ", ".join(f"{c} (U+{ord(c):04X} {unicodedata.name(c, 'unnamed')})" for c in odd[:6])
    more = f" and {len(odd) - 6} more" if len(odd) > 6 else ""
    return (f"{text} is an internationalised domain, stored as {domain}; it contains {named}{more}. "
            "A look-alike of an ASCII domain is a different tenant: check this is the one you mean.")


class Tenant(NamedTuple):
    """A customer tenant. A NamedTuple, not a dataclass: a 50,000-tenant directory is built in a
    third of the time (the load goal is 0.2 s; tests/bench/bench_tenants.py)."""

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

    def row(self) -> list[Any]:
        """The cache's form (tenants_store.Row)."""
        return [self.domain, self.name, self.tenant_id, self.account, list(self.tags), self.favorite]

    @classmethod
    def from_toml(cls, data: Mapping[str, Any], where: Where) -> Tenant:
        """A checked tenant from one ``[[tenants]]`` table (TENANT_KEYS); ConfigError naming file and line."""
        check_table(data, TENANT_KEYS, where)
        if "domain" not in data:
            raise where.error('needs a domain = "….onmicrosoft.com"')
        try:
            domain = validate_domain(data["domain"])
        except InvalidDomain as exc:
            raise where.error(exc.message, "domain") from None
        return cls(domain=domain, name=data.get("name") or default_name(domain),
                   tenant_id=data.get("tenant_id") or None, account=data.get("account") or None,
                   tags=tuple(data.get("tags", ())), favorite=data.get("favorite", False))


@dataclass(slots=True)
class ImportReport:
    added: list[Tenant] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)    # (line, domain) already present
    rejected: list[tuple[int, str]] = field(default_factory=list)   # (line, reason)
    warnings: list[tuple[int, str]] = field(default_factory=list)   # (line, warning): accepted look-alikes

    def lines(self) -> list[str]:
        out = [f"added {len(self.added)} tenant(s)"]
        out += [f"  + {t.domain} ({t.display_name})" for t in self.added]
        if self.warnings:
            out.append(f"warning: {len(self.warnings)} internationalised domain(s)")
            out += [f"  ? line {n}: {why}" for n, why in self.warnings]
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
    """The tenants, in file order, and the file's ``[groups]``; ``path`` None means in memory only (the demo).

    Files change only through ``TenantDirectory.update(path, change)``, which re-reads the file
    under its lock, lets ``change`` add, remove or change tenants on that fresh copy and writes the
    difference (tenants_store), so parallel ``exohop tenants add`` keep every entry. The groups are
    read only: users edit them by hand, and an update writes the tenants' tables alone.
    """

    def __init__(self, tenants: Iterable[Tenant] = (), path: Path | None = None,
                 groups: Mapping[str, Iterable[str]] | None = None) -> None:
        self._tenants: list[Tenant] = []
        self._index: dict[str, Tenant] | None = {}
        self._groups: dict[str, tuple[str, ...]] = {name: tuple(entries) for name, entries in (groups or {}).items()}
        self.path = path
        for t in tenants:
            self.add(t)

    @classmethod
    def _of(cls, tenants: list[Tenant], path: Path | None, groups: Mapping[str, Iterable[str]]) -> TenantDirectory:
        """From tenants already checked and unique (a file just parsed, or the cache)."""
        directory = cls(path=path, groups=groups)
        directory._tenants = tenants
        directory._index = None   # built on the first lookup: a load that only lists need not pay it
        return directory

    def __iter__(self) -> Iterator[Tenant]:
        return iter(self._tenants)

    def __len__(self) -> int:
        return len(self._tenants)

    def __contains__(self, domain: object) -> bool:
        return isinstance(domain, str) and self.get(domain) is not None

    @property
    def tenants(self) -> list[Tenant]:
        return list(self._tenants)

    @property
    def groups(self) -> dict[str, list[str]]:
        """The ``[groups]`` table: group name → its entries, both in file order (a copy)."""
        return {name: list(entries) for name, entries in self._groups.items()}

    @property
    def _by_domain(self) -> dict[str, Tenant]:
        # One dict lookup per duplicate check: the old linear scan made a 50,000-row load quadratic.
        if self._index is None:
            self._index = {t.domain: t for t in self._tenants}
        return self._index

    def get(self, domain: str) -> Tenant | None:
        return self._by_domain.get(domain.strip().lower().rstrip("."))

    def add(self, tenant: Tenant) -> Tenant:
        """Add a tenant (domain validated); DirectoryError if the domain is already there."""
        domain = validate_domain(tenant.domain)
        if domain != tenant.domain:
            tenant = tenant._replace(domain=domain)
        return self._append(tenant)

    def _append(self, tenant: Tenant) -> Tenant:
        index = self._by_domain
        if tenant.domain in index:
            raise DirectoryError(f"{tenant.domain} is already in the tenant directory")
        index[tenant.domain] = tenant
        self._tenants.append(tenant)
        return tenant

    def remove(self, domain: str) -> Tenant:
        found = self.get(domain)
        if found is None:
            raise TenantLookupError(f"{domain} is not in the tenant directory (see `exohop tenants list`)")
        self._tenants.remove(found)
        del self._by_domain[found.domain]
        return found

    def set_tenant_ids(self, ids: Mapping[str, str]) -> int:
        """Give each tenant that has no tenant id its id from ``ids`` (domain → id), in place; how many."""
        changed = 0
        for i, t in enumerate(self._tenants):
            tenant_id = ids.get(t.domain)
            if tenant_id and not t.tenant_id:
                self._tenants[i] = t._replace(tenant_id=tenant_id)
                changed += 1
        if changed:
            self._index = None   # rebuilt on the next lookup
        return changed

    def find(self, query: str) -> Tenant:
        """By domain, display name, or a unique prefix of either (case-insensitive)."""
        q = query.strip().lower()
        if not q:
            raise TenantLookupError("no tenant given")
        by_domain = self.get(q)
        exact = [t for t in self._tenants if t is by_domain or t.display_name.lower() == q]
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
        """Read ``tenants.toml`` (missing = empty); ConfigError naming file, line and key when wrong."""
        target = path or config_dir() / TENANTS_FILE
        return cls._read(target)[1]

    @classmethod
    def _read(cls, target: Path) -> tuple[str, TenantDirectory]:
        found = read_bytes_and_text(target)
        if found is None:
            return "", cls(path=target)
        raw, text = found
        file_digest = store.digest(raw) if len(raw) >= store.CACHE_MIN_BYTES else None
        # Building 50,000 entries would set off several full collections of a heap that only grows
        # here; they cost as much as the parse itself.
        collecting = gc.isenabled()
        gc.disable()
        try:
            cached = store.read_cache(target, file_digest) if file_digest else None
            if cached is not None:
                rows, groups = cached
                for r in rows:
                    r[4] = tuple(r[4])
                return text, cls._of(list(map(Tenant._make, rows)), target, groups)
            directory = cls._parse(text, target)
        finally:
            if collecting:
                gc.enable()
        if file_digest:
            store.write_cache(target, file_digest, [t.row() for t in directory._tenants], directory._groups)
        return text, directory

    @classmethod
    def _parse(cls, text: str, target: Path) -> TenantDirectory:
        data = parse_text(text, target)
        check_table(data, TENANTS_FILE_KEYS, Where(target, text))
        tenants: list[Tenant] = []
        seen: set[str] = set()
        for i, entry in enumerate(data.get("tenants", [])):
            where = Where(target, text, "tenants", i)
            tenant = Tenant.from_toml(entry, where)
            if tenant.domain in seen:
                raise where.error(f"{tenant.domain} appears twice; keep one", "domain")
            seen.add(tenant.domain)
            tenants.append(tenant)
        return cls._of(tenants, target, data.get("groups", {}))

    @classmethod
    def update(cls, path: Path | None, change: Callable[[TenantDirectory], R]) -> tuple[R, TenantDirectory]:
        """Apply ``change`` to the directory as it is on disk now, under the file's lock; write the difference.

        ``change`` adds, removes and changes tenants on the fresh directory and returns anything (the
        added tenant, an ImportReport); if it raises, nothing is written. A changed tenant is edited
        where it is: only its changed keys are written. Returns ``change``'s result and the directory
        as written.
        """
        target = path or config_dir() / TENANTS_FILE
        with locked(target):
            text, directory = cls._read(target)
            before = list(directory._tenants)
            result = change(directory)
            new_text = _edited(text, before, directory._tenants, target)
            if new_text is not None:
                atomic_write_text(target, new_text)
                raw = new_text.encode("utf-8")
                if len(raw) >= store.CACHE_MIN_BYTES:   # the edit leaves [groups] as it was read
                    store.write_cache(target, store.digest(raw), [t.row() for t in directory._tenants],
                                      directory._groups)
        return result, directory

    # -- CSV import ----------------------------------------------------------------------------------

    def import_csv_text(self, text: str, account: str | None = None) -> ImportReport:
        """Add the customers of a Partner Center style export; see ImportReport for the outcome.

        The header row must name a company column and a domain column (common spellings accepted);
        other columns are ignored. Raises DirectoryError when the header has no domain column.
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
            raise DirectoryError("the file is empty; expected a header row with a company name and a domain column")
        domain_col = _pick(header, DOMAIN_HEADERS)
        name_col = _pick(header, NAME_HEADERS)
        id_col = _pick(header, TENANT_ID_HEADERS)
        if domain_col is None:
            shown = ", ".join(h.strip() for h in header if h.strip()) or "(none)"
            raise DirectoryError(f"no domain column in the header (found: {shown}); expected one called "
                             "Domain, Primary domain, Default domain or Domain name")
        report = ImportReport()
        index = self._by_domain
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
            if domain in index:
                report.skipped.append((line, domain))
                continue
            warning = idn_warning(raw, domain)
            if warning:
                report.warnings.append((line, warning))
            name = row[name_col].strip() if name_col is not None and name_col < len(row) else ""
            tenant_id = row[id_col].strip() if id_col is not None and id_col < len(row) else ""
            report.added.append(self._append(Tenant(domain=domain, name=name or default_name(domain),
                                                    tenant_id=_guid_or_none(tenant_id), account=account)))
        return report

    def import_csv(self, path: Path, account: str | None = None) -> ImportReport:
        return self.import_csv_text(read_csv_text(path), account)


def read_csv_text(path: Path) -> str:
    """A CSV export's text (UTF-8 with or without BOM, else Excel's cp1252); DirectoryError if unreadable."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DirectoryError(f"{path}: cannot read it ({exc.strerror})") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")  # Excel's "CSV" on Windows


def _edited(text: str, before: list[Tenant], after: list[Tenant], path: Path) -> str | None:
    """The file's new text for the change ``before`` → ``after``, or None when nothing changed."""
    after_by = {t.domain: t for t in after}
    before_by = {t.domain: t for t in before}
    removed = [i for i, t in enumerate(before) if t.domain not in after_by]
    added = [t for t in after if t.domain not in before_by]
    changed = {i: _changed_keys(t, after_by[t.domain]) for i, t in enumerate(before)
               if t.domain in after_by and after_by[t.domain] != t}
    if not removed and not added and not changed:
        return None
    count = len(before)
    new_text: str | None = text
    if changed:
        new_text = store.add_keys(text, changed, count, lambda i, e: _domain_is(e, before[i].domain))
    for i in reversed(removed):
        if new_text is None:
            break
        wanted = before[i].domain
        new_text = store.remove_entry(new_text, i, count, lambda e, d=wanted: _domain_is(e, d))
        count -= 1
    if new_text is not None:
        new_text = store.append_entries(new_text, (t.to_toml() for t in added))
    if new_text is None:
        new_text = _edited_with_tomlkit(text, removed, added, changed)
    if len(new_text) < store.CACHE_MIN_BYTES:
        TenantDirectory._parse(new_text, path)   # cheap at this size: never write what would not load
    return new_text


def _changed_keys(old: Tenant, new: Tenant) -> dict[str, Any]:
    """The keys of ``new``'s table that differ from ``old``'s (None: a key ``new`` drops)."""
    was, now = old.to_toml(), new.to_toml()
    return {k: now.get(k) for k in {**was, **now} if was.get(k) != now.get(k)}


def _domain_is(entry: Any, domain: str) -> bool:
    try:
        return isinstance(entry, Mapping) and validate_domain(str(entry.get("domain", ""))) == domain
    except InvalidDomain:
        return False


def _edited_with_tomlkit(text: str, removed: list[int], added: list[Tenant],
                         changed: Mapping[int, Mapping[str, Any]]) -> str:
    """The same edit through tomlkit, for files the text edit cannot handle (``tenants = [...]``)."""
    import tomlkit  # here, not at the top: rarely needed, and every start imports this module

    doc = tomlkit.parse(text)
    if "tenants" not in doc:
        doc["tenants"] = tomlkit.aot()
    entries: Any = doc["tenants"]
    for i, keys in changed.items():
        for key, value in keys.items():
            if value is not None:
                entries[i][key] = value
            elif key in entries[i]:
                del entries[i][key]
    for i in reversed(removed):
        del entries[i]
    inline = not isinstance(entries, tomlkit.items.AoT)
    for t in added:
        table: Any = tomlkit.inline_table() if inline else tomlkit.table()
        table.update(t.to_toml())
        entries.append(table)
    return tomlkit.dumps(doc)


def _guid_or_none(text: str) -> str | None:
    try:
        return str(uuid.UUID(text)) if text else None
    except ValueError:
        return None
