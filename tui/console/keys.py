"""The key bindings as data: one table read from the widgets' ``BINDINGS``, and the ``[keys]`` remapping.

Every binding has an ``id`` (Textual's keymap key) and a ``tooltip`` that says what it does. F1
(``screens/help.py``), the footer (Textual's, from the same bindings) and the README's key table
(``tui.console.app.readme_key_table()``) all read the classes ``app.key_areas()`` lists, so they
cannot drift apart. Bindings of one area that say the same thing (↑ and ↓: "move in the list") make
one row. This module holds no widget (they all sit above it): the areas are handed in.

``check_keymap`` turns the ``[keys]`` entries of config.toml (``filter = "ctrl+f"``) into the keymap
given to ``App.set_keymap``; an entry with an unknown id, a key Textual has no name for, or a key
another binding of its area already holds is left out, with a message naming it: the default stays.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from textual.binding import Binding, BindingType
from textual.keys import Keys

from tui.config import KeyEntry
from tui.console.textual_compat import key_character, key_name

APP_AREA = "anywhere"
EMPTY_LINE_NOTE = " (in the console: when the line is empty)"


class KeyRow(NamedTuple):
    """One row of the key table: where it works, its keys, what it does and the ids to remap it."""

    area: str
    keys: tuple[str, ...]   # Textual's key names
    does: str
    ids: tuple[str, ...]


Areas = Sequence[tuple[str, Sequence[Binding]]]
"""Each class that declares bindings, as (its area of the UI, its own bindings): ``app.key_areas()``."""


def own_bindings(cls: type) -> list[Binding]:
    """The bindings ``cls`` declares itself (not those it inherits)."""
    declared: list[BindingType] = cls.__dict__.get("BINDINGS", [])
    return [b for b in declared if isinstance(b, Binding)]


def keys_of(binding: Binding, keymap: Mapping[str, str]) -> list[str]:
    """The keys that trigger ``binding`` under ``keymap`` (Textual's key names, ``ctrl+t``)."""
    if binding.id and binding.id in keymap:
        return keymap[binding.id].split(",")
    return (binding.key_display or binding.key).split(",")


def keys_for(areas: Areas, keymap: Mapping[str, str], binding_id: str) -> str:
    """The keys of the binding called ``binding_id``, as people read them (``F1 / ?``)."""
    for _, bindings in areas:
        for binding in bindings:
            if binding.id == binding_id:
                return " / ".join(key_label(k) for k in keys_of(binding, keymap))
    raise KeyError(binding_id)


def character_keys(bindings: Iterable[Binding], keymap: Mapping[str, str]) -> frozenset[str]:
    """The keys among ``bindings`` that type a character (``slash``, ``question_mark``)."""
    return frozenset(k for b in bindings for k in keys_of(b, keymap) if key_character(k) is not None)


# -- the table --------------------------------------------------------------------------------------------

def key_rows(areas: Areas, keymap: Mapping[str, str] | None = None) -> list[KeyRow]:
    """The key table under ``keymap`` (the defaults without one), in the order the areas declare them."""
    keymap = keymap or {}
    rows: list[KeyRow] = []
    for area, bindings in areas:
        for binding in bindings:
            does = binding.tooltip or binding.description
            keys = tuple(keys_of(binding, keymap))
            if area == APP_AREA and any(key_character(k) for k in keys):
                does += EMPTY_LINE_NOTE   # CommandInput hands the app its character keys on an empty line
            ids = (binding.id,) if binding.id else ()
            last = rows[-1] if rows else None
            if last is not None and last.area == area and last.does == does:
                rows[-1] = last._replace(keys=last.keys + keys, ids=last.ids + ids)
            else:
                rows.append(KeyRow(area, keys, does, ids))
    return rows


_NAMES = {"up": "↑", "down": "↓", "left": "←", "right": "→", "escape": "Esc", "enter": "Enter", "tab": "Tab",
          "space": "Space", "pageup": "PgUp", "pagedown": "PgDn", "home": "Home", "end": "End",
          "delete": "Del", "backspace": "Backspace", "insert": "Ins"}


def key_label(key: str, *, markdown: bool = False) -> str:
    """How a key is written for people: ``Ctrl+T``, ``F1``, ``↑``, ``/`` (in backticks for markdown)."""
    *modifiers, base = key.split("+")
    character = key_character(base)
    if not modifiers and character is not None and base not in _NAMES:
        return f"`{character}`" if markdown else character
    name = _NAMES.get(base) or (character or base).upper()   # Ctrl+T, F1
    return "+".join([*(m.capitalize() for m in modifiers), name])


def markdown_table(rows: Sequence[KeyRow]) -> str:
    """The README's key table (``| Where | Key | Does | [keys] id |``)."""
    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    lines = ["| Where | Key | Does | `[keys]` id |", "| --- | --- | --- | --- |"]
    for row in rows:
        keys = ", ".join(key_label(k, markdown=True) for k in row.keys)
        ids = ", ".join(f"`{i}`" for i in row.ids)
        lines.append(f"| {row.area} | {cell(keys)} | {cell(row.does)} | {ids} |")
    return "\n".join(lines) + "\n"


# -- [keys] in config.toml -----------------------------------------------------------------------------------

MODIFIERS = ("ctrl", "shift", "alt", "meta", "super", "hyper")
_NAMED_KEYS = frozenset(k.value for k in Keys if "+" not in k.value and not k.value.startswith("<")) - {"ctrl-at"}


def normalize_key(text: str) -> str | None:
    """Textual's name for a key as a user writes it (``Ctrl+F`` → ``ctrl+f``, ``?`` → ``question_mark``),
    or None when it is not a key."""
    raw = text.strip()
    if len(raw) == 1:
        return key_name(raw) if raw.isprintable() else None
    *modifiers, base = raw.split("+")
    modifiers = [m.strip().lower() for m in modifiers]
    base = base.strip()
    if any(m not in MODIFIERS for m in modifiers) or len(set(modifiers)) != len(modifiers) or not base:
        return None
    if len(base) == 1:
        base = key_name(base.lower() if modifiers else base)
    else:
        base = base.lower()
        if base not in _NAMED_KEYS and key_character(base) is None:
            return None
    return "+".join([*modifiers, base])


def _describe(value: Any) -> str:
    return f'"{value}"' if isinstance(value, str) else repr(value)


def check_keymap(areas: Areas, entries: Sequence[KeyEntry]) -> tuple[dict[str, str], list[str]]:
    """The keymap for ``App.set_keymap`` from the ``[keys]`` entries, and a message per entry left out."""
    by_id = {b.id: b for _, bindings in areas for b in bindings if b.id}
    keymap: dict[str, str] = {}
    where: dict[str, KeyEntry] = {}
    problems: list[str] = []

    def left_out(entry: KeyEntry, why: str) -> None:
        default = by_id.get(entry.id)
        kept = f" (the default {', '.join(key_label(k) for k in keys_of(default, {}))} stays)" if default else ""
        problems.append(f"{entry.at}: [keys] {entry.id} = {_describe(entry.keys)}: {why}{kept}.")

    for entry in entries:
        if entry.id not in by_id:
            close = difflib.get_close_matches(entry.id, list(by_id), n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}?" if close else "F1 lists the ids"
            left_out(entry, f"no key binding has the id {entry.id!r} ({hint})")
            continue
        texts = entry.keys if isinstance(entry.keys, list) else [entry.keys]
        if not texts or not all(isinstance(t, str) for t in texts):
            left_out(entry, 'write the keys as a string, e.g. "ctrl+f" (several: "ctrl+f,f3")')
            continue
        parts = [p for t in texts for p in t.split(",")]
        names = [normalize_key(p) for p in parts]
        bad = next((p for p, n in zip(parts, names, strict=True) if n is None), None)
        if bad is not None:
            left_out(entry, f"{bad.strip()!r} is not a key (write it as Textual names it: \"ctrl+f\", \"f2\", "
                            "\"slash\", \"question_mark\", \"escape\")")
            continue
        keymap[entry.id] = ",".join(n for n in names if n is not None)
        where[entry.id] = entry

    # Two bindings of one widget on the same key: only one could work. Drop the remapping(s) involved
    # and look again (a default brought back may clash with another remapping).
    while True:
        clash = _first_clash(areas, keymap)
        if clash is None:
            return keymap, problems
        key, area, ids = clash
        for binding_id in ids:
            if binding_id in keymap:
                others = ", ".join(i for i in ids if i != binding_id)
                del keymap[binding_id]
                left_out(where[binding_id], f"{key_label(key)} is already the key of {others} ({area})")


def _first_clash(areas: Areas, keymap: Mapping[str, str]) -> tuple[str, str, list[str]] | None:
    for area, bindings in areas:
        holders: dict[str, list[str]] = {}
        for binding in bindings:
            for key in keys_of(binding, keymap):
                holders.setdefault(key, []).append(binding.id or binding.action)
        for key, ids in holders.items():
            if len(set(ids)) > 1 and any(i in keymap for i in ids):
                return key, area, ids
    return None

