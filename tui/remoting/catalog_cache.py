"""The catalog cache: one JSON catalog per endpoint + account + tenant, for either transport.

Apart from tui.remoting.importer (GetCommandMetadata, pypsrp), so that a REST session's start imports
no pypsrp to reach it.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import OrderedDict
from pathlib import Path
from urllib.parse import urlsplit

from tui import catalog as catalog_io
from tui.catalog import Catalog, CatalogError
from tui.config import ConfigError, resolve_endpoint

log = logging.getLogger(__name__)

CACHE_VERSION = 1


def endpoint_key(endpoint: str) -> str:
    """The endpoint as a cache key. A loopback endpoint (the simulator, whose port changes at every
    start) is keyed without its port, so `exohop --demo` finds its catalog again."""
    try:
        endpoint = resolve_endpoint(endpoint)      # "worldwide" and its URL are one endpoint
    except ConfigError:
        pass
    parts = urlsplit(endpoint.strip())
    host = (parts.hostname or "").lower()
    if host in ("127.0.0.1", "::1", "localhost"):
        return f"{parts.scheme}://{host}{parts.path.rstrip('/').lower()}"
    return endpoint.strip().rstrip("/").lower()


# A batch opens many tenants of one endpoint in one process; their files hold the same catalog, and
# parsing one costs ~0.1 s of CPU under the GIL (30 tenants: seconds, in series). A Catalog is immutable,
# so files with identical bytes share one parsed catalog (the last few contents seen are kept).
_PARSED_KEEP = 4
_parsed: OrderedDict[bytes, Catalog] = OrderedDict()
_parsed_lock = threading.Lock()


def _parsed_once(path: Path) -> Catalog:
    """``catalog_io.load(path)``, parsed once per distinct content in this process."""
    raw = path.read_bytes()
    key = hashlib.sha256(raw).digest()
    with _parsed_lock:
        found = _parsed.get(key)
        if found is not None:
            _parsed.move_to_end(key)
            return found
    try:
        cat = Catalog.loads(raw.decode("utf-8"))
    except CatalogError as exc:
        raise CatalogError(f"{path}: {exc}") from None
    except UnicodeDecodeError:
        raise CatalogError(f"{path}: not UTF-8 text") from None
    with _parsed_lock:
        _parsed[key] = cat
        while len(_parsed) > _PARSED_KEEP:
            _parsed.popitem(last=False)
    return cat


class CatalogCache:
    """One JSON catalog per endpoint + account + tenant under ``<cache_dir>/catalogs``.

    A file that fails to load is set aside (renamed ``<name>.corrupt-<UTC time>``, kept for a bug
    report) and ``load`` answers None, so the session imports the catalog afresh and saves a good
    one; ``notices`` collects one line per file set aside, for the face to show (``take_notices``).
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory / "catalogs"
        self.notices: list[str] = []

    def path_for(self, endpoint: str, upn: str, domain: str) -> Path:
        key = "\n".join((endpoint_key(endpoint), upn.lower(), domain.lower()))
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
        return self.directory / f"v{CACHE_VERSION}-{digest}.json"

    def load(self, endpoint: str, upn: str, domain: str) -> Catalog | None:
        """The cached catalog, or None when absent, corrupt or empty (a corrupt file is ignored)."""
        path = self.path_for(endpoint, upn, domain)
        try:
            cat = _parsed_once(path)
        except FileNotFoundError:
            return None
        except OSError as exc:   # unreadable is not corrupt: leave the file, import afresh
            log.warning("cannot read the catalog cache %s: %s", path.name, exc.strerror)
            return None
        except (CatalogError, ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
            self._set_aside(path, domain, exc)
            return None
        return cat if len(cat) else None

    def _set_aside(self, path: Path, domain: str, exc: BaseException) -> None:
        if isinstance(exc, CatalogError):
            reason = str(exc).removeprefix(f"{path}: ")
        else:   # damage the catalog's own checks missed: the traceback to the log, plain words in the notice
            log.warning("loading the catalog cache %s failed", path.name, exc_info=exc)
            reason = "not a valid catalog"
        aside = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}")
        try:
            path.replace(aside)
            kept = f"set aside as {aside}"
        except OSError as err:
            kept = f"could not be set aside ({err.strerror}); it will be overwritten"
        log.warning("corrupt catalog cache %s (%s): %s", path.name, reason, kept)
        self.notices.append(f"The cached command list of {domain} could not be read ({reason}); it was "
                            f"{kept}, and the commands are imported afresh.")

    def take_notices(self) -> list[str]:
        """The notices gathered since the last call (and forget them)."""
        taken, self.notices = self.notices, []
        return taken

    def save(self, endpoint: str, upn: str, domain: str, catalog: Catalog) -> Path:
        path = self.path_for(endpoint, upn, domain)
        catalog_io.save(catalog, path)
        return path
