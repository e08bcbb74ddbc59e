"""The header: which tenant a command will hit, through which partner account, and sessions open.

Nothing may ever hide the active tenant, so it is the first thing on the line, in its accent colour.
"""

from __future__ import annotations

from typing import Any

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from tui.console.widgets.tenant_list import accent_color, display_name
from tui.shell.safe_text import visible


class TenantHeader(Widget):
    DEFAULT_CSS = """
    TenantHeader { height: 1; dock: top; background: $panel; color: $foreground; padding: 0 1; }
    """

    tenant: reactive[Any | None] = reactive(None, layout=False)
    account: reactive[str] = reactive("")
    open_sessions: reactive[int] = reactive(0)
    max_sessions: reactive[int] = reactive(3)
    status: reactive[str] = reactive("")
    sign_in: reactive[str] = reactive("")        # "" (a password account), "signed in", "not signed in", "app"
    transport: reactive[str] = reactive("psrp")  # "rest": no shells on the server, so no shell count
    read_only: reactive[bool] = reactive(False)  # the active account refuses state changes (safety.py)

    def render(self) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append("exohop ", Style(bold=True, dim=True))
        tenant = self.tenant
        if tenant is None:
            text.append("▌ no tenant selected ", Style(italic=True))
        else:
            colour = accent_color(tenant.domain)
            text.append("▌", Style(color=colour))
            # Names come from a CSV import or the service: shown as text (``safe_text``).
            text.append(f" {visible(display_name(tenant))} ", Style(color="black", bgcolor=colour, bold=True))
            text.append(f" {visible(tenant.domain)}", Style(color=colour))
        if self.status:
            text.append(f"  {visible(self.status)}", Style(italic=True, dim=True))
        width = self.content_size.width or self.size.width
        if self.transport == "rest":
            sessions = Text(f"REST {self.open_sessions} open", Style(bold=True))
        else:
            sessions = Text(f"sessions {self.open_sessions}/{self.max_sessions}", Style(bold=True))
        if self.read_only:   # with the session count, so no narrowing ever drops it
            sessions = Text.assemble((" READ-ONLY ", Style(bold=True, color="white", bgcolor="red")), " ", sessions)
        account = visible(self.account)
        right = self._right(account, sessions, prefix=True)
        if text.cell_len + right.cell_len + 1 > width:
            # Narrow: the tenant and the status win; the account is shortened (two spaces after the
            # tenant tell them apart), never dropped.
            around = self._right(account, sessions).cell_len - cell_len(account)
            right = self._right(shorten_account(account, width - text.cell_len - 2 - around), sessions)
        gap = width - text.cell_len - right.cell_len
        if gap < 1:
            text.truncate(max(1, width - right.cell_len - 1), overflow="ellipsis")
            gap = max(1, width - text.cell_len - right.cell_len)
        text.append(" " * gap)
        text.append_text(right)
        return text

    def _right(self, account: str, sessions: Text, *, prefix: bool = False) -> Text:
        """The right end: ``[signed in as ]account[ · not signed in]  sessions``."""
        right = Text(no_wrap=True)
        if account:
            if prefix and self.sign_in == "signed in":
                right.append("signed in as ", Style(dim=True))
            right.append(account, Style(dim=True))
            if self.sign_in == "not signed in":
                right.append(" · not signed in", Style(italic=True, color="yellow"))
            elif self.sign_in == "app":
                right.append(" · app", Style(dim=True))
            right.append("  ")
        right.append_text(sessions)
        return right


MIN_ACCOUNT_CELLS = 6  # below this a shortened account says nothing: left out


def shorten_account(upn: str, room: int) -> str:
    """``upn`` in at most ``room`` cells: whole; else without its domain's suffix, which partner
    accounts share (``admin@fabrikampartner…``); else cut at the end of that; "" when ``room`` is tiny."""
    if cell_len(upn) <= room:
        return upn
    if room < MIN_ACCOUNT_CELLS:
        return ""
    local, at, domain = upn.partition("@")
    label = domain.split(".", 1)[0]
    short = Text(f"{local}@{label}…" if at and label != domain else upn)
    short.truncate(room, overflow="ellipsis")
    return short.plain
