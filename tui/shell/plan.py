"""Split a pipeline into the remote prefix (one PSRP pipeline) and the local suffix.

The Exchange endpoint runs in NoLanguage mode: it accepts a pipeline of its own cmdlets, nothing
else. So the longest prefix of cmdlets the session's catalog knows is sent as ONE pipeline
(``Get-Mailbox -ResultSize 5 | Get-MailboxStatistics`` runs server-side), and what follows runs
here (Select-Object, Where-Object, …). A local command followed by a remote one cannot work: the
plan refuses it and says how to reorder.

``with_remote_select``: when the endpoint runs Select-Object itself (it lists it in its commands, as
Exchange's restricted endpoint does), a local suffix that starts with ``Select-Object`` of plain property
names also sends that Select-Object at the end of the remote pipeline, so only those properties cross
the wire and get parsed. The local Select-Object still runs on what arrives: the records the engineer
sees are the local implementation's (names, order, ``Selected.*`` type names, $null for a missing
property), whatever the server's own formatting of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from tui.catalog import Catalog
from tui.shell.binder import BindError, bind, resolve_command
from tui.shell.bound import BoundCommand
from tui.shell.errors import ShellError
from tui.shell.syntax import Pipeline

__all__ = ["REMOTE_SELECT", "Plan", "PlanError", "plan_pipeline", "projected_properties", "with_remote_select"]

REMOTE_SELECT = "Select-Object"


class PlanError(ShellError):
    """The pipeline cannot be split into a remote prefix and a local suffix."""


@dataclass(frozen=True, slots=True)
class Plan:
    remote: list[BoundCommand] = field(default_factory=list)  # sent as one PSRP pipeline (may be empty)
    local: list[BoundCommand] = field(default_factory=list)   # run by tui.shell.local over the records
    assign_to: str | None = None                               # ``$name = …``: keep the result
    source: str = ""                                           # the statement as typed
    input_variable: str | None = None  # ``$last | …``: the local part reads this variable, no remote part
    projected: tuple[str, ...] = ()    # with_remote_select: the properties the remote Select-Object keeps

    @property
    def is_remote(self) -> bool:
        return bool(self.remote)


def plan_pipeline(pipeline: Pipeline, catalog: Catalog, variables: Mapping[str, Any] | None = None, *,
                  local_catalog: Catalog | None = None) -> Plan:
    """Bind every command and split the pipeline. Raises BindError or PlanError."""
    if (pipeline.input_variable is not None and variables is not None
            and pipeline.input_variable.lower() not in {k.lower() for k in variables}):
        raise BindError(f"The variable '${pipeline.input_variable}' cannot be retrieved because it has "
                            "not been set.", pipeline.column)
    kinds = [resolve_command(c.name, catalog, local_catalog, c.column)[1] for c in pipeline.commands]
    remote: list[BoundCommand] = []
    local: list[BoundCommand] = []
    has_input = pipeline.input_variable is not None
    for index, (command, is_local) in enumerate(zip(pipeline.commands, kinds, strict=True)):
        if not is_local:
            if has_input and index == 0:
                raise PlanError(
                    f"{command.name} runs on the server and cannot read ${pipeline.input_variable}, which "
                    f"lives here. Pass the identities instead, e.g. {command.name} -Identity <name>.",
                    command.column)
            if local:
                first_local = pipeline.commands[kinds.index(True)]
                remote_names = [c.name for c, k in zip(pipeline.commands, kinds, strict=True) if not k]
                local_names = [c.name for c, k in zip(pipeline.commands, kinds, strict=True) if k]
                example = " | ".join(f"{n} …" for n in [*remote_names, *local_names])
                raise PlanError(
                    f"{first_local.name} runs locally; {command.name} after it would have to run on the "
                    f"server. Put remote commands first, e.g. {example}", command.column)
        elif index == 0 and not has_input:
            raise PlanError(f"{command.name} needs input: pipe a command into it, e.g. "
                            f"Get-Mailbox | {command.name} …", command.column)
        bound = bind(command, catalog, variables, pipeline_input=index > 0 or has_input,
                     local_catalog=local_catalog)
        (local if bound.local else remote).append(bound)
    return Plan(remote, local, pipeline.assign_to, pipeline.text, pipeline.input_variable)


# Select-Object parameters whose work the local Select-Object can still do on projected records (they pick
# objects or compare the chosen properties only). -ExpandProperty, -ExcludeProperty and -InputObject are
# not here: they read properties other than -Property's, or another input.
_LOCAL_AFTER_PROJECTION = frozenset(("property", "first", "last", "skip", "skiplast", "unique", "index"))


def projected_properties(command: BoundCommand) -> list[str] | None:
    """The property names of a ``Select-Object`` that may be selected on the server, else None.

    Plain names only: a calculated property (script block, hashtable) needs the whole object here, and
    a wildcard is expanded by the server over the live object's members, which need not be the
    properties its serialized form carries (property serialization sets, type extensions), so the
    local expansion could differ. Names repeated (in any case) are left to the local Select-Object,
    which keeps one, where PowerShell's refuses the second.
    """
    if command.name != REMOTE_SELECT or not command.local:
        return None
    params = {k.lower(): v for k, v in command.parameters.items()}
    if set(params) - _LOCAL_AFTER_PROJECTION:
        return None
    wanted = params.get("property")
    names = wanted if isinstance(wanted, list) else [wanted] if wanted is not None else []
    if not names or not all(isinstance(n, str) and n and not any(c in n for c in "*?[`") for n in names):
        return None
    if len({n.lower() for n in names}) != len(names):
        return None
    return [str(n) for n in names]


def _count(value: Any) -> int | None:
    """A -First/-Skip value that is a plain whole number of 0 or more, else None."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def with_remote_select(plan: Plan, catalog: Catalog) -> Plan:
    """``plan`` with its leading local ``Select-Object Name, …`` also sent as the last remote command, when
    ``catalog`` (the endpoint's imported commands) has Select-Object; else ``plan`` as it is.

    ``-First N`` goes along (as ``-First`` skip+N: the local Select-Object still skips), so the server
    stops by itself; with ``-Last`` or ``-Index`` the local one needs every object, and the server only
    projects.
    """
    if not plan.remote or not plan.local or REMOTE_SELECT not in catalog:
        return plan
    select = plan.local[0]
    names = projected_properties(select)
    if names is None:
        return plan
    params = {k.lower(): v for k, v in select.parameters.items()}
    remote_params: dict[str, Any] = {"Property": names}
    if "first" in params and "last" not in params and "index" not in params:
        first, skip = _count(params["first"]), _count(params.get("skip", 0))
        if first is None or skip is None:
            return plan      # the local Select-Object reports the bad count, before anything is sent
        remote_params["First"] = skip + first
    remote = BoundCommand(name=REMOTE_SELECT, parameters=remote_params, column=select.column, text=select.text)
    return replace(plan, remote=[*plan.remote, remote], projected=tuple(names))
