"""SIGTERM/SIGHUP in the CLI faces: raised as ``Terminated`` so that ``finally`` blocks close the sessions."""

from __future__ import annotations

import contextlib
from types import FrameType

from tui.termination import on_termination


class Terminated(BaseException):
    """Raised in the main thread by SIGTERM/SIGHUP so that ``finally`` blocks close the sessions."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def termination_signals() -> contextlib.AbstractContextManager[None]:
    """SIGTERM/SIGHUP raise Terminated in the main thread while inside the block (so finally runs)."""
    def handler(signum: int, frame: FrameType | None) -> None:
        raise Terminated(signum)

    return on_termination(handler)
