"""``BoundCommand``: one command of a pipeline after binding against a catalog (the binder's output).

Both the remote prefix (sent to the service as a PSRP command pipeline) and the local suffix
(run by ``tui.shell.local``) are lists of BoundCommand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class BoundCommand:
    name: str  # the cmdlet's canonical name, as the catalog spells it
    # canonical parameter name -> coerced value: switches True/False, ArrayLiteral -> list,
    # HashLiteral -> dict[str, Any] (ScriptBlock values kept), Variable resolved when known.
    parameters: dict[str, Any] = field(default_factory=dict)
    parameter_set: str | None = None
    local: bool = False  # run by tui.shell.local, not sent to the service
    column: int = 0
    text: str = ""  # the command's source text, for messages and the transcript
