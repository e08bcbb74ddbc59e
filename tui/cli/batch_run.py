"""``exohop run`` across several tenants: one batch through the pool, merged output, a summary, an exit code.

Exit codes: 0 when every tenant succeeded; 1 when some reported errors; 3 when some could not
connect (or were skipped after their account's sign-in failed); 2 for a line refused before anything
ran (a state change across tenants without ``--yes``, read-only mode). Ctrl+C and SIGTERM stop every
running pipeline and close every session before exiting (128 + the signal).
"""

from __future__ import annotations

import argparse
import io
from typing import Any, TextIO, cast

from tui.cli.batch_output import MergedOutput
from tui.cli.batch_progress import Progress
from tui.cli.environment import INTERRUPTED_CLOSE_S, Environment, close_pool, print_error
from tui.cli.exit_codes import EXIT_COMMAND_ERRORS, EXIT_CONNECTION, EXIT_OK, EXIT_USAGE
from tui.cli.limit import LIMIT_WAIT_S, acquire_waiting
from tui.cli.read_only import read_only_of, refusal_before_connecting
from tui.cli.redirects_seen import RedirectsSeen
from tui.cli.signals import Terminated, termination_signals
from tui.remoting.batch import CONNECT_FAILED, ERRORS, REFUSED, SKIPPED, Batch, TenantRun
from tui.tenant_ids import remember_tenant_id
from tui.tenants import Tenant

WORKERS_END_S = 3.0   # after a stop: how long the workers get to come back from an open under way


class _ThroughProgress(io.TextIOBase):
    """stdout while Rich's live line is on the same terminal: each write goes above the line."""

    def __init__(self, out: TextIO, progress: Progress) -> None:
        self._out = out
        self._progress = progress

    def write(self, text: str) -> int:
        self._progress.write_out(self._out, text)
        return len(text)

    def flush(self) -> None:
        self._out.flush()

    def isatty(self) -> bool:
        return True


def changes_across(line: str, count: int) -> str | None:
    """The refusal of a state-changing ``line`` across ``count`` tenants without ``--yes``, or None."""
    from tui.remoting.shipped_catalog import shipped_cmdlet
    from tui.shell.safety import state_changes

    changes = state_changes(line, shipped_cmdlet)
    if not changes:
        return None
    names = ", ".join(dict.fromkeys(changes))
    return (f"this line changes {count} tenants ({names}): run it again with --yes to change all {count}, "
            "or add -WhatIf to preview what it would do")


def exit_code_of(runs: list[TenantRun]) -> int:
    states = {r.state for r in runs}
    if states & {CONNECT_FAILED} or any(r.state == SKIPPED for r in runs):
        return EXIT_CONNECTION
    if ERRORS in states:
        return EXIT_COMMAND_ERRORS
    if REFUSED in states:
        return EXIT_USAGE
    return EXIT_OK


def run_batch(env: Environment, args: argparse.Namespace, line: str, tenants: list[Tenant], pool: Any,
              out: TextIO, err: TextIO) -> int:
    """Run ``line`` in ``tenants`` through ``pool``; the caller closes the pool (and the environment)."""
    from tui.remoting.transcript import Transcript

    override = getattr(args, "account", None)
    targets = [(t, env.account_for(t, override)) for t in tenants]
    if not getattr(args, "yes", False) and not all(read_only_of(args, a)[0] for _, a in targets):
        refusal = changes_across(line, len(targets))
        if refusal is not None:
            print_error(refusal, err)
            return EXIT_USAGE
    redirects = RedirectsSeen(env.folders.data)
    progress = Progress([], err)
    stdout = cast(TextIO, _ThroughProgress(out, progress)) if progress.interactive and out.isatty() else out

    def acquire(run: TenantRun, credential: Any, sink: Any) -> Any:
        return acquire_waiting(pool, run.tenant, run.account, credential,
                               wait_s=0.0 if getattr(args, "no_wait", False) else LIMIT_WAIT_S,
                               on_wait=lambda text: progress.say(f"exohop: {text}"),
                               on_event=redirects.filter(run.account, sink))

    def prepare(run: TenantRun, session: Any) -> None:
        if env.demo is None:
            remember_tenant_id(run.tenant, session)
        session.set_read_only(*read_only_of(args, run.account))   # the engine refuses what the catalog adds
        for notice in session.take_notices():
            progress.say(f"exohop: {run.tenant.display_name}: {notice}")

    def changed(run: TenantRun) -> None:
        progress.changed(run)
        output.tenant_done(run)

    batch = Batch(pool, line, targets, env.credential_for, on_event=lambda r, e: output.event(r, e),
                  on_change=changed, acquire=acquire, prepare=prepare,
                  before_connect=lambda run: refusal_before_connecting(line, args, run.account),
                  concurrency=getattr(args, "concurrency", None),
                  transcript=Transcript(env.folders.transcripts),
                  tenant_domain=args.format in ("json", "csv", "jsonl"))
    progress.runs = batch.runs
    output = MergedOutput(args.format, getattr(args, "order", "tenant"), batch.runs, stdout, err,
                          message=progress.say)
    code: int | None = None
    try:
        with termination_signals(), progress.live():
            batch.start()
            try:
                batch.wait()
            except (Terminated, KeyboardInterrupt):
                stop_and_close(batch, pool)
                raise
    except Terminated as exc:
        print_error(f"terminated by signal {exc.signum}; stopped {len(targets)} tenants and closed the sessions", err)
        code = 128 + exc.signum
    except KeyboardInterrupt:
        print_error(f"interrupted; stopped {len(targets)} tenants and closed the sessions", err)
        code = 130
    finally:
        output.finish()
    summary = batch.summary()
    for text in summary.lines():
        print_error(text, err)
    print_error(f"batch {summary.batch_id} (the transcripts' lines of this run carry it)", err)
    return exit_code_of(batch.runs) if code is None else code


def stop_and_close(batch: Batch, pool: Any) -> None:
    """Ctrl+C or SIGTERM: stop every pipeline, start no tenant more, close every session within ~2 s.

    A worker whose open was under way when the pool closed may still land a session in it: the
    workers get a moment to end, and what they opened is closed too."""
    batch.stop()
    close_pool(pool, INTERRUPTED_CLOSE_S)
    # An open the pool did not know of yet finishes within a round trip or two; a hung one is given up.
    batch.wait(WORKERS_END_S)
    if pool.sessions():
        close_pool(pool, INTERRUPTED_CLOSE_S)
