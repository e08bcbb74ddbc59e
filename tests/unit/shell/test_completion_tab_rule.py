"""PSReadLine's candidate rule: what begins with the word, else humps and fuzzy matches (names, parameters, values)."""

from __future__ import annotations

from tests.unit.shell.conftest import P
from tui.catalog import Catalog, CmdletInfo
from tui.shell.completion import CmdletCompleter, CompletionData, complete
from tui.shell.matching import FUZZY, HUMPS, PREFIX, match_quality, prefix_first

CATALOG = Catalog([
    CmdletInfo("Get-Mailbox", "Retrieves mailboxes.", (), (
        P("Identity", "MailboxIdParameter", position=0),
        P("Anr"),
        P("Archive", "SwitchParameter"),
        P("ResultSize", "Unlimited"),
        P("RecipientTypeDetails", "RecipientTypeDetails[]", valid_values=["UserMailbox", "SharedMailbox"]),
    )),
    CmdletInfo("Get-MailboxPermission", "Retrieves permissions on a mailbox.", (), (
        P("Identity", "MailboxIdParameter", position=0),
        P("User", "SecurityPrincipalIdParameter"),
    )),
    CmdletInfo("Get-MailboxFolderPermission", "Retrieves folder permissions.", (), (P("Identity"),)),
    CmdletInfo("Get-MailboxStatistics", "Gets statistics.", (), (P("Identity"),)),
    CmdletInfo("Get-MobileDeviceMailboxPolicy", "Mobile policies.", (), (P("Identity"),)),
    CmdletInfo("Add-MailboxPermission", "Adds permissions.", (), (
        P("Identity", "MailboxIdParameter", position=0),
        P("AccessRights", "MailboxRights[]", valid_values=["Owner", "ChangeOwner", "ReadPermission"]),
    )),
])
NO_DATA = CompletionData()


def texts(text: str) -> list[str]:
    return [c.text for c in complete(text, None, CATALOG, NO_DATA)]


def test_one_prefix_match_is_the_only_candidate() -> None:
    # Get-MailboxFolderPermission matches Get-MailboxPerm by humps, but a name begins with the word.
    assert match_quality("get-mailboxperm", "get-mailboxfolderpermission",
                         name="Get-MailboxFolderPermission")[0] == HUMPS
    assert texts("Get-MailboxPerm") == ["Get-MailboxPermission"]


def test_several_prefix_matches_and_no_guesses_among_them() -> None:
    assert texts("Get-Mailb") == ["Get-Mailbox", "Get-MailboxFolderPermission", "Get-MailboxPermission",
                                  "Get-MailboxStatistics"]
    # The typed name in full is a candidate too (exact), with the longer ones it begins.
    assert texts("get-mailbox")[0] == "Get-Mailbox" and len(texts("get-mailbox")) == 4


def test_no_prefix_match_offers_humps_then_fuzzy() -> None:
    assert texts("gmbxp") == ["Get-MailboxPermission", "Get-MailboxFolderPermission", "Get-MobileDeviceMailboxPolicy"]
    assert texts("mailboxperm") == ["Add-MailboxPermission", "Get-MailboxPermission", "Get-MailboxFolderPermission"]
    assert texts("zzz") == []


def test_parameters_follow_the_rule() -> None:
    assert match_quality("ar", "anr")[0] == HUMPS   # -Anr would match -ar by humps…
    assert texts("Get-Mailbox -ar") == ["-Archive"]  # …but -Archive begins with it
    assert texts("Get-Mailbox -Res") == ["-ResultSize"]
    assert texts("Get-Mailbox -rtd") == ["-RecipientTypeDetails"]  # nothing begins with it: humps


def test_values_follow_the_rule() -> None:
    assert texts("Add-MailboxPermission x -AccessRights Own") == ["Owner"]  # not ChangeOwner (fuzzy)
    assert texts("Add-MailboxPermission x -AccessRights own") == ["Owner"]
    assert texts("Add-MailboxPermission x -AccessRights perm") == ["ReadPermission"]  # fuzzy: nothing else
    assert sorted(texts("Get-Mailbox -RecipientTypeDetails mbx")) == ["SharedMailbox", "UserMailbox"]


def test_identities_follow_the_rule() -> None:
    data = CompletionData(identities=["megan@contoso.com", "adele.megan@contoso.com"])
    found = [c.text for c in complete("Get-Mailbox -Identity meg", None, CATALOG, data)]
    assert found == ["megan@contoso.com"]
    found = [c.text for c in complete("Get-Mailbox -Identity contoso", None, CATALOG, data)]
    assert sorted(found) == ["adele.megan@contoso.com", "megan@contoso.com"]


def test_the_line_shell_completer_has_the_same_candidates() -> None:
    completer = CmdletCompleter(CATALOG, NO_DATA)
    from prompt_toolkit.completion import CompleteEvent
    from prompt_toolkit.document import Document

    got = [c.text for c in completer.get_completions(Document("Get-MailboxPerm"), CompleteEvent())]
    assert got == ["Get-MailboxPermission"]


def test_prefix_first_keeps_exact_and_prefix_or_everything() -> None:
    items = [((HUMPS, -2, 5), "h"), ((PREFIX, 0, 0), "p"), ((FUZZY, 0, 1), "f"), ((0, 0, 0), "e")]
    assert prefix_first(items, lambda m: m[0]) == [((PREFIX, 0, 0), "p"), ((0, 0, 0), "e")]
    guesses = [((HUMPS, -2, 5), "h"), ((FUZZY, 0, 1), "f")]
    assert prefix_first(guesses, lambda m: m[0]) == guesses
    assert prefix_first([], lambda m: m[0]) == []
