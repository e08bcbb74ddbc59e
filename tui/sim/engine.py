"""The simulator's engine: runs a pipeline of cmdlets over a tenant's data. Pure: no sockets.

``SimEngine.run`` binds every command first (binding errors fail the whole pipeline before any
output, as in PowerShell), then streams: each object the first command yields is bound to the
next command's pipeline parameters and processed at once, and the last command's objects go to
``ctx.output`` as they are produced. Objects the client sends as pipeline input (PSRP
PIPELINE_INPUT: ``'alias' | Get-Mailbox``) reach the first command the same way.

Errors: a cmdlet's non-terminating error (``terminating=False``: Exchange's "couldn't be found") is
written and the pipeline goes on with the next input object; ``-ErrorAction Stop`` makes it
terminating, ``SilentlyContinue``/``Ignore`` drop it (``Invocation.error``). Terminating errors end
the pipeline whatever -ErrorAction says, as PowerShell's ThrowTerminatingError does.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from tui.catalog import Catalog, CmdletInfo
from tui.sim.binding import Bound, bind_arguments, bind_input
from tui.sim.builtin_catalog import builtin_catalog, modeled_names
from tui.sim.cmdlets import load_behaviours
from tui.sim.cmdlets.base import BEHAVIOURS, STREAM_BEHAVIOURS, Behaviour, Invocation, wildcard
from tui.sim.data import TENANTS, SimTenant, TenantData, TenantStore
from tui.sim.model import CmdletError, RunContext, SimObject


def command_not_found(name: str) -> CmdletError:
    return CmdletError(
        f"The term '{name}' is not recognized as the name of a cmdlet, function, script file, or operable program. "
        "Check the spelling of the name, or if a path was included, verify that the path is correct and try again.",
        category="ObjectNotFound", error_id="CommandNotFoundException",
        exception_type="System.Management.Automation.CommandNotFoundException", target=name)


def no_behaviour(inv: Invocation) -> Iterator[SimObject]:
    """Catalog cmdlets the simulator does not model: bound normally, no output, one warning."""
    inv.warning(f"The Exchange Online simulator has no behaviour for {inv.info.name}; the command was accepted "
                "but did nothing.")
    return iter(())


class SimEngine:
    """Tenants' data + catalog + behaviours. Thread-safe: runs from many shells share the data."""

    def __init__(self, mailboxes: int = 50, extra_catalog: Catalog | None = None,
                 tenants: Sequence[SimTenant] = TENANTS) -> None:
        load_behaviours()
        base = builtin_catalog()
        self.catalog: Catalog = base
        if extra_catalog is not None:
            # Extra cmdlets add to the catalog and replace synthetic ones; a modeled cmdlet keeps its own
            # definition, because its behaviour is written against those parameters.
            modeled = modeled_names()
            self.catalog = Catalog([*base, *(c for c in extra_catalog if c.name.lower() not in modeled)])
        self.store = TenantStore(mailboxes, tenants=tenants)

    # -- metadata --------------------------------------------------------------------------------

    def command_metadata(self, patterns: Sequence[str]) -> list[CmdletInfo]:
        """Cmdlets whose names match any wildcard pattern (``*``, ``?``; case-insensitive), sorted."""
        return match_commands(self.catalog, patterns)

    def behaviour(self, name: str) -> Behaviour:
        return BEHAVIOURS.get(name.lower(), no_behaviour)

    def tenant_data(self, tenant: str) -> TenantData:
        data = self.store.get(tenant)
        if data is None:
            raise CmdletError(f"The organization '{tenant}' couldn't be found.", category="ObjectNotFound",
                              error_id="ManagementObjectNotFoundException",
                              exception_type="Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException",
                              target=tenant)
        return data

    # -- running ---------------------------------------------------------------------------------

    def run(self, tenant: str, commands: Sequence[tuple[str, Sequence[tuple[str | None, Any]]]],
            ctx: RunContext, pipeline_input: Iterable[Any] | None = None) -> None:
        """Run one pipeline (``pipeline_input``: the client's input objects for its first command).
        Raises CmdletError (terminating) or PipelineStopped."""
        if not commands:
            return
        data = self.tenant_data(tenant)
        stages: list[tuple[CmdletInfo, Bound]] = []
        for i, (name, args) in enumerate(commands):
            info = self.catalog.get(name)
            if info is None:
                raise command_not_found(name)
            try:
                bound = bind_arguments(info, list(args), expect_input=i > 0 or pipeline_input is not None)
            except CmdletError as err:
                raise err.arose_in(info.name, i + 1, len(commands), {}) from None
            stages.append((info, bound))
        length = len(stages)
        stream: Iterable[Any] | None = pipeline_input
        for position, (info, bound) in enumerate(stages, start=1):
            if stream is None:
                stream = self._call(Invocation(self, data, ctx, info, bound, position=position, length=length))
            else:
                stream = self._downstream(data, ctx, info, bound, stream, position, length)
        assert stream is not None
        for obj in stream:
            ctx.check_stopped()
            ctx.output(obj)

    def _downstream(self, data: TenantData, ctx: RunContext, info: CmdletInfo, bound: Bound,
                    upstream: Iterable[Any], position: int, length: int) -> Iterator[Any]:
        stream_behaviour = STREAM_BEHAVIOURS.get(info.name.lower())
        if stream_behaviour is not None:
            # Select-Object, Measure-Object …: one call sees the whole input (-Last, counts, sums).
            inv = Invocation(self, data, ctx, info, bound, from_pipeline=True, position=position, length=length)
            yield from self._call(inv, lambda i: stream_behaviour(i, _checked(ctx, upstream)))
            return
        behaviour = self.behaviour(info.name)
        for obj in upstream:
            ctx.check_stopped()
            inv = Invocation(self, data, ctx, info, bound, from_pipeline=True, position=position, length=length)
            try:
                inv.bound = bind_input(bound, obj)
            except CmdletError as err:
                inv.error(err)      # this input object could not be bound; PowerShell goes on with the next
                continue
            yield from self._call(inv, behaviour)

    def _call(self, inv: Invocation, behaviour: Behaviour | None = None) -> Iterator[Any]:
        """Run one behaviour, with Exchange's -Verbose begin/end lines around it."""
        verbose = bool(inv.bound.common.get("Verbose"))
        if verbose:
            inv.verbose(f"[{_clock()}] {inv.info.name} : Beginning processing &")
        try:
            yield from (behaviour or self.behaviour(inv.info.name))(inv)
        except CmdletError as err:
            inv.located(err)
            if err.terminating or _binding(err):
                raise
            inv.error(err)           # written (or dropped, or made terminating) as -ErrorAction says
            return
        if verbose:
            inv.verbose(f"[{_clock()}] {inv.info.name} : Ending processing &")


def _checked(ctx: RunContext, items: Iterable[Any]) -> Iterator[Any]:
    for item in items:
        ctx.check_stopped()
        yield item


def _clock() -> str:
    now = datetime.now(UTC)
    return f"{now:%H:%M:%S}.{now.microsecond // 1000:03d} GMT"


def _binding(err: CmdletError) -> bool:
    return err.exception_type.endswith("ParameterBindingException")


def match_commands(catalog: Catalog, patterns: Sequence[str]) -> list[CmdletInfo]:
    if not patterns:
        return list(catalog)
    regexes = [wildcard(p) for p in patterns if p]
    return [c for c in catalog if any(rx.fullmatch(c.name) for rx in regexes)]
