"""`python -m tui` is `exohop`."""

from tui.cli import main

raise SystemExit(main())
