"""The simulator's customer tenants and who manages which: today's fixed set, or more for a scale run.

``tenant_set(None)`` is the fixed set of ``tui.sim.data`` (``TENANTS``, ``ACCOUNTS``) exactly. With
``first_account_tenants=N`` the first account manages N customers: the ones it manages today, then
generated customers after them, delegated to it alone (the other accounts keep theirs). A generated
tenant is made like a fixed one — a believable name, its initial and vanity domains, a region, tags —
and derived from its position only, so ``--tenants 30`` serves the same 30 on every start; its
Exchange data (mailboxes, groups …) comes from its domain like any tenant's.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from tui.sim.data import ACCOUNTS, TENANTS, SimAccountSpec, SimTenant, stable_rng, tenant_record

# Fictitious companies (and their trade) not among the fixed tenants nor the partners; past these, "Customer 0NN".
_COMPANIES = (("Blue Yonder Airlines", "aviation"), ("City Power & Light", "utilities"),
              ("Coho Vineyard", "hospitality"), ("Consolidated Messenger", "logistics"),
              ("Graphic Design Institute", "education"), ("Humongous Insurance", "finance"),
              ("Lamna Healthcare", "healthcare"), ("Lucerne Publishing", "media"), ("Margie's Travel", "hospitality"),
              ("Nod Publishers", "media"), ("Southridge Video", "media"), ("VanArsdel, Ltd.", "manufacturing"),
              ("Wingtip Toys", "retail"), ("Best For You Organics", "retail"), ("Bellows College", "education"),
              ("Fincher Architects", "consulting"), ("First Up Consultants", "consulting"),
              ("Munson's Pickles and Preserves", "manufacturing"), ("School of Fine Art", "education"),
              ("Tailwind Traders", "retail"), ("Adventure Works Cycles", "manufacturing"),
              ("Parnell Aerospace", "aviation"), ("Contoso Pharmaceuticals", "healthcare"))
_INDUSTRIES = ("retail", "manufacturing", "finance", "healthcare", "logistics", "software", "consulting")
_REGIONS = (("EUR", "eu"), ("NAM", "us"), ("APC", "apac"))


@dataclass(frozen=True, slots=True)
class TenantSet:
    tenants: tuple[SimTenant, ...]
    accounts: tuple[SimAccountSpec, ...]


def tenant_set(first_account_tenants: int | None = None) -> TenantSet:
    """The fixed set (None), or the fixed set with generated customers so the first account manages N.

    ValueError when N is below what the first account manages in the fixed set."""
    if first_account_tenants is None:
        return TenantSet(TENANTS, ACCOUNTS)
    first, *others = ACCOUNTS
    if first_account_tenants < len(first.tenants):
        raise ValueError(f"the first account manages {len(first.tenants)} tenants already: "
                         f"ask for {len(first.tenants)} or more")
    taken = {t.domain for t in TENANTS}
    extra = tuple(generated(i, taken) for i in range(1, first_account_tenants - len(first.tenants) + 1))
    widened = SimAccountSpec(first.upn, first.display_name, (*first.tenants, *(t.domain for t in extra)))
    return TenantSet((*TENANTS, *extra), (widened, *others))


def generated(index: int, taken: Collection[str] = ()) -> SimTenant:
    """The ``index``-th generated customer (1-based); its slug gets the index when a name repeats."""
    r = stable_rng("generated-tenant", index)
    if index <= len(_COMPANIES):
        name, industry = _COMPANIES[index - 1]
    else:
        name, industry = f"Customer {index:03d}", r.choice(_INDUSTRIES)
    slug = re.sub(r"[^a-z0-9]", "", name.lower())
    if f"{slug}.onmicrosoft.com" in taken:
        slug = f"{slug}{index:03d}"
    forest, geo = _REGIONS[r.randrange(len(_REGIONS))]
    region = f"{forest}PR{r.randint(1, 15):02d}"
    return tenant_record(slug, name, f"{slug}.com", region, industry, geo)
