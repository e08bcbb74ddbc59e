"""``exohop --demo``: the embedded simulator wired up as if it were the partner's real configuration.

Starts an in-process HTTPS simulator (loopback, generated CA), and builds a Config whose accounts
point at it and a TenantDirectory of every customer tenant, in memory only: nothing is written to
the user's config, and the simulator's random passwords never leave this process.

By default the demo speaks as Exchange Online does today: OAuth sign-in (the device-code flow, whose
code the demo approves by itself — the simulator's Entra ID is told the user's answer directly) and the
REST InvokeCommand transport, tokens in a cache that lives in memory only. ``transport="psrp"`` gives the
seed's Basic-auth remote PowerShell instead (``exohop --demo --demo-transport psrp``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tui.config import Account, Config, Settings
from tui.tenants import Tenant, TenantDirectory


@dataclass
class Demo:
    sim: Any                     # tui.sim.Simulator (imported lazily: the CLI's non-demo paths never load it)
    config: Config
    tenants: TenantDirectory
    _passwords: dict[str, str] = field(repr=False, default_factory=dict)
    transport: str = "rest"
    _providers: dict[str, Any] = field(repr=False, default_factory=dict)
    _lock: threading.Lock = field(repr=False, default_factory=threading.Lock)

    def password_for(self, upn: str) -> str:
        try:
            return self._passwords[upn.lower()]
        except KeyError:
            raise KeyError(f"{upn} is not a demo account") from None

    def token_source(self, account: Account) -> Any:
        """The account's TokenProvider over a memory-only cache (one per account, reused)."""
        from tui.remoting.auth.account import user_provider_for
        from tui.remoting.auth.cache import MemoryTokenCache

        with self._lock:
            provider = self._providers.get(account.upn.lower())
            if provider is None:
                provider = user_provider_for(account, cache=MemoryTokenCache())
                self._providers[account.upn.lower()] = provider
            return provider

    def sign_in(self, account: Account, on_prompt: Callable[[Any], None],
                cancel: threading.Event | None = None) -> Any:
        """The device-code flow as a person would see it, approved by the demo itself once shown."""
        provider = self.token_source(account)

        def shown(prompt: Any) -> None:
            on_prompt(prompt)
            self.sim.approve_device_code(prompt.user_code, account.upn)

        return provider.sign_in_with_device_code(shown, cancel=cancel)

    def stop(self) -> None:
        self.sim.stop()


def start_demo(mailboxes: int = 50, latency_ms: int = 0, transport: str = "rest") -> Demo:
    from tui.sim import Simulator

    sim = Simulator(mailboxes=mailboxes, latency_ms=latency_ms).start()
    try:
        if transport == "rest":
            accounts = [Account(upn=a.upn, endpoint=sim.url, ca_file=sim.ca_file, default=(i == 0), auth="oauth",
                                authority=sim.authority, home_tenant=sim.home_tenant_of(a.upn), transport="rest")
                        for i, a in enumerate(sim.accounts)]
        else:
            accounts = [Account(upn=a.upn, endpoint=sim.url, ca_file=sim.ca_file, default=(i == 0))
                        for i, a in enumerate(sim.accounts)]
        config = Config(settings=Settings(), accounts=accounts, path=None)
        default_upn = accounts[0].upn if accounts else None
        tenants = TenantDirectory(path=None)
        for t in sim.tenants:
            # The first account delegated to the tenant manages it (else the default, which the service refuses).
            owner = next((a.upn for a in sim.accounts if t.domain in a.tenants), default_upn)
            tenants.add(Tenant(domain=t.domain, name=t.name, tenant_id=t.tenant_id,
                               account=owner if owner != default_upn else None,
                               tags=tuple(getattr(t, "tags", ()))))
        passwords = {a.upn.lower(): a.password for a in sim.accounts}
    except BaseException:
        sim.stop()
        raise
    return Demo(sim=sim, config=config, tenants=tenants, _passwords=passwords, transport=transport)
