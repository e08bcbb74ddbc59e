"""Format-Table/List, Export-Csv, ConvertTo-Json/Csv and Out-File: local cmdlets that shape output.

They never touch the disk: a file becomes a ``FileOutput`` the caller writes atomically.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from tui.shell.bound import BoundCommand
from tui.shell.formatting import FormatHint, TextFormatter, csv_lines, format_value, to_json
from tui.shell.local_props import LocalError, Params, PropSpec, as_list, prop_specs
from tui.shell.records import Record

Stage = Callable[[Iterator[Any]], Iterator[Any]]
MAX_JSON_DEPTH = 100
OUT_FILE_WIDTH = 120


@dataclass(frozen=True, slots=True)
class FileOutput:
    """A file to write. ``append``: add to the end; ``no_clobber``: fail if it exists.

    ``text_if_exists``: what to append instead of ``text`` when appending to a non-empty existing file
    (Export-Csv -Append must not repeat the header line).
    """

    path: str
    text: str
    append: bool = False
    encoding: str = "utf-8"
    no_clobber: bool = False
    force: bool = False
    text_if_exists: str | None = None
    cmdlet: str = ""


@dataclass(frozen=True, slots=True)
class TextOutput:
    """A line or block of text (ConvertTo-Json/Csv output, or a plain value); ``value`` keeps the original."""

    text: str
    value: Any = None


# -- Format-Table / Format-List --------------------------------------------------------------------


def _format(view: str, cmd: BoundCommand, variables: Mapping[str, Any]) -> Stage:
    cmdlet = "Format-Table" if view == "table" else "Format-List"
    p = Params(cmdlet, cmd.parameters, variables)
    extra = ("Width", "Alignment", "FormatString") if view == "table" else ("FormatString",)
    specs = prop_specs(p.raw("Property"), cmdlet, variables, extra_keys=extra)
    group_by = p.get("GroupBy")
    group_name = str(group_by) if isinstance(group_by, str) else None
    if group_by is not None and group_name is None:
        raise LocalError(f"{cmdlet} -GroupBy takes a property name.")

    def hint(columns: list[str] | None) -> FormatHint:
        return FormatHint(view="table" if view == "table" else "list", properties=columns,
                          auto_size=p.flag("AutoSize"), wrap=p.flag("Wrap"),
                          hide_table_headers=p.flag("HideTableHeaders"), group_by=group_name)

    def run(stream: Iterator[Any]) -> Iterator[Any]:
        if not specs:
            yield hint(None)
            yield from stream
            return
        first = next(stream, None)
        if first is None:
            yield hint([s.name for s in specs if not s.wildcard])
            return
        projected = _projector(specs, group_name)
        columns = list(dict.fromkeys(name for s in specs for name, _ in s.resolve(first)))
        yield hint(columns)
        yield projected(first)
        for item in stream:
            yield projected(item)

    return run


def _projector(specs: list[PropSpec], group_by: str | None) -> Callable[[Any], Record]:
    def project(item: Any) -> Record:
        props: dict[str, Any] = {}
        for spec in specs:
            for name, value in spec.resolve(item):
                props.setdefault(name, value)
        if group_by is not None and group_by not in props and isinstance(item, Record):
            props[group_by] = item.get(group_by)
        types = item.type_names if isinstance(item, Record) else ()
        return Record(props, types, item.text if isinstance(item, Record) else None)
    return project


def format_table(cmd: BoundCommand, variables: Mapping[str, Any]) -> Stage:
    return _format("table", cmd, variables)


def format_list(cmd: BoundCommand, variables: Mapping[str, Any]) -> Stage:
    return _format("list", cmd, variables)


# -- CSV -------------------------------------------------------------------------------------------


def _delimiter(p: Params) -> str:
    if p.flag("UseCulture"):
        return ","
    value = p.get("Delimiter")
    if value is None:
        return ","
    text = str(value)
    if len(text) != 1:
        raise LocalError(f"{p.cmdlet} -Delimiter takes one character, e.g. -Delimiter ';'.")
    return text


def _type_info(p: Params) -> bool:
    # PowerShell 7's default: no #TYPE line unless -IncludeTypeInformation.
    return p.flag("IncludeTypeInformation") and not p.flag("NoTypeInformation")


def _objects(stream: Iterator[Any], cmdlet: str) -> Iterator[Any]:
    for item in stream:
        if isinstance(item, FormatHint):
            raise LocalError(f"{cmdlet} cannot take Format-Table/Format-List output; "
                             f"use Select-Object to choose the columns.")
        yield item.value if isinstance(item, TextOutput) and item.value is not None else item


def _quoting(p: Params) -> dict[str, Any]:
    use_quotes = p.text("UseQuotes") or "Always"
    modes = {"always": "Always", "asneeded": "AsNeeded", "never": "Never"}
    if use_quotes.lower() not in modes:
        raise LocalError(f"{p.cmdlet} -UseQuotes takes Always, AsNeeded or Never.")
    fields = [str(f) for f in as_list(p.get("QuoteFields"))] or None
    return {"use_quotes": modes[use_quotes.lower()], "quote_fields": fields}


def convertto_csv(cmd: BoundCommand, variables: Mapping[str, Any]) -> Stage:
    p = Params("ConvertTo-Csv", cmd.parameters, variables)
    delimiter, type_info, quoting = _delimiter(p), _type_info(p), _quoting(p)

    def run(stream: Iterator[Any]) -> Iterator[Any]:
        yield from csv_lines(_objects(stream, "ConvertTo-Csv"), type_information=type_info, delimiter=delimiter,
                             **quoting)
    return run


def _path(p: Params) -> str:
    path = p.text("Path") or p.text("FilePath") or p.text("LiteralPath")
    if not path:
        example = "Export-Csv -Path .\\report.csv" if p.cmdlet == "Export-Csv" else "Out-File -FilePath .\\out.txt"
        raise LocalError(f"{p.cmdlet} needs a file path: {example}")
    return path


def _encoding(p: Params) -> str:
    value = (p.text("Encoding") or "utf8").lower()
    return {"utf8": "utf-8", "utf8nobom": "utf-8", "utf8bom": "utf-8-sig", "unicode": "utf-16-le",
            "bigendianunicode": "utf-16-be", "utf32": "utf-32-le", "bigendianutf32": "utf-32-be",
            "ascii": "ascii", "utf7": "utf-7", "oem": "cp437", "default": "utf-8"}.get(value, "utf-8")


def export_csv(cmd: BoundCommand, variables: Mapping[str, Any]) -> Stage:
    p = Params("Export-Csv", cmd.parameters, variables)
    path, delimiter, type_info, quoting = _path(p), _delimiter(p), _type_info(p), _quoting(p)
    append = p.flag("Append")

    def run(stream: Iterator[Any]) -> Iterator[Any]:
        lines = list(csv_lines(_objects(stream, "Export-Csv"), type_information=type_info, delimiter=delimiter,
                               **quoting))
        text = "".join(line + "\n" for line in lines)
        skip = (1 if type_info else 0) + 1
        yield FileOutput(path, text, append=append, encoding=_encoding(p), no_clobber=p.flag("NoClobber"),
                         force=p.flag("Force"),
                         text_if_exists="".join(line + "\n" for line in lines[skip:]) if append else None,
                         cmdlet="Export-Csv")
    return run


# -- JSON ------------------------------------------------------------------------------------------


def convertto_json(cmd: BoundCommand, variables: Mapping[str, Any]) -> Stage:
    p = Params("ConvertTo-Json", cmd.parameters, variables)
    depth = p.count("Depth")
    depth = 2 if depth is None else depth
    if depth > MAX_JSON_DEPTH:
        raise LocalError(f"Cannot validate argument on parameter 'Depth'. The {depth} argument is greater "
                         f"than the maximum allowed range of {MAX_JSON_DEPTH}.")
    compress, as_array = p.flag("Compress"), p.flag("AsArray")
    escape = {"default": "Default", "escapenonascii": "EscapeNonAscii", "escapehtml": "EscapeHtml"}.get(
        (p.text("EscapeHandling") or "Default").lower(), "Default")

    def run(stream: Iterator[Any]) -> Iterator[Any]:
        text = to_json(_objects(stream, "ConvertTo-Json"), depth, compress=compress, as_array=as_array,
                       escape=escape)
        if text:
            yield text
    return run


# -- Out-File --------------------------------------------------------------------------------------


def out_file(cmd: BoundCommand, variables: Mapping[str, Any]) -> Stage:
    p = Params("Out-File", cmd.parameters, variables)
    path = _path(p)
    width = p.count("Width") or OUT_FILE_WIDTH

    def run(stream: Iterator[Any]) -> Iterator[Any]:
        chunks: list[str] = []
        formatter = TextFormatter(None, width)
        batch: list[Any] = []

        def flush() -> None:
            if batch:
                chunks.append(formatter.feed(batch))
                batch.clear()

        for item in stream:
            if isinstance(item, FormatHint):
                flush()
                formatter = TextFormatter(item, width)
            elif isinstance(item, TextOutput):
                flush()
                chunks.append(item.text + "\n")
            elif isinstance(item, str):
                flush()
                chunks.append(item + "\n")
            elif isinstance(item, Record):
                batch.append(item)
            else:
                flush()
                chunks.append(format_value(item) + "\n")
        flush()
        text = "".join(chunks)
        if p.flag("NoNewline"):
            text = text.replace("\n", "")
        yield FileOutput(path, text, append=p.flag("Append"), encoding=_encoding(p),
                         no_clobber=p.flag("NoClobber"), force=p.flag("Force"), cmdlet="Out-File")
    return run

