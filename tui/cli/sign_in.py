"""The terminal side of ``exohop login``: waiting for a sign-in, Ctrl+C, the elapsed time, and which
customer tenants the sign-in reaches.

msal's calls block (the device flow polls every few seconds) and a blocked main thread would see Ctrl+C
only when msal returns. So every blocking call runs in a thread the main thread can walk away from
(tui.remoting.abandon): KeyboardInterrupt arrives at once, sets the cancel event msal's device flow checks,
and the command returns without waiting for msal (a daemon thread dies with the process; nothing was
written yet).
On a terminal one stderr line, rewritten with ``\\r``, shows how long the wait has lasted; anywhere else
nothing but msal's own message is printed.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO, TypeVar

from tui.cli.signals import termination_signals
from tui.logs import register_secret
from tui.remoting import abandon
from tui.remoting.auth import errors as reasons
from tui.remoting.auth.errors import SignInError
from tui.remoting.auth.provider import DeviceCodePrompt, SignedInUser, TokenProvider, clock
from tui.shell.safe_text import visible, visible_lines
from tui.tenants import Tenant

log = logging.getLogger(__name__)

T = TypeVar("T")

EXIT_CANCELLED = 130            # 128 + SIGINT, as a shell reports Ctrl+C
POLL_S = 0.1                    # how often a wait calls its on_tick (the status line, the prompt)
CANCEL_GRACE_S = 1.0            # after Ctrl+C: how long msal gets to notice the cancel event
REACH_THREADS = 8               # customer tenants checked at once after a sign-in
BROWSER_TIMEOUT_S = 600.0       # the browser flow gives up after this long
MAX_NAMED = 5                   # refused tenants named per reason in the summary


class Cancelled(Exception):
    """Ctrl+C while waiting: the blocking call was told to stop (where it can be)."""


class Progress:
    """One status line on a terminal's stderr, rewritten in place; silent when stderr is not a terminal."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        try:
            self.live = stream.isatty()
        except (AttributeError, ValueError):
            self.live = False
        self._width = 0

    def show(self, text: str) -> None:
        if not self.live:
            return
        pad = " " * max(0, self._width - len(text))
        self.stream.write(f"\r{text}{pad}")
        self.stream.flush()
        self._width = len(text)

    def clear(self) -> None:
        if self.live and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
            self._width = 0


def run_blocking(work: Callable[[], T], *, cancel: threading.Event | None = None,
                 on_tick: Callable[[], None] | None = None, name: str = "sign-in") -> T:
    """``work()`` through ``abandon.call``, ``on_tick`` called before, every POLL_S and after. Ctrl+C sets
    ``cancel``, gives the work CANCEL_GRACE_S to notice and raises ``Cancelled``; SIGTERM/SIGHUP set it too
    and propagate (``Terminated``). The work's own exception is raised here."""
    finished = threading.Event()

    def guarded() -> T:
        try:
            return work()
        finally:
            finished.set()

    def tick(_waited: float = 0.0) -> None:
        if on_tick is not None:
            on_tick()

    try:
        with termination_signals():
            tick()
            value = abandon.call(guarded, what=name, silence_s=POLL_S, on_silence=tick)
    except KeyboardInterrupt:
        if cancel is not None:
            cancel.set()
        finished.wait(CANCEL_GRACE_S)
        raise Cancelled() from None
    except BaseException:
        if cancel is not None:
            cancel.set()
        if finished.is_set():
            tick()      # the work's own error: what it queued for the terminal is shown first
        raise
    tick()
    return value


def device_code_sign_in(provider: TokenProvider, stream: TextIO) -> SignedInUser:
    """msal's device flow: its message on ``stream`` (printed by the main thread), then the wait."""
    cancel = threading.Event()
    prompts: queue.SimpleQueue[DeviceCodePrompt] = queue.SimpleQueue()
    progress = Progress(stream)
    shown: list[DeviceCodePrompt] = []
    started = time.monotonic()

    def tick() -> None:
        nonlocal started
        while True:
            try:
                prompt = prompts.get_nowait()
            except queue.Empty:
                break
            progress.clear()
            # The service's words: control characters made visible before they reach the terminal.
            print(visible_lines(prompt.message), file=stream, flush=True)
            shown.append(prompt)
            started = time.monotonic()
        if shown:
            left = shown[-1].expires_at - time.time()
            progress.show(f"waiting for the sign-in … {clock(time.monotonic() - started)} "
                          f"(the code is valid for {clock(left)}; Ctrl+C to cancel)")

    try:
        return run_blocking(lambda: provider.sign_in_with_device_code(prompts.put, cancel=cancel),
                            cancel=cancel, on_tick=tick)
    finally:
        progress.clear()


def browser_sign_in(provider: TokenProvider, stream: TextIO) -> SignedInUser:
    """msal's interactive flow (the browser, then its ``http://localhost`` redirect)."""
    who = provider.upn or "the account"
    print(f"opening a web browser to sign {who} in to {provider.settings.home_tenant}; finish there "
          "(if no browser opens, open the link printed below)", file=stream, flush=True)
    progress = Progress(stream)
    started = time.monotonic()

    def tick() -> None:
        progress.show(f"waiting for the sign-in in the browser … {clock(time.monotonic() - started)} "
                      "(Ctrl+C to cancel)")

    try:
        return run_blocking(lambda: provider.sign_in_interactive(timeout=BROWSER_TIMEOUT_S), on_tick=tick)
    finally:
        progress.clear()


def register_cached_secrets(provider: TokenProvider) -> None:
    """Every token the cache now holds (refresh, access and id tokens): never in the log from here on."""
    import msal

    cache, kinds = provider.store.cache, msal.TokenCache.CredentialType
    for kind in (kinds.REFRESH_TOKEN, kinds.ACCESS_TOKEN, kinds.ID_TOKEN):
        for entry in cache.search(kind):
            register_secret(str(entry.get("secret") or "") or None)


# -- which customer tenants a sign-in reaches ------------------------------------------------------------

# What the summary says for each reason a customer tenant refused a token (tui.remoting.auth.errors).
REASON_TEXT = {
    reasons.NO_ACCESS: "no GDAP relationship with an Exchange role",
    reasons.CONSENT: "consent missing",
    reasons.REVOKED: "sign-in revoked",
    reasons.SIGN_IN_AGAIN: "sign-in expired",
    reasons.INTERACTION: "MFA or Conditional Access needs the browser (--browser)",
    reasons.UNKNOWN_TENANT: "tenant not found",
    reasons.UNREACHABLE: "login host unreachable",
    reasons.TLS: "TLS certificate not verified",
    reasons.CLOCK_SKEW: "this computer's clock is off",
    reasons.WRONG_TENANT: "a token for another tenant (refused)",
    reasons.NOT_SIGNED_IN: "not signed in",
    reasons.CERTIFICATE: "certificate refused",
    reasons.KEYRING: "OS keyring unavailable",
    reasons.CACHE: "token cache unavailable",
}
UNEXPECTED = "unexpected"


@dataclass
class Reach:
    """The outcome of asking for a token for each customer tenant of one account."""

    tenants: list[Tenant]
    reached: list[Tenant] = field(default_factory=list)
    refused: list[tuple[Tenant, str, str]] = field(default_factory=list)   # tenant, reason, the user's message

    @property
    def total(self) -> int:
        return len(self.tenants)

    def by_reason(self) -> dict[str, list[tuple[Tenant, str]]]:
        grouped: dict[str, list[tuple[Tenant, str]]] = {}
        order = {t.domain: i for i, t in enumerate(self.tenants)}
        for tenant, reason, message in sorted(self.refused, key=lambda r: order.get(r[0].domain, 0)):
            grouped.setdefault(reason, []).append((tenant, message))
        return grouped


def check_reach(token_for: Callable[[str], Any], tenants: Sequence[Tenant], *, stream: TextIO,
                threads: int = REACH_THREADS) -> Reach:
    """``token_for(domain)`` for every tenant, ``threads`` at a time (silent: from the cache just filled);
    each token is registered as a secret and dropped. Ctrl+C raises ``Cancelled``."""
    report = Reach(list(tenants))
    if not tenants:
        return report
    work: queue.SimpleQueue[Tenant] = queue.SimpleQueue()
    for t in tenants:
        work.put(t)
    lock = threading.Lock()
    stop = threading.Event()
    progress = Progress(stream)

    def worker() -> None:
        while not stop.is_set():
            try:
                tenant = work.get_nowait()
            except queue.Empty:
                return
            try:
                token = token_for(tenant.domain)
                register_secret(getattr(token, "token", None))
                del token
                with lock:
                    report.reached.append(tenant)
            except SignInError as exc:
                with lock:
                    report.refused.append((tenant, exc.reason, exc.message))
            except Exception:
                log.exception("checking a token for %s failed", tenant.domain)
                with lock:
                    report.refused.append((tenant, UNEXPECTED, f"{tenant.domain}: an unexpected error (see the "
                                                               "log)"))

    def all_of_them() -> None:
        pool = [threading.Thread(target=worker, name=f"exohop-reach-{i}", daemon=True)
                for i in range(min(threads, len(tenants)))]
        for p in pool:
            p.start()
        for p in pool:
            p.join()

    def tick() -> None:
        with lock:
            done = len(report.reached) + len(report.refused)
        progress.show(f"checking the customer tenants … {done}/{len(tenants)}")

    try:
        run_blocking(all_of_them, cancel=stop, on_tick=tick, name="reach")
    finally:
        progress.clear()
    return report


def reach_text(report: Reach) -> str:
    """``reaches 11 of 13 customer tenants in tenants.toml (2 refused — no GDAP …: a, b)``."""
    text = f"reaches {len(report.reached)} of {report.total} customer tenants in tenants.toml"
    if not report.refused:
        return text
    parts = []
    for reason, items in report.by_reason().items():
        names = [visible(t.domain) for t, _ in items[:MAX_NAMED]]
        more = f" and {len(items) - MAX_NAMED} more" if len(items) > MAX_NAMED else ""
        label = REASON_TEXT.get(reason, "unexpected error (see the log)" if reason == UNEXPECTED
                                else "refused by the sign-in service")
        parts.append(f"{label}: {', '.join(names)}{more}")
    return f"{text} ({len(report.refused)} refused — {'; '.join(parts)})"


def reach_details(report: Reach) -> list[str]:
    """One full message per reason (what to do), for stderr: the first tenant's, and how many share it."""
    lines = []
    for _reason, items in report.by_reason().items():
        _, message = items[0]
        others = len(items) - 1
        lines.append(message + (f" (and {others} more tenant{'s' if others > 1 else ''} for the same reason)"
                                if others else ""))
    return lines
