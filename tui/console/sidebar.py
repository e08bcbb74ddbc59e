"""When the tenant sidebar shows: collapsed by Ctrl+B, or by itself in a narrow terminal.

The rule is pure (the app applies it on a resize, a focus change, a picked tenant and Ctrl+B):

- While the focus is in the sidebar it shows, whatever else holds: "/" and Ctrl+T keep working when it
  is collapsed, and show it for as long as they are used. Once a tenant is picked (the focus goes to
  its console) the sidebar goes back to how it was: finding a tenant is not a request to change the
  layout, and at 80 columns the console needs the room again.
- Otherwise Ctrl+B's last choice holds, at any width, until Ctrl+B is pressed again.
- Otherwise it shows when the terminal has at least ``WIDE_COLUMNS`` columns, or while no tenant is
  open yet (the welcome pane points at the list: there is nothing else to do).
"""

from __future__ import annotations

from dataclasses import dataclass

WIDE_COLUMNS = 100  # below this the sidebar (38 columns) would leave a console narrower than 62


@dataclass
class SidebarRule:
    choice: bool | None = None  # Ctrl+B's last word: shown / collapsed; None: by the terminal's width

    def shown(self, *, width: int, focus_inside: bool, tenant_open: bool) -> bool:
        if focus_inside:
            return True
        if self.choice is not None:
            return self.choice
        return width >= WIDE_COLUMNS or not tenant_open

    def toggle(self, shown_now: bool) -> bool:
        """Ctrl+B: the opposite of what shows now, kept from then on."""
        self.choice = not shown_now
        return self.choice
