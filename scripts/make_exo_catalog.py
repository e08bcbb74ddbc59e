"""Generate the cmdlet catalog exohop ships for the REST transport from the public Exchange cmdlet reference.

    python scripts/make_exo_catalog.py [SOURCE] [-o OUT]

SOURCE (default ``../shared/data/exo-cmdlets.json`` from the repo root) is the reference extracted from
MicrosoftDocs/office-docs-powershell (CC BY 4.0); OUT (default ``tui/remoting/data/exo_cmdlets.json``) is
in exohop's catalog schema (``tui/catalog.py``). The facts are kept — names, parameter sets, types,
positions, mandatory flags, pipeline input, wildcards, valid values — and every synopsis is left out:
those sentences are the reference's prose. Where the extraction slipped in a way the binder or the
completer would trip on, the entry is normalised below (each rule says why; the counts are printed).
Every entry then goes through ``CmdletInfo.from_json`` and the written text is read back, so the file is
loadable. The output is deterministic: cmdlets sorted by name, one per line, keys in schema order.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tui.catalog import ALL_SETS, Catalog, CatalogError, CmdletInfo  # noqa: E402
from tui.files import atomic_write_text  # noqa: E402

DEFAULT_SOURCE = ROOT.parent / "shared" / "data" / "exo-cmdlets.json"
DEFAULT_OUT = ROOT / "tui" / "remoting" / "data" / "exo_cmdlets.json"
SOURCE_NAME = "MicrosoftDocs/office-docs-powershell, exchange/exchange-ps/ExchangePowerShell"
LICENSE = "CC BY 4.0"

# The extraction drops every "### <Set> (Default)" syntax heading, so these cmdlets lose their default
# set (checked against the reference at commit 93336da). Without it the binder falls back to the first
# remaining set: "Get-ConnectionInformation" alone then misses -ConnectionId, Set-Mailbox binds to
# "ExcludeFromAllHolds". Put back first (the default); a set no parameter names holds the (All) ones.
DROPPED_DEFAULT_SETS = {
    "Disconnect-ExchangeOnline": "DefaultParameterSet",
    "Get-AdaptiveScopeMembers": "Identity",
    "Get-ConnectionInformation": "Default",
    "Get-EXOCasMailbox": "Identity",
    "Get-EXOMailbox": "Identity",
    "Get-EXOMailboxPermission": "Default",
    "Get-EXOMobileDeviceStatistics": "Identity",
    "Get-EXORecipient": "Identity",
    "Get-EXORecipientPermission": "Default",
    "Get-PendingDelicenseUser": "Identity",
    "Get-TenantAllowBlockListItems": "Expiration",
    "Get-UnifiedGroup": "Identity",
    "Invoke-ChangeMeetingOrganizer": "ByEventId",
    "New-RetentionPolicyTag": "RetentionPolicy",
    "New-UnifiedGroup": "Identity",
    "Set-EventsFromEmailConfiguration": "Identity",
    "Set-MailUser": "Identity",
    "Set-Mailbox": "Identity",
    "Set-TenantAllowBlockListItems": "Ids",
    "Start-ManagedFolderAssistant": "Identity",
}

# Set names in a parameter's "Parameter Sets:" line that no syntax block of the page has: typos, a type
# or an "applies to" that slipped into the line, sets copied from another page. Each would be a phantom
# set that splits parameters apart ("cannot be used together"). Mapped to what the page's syntax blocks
# show; () drops the name (the parameter keeps its other sets).
SET_FIXES: dict[tuple[str, str], tuple[str, ...]] = {
    ("Get-MailboxImportRequest", "MailboxFiltering"): ("Filtering",),
    ("Get-MailboxImportRequest", "MailboxLocationFiltering"): ("Filtering",),
    ("New-ExoPhishSimOverrideRule", "ComplianceTag"): (),
    ("New-ExoPhishSimOverrideRule", "PublishComplianceTag"): (),
    ("New-ExoPhishSimOverrideRule", "SetRawXml"): (),
    ("New-ExoSecOpsOverrideRule", "ComplianceTag"): (),
    ("New-ExoSecOpsOverrideRule", "PublishComplianceTag"): (),
    ("New-ExoSecOpsOverrideRule", "SetRawXml"): (),
    ("New-MailboxRestoreRequest", "SourceMailboxMailbox"): ("SourceMailbox",),
    ("New-MigrationBatch", "PointInTimeRecoveryOnboarding"): ("PointInTimeRecovery",),
    ("New-MigrationBatch", "XO1"): (),
    ("New-OMEConfiguration", "Int32"): (ALL_SETS,),
    ("Restore-RecoverableItems", "Default"): ("Cloud",),
    ("Restore-RecoverableItems", "OnPrem"): (ALL_SETS,),
    ("Set-CASMailbox", "AdfsAuthenticationParameter"): (ALL_SETS,),
    ("Set-CASMailbox", "AdfsAuthenticationRawConfiguration"): (ALL_SETS,),
    ("Set-M365DataAtRestEncryptionPolicy", "DCAdminPurgeKeyRequest"): (),
    ("Set-OMEConfiguration", "Int32"): (ALL_SETS,),
    ("Set-TransportConfig", "Exchange Online"): (ALL_SETS,),
}

# Valid-value lists that are the first word of each prose bullet rather than values ("Add-in" cut to
# "Add", "Email Client" to "Email"), or examples of what to type (ports, "Name or Id"), in ways the generic
# rules in _valid_values cannot see. Completion would offer them as the only choices.
DROPPED_VALID_VALUES = frozenset({
    ("Get-SafeLinksAggregateReport", "AppNameList"),
    ("Get-SafeLinksDetailReport", "AppNameList"),
    ("Get-TenantAllowBlockListItems", "Entry"),
    ("Remove-TenantAllowBlockListItems", "Entries"),
    ("Set-MyAnalyticsFeatureConfig", "Feature"),
    ("Set-TenantAllowBlockListItems", "Entries"),
    ("Start-HistoricalSearch", "TLSUsed"),
    ("Test-DataClassification", "ClassificationNames"),
    ("Test-MigrationServerAvailability", "Port"),
})

# Types whose values are free text: a repeated word in their list means sentence fragments, not values.
_TEXT_TYPES = frozenset({"string", "string[]", "multivaluedproperty", "object", "object[]", "psobject"})
_NUMBER_TYPES = frozenset({"byte", "int16", "int32", "int64", "uint16", "uint32", "uint64", "double",
                           "single", "decimal"})
_ARTICLES = frozenset({"a", "an", "the"})
# The "Single IP address / IP address range / Classless InterDomain Routing" bullets (and "FQDN of a smart
# host") shared by the connector, rule and connection-filter pages.
_ADDRESS_BULLETS = frozenset({"single", "ip", "classless", "fqdn"})


def _unique(items: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for item in items:
        if item.lower() not in seen:
            seen.add(item.lower())
            out.append(item)
    return out


def _strings(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    return [v.strip() for v in value if isinstance(v, str) and v.strip()]


def _type(value: Any, switch: bool, notes: Counter[str]) -> str:
    text = value.strip() if isinstance(value, str) else ""
    fixed = text.strip("<>")                     # "<ResourceBookingType>"
    fixed = fixed.split(",", 1)[0].strip()       # "MailboxIdParameter, AzureImportRequest": a set leaked in
    if fixed != text:
        notes["type: stray brackets or a set name removed"] += 1
    if not fixed:
        # The binder reads the type to convert values; "Object" means "pass the text as typed".
        notes["type: empty, set to SwitchParameter/Object"] += 1
        fixed = "SwitchParameter" if switch else "Object"
    return fixed


def _position(value: Any, notes: Counter[str]) -> int | None:
    # The schema wants an int or null; the reference writes "Named" for null and could give digits as text.
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    notes["position: text or float made an integer/null"] += 1
    if isinstance(value, float) and value.is_integer() and value >= 0:
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _valid_values(cmdlet: str, name: str, ptype: str, raw: Any, notes: Counter[str]) -> list[str]:
    # Values end in a full stop where the bullet did ("$false. Access to …", "Disabled.").
    values = [v[:-1] if v.endswith(".") and len(v) > 1 else v for v in _strings(raw)]
    if not values:
        return []
    base = ptype.lower().removeprefix("system.").rsplit(".", 1)[-1]
    numeric = base.removesuffix("[]") in _NUMBER_TYPES or base.startswith("unlimited")
    lower = [v.lower() for v in values]
    reason = ""
    if (cmdlet, name) in DROPPED_VALID_VALUES:
        reason = "listed by hand"
    elif "timespan" in base:
        # "00:15:00" was cut at the colon to "00": the binder would reject every real time span.
        reason = "time spans cut at the colon"
    elif _ARTICLES.intersection(lower):
        reason = "first words of prose bullets (A/An/The)"
    elif len(lower) > 1 and set(lower) <= _ADDRESS_BULLETS:
        reason = "first words of the IP address bullets"
    elif len(set(lower)) < len(lower) and base in _TEXT_TYPES:
        reason = "repeated first words of prose bullets"   # "image/gif", "image/png" → "image", "image"
    elif not numeric and base not in _TEXT_TYPES and all(v.lstrip("-").isdigit() for v in values):
        # "0 or KeepInInbox": only the number survived, and the binder would reject the name.
        reason = "enum numbers without their names"
    if reason:
        notes[f"valid_values dropped: {reason}"] += 1
        return []
    unique = _unique(values)
    if len(unique) < len(values):
        notes["valid_values: duplicates removed"] += 1
    return unique


class _SetNames:
    """Maps the set names a cmdlet's parameters give to the names its syntax blocks declare."""

    def __init__(self, cmdlet: str, declared: Sequence[str], notes: Counter[str]) -> None:
        self.cmdlet = cmdlet
        self.declared = list(declared)
        self.by_lower = {s.lower(): s for s in declared}
        self.notes = notes

    def fix(self, names: Iterable[str]) -> list[str]:
        out: list[str] = []
        for name in names:
            out.extend(self.one(name))
        out = _unique(out)
        return [ALL_SETS] if ALL_SETS in out else out

    def one(self, name: str) -> tuple[str, ...]:
        if (self.cmdlet, name) in SET_FIXES:
            self.notes["sets: phantom set name mapped (SET_FIXES)"] += 1
            return SET_FIXES[self.cmdlet, name]
        if name in self.declared or name == ALL_SETS:
            return (name,)
        if name.lower() in ("(all))", "all", "(all)"):
            self.notes["sets: '(All))'/'All' read as (All)"] += 1
            return (ALL_SETS,)
        if name.lower() in self.by_lower:   # "ExchangeRemoteMoveAutoDiscover" vs "…Autodiscover"
            self.notes["sets: spelling differed from the declared set only in case"] += 1
            return (self.by_lower[name.lower()],)
        parts = name.split()
        if len(parts) > 1 and all(p in self.declared for p in parts):   # "Migration RemovedMailbox"
            self.notes["sets: two set names joined by a space split"] += 1
            return tuple(parts)
        return (name,)


def _merge(first: dict[str, Any], other: dict[str, Any]) -> None:
    """Fold a repeated parameter entry into the first: the binder keys parameters by name."""
    for key in ("aliases", "mandatory_in", "valid_values"):
        first[key] = _unique([*first[key], *other[key]])
    sets = _unique([*first["sets"], *other["sets"]])
    first["sets"] = [ALL_SETS] if ALL_SETS in sets else sets
    first["pipeline"] = first["pipeline"] or other["pipeline"]
    first["wildcards"] = first["wildcards"] or other["wildcards"]
    if first["position"] is None:
        first["position"] = other["position"]


def _shares_a_set(a: Sequence[str], b: Sequence[str]) -> bool:
    return ALL_SETS in a or ALL_SETS in b or bool(set(a) & set(b))


def normalise_cmdlet(raw: Mapping[str, Any], notes: Counter[str]) -> dict[str, Any]:
    """One source entry as a catalog entry (synopsis left out), with the extraction's slips repaired."""
    name = str(raw.get("name") or "").strip()
    declared = _unique(s for s in _strings(raw.get("parameter_sets")) if s != ALL_SETS)
    sets = _SetNames(name, declared, notes)
    params: dict[str, dict[str, Any]] = {}
    for p in raw.get("parameters") or []:
        pname = str(p.get("name") or "").strip().lstrip("-") if isinstance(p, Mapping) else ""
        if not pname:
            notes["parameters: entry without a name skipped"] += 1
            continue
        ptype = _type(p.get("type"), bool(p.get("switch")), notes)
        own_sets = sets.fix(_strings(p.get("sets"))) or [ALL_SETS]
        mandatory = sets.fix(_strings(p.get("mandatory_in")))
        if ALL_SETS not in own_sets and ALL_SETS not in mandatory:
            kept = [s for s in mandatory if s in own_sets]
            if len(kept) < len(mandatory):
                notes["mandatory_in: sets the parameter is not in removed"] += 1
            mandatory = kept
        raw_aliases = _unique(_strings(p.get("aliases")))
        # An alias equal to the parameter's own name or type is a slip ("EsnCustomSubject" aliased
        # "MultiValuedProperty"); the binder would resolve -MultiValuedProperty to it.
        aliases = [a for a in raw_aliases if a.lower() not in (pname.lower(), ptype.lower())]
        if len(aliases) < len(raw_aliases):
            notes["aliases: own name or type removed"] += 1
        entry = {
            "name": pname,
            "type": ptype,
            "switch": bool(p.get("switch")) or ptype.lower().rsplit(".", 1)[-1] == "switchparameter",
            "sets": own_sets,
            "aliases": aliases,
            "mandatory_in": mandatory,
            "position": _position(p.get("position"), notes),
            "pipeline": bool(p.get("pipeline")),
            "wildcards": bool(p.get("wildcards")),
            "valid_values": _valid_values(name, pname, ptype, p.get("valid_values"), notes),
        }
        if pname.lower() in params:
            notes["parameters: repeated name merged into the first"] += 1
            _merge(params[pname.lower()], entry)
        else:
            params[pname.lower()] = entry
    plist = list(params.values())

    # Two parameters at one position in a set they share make the positional order a coin toss; the
    # syntax blocks show the later-listed one after the earlier ("[[-Identity] …] [-FileData] …").
    placed: list[dict[str, Any]] = []
    for p in plist:
        if p["position"] is None:
            continue
        moved = False
        while any(q["position"] == p["position"] and _shares_a_set(q["sets"], p["sets"]) for q in placed):
            p["position"] += 1
            moved = True
        if moved:
            notes["position: shared with an earlier parameter, moved after it"] += 1
        placed.append(p)

    # Every set a parameter names must be a declared set: completion lists sets from parameter_sets.
    named = _unique(s for p in plist for s in [*p["sets"], *p["mandatory_in"]] if s != ALL_SETS)
    extra = [s for s in named if s not in declared]
    if extra:
        notes["parameter_sets: sets named only by parameters declared"] += 1
    order = [*declared, *extra]
    default = DROPPED_DEFAULT_SETS.get(name)
    if default is not None and default not in declared:
        notes["parameter_sets: dropped default set put back first"] += 1
        order = [default, *(s for s in order if s != default)]
    return {"name": name, "synopsis": "", "parameter_sets": order, "parameters": plist}


def build(source: Mapping[str, Any]) -> tuple[dict[str, Any], Catalog, Counter[str]]:
    """(meta, catalog, notes) from the reference document; raises CatalogError if it is not one."""
    raw_cmdlets = source.get("cmdlets") if isinstance(source, Mapping) else None
    if not isinstance(raw_cmdlets, list):
        raise CatalogError("the source is not a JSON object with a 'cmdlets' list")
    notes: Counter[str] = Counter()
    cmdlets: dict[str, CmdletInfo] = {}
    for i, raw in enumerate(raw_cmdlets):
        raw = raw if isinstance(raw, Mapping) else {}
        entry = normalise_cmdlet(raw, notes)
        if not entry["name"]:
            notes["cmdlets: entry without a name skipped"] += 1
            continue
        if raw.get("synopsis"):
            notes["synopsis left out"] += 1
        info = CmdletInfo.from_json(entry, f"cmdlets[{i}]")   # the schema check the app's loader makes
        if info.name.lower() in cmdlets:
            notes["cmdlets: repeated name, first kept"] += 1
            continue
        cmdlets[info.name.lower()] = info
    catalog = Catalog(cmdlets.values())
    src_meta = source.get("meta")
    if not isinstance(src_meta, Mapping):
        src_meta = {}
    meta = {
        "source": SOURCE_NAME,
        "license": LICENSE,
        "commit": src_meta.get("commit"),
        "environment": src_meta.get("environment", "Exchange Online"),
        "count": len(catalog),
        "parameters": sum(len(c.parameters) for c in catalog),
        "synopsis": "left out: the reference's prose; the facts are kept",
        "generator": "scripts/make_exo_catalog.py",
    }
    return meta, catalog, notes


def render(meta: Mapping[str, Any], catalog: Catalog) -> str:
    """The file text: the meta block, then one cmdlet per line (small diffs when the reference moves)."""
    def dump(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    lines = ",\n".join(dump(c.to_json()) for c in sorted(catalog, key=lambda c: (c.name.lower(), c.name)))
    return f'{{"meta":{dump(dict(meta))},\n"cmdlets":[\n{lines}\n]}}\n'


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("source", nargs="?", type=Path, default=DEFAULT_SOURCE,
                        help="the reference JSON (default: %(default)s)")
    parser.add_argument("-o", "--out", type=Path, default=DEFAULT_OUT, help="catalog to write (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        source = json.loads(args.source.read_text(encoding="utf-8"))
        meta, catalog, notes = build(source)
    except (OSError, ValueError) as exc:   # CatalogError and JSONDecodeError are ValueErrors
        print(f"make_exo_catalog: {args.source}: {exc}", file=sys.stderr)
        return 1
    text = render(meta, catalog)
    if Catalog.loads(text) != catalog:   # what the app will read back is what was built
        print("make_exo_catalog: the written text does not load back to the same catalog", file=sys.stderr)
        return 1
    atomic_write_text(args.out, text, mode=0o644)
    raw_count = len(source["cmdlets"])
    raw_params = sum(len(c.get("parameters") or []) for c in source["cmdlets"] if isinstance(c, Mapping))
    print(f"read {raw_count} cmdlets, {raw_params} parameters from {args.source}")
    for note, count in sorted(notes.items()):
        print(f"  {count:5d}  {note}")
    print(f"wrote {meta['count']} cmdlets, {meta['parameters']} parameters, {len(text.encode())} bytes "
          f"to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
