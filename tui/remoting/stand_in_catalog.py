"""A catalog to complete from while a tenant's own is being imported (a cold PSRP import takes a while).

Exchange serves much the same cmdlets to every tenant of an endpoint, so until the tenant's own
catalog arrives, completion can offer another tenant's cached catalog on the same endpoint (the same
service and roles, with synopses) or, failing that, the shipped catalog (``shipped_catalog``, what REST
sessions complete from). The faces mark it as provisional and replace it with the tenant's own.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from tui.catalog import Catalog, CatalogError
from tui.remoting.catalog_cache import CatalogCache
from tui.remoting.shipped_catalog import shipped_catalog

log = logging.getLogger(__name__)

SHIPPED = "the shipped catalog"
MAX_TRIED = 50   # recently used tenants whose cache file is looked for (a stat each; one is read)


@dataclass(frozen=True, slots=True)
class StandIn:
    """A stand-in catalog and where it comes from, in words for the faces ("the shipped catalog")."""

    catalog: Catalog
    source: str


def stand_in_catalog(cache_dir: Path | None, endpoint: str, others: Iterable[tuple[str, str]]) -> StandIn:
    """The first cached catalog among ``others`` ((upn, domain) of other tenants, most recently used
    first) on ``endpoint``, else the shipped catalog.

    Blocking (disk). A cache file that fails to load is skipped (``CatalogCache.load`` sets it aside,
    so that tenant re-imports its commands when next opened).
    """
    if cache_dir is not None:
        cache = CatalogCache(cache_dir)
        for upn, domain in list(others)[:MAX_TRIED]:
            if not cache.path_for(endpoint, upn, domain).is_file():
                continue
            cached = cache.load(endpoint, upn, domain)
            if cached is not None:
                return StandIn(cached, f"the cached commands of {domain}")
    try:
        return StandIn(shipped_catalog(), SHIPPED)
    except (OSError, CatalogError) as exc:   # a broken install: complete the local cmdlets only
        log.warning("the shipped catalog cannot be read: %s", exc)
        return StandIn(Catalog(), SHIPPED)
