"""The simulator's engine: runs a pipeline of cmdlets over a tenant's data. Pure: no sockets.

``SimEngine.run`` binds every command first (binding errors fail the whole pipeline before any
output, as in PowerShell), then streams: each object the first command yields is bound to the
next command's pipeline parameters and processed at once, and the last command's objects go to
``ctx.output`` as they are produced.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from tui.catalog import Catalog, CmdletInfo
from tui.sim.binding import Bound, bind_arguments, bind_input
from tui.sim.builtin_catalog import builtin_catalog, modeled_names
from tui.sim.cmdlets import load_behaviours
from tui.sim.cmdlets.base import BEHAVIOURS, Behaviour, Invocation, wildcard
from tui.sim.data import TenantData, TenantStore
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

    def __init__(self, mailboxes: int = 50, extra_catalog: Catalog | None = None) -> None:
        load_behaviours()
        base = builtin_catalog()
        self.catalog: Catalog = base
        if extra_catalog is not None:
            # Extra cmdlets add to the catalog and replace synthetic ones; a modeled cmdlet keeps its own
            # definition, because its behaviour is written against those parameters.
            modeled = modeled_names()
            self.catalog = Catalog([*base, *(c for c in extra_catalog if c.name.lower() not in modeled)])
        self.store = TenantStore(mailboxes)

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
            ctx: RunContext) -> None:
        """Run one pipeline. Raises CmdletError (terminating) or PipelineStopped."""
        if not commands:
            return
        data = self.tenant_data(tenant)
        stages: list[tuple[CmdletInfo, Bound]] = []
        for i, (name, args) in enumerate(commands):
            info = self.catalog.get(name)
            if info is None:
                raise command_not_found(name)
            stages.append((info, bind_arguments(info, list(args), expect_input=i > 0)))
        info, bound = stages[0]
        stream: Iterable[SimObject] = self._call(Invocation(self, data, ctx, info, bound))
        for info, bound in stages[1:]:
            stream = self._downstream(data, ctx, info, bound, stream)
        for obj in stream:
            ctx.check_stopped()
            ctx.output(obj)

    def _downstream(self, data: TenantData, ctx: RunContext, info: CmdletInfo, bound: Bound,
                    upstream: Iterable[SimObject]) -> Iterator[SimObject]:
        behaviour = self.behaviour(info.name)
        for obj in upstream:
            ctx.check_stopped()
            inv = Invocation(self, data, ctx, info, bound, from_pipeline=True)
            try:
                inv.bound = bind_input(bound, obj)
                yield from self._call(inv, behaviour)
            except CmdletError as err:
                if err.error_id.startswith(("InputObjectNotBound", "ParameterArgumentTransformationError",
                                            "CannotConvertArgument")) or not _binding(err):
                    inv.error(err)  # one input object failed; PowerShell goes on with the next
                else:
                    raise

    def _call(self, inv: Invocation, behaviour: Behaviour | None = None) -> Iterator[SimObject]:
        """Run one behaviour, with Exchange's -Verbose begin/end lines around it."""
        verbose = bool(inv.bound.common.get("Verbose"))
        if verbose:
            inv.verbose(f"[{_clock()}] {inv.info.name} : Beginning processing &")
        try:
            yield from (behaviour or self.behaviour(inv.info.name))(inv)
        except CmdletError as err:
            # -ErrorAction SilentlyContinue hides an object error (not found …), not a binding error.
            if _binding(err) or inv.bound.common.get("ErrorAction") not in ("SilentlyContinue", "Ignore"):
                raise
            return
        if verbose:
            inv.verbose(f"[{_clock()}] {inv.info.name} : Ending processing &")


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
