"""Exit codes shared by every subcommand (documented in README.md)."""

EXIT_OK = 0
EXIT_COMMAND_ERRORS = 1
EXIT_USAGE = 2
EXIT_CONNECTION = 3
