"""Which command lines change the tenant: one rule for the console, the shell and ``run``, for both the
confirmation (``confirm`` in config.toml) and read-only mode.

A cmdlet changes state when its catalog entry takes ``-WhatIf``/``-Confirm`` (PowerShell's
SupportsShouldProcess: the cmdlet itself says it changes something) or when its verb is one of the
write verbs below. The verb list alone decides for a cmdlet the catalog does not describe (not in it,
or a name-only entry). Both, not the catalog alone: Exchange Online's reference lists some 40 writes
without ``-WhatIf`` (Set-Clutter, Set-FocusedInbox, Remove-TenantAllowBlockListItems, …). The catalog
adds the writes whose verb says nothing (Undo-SoftDeletedMailbox, Delete-QuarantineMessage,
Rotate-DkimSigningConfig). A Get- cmdlet reads, whatever its entry says: the reference gives -WhatIf
to 11 of its 275 Get- cmdlets (Get-Place, Get-MailboxLocation, …).

``-WhatIf`` changes nothing: it is never confirmed nor refused. Local cmdlets (Export-Csv, Out-File)
write a local file, not the tenant. Under ``confirm = "always"`` every state change is confirmed, under
``"destructive"`` only Remove, Delete, Disable and Clear, under ``"never"`` none; read-only refuses every
state change (the session engine, tui.remoting.session_core, so that no face can forget it).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from tui.catalog import Catalog, CmdletInfo
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
DESTRUCTIVE_VERBS = frozenset({"remove", "delete", "disable", "clear"})   # Delete-QuarantineMessage
READ_VERBS = frozenset({"get"})
SHOULD_PROCESS_PARAMETERS = ("WhatIf", "Confirm")
CONFIRM_POLICIES = ("always", "destructive", "never")

# What the rule looks a cmdlet up in: a Catalog, or a lookup such as shipped_catalog.shipped_cmdlet.
Lookup = Catalog | Callable[[str], CmdletInfo | None] | None

_COMMAND_START = re.compile(r"(?:^|[|;\n])\s*(?:\$[\w:]+\s*=\s*)?([A-Za-z]+-[\w]+)")


def changes_state(name: str, catalog: Lookup = None) -> bool:
    """True when the cmdlet ``name`` changes the tenant (the rule in the module docstring)."""
    verb = name.split("-", 1)[0].lower()
    if verb in READ_VERBS:
        return False
    if verb in STATE_CHANGING_VERBS:
        return True
    info = catalog.get(name) if isinstance(catalog, Catalog) else catalog(name) if catalog is not None else None
    return info is not None and any(info.parameter(p) is not None for p in SHOULD_PROCESS_PARAMETERS)


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


def state_changes(line: str, catalog: Lookup = None) -> list[str]:
    """The commands of ``line`` that would change the tenant: not local, not run with ``-WhatIf``."""
    from tui.shell.local_catalog import is_local

    return [name for name, whatif in _commands(line)
            if not whatif and not is_local(name) and changes_state(name, catalog)]


def needs_confirmation(line: str, policy: str, catalog: Lookup = None, *, read_only: bool = False) -> bool:
    """True when ``line`` runs a state-changing cmdlet that ``policy`` says to confirm.

    ``always`` confirms every state change, ``destructive`` only Remove/Delete/Disable/Clear, ``never``
    nothing; a command with ``-WhatIf`` changes nothing and never asks. A ``read_only`` session asks
    nothing either: it refuses every state change (``read_only_refusal``) instead.
    """
    if policy == "never" or read_only:
        return False
    changes = state_changes(line, catalog)
    if policy == "destructive":
        return any(name.split("-", 1)[0].lower() in DESTRUCTIVE_VERBS for name in changes)
    return bool(changes)


def leave_account_read_only(upn: str) -> str:
    """How to leave the read-only mode an account's ``read_only = true`` sets (a refusal's last words)."""
    return f"set read_only = false for {upn} in config.toml"


def read_only_refusal(line: str, catalog: Lookup = None, *, leave: str = "") -> str | None:
    """The message refusing ``line`` in read-only mode, or None when it changes nothing.

    ``leave`` says how to leave read-only where the engineer is (the console's palette entry, the
    ``--read-only`` flag, the account's ``read_only = true``).
    """
    changes = state_changes(line, catalog)
    if not changes:
        return None
    names = list(dict.fromkeys(changes))
    verb = "changes" if len(names) == 1 else "change"
    how = f" To make changes, {leave}." if leave else ""
    return f"Read-only: {', '.join(names)} {verb} the tenant, so exohop did not send this line. Add -WhatIf to preview it.{how}"
