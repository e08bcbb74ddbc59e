"""Local cmdlets over hand-made Records, driven through the real parser and binder."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from itertools import count
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui.catalog import Catalog
from tui.shell import parse
from tui.shell.binder import bind
from tui.shell.bound import BoundCommand
from tui.shell.errors import ShellError
from tui.shell.local import FileOutput, FormatHint, LocalError, TextOutput, run_local
from tui.shell.records import Record
from tui.shell.syntax import ScriptBlock

MAILBOX = ("Microsoft.Exchange.Data.Directory.Management.Mailbox", "System.Object")
GB = 1024 ** 3


def mailbox(name: str, quota_gb: int | None, items: int, dept: str, created: datetime | None = None,
            emails: list[str] | None = None) -> Record:
    quota = "Unlimited" if quota_gb is None else f"{quota_gb} GB ({quota_gb * GB:,} bytes)"
    return Record({
        "Name": name, "Alias": name.lower(), "ProhibitSendQuota": quota, "ItemCount": items,
        "Department": dept, "WhenCreated": created or datetime(2026, 1, 1),
        "EmailAddresses": emails or [f"SMTP:{name.lower()}@contoso.com"],
    }, MAILBOX)


RECORDS = [
    mailbox("Alice", 99, 120, "Sales", datetime(2025, 3, 1), ["SMTP:alice@contoso.com", "smtp:al@contoso.com"]),
    mailbox("bob", 49, 7, "IT", datetime(2026, 6, 1)),
    mailbox("Carol", None, 3000, "sales", datetime(2024, 1, 1)),
    mailbox("dave", 100, 7, "HR", datetime(2026, 11, 1)),
    mailbox("Eve", 2, 0, "IT", datetime(2023, 5, 5)),
]


def commands(line: str) -> list[BoundCommand]:
    script = parse(line)
    return [bind(c, Catalog()) for c in script.statements[0].commands]


def run(line: str, records: Iterable[Any] = RECORDS, variables: dict[str, Any] | None = None) -> list[Any]:
    return list(run_local(commands(line), records, variables))


def names(out: list[Any]) -> list[str]:
    return [r["Name"] for r in out if isinstance(r, Record)]


# -- Where-Object ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("line", "expected"), [
    ("Where-Object { $_.ProhibitSendQuota -gt 50GB }", ["Alice", "Carol", "dave"]),
    ("Where-Object ProhibitSendQuota -gt 50GB", ["Alice", "Carol", "dave"]),
    ("Where-Object ProhibitSendQuota -lt 50GB", ["bob", "Eve"]),
    ("Where-Object Department -eq sales", ["Alice", "Carol"]),
    ("Where-Object Department sales", ["Alice", "Carol"]),
    ("Where-Object Department -ceq sales", ["Carol"]),
    ("Where-Object Department -ne sales", ["bob", "dave", "Eve"]),
    ("Where-Object Name -like '[a-c]*'", ["Alice", "bob", "Carol"]),
    ("Where-Object Name -clike '[a-c]*'", ["bob"]),
    ("Where-Object Name -notlike '*e'", ["bob", "Carol"]),
    ("Where-Object Name -match '^(bob|eve)$'", ["bob", "Eve"]),
    ("Where-Object Name -cnotmatch '^[A-Z]'", ["bob", "dave"]),
    ("Where-Object ItemCount -ge 120", ["Alice", "Carol"]),
    ("Where-Object ItemCount -le 7", ["bob", "dave", "Eve"]),
    ("Where-Object EmailAddresses -contains 'smtp:AL@contoso.com'", ["Alice"]),
    ("Where-Object EmailAddresses -notcontains 'smtp:AL@contoso.com'", ["bob", "Carol", "dave", "Eve"]),
    ("Where-Object Department -in 'HR','it'", ["bob", "dave", "Eve"]),
    ("Where-Object Department -notin 'HR','it'", ["Alice", "Carol"]),
    ("Where-Object ItemCount", ["Alice", "bob", "Carol", "dave"]),
    ("Where-Object -Not ItemCount", ["Eve"]),
    ("Where-Object WhenCreated -gt '2026-01-01'", ["bob", "dave"]),
    ("? { $_.ItemCount -gt 5 -and $_.Department -eq 'IT' -or $_.Name -eq 'eve' }", ["bob", "Eve"]),
    ("where { -not ($_.Name -like '*e*') }", ["bob", "Carol"]),
    ("Where-Object { $_.EmailAddresses -like '*@contoso.com' }", ["Alice", "bob", "Carol", "dave", "Eve"]),
    ("Where-Object { $_.Missing -eq $null }", ["Alice", "bob", "Carol", "dave", "Eve"]),
    ("Where-Object { $_.ProhibitSendQuota -eq 'Unlimited' }", ["Carol"]),
])
def test_where_object(line: str, expected: list[str]) -> None:
    assert names(run(line)) == expected


def test_where_object_uses_session_variables() -> None:
    assert names(run("Where-Object { $_.ItemCount -gt $min }", variables={"min": 100})) == ["Alice", "Carol"]


# -- Select-Object ---------------------------------------------------------------------------------


def test_select_properties_in_order_with_wildcards_and_missing_as_null() -> None:
    out = run("Select-Object Name, *Quota, Nope -First 1")
    assert len(out) == 1
    rec = out[0]
    assert list(rec.properties) == ["Name", "ProhibitSendQuota", "Nope"]
    assert rec["Nope"] is None
    assert rec.type_names[0] == "Selected.Microsoft.Exchange.Data.Directory.Management.Mailbox"


def test_select_calculated_properties_all_key_spellings() -> None:
    out = run("Select-Object Name, @{n='GB';e={$_.ProhibitSendQuota / 1GB}}, "
              "@{Label='Upper'; Expression={ $_.Name.ToUpper() }}, @{Name='Dept'; Expression='Department'}, "
              "{ $_.ItemCount * 2 } -First 2")
    assert [r.properties for r in out] == [
        {"Name": "Alice", "GB": 99, "Upper": "ALICE", "Dept": "Sales", "$_.ItemCount * 2": 240},
        {"Name": "bob", "GB": 49, "Upper": "BOB", "Dept": "IT", "$_.ItemCount * 2": 14},
    ]


def test_select_first_stops_pulling_from_an_infinite_source() -> None:
    pulled: list[int] = []

    def endless() -> Iterator[Record]:
        for i in count():
            pulled.append(i)
            yield Record({"Name": f"u{i}", "N": i})

    out = run("Select-Object -First 5", endless())
    assert names(out) == [f"u{i}" for i in range(5)]
    assert pulled == [0, 1, 2, 3, 4]


def test_where_then_first_is_lazy_too() -> None:
    pulled: list[int] = []

    def endless() -> Iterator[Record]:
        for i in count():
            pulled.append(i)
            yield Record({"N": i})

    stream = run_local(commands("Where-Object { $_.N % 2 -eq 0 } | Select-Object -First 3"), endless())
    assert [r["N"] for r in stream] == [0, 2, 4]
    assert pulled == [0, 1, 2, 3, 4]


def test_run_local_does_not_pull_before_iteration() -> None:
    pulled: list[int] = []

    def source() -> Iterator[Record]:
        pulled.append(1)
        yield Record({"N": 1})

    stream = run_local(commands("Select-Object -First 1"), source())
    assert pulled == []
    assert len(list(stream)) == 1


@pytest.mark.parametrize(("line", "expected"), [
    ("Select-Object -Last 2", ["dave", "Eve"]),
    ("Select-Object -Skip 3", ["dave", "Eve"]),
    ("Select-Object -Last 2 -Skip 1", ["Carol", "dave"]),
    ("Select-Object -Skip 1 -First 2", ["bob", "Carol"]),
    ("Select-Object -First 1 -Last 1", ["Alice", "Eve"]),
    ("Select-Object -Index 0,2", ["Alice", "Carol"]),
    ("Select-Object -SkipLast 3", ["Alice", "bob"]),
    ("Select-Object -First 0", []),
    ("Select-Object", ["Alice", "bob", "Carol", "dave", "Eve"]),
])
def test_select_slicing(line: str, expected: list[str]) -> None:
    assert names(run(line)) == expected


def test_select_expand_property_flattens_lists_and_yields_text() -> None:
    out = run("Select-Object -ExpandProperty EmailAddresses -First 2")
    assert out == [TextOutput("SMTP:alice@contoso.com", "SMTP:alice@contoso.com"),
                   TextOutput("smtp:al@contoso.com", "smtp:al@contoso.com"),
                   TextOutput("SMTP:bob@contoso.com", "SMTP:bob@contoso.com")]
    numbers = run("Select-Object -ExpandProperty ItemCount")
    assert [t.value for t in numbers] == [120, 7, 3000, 7, 0]
    assert numbers[0].text == "120"


def test_select_expand_missing_property_is_a_clear_error() -> None:
    with pytest.raises(LocalError, match='Property "Nope" cannot be found'):
        run("Select-Object -ExpandProperty Nope")


def test_select_unique_and_exclude() -> None:
    assert [r["ItemCount"] for r in run("Select-Object ItemCount -Unique")] == [120, 7, 3000, 0]
    assert [r.properties for r in run("Select-Object Department -Unique")] == [
        {"Department": "Sales"}, {"Department": "IT"}, {"Department": "sales"}, {"Department": "HR"}]
    out = run("Select-Object -ExcludeProperty *Quota,EmailAddresses,WhenCreated -First 1")
    assert list(out[0].properties) == ["Name", "Alias", "ItemCount", "Department"]
    out = run("Select-Object * -ExcludeProperty Alias -First 1")
    assert "Alias" not in out[0] and "Name" in out[0]


def test_select_on_scalars_works_on_their_members() -> None:
    out = list(run_local(commands("Select-Object Length"), ["abc", "hello"]))
    assert [r["Length"] for r in out] == [3, 5]


# -- Sort-Object -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("line", "expected"), [
    ("Sort-Object Name", ["Alice", "bob", "Carol", "dave", "Eve"]),
    ("Sort-Object Name -Descending", ["Eve", "dave", "Carol", "bob", "Alice"]),
    ("Sort-Object ItemCount", ["Eve", "bob", "dave", "Alice", "Carol"]),
    ("Sort-Object ProhibitSendQuota", ["Eve", "bob", "Alice", "dave", "Carol"]),
    ("Sort-Object WhenCreated -Descending", ["dave", "bob", "Alice", "Carol", "Eve"]),
    ("Sort-Object ItemCount, Name -Descending", ["Carol", "Alice", "dave", "bob", "Eve"]),
    ("Sort-Object @{e='ItemCount';Descending=$true}, @{e={$_.Name};Ascending=$true}",
     ["Carol", "Alice", "bob", "dave", "Eve"]),
    ("Sort-Object { $_.Name.Length }, Name", ["bob", "Eve", "dave", "Alice", "Carol"]),
    ("Sort-Object Department -Unique", ["HR", "IT", "Sales"]),
    ("Sort-Object ItemCount -Top 2", ["Eve", "bob"]),
    ("Sort-Object ItemCount -Bottom 2", ["Alice", "Carol"]),
])
def test_sort_object(line: str, expected: list[str]) -> None:
    out = run(line)
    key = "Department" if "Unique" in line else "Name"
    assert [r[key] for r in out] == expected


def test_sort_case_sensitive_and_scalars() -> None:
    assert [r["Name"] for r in run("Sort-Object Name -CaseSensitive")][:2] == ["Alice", "bob"]
    words = [Record({"W": w}) for w in ("B", "a", "A", "b")]
    assert [r["W"] for r in run("Sort-Object W -CaseSensitive", words)] == ["a", "A", "b", "B"]
    assert [r["W"] for r in run("Sort-Object W -Unique -CaseSensitive", words)] == ["a", "A", "b", "B"]
    assert [r["W"] for r in run("Sort-Object W -Unique", words)] == ["a", "B"]
    assert [t.value for t in run_local(commands("Sort-Object"), [3, 1, 2])] == [1, 2, 3]
    mixed = [None, "b", 2, datetime(2026, 1, 1), "A", 10]
    assert [t.value if isinstance(t, TextOutput) else None
            for t in run_local(commands("Sort-Object"), mixed)] == [None, 2, 10, datetime(2026, 1, 1), "A", "b"]


# -- Group-Object / Measure-Object ----------------------------------------------------------------


def test_group_object_counts_case_insensitively_sorted_by_value() -> None:
    out = run("Group-Object Department")
    assert [(g["Count"], g["Name"]) for g in out] == [(1, "HR"), (2, "IT"), (2, "Sales")]
    assert names(out[2]["Group"]) == ["Alice", "Carol"]  # members keep their input order
    assert [g["Name"] for g in run("Group-Object ItemCount -NoElement")] == ["0", "7", "120", "3000"]
    assert out[0].type_names[0] == "Microsoft.PowerShell.Commands.GroupInfo"


def test_group_object_no_element_several_properties_and_hashtable() -> None:
    out = run("Group-Object Department -NoElement")
    assert "Group" not in out[0] and out[0]["Count"] == 1
    out = run("Group-Object Department, ItemCount")
    assert [g["Name"] for g in out] == ["HR, 7", "IT, 0", "IT, 7", "Sales, 120", "sales, 3000"]
    table = run("Group-Object Department -AsHashTable")
    assert len(table) == 1 and names(table[0]["it"]) == ["bob", "Eve"]


def test_measure_object_count_and_stats() -> None:
    (m,) = run("Measure-Object")
    assert m["Count"] == 5 and m["Sum"] is None
    (m,) = run("Measure-Object ItemCount -Sum -Average -Maximum -Minimum")
    assert (m["Count"], m["Sum"], m["Average"], m["Maximum"], m["Minimum"], m["Property"]) == (
        5, 3134, 626.8, 3000, 0, "ItemCount")
    (m,) = run("Measure-Object ItemCount -AllStats")
    assert m["StandardDeviation"] == pytest.approx(1327.60, abs=0.01)  # sample deviation, as PowerShell


def test_measure_object_measures_sizes_as_bytes() -> None:
    (m,) = run("Where-Object ProhibitSendQuota -ne Unlimited | Measure-Object ProhibitSendQuota -Sum -Maximum")
    assert m["Sum"] == (99 + 49 + 100 + 2) * GB
    assert m["Maximum"] == 100 * GB


def test_measure_object_errors_and_text() -> None:
    with pytest.raises(LocalError, match="is not numeric"):
        run("Measure-Object Name -Sum")
    with pytest.raises(LocalError, match='property "Nope" cannot be found'):
        run("Measure-Object Nope -Sum")
    (m,) = run("Measure-Object Name -Maximum -Minimum")
    assert (m["Maximum"], m["Minimum"]) == ("Eve", "Alice")
    (t,) = list(run_local(commands("Measure-Object -Line -Word -Character"), ["two words", "x"]))
    assert (t["Lines"], t["Words"], t["Characters"]) == (2, 3, 10)


# -- Format, Export, ConvertTo, Out-File ------------------------------------------------------------


def test_format_table_yields_hint_first_then_projected_records() -> None:
    out = run("Format-Table Name, @{n='GB';e={$_.ProhibitSendQuota / 1GB}} -AutoSize")
    assert out[0] == FormatHint("table", ["Name", "GB"], auto_size=True)
    assert [r.properties for r in out[1:3]] == [{"Name": "Alice", "GB": 99}, {"Name": "bob", "GB": 49}]
    out = run("Format-List")
    assert out[0] == FormatHint("list", None) and names(out[1:]) == names(RECORDS)
    assert run("Format-Table Name", [])[0] == FormatHint("table", ["Name"])


def test_export_csv_yields_a_file_for_the_caller_to_write() -> None:
    (f,) = run("Select-Object Name, ItemCount -First 2 | Export-Csv -Path report.csv -NoTypeInformation")
    assert f == FileOutput("report.csv", '"Name","ItemCount"\n"Alice","120"\n"bob","7"\n', cmdlet="Export-Csv")
    (f,) = run("Select-Object Name -First 1 | Export-Csv out.csv -Append -Delimiter ';' -IncludeTypeInformation")
    assert f.append and f.text.startswith('#TYPE Selected.Microsoft')
    assert f.text_if_exists == '"Alice"\n'


def test_convertto_json_default_depth_and_options() -> None:
    nested = Record({"A": 1, "B": Record({"C": Record({"D": Record({"E": 1}, text="deep")})})})
    (j,) = list(run_local(commands("ConvertTo-Json"), [nested]))
    assert j.text == '{\n  "A": 1,\n  "B": {\n    "C": {\n      "D": "deep"\n    }\n  }\n}'
    (j,) = list(run_local(commands("ConvertTo-Json -Depth 5 -Compress"), [nested]))
    assert j.text == '{"A":1,"B":{"C":{"D":{"E":1}}}}'
    (j,) = run("Select-Object Name -First 2 | ConvertTo-Json -Compress")
    assert j.text == '[{"Name":"Alice"},{"Name":"bob"}]'
    (j,) = run("Select-Object Name -First 1 | ConvertTo-Json -Compress -AsArray")
    assert j.text == '[{"Name":"Alice"}]'
    with pytest.raises(LocalError, match="maximum allowed range of 100"):
        run("ConvertTo-Json -Depth 101")


def test_convertto_csv_yields_lines() -> None:
    out = run("Select-Object Name, EmailAddresses -First 1 | ConvertTo-Csv")
    assert [t.text for t in out] == ['"Name","EmailAddresses"', '"Alice","SMTP:alice@contoso.com;smtp:al@contoso.com"']


def test_out_file_writes_the_formatted_text() -> None:
    (f,) = run("Select-Object Name, ItemCount -First 2 | Out-File -FilePath out.txt -Append")
    assert f.path == "out.txt" and f.append
    assert f.text == "Name  ItemCount\n----  ---------\nAlice       120\nbob           7\n"
    (f,) = run("Select-Object Name -First 1 | Format-List | Out-File out.txt")
    assert f.text == "Name : Alice\n"
    (f,) = run("Select-Object -ExpandProperty Name -First 2 | Out-File -Path names.txt")
    assert f.text == "Alice\nbob\n"


# -- errors ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("line", "message"), [
    ("Format-Table | Select-Object Name", "only Out-File may follow it"),
    ("Export-Csv x.csv | Select-Object Name", "put it last"),
    ("Where-Object Name -Like", "needs a value"),
    ("Select-Object @{n='x'}", "needs an Expression key"),
    ("Select-Object @{n='x';e={$_.A};zzz=1}", 'The "zzz" key is not valid'),
])
def test_misuse_is_reported_before_any_record_is_pulled(line: str, message: str) -> None:
    def boom() -> Iterator[Record]:
        raise AssertionError("pulled")
        yield Record()

    with pytest.raises(LocalError, match=message):
        run_local(commands(line), boom())


def test_script_block_errors_point_into_the_line() -> None:
    line = "Where-Object { $_.Name = 'x' }"
    with pytest.raises(ShellError) as info:
        run_local(commands(line), RECORDS)
    assert "use -eq" in info.value.message
    assert line[info.value.column] == "="


def test_missing_export_path_and_unknown_local_cmdlet() -> None:
    with pytest.raises(LocalError, match="needs a file path"):
        run_local([BoundCommand("Export-Csv", {}, local=True)], [])
    with pytest.raises(LocalError, match="is not a local cmdlet"):
        run_local([BoundCommand("Get-Mailbox", {}, local=True)], [])


def test_hand_made_bound_commands_with_plain_values() -> None:
    cmds = [BoundCommand("Where-Object", {"FilterScript": ScriptBlock("$_.ItemCount -eq 7", 0)}),
            BoundCommand("Select-Object", {"property": "Name"})]
    assert names(list(run_local(cmds, RECORDS))) == ["bob", "dave"]


def test_datetimes_that_arrive_as_iso_text_behave_as_dates() -> None:
    # pypsrp hands .NET DateTime values over as ISO 8601 text
    stats = [Record({"DisplayName": n, "LastLogonTime": t}) for n, t in (
        ("old", "2025-01-04T22:17:39.1234567Z"), ("new", "2026-11-04T22:17:39Z"), ("never", None))]
    assert [r["DisplayName"] for r in run("Where-Object { $_.LastLogonTime -lt [datetime]'2026-01-01' }", stats)] \
        == ["old", "never"]
    assert [r["DisplayName"] for r in run("Where-Object LastLogonTime -gt '11/1/2026'", stats)] == ["new"]
    assert [r["DisplayName"] for r in run("? { $_.LastLogonTime -and $_.LastLogonTime.AddDays(400) -gt (Get-Date) }",
                                          stats)] == ["new"]
    assert [r["DisplayName"] for r in run("Sort-Object LastLogonTime -Descending", stats)] == ["new", "old", "never"]


def test_foreach_object_expressions_and_member_names() -> None:
    assert [t.value for t in run("ForEach-Object { $_.Name.ToUpper() }")] == ["ALICE", "BOB", "CAROL", "DAVE", "EVE"]
    assert [t.value for t in run("Select-Object -First 2 | % EmailAddresses")] == [
        "SMTP:alice@contoso.com", "smtp:al@contoso.com", "SMTP:bob@contoso.com"]
    assert [t.value for t in run("Select-Object -First 2 | ForEach-Object -MemberName Alias")] == ["alice", "bob"]
    assert [t.value for t in list(run_local(commands("ForEach-Object ToUpper"), ["a", "b"]))] == ["A", "B"]
    out = run("Select-Object -First 2 | ForEach-Object -Begin { 'start' } -Process { $_.ItemCount * 2 } "
              "-End { 'end' }")
    assert [t.value for t in out] == ["start", 240, 14, "end"]
    blocks = [ScriptBlock("'b'", 0), ScriptBlock("$_.Alias", 0), ScriptBlock("'e'", 0)]  # begin, process, end
    out = list(run_local([BoundCommand("ForEach-Object", {"Process": blocks})], RECORDS[:1]))
    assert [t.value for t in out] == ["b", "alice", "e"]


def test_foreach_object_cannot_run_commands() -> None:
    with pytest.raises(ShellError, match=r"Commands cannot run inside a local script block \('Set-Mailbox'\)"):
        run_local(commands("ForEach-Object { Set-Mailbox $_ }"), RECORDS)


def test_where_value_null() -> None:
    recs = [Record({"N": 1, "Fwd": None}), Record({"N": 2, "Fwd": "x@y.com"})]
    assert [r["N"] for r in run("Where-Object Fwd -ne $null", recs)] == [2]
    assert [r["N"] for r in run("Where-Object Fwd -eq $null", recs)] == [1]
    assert [r["N"] for r in run("Where-Object { $_.Fwd }", recs)] == [2]


def test_csv_quoting_options_and_json_escaping() -> None:
    recs = [Record({"Name": "a,b", "N": 1, "Note": "<x>"})]
    out = list(run_local(commands("ConvertTo-Csv -UseQuotes AsNeeded"), recs))
    assert [t.text for t in out] == ["Name,N,Note", '"a,b",1,<x>']
    out = list(run_local(commands("ConvertTo-Csv -QuoteFields N"), recs))
    assert [t.text for t in out] == ['Name,"N",Note', 'a,b,"1",<x>']
    (j,) = list(run_local(commands("ConvertTo-Json -Compress -EscapeHandling EscapeHtml"), recs))
    assert j.text == '{"Name":"a,b","N":1,"Note":"\\u003cx\\u003e"}'


def test_a_missing_column_is_empty_not_the_objects_count() -> None:
    recs = [Record({"Name": "g", "Count": 3}), Record({"Name": "h"})]
    out = run("ConvertTo-Csv", recs)
    assert [t.text for t in out] == ['"Name","Count"', '"g","3"', '"h",']


# -- fuzzing: random local pipelines fail only with ShellError (a clear message), never a crash ---------


_STAGES = st.sampled_from([
    "Select-Object Name", "Select-Object -First 2", "Select-Object -Last 1", "Select-Object * -Unique",
    "Select-Object -ExpandProperty EmailAddresses", "Select-Object -ExpandProperty Name",
    "Select-Object @{n='x';e={$_.ItemCount / 0}}", "Where-Object { $_.Name -match '(' }",
    "Where-Object ItemCount -gt 5", "Where-Object { $_ -like '*a*' }", "Sort-Object", "Sort-Object Name -Unique",
    "Sort-Object ProhibitSendQuota -Descending", "Group-Object Department", "Group-Object -NoElement",
    "Measure-Object", "Measure-Object ItemCount -Sum", "Measure-Object Name -Sum", "Measure-Object -Word",
    "Format-Table", "Format-List Name", "ConvertTo-Json", "ConvertTo-Csv", "Export-Csv x.csv", "Out-File o.txt",
    "ForEach-Object { $_.Name }", "ForEach-Object Length", "Select-Object Nope", "Sort-Object Nope",
])


@settings(max_examples=150, deadline=None)
@given(st.lists(_STAGES, min_size=1, max_size=4))
def test_fuzz_local_pipelines(stages: list[str]) -> None:
    try:
        for item in run_local(commands(" | ".join(stages)), RECORDS):
            assert isinstance(item, Record | FormatHint | FileOutput | TextOutput)
    except ShellError as exc:
        assert exc.message


def test_booleans_compare_with_typed_true_false() -> None:
    recs = [Record({"N": 1, "Hold": True}), Record({"N": 2, "Hold": False})]
    assert [r["N"] for r in run("Where-Object Hold -eq False", recs)] == [2]
    assert [r["N"] for r in run("Where-Object Hold -eq $true", recs)] == [1]
    assert [r["N"] for r in run("Where-Object { $_.Hold -eq 'true' }", recs)] == [1]
    assert [r["N"] for r in run("Where-Object { -not $_.Hold }", recs)] == [2]
