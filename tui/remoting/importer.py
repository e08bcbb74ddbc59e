"""The Import-PSSession step: the tenant's commands through GetCommandMetadata, with progress; the cache.

``fetch_catalog`` runs pypsrp's public ``RunspacePool.get_command_metadata`` on a helper thread and,
meanwhile, watches the pipeline's ``output`` list grow as each Receive arrives (PROTOCOL.md): the first
object is the count, so progress reads "n of N commands" while the data streams in, with no private
pypsrp call. Parameter detail (sets, positions, mandatory, valid values) comes later, per cmdlet,
from ``Get-Command`` syntax lines (see ``syntax_parse`` and ``DelegatedSession.ensure_detail``).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from pypsrp.powershell import RunspacePool

from tui import catalog as catalog_io
from tui.catalog import Catalog, CatalogError, CmdletInfo, ParameterInfo
from tui.remoting.events import ImportProgress

log = logging.getLogger(__name__)

# Import-PSSession leaves these out: they run locally (PROTOCOL.md).
SKIPPED_COMMANDS = frozenset(n.lower() for n in (
    "Get-Command", "Get-FormatData", "Get-Help", "Select-Object", "Measure-Object", "Exit-PSSession",
    "Out-Default"))
# Common parameters every cmdlet takes; they only clutter completion (ErrorAction/WarningAction are kept).
DROPPED_COMMON = frozenset(n.lower() for n in (
    "Verbose", "Debug", "ErrorVariable", "WarningVariable", "OutVariable", "OutBuffer", "PipelineVariable",
    "InformationAction", "InformationVariable"))

CACHE_VERSION = 1
POLL_S = 0.02


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


def cmdlet_from_metadata(meta: Any) -> CmdletInfo | None:
    """One pypsrp CommandMetadata → CmdletInfo (None for the commands Import-PSSession skips)."""
    name = getattr(meta, "name", None)
    if not isinstance(name, str) or not name or name.lower() in SKIPPED_COMMANDS:
        return None
    params: list[ParameterInfo] = []
    raw = getattr(meta, "parameters", None) or {}
    for key, pm in raw.items():
        pname = getattr(pm, "name", None) or str(key)
        if pname.lower() in DROPPED_COMMON:
            continue
        ptype = short_type(getattr(pm, "parameter_type", None))
        switch = bool(getattr(pm, "switch_parameter", False)) or ptype == "SwitchParameter"
        aliases = tuple(a for a in (getattr(pm, "aliases", None) or []) if isinstance(a, str))
        params.append(ParameterInfo(name=pname, type="SwitchParameter" if switch else ptype, switch=switch,
                                    aliases=aliases))
    return CmdletInfo(name=name, parameters=tuple(params))


def catalog_from_metadata(metas: Iterable[Any]) -> Catalog:
    return Catalog(c for m in metas if (c := cmdlet_from_metadata(m)) is not None)


def _count_of(obj: Any) -> int:
    for attr in ("extended_properties", "adapted_properties"):
        props = getattr(obj, attr, None) or {}
        value = props.get("Count")
        if isinstance(value, int):
            return value
    value = getattr(obj, "count", None)
    return value if isinstance(value, int) else 0


def fetch_catalog(pool: RunspacePool, on_progress: Callable[[ImportProgress], None] | None = None,
                  patterns: Iterable[str] = ("*",), cancel: threading.Event | None = None) -> Catalog:
    """GetCommandMetadata for ``patterns`` with "n of N commands" progress as the data arrives.

    Blocks until the import is complete; raises what pypsrp raised (the caller maps it). When
    ``cancel`` is set, the metadata pipeline is stopped and the partial result returned.
    """
    before = set(pool.pipelines)
    result: dict[str, Any] = {}

    def work() -> None:
        try:
            result["metas"] = pool.get_command_metadata(list(patterns))
        except BaseException as exc:   # re-raised on the caller's thread
            result["error"] = exc

    worker = threading.Thread(target=work, name="exohop-import", daemon=True)
    worker.start()
    reported = (-1, -1)
    pipeline: Any = None
    while worker.is_alive():
        worker.join(POLL_S)
        if pipeline is None:
            fresh = [p for k, p in list(pool.pipelines.items()) if k not in before]
            pipeline = fresh[0] if fresh else None
        if pipeline is None:
            continue
        if cancel is not None and cancel.is_set():
            try:
                pipeline.stop()
            except Exception as exc:   # already done, or the connection failed: the worker reports it
                log.debug("stopping the metadata pipeline: %s", type(exc).__name__)
            cancel = None
        output = pipeline.output
        if on_progress is not None and output:
            total = _count_of(output[0])
            done = max(0, len(output) - 1)
            if (done, total) != reported:
                reported = (done, total)
                on_progress(ImportProgress(done=done, total=total))
    if "error" in result:
        raise result["error"]
    metas = result.get("metas", [])
    catalog = catalog_from_metadata(metas)
    if on_progress is not None:
        on_progress(ImportProgress(done=len(metas), total=max(len(metas), reported[1])))
    return catalog


class CatalogCache:
    """One JSON catalog per endpoint + account + tenant under ``<cache_dir>/catalogs``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory / "catalogs"

    def path_for(self, endpoint: str, upn: str, domain: str) -> Path:
        key = "\n".join((endpoint.rstrip("/").lower(), upn.lower(), domain.lower()))
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
        return self.directory / f"v{CACHE_VERSION}-{digest}.json"

    def load(self, endpoint: str, upn: str, domain: str) -> Catalog | None:
        """The cached catalog, or None when absent, corrupt or empty (a corrupt file is ignored)."""
        path = self.path_for(endpoint, upn, domain)
        try:
            cat = catalog_io.load(path)
        except FileNotFoundError:
            return None
        except (CatalogError, OSError, ValueError, TypeError) as exc:
            log.warning("ignoring a corrupt catalog cache %s: %s", path.name, type(exc).__name__)
            return None
        return cat if len(cat) else None

    def save(self, endpoint: str, upn: str, domain: str, catalog: Catalog) -> Path:
        path = self.path_for(endpoint, upn, domain)
        catalog_io.save(catalog, path)
        return path


def wait_until(predicate: Callable[[], bool], timeout_s: float, step_s: float = 0.01) -> bool:
    """Poll ``predicate`` until true or ``timeout_s`` passed (for background refresh joins in tests)."""
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(step_s)
    return predicate()
