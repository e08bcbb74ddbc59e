"""Message trace: Get-MessageTraceV2 over the tenant's generated mail flow (newest first, paged by day)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from tui.sim.cmdlets.base import Invocation, cmdlet, wildcard
from tui.sim.model import CmdletError, SimObject

TRACE_TYPES = ("Microsoft.Exchange.Management.FfoReporting.MessageTraceV2", "System.Object")
MAX_DAYS = 10
MAX_AGE_DAYS = 90
DEFAULT_SIZE = 1000
MAX_SIZE = 5000


def _invalid(text: str, target: str | None = None) -> CmdletError:
    return CmdletError(text, category="InvalidArgument", error_id="InvalidArgument,Get-MessageTraceV2",
                       exception_type="System.ArgumentException", target=target)


def trace_object(entry: dict[str, Any], organization: str) -> SimObject:
    props = {"Received": entry["Received"], "SenderAddress": entry["SenderAddress"],
             "RecipientAddress": entry["RecipientAddress"], "Subject": entry["Subject"], "Status": entry["Status"],
             "ToIP": entry["ToIP"], "FromIP": entry["FromIP"], "Size": entry["Size"],
             "MessageId": entry["MessageId"], "MessageTraceId": entry["MessageTraceId"],
             "Organization": organization}
    return SimObject(TRACE_TYPES, props, str(entry["MessageTraceId"]))


def _matcher(values: list[str] | None) -> Any:
    if not values:
        return lambda _: True
    regexes = [wildcard(v) for v in values]
    return lambda text: any(rx.fullmatch(text or "") for rx in regexes)


@cmdlet("Get-MessageTraceV2")
def get_message_trace_v2(inv: Invocation) -> Iterator[SimObject]:
    now = datetime.now(UTC)
    end: datetime = inv.get("EndDate") or now
    start: datetime = inv.get("StartDate") or (end - timedelta(hours=48))
    if end <= start:
        raise _invalid("The EndDate value must be later than the StartDate value.", str(end))
    if end - start > timedelta(days=MAX_DAYS, minutes=5):  # slack: "10 days ago" typed a moment earlier
        raise _invalid(f"The time range between StartDate and EndDate can't be greater than {MAX_DAYS} days. "
                       "Use a shorter time range, or run several queries.", str(start))
    if start < now - timedelta(days=MAX_AGE_DAYS):
        raise _invalid(f"The StartDate value can't be older than {MAX_AGE_DAYS} days.", str(start))
    size = inv.get("ResultSize", DEFAULT_SIZE)
    if not 1 <= size <= MAX_SIZE:
        raise _invalid(f"The ResultSize value must be between 1 and {MAX_SIZE}.", str(size))
    senders = _matcher(inv.get("SenderAddress"))
    recipients = _matcher(inv.get("RecipientAddress"))
    statuses = {s.lower() for s in inv.get("Status") or []}
    ids = {str(x).lower() for x in inv.get("MessageId") or []}
    trace_id = inv.get("MessageTraceId")
    from_ip, to_ip = inv.get("FromIP"), inv.get("ToIP")
    subject = (inv.get("Subject") or "").lower()
    subject_mode = inv.get("SubjectFilterType") or "Contains"

    def subject_ok(text: str) -> bool:
        low = text.lower()
        if not subject:
            return True
        return {"Contains": subject in low, "StartsWith": low.startswith(subject),
                "EndsWith": low.endswith(subject)}[subject_mode]

    days: list[datetime] = []
    day = end.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    while day + timedelta(days=1) > start:
        days.append(day)
        day -= timedelta(days=1)
    produced = 0
    for i, day in enumerate(days):
        inv.check()
        inv.progress("Get-MessageTraceV2", f"Searching messages received on {day:%Y-%m-%d} "
                     f"(day {i + 1} of {len(days)})", i * 100 // len(days))
        for entry in inv.data.trace_day(day):
            inv.check()
            received = entry["Received"]
            if not start <= received < end:
                continue
            if not (senders(entry["SenderAddress"]) and recipients(entry["RecipientAddress"])):
                continue
            if statuses and entry["Status"].lower() not in statuses:
                continue
            if ids and entry["MessageId"].lower() not in ids:
                continue
            if trace_id and entry["MessageTraceId"] != trace_id:
                continue
            if (from_ip and entry["FromIP"] != from_ip) or (to_ip and entry["ToIP"] != to_ip):
                continue
            if not subject_ok(entry["Subject"]):
                continue
            if produced >= size:
                inv.progress("Get-MessageTraceV2", "Done", 100, completed=True)
                inv.warning("There are more results, use the following command to get more. Get-MessageTraceV2 "
                            f"-StartingRecipientAddress \"{entry['RecipientAddress']}\" -EndDate "
                            f"\"{received:%Y-%m-%dT%H:%M:%S.%fZ}\" -StartDate \"{start:%Y-%m-%dT%H:%M:%SZ}\"")
                return
            produced += 1
            yield trace_object(entry, inv.data.tenant.domain)
    inv.progress("Get-MessageTraceV2", "Done", 100, completed=True)
