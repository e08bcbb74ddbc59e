"""``Retry-After`` as a number of seconds, and the wait before a retry, for both transports (PSRP's 503s
and REST's 429/503)."""

from __future__ import annotations

import email.utils
import math
from datetime import UTC, datetime


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds: delta-seconds (the EXO module parses a double: research §1.9) or an HTTP date."""
    if not value:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def retry_delay(retry_after: str | None, attempt: int, base_s: float, max_wait_s: float) -> tuple[float, bool]:
    """(the wait before retry ``attempt`` (1 for the first), whether it is too long to sleep through).

    The service's ``Retry-After`` when it sent one: longer than ``max_wait_s``, it is reported to the
    engineer instead of slept. Else ``base_s`` doubled per attempt, at most ``max_wait_s``."""
    asked = retry_after_seconds(retry_after)
    if asked is not None:
        return asked, asked > max_wait_s
    return min(base_s * 2 ** (attempt - 1), max_wait_s), False
