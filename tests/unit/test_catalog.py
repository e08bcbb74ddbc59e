"""The Catalog model: schema round trip, lookups, merging detail, atomic save, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tui import catalog
from tui.catalog import ALL_SETS, Catalog, CatalogError, CmdletInfo, ParameterInfo

DOC = {
    "cmdlets": [
        {
            "name": "Get-Mailbox",
            "synopsis": "Use the Get-Mailbox cmdlet to view mailbox objects and attributes.",
            "parameter_sets": ["Identity", "AnrSet"],
            "parameters": [
                {"name": "Identity", "type": "MailboxIdParameter", "switch": False, "sets": ["Identity"],
                 "aliases": [], "mandatory_in": [], "position": 1, "pipeline": True, "wildcards": False,
                 "valid_values": []},
                {"name": "Anr", "type": "String", "switch": False, "sets": ["AnrSet"], "aliases": [],
                 "mandatory_in": ["AnrSet"], "position": None, "pipeline": False, "wildcards": False,
                 "valid_values": []},
                {"name": "RecipientTypeDetails", "type": "RecipientTypeDetails[]", "switch": False,
                 "sets": [ALL_SETS], "aliases": ["rtd"], "mandatory_in": [], "position": None,
                 "pipeline": False, "wildcards": False, "valid_values": ["UserMailbox", "SharedMailbox"]},
                {"name": "Archive", "type": "SwitchParameter", "switch": True, "sets": [ALL_SETS]},
            ],
        },
        {"name": "Set-Mailbox", "parameters": []},
        {"name": "Get-MailboxStatistics", "parameters": []},
    ]
}


def test_round_trip_keeps_every_field() -> None:
    cat = Catalog.from_json(DOC)
    again = Catalog.loads(cat.dumps())
    assert again == cat
    rtd = again["get-mailbox"].parameter("RecipientTypeDetails")
    assert rtd is not None and rtd.valid_values == ("UserMailbox", "SharedMailbox")
    assert again["Get-Mailbox"].to_json()["parameters"][0] == DOC["cmdlets"][0]["parameters"][0]


def test_lookups_are_case_insensitive_by_name_verb_noun_and_alias() -> None:
    cat = Catalog.from_json(DOC)
    assert "GET-MAILBOX" in cat
    assert [c.name for c in cat.by_verb("get")] == ["Get-Mailbox", "Get-MailboxStatistics"]
    assert [c.name for c in cat.by_noun("MAILBOX")] == ["Get-Mailbox", "Set-Mailbox"]
    mbx = cat["Get-Mailbox"]
    p = mbx.parameter("RTD")
    assert p is not None and p.name == "RecipientTypeDetails"
    assert [p.name for p in cat.parameters_of("get-mailbox")][:2] == ["Identity", "Anr"]
    assert cat.get("Get-Nothing") is None


def test_sets_positions_and_mandatory() -> None:
    mbx = Catalog.from_json(DOC)["Get-Mailbox"]
    assert [p.name for p in mbx.positional("Identity")] == ["Identity"]
    assert mbx.positional("AnrSet") == []
    anr = mbx.parameter("Anr")
    assert anr is not None and anr.is_mandatory("AnrSet") and not anr.is_mandatory("Identity")
    assert {p.name for p in mbx.parameters_in_set("AnrSet")} == {"Anr", "RecipientTypeDetails", "Archive"}


def test_merged_with_detail_takes_sets_and_keeps_aliases() -> None:
    meta = CmdletInfo("Set-Thing", parameters=(ParameterInfo("Identity", "Object", aliases=("id",)),))
    detail = CmdletInfo("Set-Thing", synopsis="Sets.", parameter_sets=("Identity",), parameters=(
        ParameterInfo("Identity", "ThingIdParameter", sets=("Identity",), mandatory_in=("Identity",), position=0),
        ParameterInfo("Mode", "ThingMode", valid_values=("A", "B")),
    ))
    merged = meta.merged_with(detail)
    ident = merged.parameter("id")
    assert ident is not None and ident.type == "ThingIdParameter" and ident.position == 0
    assert ident.is_mandatory("Identity")
    assert merged.synopsis == "Sets." and merged.parameter("Mode") is not None


@pytest.mark.parametrize("doc, words", [
    ([], "'cmdlets' list"),
    ({"cmdlets": [{"synopsis": "no name"}]}, "cmdlets[0]"),
    ({"cmdlets": [{"name": "X", "parameters": [{"name": "P", "position": "one"}]}]}, "position"),
    ({"cmdlets": [{"name": "X", "parameters": [{"name": "P", "aliases": "a"}]}]}, "aliases"),
])
def test_bad_documents_raise_catalog_error_naming_the_place(doc: object, words: str) -> None:
    with pytest.raises(CatalogError, match=words.replace("[", r"\[").replace("]", r"\]")):
        Catalog.from_json(doc)


def test_load_reports_file_and_position_for_broken_json(tmp_path: Path) -> None:
    bad = tmp_path / "c.json"
    bad.write_text('{"cmdlets": [', encoding="utf-8")
    with pytest.raises(CatalogError, match=r"c\.json: not JSON.*line 1"):
        catalog.load(bad)


def test_save_is_atomic_and_leaves_no_temp_files(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "catalog.json"
    cat = Catalog.from_json(DOC)
    catalog.save(cat, path)
    catalog.save(cat.with_cmdlet(CmdletInfo("New-Thing")), path)
    assert json.loads(path.read_text())["cmdlets"][1]["name"] == "Get-MailboxStatistics"
    assert "New-Thing" in catalog.load(path)
    assert [p.name for p in path.parent.iterdir()] == ["catalog.json"]
