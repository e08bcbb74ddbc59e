"""Decoding InvokeCommand JSON into Records the way the PSRP path's are (checked against pypsrp reading the
simulator's CLIXML of the very same objects), the type-name table, decode speed, and the client's pure
policies: redirect targets, Retry-After, anchors and the service's error bodies. No network."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest
from pypsrp.serializer import Serializer

from tui.remoting.auth import AccessToken
from tui.remoting.rest import decode_record, decode_records, type_names
from tui.remoting.rest.client import anchor_for, normalise_location, refuse_location
from tui.remoting.rest.decode import FULL_TYPE_NAMES, VIEW_TYPES
from tui.remoting.rest.errors import clean, event_for, non_terminating, parse_error_body, split_details
from tui.remoting.retry_after import retry_after_seconds
from tui.remoting.values import to_record
from tui.shell.records import Record
from tui.shell.views import DEFAULT_VIEWS, short_type_name, view_for
from tui.sim import clixml, rest_json
from tui.sim.engine import SimEngine
from tui.sim.model import SimObject

CONTOSO = "contoso.onmicrosoft.com"


class _Collect:
    """The engine's RunContext, keeping output objects only."""

    account = "admin@fabrikampartner.onmicrosoft.com"
    tenant = CONTOSO

    def __init__(self) -> None:
        self.out: list[SimObject] = []

    def output(self, obj: SimObject) -> None:
        self.out.append(obj)

    def warning(self, text: str) -> None: ...
    def verbose(self, text: str) -> None: ...
    def progress(self, *args: Any, **kwargs: Any) -> None: ...
    def error(self, err: Any) -> None: ...
    def check_stopped(self) -> None: ...


@pytest.fixture(scope="module")
def engine() -> SimEngine:
    return SimEngine(mailboxes=50)


def outputs(engine: SimEngine, cmdlet: str, *args: tuple[str, Any]) -> list[SimObject]:
    ctx = _Collect()
    engine.run(CONTOSO, [(cmdlet, list(args))], ctx)
    return ctx.out


def over_rest(obj: SimObject) -> Record:
    """What the REST door writes for ``obj`` (rest_json), read back by the client."""
    return decode_record(json.loads(json.dumps(rest_json.encode_object(obj))))


def over_psrp(obj: SimObject) -> Record:
    """What the PSRP door writes for ``obj`` (clixml), read by pypsrp and wrapped by values.to_record."""
    return to_record(Serializer().deserialize(clixml.dumps(obj).decode()))


@pytest.mark.parametrize(("cmdlet", "args"), [
    ("Get-Mailbox", [("ResultSize", 5)]),
    ("Get-CASMailbox", [("ResultSize", 2)]),
    ("Get-MailboxStatistics", [("Identity", "AdeleV")]),
    ("Get-OrganizationConfig", []),
    ("Get-AcceptedDomain", []),
    ("Get-Recipient", [("ResultSize", 2)]),
    ("Get-DistributionGroup", []),
    ("Get-User", [("ResultSize", 2)]),
    ("Get-MessageTraceV2", []),
    ("Get-MobileDevice", []),
    ("Get-MailboxPermission", [("Identity", "AdeleV")]),
    ("Get-TransportRule", []),
    ("Get-QuarantineMessage", []),
])
def test_a_rest_record_equals_the_psrp_record_of_the_same_object(engine: SimEngine, cmdlet: str,
                                                                 args: list[tuple[str, Any]]) -> None:
    objects = outputs(engine, cmdlet, *args)[:5]
    assert objects
    for obj in objects:
        rest, psrp = over_rest(obj), over_psrp(obj)
        assert rest.properties == psrp.properties          # values, their types and the property order
        assert list(rest) == list(psrp)
        assert rest.type_names[0] == psrp.type_names[0]
        assert view_for(rest.type_names) == view_for(psrp.type_names)


def test_the_type_table_maps_every_short_name_back_to_the_name_views_know() -> None:
    for full in FULL_TYPE_NAMES:
        assert type_names("#Exchange." + full.rsplit(".", 1)[-1]) == (full, "System.Object")
    assert {"mailbox", "casmailbox", "mailboxstatistics", "accepteddomain", "transportrule"} <= VIEW_TYPES
    for short in VIEW_TYPES:
        assert DEFAULT_VIEWS[short] == view_for(type_names(f"#Exchange.{short}"))
    assert type_names("#Exchange.Mailbox")[0] == "Microsoft.Exchange.Data.Directory.Management.Mailbox"
    assert type_names("#Exchange.SomethingNew") == ("Exchange.SomethingNew", "System.Object")
    assert type_names("#Microsoft.Exchange.Data.Thing") == ("Microsoft.Exchange.Data.Thing", "System.Object")
    assert type_names(None) == () and short_type_name(type_names("#Exchange.Mailbox")[0]) == "mailbox"


def test_annotations_are_read_then_dropped() -> None:
    guid = uuid.uuid4()
    record = decode_record({
        "@odata.type": "#Exchange.Mailbox", "@odata.id": "Mailbox('x')", "Name": "N",
        "Guid@odata.type": "#Guid", "Guid": str(guid),
        "Big@odata.type": "#Int64", "Big": "9007199254740993",           # IEEE754Compatible sends it as text
        "Ratio@odata.type": "#Double", "Ratio": 2,
        "Ids@odata.type": "#Collection(Guid)", "Ids": [str(guid)],
        "When@odata.type": "#DateTimeOffset", "When": "2026-01-02T03:04:05Z",
        "Bad@odata.type": "#Guid", "Bad": "not-a-guid",
        "Manager": {"@odata.type": "#Exchange.User", "Name": "Boss", "Id@odata.type": "#Guid", "Id": str(guid)},
        "Table": {"@odata.type": "#Exchange.GenericHashTable", "Add": ["a"], "Deep": {
            "@odata.type": "#Exchange.GenericHashTable", "k": 1}},
        "Rows@odata.type": "#Collection(Exchange.User)", "Rows": [{"@odata.type": "#Exchange.User", "Name": "R"}],
        "Nav@odata.navigationLink": "x",
    })
    assert list(record) == ["Name", "Guid", "Big", "Ratio", "Ids", "When", "Bad", "Manager", "Table", "Rows"]
    assert record["Guid"] == guid and record["Ids"] == [guid] and record["Bad"] == "not-a-guid"
    assert record["Big"] == 9007199254740993 and record["Ratio"] == 2.0 and isinstance(record["Ratio"], float)
    assert record["When"] == "2026-01-02T03:04:05Z"
    manager = record["Manager"]
    assert isinstance(manager, Record) and manager["Id"] == guid
    assert manager.type_names[0] == "Microsoft.Exchange.Data.Directory.Management.User"
    assert record["Table"] == {"Add": ["a"], "Deep": {"k": 1}}
    assert isinstance(record["Rows"][0], Record) and record["Rows"][0]["Name"] == "R"


def test_values_that_are_not_objects_become_text_records() -> None:
    a, b = decode_records(["text", 5])
    assert (a.text, a.type_names, b.text, b.type_names) == ("text", ("System.String",), "5", ("System.Int32",))
    assert decode_records(None) == [] and decode_records([]) == []


def test_ten_thousand_mailboxes_decode_quickly(engine: SimEngine) -> None:
    page = [rest_json.encode_object(m) for m in outputs(engine, "Get-Mailbox", ("ResultSize", "Unlimited"))]
    text = json.dumps({"value": page * 200})
    values = json.loads(text)["value"]
    assert len(values) == 10_000
    best = float("inf")
    for _ in range(3):
        fresh = json.loads(text)["value"]
        started = time.perf_counter()
        records = decode_records(fresh)
        best = min(best, time.perf_counter() - started)
    per_record_us = best / len(values) * 1e6
    print(f"\ndecode: {per_record_us:.1f} µs/record ({len(rest_json.encode_object(engine_mailbox(engine)))} keys "
          f"per mailbox, {best * 1000:.0f} ms for 10,000)")
    assert len(records) == 10_000 and records[-1]["Alias"] == values[-1]["Alias"]
    assert per_record_us < 150, per_record_us          # generous: the machine is shared


def engine_mailbox(engine: SimEngine) -> SimObject:
    return outputs(engine, "Get-Mailbox", ("ResultSize", 1))[0]


# -- the client's pure policies ------------------------------------------------------------------------------

@pytest.mark.parametrize(("current", "target", "refused"), [
    ("https://outlook.office365.com/adminapi/beta/t/InvokeCommand",
     "https://nam13b.outlook.office365.com:446/adminapi/beta/t/InvokeCommand", None),
    ("https://outlook.office365.com/x", "https://outlook.office365.com/pod01b/x", None),
    ("https://nam13b.outlook.office365.com/x", "https://eur02b.outlook.office365.com/x", None),
    ("https://outlook.office365.us/x", "https://gcc02b.outlook.office365.us/x", None),
    ("https://outlook.office365.com/x", "http://nam13b.outlook.office365.com/x", "unencrypted"),
    ("https://outlook.office365.com/x", "https://evil.example/x", "not a host of the Exchange Online service"),
    ("https://outlook.office365.com/x", "https://outlook.office365.com.evil.example/x", "not a host"),
    ("https://outlook.office365.com/x", "https://office365.com/x", "not a host"),
    ("https://outlook.office365.com/x", "https://outlook.office365.us/x", "not a host"),     # another cloud
    ("https://outlook.office365.com/x", "https://u:p@outlook.office365.com/x", "credentials"),
    ("https://127.0.0.1:8443/x", "https://127.0.0.1:8443/pod01b/x", None),
    ("https://127.0.0.1:8443/x", "https://10.0.0.1:8443/x", "not a host"),
    ("http://127.0.0.1:8080/x", "http://127.0.0.1:8080/pod01b/x", None),                   # a loopback test server
    ("http://127.0.0.1:8080/x", "http://127.0.0.1:9090/x", "unencrypted"),
])
def test_redirect_targets(current: str, target: str, refused: str | None) -> None:
    root = current.split("/")[2].split(":")[0].split("@")[-1]
    why = refuse_location(root, current, target)
    assert (why is None) if refused is None else (why is not None and refused in why), why


def test_a_regional_446_becomes_the_default_port_a_same_host_port_stays() -> None:
    assert normalise_location("https://outlook.office365.com/a", "https://nam13b.outlook.office365.com:446/a?b=1") \
        == "https://nam13b.outlook.office365.com/a?b=1"
    assert normalise_location("https://127.0.0.1:446/a", "https://127.0.0.1:446/pod01b/a") \
        == "https://127.0.0.1:446/pod01b/a"


def test_retry_after_seconds_and_dates() -> None:
    now = datetime(2026, 12, 1, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("8") == 8.0 and retry_after_seconds("1.5") == 1.5
    assert retry_after_seconds(format_datetime(now + timedelta(seconds=30), usegmt=True), now) == 30.0
    assert retry_after_seconds(None) is None and retry_after_seconds("soon") is None
    assert retry_after_seconds("nan") is None and retry_after_seconds("-3") == 0.0


def test_anchor_is_the_users_mailbox_at_home_else_the_system_mailbox() -> None:
    token = AccessToken("t", "11111111-1111-1111-1111-111111111111", 0.0, "admin@partner.onmicrosoft.com")
    assert anchor_for(token, "11111111-1111-1111-1111-111111111111") == "UPN:admin@partner.onmicrosoft.com"
    assert anchor_for(token, "22222222-2222-2222-2222-222222222222") == \
        "APP:SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}@11111111-1111-1111-1111-111111111111"
    app = AccessToken("t", "33333333-3333-3333-3333-333333333333", 0.0, None)
    assert anchor_for(app, "33333333-3333-3333-3333-333333333333").startswith("APP:SystemMailbox{")


def test_error_bodies_with_their_fallbacks() -> None:
    full = json.dumps(rest_json.error_body("NotFound", rest_json.NOT_FOUND_CLASS, "Gone.")).encode()
    err = parse_error_body(full)
    assert err is not None and (err.code, err.error_id, err.message) == ("NotFound", "Ex6F9304", "Gone.")
    event = event_for(err, "Get-Mailbox")
    assert (event.category, event.error_id, event.terminating) == ("NotSpecified", "Ex6F9304,Get-Mailbox", True)
    inner = parse_error_body(json.dumps({"error": {"code": "BadRequest", "message": "Error executing cmdlet",
                                                   "innererror": {"internalexception": {"message": "Inner."}}}}
                                        ).encode(), {"x-ExceptionType": "ArgumentException"})
    assert inner is not None and inner.message == "Inner." and event_for(inner, "X").category == "InvalidArgument"
    bare = parse_error_body(b'{"error": {"code": "Forbidden", "message": "Nope."}}')
    assert bare is not None and bare.message == "Nope." and bare.error_id == ""
    for not_json in (b"", b"\0\0\0", b"<html>busy</html>", b'{"value": []}', b"[1]"):
        assert parse_error_body(not_json) is None
    assert split_details("no pipes here") == ("", "", "no pipes here")
    assert split_details("a | b | c") == ("", "", "a | b | c")        # a message that merely holds pipes


def test_non_terminating_errors_and_cleaning() -> None:
    (a, b) = non_terminating(["Ex1|System.ArgumentException|Bad one.", {"message": "Plain."}, ""], "Get-X")
    assert (a.message, a.category, a.error_id, a.terminating) == ("Bad one.", "InvalidArgument", "Ex1,Get-X", False)
    assert b.message == "Plain." and b.error_id.endswith(",Get-X")
    jwt_like = "eyJhbGciOiJSUzI1NiJ9.eyJ0aWQiOiJ4In0.c2lnbmF0dXJl"
    assert clean(f"token {jwt_like} and secret-123", ["secret-123"]) == "token [redacted] and [redacted]"


def test_a_trimmed_fraction_of_a_second_reads_as_the_psrp_text_of_the_same_instant() -> None:
    record = decode_record({"When@odata.type": "#DateTimeOffset", "When": "2026-01-02T03:04:05.12Z",
                            "Whole@odata.type": "#DateTimeOffset", "Whole": "2026-01-02T03:04:05Z",
                            "Ticks@odata.type": "#DateTimeOffset", "Ticks": "2026-01-02T03:04:05.1234567Z"})
    assert record["When"] == "2026-01-02T03:04:05.120000Z"
    assert record["Whole"] == "2026-01-02T03:04:05Z" and record["Ticks"] == "2026-01-02T03:04:05.1234567Z"
