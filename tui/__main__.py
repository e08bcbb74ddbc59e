"""`python -m tui` is `exohop`."""

from tui.cli.main import main

raise SystemExit(main())
