"""The simulator's REST door: Exchange Online's ``InvokeCommand`` and ``EXOModuleFile`` over the same
engine and data as the PSRP door (a change made through one is seen through the other). Facts about the
real service come from research/exo-modern.md §1 (cited per rule below); where it is silent the choice
is the simulator's and says so.

    POST {base}[/pod01b]/adminapi/{beta|v1.0}/{tenant id or domain}/InvokeCommand[?$select=A,B]
         Authorization: Bearer <token from the simulator's Entra>; body {"CmdletInput":{"CmdletName":…,
         "Parameters":{…}}}; optional X-AnchorMailbox, X-CmdletName, Prefer: odata.maxpagesize=N,
         client-request-id, WarningAction / ErrorAction (monkey365 moves them to headers, §1.3)
    GET  {base}[/pod01b]/adminapi/v1.0/{tenant}/EXOModuleFile?Version=…   (CommandName: *)

The first request of each caller (user or app) is answered ``302`` to the same URL under the regional
prefix ``/pod01b`` — the front door's redirect to a regional backend (§1.2; the real one changes host,
here the path, since there is one listener). A client re-sends the request there, method, body and
``Authorization`` included (most HTTP stacks drop the header or turn the POST into a GET on their own).
Later requests are served under either path.

Replies (JSON encoding of objects: ``rest_json``; paging: ``rest_cursor``):

- 200 ``{"@odata.context", "value": [records] | null (a run that only warned), "@odata.nextLink"
  (absolute; re-POST the identical body), "adminapi.warnings@odata.type", "@adminapi.warnings": [...],
  "@adminapi.errors": [...] (non-terminating errors, when any)}``; pages of ``Prefer:
  odata.maxpagesize`` (default and most 1000), warnings and errors on the last page;
- errors in the service's shape (``rest_json.error_body``): 400 BadRequest (binding, bad values, a
  nextLink with another body, an untagged hashtable), 400 ErrorIncorrectRoutingHint (a foreign
  X-AnchorMailbox), 401 Unauthorized + ``WWW-Authenticate: Bearer …`` (no token, bad signature, wrong
  audience, expired, ``tid`` not the URL's tenant), 403 Forbidden (a role that may not call the cmdlet:
  "User is not allowed to call Set-Mailbox."), 403 with an EMPTY body (an unknown cmdlet), 404 NotFound
  (a missing object, ``Ex6F9304|…ManagementObjectNotFoundException|…``);
- 429 + ``Retry-After`` past ``sim.faults.rest_concurrency(n)`` concurrent requests per tenant (plain-text
  body, the service's sentence) or while ``sim.faults.throttle(n)`` is armed; 503/504 from
  ``sim.faults.unavailable(n, status)``;
- every reply: ``request-id`` (the client's ``client-request-id`` when that is a GUID), ``client-request-id``,
  ``X-CalculatedBETarget``, ``Date``; errors also ``x-ExceptionType``.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote

from tui.sim import jwt
from tui.sim import rest_json as rj
from tui.sim.directory import DirTenant, ExchangeAccess
from tui.sim.entra import TokenService
from tui.sim.faults import Faults, Plan
from tui.sim.model import CmdletError, SimObject
from tui.sim.reply import Reply
from tui.sim.rest_cursor import CursorError, CursorStore, make_token
from tui.sim.runspace import Engine

REGIONAL_PREFIX = "/pod01b"
DEFAULT_PAGE_SIZE = 1000          # the module's default (§1.3); also the largest page the door serves
CONCURRENCY_MESSAGE = ("You have reached the maximum number of concurrent requests per tenant. "
                       "Please wait and try again")
JSON_TYPE = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"
HOLD_LIMIT_S = 60.0               # a forgotten hold_rest() never wedges a handler thread for good

_ROUTE = re.compile(r"^(?P<prefix>/[^/]+)?/adminapi/(?P<version>beta|v1\.0)/(?P<tenant>[^/]+)/"
                    r"(?P<op>InvokeCommand|EXOModuleFile)/?$", re.IGNORECASE)
_MAX_PAGE = re.compile(r"odata\.maxpagesize\s*=\s*(\d+)", re.IGNORECASE)


def is_rest_path(path: str) -> bool:
    return _ROUTE.match(path) is not None


@dataclass(frozen=True, slots=True)
class Caller:
    key: str                     # "user:<upn>" or "app:<client id>": whose first contact is redirected
    name: str                    # what the engine sees as the account
    access: ExchangeAccess


class RestError(Exception):
    """A request the door refuses before (or instead of) running it."""

    def __init__(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.reply = Reply(status, body, dict(headers or {}))


def _json_error(status: int, code: str, exception_type: str, message: str, *, warnings: list[str] | None = None,
                headers: dict[str, str] | None = None) -> RestError:
    body = json.dumps(rj.error_body(code, exception_type, message, warnings=warnings)).encode()
    short = exception_type.rsplit(".", 1)[-1]
    return RestError(status, body, {"Content-Type": JSON_TYPE, "x-ExceptionType": short, **(headers or {})})


class RestStats:
    """REST requests per cmdlet and status (``sim.stats()["rest"]``), thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.by_cmdlet: dict[str, Counter[str]] = {}
        self.by_status: Counter[str] = Counter()
        self.redirects = 0
        self.in_flight: Counter[str] = Counter()    # tenant id → InvokeCommands running now

    def count(self, cmdlet: str, status: int) -> None:
        with self._lock:
            self.by_cmdlet.setdefault(cmdlet, Counter())[str(status)] += 1
            self.by_status[str(status)] += 1

    def redirected(self) -> None:
        with self._lock:
            self.redirects += 1

    def enter(self, tenant_id: str, limit: int | None) -> bool:
        """Take one of the tenant's slots; False when ``limit`` are taken already."""
        with self._lock:
            if limit is not None and self.in_flight[tenant_id] >= limit:
                return False
            self.in_flight[tenant_id] += 1
            return True

    def leave(self, tenant_id: str) -> None:
        with self._lock:
            self.in_flight[tenant_id] -= 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"requests": sum(self.by_status.values()), "by_status": dict(self.by_status),
                    "by_cmdlet": {k: dict(v) for k, v in self.by_cmdlet.items()}, "redirects": self.redirects,
                    "in_flight": {k: v for k, v in self.in_flight.items() if v}}


class _Collector:
    """The RunContext of one REST run: output is encoded as it comes; progress and verbose have no
    place in the service's JSON and are dropped."""

    def __init__(self, account: str, tenant: str) -> None:
        self.account = account
        self.tenant = tenant
        self.records: list[dict[str, Any]] = []
        self.warnings: list[str] = []
        self.errors: list[str] = []
        self.missing: CmdletError | None = None      # the first not-found error the cmdlet wrote

    def output(self, obj: SimObject) -> None:
        self.records.append(rj.encode_object(obj))

    def warning(self, text: str) -> None:
        self.warnings.append(text)

    def verbose(self, text: str) -> None:
        pass

    def progress(self, activity: str, status: str, percent: int, record_id: int = 0,
                 completed: bool = False) -> None:
        pass

    def error(self, err: CmdletError) -> None:
        if self.missing is None and rj.cmdlet_error_status(err)[0] == 404:
            self.missing = err
        # Non-terminating errors ride along as @adminapi.errors (the module writes them with
        # Write-Error, §1.6), in the same <ErrorId>|<Class>|<Message> form as details[0].message.
        self.errors.append(rj.details_message(err.exception_type, err.message))

    def check_stopped(self) -> None:
        pass


class RestDoor:
    def __init__(self, engine: Engine, entra: TokenService, faults: Faults) -> None:
        self.engine = engine
        self.entra = entra
        self.directory = entra.directory
        self.faults = faults
        self.stats = RestStats()
        self.cursors = CursorStore()
        self._lock = threading.Lock()
        self._redirected: set[str] = set()

    # -- entry -------------------------------------------------------------------------------------------

    def handle(self, method: str, path: str, query: str, headers: Any, body: bytes, base_url: str) -> Reply:
        plan = self.faults.take()
        route = _ROUTE.match(path)
        module_file = route is not None and route.group("op").lower() == "exomodulefile"
        cmdlet = "EXOModuleFile" if module_file else _cmdlet_of(body)
        try:
            reply = self._faulted(plan) or self._route(route, method, path, query, headers, body, base_url)
        except RestError as exc:
            reply = exc.reply
        if reply.plan == Plan():   # a fault of the request's own tenant (drop_tenant_output) stands
            reply.plan = plan
        request_id = _request_id(headers.get("client-request-id"))
        reply.headers.setdefault("request-id", request_id)
        reply.headers.setdefault("client-request-id", headers.get("client-request-id") or request_id)
        reply.headers.setdefault("X-CalculatedBETarget", _backend(route.group("tenant") if route else ""))
        if reply.status:
            self.stats.count(cmdlet, reply.status)
        return reply

    def _faulted(self, plan: Plan) -> Reply | None:
        if plan.drop:
            return Reply(0)
        if plan.unavailable is not None:
            return Reply(plan.unavailable)        # the module retries 503 and 504 with backoff (§1.9)
        if plan.throttle_retry_after is not None:
            return Reply(429, b"", {"Retry-After": str(plan.throttle_retry_after)})
        return None

    def _route(self, m: re.Match[str] | None, method: str, path: str, query: str, headers: Any, body: bytes,
               base_url: str) -> Reply:
        if m is None:
            raise RestError(404, b"Not Found", {"Content-Type": "text/plain"})
        prefix = m.group("prefix") or ""
        regional = prefix.lower() == REGIONAL_PREFIX
        if prefix and not regional:
            raise RestError(404, b"Not Found", {"Content-Type": "text/plain"})
        op = m.group("op").lower()
        if (op == "invokecommand") != (method == "POST") or method not in ("GET", "POST"):
            raise RestError(405, b"", {"Allow": "POST" if op == "invokecommand" else "GET"})
        tenant, caller = self._authenticate(headers.get("Authorization", ""), m.group("tenant"), base_url)
        if not regional and self._first_contact(caller):
            location = f"{base_url}{REGIONAL_PREFIX}{path}" + (f"?{query}" if query else "")
            return Reply(302, b"", {"Location": location})
        _check_anchor(headers.get("X-AnchorMailbox"), tenant, self.directory.tenant)
        params = {k.lower(): v for k, v in parse_qsl(query, keep_blank_values=True)}
        if op == "exomodulefile":
            return self._module_file(caller, headers, params, base_url, m.group("version"), tenant)
        link_base = f"{base_url}{prefix}/adminapi/{m.group('version')}/{m.group('tenant')}/InvokeCommand"
        reply = self._invoke(caller, tenant, headers, body, params, link_base,
                             f"{base_url}/adminapi/{m.group('version')}/{tenant.tenant_id}")
        if reply.status == 200 and self.faults.take_tenant_output(tenant.domain):
            reply.plan = Plan(drop_mid_response=True)
        return reply

    # -- auth --------------------------------------------------------------------------------------------

    def _authenticate(self, header: str, tenant_ref: str, base_url: str) -> tuple[DirTenant, Caller]:
        challenge = f'Bearer authorization_uri="{base_url}/common/oauth2/authorize", error="invalid_token"'
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _unauthorized("The request has no bearer token.", challenge)
        try:
            claims = self.entra.verify_access_token(token.strip())
        except jwt.JWTError as exc:
            raise _unauthorized(f"The access token is not valid: {exc}.", challenge) from None
        tenant = self.directory.tenant(tenant_ref)
        if tenant is None or claims.get("tid") != tenant.tenant_id:
            # §7: the token's tid must be the URL's tenant; a partner token for tenant A at tenant B's URL.
            raise _unauthorized(f"The access token was issued for tenant '{claims.get('tid')}', not for "
                                f"'{tenant_ref}'.", challenge)
        upn = claims.get("upn")
        if isinstance(upn, str) and upn:
            access = self.directory.exchange_access(upn, tenant.tenant_id)
            caller_key, name = f"user:{upn.lower()}", upn
        else:
            appid = str(claims.get("appid", ""))
            access = self.directory.app_exchange_access(appid, tenant.tenant_id) if claims.get("roles") else None
            caller_key, name = f"app:{appid.lower()}", str(claims.get("app_displayname") or appid)
        if access is None:
            # The GDAP relationship ended (or the consent was withdrawn) after the token was issued.
            raise _json_error(403, "Forbidden", rj.ACCESS_DENIED_CLASS,
                              f"User is not allowed to access the organization '{tenant.domain}'.")
        return tenant, Caller(caller_key, name, access)

    def _first_contact(self, caller: Caller) -> bool:
        with self._lock:
            if caller.key in self._redirected:
                return False
            self._redirected.add(caller.key)
        self.stats.redirected()
        return True

    # -- EXOModuleFile -----------------------------------------------------------------------------------

    def _module_file(self, caller: Caller, headers: Any, params: dict[str, str], base_url: str, version: str,
                     tenant: DirTenant) -> Reply:
        """The cmdlets the caller's roles allow, comma-separated (§1.10; the payload's other fields are
        unverified, so only the module version asked for is echoed beside them)."""
        patterns = [p.strip() for p in (headers.get("CommandName") or "*").split(",") if p.strip()]
        names = [c.name for c in self.engine.command_metadata(patterns)
                 if _allowed(caller.access, c.name)]
        body = {"@odata.context": f"{base_url}/adminapi/{version}/{tenant.tenant_id}/$metadata#EXOModuleFile",
                "value": [{"exportedCmdlets": ",".join(names), "Version": params.get("version", "")}]}
        return Reply(200, json.dumps(body).encode(), {"Content-Type": JSON_TYPE})

    # -- InvokeCommand -----------------------------------------------------------------------------------

    def _invoke(self, caller: Caller, tenant: DirTenant, headers: Any, body: bytes, params: dict[str, str],
                link_base: str, context_base: str) -> Reply:
        name, parameters = _envelope(body)
        header_name = headers.get("X-CmdletName")
        if header_name and header_name.strip().lower() != name.lower():
            raise _json_error(400, "BadRequest", "System.ArgumentException",
                              f"The X-CmdletName header '{header_name}' does not match the CmdletName '{name}' "
                              "of the request body.")
        if _has_wildcard(name) or not self.engine.command_metadata([name]):
            raise RestError(403)        # an unknown cmdlet: 403 with an empty body on Exchange (§1.8)
        if not _allowed(caller.access, name):
            # The RBAC refusal as CIPP#1626 quotes it (§1.8).
            raise _json_error(403, "Forbidden", rj.ACCESS_DENIED_CLASS, f"User is not allowed to call {name}.")
        page_size = _page_size(headers.get("Prefer", ""))
        with self._slot(tenant.tenant_id):
            token = params.get("$skiptoken")
            if token is not None:
                try:
                    cursor, offset = self.cursors.resume(token, body, caller.key, tenant.tenant_id)
                except CursorError as exc:
                    raise _json_error(400, "BadRequest", "System.ArgumentException", str(exc)) from None
                records, warnings, errors, selected = cursor.records, cursor.warnings, cursor.errors, cursor.select
            else:
                selected = [s for s in params.get("$select", "").split(",") if s.strip()] or None
                run = self._run(caller, tenant, headers, name, parameters)
                records, warnings, errors, offset, cursor = run.records, run.warnings, run.errors, 0, None
            page = records[offset:offset + page_size]
            more = offset + page_size < len(records)
            out: dict[str, Any] = {"@odata.context": f"{context_base}/$metadata#Collection(Exchange.GenericObject)"}
            if more:
                if cursor is None:
                    cursor = self.cursors.add(body, caller.key, tenant.tenant_id, records, warnings, errors, selected)
                out["@odata.nextLink"] = _next_link(link_base, selected, make_token(cursor.cursor_id,
                                                                                      offset + page_size))
            elif cursor is not None:
                self.cursors.finish(cursor)
            last = not more
            # Warnings and non-terminating errors arise as the run ends, so they ride on its last page.
            out["adminapi.warnings@odata.type"] = "#Collection(String)"
            out["@adminapi.warnings"] = list(warnings) if last else []
            if last and errors:
                out["@adminapi.errors"] = list(errors)
            # A run that only warned answers value null (§1.6, CIPP reads warnings as the value then).
            out["value"] = None if not records and warnings else [rj.select(r, selected) if selected else r
                                                                  for r in page]
        return Reply(200, json.dumps(out).encode(), {"Content-Type": JSON_TYPE,
                                                         "Preference-Applied": f"odata.maxpagesize={page_size}"})

    def _run(self, caller: Caller, tenant: DirTenant, headers: Any, name: str,
             parameters: dict[str, Any]) -> _Collector:
        args: list[tuple[str | None, Any]] = []
        for key, value in parameters.items():
            try:
                args.append((key, rj.decode_parameter(key, value)))
            except rj.NotAHashtable as exc:
                # What the service's binder says of an untagged object (§1.5: "deserialize[s] server-side
                # as Newtonsoft JObjects, which the parameter binder cannot convert to PswsHashtable").
                raise _json_error(400, "BadRequest", rj.BINDING_CLASS,
                                  f"Cannot process argument transformation on parameter '{exc.parameter}'. "
                                  "Cannot convert the \"Newtonsoft.Json.Linq.JObject\" value of type "
                                  "\"Newtonsoft.Json.Linq.JObject\" to type "
                                  "\"Microsoft.Exchange.Management.PowerShell.PswsHashtable\".") from None
        given = {k.lower() for k in parameters}
        for common in ("WarningAction", "ErrorAction"):
            value = headers.get(common)
            if value and common.lower() not in given:
                args.append((common, value))
        ctx = _Collector(caller.name, tenant.domain)
        try:
            self.engine.run(tenant.domain, [(name, args)], ctx)
        except CmdletError as err:
            status, code = rj.cmdlet_error_status(err)
            raise _json_error(status, code, err.exception_type, err.message, warnings=ctx.warnings) from None
        missing = ctx.missing
        if missing is not None and not ctx.records:
            # Exchange's not-found is a non-terminating error in a runspace, but the REST door answers a run
            # whose only outcome is a missing object with 404 NotFound (§1.8).
            raise _json_error(404, "NotFound", missing.exception_type, missing.message, warnings=ctx.warnings)
        return ctx

    def _slot(self, tenant_id: str) -> _Slot:
        return _Slot(self, tenant_id)


class _Slot:
    """One of a tenant's concurrent-request slots for the duration of a request (§1.9's cap)."""

    def __init__(self, door: RestDoor, tenant_id: str) -> None:
        self.door, self.tenant_id = door, tenant_id

    def __enter__(self) -> None:
        faults = self.door.faults
        if not self.door.stats.enter(self.tenant_id, faults.rest_limit):
            # ExoHelper matches the body's text as it starts (§1.9), so it is the whole plain-text body.
            raise RestError(429, CONCURRENCY_MESSAGE.encode(), {"Content-Type": "text/plain; charset=utf-8",
                                                                "Retry-After": str(faults.rest_retry_after)})
        gate = faults.rest_gate()
        if gate is not None:
            gate.wait(HOLD_LIMIT_S)

    def __exit__(self, *exc: object) -> None:
        self.door.stats.leave(self.tenant_id)


# -- helpers ---------------------------------------------------------------------------------------------

def _unauthorized(message: str, challenge: str) -> RestError:
    return _json_error(401, "Unauthorized", "Microsoft.Exchange.Security.Authorization.InvalidTokenException",
                       message, headers={"WWW-Authenticate": challenge})


def _cmdlet_of(body: bytes) -> str:
    """The cmdlet name for the stats, from whatever the body holds (a broken body counts as "-")."""
    try:
        return str(json.loads(body)["CmdletInput"]["CmdletName"])
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        return "-"


def _envelope(body: bytes) -> tuple[str, dict[str, Any]]:
    try:
        doc = json.loads(body or b"null")
        cmdlet_input = doc["CmdletInput"]
        name = cmdlet_input["CmdletName"]
        parameters = cmdlet_input.get("Parameters") or {}
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError):
        raise _json_error(400, "BadRequest", "System.ArgumentException",
                          'The request body must be {"CmdletInput":{"CmdletName":"<Verb-Noun>","Parameters":{…}}}.'
                          ) from None
    if not isinstance(name, str) or not name.strip() or not isinstance(parameters, dict):
        raise _json_error(400, "BadRequest", "System.ArgumentException",
                          "CmdletInput.CmdletName must be a cmdlet name and Parameters an object.")
    return name.strip(), parameters


def _allowed(access: ExchangeAccess, cmdlet: str) -> bool:
    """A read-only role (Global Reader) may run Get-* only (directory.py's rule)."""
    return not access.read_only or cmdlet.lower().startswith("get-")


def _has_wildcard(name: str) -> bool:
    return any(c in name for c in "*?[")


def _page_size(prefer: str) -> int:
    m = _MAX_PAGE.search(prefer)
    return min(max(int(m.group(1)), 1), DEFAULT_PAGE_SIZE) if m else DEFAULT_PAGE_SIZE


def _next_link(link_base: str, selected: list[str] | None, token: str) -> str:
    query = f"$skiptoken={token}"
    if selected:
        query = f"$select={quote(','.join(selected), safe=',')}&{query}"
    return f"{link_base}?{query}"


def _check_anchor(anchor: str | None, tenant: DirTenant, lookup: Any) -> None:
    """X-AnchorMailbox is optional (§1.3, §8) but, when sent, must route into the URL's tenant: its part
    after the last ``@`` (``UPN:``, ``SMTP:``, ``APP:SystemMailbox{…}@<tenant id>``, ``MBX:<guid>@<org>``,
    §1.4) must name that tenant by id or domain. Outlook REST's answer to a wrong anchor is 400
    ErrorIncorrectRoutingHint (§1.4), so that is the code here."""
    if not anchor:
        return
    _, at, where = anchor.strip().rpartition("@")
    target = lookup(where) if at and where else None
    if target is None or target.tenant_id != tenant.tenant_id:
        raise _json_error(400, "ErrorIncorrectRoutingHint", "Microsoft.Exchange.Data.Directory.RoutingHintException",
                          f"The X-AnchorMailbox header '{anchor}' does not route to the tenant "
                          f"'{tenant.domain}' of the request URL.")


def _request_id(client_request_id: str | None) -> str:
    """The service's request-id: the client's client-request-id when it is a GUID, else a new one."""
    if client_request_id:
        try:
            return str(uuid.UUID(client_request_id.strip()))
        except ValueError:
            pass
    return str(uuid.uuid4())


def _backend(tenant_ref: str) -> str:
    """A stable backend name per URL tenant, in the shape X-CalculatedBETarget has (§1.8)."""
    digest = int(hashlib.sha256(tenant_ref.lower().encode()).hexdigest()[:8], 16)
    return f"SIMPR01MB{1000 + digest % 9000}.simprd01.prod.outlook.com"
