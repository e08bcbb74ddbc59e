"""``LOCAL_CATALOG``: the cmdlets exohop runs on the engineer's machine, described with PowerShell's own
parameters (names, positions, parameter sets, switches, aliases), so the binder and the completer treat
them exactly like the imported remote cmdlets.

Positions follow PowerShell's (0-based). ``InputObject`` is listed for completeness but never marked
mandatory: in a pipeline it is bound from the previous command's output, never typed.
"""

from __future__ import annotations

from tui.catalog import ALL_SETS, Catalog, CmdletInfo, ParameterInfo

ENCODINGS = ("ascii", "bigendianunicode", "bigendianutf32", "oem", "unicode", "utf7", "utf8",
             "utf8BOM", "utf8NoBOM", "utf32")

# Cmdlet aliases PowerShell defines for the local cmdlets (the binder may resolve them).
LOCAL_ALIASES: dict[str, str] = {
    "select": "Select-Object",
    "where": "Where-Object",
    "?": "Where-Object",
    "sort": "Sort-Object",
    "group": "Group-Object",
    "measure": "Measure-Object",
    "ft": "Format-Table",
    "fl": "Format-List",
    "epcsv": "Export-Csv",
    "foreach": "ForEach-Object",
    "%": "ForEach-Object",
}


def _p(name: str, type_: str = "Object", *, switch: bool = False, sets: tuple[str, ...] = (ALL_SETS,),
       aliases: tuple[str, ...] = (), mandatory_in: tuple[str, ...] = (), position: int | None = None,
       pipeline: bool = False, valid_values: tuple[str, ...] = (), wildcards: bool = False) -> ParameterInfo:
    return ParameterInfo(name=name, type="SwitchParameter" if switch else type_, switch=switch, sets=sets,
                         aliases=aliases, mandatory_in=mandatory_in, position=position, pipeline=pipeline,
                         wildcards=wildcards, valid_values=valid_values)


def _sw(name: str, *, sets: tuple[str, ...] = (ALL_SETS,), aliases: tuple[str, ...] = (),
        mandatory_in: tuple[str, ...] = ()) -> ParameterInfo:
    return _p(name, switch=True, sets=sets, aliases=aliases, mandatory_in=mandatory_in)


_INPUT = _p("InputObject", "PSObject", pipeline=True)


def _foreach_object() -> CmdletInfo:
    block, member = "ScriptBlockSet", "PropertyAndMethodSet"
    return CmdletInfo(
        name="ForEach-Object",
        synopsis="Performs an operation against each item in a collection of input objects.",
        parameter_sets=(block, member),
        parameters=(
            _INPUT,
            _p("Begin", "ScriptBlock", sets=(block,)),
            _p("Process", "ScriptBlock[]", sets=(block,), mandatory_in=(block,), position=0),
            _p("End", "ScriptBlock", sets=(block,)),
            _p("RemainingScripts", "ScriptBlock[]", sets=(block,)),
            _p("MemberName", "String", sets=(member,), mandatory_in=(member,), position=0),
            _p("ArgumentList", "Object[]", sets=(member,), aliases=("Args",)),
        ),
    )


def _select_object() -> CmdletInfo:
    default, skiplast, index = "DefaultParameter", "SkipLastParameter", "IndexParameter"
    return CmdletInfo(
        name="Select-Object",
        synopsis="Selects objects or object properties.",
        parameter_sets=(default, skiplast, index),
        parameters=(
            _INPUT,
            _p("Property", "Object[]", sets=(default, skiplast), position=0, wildcards=True),
            _p("ExcludeProperty", "String[]", sets=(default, skiplast), wildcards=True),
            _p("ExpandProperty", "String", sets=(default, skiplast)),
            _sw("Unique"),
            _p("Last", "Int32", sets=(default,)),
            _p("First", "Int32", sets=(default,)),
            _p("Skip", "Int32", sets=(default, skiplast)),
            _p("SkipLast", "Int32", sets=(skiplast,)),
            _sw("Wait", sets=(default, index)),
            _p("Index", "Int32[]", sets=(index,)),
        ),
    )


# Where-Object's comparison switches: (switch, its set, its alias); each switch selects its own set.
_WHERE_OPERATORS: tuple[tuple[str, str, str | None], ...] = (
    ("EQ", "EqualSet", "IEQ"),
    ("CEQ", "CaseSensitiveEqualSet", None),
    ("NE", "NotEqualSet", "INE"),
    ("CNE", "CaseSensitiveNotEqualSet", None),
    ("GT", "GreaterThanSet", "IGT"),
    ("CGT", "CaseSensitiveGreaterThanSet", None),
    ("LT", "LessThanSet", "ILT"),
    ("CLT", "CaseSensitiveLessThanSet", None),
    ("GE", "GreaterOrEqualSet", "IGE"),
    ("CGE", "CaseSensitiveGreaterOrEqualSet", None),
    ("LE", "LessOrEqualSet", "ILE"),
    ("CLE", "CaseSensitiveLessOrEqualSet", None),
    ("Like", "LikeSet", "ILike"),
    ("CLike", "CaseSensitiveLikeSet", None),
    ("NotLike", "NotLikeSet", "INotLike"),
    ("CNotLike", "CaseSensitiveNotLikeSet", None),
    ("Match", "MatchSet", "IMatch"),
    ("CMatch", "CaseSensitiveMatchSet", None),
    ("NotMatch", "NotMatchSet", "INotMatch"),
    ("CNotMatch", "CaseSensitiveNotMatchSet", None),
    ("Contains", "ContainsSet", "IContains"),
    ("CContains", "CaseSensitiveContainsSet", None),
    ("NotContains", "NotContainsSet", "INotContains"),
    ("CNotContains", "CaseSensitiveNotContainsSet", None),
    ("In", "InSet", "IIn"),
    ("CIn", "CaseSensitiveInSet", None),
    ("NotIn", "NotInSet", "INotIn"),
    ("CNotIn", "CaseSensitiveNotInSet", None),
    ("Is", "IsSet", None),
    ("IsNot", "IsNotSet", None),
)
WHERE_OPERATOR_SWITCHES: tuple[str, ...] = tuple(op for op, _, _ in _WHERE_OPERATORS)


def _where_object() -> CmdletInfo:
    op_sets = tuple(s for _, s, _ in _WHERE_OPERATORS)
    # EqualSet is the default: `Where-Object Name x` means -EQ without typing it, so EQ is optional there.
    switches = tuple(
        _sw(op, sets=(op_set,), aliases=(alias,) if alias else (),
            mandatory_in=() if op == "EQ" else (op_set,))
        for op, op_set, alias in _WHERE_OPERATORS
    )
    return CmdletInfo(
        name="Where-Object",
        synopsis="Selects objects from a collection based on their property values.",
        parameter_sets=("EqualSet", "ScriptBlockSet", *op_sets[1:], "Not"),
        parameters=(
            _INPUT,
            _p("FilterScript", "ScriptBlock", sets=("ScriptBlockSet",), mandatory_in=("ScriptBlockSet",),
               position=0),
            _p("Property", "String", sets=(*op_sets, "Not"), mandatory_in=(*op_sets, "Not"), position=0),
            _p("Value", "Object", sets=op_sets, position=1),
            *switches,
            _sw("Not", sets=("Not",), mandatory_in=("Not",)),
        ),
    )


def _sort_object() -> CmdletInfo:
    default, top, bottom = "Default", "Top", "Bottom"
    return CmdletInfo(
        name="Sort-Object",
        synopsis="Sorts objects by property values.",
        parameter_sets=(default, top, bottom),
        parameters=(
            _INPUT,
            _p("Property", "Object[]", position=0, wildcards=True),
            _sw("Descending"),
            _sw("Unique"),
            _sw("Stable", sets=(default,)),
            _p("Top", "Int32", sets=(top,), mandatory_in=(top,)),
            _p("Bottom", "Int32", sets=(bottom,), mandatory_in=(bottom,)),
            _p("Culture", "String"),
            _sw("CaseSensitive"),
        ),
    )


def _group_object() -> CmdletInfo:
    return CmdletInfo(
        name="Group-Object",
        synopsis="Groups objects that contain the same value for specified properties.",
        parameter_sets=("Default",),
        parameters=(
            _INPUT,
            _p("Property", "Object[]", position=0, wildcards=True),
            _sw("NoElement"),
            _sw("AsHashTable", aliases=("AHT",)),
            _sw("AsString"),
            _p("Culture", "String"),
            _sw("CaseSensitive"),
        ),
    )


def _measure_object() -> CmdletInfo:
    generic, text = "GenericMeasure", "TextMeasure"
    return CmdletInfo(
        name="Measure-Object",
        synopsis="Calculates the numeric properties of objects, and the characters, words, and lines in "
                 "string objects.",
        parameter_sets=(generic, text),
        parameters=(
            _INPUT,
            _p("Property", "PSPropertyExpression[]", position=0, wildcards=True),
            _sw("StandardDeviation", sets=(generic,)),
            _sw("Sum", sets=(generic,)),
            _sw("AllStats", sets=(generic,)),
            _sw("Average", sets=(generic,)),
            _sw("Maximum", sets=(generic,)),
            _sw("Minimum", sets=(generic,)),
            _sw("Line", sets=(text,)),
            _sw("Word", sets=(text,)),
            _sw("Character", sets=(text,)),
            _sw("IgnoreWhiteSpace", sets=(text,)),
        ),
    )


def _format_common() -> tuple[ParameterInfo, ...]:
    return (
        _INPUT,
        _p("Property", "Object[]", position=0, wildcards=True),
        _p("GroupBy", "Object"),
        _p("View", "String"),
        _sw("ShowError"),
        _sw("DisplayError"),
        _sw("Force"),
        _p("Expand", "String", valid_values=("CoreOnly", "EnumOnly", "Both")),
    )


def _format_table() -> CmdletInfo:
    return CmdletInfo(
        name="Format-Table",
        synopsis="Formats the output as a table.",
        parameter_sets=("Default",),
        parameters=(*_format_common(), _sw("AutoSize"), _sw("RepeatHeader"), _sw("HideTableHeaders"),
                    _sw("Wrap")),
    )


def _format_list() -> CmdletInfo:
    return CmdletInfo(
        name="Format-List",
        synopsis="Formats the output as a list of properties in which each property appears on a new line.",
        parameter_sets=("Default",),
        parameters=_format_common(),
    )


def _export_csv() -> CmdletInfo:
    delimiter, culture = "Delimiter", "UseCulture"
    return CmdletInfo(
        name="Export-Csv",
        synopsis="Converts objects into a series of character-separated value (CSV) strings and saves the "
                 "strings to a file.",
        parameter_sets=(delimiter, culture),
        parameters=(
            _INPUT,
            _p("Path", "String", position=0),
            _p("LiteralPath", "String", aliases=("PSPath", "LP")),
            _sw("Force"),
            _sw("NoClobber", aliases=("NoOverwrite",)),
            _p("Encoding", "Encoding", valid_values=ENCODINGS),
            _sw("Append"),
            *_csv_format(delimiter, culture),
        ),
    )


def _csv_format(delimiter: str, culture: str) -> tuple[ParameterInfo, ...]:
    """The CSV-shaping parameters Export-Csv and ConvertTo-Csv share."""
    return (
        _p("Delimiter", "Char", sets=(delimiter,), position=1),
        _sw("UseCulture", sets=(culture,), mandatory_in=(culture,)),
        _sw("IncludeTypeInformation", aliases=("ITI",)),
        _sw("NoTypeInformation", aliases=("NTI",)),
        _p("QuoteFields", "String[]", aliases=("QF",)),
        _p("UseQuotes", "QuoteKind", aliases=("UQ",), valid_values=("Never", "Always", "AsNeeded")),
    )


def _convertto_json() -> CmdletInfo:
    return CmdletInfo(
        name="ConvertTo-Json",
        synopsis="Converts an object to a JSON-formatted string.",
        parameter_sets=("Default",),
        parameters=(
            _p("InputObject", "Object", position=0, pipeline=True),
            _p("Depth", "Int32"),
            _sw("Compress"),
            _sw("EnumsAsStrings"),
            _sw("AsArray"),
            _p("EscapeHandling", "StringEscapeHandling",
               valid_values=("Default", "EscapeNonAscii", "EscapeHtml")),
        ),
    )


def _convertto_csv() -> CmdletInfo:
    delimiter, culture = "Delimiter", "UseCulture"
    return CmdletInfo(
        name="ConvertTo-Csv",
        synopsis="Converts .NET objects into a series of character-separated value (CSV) strings.",
        parameter_sets=(delimiter, culture),
        parameters=(
            _p("InputObject", "PSObject", position=0, pipeline=True),
            *_csv_format(delimiter, culture),
        ),
    )


def _out_file() -> CmdletInfo:
    by_path, by_literal = "ByPath", "ByLiteralPath"
    return CmdletInfo(
        name="Out-File",
        synopsis="Sends output to a file.",
        parameter_sets=(by_path, by_literal),
        parameters=(
            _p("FilePath", "String", sets=(by_path,), aliases=("Path",), mandatory_in=(by_path,), position=0),
            _p("LiteralPath", "String", sets=(by_literal,), aliases=("PSPath", "LP"),
               mandatory_in=(by_literal,)),
            _p("Encoding", "Encoding", position=1, valid_values=ENCODINGS),
            _sw("Append"),
            _sw("Force"),
            _sw("NoClobber", aliases=("NoOverwrite",)),
            _p("Width", "Int32"),
            _sw("NoNewline"),
            _INPUT,
        ),
    )


LOCAL_CATALOG: Catalog = Catalog([
    _select_object(), _where_object(), _sort_object(), _group_object(), _measure_object(),
    _format_table(), _format_list(), _export_csv(), _convertto_json(), _convertto_csv(), _out_file(),
    _foreach_object(),
])
LOCAL_CMDLET_NAMES: frozenset[str] = frozenset(c.name.lower() for c in LOCAL_CATALOG)


def local_cmdlet(name: str, catalog: Catalog = LOCAL_CATALOG) -> CmdletInfo | None:
    """The local cmdlet called ``name`` (or one of LOCAL_ALIASES such as ``select``), any case."""
    found = catalog.get(name)
    if found is None and name.lower() in LOCAL_ALIASES:
        found = catalog.get(LOCAL_ALIASES[name.lower()])
    return found


def is_local(name: str) -> bool:
    """Whether ``name`` (a cmdlet name or one of LOCAL_ALIASES, any case) runs locally."""
    low = name.lower()
    return low in LOCAL_CMDLET_NAMES or low in LOCAL_ALIASES
