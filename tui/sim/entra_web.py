"""Entra ID's HTTP face on the simulator's server: discovery, JWKS, the device-code and token endpoints,
the /devicelogin page a person approves a code on, and /authorize for msal's loopback (form_post) flow.

``route`` answers a request whose path is Entra's, or returns None so the WS-Management door takes it.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any
from urllib.parse import parse_qsl

from tui.sim.entra import LoginRefused, OAuthError, TokenService
from tui.sim.reply import Reply

DEVICE_LOGIN_PATH = "/devicelogin"
_DISCOVERY = re.compile(r"^/(?P<tenant>[^/]+)/v2\.0/\.well-known/openid-configuration$", re.IGNORECASE)
_KEYS = re.compile(r"^/(?P<tenant>[^/]+)/discovery/(?:v2\.0/)?keys$", re.IGNORECASE)
_OAUTH = re.compile(r"^/(?P<tenant>[^/]+)/oauth2/v2\.0/(?P<op>token|devicecode|authorize)$", re.IGNORECASE)
_JSON = {"Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store, no-cache",
         "Pragma": "no-cache"}
_HTML = {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"}


def route(service: TokenService, method: str, path: str, query: str, body: bytes, base_url: str) -> Reply | None:
    try:
        return _route(service, method, path, query, body, base_url)
    except OAuthError as exc:
        return _json(exc.body(), exc.status)


def _route(service: TokenService, method: str, path: str, query: str, body: bytes,
           base_url: str) -> Reply | None:
    if path.rstrip("/").lower() == DEVICE_LOGIN_PATH:
        return _device_login(service, method, _form(body) if method == "POST" else dict(parse_qsl(query)))
    if (m := _DISCOVERY.match(path)) and method == "GET":
        return _json(service.openid_configuration(base_url, m["tenant"]))
    if (m := _KEYS.match(path)) and method == "GET":
        return _json(service.jwks())
    m = _OAUTH.match(path)
    if m is None:
        return None
    tenant, op = m["tenant"], m["op"].lower()
    if op == "authorize":
        return _authorize(service, method, tenant, dict(parse_qsl(query)), _form(body) if method == "POST" else {})
    if method != "POST":
        return Reply(405, b"", {"Allow": "POST"})
    form = _form(body)
    if op == "devicecode":
        return _json(service.start_device_flow(base_url, tenant, form))
    return _json(service.token(base_url, tenant, form, f"{base_url}{path}"))


def _device_login(service: TokenService, method: str, form: dict[str, str]) -> Reply:
    code = form.get("code", "")
    if method != "POST":
        return _page("Enter code", _DEVICE_FORM.format(code=html.escape(code)))
    if form.get("action") == "deny":
        service.decline_device_code(code)
        return _page("Sign-in declined", "<p>You declined to sign in on the other device.</p>")
    try:
        user = service.approve_device_code(code, form.get("username", ""), form.get("password", ""))
    except LoginRefused as exc:
        return _page("Sign-in refused", f"<p class=error>{html.escape(str(exc))}</p>"
                     + _DEVICE_FORM.format(code=html.escape(code)), exc.status)
    return _page("Signed in", f"<p>{html.escape(user.upn)} signed in on the other device. "
                              "You may now close this window.</p>")


def _authorize(service: TokenService, method: str, tenant: str, query: dict[str, str],
               form: dict[str, str]) -> Reply:
    if method == "GET":
        try:
            service.check_authorize(tenant, query)
        except OAuthError as exc:
            return _page("Sign-in error", f"<p class=error>{html.escape(exc.description)}</p>", exc.status)
        return _page("Sign in", _LOGIN_FORM.format(hidden=_hidden(query)))
    params = {k: v for k, v in form.items() if k not in ("username", "password")}
    try:
        code = service.authorize(tenant, params, form.get("username", ""), form.get("password", ""))
    except LoginRefused as exc:
        return _page("Sign-in refused", f"<p class=error>{html.escape(str(exc))}</p>"
                     + _LOGIN_FORM.format(hidden=_hidden(params)), exc.status)
    except OAuthError as exc:
        return _page("Sign-in error", f"<p class=error>{html.escape(exc.description)}</p>", exc.status)
    fields = {"code": code, "client_info": service.client_info_for(form.get("username", ""))}
    if "state" in params:
        fields["state"] = params["state"]
    # response_mode=form_post: the browser posts the code to the loopback redirect (msal refuses a GET).
    return _page("Signing in", f'<form method="post" action="{html.escape(params["redirect_uri"])}">{_hidden(fields)}'
                               '<noscript><button type="submit">Continue</button></noscript></form>'
                               "<script>document.forms[0].submit()</script>")


def _hidden(fields: dict[str, str]) -> str:
    return "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                   for k, v in fields.items())


def _form(body: bytes) -> dict[str, str]:
    return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))


def _json(doc: dict[str, Any], status: int = 200) -> Reply:
    return Reply(status, json.dumps(doc).encode(), dict(_JSON))


def _page(title: str, content: str, status: int = 200) -> Reply:
    text = (f"<!doctype html><html><head><meta charset=utf-8><title>{html.escape(title)}</title></head>"
            f"<body><h1>{html.escape(title)}</h1>{content}</body></html>")
    return Reply(status, text.encode(), dict(_HTML))


_DEVICE_FORM = ('<form method="post" action="/devicelogin">'
                '<label>Code <input name="code" value="{code}" autocomplete="off"></label>'
                '<label>Email or phone <input name="username" type="email"></label>'
                '<label>Password <input name="password" type="password"></label>'
                '<button type="submit" name="action" value="approve">Sign in</button>'
                '<button type="submit" name="action" value="deny">Cancel</button></form>')
_LOGIN_FORM = ('<form method="post">{hidden}'
               '<label>Email or phone <input name="username" type="email"></label>'
               '<label>Password <input name="password" type="password"></label>'
               '<button type="submit">Sign in</button></form>')
