"""The console's side of a batch (``tui.remoting.batch``), without widgets: what a line would do in the
chosen tenants, what each account needs before it starts, the catalog to complete from, and the Batch
wired to the controller's pool.

- ``plan_batch``: the tenants the line would change (the confirmation names how many) and those whose
  account is read-only, which are refused before anything connects (the session engine refuses too, so
  no path can forget it). A state change in more than one tenant is always confirmed (the CLI's
  ``--yes``), whatever ``confirm`` says; in one tenant the usual ``confirm`` policy applies.
- ``credential_needs`` (blocking: the keyring): the accounts that need a password typed or a sign-in
  first. The console asks once per account before the batch starts, never once per tenant.
- ``make_batch``: the Batch over ``Controller.open_session`` (the quit waits for its opens, read-only
  applied before the first command), with the batch's refusals and the accounts left out.
- ``completion_catalog`` (blocking: disk): the union of the tenants' catalogs; a tenant without an open
  session contributes its endpoint's stand-in (another tenant's cached catalog, else the shipped one).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tui.catalog import Catalog, CmdletInfo
from tui.console.controller import LEAVE_READ_ONLY, Controller
from tui.console.workers import logged, message_of
from tui.shell.records import Record
from tui.shell.safety import needs_confirmation, read_only_refusal, state_changes

log = logging.getLogger(__name__)

NEEDS_PASSWORD = "needs_password"   # a Basic account the keyring has no password for
SIGN_IN = "sign_in"        # an OAuth account with no usable sign-in
UNAVAILABLE = "unavailable"   # the account cannot sign in here at all (the reason says why)


@dataclass
class BatchPlan:
    """A line and its targets, with what it would do in each before anything is sent."""

    line: str
    targets: list[tuple[Any, Any]]                       # (tenant, account), in the order chosen
    changing: list[Any] = field(default_factory=list)    # tenants the line changes (not read-only)
    refusals: dict[str, str] = field(default_factory=dict)   # domain (lower) -> why it is not run
    confirm: bool = False                                # ask the engineer first
    batch_id: str = ""

    @property
    def accounts(self) -> list[Any]:
        """Each account of the targets once, in the order first met."""
        seen: dict[str, Any] = {}
        for _, account in self.targets:
            seen.setdefault(account.upn.lower(), account)
        return list(seen.values())

    @property
    def tenants(self) -> list[Any]:
        return [t for t, _ in self.targets]


def catalog_of(ctl: Controller, tenant: Any) -> Any:
    """What the safety rule looks ``tenant``'s cmdlets up in: its session's catalog, else the shipped one."""
    from tui.remoting.shipped_catalog import shipped_cmdlet

    session = ctl.session(tenant.domain)
    return session.catalog if session is not None and len(session.catalog) else shipped_cmdlet


def plan_batch(ctl: Controller, tenants: Sequence[Any], line: str) -> BatchPlan:
    """What ``line`` would do in ``tenants``; raises LookupError when no partner account is configured."""
    from tui.remoting.batch import new_batch_id

    plan = BatchPlan(line, [(t, ctl.account_for(t)) for t in tenants], batch_id=new_batch_id())
    policy = ctl.confirm_policy
    asks = False
    for tenant, account in plan.targets:
        catalog = catalog_of(ctl, tenant)
        if ctl.read_only_for(account):
            refusal = read_only_refusal(line, catalog, leave=LEAVE_READ_ONLY)
            if refusal is not None:
                plan.refusals[tenant.domain.lower()] = refusal
            continue
        if state_changes(line, catalog):
            plan.changing.append(tenant)
            asks = asks or needs_confirmation(line, policy, catalog)
    plan.confirm = len(plan.changing) > 1 or asks
    return plan


@dataclass(frozen=True)
class CredentialNeed:
    account: Any
    kind: str          # NEEDS_PASSWORD | SIGN_IN | UNAVAILABLE
    reason: str = ""   # why (the keyring failed, the account cannot sign in here)


def credential_needs(ctl: Controller, accounts: Sequence[Any]) -> list[CredentialNeed]:
    """The accounts that cannot sign in as they are (blocking: the keyring, the token cache)."""
    needs: list[CredentialNeed] = []
    for account in accounts:
        if ctl.uses_password(account):
            reason = ""
            try:
                found = ctl.password(account.upn)
            except Exception as exc:   # KeyringUnavailable: ask instead, saying why
                reason = message_of(logged(f"reading the password of {account.upn}", exc))
                found = None
            if not found:
                needs.append(CredentialNeed(account, NEEDS_PASSWORD, reason))
            continue
        try:
            ctl.token_source(account)
            if ctl.needs_sign_in(account):
                needs.append(CredentialNeed(account, SIGN_IN))
        except Exception as exc:   # no sign-in in this configuration, the keyring, a certificate
            needs.append(CredentialNeed(account, UNAVAILABLE, message_of(logged(f"preparing the sign-in of "
                                                                               f"{account.upn}", exc))))
    return needs


def make_batch(ctl: Controller, plan: BatchPlan, *, on_event: Callable[[Any, Any], None],
               on_change: Callable[[Any], None], on_evict: Callable[[str], None],
               left_out: Mapping[str, str]) -> Any:
    """The Batch of ``plan`` (not started). ``left_out``: upn (lower) -> why that account's tenants are not
    run (its password or sign-in was not given). ``on_evict(domain)``: the pool closed an idle session of
    the console's to make room."""
    from tui.remoting import errors as E
    from tui.remoting.batch import Batch
    from tui.remoting.errors import RemotingError
    from tui.remoting.events import WarningEvent

    def before_connect(run: Any) -> str | None:
        return plan.refusals.get(run.tenant.domain.lower()) or left_out.get(run.account.upn.lower())

    def credential_for(account: Any) -> Any:
        # credential_needs read the keyring before the start: the password is in memory by now
        return ctl.password(account.upn) if ctl.uses_password(account) else ctl.token_source(account)

    def acquire(run: Any, credential: Any, sink: Callable[[Any], None]) -> Any:
        def evicted(session: Any) -> None:
            on_evict(getattr(getattr(session, "tenant", None), "domain", "") or str(session))

        try:
            session = ctl.open_session(run.tenant, credential, on_evict=evicted, on_event=sink)
        except LookupError as exc:   # quitting, or the account vanished from the config
            raise RemotingError(message_of(exc), E.CLOSED, account=run.account.upn,
                                tenant=run.tenant.domain) from None
        except RemotingError as exc:
            if exc.kind == E.AUTH:
                ctl.forget_password(run.account.upn)   # refused: the next attempt asks again
            raise
        if not ctl.uses_password(run.account):
            ctl.mark_signed_in(run.account.upn)
            if ctl.demo is None:
                from tui.tenant_ids import remember_tenant_id

                remember_tenant_id(run.tenant, session)
        for notice in session.take_notices():
            sink(WarningEvent(notice))
        return session

    return Batch(ctl.pool, plan.line, plan.targets, credential_for, on_event=on_event, on_change=on_change,
                 acquire=acquire, before_connect=before_connect, transcript=getattr(ctl.pool, "transcript", None),
                 batch_id=plan.batch_id)


def record_declined(ctl: Controller, plan: BatchPlan) -> None:
    """The audit keeps a declined batch too: one ``declined`` line per tenant it would have changed
    (blocking: fsync; raises OSError when a transcript cannot be written)."""
    transcript = getattr(ctl.pool, "transcript", None)
    if transcript is None:
        return
    for tenant in plan.changing:
        transcript.record_outcome(account=ctl.account_for(tenant).upn, tenant=tenant.domain, line=plan.line,
                                  outcome="declined", batch=plan.batch_id)


# -- completion ----------------------------------------------------------------------------------------

def union_catalog(catalogs: Sequence[Catalog]) -> Catalog:
    """Every cmdlet of ``catalogs``; one several know is taken where it is described best (most parameters)."""
    best: dict[str, CmdletInfo] = {}
    for catalog in catalogs:
        for cmdlet in catalog:
            key = cmdlet.name.lower()
            known = best.get(key)
            if known is None or len(cmdlet.parameters) > len(known.parameters):
                best[key] = cmdlet
    return Catalog(best.values())


def completion_catalog(ctl: Controller, tenants: Sequence[Any],
                       stand_ins: MutableMapping[str, Any]) -> tuple[Catalog, str]:
    """The catalog to complete a batch's line from, and a note when part of it stands in for tenants not
    connected ('' when every tenant's own catalog is in). ``stand_ins`` (endpoint -> StandIn) keeps what
    was read from disk for the next call."""
    from tui.remoting.stand_in_catalog import stand_in_catalog

    catalogs: list[Catalog] = []
    waiting: dict[str, list[tuple[str, str]]] = {}   # endpoint -> (upn, domain) of the tenants not connected
    for tenant in tenants:
        session = ctl.session(tenant.domain)
        if session is not None and len(session.catalog):
            catalogs.append(session.catalog)
            continue
        try:
            account = ctl.account_for(tenant)
        except LookupError:
            continue
        waiting.setdefault(account.endpoint, []).append((account.upn, tenant.domain))
    sources: list[str] = []
    for endpoint, others in waiting.items():
        found = stand_ins.get(endpoint)
        if found is None:
            found = stand_ins[endpoint] = stand_in_catalog(ctl.cache_dir, endpoint, others)
        catalogs.append(found.catalog)
        sources.append(found.source)
    catalog = union_catalog(catalogs)
    if not sources:
        return catalog, ""
    count = sum(len(v) for v in waiting.values())
    return catalog, (f"{count} of the {len(tenants)} tenants not connected: their commands from "
                     f"{', '.join(dict.fromkeys(sources))}")


# -- records in a tenant's own console -------------------------------------------------------------------

def without_tenant(record: Any) -> Any:
    """A batch's record as the tenant's own console shows it: the ``Tenant`` property the batch put first
    taken off again (a scalar goes back to being one)."""
    if not isinstance(record, Record) or "Tenant" not in record.properties:
        return record
    rest = {k: v for k, v in record.properties.items() if k != "Tenant"}
    if list(rest) == ["Value"] and record.text is None and isinstance(rest["Value"], str) \
            and not any(t.startswith("Selected.") for t in record.type_names):
        return Record({}, record.type_names, rest["Value"])   # with_tenant made Tenant + Value of a string
    return Record(rest, record.type_names, record.text)
