"""The REST door's pure parts: OData JSON values, parameter decoding, error bodies, paging cursors."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest

from tui.sim import rest_json as rj
from tui.sim.model import CmdletError, SimObject
from tui.sim.rest_cursor import CursorError, CursorStore, make_token, read_token


def test_objects_carry_their_type_and_annotated_values() -> None:
    inner = SimObject(("Microsoft.Exchange.Data.Directory.ADObjectId", "System.Object"), {"Name": "x"})
    obj = SimObject(("Microsoft.Exchange.Data.Directory.Management.Mailbox", "System.Object"), {
        "Name": "a", "Count": 3, "Big": 2**40, "Ratio": 0.5, "On": True, "None": None,
        "When": dt.datetime(2026, 1, 2, 3, 4, 5, 120000, tzinfo=dt.UTC), "Naive": dt.datetime(2026, 1, 2),
        "Guid": uuid.UUID(int=1), "Emails": ["SMTP:a@b"], "Counts": [1, 2], "Table": {"k": 1}, "Owner": inner})
    out = rj.encode_object(obj)
    assert out["@odata.type"] == "#Exchange.Mailbox" and out["Name"] == "a" and "Name@odata.type" not in out
    assert (out["Count"], out.get("Count@odata.type")) == (3, None)
    assert out["Big@odata.type"] == "#Int64" and out["Ratio@odata.type"] == "#Double"
    assert (out["When"], out["When@odata.type"]) == ("2026-01-02T03:04:05.12Z", "#DateTimeOffset")
    assert out["Naive"] == "2026-01-02T00:00:00Z"
    assert (out["Guid"], out["Guid@odata.type"]) == (str(uuid.UUID(int=1)), "#Guid")
    assert out["Emails@odata.type"] == "#Collection(String)" and out["Counts@odata.type"] == "#Collection(Int32)"
    assert out["Table"] == {"@odata.type": rj.HASHTABLE_TYPE, "k": 1}
    assert out["Owner"] == {"@odata.type": "#Exchange.ADObjectId", "Name": "x"}
    json.dumps(out)


def test_select_keeps_the_type_and_the_named_properties_in_any_case() -> None:
    record = {"@odata.type": "#Exchange.Mailbox", "Alias": "a", "When@odata.type": "#DateTimeOffset",
              "When": "2026-01-01T00:00:00Z", "Other": 1}
    assert rj.select(record, ["when", "ALIAS", "missing"]) == {
        "@odata.type": "#Exchange.Mailbox", "When@odata.type": "#DateTimeOffset", "When": "2026-01-01T00:00:00Z",
        "Alias": "a"}


def test_hashtables_need_the_tag_even_nested_in_arrays() -> None:
    tagged = {"@odata.type": "#Exchange.GenericHashTable", "Add": ["smtp:x@y"]}
    assert rj.decode_parameter("EmailAddresses", tagged) == {"Add": ["smtp:x@y"]}
    assert rj.decode_parameter("P", {"@ODATA.TYPE": "#exchange.generichashtable"}) == {}
    assert rj.decode_parameter("P", [1, "a", True]) == [1, "a", True]
    with pytest.raises(rj.NotAHashtable) as bare:
        rj.decode_parameter("EmailAddresses", [{"Add": "x"}])
    assert bare.value.parameter == "EmailAddresses"


def test_error_bodies_have_the_services_shape() -> None:
    body = rj.error_body("NotFound", rj.NOT_FOUND_CLASS, "gone", warnings=["w"])
    assert body["error"]["details"][0]["message"] == f"Ex6F9304|{rj.NOT_FOUND_CLASS}|gone"
    assert body["error"]["innererror"]["internalexception"]["message"] == "gone"
    assert body["@adminapi.warnings"] == ["w"]
    other = rj.details_message("System.ArgumentException", "bad").split("|")
    assert other[0].startswith("Ex") and len(other[0]) == 8 and other[1:] == ["System.ArgumentException", "bad"]
    missing = CmdletError("x", exception_type=rj.NOT_FOUND_CLASS)
    assert rj.cmdlet_error_status(missing) == (404, "NotFound")
    assert rj.cmdlet_error_status(CmdletError("x")) == (400, "BadRequest")


def test_cursors_resume_only_with_the_same_body_caller_and_tenant() -> None:
    store = CursorStore()
    body = b'{"CmdletInput": {"CmdletName": "Get-Mailbox", "Parameters": {}}}'
    cursor = store.add(body, "user:a", "t1", [{"n": i} for i in range(5)], [], [], None)
    token = make_token(cursor.cursor_id, 2)
    assert read_token(token) == (cursor.cursor_id, 2)
    reordered = b'{"CmdletInput":{"Parameters":{},"CmdletName":"Get-Mailbox"}}'
    assert store.resume(token, reordered, "user:a", "t1") == (cursor, 2)
    for args in ((b'{"other": 1}', "user:a", "t1"), (body, "user:b", "t1"), (body, "user:a", "t2")):
        with pytest.raises(CursorError):
            store.resume(token, *args)
    for bad in ("%%%", make_token(cursor.cursor_id, 99), make_token("nope", 0), make_token(cursor.cursor_id, -1)):
        with pytest.raises(CursorError):
            store.resume(bad, body, "user:a", "t1")
    store.finish(cursor)
    with pytest.raises(CursorError):
        store.resume(token, body, "user:a", "t1")


def test_cursors_expire_and_are_bounded() -> None:
    expired = CursorStore(ttl=0.0)
    c = expired.add(b"{}", "u", "t", [], [], [], None)
    with pytest.raises(CursorError):
        expired.resume(make_token(c.cursor_id, 0), b"{}", "u", "t")
    small = CursorStore(limit=2)
    first = small.add(b"{}", "u", "t", [], [], [], None)
    small.add(b"{}", "u", "t", [], [], [], None)
    small.add(b"{}", "u", "t", [], [], [], None)
    assert len(small) == 2
    with pytest.raises(CursorError):
        small.resume(make_token(first.cursor_id, 0), b"{}", "u", "t")
