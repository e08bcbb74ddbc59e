"""``exohop run``: one command line in one or more tenants, printed, every session closed after."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any, TextIO

from tui.cli.audit import Audit, now
from tui.cli.environment import INTERRUPTED_CLOSE_S, Environment, close_pool, load_environment, print_error
from tui.cli.exit_codes import EXIT_COMMAND_ERRORS, EXIT_CONNECTION, EXIT_OK, EXIT_USAGE
from tui.cli.limit import LIMIT_WAIT_S, acquire_waiting
from tui.cli.printer import Printer, import_progress_line, show_invalid, show_line_error
from tui.cli.read_only import read_only_of, refusal_before_connecting
from tui.cli.redirects_seen import RedirectsSeen
from tui.cli.signals import Terminated, termination_signals
from tui.config import SETUP_GUIDANCE, Account
from tui.remoting.errors import RemotingError
from tui.remoting.events import RunSummary
from tui.shell.safe_text import visible
from tui.tenant_ids import remember_tenant_id
from tui.tenant_selection import select_tenants
from tui.tenants import Tenant


def remote_command_names(line: str) -> list[str]:
    """The command names of a line that are not local cmdlets (what the service must know)."""
    from tui.shell import parse
    from tui.shell.local_catalog import is_local

    names: list[str] = []
    for statement in parse(line).statements:
        for command in statement.commands:
            name = command.name
            if is_local(name) or name.lower() in (n.lower() for n in names):
                continue
            names.append(name)
    return names


def one_shot_import(line: str) -> list[str]:
    """What a one-shot session without a cache imports for ``line``: its remote commands, and
    Select-Object when the line selects (the endpoint listing it lets the selection run on the server)."""
    from tui.shell import parse
    from tui.shell.local_catalog import local_cmdlet
    from tui.shell.plan import REMOTE_SELECT

    names = remote_command_names(line)
    if not names:
        return names
    selects = any((found := local_cmdlet(c.name)) is not None and found.name == REMOTE_SELECT
                  for statement in parse(line).statements for c in statement.commands)
    return [*names, REMOTE_SELECT] if selects else names


def _one_shot_factory(names: list[str]) -> Callable[..., Any]:
    """Sessions for `exohop run`: the cached catalog as is (no background refresh, the process ends
    soon); with no cache, only the line's own commands are imported (like Import-PSSession
    -CommandName) and that narrow catalog is not cached, so a full import still happens later."""
    def factory(account: Account, tenant: Tenant, password: Any, **kwargs: Any) -> Any:
        from tui.remoting.auth.account import REST, transport_of
        from tui.remoting.pool import open_session_for

        if transport_of(account) == REST:   # the shipped catalog binds any line: no import to narrow
            return open_session_for(account, tenant, password, refresh_in_background=False, **kwargs)
        from tui.remoting.catalog_cache import CatalogCache  # PSRP only: pypsrp is loaded for it anyway
        from tui.remoting.session import DelegatedSession

        cache = kwargs.get("cache_dir")
        cached = cache is not None and CatalogCache(cache).path_for(account.endpoint, account.upn,
                                                                      tenant.domain).is_file()
        if cached or not names:
            return DelegatedSession(account, tenant, password, refresh_in_background=False, **kwargs)
        return DelegatedSession(account, tenant, password, refresh_in_background=False, import_patterns=names,
                                save_cache=False, **kwargs)

    return factory


def with_command_hint(session: Any, summary: RunSummary) -> RunSummary:
    """A line that names a command the catalog lacks, with "Did you mean" from the tenant's command names.

    A session whose catalog holds only the line's commands (the one-shot import above) has nothing to
    suggest from: ``command_names`` asks the service for the names (PSRP), on this failure only. A REST
    session's catalog already lists every allowed name, so its binder's hint stands."""
    from dataclasses import replace

    from tui.catalog import Catalog, CmdletInfo
    from tui.shell.binder import BindError, resolve_command

    error = summary.error
    name = getattr(error, "unknown_command", None)
    if summary.outcome != "invalid" or not isinstance(error, BindError) or not name or error.suggestions:
        return summary
    names = Catalog(CmdletInfo(n) for n in session.command_names())
    try:
        resolve_command(name, names, column=error.column or 0)
    except BindError as hinted:
        return replace(summary, error=hinted) if hinted.suggestions else summary
    return summary


def _exit_code_for(summary: RunSummary) -> int:
    if summary.outcome in ("invalid", "refused"):   # refused: read-only, nothing sent (a usage error)
        return EXIT_USAGE
    if summary.outcome == "failed" and isinstance(summary.error, RemotingError):
        return EXIT_CONNECTION
    if summary.errors or summary.outcome in ("failed", "errors"):
        return EXIT_COMMAND_ERRORS
    return EXIT_OK


def _resolve_tenants(env: Environment, args: argparse.Namespace) -> list[Tenant]:
    """The tenants of ``-t``, ``--tag`` and ``--except``, in directory order; TenantLookupError if none."""
    return select_tenants(env.tenants, getattr(args, "tenant", None) or [], getattr(args, "tag", None) or [],
                          getattr(args, "excluded", None) or [])


def is_batch(args: argparse.Namespace) -> bool:
    """A selection that may name several tenants runs as a batch (merged output with a Tenant column)
    even when it reaches one: a script reading `-t @retail` gets the same columns whatever the group holds."""
    queries = [q.strip() for q in getattr(args, "tenant", None) or []]
    return (len(queries) > 1 or bool(getattr(args, "tag", None))
            or any(q.lower() == "all" or q.startswith("@") or q.lower().startswith("tag:") for q in queries))


def cmd_run(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    from tui.remoting.pool import SessionPool
    from tui.remoting.shipped_catalog import shipped_cmdlet
    from tui.remoting.transcript import Transcript
    from tui.shell import ParseError, parse
    from tui.shell.safety import needs_confirmation

    out = out or sys.stdout
    err = err or sys.stderr
    line: str = args.line
    try:
        parse(line)
    except ParseError as exc:
        show_line_error(line, exc.message, exc.column, err)
        return EXIT_USAGE
    env = load_environment(bool(getattr(args, "demo", False)), getattr(args, "demo_transport", "rest"))
    if not env.config.accounts or not len(env.tenants):
        # Nothing to run against: say how to set up (exit 2, as for a tenant that is not found: the
        # command could not be run as given; nothing was sent).
        env.close()
        print(SETUP_GUIDANCE, file=err, flush=True)
        return EXIT_USAGE
    # Read-only everywhere this line could go (the flag, or every account it may use): no --yes to ask
    # for, the refusal below says what to do.
    chosen = getattr(args, "account", None)
    accounts = [a for a in env.config.accounts if chosen is None or a.upn.lower() == str(chosen).lower()]
    read_only = (all(read_only_of(args, a)[0] for a in accounts) if accounts
                 else bool(getattr(args, "read_only", False)))
    batch = is_batch(args)
    if (not batch and needs_confirmation(line, env.config.settings.confirm, shipped_cmdlet, read_only=read_only)
            and not getattr(args, "yes", False)):
        env.close()
        print_error(f'this line changes the tenant and confirm = "{env.config.settings.confirm}" asks for '
                    "confirmation: run it again with --yes to confirm (or add -WhatIf to preview it)", err)
        return EXIT_USAGE
    code = EXIT_OK
    pool: SessionPool | None = None
    try:
        tenants = _resolve_tenants(env, args)
        transcript = Transcript(env.folders.transcripts)
        audit = Audit(transcript, err)
        redirects = RedirectsSeen(env.folders.data)
        pool = SessionPool(env.config.settings.max_sessions_per_account, cache_dir=env.folders.cache,
                           rest_concurrency=env.config.settings.rest_concurrency_per_tenant,
                           transcript=transcript, factory=_one_shot_factory(one_shot_import(line)),
                           journal=env.journal())
        if batch:
            from tui.cli.batch_run import run_batch

            code = run_batch(env, args, line, tenants, pool, out, err)
            return code
        with termination_signals():
            for tenant in tenants:   # one: a selection that can name several runs as a batch (above)
                label = visible(f"{tenant.display_name} ({tenant.domain})")  # a CSV's name: text only
                printer = Printer(args.format, out, err)
                account = env.account_for(tenant, getattr(args, "account", None))
                skipped = audit.skip_reason(account)
                if skipped is not None:
                    print_error(f"skipped {label}: {skipped}", err)
                    audit.record(account, tenant, line, "skipped")
                    code = max(code, EXIT_CONNECTION)
                    continue
                refusal = refusal_before_connecting(line, args, account)
                if refusal is not None:   # read-only: not even a sign-in for a line that would be refused
                    print_error(refusal, err)
                    audit.record(account, tenant, line, "refused")
                    code = max(code, EXIT_USAGE)
                    continue
                try:
                    session = acquire_waiting(pool, tenant, account, env.credential_for(account),
                                              wait_s=0.0 if getattr(args, "no_wait", False) else LIMIT_WAIT_S,
                                              on_wait=lambda text: print_error(text, err),
                                              on_event=redirects.filter(account, printer),
                                              on_progress=import_progress_line(tenant, err))
                except RemotingError as exc:
                    printer.finish()
                    print_error(exc.message, err)
                    audit.connect_failed(account, tenant, line, exc)
                    code = max(code, EXIT_CONNECTION)
                    continue
                if env.demo is None:
                    remember_tenant_id(tenant, session)
                session.set_read_only(*read_only_of(args, account))   # the engine refuses what the catalog adds
                for notice in session.take_notices():
                    print_error(notice, err)
                started, since = now()
                try:
                    summary = session.run(line, printer)
                except (Terminated, KeyboardInterrupt):
                    audit.interrupted(account, tenant, line, started, since)   # it may have partly run
                    raise
                except RemotingError as exc:   # busy or closed: nothing was sent
                    printer.finish()
                    print_error(exc.message, err)
                    code = max(code, EXIT_CONNECTION)
                    continue
                printer.finish()
                summary = with_command_hint(session, summary)
                show_invalid(line, summary, err)   # a RemotingError was already printed as an ErrorEvent
                if summary.outcome == "stopped":
                    print_error("stopped", err)
                code = max(code, _exit_code_for(summary))
    except Terminated as exc:
        print_error(f"terminated by signal {exc.signum}; closing sessions", err)
        code = 128 + exc.signum
    except KeyboardInterrupt:
        print_error("interrupted; closing sessions", err)
        code = 130
    finally:
        if pool is not None:
            # Interrupted, the engineer wants the prompt back now (the server may be hung): what is not
            # deleted by then stays in the shell journal for the next start.
            close_pool(pool, INTERRUPTED_CLOSE_S if code >= 128 else None)
        env.close()
    return code
