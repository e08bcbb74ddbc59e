"""The cmdlet catalog shipped for the REST transport, and scripts/make_exo_catalog.py that generates it.

Only the committed file and fixtures written here are read: a fresh clone has no reference data.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tui.catalog import ALL_SETS, Catalog
from tui.remoting.shipped_catalog import SHIPPED_SOURCE, catalog_for, shipped_catalog, shipped_text

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "scripts" / "make_exo_catalog.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_exo_catalog", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_shipped_file_loads_whole_and_names_its_source() -> None:
    catalog = shipped_catalog()
    assert len(catalog) >= 700 and shipped_catalog() is catalog
    assert catalog == Catalog.loads(shipped_text())   # the lazy per-line parse matches a whole parse
    meta = json.loads(shipped_text())["meta"]
    assert meta["license"] == "CC BY 4.0" and "office-docs-powershell" in meta["source"]
    assert meta["count"] == len(catalog)
    assert meta["commit"] in SHIPPED_SOURCE and "CC BY 4.0" in SHIPPED_SOURCE


def test_the_shipped_file_is_in_the_scripts_canonical_form() -> None:
    text = shipped_text()
    meta = json.loads(text)["meta"]
    assert _script().render(meta, Catalog.loads(text)) == text


def test_no_synopsis_is_shipped() -> None:
    assert all(c.synopsis == "" for c in shipped_catalog())
    assert all(c["synopsis"] == "" for c in json.loads(shipped_text())["cmdlets"])


def test_get_mailbox_parameters() -> None:
    mailbox = shipped_catalog()["get-mailbox"]
    identity = mailbox.parameter("Identity")
    assert identity is not None and identity.position in (0, 1) and identity.pipeline
    assert mailbox.parameter("ResultSize") is not None and mailbox.parameter("Filter") is not None
    assert "Identity" in mailbox.parameter_sets


def test_set_mailbox_parameters_and_its_default_set() -> None:
    mailbox = shipped_catalog()["Set-Mailbox"]
    assert mailbox.parameter("EmailAddresses") is not None
    for switch in ("WhatIf", "Confirm"):
        p = mailbox.parameter(switch)
        assert p is not None and p.switch
    assert mailbox.default_set == "Identity"   # the source drops "(Default)" set headings; put back


def test_every_set_a_parameter_names_is_declared_and_positions_do_not_collide() -> None:
    for cmdlet in shipped_catalog():
        declared = set(cmdlet.parameter_sets)
        for p in cmdlet.parameters:
            assert set(p.sets) - {ALL_SETS} <= declared, (cmdlet.name, p.name, p.sets)
            assert set(p.mandatory_in) - {ALL_SETS} <= declared, (cmdlet.name, p.name, p.mandatory_in)
        for set_name in cmdlet.parameter_sets or [None]:
            positions = [p.position for p in cmdlet.positional(set_name)]
            assert len(positions) == len(set(positions)), (cmdlet.name, set_name, positions)


def test_catalog_for_keeps_the_allowed_and_names_the_unknown() -> None:
    cut = catalog_for(["get-mailbox", "Get-Imaginary"])
    assert len(cut) == 2
    assert cut["Get-Mailbox"].name == "Get-Mailbox" and cut["Get-Mailbox"].parameters
    assert cut["Get-Mailbox"] is shipped_catalog()["Get-Mailbox"]   # shared, parsed once
    imaginary = cut["get-imaginary"]
    assert imaginary.name == "Get-Imaginary" and imaginary.parameters == () and imaginary.synopsis == ""
    assert "Set-Mailbox" not in cut and "Get-Recipient" not in cut


def test_catalog_for_ignores_case_repeats_and_blanks() -> None:
    cut = catalog_for(["GET-MAILBOX", "get-mailbox", " Set-Mailbox ", ""])
    assert cut.names == ["Get-Mailbox", "Set-Mailbox"]
    assert len(catalog_for([])) == 0


# -- the script --------------------------------------------------------------------------------------

def _param(name: str, **overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"name": name, "type": "String", "switch": False, "sets": [ALL_SETS], "aliases": [],
                               "mandatory_in": [], "position": None, "pipeline": False, "wildcards": False,
                               "valid_values": []}
    return {**base, **overrides}


FIXTURE: dict[str, Any] = {
    "meta": {"source": "MicrosoftDocs/office-docs-powershell (CC BY 4.0)", "commit": "0123abc", "count": 2},
    "cmdlets": [
        {"name": "Set-Widget", "synopsis": "Use the Set-Widget cmdlet to change widgets.",
         "parameter_sets": ["Flags"],   # the "Identity (Default)" heading lost, as the source does
         "parameters": [
             _param("Identity", type="WidgetIdParameter", sets=["Identity"], mandatory_in=["Identity"],
                    position="1", pipeline=True),
             _param("Flag", type="SwitchParameter", switch=True, sets=["Flags"], mandatory_in=["Flags"]),
             _param("Colour", sets=["(All))"], valid_values=["An HTML colour", "A name", "An"]),
             _param("Size", type="WidgetSize", valid_values=["Small", "Large", "Large", "Disabled."]),
             _param("Size", type="WidgetSize", aliases=["Dimension"]),   # a repeated entry
             _param("Confirm", type="SwitchParameter", switch=True, aliases=["cf"]),
         ]},
        {"name": "Get-Widget", "synopsis": "Use the Get-Widget cmdlet to view widgets.",
         "parameter_sets": [],
         "parameters": [
             _param("Identity", type="WidgetIdParameter", position=1, pipeline=True),
             _param("Owner", type="<RecipientIdParameter>", position=1),
             _param("ResultSize", type="Unlimited"),
         ]},
    ],
}


def _run(source: Path, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), str(source), "-o", str(out)],
                          capture_output=True, text=True, timeout=60, check=False)


def test_the_script_writes_facts_without_synopses(tmp_path: Path) -> None:
    source = tmp_path / "ref.json"
    source.write_text(json.dumps(FIXTURE), encoding="utf-8")
    out = tmp_path / "out" / "exo_cmdlets.json"
    done = _run(source, out)
    assert done.returncode == 0, done.stderr
    assert "wrote 2 cmdlets" in done.stdout and "synopsis left out" in done.stdout
    text = out.read_text(encoding="utf-8")
    assert "Use the" not in text
    assert text.count("\n") == 5   # meta, "cmdlets":[, one line per cmdlet, ]}

    data = json.loads(text)
    assert data["meta"]["commit"] == "0123abc" and data["meta"]["license"] == "CC BY 4.0"
    assert data["meta"]["count"] == 2
    assert [c["name"] for c in data["cmdlets"]] == ["Get-Widget", "Set-Widget"]
    assert all(c["synopsis"] == "" for c in data["cmdlets"])

    catalog = Catalog.from_json(data)
    widget = catalog["Set-Widget"]
    assert widget.parameter_sets == ("Flags", "Identity")   # the set only parameters named, declared
    identity = widget.parameter("Identity")
    assert identity is not None and identity.position == 1 and identity.pipeline
    assert identity.mandatory_in == ("Identity",)
    flag = widget.parameter("Flag")
    assert flag is not None and flag.switch and flag.sets == ("Flags",)
    colour = widget.parameter("Colour")
    assert colour is not None and colour.sets == (ALL_SETS,) and colour.valid_values == ()
    size = widget.parameter("Size")
    assert size is not None and size.valid_values == ("Small", "Large", "Disabled") and size.aliases == ("Dimension",)
    assert [p.name for p in widget.parameters] == ["Identity", "Flag", "Colour", "Size", "Confirm"]
    confirm = widget.parameter("cf")
    assert confirm is not None and confirm.name == "Confirm" and confirm.switch

    get = catalog["get-widget"]
    assert [(p.name, p.position) for p in get.positional(None)] == [("Identity", 1), ("Owner", 2)]
    owner = get.parameter("Owner")
    assert owner is not None and owner.type == "RecipientIdParameter"


def test_the_script_output_is_deterministic(tmp_path: Path) -> None:
    shuffled = {**FIXTURE, "cmdlets": list(reversed(FIXTURE["cmdlets"]))}
    outputs = []
    for i, doc in enumerate((FIXTURE, FIXTURE, shuffled)):
        source = tmp_path / f"ref{i}.json"
        source.write_text(json.dumps(doc, indent=i), encoding="utf-8")
        out = tmp_path / f"out{i}.json"
        assert _run(source, out).returncode == 0
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1] == outputs[2]


def test_the_script_refuses_a_file_that_is_not_a_reference(tmp_path: Path) -> None:
    source = tmp_path / "ref.json"
    source.write_text('{"commands": []}', encoding="utf-8")
    out = tmp_path / "out.json"
    done = _run(source, out)
    assert done.returncode == 1 and "cmdlets" in done.stderr and not out.exists()


@pytest.mark.parametrize("position, expected", [("2", 2), ("Named", None), (3.0, 3), (-1, None), (True, None)])
def test_the_script_reads_positions_as_integers_or_null(position: object, expected: int | None) -> None:
    assert _script()._position(position, Counter()) == expected


def test_the_script_puts_back_a_dropped_default_set_and_maps_phantom_sets() -> None:
    script = _script()
    notes: Counter[str] = Counter()
    connection = script.normalise_cmdlet(
        {"name": "Get-ConnectionInformation", "parameter_sets": ["ConnectionId"],
         "parameters": [_param("ConnectionId", sets=["ConnectionId"], mandatory_in=["ConnectionId"])]}, notes)
    assert connection["parameter_sets"] == ["Default", "ConnectionId"]
    restore = script.normalise_cmdlet(
        {"name": "Restore-RecoverableItems", "parameter_sets": ["OnPremises", "Cloud"],
         "parameters": [_param("PolicyTag", sets=["Default"]), _param("SourceFolder", sets=["OnPrem"])]}, notes)
    assert restore["parameter_sets"] == ["OnPremises", "Cloud"]
    assert [p["sets"] for p in restore["parameters"]] == [["Cloud"], [ALL_SETS]]
    assert notes["parameter_sets: dropped default set put back first"] == 1
