"""Helpers shared by the shell unit tests (each test module writes its own small catalog with them)."""

from __future__ import annotations

from typing import Any

from tui.catalog import ParameterInfo


def P(name: str, type_: str = "String", **kw: Any) -> ParameterInfo:
    if type_ == "SwitchParameter":
        kw.setdefault("switch", True)
    for key in ("sets", "aliases", "mandatory_in", "valid_values"):
        if key in kw:
            kw[key] = tuple(kw[key])
    return ParameterInfo(name=name, type=type_, **kw)
