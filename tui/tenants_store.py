"""``tenants.toml`` on disk when it is large: text-level edits and a cache of the parsed directory.

A distributor's export holds 50,000 tenants (a 7.8 MB file). Measured on the 2-core development
machine (``python tests/bench/bench_tenants.py``): ``tomllib.loads`` of that file takes about 3.8 s,
``tomlkit.parse`` about 35 s and ``tomli_w.dumps`` about 1.8 s, against goals of 0.2 s to load and
2 s to import. Hence:

- edits are made on the text: an added tenant is a new ``[[tenants]]`` table appended at the end
  (valid TOML wherever the file's other tables are, and everything already in the file stays byte
  for byte); a removed tenant's table is cut out between its header and the next one; a key a
  tenant gains (its ``tenant_id`` once a sign-in resolved it) goes on a line of its own under the
  table's ``domain`` line. When the file is not in the shape that makes this safe (``tenants =
  [...]`` inline, a header count that does not match the parsed entries, a key already there), the
  caller edits it with tomlkit instead;
- a load of a large file is served from a cache of the checked entries and the ``[groups]`` table
  (JSON, in the cache folder),
  keyed by the SHA-256 of the file's bytes, so any change to the file, by exohop or an editor,
  misses the cache and is parsed and checked again. Small files are not cached: tomllib is quick.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from tui.config import cache_dir
from tui.files import atomic_write_text

log = logging.getLogger(__name__)

CACHE_VERSION = 2   # 2: the head line carries the file's [groups] table too
CACHE_MIN_BYTES = 64 * 1024   # below this tomllib parses in a few milliseconds: no cache file

_TENANT_HEADER = re.compile(r"(?m)^[ \t]*\[\[[ \t]*tenants[ \t]*\]\][ \t]*(?:#[^\n]*)?$")
_INLINE_TENANTS = re.compile(r"(?m)^[ \t]*[\"']?tenants[\"']?[ \t]*=")
_ANY_HEADER = re.compile(r"(?m)^[ \t]*\[")
_DOMAIN_LINE = re.compile(r"(?m)^([ \t]*)domain[ \t]*=.*$")

Row = list[Any]   # [domain, name, tenant_id, account, tags, favorite]
Groups = dict[str, list[str]]   # the [groups] table: group name → entries, in file order


def toml_string(value: str) -> str:
    """A TOML basic string. JSON's escapes (``\\"``, ``\\\\``, ``\\n``, ``\\u001b``…) are TOML's too;
    TOML also requires DEL escaped, which JSON leaves raw."""
    if value.isprintable() and '"' not in value and "\\" not in value:
        return f'"{value}"'   # nothing to escape: the common case, 150,000 times in a large import
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def _value(value: Any) -> str:
    """A TOML value: strings, booleans and lists of strings only (TENANT_KEYS)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return toml_string(value)
    return "[" + ", ".join(toml_string(v) for v in value) + "]"


def render_entry(entry: Mapping[str, Any]) -> str:
    """One ``[[tenants]]`` table."""
    return "\n".join(["[[tenants]]", *(f"{key} = {_value(value)}" for key, value in entry.items())]) + "\n"


def append_entries(text: str, entries: Iterable[Mapping[str, Any]]) -> str | None:
    """``text`` with the entries appended as new tables; None when the file keeps its tenants inline."""
    if _INLINE_TENANTS.search(text):
        return None
    blocks = [render_entry(e) for e in entries]
    if not blocks:
        return text
    lead = "" if not text else ("\n" if text.endswith("\n") else "\n\n")
    return text + lead + "\n".join(blocks)


def _is_comment_or_blank(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


def remove_entry(text: str, index: int, count: int, domain_of: Any) -> str | None:
    """``text`` without the ``index``-th of ``count`` ``[[tenants]]`` tables, or None if unsafe.

    The cut runs from the comment lines directly above the header to the table's last value; the
    comments and blank lines before the next header stay with the next table. ``domain_of(block)``
    must return the domain of the parsed cut (or None): the cut is only made when it is exactly
    the one tenant expected, so a header-like line inside a multi-line string cannot mislead it.
    """
    if _INLINE_TENANTS.search(text):
        return None
    headers = list(_TENANT_HEADER.finditer(text))
    if len(headers) != count or not 0 <= index < count:
        return None
    start = headers[index].start()
    following = _ANY_HEADER.search(text, headers[index].end())
    end = following.start() if following else len(text)
    body = text[start:end].splitlines(keepends=True)
    while len(body) > 1 and _is_comment_or_blank(body[-1]):
        body.pop()
    end = start + sum(map(len, body))
    before = text[:start].splitlines(keepends=True)
    while before and before[-1].lstrip().startswith("#"):
        start -= len(before.pop())
    block = text[start:end]
    try:
        parsed = tomllib.loads(block)
    except tomllib.TOMLDecodeError:
        return None
    entries = parsed.get("tenants")
    if list(parsed) != ["tenants"] or not isinstance(entries, list) or len(entries) != 1 \
            or not domain_of(entries[0]):
        return None
    return text[:start] + text[end:]


def add_keys(text: str, edits: Mapping[int, Mapping[str, Any]], count: int,
             is_entry: Callable[[int, Any], bool]) -> str | None:
    """``text`` with keys added to some of its ``count`` ``[[tenants]]`` tables, or None if unsafe.

    ``edits`` maps a table's index to the keys it gains; each goes on a line of its own under the
    table's ``domain`` line, indented as that line is. ``is_entry(index, table)`` must say whether the
    parsed table is the tenant expected there; the edited table must parse to exactly the old one
    plus the keys. A key the table already has (``tenant_id = ""``), or one to drop (value None), is
    left to tomlkit.
    """
    if _INLINE_TENANTS.search(text):
        return None
    headers = list(_TENANT_HEADER.finditer(text))
    if len(headers) != count:
        return None
    inserts: list[tuple[int, str]] = []
    for index, keys in edits.items():
        if not 0 <= index < count:
            return None
        start = headers[index].end()
        following = _ANY_HEADER.search(text, start)
        block = text[start:following.start() if following else len(text)]
        line = _DOMAIN_LINE.search(block)
        try:
            table = tomllib.loads(block)
            if line is None or not is_entry(index, table) or any(k in table or v is None for k, v in keys.items()):
                return None
            added = "".join(f"\n{line.group(1)}{k} = {_value(v)}" for k, v in keys.items())
            if tomllib.loads(block[:line.end()] + added + block[line.end():]) != {**table, **keys}:
                return None       # the domain line was not what it looked like (inside a multi-line string)
        except tomllib.TOMLDecodeError:
            return None
        inserts.append((start + line.end(), added))
    pieces, done = [], 0
    for at, added in sorted(inserts):
        pieces += [text[done:at], added]
        done = at
    return "".join(pieces) + text[done:]


# -- the parsed cache ---------------------------------------------------------------------------------


def digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def _cache_path(path: Path) -> Path:
    key = hashlib.sha256(str(path.resolve()).encode("utf-8")).hexdigest()[:24]
    return cache_dir() / "tenants" / f"{key}.json"


def read_cache(path: Path, file_digest: str) -> tuple[list[Row], Groups] | None:
    """The cached rows and groups of ``path`` when they were made from exactly these bytes; else None.

    The groups ride in the head line: a few entries, read before the rows without a second file."""
    try:
        with _cache_path(path).open("r", encoding="utf-8") as fh:
            head = json.loads(fh.readline())
            if not isinstance(head, dict) or head.get("v") != CACHE_VERSION or head.get("sha256") != file_digest:
                return None
            groups = head.get("groups")
            rows = json.loads(fh.read())
    except FileNotFoundError:
        return None
    except (OSError, ValueError, RecursionError) as exc:
        # A damaged cache is only a slower load: the file itself is parsed and checked instead.
        log.debug("ignoring the tenant cache of %s: %s", path, exc)
        return None
    if not isinstance(groups, dict) or not all(isinstance(entries, list) and all(isinstance(e, str) for e in entries)
                                               for entries in groups.values()):
        return None
    if not isinstance(rows, list) or not all(isinstance(r, list) and len(r) == 6 for r in rows):
        return None
    return rows, groups


def write_cache(path: Path, file_digest: str, rows: Sequence[Sequence[Any]], groups: Mapping[str, Sequence[str]]) -> None:
    head = json.dumps({"v": CACHE_VERSION, "sha256": file_digest,
                       "groups": {name: list(entries) for name, entries in groups.items()}}, ensure_ascii=False)
    try:
        atomic_write_text(_cache_path(path), head + "\n" + json.dumps(rows, ensure_ascii=False,
                                                                      separators=(",", ":")))
    except OSError as exc:
        log.debug("could not write the tenant cache of %s: %s", path, exc.strerror)
