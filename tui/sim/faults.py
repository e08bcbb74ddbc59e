"""Fault injection for tests and benchmarks: latency, dropped connections, throttling, garbage,
transient 5xx, and the REST door's per-tenant concurrency cap.

``Faults`` is armed from the test thread and consumed by the HTTP handler threads, once per
WS-Management or REST request (the stats and Entra endpoints are never faulted). On the REST door
``throttle`` answers 429 (REST's throttling status, research/exo-modern.md §1.9) instead of 503.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Plan:
    """What to do to one request."""

    drop: bool = False                 # close the connection without answering
    throttle_retry_after: int | None = None   # answer 503 with this Retry-After
    drop_mid_response: bool = False    # process, send headers and half the body, then close
    malformed: bool = False            # process, then answer something that is not SOAP
    unavailable: int | None = None     # answer this transient status (503 or 504) without processing


class Faults:
    def __init__(self, latency_ms: int = 0) -> None:
        self._lock = threading.Lock()
        self.latency_ms = latency_ms       # extra delay on every response (a WAN round trip)
        self._drop_countdown: int | None = None
        self._drop_mid = 0
        self._throttle = 0
        self._retry_after = 1
        self._malformed = 0
        self._unavailable: list[int] = []
        self.rest_limit: int | None = None       # concurrent REST requests per tenant (None: no cap)
        self.rest_retry_after = 1
        self._rest_hold: threading.Event | None = None
        self._tenant_drops: dict[str, int] = {}

    def drop_after(self, n: int) -> None:
        """Close the TCP connection without answering the n-th next request (1 = the very next one)."""
        if n < 1:
            raise ValueError("drop_after needs n >= 1")
        with self._lock:
            self._drop_countdown = n

    def drop_mid_response(self, count: int = 1) -> None:
        """Send headers and half a body, then close, on the next ``count`` requests."""
        with self._lock:
            self._drop_mid = count

    def drop_tenant_output(self, tenant: str, count: int = 1) -> None:
        """Cut the next ``count`` responses carrying ``tenant``'s command output (a PSRP pipeline's
        Receive, a REST InvokeCommand) halfway, as a front end failing mid-command does: the other
        tenants on the same server are not touched."""
        with self._lock:
            self._tenant_drops[tenant.lower()] = count

    def take_tenant_output(self, tenant: str) -> bool:
        """Whether this response of ``tenant``'s command output is to be cut (consumes one)."""
        with self._lock:
            left = self._tenant_drops.get(tenant.lower(), 0)
            if left <= 0:
                return False
            self._tenant_drops[tenant.lower()] = left - 1
            return True

    def throttle(self, count: int, retry_after: int = 1) -> None:
        """Answer the next ``count`` requests with 503 and ``Retry-After: retry_after``."""
        with self._lock:
            self._throttle = count
            self._retry_after = retry_after

    def malformed(self, count: int = 1) -> None:
        """Make the next ``count`` responses invalid SOAP."""
        with self._lock:
            self._malformed = count

    def unavailable(self, count: int = 1, status: int = 503) -> None:
        """Answer the next ``count`` requests with ``status`` (503 or 504), as a busy front end does."""
        if status not in (503, 504):
            raise ValueError("unavailable takes 503 or 504")
        with self._lock:
            self._unavailable = [status] * count

    def rest_concurrency(self, limit: int | None, retry_after: int = 1) -> None:
        """Cap concurrent REST InvokeCommands per tenant (None: no cap); one past the cap gets 429 with
        ``Retry-After: retry_after`` (the cap's real size is undocumented, §1.9)."""
        if limit is not None and limit < 0:
            raise ValueError("rest_concurrency needs limit >= 0")
        with self._lock:
            self.rest_limit = limit
            self.rest_retry_after = retry_after

    def hold_rest(self) -> threading.Event:
        """Until the returned event is set, every REST InvokeCommand waits inside its concurrency slot
        (so a test can fill the cap deterministically); ``clear()`` releases it too."""
        with self._lock:
            self._rest_hold = threading.Event()
            return self._rest_hold

    def rest_gate(self) -> threading.Event | None:
        with self._lock:
            return self._rest_hold

    def clear(self) -> None:
        with self._lock:
            self._drop_countdown = None
            self._drop_mid = self._throttle = self._malformed = 0
            self._unavailable = []
            self._tenant_drops = {}
            self.rest_limit = None
            if self._rest_hold is not None:
                self._rest_hold.set()
                self._rest_hold = None

    def take(self) -> Plan:
        """Consume what is armed for the next request."""
        with self._lock:
            if self._drop_countdown is not None:
                self._drop_countdown -= 1
                if self._drop_countdown <= 0:
                    self._drop_countdown = None
                    return Plan(drop=True)
            if self._unavailable:
                return Plan(unavailable=self._unavailable.pop())
            if self._throttle > 0:
                self._throttle -= 1
                return Plan(throttle_retry_after=self._retry_after)
            if self._drop_mid > 0:
                self._drop_mid -= 1
                return Plan(drop_mid_response=True)
            if self._malformed > 0:
                self._malformed -= 1
                return Plan(malformed=True)
            return Plan()
