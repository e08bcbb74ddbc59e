"""safe_text: tenant values are shown as text, their control characters visible (README "Hostile data")."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui.shell.formatting import csv_lines, render_rich, render_text, to_json
from tui.shell.memory import CompletionMemory
from tui.shell.records import Record
from tui.shell.safe_text import has_control, json_safe, visible, visible_lines
from tui.sim.data import HOSTILE_TEXT

# Every character the scheme must never let through raw.
CONTROLS = frozenset([*map(chr, range(0x20)), "\x7f", *map(chr, range(0x80, 0xA0)),
                      *map(chr, range(0x202A, 0x202F)), *map(chr, range(0x2066, 0x206A))])


@pytest.mark.parametrize(("raw", "shown"), [
    ("plain", "plain"),
    ("", ""),
    ("\x1b[2J", "␛[2J"),
    ("\x1b]0;pwned\x07", "␛]0;pwned␇"),
    ("\x00\x08\x0d", "␀␈␍"),
    ("a\tb\nc", "a␉b␊c"),
    ("\x7f", "␡"),
    ("\x9b31m", "\\u009b31m"),
    ("\u202egnp.exe", "\\u202egnp.exe"),
    ("\u2066x\u2069", "\\u2066x\\u2069"),
    ("[bold red]markup[/]", "[bold red]markup[/]"),     # markup is not ours to change: shown as text
    ("Zoë\u00a0Ölund 日本", "Zoë\u00a0Ölund 日本"),       # non-ASCII, non-printable-for-Python NBSP: kept
])
def test_visible_maps_each_control_to_its_picture_or_escape(raw: str, shown: str) -> None:
    assert visible(raw) == shown


@pytest.mark.parametrize(("raw", "shown"), [
    ("line one\nline two", "line one\nline two"),
    ("a\tb", "a\tb"),
    ("crlf\r\nnext", "crlf\nnext"),
    ("over\rwrite", "over␍write"),
    ("\x1b[2J\n\u202e", "␛[2J\n\\u202e"),
])
def test_visible_lines_keeps_line_breaks_and_tabs(raw: str, shown: str) -> None:
    assert visible_lines(raw) == shown


@given(st.text())
def test_visible_never_lets_a_control_through(text: str) -> None:
    assert not CONTROLS & set(visible(text))
    assert not (CONTROLS - {"\n", "\t"}) & set(visible_lines(text))


@given(st.text())
def test_json_safe_keeps_the_value(text: str) -> None:
    encoded = json_safe(json.dumps(text, ensure_ascii=False))
    assert json.loads(encoded) == text
    assert not CONTROLS & set(encoded)


def test_has_control() -> None:
    assert has_control(HOSTILE_TEXT) and has_control("a\nb") and has_control("\u2067")
    assert not has_control("[bold]x[/]") and not has_control("Zoë\u00a0Ölund")


HOSTILE = Record({"Name": HOSTILE_TEXT, "Alias": "hostile.display", "Note": "x\x9by\r\nz"},
                 type_names=["Test.Hostile"])


@pytest.mark.parametrize("view", ["table", "list"])
def test_text_tables_and_lists_show_the_visible_form(view: str) -> None:
    from tui.shell.formatting import FormatHint

    out = render_text([HOSTILE], FormatHint(view=view))  # type: ignore[arg-type]
    assert "␛[2J␛]0;pwned␇" in out and "\\u202egnp.exe" in out and "[bold red]markup[/]" in out
    assert not (CONTROLS - {"\n"}) & set(out)


def test_rich_tables_show_markup_literally_and_no_link() -> None:
    from rich.console import Console

    console = Console(force_terminal=True, color_system="truecolor", width=200)   # markup on, as the app's
    for view in ("table", "list"):
        from tui.shell.formatting import FormatHint

        segments = list(console.render(render_rich([HOSTILE], FormatHint(view=view))))  # type: ignore[arg-type]
        text = "".join(s.text for s in segments)
        assert "[bold red]markup[/]" in text and "[link=https://evil.example]click[/link]" in text
        assert not any(s.style is not None and (s.style.link or (s.style.color and s.style.color.name == "red"))
                       for s in segments)
        assert not (CONTROLS - {"\n"}) & set(text)


def test_csv_is_visible_and_json_is_lossless() -> None:
    csv = "\n".join(csv_lines([HOSTILE]))
    assert "␛[2J" in csv and "\\u202e" in csv and "\\u009b" in csv
    assert not (CONTROLS - {"\n"}) & set(csv)
    text = to_json([HOSTILE])
    assert json.loads(text)["Name"] == HOSTILE_TEXT and json.loads(text)["Note"] == "x\x9by\r\nz"
    assert not CONTROLS & set(text.replace("\n", ""))


def test_completion_never_offers_an_identity_with_control_characters() -> None:
    memory = CompletionMemory()
    memory.saw_result("Get-Mailbox", HOSTILE, [HOSTILE, Record({"Name": "[x] fine", "Alias": "ok"})], None)
    identities = memory.data().identities
    assert HOSTILE_TEXT not in identities and "hostile.display" in identities and "[x] fine" in identities
