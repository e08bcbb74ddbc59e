"""Every use of a private pypsrp attribute, in one place, for the version it was written against.

pypsrp 0.9 has no public way to (1) send a ready-made PSRP message through a ``PowerShell`` (the
importer drives GetCommandMetadata receive by receive to report progress) or (2) get at the
``requests.Session`` before the first request (the redirect and throttling hooks must be on it
before anything leaves). If pypsrp changes, this import fails with a message naming this module
instead of the app misbehaving somewhere deep in a session.
"""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

import requests
from pypsrp.powershell import PowerShell

SUPPORTED = "0.9."
_found = version("pypsrp")
if not _found.startswith(SUPPORTED):
    raise ImportError(f"tui/remoting/pypsrp_compat.py was written for pypsrp {SUPPORTED}x and found {_found}: "
                      "check its two private calls (PowerShell._invoke, transport._build_session) and the pin")
if not callable(getattr(PowerShell, "_invoke", None)):
    raise ImportError("pypsrp's PowerShell._invoke is gone: tui/remoting/pypsrp_compat.py needs updating")


def invoke_message(ps: PowerShell, message: Any) -> None:
    """Start ``ps`` with an arbitrary PSRP message (what ``get_command_metadata`` does inside)."""
    ps._invoke(message)


def build_session(transport: Any) -> requests.Session:
    """The ``requests.Session`` pypsrp's transport would build lazily on its first send, built now."""
    session: requests.Session = transport._build_session()
    return session
