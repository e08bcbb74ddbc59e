"""What the local suffix hands back besides records: text, format hints, files to write.

The shell is pure: Export-Csv and Out-File yield a ``FileOutput`` and this module writes it,
atomically (``tui.files.atomic_write_text``), reporting a ``FileEvent`` or an ``ErrorEvent``.
``Counts`` counts what reaches the caller, so the summary and the transcript agree with the screen.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tui.files import atomic_write_text
from tui.remoting.events import (
    ErrorEvent,
    Event,
    FileEvent,
    FormatEvent,
    RecordEvent,
    TextEvent,
    WarningEvent,
)
from tui.shell.formatting import FormatHint
from tui.shell.local_output import FileOutput, TextOutput


class Counts:
    """Counts what goes to the caller, so the summary and the transcript agree with the screen."""

    def __init__(self, sink: Callable[[Event], None]) -> None:
        self.sink = sink
        self.records = 0
        self.errors = 0
        self.warnings = 0
        self.terminating = False

    def emit(self, event: Event) -> None:
        if isinstance(event, RecordEvent):
            self.records += 1
        elif isinstance(event, ErrorEvent):
            self.errors += 1
            self.terminating = self.terminating or event.terminating
        elif isinstance(event, WarningEvent):
            self.warnings += 1
        self.sink(event)


def side_output(item: Any, counts: Counts) -> None:
    """One non-record item of the local suffix → its event (files are written first)."""
    if isinstance(item, FileOutput):
        write_file(item, counts)
    elif isinstance(item, TextOutput):
        counts.emit(TextEvent(item.text))
    elif isinstance(item, FormatHint):
        counts.emit(FormatEvent(item))
    else:
        counts.emit(TextEvent(str(item)))


def write_file(item: FileOutput, counts: Counts) -> None:
    """Export-Csv/Out-File: the shell is pure, so the file is written here, atomically."""
    path = Path(str(item.path)).expanduser()
    text = str(item.text)
    try:
        exists = path.exists()
        if exists and item.no_clobber and not item.append:
            counts.emit(ErrorEvent(f"The file '{path}' already exists (-NoClobber). Choose another name or "
                                   "leave out -NoClobber.", category="ResourceExists", terminating=True))
            return
        if item.append and exists:
            old = path.read_text(encoding="utf-8")
            addition = item.text_if_exists if (item.text_if_exists is not None and old) else item.text
            text = old + (addition or "")
        atomic_write_text(path, text)
    except OSError as exc:
        counts.emit(ErrorEvent(f"Could not write '{path}': {exc.strerror}. Check that the folder exists and "
                               "is writable.", category="WriteError", terminating=True))
        return
    counts.emit(FileEvent(str(path), len(text.encode("utf-8")), bool(item.append)))
