"""LOCAL_CATALOG describes the local cmdlets with PowerShell's own parameters, positions, sets and aliases."""

from __future__ import annotations

from tui.catalog import Catalog
from tui.shell.local import LOCAL_CATALOG
from tui.shell.local_catalog import LOCAL_ALIASES, WHERE_OPERATOR_SWITCHES, is_local


def test_every_local_cmdlet_is_described_with_a_synopsis() -> None:
    assert set(LOCAL_CATALOG.names) == {
        "Select-Object", "Where-Object", "Sort-Object", "Group-Object", "Measure-Object", "Format-Table",
        "Format-List", "Export-Csv", "ConvertTo-Json", "ConvertTo-Csv", "Out-File", "ForEach-Object"}
    assert all(c.synopsis for c in LOCAL_CATALOG)
    assert all(target in LOCAL_CATALOG for target in LOCAL_ALIASES.values())


def test_catalog_round_trips_through_the_json_schema() -> None:
    assert Catalog.loads(LOCAL_CATALOG.dumps()) == LOCAL_CATALOG


def test_select_object_parameters() -> None:
    select = LOCAL_CATALOG["Select-Object"]
    assert [p.name for p in select.positional("DefaultParameter")] == ["Property"]
    assert select.parameter("Property").type == "Object[]"  # type: ignore[union-attr]
    assert select.parameter("First").type == "Int32"  # type: ignore[union-attr]
    assert select.parameter("Index").in_set("IndexParameter")  # type: ignore[union-attr]
    assert not select.parameter("First").in_set("IndexParameter")  # type: ignore[union-attr]
    for name in ("ExpandProperty", "ExcludeProperty", "Last", "Skip", "Unique"):
        assert select.parameter(name) is not None


def test_where_object_sets_switches_and_aliases() -> None:
    where = LOCAL_CATALOG["Where-Object"]
    assert where.default_set == "EqualSet"
    assert [p.name for p in where.positional("ScriptBlockSet")] == ["FilterScript"]
    assert [p.name for p in where.positional("LikeSet")] == ["Property", "Value"]
    like = where.parameter("ilike")
    assert like is not None and like.name == "Like" and like.switch and like.is_mandatory("LikeSet")
    assert where.parameter("CNotMatch") is not None and where.parameter("Not") is not None
    assert set(WHERE_OPERATOR_SWITCHES) >= {"EQ", "NE", "GT", "GE", "LT", "LE", "Like", "NotLike", "Match",
                                            "NotMatch", "Contains", "NotContains", "In", "NotIn", "CEQ", "CLike"}
    eq = where.parameter("EQ")
    assert eq is not None and not eq.is_mandatory("EqualSet")  # `Where-Object Name x` means -EQ


def test_other_cmdlets_have_their_powershell_parameters() -> None:
    assert LOCAL_CATALOG["Out-File"].parameter("Path").name == "FilePath"  # type: ignore[union-attr]
    assert LOCAL_CATALOG["Export-Csv"].parameter("NTI").name == "NoTypeInformation"  # type: ignore[union-attr]
    assert [p.name for p in LOCAL_CATALOG["Export-Csv"].positional("Delimiter")] == ["Path", "Delimiter"]
    assert LOCAL_CATALOG["Sort-Object"].parameter("Top").is_mandatory("Top")  # type: ignore[union-attr]
    measure = LOCAL_CATALOG["Measure-Object"]
    assert measure.parameter("Sum").in_set("GenericMeasure")  # type: ignore[union-attr]
    assert measure.parameter("Word").in_set("TextMeasure")  # type: ignore[union-attr]
    for name in ("AutoSize", "Wrap", "HideTableHeaders", "GroupBy"):
        assert LOCAL_CATALOG["Format-Table"].parameter(name) is not None
    for name in ("Depth", "Compress", "AsArray"):
        assert LOCAL_CATALOG["ConvertTo-Json"].parameter(name) is not None
    assert LOCAL_CATALOG["Group-Object"].parameter("AHT").name == "AsHashTable"  # type: ignore[union-attr]


def test_is_local_knows_names_and_aliases() -> None:
    assert is_local("select-object") and is_local("ft") and is_local("?") and is_local("%")
    assert not is_local("Get-Mailbox")
