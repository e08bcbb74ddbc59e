"""The fast CLIXML writer emits what psrpcore's serializer emits, and pypsrp reads it back the same."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any
from xml.etree import ElementTree

from hypothesis import given, settings
from hypothesis import strategies as st
from psrpcore import ServerRunspacePool
from psrpcore.types import serialize
from pypsrp.serializer import Serializer

from tui.sim import clixml
from tui.sim.model import SimObject
from tui.sim.runspace import to_psobject

_POOL = ServerRunspacePool()


def psrpcore_xml(obj: SimObject) -> str:
    return ElementTree.tostring(serialize(to_psobject(obj), _POOL._cipher), encoding="unicode")


def read(xml: str | bytes) -> Any:
    return Serializer().deserialize(xml.decode() if isinstance(xml, bytes) else xml)


def flat(value: Any) -> Any:
    """pypsrp's deserialized object as plain data, for comparing two deserializations."""
    if hasattr(value, "adapted_properties"):
        return {"types": list(value.types), "to_string": value.to_string,
                "props": {k: flat(v) for k, v in value.adapted_properties.items()}}
    if isinstance(value, list):
        return [flat(v) for v in value]
    if isinstance(value, dict):
        return {k: flat(v) for k, v in value.items()}
    return value


MAILBOX = SimObject(
    ("Microsoft.Exchange.Data.Directory.Management.Mailbox", "Microsoft.Exchange.Data.Directory.ADObject",
     "System.Object"),
    {"Name": "Adele Vance", "Alias": "AdeleV", "EmailAddresses": ["SMTP:AdeleV@contoso.com", "smtp:a@x.com"],
     "ItemCount": 1234, "TotalItemSize": 2**40, "Ratio": 0.25, "LitigationHoldEnabled": False, "Manager": None,
     "WhenCreated": dt.datetime(2024, 5, 6, 7, 8, 9, 123000, tzinfo=dt.UTC),
     "ExchangeGuid": uuid.UUID("0b1c2d3e-4f50-4617-8283-94a5b6c7d8e9"), "Tags": {"k": "v", "n": 1},
     "Empty": [], "NoMap": {},
     "Child": SimObject(("Demo.Child", "System.Object"), {"Depth": 2}, "child"),
     "Child2": SimObject(("Demo.Child", "System.Object"), {"Depth": 3}, "child2")},
    "Adele Vance")


def test_same_clixml_as_psrpcore_for_a_typical_object() -> None:
    assert clixml.dumps(MAILBOX).decode() == psrpcore_xml(MAILBOX)


# Cn out: U+FFFE/U+FFFF are not XML characters, and neither writer escapes them (.NET's serializer
# would); a string holding one is unreadable to pypsrp from both.
_chars = st.characters(blacklist_categories=("Cs", "Cn"))
_text = st.text(alphabet=_chars, max_size=20)
_scalar = st.one_of(st.none(), st.booleans(), st.integers(-(2**63), 2**63 - 1), _text,
                    st.floats(allow_nan=False, allow_infinity=False),
                    st.datetimes(timezones=st.just(dt.UTC)), st.uuids())
_value = st.recursive(_scalar, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(st.text(alphabet=_chars, max_size=5), inner, max_size=3)),
                      max_leaves=8)


# psrpcore writes ToString without the _xHHHH_ escapes (a control character there is invalid XML),
# so the comparison with psrpcore keeps ToString printable; the escaping is checked on its own below.
# Astral characters too: the simulator writes them in ToString as UTF-16 escapes (as <S> values are),
# psrpcore as they are.
_printable = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Cn"), max_codepoint=0xFFFF),
                     max_size=20)


@settings(max_examples=150, deadline=None)
@given(props=st.dictionaries(st.text(alphabet=_chars, min_size=1, max_size=8), _value, max_size=6), to_string=_printable)
def test_pypsrp_reads_the_same_values_from_both_writers(props: dict[str, Any], to_string: str) -> None:
    obj = SimObject(("Demo.Type", "System.Object"), props, to_string)
    ours, theirs = flat(read(clixml.dumps(obj))), flat(read(psrpcore_xml(obj)))
    assert ours == theirs
    assert ours["types"] == ["Demo.Type", "System.Object"]


@settings(max_examples=100, deadline=None)
@given(text=_text)
def test_any_string_survives_as_property_and_to_string(text: str) -> None:
    got = read(clixml.dumps(SimObject(("Demo.Type", "System.Object"), {"P": text}, text)))
    assert got.adapted_properties["P"] == text
    assert got.to_string == (text or None)
