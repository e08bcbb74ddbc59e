"""The Import-PSSession step: the tenant's commands through GetCommandMetadata, with progress (the cache
they are kept in: tui.remoting.catalog_cache).

``fetch_catalog`` sends GetCommandMetadata and watches the pipeline's ``output`` list grow as each
Receive arrives (PROTOCOL.md): the first object is the count, so progress reads "n of N commands"
while the data streams in. The commands that arrived are read on a thread of their own while the next
Receive is on the wire (``_Reader``), so reading them costs little more than the wait it fills.
Parameter detail (sets, positions, mandatory, valid values) comes later, per cmdlet, from
``Get-Command`` syntax lines (see ``syntax_parse`` and ``DelegatedSession.ensure_detail``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from functools import lru_cache
from typing import Any

from pypsrp.complex_objects import CommandType, PSInvocationState
from pypsrp.messages import GetCommandMetadata
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.shell import SignalCode

from tui.catalog import Catalog, CmdletInfo, ParameterInfo
from tui.remoting.catalog_cache import CatalogCache as CatalogCache  # its home before the REST door came
from tui.remoting.events import ImportProgress
from tui.remoting.pypsrp_compat import RawOutput, invoke_message
from tui.remoting.values import output_value
from tui.shell.records import Record

log = logging.getLogger(__name__)

# Import-PSSession leaves these out: they run locally (PROTOCOL.md). Select-Object is kept: that the
# endpoint lists it is what lets a session send ``Select-Object Name, …`` in its remote pipeline
# (tui.shell.plan.with_remote_select); the binder still binds it against the local catalog.
SKIPPED_COMMANDS = frozenset(n.lower() for n in (
    "Get-Command", "Get-FormatData", "Get-Help", "Measure-Object", "Exit-PSSession", "Out-Default"))
# Common parameters every cmdlet takes; they only clutter completion (ErrorAction/WarningAction are kept).
DROPPED_COMMON = frozenset(n.lower() for n in (
    "Verbose", "Debug", "ErrorVariable", "WarningVariable", "OutVariable", "OutBuffer", "PipelineVariable",
    "InformationAction", "InformationVariable"))
# Read as plain properties where pypsrp has classes of its own (the count, each parameter's metadata).
METADATA_TYPES = frozenset(("Selected.Microsoft.PowerShell.Commands.GenericMeasureInfo",
                            "System.Management.Automation.ParameterMetadata"))


@lru_cache(maxsize=4096)   # a catalog's 6,900 parameters have a few hundred types
def short_type(type_name: str | None) -> str:
    """``Microsoft.Exchange….MailboxIdParameter`` → ``MailboxIdParameter``; generics unwrapped."""
    text = (type_name or "").strip()
    if not text:
        return "Object"
    if "`" in text:   # System.Nullable`1[[System.Boolean, mscorlib, …]] → Boolean; Unlimited`1[[…]] → Unlimited
        generic = text.split("`", 1)[0]
        if generic.endswith("Nullable") and "[[" in text:
            return short_type(text.split("[[", 1)[1].split(",", 1)[0].split("]", 1)[0])
        return short_type(generic)
    suffix = ""
    while text.endswith("[]"):
        suffix += "[]"
        text = text[:-2]
    return text.rsplit(".", 1)[-1].rsplit("+", 1)[-1] + suffix


_ABSENT = object()


def _prop(props: dict[str, Any], obj: Any, key: str, attr: str, default: Any = None) -> Any:
    """``props[key]``, else pypsrp's typed attribute (looked up only then: most objects are Records)."""
    value = props.get(key, _ABSENT)
    return getattr(obj, attr, default) if value is _ABSENT else value


def _props(obj: Any) -> dict[str, Any]:
    """Adapted then extended properties of a Record, a generic deserialized object (or a typed pypsrp one)."""
    if isinstance(obj, Record):
        return obj.properties
    merged: dict[str, Any] = {}
    for attr in ("adapted_properties", "extended_properties"):
        value = getattr(obj, attr, None)
        if isinstance(value, dict):
            for k, v in value.items():
                merged.setdefault(k, v)
    return merged


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    to_string = getattr(value, "to_string", None)
    return to_string if isinstance(to_string, str) else str(value)


def cmdlet_from_metadata(meta: Any) -> CmdletInfo | None:
    """One CommandMetadata (a Record, a generic deserialized object, or pypsrp's typed one) → CmdletInfo.

    None for the commands Import-PSSession skips (they run locally).
    """
    props = _props(meta)
    name = _prop(props, meta, "Name", "name")
    if not isinstance(name, str) or not name or name.lower() in SKIPPED_COMMANDS:
        return None
    params: list[ParameterInfo] = []
    raw = _prop(props, meta, "Parameters", "parameters") or {}
    for key, pm in (raw.items() if isinstance(raw, dict) else ()):
        p = _props(pm)
        pname = _text(_prop(p, pm, "Name", "name")) or str(key)
        if pname.lower() in DROPPED_COMMON:
            continue
        ptype = short_type(_text(_prop(p, pm, "ParameterType", "parameter_type")))
        switch = bool(_prop(p, pm, "SwitchParameter", "switch_parameter", False)) or ptype == "SwitchParameter"
        aliases_raw = _prop(p, pm, "Aliases", "aliases") or []
        aliases = tuple(a for a in aliases_raw if isinstance(a, str)) if isinstance(aliases_raw, list) else ()
        params.append(ParameterInfo(name=pname, type="SwitchParameter" if switch else ptype, switch=switch,
                                    aliases=aliases))
    return CmdletInfo(name=name, parameters=tuple(params))


def catalog_from_metadata(metas: Iterable[Any]) -> Catalog:
    return Catalog(c for m in metas if (c := cmdlet_from_metadata(m)) is not None)


def _count_of(obj: Any) -> int:
    value = _props(obj).get("Count", getattr(obj, "count", None))
    return value if isinstance(value, int) else 0


def _value(item: Any) -> Any:
    return output_value(item, METADATA_TYPES) if isinstance(item, RawOutput) else item


def _cmdlets(metas: list[Any]) -> list[CmdletInfo | None]:
    return [cmdlet_from_metadata(_value(m)) for m in metas]


class _Reader:
    """The pipeline's output read as it grows: the count at once (it is the progress's N), the commands
    on one thread of their own, in order, while the main thread waits for the next Receive (reading
    Python objects and waiting on a socket overlap; two readings would not)."""

    def __init__(self) -> None:
        self.total = 0                 # the count the server announced
        self.arrived = 0               # command objects received so far
        self._taken = 0
        self._parts: list[Future[list[CmdletInfo | None]]] = []
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="exohop-import-read")

    def take(self, output: list[Any]) -> None:
        """Hand over what arrived since the last look; raises what reading an earlier part raised."""
        if self._taken == 0 and output:
            self.total = _count_of(_value(output[0]))
            self._taken = 1
        if len(output) > self._taken:
            self._parts.append(self._thread.submit(_cmdlets, output[self._taken:]))
            self._taken = len(output)
            self.arrived = self._taken - 1
        for part in self._parts:
            if part.done():
                part.result()          # raises the reading's error now, not after the last Receive

    def cmdlets(self) -> list[CmdletInfo | None]:
        """Every command read (None for those Import-PSSession skips), once the last part is."""
        return [c for part in self._parts for c in part.result()]

    def close(self) -> None:
        self._thread.shutdown(wait=False, cancel_futures=True)


def fetch_catalog(pool: RunspacePool, on_progress: Callable[[ImportProgress], None] | None = None,
                  patterns: Iterable[str] = ("*",), cancel: threading.Event | None = None) -> Catalog:
    """GetCommandMetadata for ``patterns``, with "n of N commands" progress as each Receive arrives.

    This is ``RunspacePool.get_command_metadata`` driven step by step: the same message through the
    same private entry (``pypsrp_compat.invoke_message``), then public ``poll_invoke``
    calls whose ``output`` growth gives the progress. The objects are read as they arrive (``_Reader``):
    into Records by ``tui.remoting.clixml`` on a session's (deferring) pool, else in pypsrp's generic form
    (either spares get_command_metadata's second deserialization of every command). Raises what pypsrp
    raised (the caller maps it). When ``cancel`` is set, the pipeline is stopped and what arrived so far is
    returned.
    """
    message = GetCommandMetadata(list(patterns), CommandType.ALL, None, None)
    ps = PowerShell(pool)
    invoke_message(ps, message)
    reported = (-1, -1)
    stopped = False
    reader = _Reader()
    try:
        while ps.state == PSInvocationState.RUNNING:
            if cancel is not None and cancel.is_set() and not stopped:
                stopped = True
                pool.shell.signal(SignalCode.PS_CTRL_C, str(ps.id).upper())
            ps.poll_invoke()
            reader.take(ps.output)
            if on_progress is not None and ps.output and (reader.arrived, reader.total) != reported:
                reported = (reader.arrived, reader.total)
                on_progress(ImportProgress(done=reader.arrived, total=reader.total))
        cmdlets = reader.cmdlets()
    finally:
        pool.pipelines.pop(ps.id, None)
        reader.close()
    if ps.state == PSInvocationState.FAILED:
        reason = "; ".join(str(e) for e in ps.streams.error) or "the server failed the request"
        raise RuntimeError(f"GetCommandMetadata failed: {reason}")
    catalog = Catalog(c for c in cmdlets if c is not None)
    if on_progress is not None:
        total = max(len(cmdlets), reported[1])
        if (len(cmdlets), total) != reported:
            on_progress(ImportProgress(done=len(cmdlets), total=total))
    return catalog
