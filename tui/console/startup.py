"""Starting and stopping the UI: configuration or demo, signals, and closing every session on the way out.

``run(args, start_demo=…)`` is what ``exohop`` and ``exohop --demo`` run: ``tui.cli.main`` calls it and
hands in the demo's starter, which lives with the CLI. Whatever
happens inside the app (quit, SIGTERM, a crash), the ``finally`` here closes every shell.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any

from tui.console.app import make_app
from tui.console.controller import Controller
from tui.console.hangup import exit_on_termination

log = logging.getLogger(__name__)


def controller_from_config(account: str | None = None) -> Controller:
    """A Controller over the user's config.toml and tenants.toml (keyring passwords)."""
    from tui.accounts import get_password, set_password
    from tui.config import load_config, user_folders
    from tui.remoting.auth.account import token_source_for
    from tui.tenants import TenantDirectory

    config = load_config()
    tenants = TenantDirectory.load()
    folders = user_folders()
    ctl = Controller(config, tenants, password_source=get_password, password_store=set_password,
                     cache_dir=folders.cache, transcript_dir=folders.transcripts, history_dir=folders.history,
                     journal_dir=folders.data, token_source=token_source_for)
    if account:
        ctl.preferred_account = config.resolve_account(account)
    return ctl


def demo_setup(start_demo: Callable[[], Any], read_only: bool = False) -> tuple[Callable[[], Controller], list[Any]]:
    """A setup callable that starts the in-process simulator, and a list the demo lands in (to stop it)."""
    started: list[Any] = []

    def setup() -> Controller:
        from tui.config import demo_folders

        demo = start_demo()
        started.append(demo)
        # The demo's own folder: the user's transcripts and cache stay the user's. The cache is keyed
        # without a loopback port (tui.remoting.catalog_cache), so the next demo start finds it again.
        # No journal: the in-process simulator dies with the app, and its shells with it.
        folders = demo_folders()
        ctl = Controller(demo.config, demo.tenants, password_source=demo.password_for, password_store=None,
                         cache_dir=folders.cache, transcript_dir=folders.transcripts, history_dir=folders.history,
                         demo=demo, token_source=demo.token_source)
        ctl.read_only = read_only
        return ctl

    return setup, started


def run(args: Any, *, start_demo: Callable[[], Any]) -> int:
    """``exohop`` and ``exohop --demo``: run the UI; every session is closed on exit, crash or SIGTERM."""
    started: list[Any] = []
    if getattr(args, "demo", False):
        setup, started = demo_setup(start_demo, bool(getattr(args, "read_only", False)))
        app = make_app(setup=setup)
    else:
        from tui.config import SETUP_GUIDANCE, ConfigError

        try:
            ctl = controller_from_config(getattr(args, "account", None))
        except ConfigError as exc:
            print(f"exohop: {exc.message}", file=sys.stderr)
            return 2
        ctl.read_only = bool(getattr(args, "read_only", False))
        if not ctl.config.accounts or not ctl.tenants:
            print(SETUP_GUIDANCE)   # what a first start is for: not an error (exit 0)
            return 0
        app = make_app(ctl)
    try:
        # SIGTERM/SIGHUP are handled here, not on the app's event loop: with the terminal gone that
        # loop hangs in Textual's driver shutdown, and the process must still leave within 2 s.
        with exit_on_termination(app):
            result = app.run()
    finally:
        ctl_ = app.controller
        if ctl_ is not None:
            try:
                failures = ctl_.close_all(2.0)
            except Exception:
                log.exception("closing the sessions on the way out failed")
                failures = ["could not close every session (the details are in exohop.log); the server drops "
                            "the rest when they expire (about 15 minutes)"]
            for failure in failures:
                print(f"exohop: {failure}", file=sys.stderr)
        for demo in started:
            demo.stop()
    code = app.return_code if app.return_code is not None else (result or 0)
    return int(code)
