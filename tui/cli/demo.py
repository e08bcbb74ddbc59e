"""``exohop --demo``: the embedded simulator wired up as if it were the partner's real configuration.

Starts an in-process HTTPS simulator (loopback, generated CA), and builds a Config whose accounts
point at it and a TenantDirectory of every customer tenant, in memory only: nothing is written to
the user's config, and the simulator's random passwords never leave this process.
"""

from __future__ import annotations

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

    def password_for(self, upn: str) -> str:
        try:
            return self._passwords[upn.lower()]
        except KeyError:
            raise KeyError(f"{upn} is not a demo account") from None

    def stop(self) -> None:
        self.sim.stop()


def start_demo(mailboxes: int = 50, latency_ms: int = 0) -> Demo:
    from tui.sim import Simulator

    sim = Simulator(mailboxes=mailboxes, latency_ms=latency_ms).start()
    try:
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
    return Demo(sim=sim, config=config, tenants=tenants, _passwords=passwords)
