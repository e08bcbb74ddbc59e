"""Tenant ids (GUIDs) written into tenants.toml once they are known (a sign-in resolves them from each
domain's OpenID configuration), so URLs and anchors can use the id and no later run asks again."""

from __future__ import annotations

import copy
import re
import tomllib
from typing import Any

_TENANT_TABLE = re.compile(r"^[ \t]*\[\[[ \t]*tenants[ \t]*\]\][ \t]*(?:#.*)?$", re.M)
_NEXT_TABLE = re.compile(r"^[ \t]*\[", re.M)
_DOMAIN_LINE = re.compile(r"^([ \t]*)domain[ \t]*=.*$", re.M)


def store_tenant_ids(ids: dict[str, str]) -> int:
    """Write each id into its tenants.toml entry that has none, and change nothing else: under the file's
    lock (the one ``TenantDirectory.update`` takes), on the file as it is now, written atomically; the
    number of entries changed.

    ``TenantDirectory.update`` cannot change an entry in place (it writes a changed tenant again, at the
    end of the file and with every key), so the line ``tenant_id = "…"`` goes in right under the entry's
    ``domain`` line; for a layout that edit cannot handle (inline tables), tomlkit sets the key. Either
    result is written only when it parses to exactly the old file plus those ids."""
    if not ids:
        return 0
    from tui.config import TENANTS_FILE, config_dir
    from tui.files import atomic_write_text, locked
    from tui.tomlfile import read_text

    target = config_dir() / TENANTS_FILE
    with locked(target):
        text = read_text(target)
        if text is None:
            return 0
        try:
            before = tomllib.loads(text)
        except tomllib.TOMLDecodeError:
            return 0        # the next load reports it with its line; nothing to add to a broken file
        wanted = _ids_to_add(before, ids)
        if not wanted:
            return 0
        expected = copy.deepcopy(before)
        for entry in expected["tenants"]:
            domain = _domain_of(entry)
            if domain in wanted:
                entry["tenant_id"] = wanted[domain]
        for edit in (_ids_by_text, _ids_by_tomlkit):
            new_text = edit(text, wanted)
            try:
                if new_text is not None and tomllib.loads(new_text) == expected:
                    atomic_write_text(target, new_text)
                    return len(wanted)
            except tomllib.TOMLDecodeError:
                continue
    return 0


def _domain_of(entry: object) -> str | None:
    from tui.tenants import InvalidDomain, validate_domain

    if not isinstance(entry, dict) or not isinstance(entry.get("domain"), str):
        return None
    try:
        return validate_domain(entry["domain"])
    except InvalidDomain:
        return None


def _ids_to_add(doc: dict[str, Any], ids: dict[str, str]) -> dict[str, str]:
    entries = doc.get("tenants")
    if not isinstance(entries, list):
        return {}
    wanted: dict[str, str] = {}
    for entry in entries:
        domain = _domain_of(entry)
        if domain is not None and domain in ids and not entry.get("tenant_id"):
            wanted[domain] = ids[domain]
    return wanted


def _ids_by_text(text: str, wanted: dict[str, str]) -> str | None:
    """A ``tenant_id`` line under the ``domain`` line of each ``[[tenants]]`` table that needs one."""
    inserts: list[tuple[int, str]] = []
    for header in _TENANT_TABLE.finditer(text):
        following = _NEXT_TABLE.search(text, header.end())
        block = text[header.end():following.start() if following else len(text)]
        try:
            parsed = tomllib.loads(block)
        except tomllib.TOMLDecodeError:
            return None
        domain = _domain_of(parsed)
        if domain is None or domain not in wanted:
            continue
        if "tenant_id" in parsed:
            return None                 # an empty tenant_id = "": tomlkit replaces it
        line = _DOMAIN_LINE.search(block)
        if line is None:
            return None
        inserts.append((header.end() + line.end(), f'\n{line.group(1)}tenant_id = "{wanted[domain]}"'))
    for at, line_text in reversed(inserts):
        text = text[:at] + line_text + text[at:]
    return text


def _ids_by_tomlkit(text: str, wanted: dict[str, str]) -> str | None:
    import tomlkit

    doc = tomlkit.parse(text)
    entries: Any = doc.get("tenants")
    if entries is None:
        return None
    for entry in entries:
        domain = _domain_of(entry.unwrap() if hasattr(entry, "unwrap") else entry)
        if domain in wanted:
            entry["tenant_id"] = wanted[domain]
    return tomlkit.dumps(doc)


def remember_tenant_id(tenant: Any, session: Any) -> None:
    """After a session opened: store the tenant id it resolved when tenants.toml has none for it.

    Best effort: a busy or unwritable tenants.toml only means the next run resolves it again (logged)."""
    import logging

    from tui.files import FileBusy

    resolved = getattr(session, "tenant_id", None)
    if not resolved or getattr(tenant, "tenant_id", None):
        return
    try:
        store_tenant_ids({tenant.domain: str(resolved)})
    except (OSError, FileBusy) as exc:
        logging.getLogger(__name__).warning("could not store the tenant id of %s: %s", tenant.domain,
                                            type(exc).__name__)
    except Exception as exc:   # a layout tomlkit cannot edit: the id is resolved again next time
        logging.getLogger(__name__).warning("could not store the tenant id of %s", tenant.domain, exc_info=exc)
