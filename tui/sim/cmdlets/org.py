"""Organization-wide objects: Get-AcceptedDomain, Get-OrganizationConfig, Get-TransportRule."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from tui.sim.cmdlets.base import Invocation, cmdlet, has_wildcard, wildcard
from tui.sim.data import TenantData, stable_guid, stable_rng
from tui.sim.model import SimObject

_CONFIG_TAIL = ("Microsoft.Exchange.Data.Directory.ADConfigurationObject", "Microsoft.Exchange.Data.Directory.ADObject",
                "Microsoft.Exchange.Data.Directory.ADRawEntry", "Microsoft.Exchange.Data.ConfigurableObject",
                "System.Object")
ACCEPTED_DOMAIN_TYPES = ("Microsoft.Exchange.Data.Directory.SystemConfiguration.AcceptedDomain", *_CONFIG_TAIL)
ORG_CONFIG_TYPES = ("Microsoft.Exchange.Data.Directory.Management.OrganizationConfig",
                    "Microsoft.Exchange.Data.Directory.Management.ADPresentationObject",
                    "Microsoft.Exchange.Data.Directory.ADObject", "Microsoft.Exchange.Data.Directory.ADRawEntry",
                    "Microsoft.Exchange.Data.ConfigurableObject", "System.Object")
TRANSPORT_RULE_TYPES = ("Microsoft.Exchange.MessagingPolicies.Rules.Tasks.TransportRule",
                        "Microsoft.Exchange.MessagingPolicies.Rules.Tasks.RulePresentationObjectBase",
                        "Microsoft.Exchange.Data.Directory.Management.ADPresentationObject",
                        "Microsoft.Exchange.Data.Directory.ADObject", "Microsoft.Exchange.Data.Directory.ADRawEntry",
                        "Microsoft.Exchange.Data.ConfigurableObject", "System.Object")


def _by_identity(inv: Invocation, rows: list[dict[str, Any]], name_key: str) -> list[dict[str, Any]]:
    """The rows -Identity names (a wildcard on ``name_key``, or the Guid); all rows without -Identity."""
    if not inv.has("Identity"):
        return rows
    ident = inv.get("Identity")
    rx = wildcard(ident)
    found = [r for r in rows if rx.fullmatch(r[name_key]) or str(r["Guid"]) == ident.lower()]
    if not found and not has_wildcard(ident):
        raise inv.not_found(ident)
    return found


def _accepted_domains(data: TenantData) -> list[dict[str, Any]]:
    t = data.tenant
    rows = [(t.vanity_domain, True, False), (t.domain, False, True),
            (t.domain.replace(".onmicrosoft.com", ".mail.onmicrosoft.com"), False, False)]
    out = []
    for domain, default, initial in rows:
        out.append({"DomainName": domain, "DomainType": "Authoritative", "Default": default,
                    "InitialDomain": initial, "AddressBookEnabled": True, "MatchSubDomains": False,
                    "SendingFromDomainDisabled": False, "Name": domain, "Identity": domain,
                    "Guid": stable_guid(t, "accepted", domain), "WhenCreated": data.start - timedelta(days=2500),
                    "DistinguishedName": f"CN={domain},CN=Accepted Domains,CN=Transport Settings,CN=Configuration,"
                                         f"CN={t.domain},CN=ConfigurationUnits,DC={t.region}A003,DC=PROD,DC=OUTLOOK,DC=COM"})
    return out


@cmdlet("Get-AcceptedDomain")
def get_accepted_domain(inv: Invocation) -> Iterator[SimObject]:
    rows: list[dict[str, Any]] = inv.data.singleton("accepted_domains", _accepted_domains)
    rows = _by_identity(inv, rows, "DomainName")
    yield from inv.limited(SimObject(ACCEPTED_DOMAIN_TYPES, dict(r), r["Name"]) for r in rows)


def _org_config(data: TenantData) -> dict[str, Any]:
    t = data.tenant
    return {"Name": t.domain, "DisplayName": t.name, "Identity": t.domain, "Guid": stable_guid(t, "org"),
            "ExternalDirectoryOrganizationId": t.tenant_id, "IsDehydrated": False, "AuditDisabled": False,
            "OAuth2ClientProfileEnabled": True, "MailTipsAllTipsEnabled": True,
            "MailTipsExternalRecipientsTipsEnabled": False, "MailTipsLargeAudienceThreshold": 25,
            "FocusedInboxOn": True, "SmtpClientAuthenticationDisabled": True, "CustomerLockboxEnabled": False,
            "AutoExpandingArchiveEnabled": False, "PublicFoldersEnabled": "Local", "ReadTrackingEnabled": False,
            "DefaultAuthenticationPolicy": None, "DirectReportsGroupAutoCreationEnabled": False,
            "ElcProcessingDisabled": False, "IsMixedMode": False, "ActivityBasedAuthenticationTimeoutEnabled": True,
            "ActivityBasedAuthenticationTimeoutInterval": "06:00:00", "BookingsEnabled": True,
            "ConnectorsEnabled": True, "UnifiedAuditLogIngestionEnabled": True, "AdminDisplayVersion":
            "0.20 (15.20.8722.000)", "WhenCreated": data.start - timedelta(days=2600),
            "DistinguishedName": f"CN=Configuration,CN={t.domain},CN=ConfigurationUnits,DC={t.region}A003,"
                                 "DC=PROD,DC=OUTLOOK,DC=COM"}


@cmdlet("Get-OrganizationConfig")
def get_organization_config(inv: Invocation) -> Iterator[SimObject]:
    props: dict[str, Any] = inv.data.singleton("organization_config", _org_config)
    yield SimObject(ORG_CONFIG_TYPES, dict(props), props["Name"])


_RULES = (
    ("External email warning", "Enforce", {"FromScope": "NotInOrganization",
                                           "PrependSubject": "[EXTERNAL] "},
     "If the message:\r\n\tIs received from 'Outside the organization'\r\nTake the following actions:\r\n"
     "\tPrepend the subject with '[EXTERNAL] '\r\n"),
    ("Block executable attachments", "Enforce", {"AttachmentExtensionMatchesWords": ["exe", "js", "vbs", "scr"],
                                                 "RejectMessageReasonText": "Executable attachments are not allowed."},
     "If the message:\r\n\tHas an attachment with extension 'exe' or 'js' or 'vbs' or 'scr'\r\nTake the following "
     "actions:\r\n\tReject the message and include the explanation 'Executable attachments are not allowed.'\r\n"),
    ("Legal disclaimer", "Enforce", {"SentToScope": "NotInOrganization", "ApplyHtmlDisclaimerLocation": "Append",
                                     "ApplyHtmlDisclaimerText": "<p>This email is confidential.</p>"},
     "If the message:\r\n\tIs sent to 'Outside the organization'\r\nTake the following actions:\r\n\tAppend the "
     "disclaimer '<p>This email is confidential.</p>'\r\n"),
    ("Bypass spam filtering for scanner", "Audit", {"SenderIpRanges": ["203.0.113.25"], "SetSCL": -1},
     "If the message:\r\n\tSender ip addresses belong to one of these ranges: '203.0.113.25'\r\nTake the following "
     "actions:\r\n\tSet the spam confidence level (SCL) to '-1'\r\n"),
    ("Copy CEO mail to compliance", "Enforce", {"SentTo": ["CEO"], "BlindCopyTo": ["compliance"]},
     "If the message:\r\n\tIs sent to 'CEO'\r\nTake the following actions:\r\n\tBlind carbon copy (Bcc) the "
     "message to 'compliance'\r\n"),
)


def _transport_rules(data: TenantData) -> list[dict[str, Any]]:
    r = stable_rng(data.tenant.domain, "transport")
    count = 2 + r.randrange(len(_RULES) - 1)
    out = []
    for prio, (name, mode, extra, description) in enumerate(_RULES[:count]):
        guid = stable_guid(data.tenant, "transportrule", name)
        changed = data.start - timedelta(days=r.randint(3, 700))
        out.append({"Name": name, "State": "Enabled" if r.random() > 0.15 else "Disabled", "Mode": mode,
                    "Priority": prio, "Description": description, "Comments": "",
                    "RuleVersion": "15.0.5.2", "StopRuleProcessing": False, "SenderAddressLocation": "Header",
                    **extra, "Guid": guid, "ImmutableId": guid, "Identity": name, "WhenChanged": changed,
                    "DistinguishedName": f"CN={name},CN=TransportVersioned,CN=Rules,CN=Transport Settings,"
                                         f"CN=Configuration,CN={data.tenant.domain},CN=ConfigurationUnits,"
                                         f"DC={data.tenant.region}A003,DC=PROD,DC=OUTLOOK,DC=COM"})
    return out


@cmdlet("Get-TransportRule")
def get_transport_rule(inv: Invocation) -> Iterator[SimObject]:
    rows: list[dict[str, Any]] = inv.data.singleton("transport_rules", _transport_rules)
    rows = _by_identity(inv, rows, "Name")
    if inv.has("State"):
        rows = [r for r in rows if r["State"] == inv.get("State")]
    objects = (SimObject(TRANSPORT_RULE_TYPES, dict(r), r["Name"]) for r in rows)
    yield from inv.limited(inv.filtered(objects))
