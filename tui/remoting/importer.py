"""The Import-PSSession step: the tenant's commands through GetCommandMetadata, with progress (the cache
they are kept in: tui.remoting.catalog_cache).

``fetch_catalog`` sends GetCommandMetadata and watches the pipeline's ``output`` list grow as each
Receive arrives (PROTOCOL.md): the first object is the count, so progress reads "n of N commands"
while the data streams in. Parameter detail (sets, positions, mandatory, valid values) comes later, per cmdlet,
from ``Get-Command`` syntax lines (see ``syntax_parse`` and ``DelegatedSession.ensure_detail``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
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
    name = props.get("Name", getattr(meta, "name", None))
    if not isinstance(name, str) or not name or name.lower() in SKIPPED_COMMANDS:
        return None
    params: list[ParameterInfo] = []
    raw = props.get("Parameters", getattr(meta, "parameters", None)) or {}
    for key, pm in (raw.items() if isinstance(raw, dict) else ()):
        p = _props(pm)
        pname = _text(p.get("Name", getattr(pm, "name", None))) or str(key)
        if pname.lower() in DROPPED_COMMON:
            continue
        ptype = short_type(_text(p.get("ParameterType", getattr(pm, "parameter_type", None))))
        switch = bool(p.get("SwitchParameter", getattr(pm, "switch_parameter", False))) or ptype == "SwitchParameter"
        aliases_raw = p.get("Aliases", getattr(pm, "aliases", None)) or []
        aliases = tuple(a for a in aliases_raw if isinstance(a, str)) if isinstance(aliases_raw, list) else ()
        params.append(ParameterInfo(name=pname, type="SwitchParameter" if switch else ptype, switch=switch,
                                    aliases=aliases))
    return CmdletInfo(name=name, parameters=tuple(params))


def catalog_from_metadata(metas: Iterable[Any]) -> Catalog:
    return Catalog(c for m in metas if (c := cmdlet_from_metadata(m)) is not None)


def _count_of(obj: Any) -> int:
    value = _props(obj).get("Count", getattr(obj, "count", None))
    return value if isinstance(value, int) else 0


def _read(output: list[Any]) -> list[Any]:
    """``output`` with the messages that arrived since the last look read (in place, once each)."""
    for i, item in enumerate(output):
        if isinstance(item, RawOutput):
            output[i] = output_value(item, METADATA_TYPES)
    return output


def fetch_catalog(pool: RunspacePool, on_progress: Callable[[ImportProgress], None] | None = None,
                  patterns: Iterable[str] = ("*",), cancel: threading.Event | None = None) -> Catalog:
    """GetCommandMetadata for ``patterns``, with "n of N commands" progress as each Receive arrives.

    This is ``RunspacePool.get_command_metadata`` driven step by step: the same message through the
    same private entry (``pypsrp_compat.invoke_message``), then public ``poll_invoke``
    calls whose ``output`` growth gives the progress. The objects are read as they arrive: into Records
    by ``tui.remoting.clixml`` on a session's (deferring) pool, else in pypsrp's generic form (either
    spares get_command_metadata's second deserialization of every command). Raises what pypsrp raised
    (the caller maps it). When ``cancel`` is set, the pipeline is stopped and what arrived so far is
    returned.
    """
    message = GetCommandMetadata(list(patterns), CommandType.ALL, None, None)
    ps = PowerShell(pool)
    invoke_message(ps, message)
    reported = (-1, -1)
    stopped = False
    try:
        while ps.state == PSInvocationState.RUNNING:
            if cancel is not None and cancel.is_set() and not stopped:
                stopped = True
                pool.shell.signal(SignalCode.PS_CTRL_C, str(ps.id).upper())
            ps.poll_invoke()
            output = _read(ps.output)
            if on_progress is not None and output:
                total = _count_of(output[0])
                done = max(0, len(output) - 1)
                if (done, total) != reported:
                    reported = (done, total)
                    on_progress(ImportProgress(done=done, total=total))
    finally:
        pool.pipelines.pop(ps.id, None)
    metas = _read(ps.output)[1:]
    if ps.state == PSInvocationState.FAILED:
        reason = "; ".join(str(e) for e in ps.streams.error) or "the server failed the request"
        raise RuntimeError(f"GetCommandMetadata failed: {reason}")
    catalog = catalog_from_metadata(metas)
    if on_progress is not None:
        total = max(len(metas), reported[1])
        if (len(metas), total) != reported:
            on_progress(ImportProgress(done=len(metas), total=total))
    return catalog
