"""Split a pipeline into the remote prefix (one PSRP pipeline) and the local suffix.

The Exchange endpoint runs in NoLanguage mode: it accepts a pipeline of its own cmdlets, nothing
else. So the longest prefix of cmdlets the session's catalog knows is sent as ONE pipeline
(``Get-Mailbox -ResultSize 5 | Get-MailboxStatistics`` runs server-side), and what follows runs
here (Select-Object, Where-Object, …). A local command followed by a remote one cannot work: the
plan refuses it and says how to reorder.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tui.catalog import Catalog
from tui.shell.binder import BindError, bind, resolve_command
from tui.shell.bound import BoundCommand
from tui.shell.errors import ShellError
from tui.shell.syntax import Pipeline

__all__ = ["Plan", "PlanError", "plan_pipeline"]


class PlanError(ShellError):
    """The pipeline cannot be split into a remote prefix and a local suffix."""


@dataclass(frozen=True, slots=True)
class Plan:
    remote: list[BoundCommand] = field(default_factory=list)  # sent as one PSRP pipeline (may be empty)
    local: list[BoundCommand] = field(default_factory=list)   # run by tui.shell.local over the records
    assign_to: str | None = None                               # ``$name = …``: keep the result
    source: str = ""                                           # the statement as typed
    input_variable: str | None = None  # ``$last | …``: the local part reads this variable, no remote part

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
