"""InvokeCommand's error answers → the ``ErrorEvent`` the PSRP path would show, or a ``RemotingError``.

The service's error body (research/exo-modern.md §1.8) carries the useful text in
``error.details[0].message`` as ``<ErrorId>|<ExceptionClass>|<Message>`` (ExoHelper splits it so), with
``error.innererror.internalexception.message`` and then ``error.message`` as fallbacks. A command error
becomes a terminating ``ErrorEvent``: the service's message, the category PowerShell gives that exception
class (the same the simulator's PSRP door sends for the same errors: a missing object is NotSpecified, a
binding error InvalidArgument), ``error_id`` in PowerShell's FullyQualifiedErrorId form ``<ErrorId>,<cmdlet>``.

Two 403s differ (§1.8): with a JSON body the caller's roles in the tenant do not allow the cmdlet (the
message says which role to ask for); with an empty body the cmdlet does not exist (PowerShell's "is not
recognized" wording). A 403 refusing the whole organization (the admin relationship ended) is not a
command error but a ``RemotingError`` (ACCESS_DENIED), as is anything that is not the service's error JSON.

Every text taken from a reply passes ``clean``: a JWT-looking string or a token exohop sent is removed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from tui.remoting.auth.errors import JWT
from tui.remoting.errors import ACCESS_DENIED, SERVER_FAULT, RemotingError
from tui.remoting.events import ErrorEvent

COMMAND_NOT_FOUND_CLASS = "System.Management.Automation.CommandNotFoundException"
ACCESS_DENIED_CLASS = "Microsoft.Exchange.Configuration.Tasks.CmdletAccessDeniedException"
EXCHANGE_ADMIN_ROLE = "Exchange Administrator"

# PowerShell's category per exception class, as the PSRP door reports the same errors; any other class
# is NotSpecified there too (Exchange's own exceptions, ManagementObjectNotFoundException included).
CATEGORY_BY_CLASS: dict[str, str] = {
    "ParameterBindingException": "InvalidArgument",
    "ParameterBindingValidationException": "InvalidArgument",
    "ArgumentException": "InvalidArgument",
    "ArgumentNullException": "InvalidArgument",
    "ArgumentOutOfRangeException": "InvalidArgument",
    "DataValidationException": "InvalidArgument",
    "ValidationMetadataException": "InvalidData",
    "CommandNotFoundException": "ObjectNotFound",
    "ParseException": "ParserError",
    "CmdletAccessDeniedException": "PermissionDenied",
}

_ERROR_ID = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")
_MAX_TEXT = 2000
# The PSRP path's ErrorRecord names its target object; the REST body does not, so it is read back from the
# service's two commonest messages (a missing object, an unknown parameter).
_TARGETS = (re.compile(r"because object '([^']+)' couldn't be found"),
            re.compile(r"matches parameter name '([^']+)'"))


class RestCommandError(Exception):
    """The command failed on the server (the session is fine); ``event`` is what to show."""

    def __init__(self, event: ErrorEvent, status: int = 0) -> None:
        super().__init__(event.message)
        self.event = event
        self.status = status

    def __str__(self) -> str:
        return self.event.message


@dataclass(frozen=True, slots=True)
class ServiceError:
    """One error as the service states it."""

    code: str              # error.code: NotFound, BadRequest, Forbidden …
    error_id: str          # the <ErrorId> part ("Ex6F9304"), "" when the text has no such part
    exception_type: str    # the exception class, full when the body gives it, else the x-ExceptionType header
    message: str


def clean(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` without any token exohop sent nor anything shaped like a JWT, at most 2,000 characters."""
    for secret in secrets:
        if secret and secret in text:
            text = text.replace(secret, "[redacted]")
    return JWT.sub("[redacted]", text)[:_MAX_TEXT]


def short_class(exception_type: str) -> str:
    return exception_type.rsplit(".", 1)[-1]


def category_for(exception_type: str) -> str:
    return CATEGORY_BY_CLASS.get(short_class(exception_type), "NotSpecified")


def split_details(text: str) -> tuple[str, str, str]:
    """``"Ex6F9304|Microsoft…ManagementObjectNotFoundException|The operation …"`` → its three parts;
    text without that shape is all message."""
    parts = text.split("|", 2)
    if len(parts) == 3 and _ERROR_ID.match(parts[0].strip()) and "." in parts[1] and " " not in parts[1].strip():
        return parts[0].strip(), parts[1].strip(), parts[2].strip()
    return "", "", text.strip()


def parse_error_body(content: bytes, headers: Mapping[str, str] | None = None,
                     secrets: Iterable[str] = ()) -> ServiceError | None:
    """The service's error JSON (§1.8), or None when the body is not one (empty, text, HTML)."""
    if not content or not content.strip():
        return None
    try:
        doc = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        return None
    error = doc.get("error") if isinstance(doc, dict) else None
    if not isinstance(error, dict):
        return None
    secrets = tuple(secrets)
    details = error.get("details")
    detail_text = ""
    if isinstance(details, list) and details and isinstance(details[0], dict):
        detail_text = str(details[0].get("message") or "")
    error_id, exception_type, message = split_details(detail_text) if detail_text else ("", "", "")
    if not message:
        inner = error.get("innererror")
        internal = inner.get("internalexception") if isinstance(inner, dict) else None
        if isinstance(internal, dict) and internal.get("message"):
            message = str(internal["message"]).strip()
        elif error.get("message"):
            message = str(error["message"]).strip()
    if not exception_type and headers is not None:
        exception_type = str(headers.get("x-ExceptionType") or "").strip()
    return ServiceError(str(error.get("code") or ""), error_id, exception_type,
                        clean(message, secrets) or "the command failed on the server")


def event_for(err: ServiceError, cmdlet: str, *, terminating: bool = True) -> ErrorEvent:
    """An error the service reported for ``cmdlet`` as the PSRP path's ErrorEvent."""
    ident = err.error_id or short_class(err.exception_type) or err.code or "RestError"
    return ErrorEvent(message=err.message, category=category_for(err.exception_type),
                      error_id=f"{ident},{cmdlet}", target=target_of(err.message), terminating=terminating,
                      exception_type=err.exception_type)


def target_of(message: str) -> str | None:
    for pattern in _TARGETS:
        found = pattern.search(message)
        if found:
            return found.group(1)
    return None


def non_terminating(items: Any, cmdlet: str, secrets: Iterable[str] = ()) -> list[ErrorEvent]:
    """``@adminapi.errors`` (§1.6: written with Write-Error by the module) → non-terminating events; each
    is a ``<ErrorId>|<Class>|<Message>`` string or an object with a ``message``."""
    if not isinstance(items, list):
        return []
    secrets = tuple(secrets)
    out: list[ErrorEvent] = []
    for item in items:
        text = str(item.get("message") or item.get("Message") or "") if isinstance(item, dict) else str(item or "")
        if not text.strip():
            continue
        error_id, exception_type, message = split_details(text)
        out.append(event_for(ServiceError("", error_id, exception_type, clean(message, secrets)), cmdlet,
                             terminating=False))
    return out


def unknown_cmdlet(cmdlet: str, tenant: str) -> RestCommandError:
    """A 403 with an empty body: Exchange has no such cmdlet (§1.8), in PowerShell's words."""
    message = (f"The term '{cmdlet}' is not recognized as the name of a cmdlet, function, script file, or "
               f"operable program in {tenant}. Check the spelling of the name; Tab completes the cmdlets "
               "your roles there allow.")
    return RestCommandError(ErrorEvent(message, category="ObjectNotFound", error_id="CommandNotFoundException",
                                       target=cmdlet, terminating=True, exception_type=COMMAND_NOT_FOUND_CLASS),
                            403)


def role_refusal(err: ServiceError, cmdlet: str, tenant: str, account: str | None) -> RestCommandError:
    """A 403 with the service's JSON: the caller's roles in ``tenant`` do not allow ``cmdlet``."""
    who = account or "this account"
    message = (f"{who} may not run {cmdlet} in {tenant}: the roles granted there do not allow it (Exchange "
               f"Online said: \"{err.message}\"). Ask your partner administrator for a GDAP relationship with "
               f"{tenant} that grants the {EXCHANGE_ADMIN_ROLE} role (a reader role such as Global Reader allows "
               "Get-* cmdlets only), or pick an account that has it.")
    ident = err.error_id or "CmdletAccessDenied"
    return RestCommandError(ErrorEvent(message, category="PermissionDenied", error_id=f"{ident},{cmdlet}",
                                       target=cmdlet, terminating=True,
                                       exception_type=err.exception_type or ACCESS_DENIED_CLASS), 403)


def organization_refusal(err: ServiceError, tenant: str, account: str | None) -> RemotingError:
    """A 403 that refuses the tenant itself (no active admin relationship any more)."""
    who = account or "this account"
    return RemotingError(f"Access is denied to {tenant} for {who} (Exchange Online said: \"{err.message}\"): the "
                         "account has no active delegated admin relationship with that tenant any more. Check the "
                         "customer's admin relationship (GDAP) in Partner Center, or pick the account that manages "
                         "this customer.", ACCESS_DENIED, account=account, tenant=tenant)


def is_organization_refusal(err: ServiceError) -> bool:
    return "access the organization" in err.message.lower()


def unreadable(status: int, host: str, cmdlet: str, tenant: str, account: str | None) -> RemotingError:
    """A reply that is neither success nor the service's error JSON (a proxy's page, garbage)."""
    who = f"{tenant} (as {account})" if account else tenant
    what = f"HTTP {status}" if status else "an answer exohop could not read"
    return RemotingError(f"{host} answered {what} while running {cmdlet} for {who}. Run it again; if it "
                         "persists the service is having trouble.", SERVER_FAULT, account=account, tenant=tenant)
