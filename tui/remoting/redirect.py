"""HTTP behaviours pypsrp leaves to the client: ``-AllowRedirection`` redirects and 503 throttling.

requests would follow a 302 by re-sending the POST as a GET without a body (and drop Authorization
across hosts), so pypsrp fails and keeps the old endpoint (PROTOCOL.md). Here a response hook
stops that: it raises ``RedirectRequested`` carrying the absolute ``Location``, and the session
re-sends the Create there with the same credentials. A second hook answers 503/429 by waiting
(``Retry-After`` honoured, bounded) and re-sending the same request a few times before letting the
error through, so one busy moment on the service does not fail a command.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urljoin, urlsplit

import requests

from tui.remoting.retry_after import retry_delay

if TYPE_CHECKING:   # pypsrp only where a WSMan is hooked: the REST door imports this module for its exceptions
    from pypsrp.wsman import WSMan

REDIRECT_CODES = (301, 302, 303, 307, 308)
THROTTLE_CODES = (429, 503)


class RedirectRequested(Exception):
    """The server answered a redirect; ``location`` is absolute."""

    def __init__(self, location: str, status: int) -> None:
        super().__init__(f"redirected ({status}) to {location}")
        self.location = location
        self.status = status


class Throttled(Exception):
    """The service throttles and asked for a wait longer than exohop sleeps through (``Retry-After``)."""

    def __init__(self, status: int, retry_after_s: float) -> None:
        super().__init__(f"throttled ({status}), retry after {retry_after_s} s")
        self.status = status
        self.retry_after_s = retry_after_s


def refuse_redirect(current: str, location: str, domain: str) -> str | None:
    """Why exohop will not follow a redirect from ``current`` to ``location`` for tenant ``domain``, or None.

    The Create is re-sent with the password: over http it may only stay on the same host (loopback
    endpoints); and the target must be the same tenant (a ``DelegatedOrg`` naming another would run
    the engineer's next command in the wrong customer).
    """
    here, there = urlsplit(current), urlsplit(location)
    if there.scheme == "http" and (here.scheme != "http" or (there.hostname or "") != (here.hostname or "")):
        return (f"to an unencrypted address on another host ({there.hostname or location}); exohop refuses to send "
                "the password there")
    for key, value in parse_qsl(there.query, keep_blank_values=True):
        if key.lower() == "delegatedorg" and unquote(value).strip().lower() != domain.lower():
            return f"to another tenant ({value}); exohop only connects to the tenant you picked"
    return None


class ThrottleRetry:
    """A requests response hook: on 503/429 wait and re-send, ``retries`` times at most.

    The wait is ``Retry-After`` when given, else an exponential backoff (``base_s`` doubled each
    time, ``retry_after.retry_delay``); a ``Retry-After`` above ``max_wait_s`` is not slept: the error
    goes to the caller at once.
    """

    def __init__(self, session: requests.Session, retries: int = 3, base_s: float = 0.5, max_wait_s: float = 30.0,
                 on_wait: Callable[[float, int], None] | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.session = session
        self.retries = retries
        self.base_s = base_s
        self.max_wait_s = max_wait_s
        self.on_wait = on_wait
        self.sleep = sleep

    def __call__(self, response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
        attempt = 0
        while response.status_code in THROTTLE_CODES and attempt < self.retries:
            delay, too_long = retry_delay(response.headers.get("Retry-After"), attempt + 1, self.base_s,
                                          self.max_wait_s)
            if too_long:
                # Not slept through: say how long the service asked for instead of a generic 503.
                response.close()
                raise Throttled(response.status_code, delay)
            attempt += 1
            if self.on_wait is not None:
                self.on_wait(delay, attempt)
            self.sleep(delay)
            request = response.request
            response.close()
            adapter = self.session.get_adapter(str(request.url))
            response = adapter.send(request, **kwargs)
        return response


def stop_redirects(response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
    """A requests response hook: raise instead of letting requests follow a redirect."""
    if response.status_code in REDIRECT_CODES:
        location = response.headers.get("Location")
        response.close()
        if location:
            raise RedirectRequested(urljoin(str(response.url), location), response.status_code)
        raise RedirectRequested("", response.status_code)
    return response


def install_hooks(wsman: WSMan, *, on_throttle_wait: Callable[[float, int], None] | None = None,
                  throttle_retries: int = 3) -> None:
    """Give ``wsman`` the redirect and throttling behaviours; call before its first request."""
    from tui.remoting.pypsrp_compat import build_session

    transport = wsman.transport
    if transport.session is None:
        # pypsrp builds its requests.Session lazily on the first send; building it now lets us add
        # hooks before any request leaves.
        transport.session = build_session(transport)
    session = transport.session
    session.max_redirects = 0
    session.hooks["response"] = [ThrottleRetry(session, retries=throttle_retries, on_wait=on_throttle_wait),
                                 stop_redirects]
