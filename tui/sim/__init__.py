"""The Exchange Online simulator: a real HTTPS / WS-Management / PSRP server built on psrpcore.

``from tui.sim import Simulator, SimAccount`` (see ``tui.sim.simulator``). The exports load lazily so
that importing the pure engine modules (``tui.sim.model``, ``tui.sim.engine`` …) never pulls in the
HTTP server.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tui.sim.server import SimAccount
    from tui.sim.simulator import Simulator

__all__ = ["SimAccount", "Simulator"]


def __getattr__(name: str) -> Any:
    if name == "Simulator":
        from tui.sim.simulator import Simulator

        return Simulator
    if name == "SimAccount":
        from tui.sim.server import SimAccount

        return SimAccount
    raise AttributeError(f"module 'tui.sim' has no attribute {name!r}")
