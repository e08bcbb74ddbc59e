"""Which command lines need the engineer's confirmation: one rule for the console, the shell and ``run``.

A command whose verb changes state (Set, New, Remove, …) is confirmed under ``confirm = "always"``;
under ``"destructive"`` only Remove, Disable and Clear; ``"never"`` confirms nothing. ``-WhatIf``
changes nothing and never asks; local writers (Export-Csv, Out-File) write a local file, not the tenant.
"""

from __future__ import annotations

import re

from tui.shell.errors import ParseError

# Verbs that change state (PowerShell approved verbs the service uses for writes).
STATE_CHANGING_VERBS = frozenset({
    "set", "new", "remove", "add", "enable", "disable", "clear", "update", "start", "stop",
    "restore", "import", "move", "suspend", "resume", "install", "uninstall", "register",
    "unregister", "reset", "revoke", "grant", "invoke", "send", "disconnect", "connect",
    "complete", "approve", "deny", "retry", "release", "redirect", "rename", "write", "export",
    "mount", "dismount", "publish", "unpublish", "block", "unblock", "lock", "unlock", "use",
    "upgrade", "push",
})
DESTRUCTIVE_VERBS = frozenset({"remove", "disable", "clear"})
CONFIRM_POLICIES = ("always", "destructive", "never")

# Local cmdlets (Export-Csv, Out-File) write a local file, not the tenant: never confirmed here.
_LOCAL_WRITERS = frozenset({"export-csv", "out-file"})
_COMMAND_START = re.compile(r"(?:^|[|;\n])\s*(?:\$[\w:]+\s*=\s*)?([A-Za-z]+-[\w]+)")


def _commands(line: str) -> list[tuple[str, bool]]:
    """``[(cmdlet name, has -WhatIf), …]`` for every command in ``line``.

    Uses the project's parser when it accepts the line; a line it rejects never reaches the
    service, so the fallback only needs to be conservative (it finds every ``Verb-Noun`` that
    starts a command).
    """
    from tui.shell.parser import parse  # here, not at import: the console imports this module at start

    try:
        script = parse(line)
    except ParseError:  # a line the parser rejects never runs: the scan only needs to be conservative
        out = []
        for segment in re.split(r"[|;\n]", line):
            m = _COMMAND_START.match("|" + segment)
            if m:
                whatif = re.search(r"(?i)(^|\s)-whatif(:\s*\$true)?(\s|$)", segment) is not None
                out.append((m.group(1), whatif))
        return out
    found: list[tuple[str, bool]] = []
    for pipeline in script.statements:
        for command in pipeline.commands:
            whatif = False
            for element in command.elements:
                name = getattr(element, "name", None)
                # PowerShell accepts any unambiguous prefix: -wh, -What, -WhatIf
                if isinstance(name, str) and len(name) >= 2 and "whatif".startswith(name.lower()):
                    value = getattr(element, "value", None)
                    whatif = not getattr(element, "has_value", False) or value is True
            found.append((command.name, whatif))
    return found


def needs_confirmation(line: str, policy: str) -> bool:
    """True when ``line`` runs a state-changing cmdlet that ``policy`` says to confirm.

    ``always`` confirms every state-changing verb, ``destructive`` only Remove/Disable/Clear,
    ``never`` nothing; a command with ``-WhatIf`` changes nothing and never asks.
    """
    if policy == "never":
        return False
    verbs = DESTRUCTIVE_VERBS if policy == "destructive" else STATE_CHANGING_VERBS
    for name, whatif in _commands(line):
        if whatif or name.lower() in _LOCAL_WRITERS:
            continue
        if name.split("-", 1)[0].lower() in verbs:
            return True
    return False
