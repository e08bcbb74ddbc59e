"""Behaviours of the modeled cmdlets, one module per area; importing a module registers its cmdlets."""

from __future__ import annotations

import importlib

_MODULES = ("mailbox", "permissions", "groups", "rules", "trace", "org", "devices", "quarantine", "meta", "utility")


def load_behaviours() -> None:
    """Import every area module (idempotent) so that ``base.BEHAVIOURS`` is complete."""
    for name in _MODULES:
        importlib.import_module(f"{__name__}.{name}")
