"""exohop's CLIXML reader beside pypsrp's deserializer, on the same PIPELINE_OUTPUT bytes.

The reference is the path output took before: pypsrp's ``Message.unpack`` with its own serializer, then
``values.to_record``. The contender: the same ``Message.unpack`` with the deferring serializer a session's
pool has (``pypsrp_compat.DeferringSerializer``), then ``to_record`` of the ``RawOutput`` (the fast
reader, or pypsrp when the reader does not mirror the object). Both must give the same Record — type names,
property order, values and their Python types, text — or both fail; exohop's failure is UnreadableOutput.
"""

from __future__ import annotations

import base64
import re
import struct
import uuid
import warnings
import xml.etree.ElementTree as ET
from queue import Queue
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypsrp.messages import Destination, Message, MessageType
from pypsrp.serializer import Serializer

from tui.remoting.clixml import NotMirrored, decode_output
from tui.remoting.errors import SERVER_FAULT, from_exception
from tui.remoting.importer import METADATA_TYPES, catalog_from_metadata
from tui.remoting.pypsrp_compat import DeferringSerializer, RawOutput, pypsrp_output
from tui.remoting.values import UnreadableOutput, output_value, to_record
from tui.shell.records import Record

POOL_ID, PIPELINE_ID = uuid.uuid4(), uuid.uuid4()
ADDRESS = re.compile(r" at 0x[0-9a-f]+")


def frame(xml: str) -> bytes:
    """One PSRP PIPELINE_OUTPUT message as it leaves the fragment reassembly (BOM included, as Exchange sends)."""
    return (struct.pack("<II", Destination.CLIENT, MessageType.PIPELINE_OUTPUT) + POOL_ID.bytes_le
            + PIPELINE_ID.bytes_le + b"\xef\xbb\xbf" + xml.encode("utf-8"))


def shape(value: Any) -> Any:
    """A comparable picture of a value: Records with text, type names and property order; Python types kept
    (object addresses in pypsrp's printed objects masked: they differ from run to run)."""
    if isinstance(value, Record):
        text = None if value.text is None else ADDRESS.sub(" at 0x", value.text)
        return ("Record", value.type_names, text, [(k, shape(v)) for k, v in value.properties.items()])
    if isinstance(value, list):
        return ("list", [shape(v) for v in value])
    if isinstance(value, dict):
        return ("dict", [(shape(k), shape(v)) for k, v in value.items()])
    if isinstance(value, ET.Element):
        return ("Element", ET.tostring(value))
    if isinstance(value, float):
        return ("float", repr(value))        # nan != nan
    if isinstance(value, Queue):
        return ("Queue", list(value.queue))
    return (type(value).__name__, value)


def reference(xml: str) -> tuple[str, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            obj = Message.unpack(frame(xml), Serializer()).data.data
            return ("ok", shape(to_record(obj)))
        except Exception:
            return ("error", None)


def exohop(xml: str) -> tuple[str, Any]:
    raw = Message.unpack(frame(xml), DeferringSerializer(Serializer())).data.data
    assert isinstance(raw, RawOutput)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return ("ok", shape(to_record(raw)))
        except UnreadableOutput:
            return ("error", None)


def fast(xml: str) -> Any:
    """The fast reader alone (it must take these), as the same picture."""
    return ("ok", shape(decode_output(xml)))


MAILBOX_TYPES = ("<T>Deserialized.Microsoft.Exchange.Data.Directory.Management.Mailbox</T>"
                 "<T>Deserialized.Microsoft.Exchange.Data.Directory.Management.MailEnabledOrgPerson</T>"
                 "<T>Deserialized.System.Object</T>")
PHOTO = base64.b64encode(b"\x00\x01binary").decode()
ARRAYLIST = "<T>Deserialized.System.Collections.ArrayList</T><T>Deserialized.System.Object</T>"

MAILBOX = f"""<Obj RefId="0"><TN RefId="0">{MAILBOX_TYPES}</TN><ToString>Adele Vance</ToString><Props>
<S N="Name">Adele_x000A_Vance_x0041__x0042_</S><S N="DisplayName">Ad&amp;le &lt;V&gt; _xD83D__xDE00_ \u5f00</S>
<Obj N="EmailAddresses" RefId="1"><TN RefId="1">{ARRAYLIST}</TN><LST><S>SMTP:a@contoso.com</S><S>smtp:b@x</S></LST></Obj>
<Obj N="Empty" RefId="2"><TNRef RefId="1" /><LST /></Obj>
<S N="ProhibitSendQuota">99 GB (106,300,440,576 bytes)</S>
<Obj N="ArchiveQuota" RefId="3"><TN RefId="2"><T>Deserialized.Microsoft.Exchange.Data.Unlimited`1[[Microsoft.Exchange.Data.ByteQuantifiedSize]]</T><T>Deserialized.System.ValueType</T><T>Deserialized.System.Object</T></TN><ToString>100 GB (107,374,182,400 bytes)</ToString><Props><B N="IsUnlimited">false</B><S N="Value">100 GB (107,374,182,400 bytes)</S></Props></Obj>
<Obj N="RecipientTypeDetails" RefId="4"><I64>1</I64><TN RefId="3"><T>Microsoft.Exchange.Data.Directory.Recipient.RecipientTypeDetails</T><T>System.Enum</T><T>System.ValueType</T><T>System.Object</T></TN><ToString>UserMailbox</ToString></Obj>
<Obj N="NoText" RefId="5"><I32>4</I32><TNRef RefId="3" /></Obj>
<Obj N="Sets" RefId="6"><TNRef RefId="3" /><I32>1</I32><S>two</S></Obj>
<Obj N="Bare" RefId="7"><TN RefId="4"><T>Demo.Bare</T><T>System.Object</T></TN></Obj>
<DT N="WhenCreated">2024-05-01T10:00:00.1234567+02:00</DT><DT N="WhenUtc">2024-05-01T08:00:00Z</DT>
<TS N="Retention">P30D</TS><G N="Guid">0e12103b-9914-5f2c-8d96-27d67cd090e4</G><Nil N="ForwardingAddress" />
<B N="HiddenTrue">true</B><B N="HiddenFalse">False</B><By N="By">255</By><SB N="SB">-128</SB>
<U16 N="U16">65535</U16><I16 N="I16">-32768</I16><U32 N="U32">4294967295</U32><I32 N="I32">-2147483648</I32>
<U64 N="U64">18446744073709551615</U64><I64 N="I64">-9223372036854775808</I64><Sg N="Sg">1.5</Sg>
<Db N="Db">-2.5E+300</Db><D N="D">79228162514264337593543950335</D><C N="C">65</C>
<BA N="Photo">{PHOTO}</BA><URI N="Uri">https://x/_x0020_</URI>
<Version N="Version">15.20.1.2</Version><XD N="Xml">&lt;a/&gt;</XD><SBK N="Script">{{ 1 }}</SBK><S N="Blank" />
<Ref N="SameAddresses" RefId="1" /><Ref N="SameQuota" RefId="3" />
</Props><MS><S N="Name">extended loses to adapted</S><I32 N="Extra">7</I32><I32 N="Extra">8</I32>
<Obj N="Table" RefId="8"><TN RefId="5"><T>System.Collections.Hashtable</T><T>System.Object</T></TN><DCT>
<En><S N="Key">a</S><I32 N="Value">1</I32></En><En><I32 N="Key">1</I32><S N="Value">int one</S></En>
<En><B N="Key">true</B><S N="Value">true merges with 1</S></En><En><Nil N="Key" /><S N="Value">nil key</S></En>
<En><G N="Key">0e12103b-9914-5f2c-8d96-27d67cd090e4</G><Ref N="Value" RefId="4" /></En><En><S N="Value">no key</S></En>
</DCT></Obj>
<Obj N="Objects" RefId="9"><TN RefId="6"><T>System.Object[]</T><T>System.Array</T><T>System.Object</T></TN><LST>
<S>x</S><Obj RefId="10"><TNRef RefId="1" /><ToString>as generic</ToString></Obj>
<Obj RefId="11"><Props><S N="P">q</S></Props></Obj></LST></Obj>
<Obj N="Strings" RefId="12"><TN RefId="7"><T>System.String[]</T><T>System.Array</T><T>System.Object</T></TN><LST><S>a</S><Nil /></LST></Obj>
<Obj N="Generic" RefId="13"><TN RefId="8"><T>System.Collections.Generic.List`1[[System.String, mscorlib]]</T><T>System.Object</T></TN><LST><S>g</S></LST></Obj>
<Obj N="Stack" RefId="14"><TN RefId="9"><T>System.Collections.Stack</T><T>System.Object</T></TN><STK><I32>1</I32><I32>2</I32></STK></Obj>
<Obj N="Nested" RefId="15"><TNRef RefId="1" /><LST><Obj RefId="16"><TNRef RefId="1" /><LST><I32>1</I32></LST></Obj></LST></Obj>
</MS></Obj>"""


EVERY_KIND = {
    "mailbox": MAILBOX,
    "no types": '<Obj RefId="0"><Props><S N="A">b</S></Props></Obj>',
    "only a property set": f'<Obj RefId="0"><TN RefId="0">{MAILBOX_TYPES}</TN><I32>5</I32></Obj>',
    "only ToString": '<Obj RefId="0"><TN RefId="0"><T>Demo.X</T><T>System.Object</T></TN><ToString>shown</ToString></Obj>',
    "empty object": '<Obj RefId="0"><TN RefId="0"><T>Demo.X</T><T>System.Object</T></TN></Obj>',
    "string": "<S>plain text_x000D__x000A_</S>",
    "int": "<I32>42</I32>", "long": "<I64>9223372036854775807</I64>", "bool": "<B>true</B>",
    "double": "<Db>0.1</Db>", "date with offset": "<DT>2026-03-14T15:09:26.5+01:00</DT>",
    "guid": "<G>0b1c2d3e-4f50-4617-8283-94a5b6c7d8e9</G>", "null": "<Nil />", "bytes": "<BA>AAEC</BA>",
    "char": "<C>233</C>", "top-level list": f'<Obj RefId="0"><TN RefId="0">{ARRAYLIST}</TN><LST><S>a</S><I32>1</I32></LST></Obj>',
    "top-level dict": ('<Obj RefId="0"><TN RefId="0"><T>System.Collections.Hashtable</T></TN><DCT><En><I32 N="Key">1</I32>'
                       '<S N="Value">one</S></En></DCT></Obj>'),
    "PSObject": '<Obj RefId="0"><TN RefId="0"><T>System.Management.Automation.PSObject</T></TN><MS><S N="A">1</S></MS></Obj>',
    "selected (Select-Object)": ('<Obj RefId="0"><TN RefId="0"><T>Selected.Microsoft.Exchange.Data.Directory.Management.Mailbox</T>'
                                 '<T>System.Management.Automation.PSCustomObject</T><T>System.Object</T></TN>'
                                 '<MS><S N="Name">a</S><Nil N="Size" /></MS></Obj>'),
    "object dictionary key": ('<Obj RefId="0"><MS><Obj N="D" RefId="1"><TN RefId="0"><T>System.Collections.Hashtable</T></TN>'
                              '<DCT><En><Obj N="Key" RefId="2"><ToString>k</ToString></Obj><S N="Value">v</S></En>'
                              '</DCT></Obj></MS></Obj>'),
    "doctype entity": '<!DOCTYPE S [<!ENTITY e "expanded">]><S>&e;</S>',
    "comment and CDATA": "<S>a<!-- c -->b<![CDATA[<c>]]></S>",
    "misaligned escape": "<S>\u4e00\u5f00\u7830\u0030\u0030\u0034\u0031_</S>",
    "objects in an Object[]": ('<Obj RefId="0"><MS><Obj N="L" RefId="1"><TN RefId="0"><T>System.Object[]</T></TN><LST>'
                               '<Obj RefId="2"><TN RefId="1"><T>System.Collections.Hashtable</T></TN><ToString>h</ToString>'
                               '</Obj></LST></Obj></MS></Obj>'),
}

# What the fast reader leaves to pypsrp: the result must still be pypsrp's.
OFF_THE_FAST_PATH = {
    "pypsrp class (ErrorRecord)": ('<Obj RefId="0"><TN RefId="0"><T>System.Management.Automation.ErrorRecord</T>'
                                   '<T>System.Object</T></TN><ToString>boom</ToString><MS><S N="Message">boom</S></MS></Obj>'),
    "nested ParameterMetadata": ('<Obj RefId="0"><MS><Obj N="P" RefId="1"><TN RefId="0"><T>System.Management.Automation.'
                                 'ParameterMetadata</T></TN><ToString>Identity</ToString><Props><S N="Name">Identity</S>'
                                 '<S N="ParameterType">System.String</S><B N="IsDynamic">false</B>'
                                 '<B N="SwitchParameter">false</B><Nil N="Aliases" /></Props></Obj></MS></Obj>'),
    "secure string": '<Obj RefId="0"><Props><SS N="Secret">AAAA</SS></Props></Obj>',
    "bare LST without a list type": f'<Obj RefId="0"><TN RefId="0">{MAILBOX_TYPES}</TN><LST><S>a</S></LST></Obj>',
    "string object with notes": ('<Obj RefId="0"><TN RefId="0"><T>System.String</T><T>System.Object</T></TN>'
                                 '<ToString>abc</ToString><S>abc</S></Obj>'),
    "queue": '<Obj RefId="0"><MS><Obj N="Q" RefId="1"><TN RefId="0"><T>System.Collections.Queue</T></TN><QUE><I32>1</I32></QUE></Obj></MS></Obj>',
    "LST in a generic entry of an Object[]": ('<Obj RefId="0"><MS><Obj N="L" RefId="1"><TN RefId="0"><T>System.Object[]</T>'
                                              f'</TN><LST><Obj RefId="2"><TN RefId="1">{ARRAYLIST}</TN><LST><S>a</S></LST>'
                                              '</Obj></LST></Obj></MS></Obj>'),
    "untyped entries of a plain list": (f'<Obj RefId="0"><TN RefId="0">{ARRAYLIST}</TN><LST><Obj RefId="1"><ToString>a'
                                        '</ToString></Obj><S>b</S><Obj RefId="2"><ToString>c</ToString></Obj></LST></Obj>'),
    "untyped entry after a string": (f'<Obj RefId="0"><MS><Obj N="L" RefId="1"><TN RefId="0">{ARRAYLIST}</TN><LST><S>b</S>'
                                     '<Obj RefId="2"><ToString>c</ToString></Obj></LST></Obj></MS></Obj>'),
    "unknown type only": '<Obj RefId="0"><TN RefId="0"><T>Demo.Unknown</T></TN><LST /></Obj>',
    "self reference in a property set": '<Obj RefId="0"><Props><S N="A">a</S></Props><Ref RefId="0" /></Obj>',
}

HOSTILE = {
    "not XML": "<Obj RefId='0'><Props><S N='A'>unclosed",
    "empty": "",
    "unknown Ref": '<Obj RefId="0"><Props><Ref N="A" RefId="99" /></Props></Obj>',
    "cyclic Ref": '<Obj RefId="0"><Props><Ref N="Me" RefId="0" /></Props></Obj>',
    "unknown TNRef": '<Obj RefId="0"><TNRef RefId="7" /><Props><S N="A">b</S></Props></Obj>',
    "bad int": "<Obj RefId=\"0\"><Props><I32 N=\"A\">twelve</I32></Props></Obj>",
    "bad guid": "<G>not-a-guid</G>",
    "bad escape": "<S>_xZZZZ_</S>",
    "bad base64": "<BA>!</BA>",
    "char out of range": "<C>1114112</C>",
    "property without a name": '<Obj RefId="0"><Props><S>nameless</S></Props></Obj>',
    "object without RefId": "<Obj><Props><S N='A'>b</S></Props></Obj>",
    "bool without text": '<Obj RefId="0"><Props><B N="A" /></Props></Obj>',
    "deep nesting": "<Obj RefId='0'><MS>" + "".join(f"<Obj N='x' RefId='{i}'><MS>" for i in range(1, 3000))
                    + "</MS></Obj>" * 2999 + "</MS></Obj>",
}


@pytest.mark.parametrize("name", sorted(EVERY_KIND))
def test_every_kind_takes_the_fast_path_and_matches_pypsrp(name: str) -> None:
    xml = EVERY_KIND[name]
    expected = reference(xml)
    assert expected[0] == "ok"
    assert fast(xml) == expected
    assert exohop(xml) == expected


def test_the_mailbox_reads_as_an_engineer_expects() -> None:
    """Not only equal to pypsrp: the values themselves (a parity test alone would pass two equal wrongs)."""
    r = decode_output(MAILBOX)
    assert r.type_names[0] == "Microsoft.Exchange.Data.Directory.Management.Mailbox" and r.text == "Adele Vance"
    assert r["Name"] == "Adele\nVanceAB" and r["DisplayName"] == "Ad&le <V> \U0001f600 \u5f00"
    assert r["EmailAddresses"] == ["SMTP:a@contoso.com", "smtp:b@x"] and r["Empty"] == []
    assert r["ArchiveQuota"]["Value"] == "100 GB (107,374,182,400 bytes)"
    assert r["RecipientTypeDetails"] == "UserMailbox" and r["NoText"] == 4 and r["Sets"] == [1, "two"]
    assert r["WhenCreated"] == "2024-05-01T10:00:00.1234567+02:00"
    assert r["Guid"] == uuid.UUID("0e12103b-9914-5f2c-8d96-27d67cd090e4") and r["ForwardingAddress"] is None
    assert (r["HiddenTrue"], r["HiddenFalse"], r["U64"], r["I64"]) == (True, False, 2**64 - 1, -(2**63))
    assert r["Photo"] == b"\x00\x01binary" and r["C"] == "A" and r["Uri"] == "https://x/ " and r["Blank"] == ""
    assert r["SameAddresses"] == r["EmailAddresses"] and r["SameAddresses"] is not r["EmailAddresses"]
    assert r["Name"] != "extended loses to adapted" and r["Extra"] == 8
    assert r["Table"] == {"a": 1, "1": "true merges with 1", "None": "nil key",
                          "0e12103b-9914-5f2c-8d96-27d67cd090e4": "UserMailbox", "": "no key"}
    assert r["Objects"][0] == "x" and r["Objects"][2]["P"] == "q"
    assert r["Strings"] == ["a", None] and r["Generic"] == ["g"] and r["Stack"] == [1, 2] and r["Nested"] == [[1]]


@pytest.mark.parametrize("name", sorted(OFF_THE_FAST_PATH))
def test_what_the_fast_path_leaves_gets_pypsrps_result(name: str) -> None:
    xml = OFF_THE_FAST_PATH[name]
    with pytest.raises(NotMirrored):
        decode_output(xml)
    assert exohop(xml) == reference(xml)


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_output_fails_cleanly_or_as_pypsrp_does(name: str) -> None:
    """Same result as pypsrp; where pypsrp fails, UnreadableOutput (``exohop`` lets anything else through)."""
    xml = HOSTILE[name]
    assert exohop(xml) == reference(xml)


def test_a_top_level_dictionary_keyed_by_an_object_is_left_to_pypsrp() -> None:
    """to_record prints pypsrp's dictionary, object address and all: nothing to mirror."""
    xml = ('<Obj RefId="0"><TN RefId="0"><T>System.Collections.Hashtable</T></TN><DCT><En><Obj N="Key" RefId="1">'
           '<ToString>k</ToString></Obj><S N="Value">v</S></En></DCT></Obj>')
    with pytest.raises(NotMirrored):
        decode_output(xml)
    assert to_record(RawOutput(xml, None)).text.startswith("{<pypsrp.complex_objects.GenericComplexObject")


def test_an_unreadable_object_becomes_a_sentence_not_a_traceback() -> None:
    with pytest.raises(UnreadableOutput) as caught:
        to_record(RawOutput(HOSTILE["unknown Ref"], None))
    err = from_exception(caught.value, account="admin@partner.example", tenant="contoso.com", host="outlook.example",
                         during="command")
    assert err.kind == SERVER_FAULT and "could not read" in err.message
    assert "KeyError" not in err.message and "99" not in err.message


def test_the_importer_reads_command_metadata_like_pypsrps_objects() -> None:
    """GetCommandMetadata output: the count and each command, fast, give the catalog pypsrp's objects give."""
    count = ('<Obj RefId="0"><TN RefId="0"><T>Selected.Microsoft.PowerShell.Commands.GenericMeasureInfo</T>'
             '<T>System.Management.Automation.PSCustomObject</T><T>System.Object</T></TN><MS><I32 N="Count">1</I32>'
             '<I32 N="Count">1</I32></MS></Obj>')
    command = ('<Obj RefId="0"><TN RefId="0"><T>Selected.System.Management.Automation.CmdletInfo</T><T>System.Object</T>'
               '</TN><MS><S N="Name">Set-Mailbox</S><Obj RefId="1" N="Parameters"><TN RefId="1"><T>System.Collections.'
               'Hashtable</T><T>System.Object</T></TN><DCT>'
               + "".join(f'<En><S N="Key">{n}</S><Obj RefId="{i * 3 + 2}" N="Value"><TN RefId="{i + 2}"><T>System.'
                         f'Management.Automation.ParameterMetadata</T><T>System.Object</T></TN><Props><S N="Name">{n}'
                         f'</S><S N="ParameterType">{t}</S><Obj RefId="{i * 3 + 3}" N="Aliases"><TN RefId="{i + 20}">'
                         f'{ARRAYLIST}</TN><LST>{"".join(f"<S>{a}</S>" for a in al)}</LST></Obj><B N="IsDynamic">false'
                         f'</B><B N="SwitchParameter">{str(sw).lower()}</B></Props><ToString>{n}</ToString></Obj></En>'
                         for i, (n, t, sw, al) in enumerate([
                             ("Identity", "Microsoft.Exchange.Configuration.Tasks.MailboxIdParameter", False, []),
                             ("Force", "System.Management.Automation.SwitchParameter", True, []),
                             ("Confirm", "System.Management.Automation.SwitchParameter", True, ["cf"]),
                             ("Verbose", "System.Management.Automation.SwitchParameter", True, ["vb"]),
                             ("MaxSendSize", "Microsoft.Exchange.Data.Unlimited`1[[Microsoft.Exchange.Data."
                                             "ByteQuantifiedSize, Microsoft.Exchange.Data]]", False, [])]))
               + "</DCT></Obj></MS><ToString>Set-Mailbox</ToString></Obj>")
    fast_count = decode_output(count, generic_types=METADATA_TYPES)
    assert fast_count["Count"] == 1
    fast_command = decode_output(command, generic_types=METADATA_TYPES)
    pypsrp_command = pypsrp_output(RawOutput(command, None))
    assert catalog_from_metadata([fast_command]) == catalog_from_metadata([pypsrp_command])
    (info,) = catalog_from_metadata([output_value(RawOutput(command, None), METADATA_TYPES)])
    assert [(p.name, p.type, p.switch, p.aliases) for p in info.parameters] == [
        ("Identity", "MailboxIdParameter", False, ()), ("Force", "SwitchParameter", True, ()),
        ("Confirm", "SwitchParameter", True, ("cf",)), ("MaxSendSize", "Unlimited", False, ())]


# -- generated CLIXML: trees of every tag, type names pypsrp treats specially, references, bad values ------

TYPE_NAMES = ["System.Object", "Deserialized.System.Object", "System.Collections.ArrayList",
              "Deserialized.System.Collections.ArrayList", "System.Collections.Hashtable", "System.Object[]",
              "System.String[]", "System.Int32[]", "System.Collections.Generic.List`1[[System.String, mscorlib]]",
              "System.Collections.Generic.Dictionary`2[[System.String, mscorlib],[System.Int32, mscorlib]]",
              "System.Collections.Stack", "System.Collections.Queue", "System.Enum", "System.ValueType",
              "System.String", "System.Int32", "System.Management.Automation.PSObject",
              "System.Management.Automation.PSCustomObject", "System.Management.Automation.ParameterMetadata",
              "System.Management.Automation.ErrorRecord", "Selected.Demo.Thing", "Deserialized.Demo.Thing",
              "Demo.Thing", "System.Management.Automation.PSObject[]", "System.Collections.Hashtable[]"]
VALUES: dict[str, list[str]] = {
    "S": ["", "text", "a&amp;b &lt;c&gt;", "_x000A_", "_x005F_x0041_", "_xD83D__xDE00_", "_xZZZZ_", "_x12", "\u5f00",
          "x\u5f00x0041_", "é ☃ \U0001f600", "  spaced  ", "line\nbreak"],
    "B": ["true", "false", "True", "FALSE", "yes", ""], "I32": ["0", "-1", "2147483647", " 7 ", "1_000", "x", ""],
    "I64": ["-9223372036854775808", "12"], "U64": ["18446744073709551615"], "By": ["255"], "SB": ["-1"],
    "U16": ["1"], "I16": ["-2"], "U32": ["3"], "Db": ["1.5", "-0.0", "1e308", "nan", "inf", "x"], "Sg": ["2.5"],
    "D": ["1.10", ""], "DT": ["2024-05-01T10:00:00.1234567+02:00", "2024-05-01T08:00:00Z", ""],
    "TS": ["PT1H"], "G": [str(uuid.UUID(int=5)), "not-a-guid"], "BA": ["AAEC", "", "!"], "C": ["65", "0", "x"],
    "Nil": [""], "URI": ["https://x/"], "Version": ["1.2.3"], "XD": ["&lt;a/&gt;"], "SBK": ["{ 1 }"],
    "ToString": ["shown"], "Ref": [], "SS": ["AAAA"],
}
NAMES = ["Name", "name", "Value", "Key", "A", "B", "Count"]


@st.composite
def clixml(draw: st.DrawFn, depth: int = 0) -> str:
    """One value element (no N attribute): a primitive, a Ref, or an object with any of its parts."""
    leaf_tags = sorted(VALUES)
    if depth >= 3 or (depth > 0 and draw(st.integers(0, 3)) > 0):
        tag = draw(st.sampled_from(leaf_tags))
        if tag == "Ref":
            return f'<Ref RefId="{draw(st.integers(0, 12))}" />'
        text = draw(st.sampled_from(VALUES[tag]))
        return f"<{tag}>{text}</{tag}>" if text else f"<{tag} />"
    ref_id = draw(st.integers(0, 12)) if draw(st.integers(0, 9)) == 0 else None   # a repeated RefId, sometimes
    parts: list[str] = []
    types = draw(st.sampled_from(["none", "tn", "tnref"]))
    if types == "tn":
        names = draw(st.lists(st.sampled_from(TYPE_NAMES), min_size=1, max_size=3))
        parts.append(f'<TN RefId="{draw(st.integers(0, 4))}">' + "".join(f"<T>{escape(n)}</T>" for n in names) + "</TN>")
    elif types == "tnref":
        parts.append(f'<TNRef RefId="{draw(st.integers(0, 4))}" />')
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["Props", "MS", "ToString", "LST", "STK", "QUE", "DCT", "set"]))
        if kind in ("Props", "MS"):
            props = draw(st.lists(st.tuples(st.sampled_from(NAMES), clixml(depth + 1)), max_size=4))
            parts.append(f"<{kind}>" + "".join(named(v, n) for n, v in props) + f"</{kind}>")
        elif kind == "ToString":
            parts.append(f"<ToString>{draw(st.sampled_from(VALUES['S']))}</ToString>")
        elif kind in ("LST", "STK", "QUE"):
            parts.append(f"<{kind}>" + "".join(draw(st.lists(clixml(depth + 1), max_size=3))) + f"</{kind}>")
        elif kind == "DCT":
            entries = draw(st.lists(st.tuples(clixml(depth + 1), clixml(depth + 1)), max_size=3))
            parts.append("<DCT>" + "".join(f"<En>{named(k, 'Key')}{named(v, 'Value')}</En>" for k, v in entries)
                         + "</DCT>")
        else:
            parts.append(draw(clixml(depth + 1)))
    order = draw(st.permutations(parts)) if draw(st.booleans()) else parts
    rid = "" if draw(st.integers(0, 30)) == 0 else f' RefId="{ref_id if ref_id is not None else "{id}"}"'
    return f"<Obj{rid}>" + "".join(order) + "</Obj>"


def named(element: str, name: str) -> str:
    """The element with N="name" right after its tag."""
    end = min(i for i in (element.find(" "), element.find(">"), element.find("/")) if i > 0)
    return element[:end] + f" N={quoteattr(name)}" + element[end:]


def numbered(xml: str) -> str:
    """Give each ``{id}`` placeholder its own RefId, counting up as pypsrp's serializer would."""
    out: list[str] = []
    for n, piece in enumerate(xml.split("{id}")):
        out.append(piece)
        out.append(str(100 + n))
    return "".join(out[:-1])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(clixml(), st.integers(-400, 400))
def test_generated_clixml_reads_as_pypsrp_reads_it(tree: str, cut: int) -> None:
    xml = numbered(tree)
    if cut >= 0:
        xml = xml[:cut]          # a torn message: malformed XML
    assert exohop(xml) == reference(xml)
