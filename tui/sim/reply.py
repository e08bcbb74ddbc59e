"""What every door of the simulator (WS-Management, REST, Entra ID) hands the HTTP layer to send."""

from __future__ import annotations

from dataclasses import dataclass, field

from tui.sim.faults import Plan


@dataclass(slots=True)
class Reply:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    plan: Plan = field(default_factory=Plan)     # the faults the HTTP layer applies while sending it
