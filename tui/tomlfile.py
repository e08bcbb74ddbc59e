"""Reading exohop's TOML files and checking them against their schema tables.

``config.toml`` and ``tenants.toml`` each declare their known keys in one table at the top of their
module (``ACCOUNT_KEYS``, ``TENANT_KEYS``, …); this module holds the machinery: value kinds, the
check that names the file, the line and the key (with a "did you mean"), and the line finder.

Nothing falls back silently: ``default = "false"`` is a string, not a boolean, and ``endpiont`` is
not ``endpoint``; both are errors, because a guess here picks the wrong partner account or sends
credentials to the wrong cloud.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class ConfigError(Exception):
    """A configuration file or value is wrong; ``message`` names the file (and line) and the fix."""

    def __init__(self, message: str, path: Path | None = None, line: int | None = None,
                 key: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line
        self.key = key


@dataclass(frozen=True, slots=True)
class Kind:
    """What a key's value must be: ``name`` is how messages say it, ``test`` checks a parsed value."""

    name: str
    test: Callable[[Any], bool]


def _is_str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


STRING = Kind("a string in quotes", lambda v: isinstance(v, str))
BOOL = Kind("true or false (without quotes)", lambda v: isinstance(v, bool))
INTEGER = Kind("a whole number", lambda v: isinstance(v, int) and not isinstance(v, bool))
STRINGS = Kind("a list of strings", _is_str_list)
TABLE = Kind("a table ([name])", lambda v: isinstance(v, Mapping))
TABLES = Kind("an array of tables ([[name]])",
              lambda v: isinstance(v, list) and all(isinstance(x, Mapping) for x in v))
STRING_LISTS = Kind("a table of lists of strings (name = [\"…\"])",
                    lambda v: isinstance(v, Mapping) and all(_is_str_list(x) for x in v.values()))


def one_of(*choices: str) -> Kind:
    shown = ", ".join(f'"{c}"' for c in choices)
    return Kind(f"one of {shown}", lambda v: isinstance(v, str) and v in choices)


Schema = Mapping[str, Kind]


@dataclass(frozen=True, slots=True)
class Where:
    """A table in a file: ``table`` None is the top level; ``index`` the position in an array of tables."""

    path: Path
    text: str
    table: str | None = None
    index: int | None = None

    @property
    def label(self) -> str:
        if self.table is None:
            return "top level"
        return f"{self.table}[{self.index}]" if self.index is not None else f"[{self.table}]"

    def error(self, what: str, key: str | None = None) -> ConfigError:
        """A ConfigError naming the file, the line of ``key`` in this table (if found) and the key."""
        line = key_line(self.text, self.table, self.index, key)
        at = f"{self.path}, line {line}" if line else str(self.path)
        return ConfigError(f"{at}: {self.label}: {what}", self.path, line, key)


def check_table(data: Mapping[str, Any], schema: Schema, where: Where) -> None:
    """Every key known and of its kind; ConfigError for the first that is not."""
    for key, value in data.items():
        kind = schema.get(key)
        if kind is None:
            close = difflib.get_close_matches(key, list(schema), n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else f" (known keys: {', '.join(schema)})"
            raise where.error(f"unknown key {key!r}{hint}", key)
        if not kind.test(value):
            raise where.error(f"{key} must be {kind.name}, not {_shown(value)}", key)


def _shown(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"' if len(value) <= 60 else f'"{value[:57]}…"'
    if isinstance(value, bool):
        return "true" if value else "false"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…"


def parse_text(text: str, path: Path) -> dict[str, Any]:
    """``tomllib.loads`` with a malformed file reported by path and line (the file is never touched)."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = _line_of(str(exc))
        raise ConfigError(f"{path}: malformed TOML: {exc}. Fix the file (it was left unchanged).",
                          path, line) from None


def read_text(path: Path) -> str | None:
    """The file's text, or None when it does not exist; ConfigError when unreadable or not UTF-8."""
    found = read_bytes_and_text(path)
    return None if found is None else found[1]


def read_bytes_and_text(path: Path) -> tuple[bytes, str] | None:
    """``read_text`` that also hands back the bytes it decoded (to hash them without encoding again)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read it ({exc.strerror})", path) from None
    try:
        return raw, raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text; fix or remove the file", path) from None


def _line_of(message: str) -> int | None:
    marker = "at line "
    if marker not in message:
        return None
    digits = message.split(marker, 1)[1].split(",", 1)[0].split(")", 1)[0].strip()
    return int(digits) if digits.isdigit() else None


_HEADER = re.compile(r"^\s*\[(\[)?\s*(.+?)\s*\](\])?\s*(?:#.*)?$")


def key_line(text: str, table: str | None, index: int | None, key: str | None) -> int | None:
    """The 1-based line where ``key`` is set in a table (its header line when ``key`` is None).

    A line scan, not a parse: it runs only to word an error, so it need not be fast, and tomllib
    keeps no positions. Quoted and dotted keys are recognised; a key inside an inline table is
    reported at its table's header.
    """
    pattern = re.compile(r"^\s*(?:%s|\"%s\"|'%s')\s*[=.]" % ((re.escape(key or ""),) * 3)) if key else None
    counts: dict[str, int] = {}
    inside = table is None
    header_line: int | None = None
    for number, line in enumerate(text.splitlines(), 1):
        m = _HEADER.match(line)
        if m and "=" not in line.split("]", 1)[0]:
            name = m.group(2).strip().strip("\"'")
            if table is None and name == key:   # a misspelt table name at the top level
                return number
            position: int | None = None
            if m.group(1):
                position = counts[name] = counts.get(name, -1) + 1
            inside = name == table and (index is None or position == index)
            if inside:
                header_line = number
                if pattern is None:
                    return number
            continue
        if inside and pattern is not None and pattern.match(line):
            return number
    return header_line
