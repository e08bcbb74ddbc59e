"""The ``requests.Session`` msal talks through: TLS always verified, against the configured CA when one is
given, proxies still taken from the environment.

requests merges the environment over the session: with ``trust_env`` on (needed for HTTPS_PROXY/NO_PROXY)
``Session.merge_environment_settings`` replaces a request's ``verify`` of None/True by REQUESTS_CA_BUNDLE or
CURL_CA_BUNDLE *before* it falls back to ``session.verify``, so ``session.verify = ca_file`` alone loses to
those variables (set on many machines). ``PinnedSession`` puts its own ``verify`` back after the merge.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import requests

if TYPE_CHECKING:
    from requests.sessions import _Settings

DEFAULT_TIMEOUT_S = 30.0


class PinnedSession(requests.Session):
    def __init__(self, ca_file: str | None, timeout: float = DEFAULT_TIMEOUT_S) -> None:
        super().__init__()
        self.ca_file = ca_file
        self.timeout = timeout
        self.verify = ca_file or True

    def merge_environment_settings(self, url: Any, proxies: Any, stream: Any, verify: Any,
                                   cert: Any) -> _Settings:
        settings = super().merge_environment_settings(url, proxies, stream, verify, cert)
        if self.ca_file:
            settings["verify"] = self.ca_file
        elif not settings.get("verify"):
            # Never unverified: an empty/False value from anywhere falls back to the default bundle.
            settings["verify"] = True
        return settings

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self.timeout)   # msal sets none; a dead login host must not hang us
        return super().request(method, url, *args, **kwargs)
