"""Write the console's key table (from the bindings) into README.md between its markers."""

from __future__ import annotations

import re
from pathlib import Path

from tui.console.app import readme_key_table

README = Path(__file__).resolve().parent.parent / "README.md"


def main() -> None:
    text = README.read_text(encoding="utf-8")
    table = readme_key_table()
    new, count = re.subn(r"(<!-- keys:start -->\n).*?(<!-- keys:end -->)",
                         lambda m: m.group(1) + table + m.group(2), text, flags=re.S)
    if count != 1:
        raise SystemExit("README.md has no <!-- keys:start --> … <!-- keys:end --> section")
    README.write_text(new, encoding="utf-8")


if __name__ == "__main__":
    main()
