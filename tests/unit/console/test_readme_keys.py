"""The README's key table is the one the bindings render (``tui.console.app.readme_key_table``).

The table sits between ``<!-- keys:start -->`` and ``<!-- keys:end -->`` in README.md; after changing a
binding, ``python scripts/update_readme_keys.py`` writes it there.
"""

from __future__ import annotations

from pathlib import Path

from tui.console.app import readme_key_table

README = Path(__file__).resolve().parents[3] / "README.md"
START, END = "<!-- keys:start -->", "<!-- keys:end -->"


def test_the_readme_key_table_is_rendered_from_the_bindings() -> None:
    text = README.read_text(encoding="utf-8")
    assert START in text and END in text, f"README.md needs the key table between {START} and {END}"
    section = text.split(START, 1)[1].split(END, 1)[0]
    assert section.strip() == readme_key_table().strip()
