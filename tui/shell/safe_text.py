"""Values from a tenant shown as text: control characters made visible, never interpreted.

A DisplayName, a rule name or a message subject is chosen by a customer's users or by any outside
sender. Written raw to a terminal, ``\\x1b[2J`` clears it, ``\\x1b]0;…\\x07`` sets its title, C1 codes
(U+009B is a one-character CSI) do the same, and the bidi overrides reorder what the engineer reads
(``\\u202egnp.exe`` looks like ``exe.png``). Every face (console, result viewer, sidebar, CLI
table/list/csv, messages) passes such values through ``visible`` or ``visible_lines`` first.

The scheme (README, "Hostile data"):

- C0 U+0000–U+001F → the Control Pictures U+2400–U+241F (ESC → ``␛``, BEL → ``␇``, TAB → ``␉``);
- DEL U+007F → ``␡`` (U+2421);
- C1 U+0080–U+009F and the bidi embeddings, overrides and isolates U+202A–U+202E, U+2066–U+2069 →
  a ``\\u009b``-style escape (they have no pictures, and an escape names the code point exactly).

``visible_lines`` keeps the line feed and the tab where text is meant to span lines (messages,
list values), and reads ``\\r\\n`` as a line feed; a lone ``\\r`` (which would overwrite the line) is
still made visible.

Both are on the hot path (every cell of a 50,000-row table): ``str.isprintable`` answers for the
common, clean value in C, and only a value that fails it is translated. Every character mapped
here is non-printable for Python, so a printable string never needs the table.
"""

from __future__ import annotations

_C0 = {c: 0x2400 + c for c in range(0x20)}
_ESCAPED = [*range(0x80, 0xA0), *range(0x202A, 0x202F), *range(0x2066, 0x206A)]

# str.translate tables, built once.
VISIBLE_TABLE: dict[int, str | int] = {**_C0, 0x7F: 0x2421, **{c: f"\\u{c:04x}" for c in _ESCAPED}}
LINES_TABLE: dict[int, str | int] = {k: v for k, v in VISIBLE_TABLE.items() if k not in (0x09, 0x0A)}

# The characters a JSON text may still hold raw after json.dumps (which escapes only C0, '"' and
# '\\'): as \\u escapes they stay valid JSON that decodes to the same string.
JSON_TABLE: dict[int, str | int] = {c: f"\\u{c:04x}" for c in (0x7F, *_ESCAPED)}

UNSAFE = frozenset(VISIBLE_TABLE)


def visible(text: str) -> str:
    """``text`` for one line of a terminal: every control character (line feeds and tabs too) visible."""
    if text.isprintable():
        return text
    return text.translate(VISIBLE_TABLE)


def visible_lines(text: str) -> str:
    """Like ``visible`` but keeps line feeds and tabs (``\\r\\n`` becomes ``\\n``) for multi-line text."""
    if text.isprintable():
        return text
    if "\r\n" in text:
        text = text.replace("\r\n", "\n")
    return text.translate(LINES_TABLE)


def has_control(text: str) -> bool:
    """True when ``text`` holds a character ``visible`` would change (completion skips such values)."""
    return not text.isprintable() and any(ord(ch) in UNSAFE for ch in text)


def json_safe(text: str) -> str:
    """A JSON document with DEL, C1 and bidi controls escaped as ``\\uXXXX`` (same decoded value)."""
    if text.isascii() and "\x7f" not in text:
        return text
    return text.translate(JSON_TABLE)
