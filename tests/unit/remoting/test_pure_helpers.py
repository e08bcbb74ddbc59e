"""Pure helpers of the session layer: URIs, Retry-After, value conversion, error mapping, transcript."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
import requests
from pypsrp.complex_objects import GenericComplexObject
from pypsrp.exceptions import AuthenticationError, WinRMTransportError, WSManFaultError
from pypsrp.serializer import TaggedValue

from tui.remoting import errors as E
from tui.remoting.endpoints import delegated_uri, split_uri
from tui.remoting.events import RunSummary
from tui.remoting.retry_after import retry_after_seconds
from tui.remoting.transcript import Transcript
from tui.remoting.values import UnsendableValue, to_record, to_wire
from tui.shell.records import Record
from tui.shell.syntax import ScriptBlock
from tui.tenants import InvalidDomain


def test_delegated_uri_is_encoded_and_validated() -> None:
    uri = delegated_uri("https://127.0.0.1:8443/powershell-liveid", "Contoso.onmicrosoft.com")
    assert uri == "https://127.0.0.1:8443/powershell-liveid?DelegatedOrg=contoso.onmicrosoft.com"
    t = split_uri(uri)
    assert (t.server, t.port, t.path, t.ssl) == ("127.0.0.1", 8443, "powershell-liveid?DelegatedOrg=contoso.onmicrosoft.com", True)
    assert t.url == uri
    assert delegated_uri("worldwide", "a.onmicrosoft.com").startswith("https://outlook.office365.com/powershell-liveid/?")
    with pytest.raises(InvalidDomain):
        delegated_uri("worldwide", "a.com&DelegatedOrg=b.com")


def test_retry_after_forms() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert retry_after_seconds("3") == 3.0
    assert retry_after_seconds(format_datetime(now + timedelta(seconds=7), usegmt=True), now) == 7.0
    assert retry_after_seconds(None) is None and retry_after_seconds("soon") is None


def test_to_wire() -> None:
    assert to_wire(True) is True and to_wire(5) == 5
    big = to_wire(10 * 1024**3)
    assert isinstance(big, TaggedValue) and big.tag == "I64"
    assert to_wire({"Add": ["a@b.com", 1]}) == {"Add": ["a@b.com", 1]}
    assert to_wire(Record({"Name": "n", "Identity": "id1"})) == "id1"
    with pytest.raises(UnsendableValue):
        to_wire(ScriptBlock("$_.x"))


def test_to_record_keeps_order_types_and_text() -> None:
    obj = GenericComplexObject()
    obj.types = ["Deserialized.Microsoft.Exchange.Data.Directory.Management.Mailbox", "Deserialized.System.Object"]
    obj.adapted_properties = {"Name": "adele", "ProhibitSendQuota": "99 GB"}
    obj.extended_properties = {"PSComputerName": "outlook.office365.com", "Name": "shadowed"}
    obj.to_string = "Adele Vance"
    rec = to_record(obj)
    assert list(rec) == ["Name", "ProhibitSendQuota", "PSComputerName"]
    assert rec["name"] == "adele" and rec.type_name == "Microsoft.Exchange.Data.Directory.Management.Mailbox"
    assert str(rec) == "Adele Vance"
    assert str(to_record("plain")) == "plain"


def _map(exc: BaseException, during: str = "connect") -> E.RemotingError:
    return E.from_exception(exc, account="admin@partner.com", tenant="contoso.onmicrosoft.com",
                            host="h.example", during=during, password="Sup3rSecret!")


def test_error_mapping_names_account_tenant_and_remedy() -> None:
    err = _map(AuthenticationError("Failed to authenticate the user admin@partner.com with basic"))
    assert err.kind == E.AUTH and "exohop login admin@partner.com" in err.message
    denied = _map(WSManFaultError(5, "h", "Access is denied.", None, None, None))
    assert denied.kind == E.ACCESS_DENIED and "contoso.onmicrosoft.com" in denied.message and "GDAP" in denied.message
    limit = _map(WSManFaultError(2144108120, "h", "Fail to create a runspace because you have exceeded the "
                                 "maximum number of connections allowed : 3 for the policy party", None, None, None))
    assert limit.kind == E.SESSION_LIMIT and "3 sessions" in limit.message
    assert _map(WinRMTransportError("http", 503, "")).kind == E.THROTTLED
    assert _map(requests.exceptions.SSLError("certificate verify failed: self signed")).kind == E.TLS
    assert _map(requests.exceptions.ConnectTimeout("x")).kind == E.TIMEOUT
    refused = requests.exceptions.ConnectionError("Max retries exceeded ([Errno 111] Connection refused)")
    assert _map(refused).kind == E.REFUSED
    dns = requests.exceptions.ConnectionError("Failed to resolve 'nowhere.invalid' (Name or service not known)")
    assert _map(dns).kind == E.DNS
    lost = _map(requests.exceptions.ChunkedEncodingError("Connection broken: IncompleteRead"), "command")
    assert lost.kind == E.CONNECTION_LOST and "running the command" in lost.message
    assert _map(WSManFaultError(2150858843, "h", "invalid selectors", None, None, None)).kind == E.EXPIRED


def test_error_messages_never_carry_the_password() -> None:
    err = _map(RuntimeError("boom Sup3rSecret! boom"))
    assert "Sup3rSecret!" not in err.message


def test_transcript_appends_one_json_line_per_command(tmp_path: Path) -> None:
    t = Transcript(tmp_path / "transcripts")
    for outcome in ("ok", "errors"):
        t.record(account="a@b.com", tenant="contoso.onmicrosoft.com",
                 summary=RunSummary(line="Get-Mailbox -ResultSize 5", outcome=outcome, records=5, errors=1,
                                    warnings=2, duration_s=0.25))
    lines = (tmp_path / "transcripts" / "contoso.onmicrosoft.com.jsonl").read_text().splitlines()
    assert len(lines) == 2
    entry = json.loads(lines[0])
    assert entry["line"] == "Get-Mailbox -ResultSize 5" and entry["outcome"] == "ok"
    assert entry["time"].endswith("Z") and entry["records"] == 5 and entry["warnings"] == 2
    assert t.read("contoso.onmicrosoft.com")[1]["outcome"] == "errors"
