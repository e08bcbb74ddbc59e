"""The simulator's built-in cmdlet catalog: the modeled cmdlets, written out, plus a synthetic filler.

The modeled cmdlets (those with a behaviour in ``tui.sim.cmdlets``) carry their real Exchange
Online parameters: sets, positions, mandatory flags, pipeline input, aliases and valid values. The
synthetic generator then adds believable Exchange cmdlets (real nouns × verbs, with parameter
names drawn from Exchange's vocabulary) until the catalog is the size the service exposed: about
730 cmdlets and 6,900 parameters. It is deterministic (seeded by cmdlet names), so the catalog is
identical on every start.

Parameter spec mini-language (one string per parameter, space-separated tokens)::

    "Identity:MailboxIdParameter @Identity,AnrSet !Identity #1 | * ~id {A|B}"
     name:type (no type = String; type "switch" = SwitchParameter)
     @sets   !mandatory-in (bare "!" = every set it is in)   #position   | pipeline
     * wildcards   ~aliases   {valid|values}
"""

from __future__ import annotations

import hashlib
import random
from functools import lru_cache

from tui.catalog import ALL_SETS, Catalog, CmdletInfo, ParameterInfo

TARGET_CMDLETS = 730
TARGET_PARAMETERS = 6900
MUTATING_VERBS = frozenset({"Set", "New", "Remove", "Add", "Enable", "Disable", "Clear", "Start", "Stop",
                            "Suspend", "Resume", "Release", "Delete", "Update", "Import", "Export",
                            "Undo", "Complete", "Rotate", "Upgrade", "Restore", "Send", "Invoke"})


def p(spec: str) -> ParameterInfo:
    """One parameter from its spec string (see the module docstring)."""
    values: tuple[str, ...] = ()
    if "{" in spec:
        head, _, rest = spec.partition("{")
        inner, _, tail = rest.partition("}")
        values = tuple(v.strip() for v in inner.split("|") if v.strip())
        spec = head + tail
    tokens = spec.split()
    name, _, ptype = tokens[0].partition(":")
    ptype = ptype or "String"
    if ptype == "switch":
        ptype = "SwitchParameter"
    sets: tuple[str, ...] = (ALL_SETS,)
    mandatory: tuple[str, ...] = ()
    bare_mandatory = False
    position: int | None = None
    pipeline = wildcards = False
    aliases: tuple[str, ...] = ()
    for tok in tokens[1:]:
        if tok.startswith("@"):
            sets = tuple(tok[1:].split(","))
        elif tok == "!":
            bare_mandatory = True
        elif tok.startswith("!"):
            mandatory = tuple(tok[1:].split(","))
        elif tok.startswith("#"):
            position = int(tok[1:])
        elif tok == "|":
            pipeline = True
        elif tok == "*":
            wildcards = True
        elif tok.startswith("~"):
            aliases = tuple(tok[1:].split(","))
        else:
            raise ValueError(f"bad token {tok!r} in parameter spec {spec!r}")
    if bare_mandatory:
        mandatory = sets
    return ParameterInfo(name=name, type=ptype, switch=ptype == "SwitchParameter", sets=sets,
                         aliases=aliases, mandatory_in=mandatory, position=position, pipeline=pipeline,
                         wildcards=wildcards, valid_values=values)


CONFIRM = "Confirm:switch ~cf"
WHATIF = "WhatIf:switch ~wi"


def c(name: str, synopsis: str, specs: list[str], sets: tuple[str, ...] = ()) -> CmdletInfo:
    """A cmdlet; Set/Add/Remove/… cmdlets get -Confirm and -WhatIf (they support ShouldProcess)."""
    params = [p(s) for s in specs]
    have = {x.name.lower() for x in params}
    if name.split("-", 1)[0] in MUTATING_VERBS:
        params += [p(s) for s in (CONFIRM, WHATIF) if s.split(":", 1)[0].lower() not in have]
    return CmdletInfo(name=name, synopsis=synopsis, parameter_sets=sets, parameters=tuple(params))


_RTD = ("{DiscoveryMailbox|EquipmentMailbox|GroupMailbox|LegacyMailbox|LinkedMailbox|LinkedRoomMailbox|"
        "RoomMailbox|SchedulingMailbox|SharedMailbox|TeamMailbox|UserMailbox}")
_RECIPIENT_RTD = ("{DiscoveryMailbox|DynamicDistributionGroup|EquipmentMailbox|GroupMailbox|GuestMailUser|"
                  "LegacyMailbox|LinkedMailbox|LinkedRoomMailbox|MailContact|MailForestContact|"
                  "MailNonUniversalGroup|MailUniversalDistributionGroup|MailUniversalSecurityGroup|MailUser|"
                  "PublicFolder|RoomMailbox|SchedulingMailbox|SharedMailbox|TeamMailbox|UserMailbox}")
_USER_RTD = ("{DisabledUser|DiscoveryMailbox|EquipmentMailbox|GuestMailUser|GroupMailbox|LegacyMailbox|"
             "LinkedMailbox|LinkedRoomMailbox|LinkedUser|MailUser|RoomMailbox|SharedMailbox|TeamMailbox|User|"
             "UserMailbox}")
_MAILBOX_RIGHTS = "{ChangeOwner|ChangePermission|DeleteItem|ExternalAccount|FullAccess|ReadPermission}"
_FOLDER_RIGHTS = ("{None|Owner|PublishingEditor|Editor|PublishingAuthor|Author|NonEditingAuthor|Reviewer|"
                  "Contributor|AvailabilityOnly|LimitedDetails|ReadItems|CreateItems|EditOwnedItems|"
                  "DeleteOwnedItems|EditAllItems|DeleteAllItems|CreateSubfolders|FolderOwner|FolderContact|"
                  "FolderVisible}")
_INHERIT = "{None|All|Children|Descendents|SelfAndChildren}"


def _modeled() -> list[CmdletInfo]:
    """The cmdlets the simulator gives a behaviour, with their real parameters."""
    anr_id = "Identity,AnrSet"
    return [
        c("Get-Mailbox", "Use the Get-Mailbox cmdlet to view mailbox objects and attributes.", [
            "Identity:MailboxIdParameter @Identity #1 |", "Anr @AnrSet", "Archive:switch",
            "Filter", "GroupMailbox:switch", f"InactiveMailboxOnly:switch @{anr_id}",
            f"IncludeEmailAddressDisplayNames:switch @{anr_id}",
            f"IncludeForwardingAddressWithDisplayNames:switch @{anr_id}",
            f"IncludeGrantSendOnBehalfToWithDisplayNames:switch @{anr_id}",
            f"IncludeInactiveMailbox:switch @{anr_id}", "MailboxPlan:MailboxPlanIdParameter @MailboxPlanSet |",
            "Migration:switch", "OrganizationalUnit:OrganizationalUnitIdParameter", "PublicFolder:switch",
            f"RecipientTypeDetails:RecipientTypeDetails[] {_RTD}", "ResultSize:Unlimited",
            f"SoftDeletedMailbox:switch @{anr_id}", "SortBy"],
          ("Identity", "AnrSet", "MailboxPlanSet")),
        c("Set-Mailbox", "Use the Set-Mailbox cmdlet to modify the settings of existing mailboxes.", [
            "Identity:MailboxIdParameter ! #1 |", "AccountDisabled:Boolean", "Alias",
            "ArchiveName:MultiValuedProperty", "AuditEnabled:Boolean", "AuditLogAgeLimit:EnhancedTimeSpan",
            "CustomAttribute1", "CustomAttribute2", "CustomAttribute3", "DeliverToMailboxAndForward:Boolean",
            "DisplayName", "EmailAddresses:ProxyAddressCollection", "ExternalOofOptions:ExternalOofOptions {External|InternalOnly}",
            "ForwardingAddress:RecipientIdParameter", "ForwardingSmtpAddress:ProxyAddress", "Force:switch",
            "GrantSendOnBehalfTo:MultiValuedProperty", "HiddenFromAddressListsEnabled:Boolean",
            "IssueWarningQuota:Unlimited", "LitigationHoldDate:DateTime", "LitigationHoldDuration:Unlimited",
            "LitigationHoldEnabled:Boolean", "MailTip", "MaxReceiveSize:Unlimited", "MaxSendSize:Unlimited",
            "MessageCopyForSendOnBehalfEnabled:Boolean", "MessageCopyForSentAsEnabled:Boolean", "Name",
            "PrimarySmtpAddress:SmtpAddress", "ProhibitSendQuota:Unlimited", "ProhibitSendReceiveQuota:Unlimited",
            "RecipientLimits:Unlimited", "RetainDeletedItemsFor:EnhancedTimeSpan", "RetentionComment",
            "RetentionHoldEnabled:Boolean", "RetentionPolicy:MailboxPolicyIdParameter", "RetentionUrl",
            "ResourceCapacity:Int32", "SingleItemRecoveryEnabled:Boolean",
            "Type:ConvertibleMailboxSubType {Regular|Room|Equipment|Shared|Workspace|Desk}",
            "UseDatabaseQuotaDefaults:Boolean", "WindowsEmailAddress:SmtpAddress"]),
        c("Get-Recipient", "Use the Get-Recipient cmdlet to view existing recipient objects in your organization.", [
            "Identity:RecipientIdParameter @Identity #1 |", "Anr @AnrSet", "Filter",
            "IncludeSoftDeletedRecipients:switch", "OrganizationalUnit:OrganizationalUnitIdParameter",
            "Properties:String[]",
            "RecipientType:RecipientType[] {DynamicDistributionGroup|MailContact|MailNonUniversalGroup|"
            "MailUniversalDistributionGroup|MailUniversalSecurityGroup|MailUser|PublicFolder|UserMailbox}",
            f"RecipientTypeDetails:RecipientTypeDetails[] {_RECIPIENT_RTD}", "ResultSize:Unlimited", "SortBy"],
          ("Identity", "AnrSet")),
        c("Get-User", "Use the Get-User cmdlet to view existing user objects in your organization.", [
            "Identity:UserIdParameter @Identity #1 |", "Anr @AnrSet", "Filter",
            f"IncludeManagerWithDisplayName:switch @{anr_id}", "IsVIP:switch",
            "OrganizationalUnit:OrganizationalUnitIdParameter", "PublicFolder:switch",
            f"RecipientTypeDetails:RecipientTypeDetails[] {_USER_RTD}", "ResultSize:Unlimited", "SortBy"],
          ("Identity", "AnrSet")),
        c("Get-MailboxStatistics", "Use the Get-MailboxStatistics cmdlet to return information about a mailbox, such as its size and the last logon time.", [
            "Identity:GeneralMailboxOrMailUserIdParameter @Identity !Identity #1 |", "Archive:switch @Identity",
            "Database:DatabaseIdParameter @Database !Database", "IncludeMoveHistory:switch",
            "IncludeMoveReport:switch", "IncludeSoftDeletedRecipients:switch @Identity",
            "UseCustomRouting:switch @Identity"],
          ("Identity", "Database")),
        c("Get-MailboxFolderStatistics", "Use the Get-MailboxFolderStatistics cmdlet to retrieve information about the folders in a specified mailbox, including the number and size of items in the folder, the folder name and ID, and other information.", [
            "Identity:GeneralMailboxOrMailUserIdParameter ! #1 |", "Archive:switch",
            "Diagnostic:switch", "DiagnosticInfo", "FolderScope:ElcFolderType {All|Archive|Calendar|Contacts|"
            "ConversationHistory|DeletedItems|Drafts|Inbox|JunkEmail|Journal|LegacyArchiveJournals|"
            "ManagedCustomFolder|NonIpmRoot|Notes|Outbox|Personal|RecoverableItems|RssSubscriptions|SentItems|"
            "SyncIssues|Tasks}", "IncludeAnalysis:switch", "IncludeOldestAndNewestItems:switch",
            "IncludeSoftDeletedRecipients:switch", "ResultSize:Unlimited", "SkipCount:Int32",
            "UseCustomRouting:switch"]),
        c("Get-CASMailbox", "Use the Get-CASMailbox cmdlet to view the Client Access settings that are configured on mailboxes.", [
            "Identity:MailboxIdParameter @Identity #1 |", "ActiveSyncDebugLogging:switch", "Anr @AnrSet",
            "Filter", "IgnoreDefaultScope:switch", "OrganizationalUnit:OrganizationalUnitIdParameter",
            "ProtocolSettings:switch", "RecipientTypeDetails:RecipientTypeDetails[] "
            "{DiscoveryMailbox|EquipmentMailbox|LegacyMailbox|LinkedMailbox|LinkedRoomMailbox|MailUser|"
            "RoomMailbox|SharedMailbox|TeamMailbox|UserMailbox}", "ResultSize:Unlimited", "SortBy"],
          ("Identity", "AnrSet")),
        c("Set-CASMailbox", "Use the Set-CASMailbox cmdlet to configure client access settings on a mailbox.", [
            "Identity:MailboxIdParameter ! #1 |", "ActiveSyncAllowedDeviceIDs:MultiValuedProperty",
            "ActiveSyncBlockedDeviceIDs:MultiValuedProperty", "ActiveSyncEnabled:Boolean",
            "ActiveSyncMailboxPolicy:MailboxPolicyIdParameter", "ECPEnabled:Boolean", "EwsEnabled:Boolean",
            "ImapEnabled:Boolean", "MacOutlookEnabled:Boolean", "MAPIEnabled:Boolean",
            "OutlookMobileEnabled:Boolean", "OWAEnabled:Boolean", "OWAforDevicesEnabled:Boolean",
            "OwaMailboxPolicy:MailboxPolicyIdParameter", "PopEnabled:Boolean",
            "SmtpClientAuthenticationDisabled:Boolean", "UniversalOutlookEnabled:Boolean"]),
        c("Get-MailboxPermission", "Use the Get-MailboxPermission cmdlet to retrieve permissions on a mailbox.", [
            "Identity:MailboxIdParameter ! #1 |", "GroupMailbox:switch",
            "IncludeSoftDeletedUserPermissions:switch @AccessRights", "IncludeUnresolvedPermissions:switch @AccessRights",
            "IncludeUserWithDisplayName:switch", "Owner:switch @Owner !Owner", "ReadFromDomainController:switch",
            "ResultSize:Unlimited", "SoftDeletedMailbox:switch @AccessRights", "UseCustomRouting:switch",
            "User:SecurityPrincipalIdParameter @AccessRights"],
          ("AccessRights", "Owner")),
        c("Add-MailboxPermission", "Use the Add-MailboxPermission cmdlet to add permissions to a mailbox.", [
            "Identity:MailboxIdParameter ! #1 |",
            f"AccessRights:MailboxRights[] @AccessRights !AccessRights {_MAILBOX_RIGHTS}",
            "User:SecurityPrincipalIdParameter @AccessRights !AccessRights",
            "Owner:SecurityPrincipalIdParameter @Owner !Owner", "AutoMapping:Boolean @AccessRights",
            "Deny:switch @AccessRights", "GroupMailbox:switch", "IgnoreDefaultScope:switch",
            f"InheritanceType:ActiveDirectorySecurityInheritance @AccessRights {_INHERIT}"],
          ("AccessRights", "Owner")),
        c("Remove-MailboxPermission", "Use the Remove-MailboxPermission cmdlet to remove permissions from a mailbox.", [
            "Identity:MailboxIdParameter ! #1 |",
            f"AccessRights:MailboxRights[] @AccessRights !AccessRights | {_MAILBOX_RIGHTS}",
            "User:SecurityPrincipalIdParameter @AccessRights !AccessRights |",
            "ClearAutoMapping:switch @ClearAutoMapping !ClearAutoMapping", "Deny:switch @AccessRights",
            "GroupMailbox:switch", "IgnoreDefaultScope:switch",
            f"InheritanceType:ActiveDirectorySecurityInheritance @AccessRights {_INHERIT}",
            "SoftDeletedMailbox:switch @AccessRights"],
          ("AccessRights", "ClearAutoMapping")),
        c("Get-RecipientPermission", "Use the Get-RecipientPermission cmdlet to view information about SendAs permissions that are configured for users in a cloud-based organization.", [
            "Identity:RecipientIdParameter #1 |", "AccessRights:MultiValuedProperty {SendAs}",
            "IncludeTrusteeWithPrimarySmtpAddress:switch", "ReadFromDomainController:switch",
            "ResultSize:Unlimited", "Trustee:SecurityPrincipalIdParameter"]),
        c("Add-RecipientPermission", "Use the Add-RecipientPermission cmdlet to add SendAs permission to users in a cloud-based organization.", [
            "Identity:RecipientIdParameter ! #1 |", "AccessRights:MultiValuedProperty ! | {SendAs}",
            "Trustee:SecurityPrincipalIdParameter ! |"]),
        c("Remove-RecipientPermission", "Use the Remove-RecipientPermission cmdlet to remove SendAs permission from users in a cloud-based organization.", [
            "Identity:RecipientIdParameter ! #1 |", "AccessRights:MultiValuedProperty ! | {SendAs}",
            "Trustee:SecurityPrincipalIdParameter ! |", "Deny:switch"]),
        c("Get-MailboxFolderPermission", "Use the Get-MailboxFolderPermission cmdlet to view folder-level permissions in mailboxes.", [
            "Identity:MailboxFolderIdParameter ! #1 |", "GroupMailbox:switch", "ResultSize:Unlimited",
            "SkipCount:Int32", "UseCustomRouting:switch", "User:MailboxFolderUserIdParameter"]),
        c("Add-MailboxFolderPermission", "Use the Add-MailboxFolderPermission cmdlet to add folder-level permissions for users in mailboxes.", [
            "Identity:MailboxFolderIdParameter ! #1 |", f"AccessRights:MailboxFolderAccessRight[] ! {_FOLDER_RIGHTS}",
            "User:MailboxFolderUserIdParameter !", "SendNotificationToUser:Boolean",
            "SharingPermissionFlags:MailboxFolderPermissionFlags {None|Delegate|CanViewPrivateItems}"]),
        c("Set-MailboxFolderPermission", "Use the Set-MailboxFolderPermission cmdlet to modify folder-level permissions for users in mailboxes.", [
            "Identity:MailboxFolderIdParameter ! #1 |", f"AccessRights:MailboxFolderAccessRight[] ! {_FOLDER_RIGHTS}",
            "User:MailboxFolderUserIdParameter !", "SendNotificationToUser:Boolean",
            "SharingPermissionFlags:MailboxFolderPermissionFlags {None|Delegate|CanViewPrivateItems}"]),
        c("Remove-MailboxFolderPermission", "Use the Remove-MailboxFolderPermission cmdlet to remove folder-level permissions for users in mailboxes.", [
            "Identity:MailboxFolderIdParameter ! #1 |", "User:MailboxFolderUserIdParameter !",
            "Force:switch", "ResetDelegateUserCollection:switch", "SendNotificationToUser:Boolean"]),
        c("Get-DistributionGroup", "Use the Get-DistributionGroup cmdlet to view existing distribution groups or mail-enabled security groups.", [
            "Identity:DistributionGroupIdParameter @Identity #1 |", "Anr @AnrSet", "Filter",
            "IncludeManagedByWithDisplayNames:switch", "ManagedBy:GeneralRecipientIdParameter @ManagedBySet",
            "OrganizationalUnit:OrganizationalUnitIdParameter",
            "RecipientTypeDetails:RecipientTypeDetails[] {MailNonUniversalGroup|MailUniversalDistributionGroup|"
            "MailUniversalSecurityGroup|RoomList}", "ResultSize:Unlimited", "SortBy"],
          ("Identity", "AnrSet", "ManagedBySet")),
        c("Get-DistributionGroupMember", "Use the Get-DistributionGroupMember cmdlet to view the members of distribution groups and mail-enabled security groups.", [
            "Identity:DistributionGroupMemberIdParameter ! #1 |", "IncludeSoftDeletedObjects:switch",
            "ResultSize:Unlimited"]),
        c("Add-DistributionGroupMember", "Use the Add-DistributionGroupMember cmdlet to add a single recipient to distribution groups and mail-enabled security groups.", [
            "Identity:DistributionGroupIdParameter ! #1 |", "BypassSecurityGroupManagerCheck:switch",
            "Member:RecipientWithAdUserGroupIdParameter |"]),
        c("Remove-DistributionGroupMember", "Use the Remove-DistributionGroupMember cmdlet to remove a single member from distribution groups or mail-enabled security groups.", [
            "Identity:DistributionGroupIdParameter ! #1 |", "BypassSecurityGroupManagerCheck:switch",
            "Member:GeneralRecipientIdParameter |"]),
        c("Get-InboxRule", "Use the Get-InboxRule cmdlet to view the properties of Inbox rules.", [
            "Identity:InboxRuleIdParameter #1 |", "BypassScopeCheck:switch", "DescriptionTimeFormat",
            "DescriptionTimeZone:ExTimeZoneValue", "IncludeHidden:switch", "Mailbox:MailboxIdParameter",
            "ResultSize:Unlimited", "SkipCount:Int32", "UseCustomRouting:switch"]),
        c("Remove-InboxRule", "Use the Remove-InboxRule cmdlet to remove an Inbox rule.", [
            "Identity:InboxRuleIdParameter ! #1 |", "AlwaysDeleteOutlookRulesBlob:switch", "Force:switch",
            "Mailbox:MailboxIdParameter"]),
        c("Enable-InboxRule", "Use the Enable-InboxRule cmdlet to enable an Inbox rule.", [
            "Identity:InboxRuleIdParameter ! #1 |", "AlwaysDeleteOutlookRulesBlob:switch", "Force:switch",
            "Mailbox:MailboxIdParameter"]),
        c("Disable-InboxRule", "Use the Disable-InboxRule cmdlet to disable an Inbox rule.", [
            "Identity:InboxRuleIdParameter ! #1 |", "AlwaysDeleteOutlookRulesBlob:switch", "Force:switch",
            "Mailbox:MailboxIdParameter"]),
        c("Get-CalendarProcessing", "Use the Get-CalendarProcessing cmdlet to view the calendar processing options for resource mailboxes.", [
            "Identity:MailboxIdParameter ! #1 |", "ReadFromDomainController:switch", "ResultSize:Unlimited"]),
        c("Set-CalendarProcessing", "Use the Set-CalendarProcessing cmdlet to modify calendar processing options for resource mailboxes.", [
            "Identity:MailboxIdParameter ! #1 |", "AddAdditionalResponse:Boolean", "AdditionalResponse",
            "AddOrganizerToSubject:Boolean", "AllBookInPolicy:Boolean", "AllowConflicts:Boolean",
            "AllowRecurringMeetings:Boolean", "AllRequestInPolicy:Boolean",
            "AutomateProcessing:CalendarProcessingFlags {None|AutoUpdate|AutoAccept}", "BookingWindowInDays:Int32",
            "BookInPolicy:RecipientIdParameter[]", "DeleteComments:Boolean", "DeleteSubject:Boolean",
            "MaximumDurationInMinutes:Int32", "ProcessExternalMeetingMessages:Boolean",
            "RemovePrivateProperty:Boolean", "RequestInPolicy:RecipientIdParameter[]",
            "ResourceDelegates:RecipientIdParameter[]"]),
        c("Get-MailboxAutoReplyConfiguration", "Use the Get-MailboxAutoReplyConfiguration cmdlet to retrieve Automatic Replies settings for a specific mailbox.", [
            "Identity:MailboxIdParameter ! #1 |", "ReadFromDomainController:switch", "ResultSize:Unlimited",
            "UseCustomRouting:switch"]),
        c("Set-MailboxAutoReplyConfiguration", "Use the Set-MailboxAutoReplyConfiguration cmdlet to configure Automatic Replies settings for a specific mailbox.", [
            "Identity:MailboxIdParameter ! #1 |", "AutoDeclineFutureRequestsWhenOOF:Boolean",
            "AutoReplyState:OofState {Enabled|Disabled|Scheduled}", "CreateOOFEvent:Boolean",
            "DeclineAllEventsForScheduledOOF:Boolean", "DeclineEventsForScheduledOOF:Boolean",
            "DeclineMeetingMessage", "EndTime:DateTime", "EventsToDeleteIDs:String[]",
            "ExternalAudience:ExternalAudience {None|Known|All}", "ExternalMessage", "IgnoreDefaultScope:switch",
            "InternalMessage", "OOFEventSubject", "StartTime:DateTime"]),
        c("Get-MessageTraceV2", "Use the Get-MessageTraceV2 cmdlet to trace messages as they pass through the cloud-based organization.", [
            "EndDate:DateTime", "FromIP", "MessageId:MultiValuedProperty", "MessageTraceId:Guid",
            "RecipientAddress:MultiValuedProperty", "ResultSize:Int32", "SenderAddress:MultiValuedProperty",
            "StartDate:DateTime", "StartingRecipientAddress",
            "Status:MultiValuedProperty {Delivered|Expanded|Failed|FilteredAsSpam|GettingStatus|Pending|Quarantined}",
            "Subject", "SubjectFilterType {Contains|EndsWith|StartsWith}", "ToIP"]),
        c("Get-AcceptedDomain", "Use the Get-AcceptedDomain cmdlet to view the configuration information for the accepted domains in your organization.", [
            "Identity:AcceptedDomainIdParameter #1 |", "ResultSize:Unlimited"]),
        c("Get-OrganizationConfig", "Use the Get-OrganizationConfig cmdlet to view configuration data for an Exchange organization.", []),
        c("Get-TransportRule", "Use the Get-TransportRule cmdlet to view transport rules (mail flow rules) in your organization.", [
            "Identity:RuleIdParameter #1 |", "DlpPolicy", "ExcludeConditionActionDetails:Boolean", "Filter",
            "ResultSize:Unlimited", "State:RuleState {Enabled|Disabled}"]),
        c("Get-MobileDevice", "Use the Get-MobileDevice cmdlet to view the list of mobile devices in your organization that are configured to synchronize with users' mailboxes.", [
            "Identity:MobileDeviceIdParameter @Identity #1 |", "Mailbox:MailboxIdParameter @Mailbox !Mailbox |",
            "ActiveSync:switch", "Filter", "OrganizationalUnit:OrganizationalUnitIdParameter",
            "OWAforDevices:switch", "ResultSize:Unlimited", "RestApi:switch", "SortBy", "UniversalOutlook:switch"],
          ("Identity", "Mailbox")),
        c("Get-MobileDeviceStatistics", "Use the Get-MobileDeviceStatistics cmdlet to retrieve the list of mobile devices configured to synchronize with a specified user's mailbox and return a list of statistics about the mobile devices.", [
            "Identity:MobileDeviceIdParameter @Identity !Identity #1 |", "Mailbox:MailboxIdParameter @Mailbox !Mailbox",
            "ActiveSync:switch", "GetMailboxLog:switch", "NotificationEmailAddresses:MultiValuedProperty",
            "OWAforDevices:switch", "RestApi:switch", "ShowRecoveryPassword:switch", "UniversalOutlook:switch"],
          ("Identity", "Mailbox")),
        c("Get-QuarantineMessage", "Use the Get-QuarantineMessage cmdlet to view quarantined messages and files in your cloud-based organization.", [
            "Identity:QuarantineMessageIdentity @Details !Details |",
            "Direction:QuarantineMessageDirectionEnum @Summary {Inbound|Outbound}", "Domain:String[] @Summary",
            "EndReceivedDate:DateTime @Summary", "MessageId @Summary", "MyItems:switch @Summary",
            "Page:Int32 @Summary", "PageSize:Int32 @Summary", "PolicyName @Summary",
            "QuarantineTypes:QuarantineMessageTypeEnum[] @Summary {Bulk|DataLossPrevention|FileTypeBlock|"
            "HighConfPhish|Malware|Phish|Spam|SPOMalware|TransportRule}",
            "RecipientAddress:String[]", "ReleaseStatus:ReleaseStatus[] @Summary {Approved|Denied|Error|"
            "NotReleased|PreparingToRelease|Released|Requested}", "SenderAddress:String[]",
            "StartReceivedDate:DateTime @Summary", "Subject @Summary"],
          ("Summary", "Details")),
        c("Get-Command", "Gets all commands.", [
            "Name:String[] @AllCommandSet #1 | *", "Verb:String[] @CmdletSet |", "Noun:String[] @CmdletSet |",
            "Module:String[] | ~PSSnapin", "CommandType:CommandTypes @AllCommandSet | ~Type "
            "{Alias|Function|Filter|Cmdlet|ExternalScript|Application|Script|Configuration|All}",
            "TotalCount:Int32 |", "Syntax:switch |", "ShowCommandInfo:switch", "ListImported:switch |"],
          ("CmdletSet", "AllCommandSet")),
        c("Get-Help", "Displays information about PowerShell commands and concepts.", [
            "Name #1", "Path", "Category:String[] {Alias|Cmdlet|Provider|General|FAQ|Glossary|HelpFile|"
            "ScriptCommand|Function|Filter|ExternalScript|All|DefaultHelp|DscResource|Class|Configuration}",
            "Full:switch @AllUsersView", "Detailed:switch @DetailedView !DetailedView",
            "Examples:switch @Examples !Examples", "Parameter:String[] @Parameters !Parameters"],
          ("AllUsersView", "DetailedView", "Examples", "Parameters")),
        # The PowerShell cmdlets the restricted endpoint also exposes, with Windows PowerShell 5.1's
        # parameters (tui/sim/cmdlets/utility.py).
        c("Select-Object", "Selects objects or object properties.", [
            "InputObject:PSObject |", "Property:Object[] @DefaultParameter,SkipLastParameter #0",
            "ExcludeProperty:String[] @DefaultParameter,SkipLastParameter",
            "ExpandProperty:String @DefaultParameter,SkipLastParameter", "Unique:switch",
            "Last:Int32 @DefaultParameter", "First:Int32 @DefaultParameter", "Skip:Int32 @DefaultParameter",
            "SkipLast:Int32 @SkipLastParameter", "Wait:switch @DefaultParameter,IndexParameter",
            "Index:Int32[] @IndexParameter"],
          ("DefaultParameter", "SkipLastParameter", "IndexParameter")),
        c("Measure-Object", "Calculates the numeric properties of objects, and the characters, words, and lines "
          "in string objects, such as files of text.", [
            "InputObject:PSObject |", "Property:String[] #0", "Sum:switch @GenericMeasure",
            "Average:switch @GenericMeasure", "Maximum:switch @GenericMeasure", "Minimum:switch @GenericMeasure",
            "Line:switch @TextMeasure", "Word:switch @TextMeasure", "Character:switch @TextMeasure",
            "IgnoreWhiteSpace:switch @TextMeasure"],
          ("GenericMeasure", "TextMeasure")),
        c("Get-FormatData", "Gets the formatting data in the current session.", [
            "TypeName:String[] #0 *", "PowerShellVersion:System.Version"]),
        c("Out-Default", "Sends the output to the default formatter and to the default output cmdlet.", [
            "Transcript:switch", "InputObject:PSObject |"]),
        c("Exit-PSSession", "Ends an interactive session with a remote computer.", []),
    ]


# -- synthetic filler ------------------------------------------------------------------------------

# Real Exchange Online nouns, grouped by the shape of their cmdlets.
_POLICY_NOUNS = (
    "AntiPhishPolicy", "HostedContentFilterPolicy", "HostedOutboundSpamFilterPolicy", "HostedConnectionFilterPolicy",
    "MalwareFilterPolicy", "SafeLinksPolicy", "SafeAttachmentPolicy", "RetentionPolicy", "RetentionCompliancePolicy",
    "DlpCompliancePolicy", "OwaMailboxPolicy", "MobileDeviceMailboxPolicy", "SharingPolicy", "RoleAssignmentPolicy",
    "AddressBookPolicy", "EmailAddressPolicy", "AuthenticationPolicy", "QuarantinePolicy", "ApplicationAccessPolicy",
    "PhishSimOverridePolicy", "SecOpsOverridePolicy", "ReportSubmissionPolicy", "TeamsProtectionPolicy",
    "CaseHoldPolicy", "InformationBarrierPolicy", "DeviceConditionalAccessPolicy", "DeviceConfigurationPolicy",
    "LabelPolicy", "AutoSensitivityLabelPolicy", "SupervisoryReviewPolicyV2", "ActivityAlert", "ProtectionAlert",
    "PolicyTipConfig", "AtpPolicyForO365", "ThrottlingPolicyAssociation", "RecipientFilterPolicy")
_RULE_NOUNS = (
    "AntiPhishRule", "HostedContentFilterRule", "HostedOutboundSpamFilterRule", "MalwareFilterRule", "SafeLinksRule",
    "SafeAttachmentRule", "RetentionComplianceRule", "DlpComplianceRule", "JournalRule", "ClientAccessRule",
    "ActiveSyncDeviceAccessRule", "EOPProtectionPolicyRule", "ATPProtectionPolicyRule", "PhishSimOverrideRule",
    "ExoPhishSimOverrideRule", "SecOpsOverrideRule", "ReportSubmissionRule", "TeamsProtectionPolicyRule",
    "CaseHoldRule", "DeviceConditionalAccessRule", "DeviceConfigurationRule", "AutoSensitivityLabelRule",
    "SupervisoryReviewRule", "HoldComplianceRule", "SweepRule", "TransportRule", "InboxRule")
_CONNECTOR_NOUNS = ("InboundConnector", "OutboundConnector", "IntraOrganizationConnector", "HybridMailflow",
                    "OnPremisesOrganization", "OrganizationRelationship", "RemoteDomain", "AcceptedDomain",
                    "PartnerApplication", "AuthServer", "AvailabilityAddressSpace", "DkimSigningConfig",
                    "FederatedOrganizationIdentifier", "MigrationEndpoint", "ServicePrincipal", "ArcConfig")
_RECIPIENT_NOUNS = ("Mailbox", "MailUser", "MailContact", "Contact", "User", "DistributionGroup",
                    "DynamicDistributionGroup", "UnifiedGroup", "MailPublicFolder", "PublicFolder", "RoleGroup",
                    "LinkedUser", "SiteMailbox", "Place", "ResourceConfig", "MailboxFolder", "UserPhoto",
                    "CalendarProcessing", "Clutter", "FocusedInbox", "MailboxJunkEmailConfiguration",
                    "MailboxMessageConfiguration", "MailboxRegionalConfiguration", "MailboxSpellingConfiguration",
                    "MailboxCalendarConfiguration", "MailboxCalendarFolder", "MailboxFolderPermission",
                    "PublicFolderClientPermission", "MailboxLocation", "MailboxPlan", "CASMailboxPlan",
                    "ManagementRole", "ManagementRoleAssignment", "ManagementScope", "ManagementRoleEntry",
                    "RoleGroupMember", "UnifiedGroupLinks", "AddressList", "GlobalAddressList", "OfflineAddressBook",
                    "MessageClassification", "DataClassification", "RMSTemplate", "App", "TextMessagingAccount",
                    "MailboxAuditBypassAssociation", "SecurityPrincipal", "Notification", "ComplianceTag",
                    "ComplianceCase", "ComplianceCaseMember", "ComplianceSearch", "ComplianceSearchAction",
                    "ComplianceSecurityFilter", "RoleAssignmentPolicyEntry", "TenantAllowBlockListItems",
                    "TenantAllowBlockListSpoofItems", "BlockedSenderAddress", "MailboxIRMAccess",
                    "MessageCategory", "RetentionPolicyTag", "MailboxSearch", "EmailTenantSettings",
                    "AppRetentionCompliancePolicy", "AppRetentionComplianceRule", "Label", "ExternalInOutlook")
_REQUEST_NOUNS = ("MoveRequest", "MailboxRestoreRequest", "MailboxImportRequest", "MailboxRepairRequest",
                  "MigrationBatch", "MigrationUser", "PublicFolderMigrationRequest", "SyncRequest",
                  "MailboxExportRequest", "PublicFolderMailboxMigrationRequest", "ComplianceSearchActionRequest",
                  "MessageRecallRequest", "HistoricalSearch", "UnifiedAuditLogRetentionPolicy", "SearchRequest")
_CONFIG_NOUNS = ("OrganizationConfig", "TransportConfig", "AdminAuditLogConfig", "IRMConfiguration",
                 "OMEConfiguration", "PerimeterConfig", "ActiveSyncOrganizationSettings", "AvailabilityConfig",
                 "HostedConnectionFilterPolicyConfig", "MigrationConfig", "AuditConfig", "ExchangeFeatureConfig",
                 "ReportSubmissionConfig", "ExternalInOutlookConfig", "CalendarSharingConfig", "MessageTraceConfig",
                 "UnifiedAuditLogConfig", "AccessToCustomerDataRequest", "PolicyConfig", "TenantRecipientLimits")
_REPORT_NOUNS = ("MessageTrace", "MessageTraceDetail", "MessageTraceDetailV2", "MailDetailATPReport",
                 "MailTrafficATPReport", "MailTrafficSummaryReport", "MailFlowStatusReport", "ServiceDeliveryReport",
                 "MailboxStatisticsReport", "MailboxFolderStatistics", "MoveRequestStatistics",
                 "MigrationUserStatistics", "MailboxAuditLog", "CalendarDiagnosticLog", "CalendarDiagnosticAnalysis",
                 "CalendarDiagnosticObjects", "RecoverableItems", "SpoofMailReport", "SpoofIntelligenceInsight",
                 "MailTrafficPolicyReport", "AggregateZapReport", "ContentMalwareMdoAggregateReport",
                 "DlpDetailReport", "DlpIncidentDetailReport", "ReportExecutionInstance", "PublicFolderStatistics",
                 "MailboxFolderStatisticsSummary", "RbacDiagnosticInfo", "ExoSecOpsMailboxStatistics",
                 "PhishSimOverrideReport", "MailboxServerRedirectConfiguration", "ExoInformationBarrierSegment",
                 "UserBriefingConfig", "VivaInsightsSettings", "EventsFromEmailConfiguration",
                 "DistributionGroupMemberStatistics", "MobileDeviceStatistics", "MailboxUserConfiguration",
                 "ClientAccessRuleTestResult", "ArcTrustedSealer", "QuarantineMessageHeader", "HostedOutboundSpamReport")

_VERBS = {
    "policy": ("Get", "Set", "New", "Remove"),
    "rule": ("Get", "Set", "New", "Remove", "Enable", "Disable"),
    "connector": ("Get", "Set", "New", "Remove", "Test"),
    "recipient": ("Get", "Set", "New", "Remove"),
    "request": ("Get", "Set", "New", "Remove", "Suspend", "Resume"),
    "config": ("Get", "Set"),
    "report": ("Get",),
}
_EXTRA = ("Test-OAuthConnectivity", "Test-ClientAccessRule", "Test-MAPIConnectivity", "Test-Message",
          "Test-ArcConfig", "Test-DatabaseEvent", "Start-HistoricalSearch", "Stop-HistoricalSearch",
          "Start-ComplianceSearch", "Stop-ComplianceSearch", "Start-MigrationBatch", "Stop-MigrationBatch",
          "Complete-MigrationBatch", "Start-ManagedFolderAssistant", "Start-AuditAssistant",
          "Release-QuarantineMessage", "Delete-QuarantineMessage", "Preview-QuarantineMessage",
          "Export-QuarantineMessage", "Search-AdminAuditLog", "Search-MailboxAuditLog", "Search-UnifiedAuditLog",
          "Search-MessageTrackingReport", "Export-MailboxDiagnosticLogs", "Export-ActivityExplorerData",
          "Enable-OrganizationCustomization", "Enable-AddressListPaging", "Rotate-DkimSigningConfig",
          "Update-RoleGroupMember", "Update-DistributionGroupMember", "Undo-SoftDeletedMailbox",
          "Upgrade-DistributionGroup", "Validate-OutboundConnector", "Compare-TextMessagingVerificationCode",
          "Send-TextMessagingVerificationCode", "Clear-MobileDevice", "Clear-TextMessagingAccount",
          "Remove-MobileDevice", "Add-UnifiedGroupLinks", "Add-RoleGroupMember", "Add-ManagementRoleEntry",
          "Add-PublicFolderClientPermission", "Add-AvailabilityAddressSpace", "Add-ComplianceCaseMember",
          "Invoke-ComplianceSecurityFilterAction", "Expedite-Delicensing", "Restore-RecoverableItems",
          "Import-ContactList", "Import-RecipientDataProperty", "Export-RecipientDataProperty",
          "Get-MailboxFolder", "Write-AdminAuditLog", "Set-InboxRule",
          "New-InboxRule", "Disable-TransportRule", "Enable-TransportRule", "Set-TransportRule", "New-TransportRule",
          "Remove-TransportRule",
          "Set-DistributionGroup", "New-DistributionGroup", "Remove-DistributionGroup", "Update-HybridConfiguration",
          "Get-ExoPhishSimOverrideRule", "Set-OrganizationConfig", "Get-MailboxFolderPermission",
          "Set-MailboxCalendarFolder", "Set-Clutter",
          "Set-FocusedInbox", "Get-UnifiedGroupLinks", "Set-UnifiedGroup", "New-UnifiedGroup", "Remove-UnifiedGroup",
          "Get-DkimSigningConfig", "Set-AcceptedDomain", "New-AcceptedDomain", "Remove-AcceptedDomain")

_GENERIC = ("Comment:String", "Enabled:Boolean", "AdminDisplayName", "Name",
            "IgnoreDefaultScope:switch", "Force:switch")
_VOCAB: dict[str, tuple[str, ...]] = {
    "policy": ("IsDefault:switch", "MakeDefault:switch", "Enabled:Boolean", "AdminDisplayName", "Comment",
               "AllowedSenders:MultiValuedProperty", "BlockedSenders:MultiValuedProperty",
               "AllowedSenderDomains:MultiValuedProperty", "BlockedSenderDomains:MultiValuedProperty",
               "SpamAction:SpamFilteringAction {MoveToJmf|AddXHeader|ModifySubject|Redirect|Delete|Quarantine|NoAction}",
               "HighConfidenceSpamAction:SpamFilteringAction {MoveToJmf|AddXHeader|ModifySubject|Redirect|Delete|Quarantine}",
               "BulkThreshold:Int32", "QuarantineRetentionPeriod:Int32", "EnableEndUserSpamNotifications:Boolean",
               "MarkAsSpamBulkMail:SpamFilteringOption {Off|On|Test}", "LanguageBlockList:MultiValuedProperty",
               "RegionBlockList:MultiValuedProperty", "TestModeAction:SpamFilteringTestModeAction {None|AddXHeader|BccMessage}",
               "PhishThresholdLevel:Int32", "EnableMailboxIntelligence:Boolean", "EnableSpoofIntelligence:Boolean",
               "EnableTargetedUserProtection:Boolean", "TargetedUsersToProtect:MultiValuedProperty",
               "EnableOrganizationDomainsProtection:Boolean", "EnableFirstContactSafetyTips:Boolean",
               "AuthenticationFailAction:SpoofAuthenticationFailAction {MoveToJmf|Quarantine}",
               "Action:SafeAttachmentAction {Block|Replace|DynamicDelivery|Allow}", "Redirect:Boolean",
               "RedirectAddress:SmtpAddress", "EnableFileFilter:Boolean", "FileTypes:String[]", "ZapEnabled:Boolean",
               "ScanUrls:Boolean", "DeliverMessageAfterScan:Boolean", "EnableForInternalSenders:Boolean",
               "TrackClicks:Boolean", "AllowClickThrough:Boolean", "DoNotRewriteUrls:MultiValuedProperty",
               "RetentionPolicyTagLinks:RetentionPolicyTagIdParameter[]", "RetentionDuration:Unlimited",
               "RetentionAction {Delete|Keep|KeepAndDelete}", "ExchangeLocation:MultiValuedProperty",
               "SharePointLocation:MultiValuedProperty", "OneDriveLocation:MultiValuedProperty",
               "ModernGroupLocation:MultiValuedProperty", "TeamsChatLocation:MultiValuedProperty",
               "Mode:PolicyMode {Enable|TestWithNotifications|TestWithoutNotifications|Disable|PendingDeletion}",
               "Priority:Int32", "RecipientLimitExternalPerHour:UInt32", "RecipientLimitInternalPerHour:UInt32",
               "RecipientLimitPerDay:UInt32", "ActionWhenThresholdReached:OutboundRecipientLimitsExceededAction {Alert|BlockUserForToday|BlockUser}",
               "AutoForwardingMode:AutoForwardingMode {Automatic|Off|On}", "NotifyOutboundSpam:Boolean",
               "NotifyOutboundSpamRecipients:MultiValuedProperty", "ConditionalAccessPolicy:PolicyConditionalAccess {Off|ReadOnly|ReadOnlyPlusAttachmentsBlocked}",
               "DirectFileAccessOnPublicComputersEnabled:Boolean", "DirectFileAccessOnPrivateComputersEnabled:Boolean",
               "AllowBluetooth:BluetoothType {Disable|HandsfreeOnly|Allow}", "PasswordEnabled:Boolean",
               "MinPasswordLength:Int32", "DevicePolicyRefreshInterval:Unlimited", "AllowNonProvisionableDevices:Boolean",
               "AllowBasicAuthPop:switch", "AllowBasicAuthImap:switch", "AllowBasicAuthSmtp:switch",
               "AllowBasicAuthWebServices:switch", "AllowBasicAuthActiveSync:switch", "Domains:MultiValuedProperty",
               "EndUserQuarantinePermissionsValue:Int32", "ESNEnabled:Boolean", "AccessRight {RestrictAccess|DenyAccess}",
               "AppId:String[]", "PolicyScopeGroupId:RecipientIdParameter", "Description"),
    "rule": ("Priority:Int32", "Comments", "Enabled:Boolean", "SentTo:RecipientIdParameter[]",
             "SentToMemberOf:RecipientIdParameter[]", "RecipientDomainIs:Word[]", "ExceptIfSentTo:RecipientIdParameter[]",
             "ExceptIfSentToMemberOf:RecipientIdParameter[]", "ExceptIfRecipientDomainIs:Word[]",
             "From:RecipientIdParameter[]", "FromMemberOf:RecipientIdParameter[]", "SenderDomainIs:Word[]",
             "SubjectContainsWords:Word[]", "SubjectOrBodyContainsWords:Word[]", "HeaderContainsMessageHeader:HeaderName",
             "HeaderContainsWords:Word[]", "AttachmentExtensionMatchesWords:Word[]", "AttachmentSizeOver:ByteQuantifiedSize",
             "MessageSizeOver:ByteQuantifiedSize", "SCLOver:SclValue", "PrependSubject:SubjectPrefix",
             "SetHeaderName:HeaderName", "SetHeaderValue:HeaderValue", "SetSCL:SclValue", "RejectMessageReasonText:RejectText",
             "RejectMessageEnhancedStatusCode:RejectEnhancedStatus", "DeleteMessage:Boolean", "Quarantine:Boolean",
             "RedirectMessageTo:RecipientIdParameter[]", "BlindCopyTo:RecipientIdParameter[]", "ModerateMessageByUser:RecipientIdParameter[]",
             "ApplyHtmlDisclaimerText:DisclaimerText", "ApplyHtmlDisclaimerLocation:DisclaimerLocation {Append|Prepend}",
             "ApplyHtmlDisclaimerFallbackAction:DisclaimerFallbackAction {Wrap|Ignore|Reject}",
             "Mode:RuleMode {Audit|AuditAndNotify|Enforce}", "SenderAddressLocation:SenderAddressLocation {Header|Envelope|HeaderOrEnvelope}",
             "ActivationDate:DateTime", "ExpiryDate:DateTime", "StopRuleProcessing:Boolean", "RuleErrorAction:RuleErrorAction {Ignore|Defer}",
             "RuleSubType:RuleSubType {None|Dlp}", "MoveToFolder:MailboxFolderIdParameter", "MarkAsRead:Boolean",
             "MarkImportance:Importance {Low|Normal|High}", "ForwardTo:RecipientIdParameter[]", "ContentContainsSensitiveInformation:PswsHashtable[]",
             "BlockAccess:Boolean", "NotifyUser:MultiValuedProperty", "GenerateIncidentReport:RecipientIdParameter",
             "Scope:ClientAccessRulesScope {All|Users}", "AnyOfClientIPAddressesOrRanges:MultiValuedProperty",
             "AnyOfProtocols:MultiValuedProperty", "UserRecipientFilter", "Characteristic:DeviceAccessCharacteristic {DeviceType|DeviceModel|DeviceOS|UserAgent}",
             "QueryString", "AccessLevel:DeviceAccessLevel {Allow|Block|Quarantine}", "Recipient:RecipientIdParameter",
             "JournalEmailAddress:RecipientIdParameter", "ContentMatchQuery", "ExchangeLocation:MultiValuedProperty"),
    "connector": ("ConnectorType:TenantConnectorType {Partner|OnPremises}", "SenderDomains:MultiValuedProperty",
                  "SenderIPAddresses:MultiValuedProperty", "RequireTls:Boolean", "RestrictDomainsToIPAddresses:Boolean",
                  "RestrictDomainsToCertificate:Boolean", "TlsSenderCertificateName:TlsCertificate", "SmartHosts:MultiValuedProperty",
                  "TlsSettings:TlsAuthLevel {EncryptionOnly|CertificateValidation|DomainValidation}", "TlsDomain:SmtpDomainWithSubdomains",
                  "UseMXRecord:Boolean", "RecipientDomains:MultiValuedProperty", "Enabled:Boolean", "Comment",
                  "CloudServicesMailEnabled:Boolean", "IsTransportRuleScoped:Boolean", "RouteAllMessagesViaOnPremises:Boolean",
                  "AllAcceptedDomains:Boolean", "ValidationRecipients:String[]", "DomainName:SmtpDomainWithSubdomains",
                  "DomainNames:MultiValuedProperty", "FreeBusyAccessEnabled:Boolean", "FreeBusyAccessLevel:FreeBusyAccessLevel {None|AvailabilityOnly|LimitedDetails}",
                  "TargetApplicationUri:Uri", "TargetAutodiscoverEpr:Uri", "TargetOwaURL:Uri", "MailboxMoveEnabled:Boolean",
                  "AutoReplyEnabled:Boolean", "AutoForwardEnabled:Boolean", "DeliveryReportEnabled:Boolean",
                  "NDREnabled:Boolean", "TNEFEnabled:Boolean", "CharacterSet", "ContentType:ContentType {MimeHtmlText|MimeText|MimeHtml}",
                  "DiscoveryEndpoint:Uri", "ApplicationIdentifier", "AuthMetadataUrl", "Realm", "AccessAddress:SmtpAddress",
                  "TargetSharingEpr:Uri", "DomainType:AcceptedDomainType {Authoritative|InternalRelay}", "MakeDefault:Boolean",
                  "MatchSubDomains:Boolean", "OutboundOnly:Boolean", "SendersToExclude:MultiValuedProperty"),
    "recipient": ("DisplayName", "Alias", "PrimarySmtpAddress:SmtpAddress", "EmailAddresses:ProxyAddressCollection",
                  "HiddenFromAddressListsEnabled:Boolean", "CustomAttribute1", "CustomAttribute2", "CustomAttribute3",
                  "CustomAttribute4", "CustomAttribute5", "CustomAttribute6", "CustomAttribute7", "CustomAttribute8",
                  "ExtensionCustomAttribute1:MultiValuedProperty", "ExtensionCustomAttribute2:MultiValuedProperty",
                  "ManagedBy:MultiValuedProperty", "Notes", "MailTip", "MailTipTranslations:MultiValuedProperty",
                  "AcceptMessagesOnlyFrom:MultiValuedProperty", "AcceptMessagesOnlyFromDLMembers:MultiValuedProperty",
                  "RejectMessagesFrom:MultiValuedProperty", "RequireSenderAuthenticationEnabled:Boolean",
                  "ModerationEnabled:Boolean", "ModeratedBy:MultiValuedProperty",
                  "SendModerationNotifications:TransportModerationNotificationFlags {Always|Internal|Never}",
                  "GrantSendOnBehalfTo:MultiValuedProperty", "MaxSendSize:Unlimited", "MaxReceiveSize:Unlimited",
                  "WindowsEmailAddress:SmtpAddress", "ExternalEmailAddress:ProxyAddress", "FirstName", "LastName",
                  "Initials", "Company", "Department", "Title", "Office", "Phone", "MobilePhone", "City",
                  "StateOrProvince", "PostalCode", "CountryOrRegion:CountryInfo", "Manager:UserContactIdParameter",
                  "AccessType {Public|Private}", "Owners:RecipientIdParameter[]", "Members:RecipientIdParameter[]",
                  "Language:CultureInfo", "AutoSubscribeNewMembers:switch", "AlwaysSubscribeMembersToCalendarEvents:switch",
                  "UnifiedGroupWelcomeMessageEnabled:switch", "MemberJoinRestriction:MemberUpdateType {Open|Closed|ApprovalRequired}",
                  "MemberDepartRestriction:MemberUpdateType {Open|Closed}", "RecipientFilter", "IncludedRecipients:WellKnownRecipientType {None|MailboxUsers|Resources|MailContacts|MailGroups|MailUsers|AllRecipients}",
                  "ConditionalDepartment:MultiValuedProperty", "ConditionalCompany:MultiValuedProperty",
                  "AutomateProcessing:CalendarProcessingFlags {None|AutoUpdate|AutoAccept}", "AllowConflicts:Boolean",
                  "BookingWindowInDays:Int32", "MaximumDurationInMinutes:Int32", "AllBookInPolicy:Boolean",
                  "ResourceDelegates:RecipientIdParameter[]", "Capacity:Int32", "Building", "Floor:Int32",
                  "TimeZone:ExTimeZoneValue", "DateFormat", "TimeFormat", "WorkingHoursStartTime:TimeSpan",
                  "WorkingHoursEndTime:TimeSpan", "Enabled:Boolean", "User:MailboxFolderUserIdParameter",
                  "AccessRights:MailboxFolderAccessRight[] {None|Owner|PublishingEditor|Editor|Author|Reviewer|AvailabilityOnly|LimitedDetails}",
                  "Role:RoleIdParameter", "RecipientRestrictionFilter", "RecipientRoot:OrganizationalUnitIdParameter",
                  "Description", "PictureData:Byte[]", "Preview:switch", "Save:switch", "Cancel:switch",
                  "Contents:Byte[]", "ExchangeLocation:String[]", "ContentMatchQuery", "Value", "Entries:MultiValuedProperty"),
    "request": ("BatchName", "BadItemLimit:Unlimited", "LargeItemLimit:Unlimited", "AcceptLargeDataLoss:switch",
                "CompletedRequestAgeLimit:Unlimited", "Priority:RequestPriority {Lowest|Lower|Normal|High|Higher|Highest|Emergency}",
                "SuspendWhenReadyToComplete:switch", "Status:RequestStatus {None|Queued|InProgress|AutoSuspended|CompletionInProgress|Completed|CompletedWithWarning|Suspended|Failed}",
                "SourceEndpoint:MigrationEndpointIdParameter", "TargetDeliveryDomain", "CSVData:Byte[]",
                "NotificationEmails:MultiValuedProperty", "AutoStart:switch", "AutoComplete:switch",
                "StartAfter:DateTime", "CompleteAfter:DateTime", "Remote:switch", "RemoteHostName:Fqdn",
                "RemoteCredential:PSCredential", "ArchiveOnly:switch", "PrimaryOnly:switch", "SourceMailbox:SACLRightsIdParameter",
                "TargetMailbox:MailboxOrMailUserIdParameter", "SourceRootFolder", "TargetRootFolder",
                "IncludeFolders:String[]", "ExcludeFolders:String[]", "ConflictResolutionOption:ConflictResolutionOption {KeepSourceItem|KeepLatestItem|KeepAll}",
                "SuspendComment", "SkipMerging:SkippableMergeComponent[]", "RequestExpiryInterval:Unlimited",
                "ReportType:HistoricalSearchReportType {ATPReport|DLP|MessageTrace|MessageTraceDetail|Phish|SpamSource|TransportRule}",
                "ReportTitle", "StartDate:DateTime", "EndDate:DateTime", "SenderAddress:MultiValuedProperty",
                "RecipientAddress:MultiValuedProperty", "NotifyAddress:String[]", "Direction:MessageDirection {All|Received|Sent}",
                "BatchStatus:MigrationBatchStatus", "MailboxType {PrimaryOnly|ArchiveOnly|PrimaryAndArchive}", "DetailsLevel {None|Basic|Verbose}",
                "IncludeReport:switch", "Diagnostic:switch", "DiagnosticArgument", "Partition:MailboxIdParameter"),
    "config": ("AuditDisabled:Boolean", "AutoExpandingArchive:switch", "CustomerLockboxEnabled:Boolean",
               "DefaultGroupAccessType:ModernGroupObjectType {Public|Private}", "DirectReportsGroupAutoCreationEnabled:Boolean",
               "DistributionGroupDefaultOU:OrganizationalUnitIdParameter", "DistributionGroupNameBlockedWordsList:MultiValuedProperty",
               "ElcProcessingDisabled:Boolean", "EwsAllowOutlook:Boolean", "EwsApplicationAccessPolicy:EwsApplicationAccessPolicy {EnforceAllowList|EnforceBlockList}",
               "FocusedInboxOn:Boolean", "MailTipsAllTipsEnabled:Boolean", "MailTipsExternalRecipientsTipsEnabled:Boolean",
               "MailTipsGroupMetricsEnabled:Boolean", "MailTipsLargeAudienceThreshold:UInt32", "OAuth2ClientProfileEnabled:Boolean",
               "PublicFoldersEnabled:PublicFoldersDeployment {None|Local|Remote}", "ReadTrackingEnabled:Boolean",
               "SmtpClientAuthenticationDisabled:Boolean", "UnifiedAuditLogIngestionEnabled:Boolean",
               "ActivityBasedAuthenticationTimeoutEnabled:Boolean", "ActivityBasedAuthenticationTimeoutInterval:EnhancedTimeSpan",
               "AllowPlusAddressInRecipients:Boolean", "BookingsEnabled:Boolean", "ConnectorsEnabled:Boolean",
               "DefaultAuthenticationPolicy:AuthPolicyIdParameter", "IsAgendaMailEnabled:Boolean", "LinkPreviewEnabled:Boolean",
               "MessageRemindersEnabled:Boolean", "OutlookMobileGCCRestrictionsEnabled:Boolean", "AdminAuditLogEnabled:Boolean",
               "AdminAuditLogAgeLimit:EnhancedTimeSpan", "AdminAuditLogCmdlets:MultiValuedProperty",
               "ExternalInOutlookEnabled:Boolean", "AllowList:MultiValuedProperty", "JournalingReportNdrTo:SmtpAddress",
               "MaxReceiveSize:Unlimited", "MaxSendSize:Unlimited", "MaxRecipientEnvelopeLimit:Unlimited",
               "ReplyAllStormProtectionEnabled:Boolean", "ReplyAllStormDetectionMinimumRecipients:Int32",
               "SmtpClientAuthenticationDisabled:Boolean", "AddressBookPolicyRoutingEnabled:Boolean",
               "ClearCategories:Boolean", "ConvertDisclaimerWrapperToEml:Boolean", "DSNConversionMode:DSNConversionOption {UseExchangeDSNs|PreserveDSNBody|DoNotConvert}",
               "RejectDirectSend:Boolean", "AzureRMSLicensingEnabled:Boolean", "InternalLicensingEnabled:Boolean",
               "SimplifiedClientAccessEnabled:Boolean", "DecryptAttachmentForEncryptOnly:Boolean", "GatewayIPAddresses:MultiValuedProperty",
               "IPSkipList:MultiValuedProperty", "MaxConcurrentMigrations:Unlimited", "Features:MultiValuedProperty"),
    "report": ("StartDate:DateTime", "EndDate:DateTime", "Page:Int32", "PageSize:Int32", "Direction {Inbound|Outbound}",
               "EventType:MultiValuedProperty", "SenderAddress:MultiValuedProperty", "RecipientAddress:MultiValuedProperty",
               "Domain:MultiValuedProperty", "AggregateBy {Hour|Day|Summary}", "ProbeTag", "MessageTraceId:Guid",
               "MessageId:MultiValuedProperty", "Action:MultiValuedProperty", "Status:MultiValuedProperty", "Mailbox:MailboxIdParameter",
               "FolderScope:ElcFolderType {All|Archive|Calendar|Contacts|ConversationHistory|DeletedItems|Drafts|Inbox|JunkEmail|Outbox|SentItems}",
               "IncludeOldestAndNewestItems:switch", "IncludeAnalysis:switch", "Archive:switch", "ResultSize:Unlimited",
               "LogStartDate:DateTime", "LogEndDate:DateTime", "Subject", "MeetingID", "ExactMatch:Boolean",
               "DetailLevel {Basic|Advanced}", "OutputProperties:PropertyDefinition[]", "EntryType:RecoverableItemsDuplicateEntryType",
               "FilterItemType", "FilterStartTime:DateTime", "FilterEndTime:DateTime", "SourceFolder {DeletedItems|RecoverableItems|PurgedItems}",
               "Operations:MultiValuedProperty", "LogonTypes:MultiValuedProperty", "ShowDetails:switch", "SummaryReport:switch",
               "ExternalAccess:Boolean", "ReportType", "SpoofType {Internal|External}", "Organization:OrganizationIdParameter",
               "Identities:MultiValuedProperty", "Export:switch", "DlpCompliancePolicy", "DlpComplianceRule", "Source:MultiValuedProperty",
               "MalwareName:MultiValuedProperty", "ThreatType:MultiValuedProperty", "IncludeHidden:switch"),
}
_GET_VOCAB = ("ResultSize:Unlimited", "Filter", "SortBy", "Organization:OrganizationIdParameter",
              "IncludeSoftDeleted:switch", "ReadFromDomainController:switch", "Credential:PSCredential",
              "Diagnostic:switch", "OrganizationalUnit:OrganizationalUnitIdParameter")
_THREAT_NOUN = ("Phish", "Spam", "Malware", "SafeLinks", "SafeAttachment", "ContentFilter", "ConnectionFilter", "Atp",
                "Quarantine", "SecOps", "ReportSubmission", "TeamsProtection", "RecipientFilter")
_COMPLIANCE_NOUN = ("Retention", "Dlp", "Compliance", "CaseHold", "Label", "Supervisory", "InformationBarrier",
                    "Alert", "PolicyTip")
_THREAT_WORDS = ("Spam", "Bulk", "Quarantine", "Phish", "Spoof", "Intelligence", "Targeted", "OrganizationDomains",
                 "FirstContact", "AuthenticationFail", "Action:", "Redirect", "File", "Zap", "ScanUrls",
                 "DeliverMessage", "InternalSenders", "Click", "Rewrite", "Senders", "SenderDomains", "BlockList",
                 "TestMode", "RecipientLimit", "Threshold", "AutoForwarding", "ESN")
_COMPLIANCE_WORDS = ("Retention", "Location", "Mode:", "ContentMatch", "Priority")
_COMMON_POLICY = ("IsDefault:", "MakeDefault:", "Enabled:", "AdminDisplayName", "Comment")


def _vocabulary(noun: str, kind: str) -> list[str]:
    """Parameter names that fit the noun: threat-protection, compliance or mailbox policies differ."""
    if kind != "policy":
        return list(_VOCAB[kind])
    specs = _VOCAB["policy"]
    if any(w in noun for w in _THREAT_NOUN):
        words: tuple[str, ...] = _THREAT_WORDS
    elif any(w in noun for w in _COMPLIANCE_NOUN):
        words = _COMPLIANCE_WORDS
    else:
        taken = _THREAT_WORDS + _COMPLIANCE_WORDS
        return [s for s in specs if s.startswith(_COMMON_POLICY) or not any(w in s for w in taken)]
    return [s for s in specs if s.startswith(_COMMON_POLICY) or any(w in s for w in words)]


_KIND_OF: dict[str, str] = {}
for _group, _nouns in (("policy", _POLICY_NOUNS), ("rule", _RULE_NOUNS), ("connector", _CONNECTOR_NOUNS),
                      ("recipient", _RECIPIENT_NOUNS), ("request", _REQUEST_NOUNS), ("config", _CONFIG_NOUNS),
                      ("report", _REPORT_NOUNS)):
    for _noun in _nouns:
        _KIND_OF.setdefault(_noun, _group)

_WEIGHT = {"Get": 6, "Set": 16, "New": 14, "Remove": 1, "Enable": 1, "Disable": 1, "Suspend": 2, "Resume": 2,
           "Test": 6}


def _rng(name: str) -> random.Random:
    return random.Random(int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big"))


def _kind(noun: str) -> str:
    return _KIND_OF.get(noun) or ("rule" if noun.endswith("Rule") else "policy" if noun.endswith("Policy")
                                  else "report" if noun.endswith(("Statistics", "Report", "Log")) else "recipient")


def _id_type(noun: str) -> str:
    """The -Identity type Exchange gives the noun (its own IdParameter, or a shared one)."""
    kind = _kind(noun)
    if noun.startswith(("Retention", "Owa", "MobileDevice", "Sharing", "RoleAssignment", "AddressBook")) \
            and noun.endswith("Policy"):
        return "MailboxPolicyIdParameter"
    if any(word in noun for word in ("Compliance", "Dlp", "CaseHold", "Label", "Supervisory")):
        return "ComplianceRuleIdParameter" if noun.endswith("Rule") else "PolicyIdParameter"
    if noun.endswith("Rule") and noun not in ("AntiPhishRule", "HostedContentFilterRule", "MalwareFilterRule",
                                              "SafeLinksRule", "SafeAttachmentRule", "HostedOutboundSpamFilterRule"):
        return "RuleIdParameter"
    if kind == "recipient" and len(noun) >= 20:
        return "RecipientIdParameter"
    if kind == "config":
        return "OrganizationIdParameter"
    return f"{noun}IdParameter"


def _base_params(verb: str, noun: str) -> list[str]:
    """The identity parameter every cmdlet of its verb has, as Exchange writes it."""
    kind = _kind(noun)
    ident = _id_type(noun)
    if verb == "New":
        return ["Name ! #1"]
    if kind == "config":
        return [f"Identity:{ident} #1 |"]
    if kind == "report" and verb == "Get":
        return []
    if verb == "Get":
        return [f"Identity:{ident} #1 |"]
    return [f"Identity:{ident} ! #1 |"]


def _synthetic_names(existing: set[str], count: int) -> list[str]:
    names: list[str] = []
    for noun, kind in _KIND_OF.items():
        for verb in _VERBS[kind]:
            names.append(f"{verb}-{noun}")
    names += list(_EXTRA)
    seen = set(existing)
    unique: list[str] = []
    for n in names:
        if n.lower() not in seen:
            seen.add(n.lower())
            unique.append(n)
    # Keep every Get-, then the rest in a stable hashed order, until the target is reached.
    unique.sort(key=lambda n: (not n.startswith("Get-"), hashlib.sha256(n.encode()).hexdigest()))
    return sorted(unique[:count], key=str.lower)


def _synthetic(existing: set[str], cmdlet_budget: int, param_budget: int) -> list[CmdletInfo]:
    names = _synthetic_names(existing, cmdlet_budget)
    bases = {n: _base_params(*n.split("-", 1)) for n in names}
    fixed = sum(len(b) for b in bases.values()) + sum(
        2 for n in names if n.split("-", 1)[0] in MUTATING_VERBS)
    spare = max(0, param_budget - fixed)
    weights = {n: _WEIGHT.get(n.split("-", 1)[0], 5) for n in names}
    total_w = sum(weights.values()) or 1
    quota = {n: spare * weights[n] // total_w for n in names}
    for n in names[: spare - sum(quota.values())]:  # hand out the rounding remainder
        quota[n] += 1
    out: list[CmdletInfo] = []
    for name in names:
        verb, noun = name.split("-", 1)
        kind = _kind(noun)
        r = _rng(name)
        vocab = _vocabulary(noun, kind)
        r.shuffle(vocab)
        specs = list(bases[name])
        taken = {s.split()[0].split(":")[0].lower() for s in specs} | {"confirm", "whatif"}
        pool = vocab + [s for s in _VOCAB["recipient"] + _GENERIC if s not in vocab]
        if verb == "Get" and kind != "report":
            pool = [*_GET_VOCAB, *pool]
        elif verb not in ("Set", "New"):
            pool = ["Force:switch", "IgnoreDefaultScope:switch", *pool]
        for spec in pool:
            if len(specs) - len(bases[name]) >= quota[name]:
                break
            pname = spec.split()[0].split(":")[0].lower()
            if pname in taken:
                continue
            taken.add(pname)
            specs.append(spec)
        noun_words = _words(noun)
        synopsis = f"Use the {name} cmdlet to {_VERB_TEXT.get(verb, verb.lower())} {noun_words} in your cloud-based organization."
        base_specs, rest = specs[: len(bases[name])], sorted(specs[len(bases[name]):], key=str.lower)
        out.append(c(name, synopsis, base_specs + rest))
    return out


_VERB_TEXT = {"Get": "view", "Set": "modify", "New": "create", "Remove": "remove", "Enable": "enable",
              "Disable": "disable", "Test": "test", "Suspend": "suspend", "Resume": "resume", "Start": "start",
              "Stop": "stop", "Add": "add", "Search": "search", "Export": "export", "Import": "import",
              "Update": "update", "Clear": "clear", "Release": "release", "Delete": "delete", "Preview": "preview"}


def _words(noun: str) -> str:
    out = []
    for i, ch in enumerate(noun):
        if ch.isupper() and i and (not noun[i - 1].isupper() or (i + 1 < len(noun) and noun[i + 1].islower())):
            out.append(" ")
        out.append(ch)
    return "".join(out).lower() + ("s" if not noun.endswith(("s", "Config", "Settings")) else "")


def modeled_names() -> frozenset[str]:
    """Lower-cased names of the cmdlets written out above (modeled behaviour or meta)."""
    return frozenset(x.name.lower() for x in _modeled())


@lru_cache(maxsize=1)
def builtin_catalog() -> Catalog:
    """The built-in catalog: modeled cmdlets + synthetic ones, about 730 cmdlets / 6,900 parameters."""
    modeled = _modeled()
    used = sum(len(x.parameters) for x in modeled)
    synthetic = _synthetic({x.name.lower() for x in modeled}, TARGET_CMDLETS - len(modeled),
                           TARGET_PARAMETERS - used)
    return Catalog([*modeled, *synthetic])
