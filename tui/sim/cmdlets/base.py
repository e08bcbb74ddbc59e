"""What every modeled cmdlet shares: the invocation it runs with, the registry, and common helpers.

A behaviour is a generator ``(inv: Invocation) -> Iterator[SimObject]`` registered with ``@cmdlet``.
It runs once per command (no pipeline input) or once per pipeline input object, yields objects as
it produces them and calls ``inv.check()`` in its loops so a stop signal ends it at once. A stream
behaviour (``@stream_cmdlet``: Select-Object, Measure-Object) is called once with the whole input.
"""

from __future__ import annotations

import fnmatch
import hashlib
import re
import uuid
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tui.catalog import CmdletInfo
from tui.sim.binding import UNLIMITED, Bound
from tui.sim.data import MailboxRec, TenantData
from tui.sim.model import CmdletError, PipelineStopped, RunContext, SimObject
from tui.sim.opath import compile_filter

if TYPE_CHECKING:
    from tui.sim.engine import SimEngine

Behaviour = Callable[["Invocation"], Iterable[Any]]
StreamBehaviour = Callable[["Invocation", Iterable[Any]], Iterable[Any]]
BEHAVIOURS: dict[str, Behaviour] = {}
STREAM_BEHAVIOURS: dict[str, StreamBehaviour] = {}

DEFAULT_RESULT_SIZE = 1000
DEFAULT_SIZE_WARNING = (
    "By default, only the first 1000 items are returned. Use the ResultSize parameter to specify the number of "
    "items returned. To return all items, specify \"-ResultSize Unlimited\". Be aware that, depending on the "
    "actual number of items, returning all items can take a long time and consume a large amount of memory. "
    "Also, we don't recommend storing the results in a variable. Instead, pipe the results to another task or "
    "script to perform batch changes.")
MORE_RESULTS_WARNING = "There are more results available than currently displayed."


def cmdlet(*names: str) -> Callable[[Behaviour], Behaviour]:
    """Register a behaviour for one or more cmdlet names."""
    def register(fn: Behaviour) -> Behaviour:
        for name in names:
            BEHAVIOURS[name.lower()] = fn
        return fn
    return register


def stream_cmdlet(name: str) -> Callable[[StreamBehaviour], StreamBehaviour]:
    """Register a behaviour that takes the command's whole pipeline input at once."""
    def register(fn: StreamBehaviour) -> StreamBehaviour:
        STREAM_BEHAVIOURS[name.lower()] = fn
        BEHAVIOURS[name.lower()] = lambda inv: fn(inv, [inv.get("InputObject")] if inv.has("InputObject") else [])
        return fn
    return register


@dataclass(slots=True)
class Invocation:
    engine: SimEngine
    data: TenantData
    ctx: RunContext
    info: CmdletInfo
    bound: Bound
    from_pipeline: bool = False
    position: int = 1            # this command's place in its pipeline (InvocationInfo.PipelinePosition)
    length: int = 1

    # -- parameters ------------------------------------------------------------------------------

    def get(self, name: str, default: Any = None) -> Any:
        return self.bound.values.get(name, default)

    def has(self, name: str) -> bool:
        return name in self.bound.values

    # -- streams ---------------------------------------------------------------------------------

    def check(self) -> None:
        self.ctx.check_stopped()

    def warning(self, text: str) -> None:
        if self.bound.common.get("WarningAction") not in ("SilentlyContinue", "Ignore"):
            self.ctx.warning(text)

    def verbose(self, text: str) -> None:
        if self.bound.common.get("Verbose"):
            self.ctx.verbose(text)

    def progress(self, activity: str, status: str, percent: int, completed: bool = False) -> None:
        # One record id per activity, so a pipeline's cmdlets show separate progress bars.
        self.ctx.progress(activity, status, percent, zlib.crc32(activity.encode()) & 0x7FFF, completed)

    def located(self, err: CmdletError) -> CmdletError:
        """``err`` marked as this command's (its Activity and InvocationInfo)."""
        return err.arose_in(self.info.name, self.position, self.length, self.bound.values)

    def error(self, err: CmdletError) -> None:
        """A non-terminating error, honouring -ErrorAction (Stop makes it terminating)."""
        self.located(err)
        action = self.bound.common.get("ErrorAction")
        if action == "Stop":
            err.terminating = True
            raise err
        if action in ("SilentlyContinue", "Ignore"):
            return
        err.terminating = False
        self.ctx.error(err)

    def should_process(self, what_if: str) -> bool:
        """False (after saying what would happen) when -WhatIf is set; True to go ahead."""
        if self.get("WhatIf"):
            self.ctx.warning(f"What if: {what_if}")
            return False
        return True

    # -- errors ----------------------------------------------------------------------------------

    def not_found(self, identity: str) -> CmdletError:
        return not_found_error(self.data, self.info.name, identity)

    # -- result size -----------------------------------------------------------------------------

    def limited(self, items: Iterable[SimObject], default: int | None = DEFAULT_RESULT_SIZE,
                param: str = "ResultSize") -> Iterator[SimObject]:
        """Yield up to -ResultSize objects, warning as Exchange does when results are cut."""
        explicit = self.has(param)
        size = self.get(param, default)
        limit = None if size == UNLIMITED or size is None else int(size)
        for count, obj in enumerate(items):
            self.check()
            if limit is not None and count >= limit:
                self.warning(MORE_RESULTS_WARNING if explicit else DEFAULT_SIZE_WARNING)
                return
            yield obj

    def filtered(self, items: Iterable[SimObject]) -> Iterator[SimObject]:
        """Apply -Filter (OPATH) and then -SortBy (ascending, as Exchange sorts) when given."""
        text = self.get("Filter")
        sort_by = self.get("SortBy")
        if text:
            predicate = compile_filter(text, self.info.name)
            items = (obj for obj in items if predicate(obj))
        if not sort_by:
            for obj in items:
                self.check()
                yield obj
            return
        collected = []
        for obj in items:
            self.check()
            collected.append(obj)
        if collected and not collected[0].has(sort_by):
            raise CmdletError(f"The value \"{sort_by}\" of the SortBy parameter isn't a property that can be sorted "
                              "on.", category="InvalidArgument", error_id=f"InvalidSortProperty,{self.info.name}",
                              exception_type="System.ArgumentException", target=sort_by)
        collected.sort(key=lambda o: _sort_key(o.get(sort_by)))
        yield from collected


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, "")
    if isinstance(value, bool | int | float):
        return (1, value)
    return (2, str(value).lower())


def service_error_id(data: TenantData, failure: str, cmdlet_name: str, target: str) -> str:
    """Exchange Online's FullyQualifiedErrorId: ``[Server=…,RequestId=…,TimeStamp=…] [FailureCategory=Cmdlet-X] …``."""
    now = datetime.now(UTC)
    request_id = uuid.uuid5(uuid.NAMESPACE_URL, f"{data.tenant.domain}|{target}|{now.timestamp()}")
    return (f"[Server={data.mailbox_server},RequestId={request_id},TimeStamp={now:%a, %d %b %Y %H:%M:%S} GMT] "
            f"[FailureCategory=Cmdlet-{failure}] {_hash8(cmdlet_name + failure)},{_task_name(cmdlet_name)}")


def _identity_error(data: TenantData, cmdlet_name: str, identity: str, failure: str, message: str) -> CmdletError:
    """Exchange's object errors are non-terminating: the record is written and the pipeline goes on with
    the next input object (``Import-Csv … | Get-Mailbox`` reports each missing user and returns the rest;
    ``try { Get-Mailbox nosuch } catch {}`` catches nothing without ``-ErrorAction Stop``, the standing
    advice for Exchange Online scripts; ``-ErrorAction SilentlyContinue`` silences it, which a terminating
    error would ignore). The CategoryInfo names no target: the service shows
    ``NotSpecified: (:) [Get-Mailbox], ManagementObjectNotFoundException``."""
    return CmdletError(message, category="NotSpecified",
                       error_id=service_error_id(data, failure, cmdlet_name, identity),
                       exception_type=f"Microsoft.Exchange.Configuration.Tasks.{failure}", target=identity,
                       terminating=False, category_target="")


def not_found_error(data: TenantData, cmdlet_name: str, identity: str, message: str | None = None) -> CmdletError:
    """``message``: the service's wording where it differs from the directory's (folder ids name no DC)."""
    return _identity_error(
        data, cmdlet_name, identity, "ManagementObjectNotFoundException", message or
        f"The operation couldn't be performed because object '{identity}' couldn't be found on '{data.dc}'.")


def _hash8(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:8].upper()


def _task_name(cmdlet_name: str) -> str:
    verb, _, noun = cmdlet_name.partition("-")
    area = "StoreTasks" if "Folder" in noun or "AutoReply" in noun or "InboxRule" in noun else "RecipientTasks"
    return f"Microsoft.Exchange.Management.{area}.{verb}{noun}"


def ambiguous_error(data: TenantData, cmdlet_name: str, identity: str) -> CmdletError:
    return _identity_error(data, cmdlet_name, identity, "ManagementObjectAmbiguousException",
                           f"The operation couldn't be performed because '{identity}' matches multiple entries.")


# -- identity resolution ------------------------------------------------------------------------

def has_wildcard(text: str) -> bool:
    return "*" in text or "?" in text


def wildcard(pattern: str) -> re.Pattern[str]:
    return re.compile(fnmatch.translate(pattern.lower()), re.IGNORECASE | re.DOTALL)


def match_mailboxes(inv: Invocation, identity: str, kinds: tuple[str, ...] | None = None) -> list[MailboxRec]:
    """Mailboxes ``identity`` names (name, alias, UPN, address, display name, GUID, DN; wildcards allowed)."""
    data = inv.data
    if has_wildcard(identity):
        rx = wildcard(identity)
        found = [m for m in data.mailboxes
                 if rx.fullmatch(m.props["Name"]) or rx.fullmatch(m.props["DisplayName"])
                 or rx.fullmatch(m.props["Alias"]) or rx.fullmatch(m.props["PrimarySmtpAddress"])]
    else:
        found = data.find_mailboxes(identity)
    if kinds is not None:
        found = [m for m in found if m.kind in kinds]
    return found


def resolve_mailbox(inv: Invocation, identity: str, kinds: tuple[str, ...] | None = None) -> MailboxRec:
    """Exactly one mailbox, or the service's not-found / ambiguous error."""
    found = [m for m in inv.data.find_mailboxes(identity) if kinds is None or m.kind in kinds]
    if not found:
        raise inv.not_found(identity)
    if len(found) > 1:
        raise ambiguous_error(inv.data, inv.info.name, identity)
    return found[0]


def progress_every(inv: Invocation, items: list[Any], activity: str, noun: str,
                   threshold: int = 1000, step: int = 500) -> Iterator[Any]:
    """Iterate ``items``, writing progress records when there are more than ``threshold``."""
    total = len(items)
    report = total > threshold
    done = 0
    try:
        for i, item in enumerate(items):
            inv.check()
            if report and i % step == 0:
                inv.progress(activity, f"Retrieved {i:,} of {total:,} {noun}", i * 100 // total)
            done = i + 1
            yield item
    except GeneratorExit:
        # Closed early (a -ResultSize cut, or a stop): end the progress bar if the run can still write.
        if report:
            try:
                inv.progress(activity, f"Retrieved {done:,} of {total:,} {noun}", 100, completed=True)
            except PipelineStopped:
                pass
        return
    if report:
        inv.progress(activity, f"Retrieved {done:,} of {total:,} {noun}", 100, completed=True)
