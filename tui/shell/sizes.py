"""Exchange size values (ByteQuantifiedSize / Unlimited<ByteQuantifiedSize>) as comparable numbers.

Over remote PowerShell a quota arrives as a string such as ``"99 GB (106,300,440,576 bytes)"`` or
``"Unlimited"``. ``parse_size`` turns those (and typed literals like ``50GB`` / ``"1.5 MB"``) into a
``ByteSize`` so that ``ProhibitSendQuota -gt 50GB`` compares bytes, not text.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache, total_ordering
from typing import Any

UNITS: dict[str, int] = {
    "B": 1, "KB": 1024, "MB": 1024 ** 2, "GB": 1024 ** 3, "TB": 1024 ** 4, "PB": 1024 ** 5,
}

# "99 GB (106,300,440,576 bytes)" — the exact byte count in brackets is authoritative.
_EXCHANGE = re.compile(r"^\s*[\d.,]+\s*[KMGTP]?B\s*\(\s*([\d,]+)\s*bytes?\s*\)\s*$", re.IGNORECASE)
# "50GB", "1.5 MB", "100 KB", "0 B"
_LITERAL = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGTP]?B)\s*$", re.IGNORECASE)


@total_ordering
@dataclass(frozen=True, slots=True)
class ByteSize:
    """A byte count, or Unlimited (greater than every finite size)."""

    bytes: int = 0
    unlimited: bool = False

    @classmethod
    def unlimited_size(cls) -> ByteSize:
        return cls(0, True)

    def _key(self) -> float:
        return math.inf if self.unlimited else float(self.bytes)

    def __lt__(self, other: object) -> bool:
        if isinstance(other, ByteSize):
            return self._key() < other._key()
        if isinstance(other, int | float) and not isinstance(other, bool):
            return self._key() < other
        return NotImplemented

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ByteSize):
            return self._key() == other._key()
        if isinstance(other, int | float) and not isinstance(other, bool):
            return self._key() == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._key())

    def as_number(self) -> float:
        """Bytes as a number (Unlimited is infinity), for Measure-Object and sorting."""
        return math.inf if self.unlimited else float(self.bytes)

    def __str__(self) -> str:
        return "Unlimited" if self.unlimited else format_size(self.bytes)


def parse_size(value: Any) -> ByteSize | None:
    """A ByteSize for an Exchange size string, ``Unlimited``, or a literal like ``"50GB"``; else None.

    Plain numbers are not sizes (the caller decides whether a number means bytes).
    """
    if isinstance(value, ByteSize):
        return value
    if not isinstance(value, str) or not value or len(value) > 64:
        return None
    return parse_size_text(value)[0]


def is_exchange_size(value: Any) -> bool:
    """Whether ``value`` reads like a service size: ``"… GB (… bytes)"`` or ``"Unlimited"``."""
    if isinstance(value, ByteSize):
        return True
    if not isinstance(value, str) or not value or len(value) > 64:
        return False
    return parse_size_text(value)[1]


@lru_cache(maxsize=8192)
def parse_size_text(value: str) -> tuple[ByteSize | None, bool]:
    """(size, written the service's way) for any text; cached because a column repeats the same few
    quotas."""
    if value.strip().lower() == "unlimited":
        return ByteSize.unlimited_size(), True
    m = _EXCHANGE.match(value)
    if m:
        return ByteSize(int(m.group(1).replace(",", ""))), True
    m = _LITERAL.match(value)
    if m:
        return ByteSize(int(float(m.group(1)) * UNITS[m.group(2).upper()])), False
    return None, False


def format_size(n: int) -> str:
    """The service's way of writing a size: ``99 GB (106,300,440,576 bytes)``."""
    unit, scale = "B", 1
    for name, factor in UNITS.items():
        if n >= factor:
            unit, scale = name, factor
    amount = n / scale
    shown = f"{amount:.0f}" if amount == int(amount) else f"{amount:.3g}" if amount < 10 else f"{amount:.4g}"
    return f"{shown} {unit} ({n:,} bytes)"
