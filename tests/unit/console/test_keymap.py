"""tui.console.keys: key names as users write them, the [keys] check, the table's rows and labels."""

from __future__ import annotations

import pytest
from textual.binding import Binding

from tui.config import KeyEntry
from tui.console.keys import check_keymap, key_label, key_rows, markdown_table, normalize_key

AREAS = [
    ("anywhere", [Binding("slash", "focus_filter", "Filter", id="filter", tooltip="filter the list"),
                  Binding("ctrl+t", "focus_tenants", "Tenants", id="tenants", tooltip="the list"),
                  Binding("f1,question_mark", "help", "Keys", id="help", tooltip="help")]),
    ("list", [Binding("up", "cursor(-1)", id="list_up", tooltip="move"),
              Binding("down", "cursor(1)", id="list_down", tooltip="move"),
              Binding("enter", "select", id="list_open", tooltip="open | pick")]),
    ("dialogs", [Binding("escape,n", "answer(False)", id="no", tooltip="cancel")]),
    ("dialogs", [Binding("escape", "cancel", id="login_cancel", tooltip="cancel the password")]),
]


@pytest.mark.parametrize(("written", "name"), [
    ("ctrl+f", "ctrl+f"), ("Ctrl+F", "ctrl+f"), (" F2 ", "f2"), ("/", "slash"), ("?", "question_mark"),
    ("slash", "slash"), ("ctrl+slash", "ctrl+slash"), ("shift+Tab", "shift+tab"), ("a", "a"), ("A", "A"),
    ("escape", "escape"), ("PageDown", "pagedown"), ("alt+ctrl+x", "alt+ctrl+x"),
])
def test_keys_as_users_write_them(written: str, name: str) -> None:
    assert normalize_key(written) == name


@pytest.mark.parametrize("written", ["", "ctrl+", "ctrl+nokey", "hyperspace", "ctl+f", "ctrl+ctrl+f", "f99",
                                     "\t"])
def test_what_is_not_a_key(written: str) -> None:
    assert normalize_key(written) is None


def test_a_good_keymap_is_kept_whole() -> None:
    entries = [KeyEntry("filter", "Ctrl+F", "c.toml, line 2"), KeyEntry("help", ["f2", "?"], "c.toml, line 3"),
               KeyEntry("tenants", "slash", "c.toml, line 4")]   # takes the / that filter gave up
    assert check_keymap(AREAS, entries) == ({"filter": "ctrl+f", "help": "f2,question_mark", "tenants": "slash"}, [])


def test_each_bad_entry_is_named_and_left_out() -> None:
    entries = [KeyEntry("filtr", "ctrl+f", "c.toml, line 2"), KeyEntry("help", "ctrl+f,meh", "c.toml, line 3"),
               KeyEntry("tenants", True, "c.toml, line 4"), KeyEntry("list_up", "down", "c.toml, line 5"),
               KeyEntry("list_open", "space", "c.toml, line 6")]
    keymap, problems = check_keymap(AREAS, entries)
    assert keymap == {"list_open": "space"}
    assert problems == [
        "c.toml, line 2: [keys] filtr = \"ctrl+f\": no key binding has the id 'filtr' (did you mean 'filter'?).",
        "c.toml, line 3: [keys] help = \"ctrl+f,meh\": 'meh' is not a key (write it as Textual names it: "
        "\"ctrl+f\", \"f2\", \"slash\", \"question_mark\", \"escape\") (the default F1, ? stays).",
        "c.toml, line 4: [keys] tenants = True: write the keys as a string, e.g. \"ctrl+f\" (several: "
        "\"ctrl+f,f3\") (the default Ctrl+T stays).",
        "c.toml, line 5: [keys] list_up = \"down\": ↓ is already the key of list_down (list) "
        "(the default ↑ stays).",
    ]


def test_one_key_in_two_dialogs_is_no_clash() -> None:
    # Esc cancels both dialogs (different screens): only a clash inside one widget is refused
    assert check_keymap(AREAS, [KeyEntry("no", "n", "c.toml, line 2")]) == ({"no": "n"}, [])


def test_rows_merge_what_says_the_same_and_note_the_console_line() -> None:
    rows = key_rows(AREAS, {"filter": "ctrl+f"})
    assert [(r.area, r.keys, r.ids) for r in rows] == [
        ("anywhere", ("ctrl+f",), ("filter",)), ("anywhere", ("ctrl+t",), ("tenants",)),
        ("anywhere", ("f1", "question_mark"), ("help",)), ("list", ("up", "down"), ("list_up", "list_down")),
        ("list", ("enter",), ("list_open",)), ("dialogs", ("escape", "n"), ("no",)),
        ("dialogs", ("escape",), ("login_cancel",)),
    ]
    # a character key of the app also works from an empty console line; Ctrl+F is no character
    assert rows[0].does == "filter the list" and rows[2].does == "help (in the console: when the line is empty)"


def test_labels_and_markdown() -> None:
    assert [key_label(k) for k in ("ctrl+t", "f1", "question_mark", "up", "escape", "shift+tab", "pagedown")] \
        == ["Ctrl+T", "F1", "?", "↑", "Esc", "Shift+Tab", "PgDn"]
    assert key_label("slash", markdown=True) == "`/`"
    table = markdown_table(key_rows(AREAS))
    assert table.splitlines()[:3] == [
        "| Where | Key | Does | `[keys]` id |", "| --- | --- | --- | --- |",
        "| anywhere | `/` | filter the list (in the console: when the line is empty) | `filter` |"]
    assert "| list | Enter | open \\| pick | `list_open` |" in table   # a | in a cell does not end it
