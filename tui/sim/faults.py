"""Fault injection for tests and benchmarks: latency, dropped connections, throttling, garbage.

``Faults`` is armed from the test thread and consumed by the HTTP handler threads, once per
WS-Management request (the stats endpoint is never faulted).
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


class Faults:
    def __init__(self, latency_ms: int = 0) -> None:
        self._lock = threading.Lock()
        self.latency_ms = latency_ms       # extra delay on every response (a WAN round trip)
        self._drop_countdown: int | None = None
        self._drop_mid = 0
        self._throttle = 0
        self._retry_after = 1
        self._malformed = 0

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

    def throttle(self, count: int, retry_after: int = 1) -> None:
        """Answer the next ``count`` requests with 503 and ``Retry-After: retry_after``."""
        with self._lock:
            self._throttle = count
            self._retry_after = retry_after

    def malformed(self, count: int = 1) -> None:
        """Make the next ``count`` responses invalid SOAP."""
        with self._lock:
            self._malformed = count

    def clear(self) -> None:
        with self._lock:
            self._drop_countdown = None
            self._drop_mid = self._throttle = self._malformed = 0

    def take(self) -> Plan:
        """Consume what is armed for the next request."""
        with self._lock:
            if self._drop_countdown is not None:
                self._drop_countdown -= 1
                if self._drop_countdown <= 0:
                    self._drop_countdown = None
                    return Plan(drop=True)
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
