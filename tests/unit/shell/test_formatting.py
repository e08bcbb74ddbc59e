"""Formatting: PowerShell-looking tables and lists, default views per type, JSON and CSV."""

from __future__ import annotations

import json
import uuid
from datetime import datetime

from rich.console import Console

from tui.shell.formatting import (
    FormatHint,
    TextFormatter,
    choose_view,
    format_value,
    render_rich,
    render_text,
    to_csv,
    to_json,
)
from tui.shell.records import Record

MAILBOX_TYPES = (
    "Deserialized.Microsoft.Exchange.Data.Directory.Management.Mailbox",
    "Deserialized.Microsoft.Exchange.Data.Directory.Management.MailEnabledOrgPerson",
    "Deserialized.Microsoft.Exchange.Data.Directory.ADObject",
    "Deserialized.System.Object",
)


def mailbox(i: int, name: str, quota: str) -> Record:
    return Record({
        "Name": name,
        "Alias": name.split()[0].lower(),
        "Database": "EURPR01DG123-db045",
        "ProhibitSendQuota": quota,
        "ExternalDirectoryObjectId": str(uuid.UUID(int=i)),
        "RecipientTypeDetails": "UserMailbox",
        "EmailAddresses": ["SMTP:a@contoso.com", "smtp:b@contoso.com", "smtp:c@contoso.com",
                           "smtp:d@contoso.com", "smtp:e@contoso.com"],
        "WhenCreated": datetime(2026, 11, 28, 17, 35, 7),
        "LitigationHoldEnabled": False,
        "ArchiveGuid": None,
    }, MAILBOX_TYPES)


MAILBOXES = [
    mailbox(1, "Alice Smith", "99 GB (106,300,440,576 bytes)"),
    mailbox(2, "Bob Jones", "Unlimited"),
]


def test_mailbox_default_table_snapshot() -> None:
    assert render_text(MAILBOXES) == (
        "Name        Alias Database           ProhibitSendQuota             ExternalDirectoryObjectId\n"
        "----        ----- --------           -----------------             -------------------------\n"
        "Alice Smith alice EURPR01DG123-db045 99 GB (106,300,440,576 bytes) 00000000-0000-0000-0000-000000000001\n"
        "Bob Jones   bob   EURPR01DG123-db045 Unlimited                     00000000-0000-0000-0000-000000000002\n"
    )


def test_narrow_table_truncates_with_ellipsis() -> None:
    text = render_text(MAILBOXES, width=60)
    lines = text.splitlines()
    assert all(len(line) <= 60 for line in lines)
    assert lines[0].split() == ["Name", "Alias", "Database", "ProhibitSendQuota"]
    assert "…" in lines[2]


def test_mailbox_format_list_snapshot() -> None:
    assert render_text(MAILBOXES[:1], FormatHint("list")) == (
        "Name                      : Alice Smith\n"
        "Alias                     : alice\n"
        "Database                  : EURPR01DG123-db045\n"
        "ProhibitSendQuota         : 99 GB (106,300,440,576 bytes)\n"
        "ExternalDirectoryObjectId : 00000000-0000-0000-0000-000000000001\n"
        "RecipientTypeDetails      : UserMailbox\n"
        "EmailAddresses            : {SMTP:a@contoso.com, smtp:b@contoso.com, smtp:c@contoso.com, "
        "smtp:d@contoso.com…}\n"
        "WhenCreated               : 11/28/2026 5:35:07 PM\n"
        "LitigationHoldEnabled     : False\n"
        "ArchiveGuid               :\n"
    )


def test_list_separates_records_with_a_blank_line_and_wraps_long_values() -> None:
    recs = [Record({"A": "x" * 50, "Bee": 1, "C": 2, "D": 3, "E": 4}), Record({"A": "y", "Bee": 2, "C": 3,
                                                                              "D": 4, "E": 5})]
    text = render_text(recs, width=30)
    assert text.splitlines()[:4] == ["A   : " + "x" * 24, " " * 6 + "x" * 24, " " * 6 + "xx", "Bee : 1"]
    assert "\n\nA   : y\n" in text


def test_view_rules_small_objects_table_large_list_selected_has_no_view() -> None:
    small = [Record({"A": 1, "B": "x"}), Record({"A": 22, "B": None})]
    assert choose_view(small).kind == "table"
    assert render_text(small) == " A B\n - -\n 1 x\n22\n"  # numbers right-aligned, as PowerShell
    big = [Record({k: 1 for k in "ABCDE"})]
    assert choose_view(big).kind == "list"
    selected = Record({"Name": "x", "Alias": "y"}, ("Selected.Microsoft.Exchange.Data.Directory.Management.Mailbox",))
    view = choose_view([selected])
    assert (view.kind, view.columns) == ("table", ["Name", "Alias"])
    assert choose_view(MAILBOXES).columns == ["Name", "Alias", "Database", "ProhibitSendQuota",
                                              "ExternalDirectoryObjectId"]


def test_known_exchange_views() -> None:
    stats = Record({"DisplayName": "A", "ItemCount": 3, "StorageLimitStatus": None, "LastLogonTime": None,
                    "TotalItemSize": "1 MB (1,048,576 bytes)"},
                   ("Microsoft.Exchange.Management.MapiTasks.Presentation.MailboxStatistics",))
    assert choose_view([stats]).columns == ["DisplayName", "ItemCount", "StorageLimitStatus", "LastLogonTime"]
    perm = Record({"Identity": "a", "User": "b", "AccessRights": ["FullAccess"], "IsInherited": False,
                   "Deny": False, "InheritanceType": "All"},
                  ("Microsoft.Exchange.Management.RecipientTasks.MailboxAcePresentationObject",))
    assert choose_view([perm]).columns == ["Identity", "User", "AccessRights", "IsInherited", "Deny"]
    trace = Record({}, ("Microsoft.Exchange.Management.FfoReporting.MessageTraceV2",))
    assert choose_view([trace]).columns == ["Received", "SenderAddress", "RecipientAddress", "Subject", "Status"]


def test_hints_override_the_default_view() -> None:
    assert choose_view(MAILBOXES, FormatHint("list")).columns[:2] == ["Name", "Alias"]
    assert len(choose_view(MAILBOXES, FormatHint("list")).columns) == 10
    view = choose_view(MAILBOXES, FormatHint("table", ["Name", "WhenCreated"]))
    assert (view.kind, view.columns) == ("table", ["Name", "WhenCreated"])
    text = render_text(MAILBOXES, FormatHint("table", ["Name"], hide_table_headers=True))
    assert text == "Alice Smith\nBob Jones\n"


def test_stream_formatter_keeps_header_and_widths_across_batches() -> None:
    fmt = TextFormatter(None, 80)
    first = fmt.feed([Record({"N": "short", "V": 1})])
    second = fmt.feed([Record({"N": "a much longer value", "V": 2})])
    assert first == "N     V\n-     -\nshort 1\n"
    assert second == "a mu… 2\n"


def test_mixed_types_each_get_their_own_view() -> None:
    text = render_text([Record({"A": 1}), Record({"A": 2}), "plain", Record({"B": "x"})])
    assert text == "A\n-\n1\n2\n\nplain\n\nB\n-\nx\n"


def test_format_value() -> None:
    assert format_value(None) == ""
    assert format_value(True) == "True"
    assert format_value(2.0) == "2"
    assert format_value(0.1 + 0.2) == "0.3"
    assert format_value(datetime(2026, 1, 5, 0, 7, 9)) == "1/5/2026 12:07:09 AM"
    assert format_value(["a", "b"]) == "{a, b}"
    assert format_value(list("abcdef"), limit=4) == "{a, b, c, d…}"
    assert format_value(Record({"Name": "x"})) == "x"
    assert format_value({"Add": "x"}) == "@{Add=x}"


def test_to_json() -> None:
    doc = json.loads(to_json(MAILBOXES))
    assert isinstance(doc, list) and doc[0]["Name"] == "Alice Smith"
    assert doc[0]["WhenCreated"] == "2026-11-28T17:35:07"
    assert doc[0]["EmailAddresses"][0] == "SMTP:a@contoso.com"
    assert to_json([]) == ""
    assert to_json([Record({"A": [1, [2, [3]]]})], depth=1) == '{\n  "A": [\n    1,\n    "2 3"\n  ]\n}'


def test_to_csv_quotes_and_doubles_quotes() -> None:
    recs = [Record({"Name": 'say "hi"', "N": 1, "Empty": None, "When": datetime(2026, 1, 1, 13, 0, 0)},
                   ("Some.Type",)),
            Record({"Name": "b", "Other": 5})]
    assert to_csv(recs) == ('"Name","N","Empty","When"\n'
                            '"say ""hi""","1",,"1/1/2026 1:00:00 PM"\n'
                            '"b",,,\n')
    assert to_csv(recs, ["N"], type_information=True) == '#TYPE Some.Type\n"N"\n"1"\n\n'


def test_render_rich_table_and_list() -> None:
    console = Console(width=200, record=True, color_system=None)
    console.print(render_rich(MAILBOXES))
    text = console.export_text()
    assert "ExternalDirectoryObjectId" in text and "Alice Smith" in text and "Unlimited" in text
    console = Console(width=100, record=True, color_system=None)
    console.print(render_rich(MAILBOXES[:1], FormatHint("list")))
    text = console.export_text()
    assert "LitigationHoldEnabled" in text and "False" in text


def test_group_by_starts_a_table_per_group() -> None:
    recs = [Record({"Name": n, "Dept": d}) for n, d in (("a", "HR"), ("b", "HR"), ("c", "IT"))]
    text = render_text(recs, FormatHint("table", ["Name"], group_by="Dept"))
    assert text == ("   Dept: HR\n\nName\n----\na\nb\n\n   Dept: IT\n\nName\n----\nc\n")


def test_rich_formatter_keeps_columns_across_batches_without_repeating_the_header() -> None:
    from tui.shell.formatting import RichFormatter

    fmt = RichFormatter(width=120)
    console = Console(width=120, record=True, color_system=None)
    console.print(fmt.feed(MAILBOXES[:1]))
    console.print(fmt.feed(MAILBOXES[1:]))
    lines = console.export_text().splitlines()
    assert lines[0].split() == ["Name", "Alias", "Database", "ProhibitSendQuota", "ExternalDirectoryObjectId"]
    assert sum("ExternalDirectoryObjectId" in line for line in lines) == 1
    assert lines[2].index("alice") == lines[3].index("bob")  # the second batch lines up under the first


def test_iso_datetime_text_displays_like_a_date() -> None:
    assert format_value("2026-01-05T00:07:09") == "1/5/2026 12:07:09 AM"
    assert format_value("2026-01-05") == "2026-01-05"  # a plain date string is left alone
    assert format_value("12345") == "12345"


ACCEPTED_DOMAIN = ("Deserialized.Microsoft.Exchange.Data.Directory.SystemConfiguration.AcceptedDomain",
                   "Deserialized.System.Object")
DOMAINS = [Record({"Name": d, "DomainName": d, "DomainType": "Authoritative", "Default": d == "contoso.com"},
                  ACCEPTED_DOMAIN)
           for d in ("contoso.com", "contoso.onmicrosoft.com", "contoso.mail.onmicrosoft.com")]


def _rich_lines(renderable: object, width: int) -> list[str]:
    console = Console(width=width, record=True, color_system=None)
    console.print(renderable)
    return [line.rstrip() for line in console.export_text().splitlines()]


def test_a_table_that_fits_keeps_every_column_whole() -> None:
    from tui.shell.formatting import RichFormatter

    lines = _rich_lines(RichFormatter(width=79, wide_as_list=True, wide_note="NOTE").feed(DOMAINS), 79)
    assert lines[0].split() == ["Name", "DomainName", "DomainType", "Default"]
    assert lines[4].split() == ["contoso.mail.onmicrosoft.com", "contoso.mail.onmicrosoft.com",
                                "Authoritative", "False"]
    assert "NOTE" not in "\n".join(lines) and "…" not in "\n".join(lines)


def test_a_table_too_wide_for_the_width_becomes_a_list_after_the_note() -> None:
    from tui.shell.formatting import RichFormatter

    fmt = RichFormatter(width=44, wide_as_list=True, wide_note="NOTE")
    assert fmt.fitted_view(DOMAINS).kind == "list"
    lines = _rich_lines(fmt.feed(DOMAINS), 44)
    assert lines[0] == "NOTE"
    assert "DomainName : contoso.mail.onmicrosoft.com" in lines and "DomainType : Authoritative" in lines
    assert lines.count("Default    : False") == 2
    # the next batch of the same stream continues the list (no second note)
    more = _rich_lines(fmt.feed(DOMAINS[:1]), 44)
    assert "NOTE" not in more and "Name       : contoso.com" in more


def test_format_table_stays_a_table_and_drops_the_columns_that_do_not_fit() -> None:
    from tui.shell.formatting import RichFormatter

    fmt = RichFormatter(FormatHint("table"), width=30, wide_as_list=True, wide_note="NOTE")
    lines = _rich_lines(fmt.feed(DOMAINS), 30)
    assert "NOTE" not in lines
    assert lines[0].split() == ["Name", "DomainName", "DomainType"]  # whole headers; Default left out
    assert lines[2:] == render_text(DOMAINS, FormatHint("table"), 30).splitlines()[2:]  # as the line shell


def test_without_wide_as_list_a_narrow_table_stays_a_table() -> None:
    from tui.shell.formatting import RichFormatter

    assert RichFormatter(width=40).fitted_view(DOMAINS).kind == "table"
