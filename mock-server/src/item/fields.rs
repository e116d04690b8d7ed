//! The FieldURI registry: which property paths are valid (the schema's `UnindexedFieldURIType` and
//! `DictionaryURIType` enumerations), and how the mock reads a modelled property's value for
//! restrictions and sorting.
//!
//! A FieldURI outside the enumeration is a schema violation, so it is an ErrorSchemaValidation
//! fault, as Exchange gives it. A valid FieldURI the mock does not model is tolerated: in a shape it
//! is simply not written (Exchange omits properties an item does not have), and in a restriction it
//! is a property the item does not have (comparisons are false, `Exists` is false).
//! See <https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/fielduri>.

use std::collections::HashSet;
use std::sync::OnceLock;

use chrono::DateTime;
use roxmltree::Node;

use super::{Item, ItemKind};
use crate::fault::Fault;
use crate::ns;
use crate::xml::read::{self, is, missing_attribute};

/// Every `UnindexedFieldURIType` value of the Exchange Online schema (types.xsd), in schema order.
const UNINDEXED: &str = "\
    folder:FolderId folder:ParentFolderId folder:DisplayName folder:UnreadCount folder:TotalCount folder:ChildFolderCount \
    folder:FolderClass folder:SearchParameters folder:ManagedFolderInformation folder:PermissionSet folder:EffectiveRights \
    folder:SharingEffectiveRights folder:DistinguishedFolderId folder:PolicyTag folder:ArchiveTag folder:ReplicaList \
    item:ItemId item:ParentFolderId item:ItemClass item:MimeContent item:Attachments item:Subject item:DateTimeReceived \
    item:Size item:Categories item:HasAttachments item:Importance item:InReplyTo item:InternetMessageHeaders \
    item:IsAssociated item:IsDraft item:IsFromMe item:IsResend item:IsSubmitted item:IsUnmodified item:DateTimeSent \
    item:DateTimeCreated item:Body item:ResponseObjects item:Sensitivity item:ReminderDueBy item:ReminderIsSet \
    item:ReminderNextTime item:ReminderMinutesBeforeStart item:DisplayTo item:DisplayCc item:DisplayBcc \
    item:Culture item:EffectiveRights item:LastModifiedName item:LastModifiedTime item:ConversationId \
    item:UniqueBody item:Flag item:StoreEntryId item:InstanceKey item:NormalizedBody item:EntityExtractionResult \
    item:PolicyTag item:ArchiveTag item:RetentionDate item:Preview item:PredictedActionReasons item:IsClutter \
    item:RightsManagementLicenseData item:BlockStatus item:HasBlockedImages item:WebClientReadFormQueryString \
    item:WebClientEditFormQueryString item:TextBody item:IconIndex item:MimeContentUTF8 item:Mentions \
    item:MentionedMe item:MentionsPreview item:MentionsEx item:Hashtags item:AppliedHashtags item:AppliedHashtagsPreview \
    item:Likes item:LikesPreview item:PendingSocialActivityTagIds item:AtAllMention item:CanDelete item:InferenceClassification \
    item:FirstBody message:ConversationIndex message:ConversationTopic message:InternetMessageId message:IsRead \
    message:IsResponseRequested message:IsReadReceiptRequested message:IsDeliveryReceiptRequested message:ReceivedBy \
    message:ReceivedRepresenting message:References message:ReplyTo message:From message:Sender message:ToRecipients \
    message:CcRecipients message:BccRecipients message:ApprovalRequestData message:VotingInformation \
    message:ReminderMessageData message:PublishedCalendarItemIcs message:PublishedCalendarItemName message:MessageSafety \
    sharingMessage:SharingMessageAction meeting:AssociatedCalendarItemId meeting:IsDelegated meeting:IsOutOfDate \
    meeting:HasBeenProcessed meeting:ResponseType meeting:ProposedStart meeting:ProposedEnd meeting:DoNotForwardMeeting \
    meetingRequest:MeetingRequestType meetingRequest:IntendedFreeBusyStatus meetingRequest:ChangeHighlights \
    calendar:Start calendar:End calendar:OriginalStart calendar:StartWallClock calendar:EndWallClock \
    calendar:StartTimeZoneId calendar:EndTimeZoneId calendar:IsAllDayEvent calendar:LegacyFreeBusyStatus \
    calendar:Location calendar:EnhancedLocation calendar:When calendar:IsMeeting calendar:IsCancelled \
    calendar:IsRecurring calendar:MeetingRequestWasSent calendar:IsResponseRequested calendar:CalendarItemType \
    calendar:MyResponseType calendar:Organizer calendar:RequiredAttendees calendar:OptionalAttendees \
    calendar:Resources calendar:ConflictingMeetingCount calendar:AdjacentMeetingCount calendar:ConflictingMeetings \
    calendar:AdjacentMeetings calendar:InboxReminders calendar:Duration calendar:TimeZone calendar:AppointmentReplyTime \
    calendar:AppointmentSequenceNumber calendar:AppointmentState calendar:Recurrence calendar:FirstOccurrence \
    calendar:LastOccurrence calendar:ModifiedOccurrences calendar:DeletedOccurrences calendar:MeetingTimeZone \
    calendar:ConferenceType calendar:AllowNewTimeProposal calendar:IsOnlineMeeting calendar:MeetingWorkspaceUrl \
    calendar:NetShowUrl calendar:UID calendar:RecurrenceId calendar:DateTimeStamp calendar:StartTimeZone \
    calendar:EndTimeZone calendar:JoinOnlineMeetingUrl calendar:OnlineMeetingSettings calendar:IsOrganizer \
    calendar:CalendarActivityData calendar:DoNotForwardMeeting task:ActualWork task:AssignedTime task:BillingInformation \
    task:ChangeCount task:Companies task:CompleteDate task:Contacts task:DelegationState task:Delegator \
    task:DueDate task:IsAssignmentEditable task:IsComplete task:IsRecurring task:IsTeamTask task:Mileage \
    task:Owner task:PercentComplete task:Recurrence task:StartDate task:Status task:StatusDescription \
    task:TotalWork contacts:Alias contacts:AssistantName contacts:Birthday contacts:BusinessHomePage \
    contacts:Children contacts:Companies contacts:CompanyName contacts:CompleteName contacts:ContactSource \
    contacts:Culture contacts:Department contacts:DisplayName contacts:DirectoryId contacts:DirectReports \
    contacts:EmailAddresses contacts:AbchEmailAddresses contacts:FileAs contacts:FileAsMapping contacts:Generation \
    contacts:GivenName contacts:ImAddresses contacts:Initials contacts:JobTitle contacts:Manager contacts:ManagerMailbox \
    contacts:MiddleName contacts:Mileage contacts:MSExchangeCertificate contacts:Nickname contacts:Notes \
    contacts:OfficeLocation contacts:PhoneNumbers contacts:PhoneticFullName contacts:PhoneticFirstName \
    contacts:PhoneticLastName contacts:Photo contacts:PhysicalAddresses contacts:PostalAddressIndex contacts:Profession \
    contacts:SpouseName contacts:Surname contacts:WeddingAnniversary contacts:UserSMIMECertificate contacts:HasPicture \
    contacts:AccountName contacts:IsAutoUpdateDisabled contacts:IsMessengerEnabled contacts:Comment contacts:ContactShortId \
    contacts:ContactType contacts:CreatedBy contacts:Gender contacts:IsHidden contacts:ObjectId contacts:PassportId \
    contacts:IsPrivate contacts:SourceId contacts:TrustLevel contacts:Urls contacts:Cid contacts:SkypeAuthCertificate \
    contacts:SkypeContext contacts:SkypeId contacts:XboxLiveTag contacts:SkypeRelationship contacts:YomiNickname \
    contacts:InviteFree contacts:HidePresenceAndProfile contacts:IsPendingOutbound contacts:SupportGroupFeeds \
    contacts:UserTileHash contacts:UnifiedInbox contacts:Mris contacts:Wlid contacts:AbchContactId contacts:NotInBirthdayCalendar \
    contacts:ShellContactType contacts:ImMri contacts:PresenceTrustLevel contacts:OtherMri contacts:ProfileLastChanged \
    contacts:MobileIMEnabled distributionlist:Members contacts:PartnerNetworkProfilePhotoUrl contacts:PartnerNetworkThumbnailPhotoUrl \
    contacts:PersonId contacts:ConversationGuid postitem:PostedTime person:FullName person:GivenName \
    person:Surname person:PhoneNumber person:SMSNumber person:EmailAddress person:Alias person:Department \
    person:LinkedInProfileLink person:Skills person:ProfessionalBiography person:ManagementChain person:DirectReports \
    person:Peers person:TeamSize person:CurrentJob person:Birthday person:Hometown person:CurrentLocation \
    person:CompanyProfile person:Office person:Headline person:MutualConnections person:Title person:MutualManager \
    person:Insights person:UserProfilePicture rolemember:MemberType rolemember:MemberId rolemember:DisplayName \
    network:TokenRefreshLastCompleted network:TokenRefreshLastAttempted network:SyncEnabled network:RejectedOffers \
    network:SessionHandle network:RefreshTokenExpiry2 network:RefreshToken2 network:PsaLastChanged network:Offers \
    network:LastWelcomeContact network:LastVersionSaved network:DomainTag network:FirstAuthErrorDates \
    network:ErrorOffers network:ContactSyncSuccess network:ContactSyncError network:ClientToken2 network:ClientToken \
    network:ClientPublishSecret network:UserEmail network:AutoLinkSuccess network:AutoLinkError network:IsDefault \
    network:Settings network:ProfileUrl network:UserTileUrl network:DomainId network:DisplayName network:AccountName \
    network:SourceEntryID abchperson:FavoriteOrder abchperson:PersonId abchperson:ExchangePersonIdGuid \
    abchperson:AntiLinkInfo abchperson:RelevanceOrder1 abchperson:RelevanceOrder2 abchperson:ContactHandles \
    abchperson:Categories booking:ServiceIds booking:StaffIds booking:StaffInitials booking:CustomerName \
    booking:CustomerEmail booking:CustomerPhone booking:CustomerId insight:InsightId insight:Type insight:StartTimeUtc \
    insight:EndTimeUtc insight:Status insight:Version insight:ApplicationsIds insight:Text insight:SuggestedActions \
    insight:AppContexts";

/// Every `DictionaryURIType` value (the `FieldURI` of `t:IndexedFieldURI`).
const DICTIONARY: &[&str] = &[
    "item:InternetMessageHeader",
    "contacts:ImAddress",
    "contacts:PhysicalAddress:Street",
    "contacts:PhysicalAddress:City",
    "contacts:PhysicalAddress:State",
    "contacts:PhysicalAddress:CountryOrRegion",
    "contacts:PhysicalAddress:PostalCode",
    "contacts:PhoneNumber",
    "contacts:EmailAddress",
    "distributionlist:Members:Member",
];

const XSD_UNINDEXED: &str = "http://schemas.microsoft.com/exchange/services/2006/types:UnindexedFieldURIType";
const XSD_DICTIONARY: &str = "http://schemas.microsoft.com/exchange/services/2006/types:DictionaryURIType";

fn unindexed() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| UNINDEXED.split_ascii_whitespace().collect())
}

/// A property path (`t:Path` substitution group) as a request names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Path {
    /// `t:FieldURI FieldURI="item:Subject"`: the value, borrowed from the enumeration.
    Field(&'static str),
    /// `t:IndexedFieldURI FieldURI=… FieldIndex=…`; the mock models no indexed property.
    Indexed,
    /// `t:ExtendedFieldURI …`; the mock stores no extended (MAPI) property.
    Extended,
}

impl Path {
    /// The FieldURI, for unindexed paths.
    pub(crate) fn field(&self) -> Option<&'static str> {
        match self {
            Path::Field(uri) => Some(uri),
            _ => None,
        }
    }
}

/// Reads a `t:FieldURI`, `t:IndexedFieldURI` or `t:ExtendedFieldURI` element.
pub(crate) fn parse_path(node: Node) -> Result<Path, Fault> {
    if is(node, ns::TYPES, "FieldURI") {
        let raw = node.attribute("FieldURI").ok_or_else(|| missing_attribute(node, "FieldURI"))?;
        let uri = unindexed().get(raw).ok_or_else(|| {
            read::invalid_attribute(node, "FieldURI", raw, XSD_UNINDEXED, "The Enumeration constraint failed.")
        })?;
        return Ok(Path::Field(uri));
    }
    if is(node, ns::TYPES, "IndexedFieldURI") {
        let raw = node.attribute("FieldURI").ok_or_else(|| missing_attribute(node, "FieldURI"))?;
        if !DICTIONARY.contains(&raw) {
            return Err(read::invalid_attribute(
                node,
                "FieldURI",
                raw,
                XSD_DICTIONARY,
                "The Enumeration constraint failed.",
            ));
        }
        node.attribute("FieldIndex").ok_or_else(|| missing_attribute(node, "FieldIndex"))?;
        return Ok(Path::Indexed);
    }
    if is(node, ns::TYPES, "ExtendedFieldURI") {
        return Ok(Path::Extended);
    }
    Err(read::invalid_child(
        node.parent_element().unwrap_or(node),
        node,
        &["FieldURI", "IndexedFieldURI", "ExtendedFieldURI"],
        ns::TYPES,
    ))
}

/// A property value, as restrictions and sorting compare it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    /// A string (also enumerations such as Importance).
    Str(String),
    /// A multi-valued string (Categories).
    Strs(Vec<String>),
    /// A date-time, Unix seconds.
    Time(i64),
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
}

/// The type of a modelled property, which decides how a restriction's constant is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ValueKind {
    /// Strings and enumerations.
    Str,
    /// Date-times.
    Time,
    /// Booleans.
    Bool,
    /// Integers.
    Int,
}

/// The type of a modelled property; `None` for properties the mock does not model.
pub(crate) fn kind(uri: &str) -> Option<ValueKind> {
    Some(match uri {
        "item:Subject"
        | "item:ItemClass"
        | "item:Importance"
        | "item:Sensitivity"
        | "item:Categories"
        | "item:DisplayTo"
        | "item:DisplayCc"
        | "item:Body"
        | "item:LastModifiedName"
        | "calendar:Location"
        | "calendar:LegacyFreeBusyStatus"
        | "calendar:UID"
        | "calendar:MyResponseType"
        | "calendar:CalendarItemType"
        | "message:ConversationTopic" => ValueKind::Str,
        "item:DateTimeCreated"
        | "item:DateTimeReceived"
        | "item:DateTimeSent"
        | "item:LastModifiedTime"
        | "item:ReminderDueBy"
        | "calendar:Start"
        | "calendar:End" => ValueKind::Time,
        "item:HasAttachments"
        | "item:ReminderIsSet"
        | "item:IsAssociated"
        | "calendar:IsMeeting"
        | "calendar:IsAllDayEvent"
        | "calendar:IsCancelled"
        | "calendar:IsRecurring"
        | "calendar:MeetingRequestWasSent"
        | "message:IsRead" => ValueKind::Bool,
        "item:Size" | "item:ReminderMinutesBeforeStart" => ValueKind::Int,
        _ => return None,
    })
}

/// Reads a restriction constant as a value of `kind`; `None` when it does not parse.
pub(crate) fn constant(kind: ValueKind, raw: &str) -> Option<Value> {
    let raw = raw.trim();
    match kind {
        ValueKind::Str => Some(Value::Str(raw.to_string())),
        ValueKind::Time => DateTime::parse_from_rfc3339(raw)
            .map(|d| d.timestamp())
            .ok()
            .or_else(|| {
                chrono::NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S%.f").ok().map(|n| n.and_utc().timestamp())
            })
            .map(Value::Time),
        ValueKind::Bool => match raw {
            "true" | "1" => Some(Value::Bool(true)),
            "false" | "0" => Some(Value::Bool(false)),
            _ => None,
        },
        ValueKind::Int => raw.parse().ok().map(Value::Int),
    }
}

/// Whether an item of this kind carries calendar properties (Start, End, Location, …).
pub(crate) fn has_calendar_part(kind: ItemKind) -> bool {
    kind != ItemKind::Message
}

/// The item's size in bytes as the mock reports it: a fixed overhead plus its text, so it
/// grows with the content as Exchange's does.
pub(crate) fn size(item: &Item) -> i64 {
    let f = &item.fields;
    let text = f.subject.as_deref().map_or(0, str::len)
        + f.body.as_ref().map_or(0, |b| b.text.len())
        + f.location.as_deref().map_or(0, str::len)
        + f.categories.iter().map(|c| c.len()).sum::<usize>()
        + f.required_attendees
            .iter()
            .chain(&f.optional_attendees)
            .chain(&f.resources)
            .map(|a| a.email.len() + 32)
            .sum::<usize>();
    (1024 + text) as i64
}

/// The value of a modelled property on an item; `None` when the item does not have it.
pub(crate) fn value(item: &Item, uri: &str) -> Option<Value> {
    let f = &item.fields;
    let s = &item.server;
    let cal = has_calendar_part(item.kind);
    let text = |v: Option<&str>| v.map(|v| Value::Str(v.to_string()));
    match uri {
        "item:Subject" => text(f.subject.as_deref()),
        "item:ItemClass" => text(Some(item.kind.item_class())),
        "item:Importance" => text(Some(f.importance.map_or("Normal", |v| v.as_str()))),
        "item:Sensitivity" => text(Some(f.sensitivity.map_or("Normal", |v| v.as_str()))),
        "item:Categories" if !f.categories.is_empty() => {
            Some(Value::Strs(f.categories.iter().map(|c| c.to_string()).collect()))
        }
        "item:Body" => f.body.as_ref().map(|b| Value::Str(b.text.to_string())),
        "item:DateTimeCreated" | "item:DateTimeReceived" | "item:DateTimeSent" => Some(Value::Time(item.created)),
        "item:LastModifiedTime" => Some(Value::Time(item.modified)),
        "item:ReminderDueBy" => reminder_due_by(item).map(Value::Time),
        "item:HasAttachments" => Some(Value::Bool(false)),
        "item:IsAssociated" => Some(Value::Bool(false)),
        "item:ReminderIsSet" => Some(Value::Bool(reminder_is_set(item))),
        "item:ReminderMinutesBeforeStart" => Some(Value::Int(reminder_minutes(item).into())),
        "item:Size" => Some(Value::Int(size(item))),
        "calendar:Start" if cal => f.start.map(Value::Time),
        "calendar:End" if cal => f.end.map(Value::Time),
        "calendar:Location" if cal => text(f.location.as_deref()),
        "calendar:UID" if cal => text(s.uid.as_deref()),
        "calendar:LegacyFreeBusyStatus" if cal => text(Some(f.legacy_free_busy_status.map_or("Busy", |v| v.as_str()))),
        "calendar:MyResponseType" if cal => s.my_response_type.map(|v| Value::Str(v.as_str().to_string())),
        "calendar:CalendarItemType" if cal => text(Some("Single")),
        "calendar:IsMeeting" if cal => Some(Value::Bool(s.is_meeting || item.kind != ItemKind::CalendarItem)),
        "calendar:IsAllDayEvent" if cal => Some(Value::Bool(f.is_all_day_event.unwrap_or(false))),
        "calendar:IsCancelled" if cal => Some(Value::Bool(s.is_cancelled)),
        "calendar:IsRecurring" if cal => Some(Value::Bool(false)),
        "calendar:MeetingRequestWasSent" if cal => Some(Value::Bool(s.meeting_request_was_sent)),
        "message:ConversationTopic" if item.kind != ItemKind::CalendarItem => text(f.subject.as_deref()),
        "message:IsRead" if item.kind != ItemKind::CalendarItem => Some(Value::Bool(is_read(item))),
        _ => None,
    }
}

/// `ReminderIsSet`: as set, else Exchange's default (on for calendar items and meeting requests).
pub(crate) fn reminder_is_set(item: &Item) -> bool {
    item.fields.reminder_is_set.unwrap_or(matches!(item.kind, ItemKind::CalendarItem | ItemKind::MeetingRequest))
}

/// `ReminderMinutesBeforeStart`: as set, else Exchange's default of 15 for calendar items.
pub(crate) fn reminder_minutes(item: &Item) -> i32 {
    item.fields.reminder_minutes_before_start.unwrap_or(if has_calendar_part(item.kind) { 15 } else { 0 })
}

/// `ReminderDueBy`: as set, else the start when a reminder is set.
pub(crate) fn reminder_due_by(item: &Item) -> Option<i64> {
    item.fields.reminder_due_by.or_else(|| if reminder_is_set(item) { item.fields.start } else { None })
}

/// `IsRead`: delivered messages are unread; the sender's own copies are read.
pub(crate) fn is_read(item: &Item) -> bool {
    item.folder != crate::store::FolderKind::Inbox
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(xml: &str) -> Result<Path, Fault> {
        let xml = format!("<r xmlns:t='{}'>{xml}</r>", ns::TYPES);
        let doc = roxmltree::Document::parse(&xml).expect("well-formed test input");
        let node = doc.root_element().first_element_child().expect("one child");
        parse_path(node)
    }

    #[test]
    fn every_field_uri_exchangelib_asks_for_is_valid() {
        for uri in [
            "calendar:AdjacentMeetingCount",
            "item:WebClientReadFormQueryString",
            "meeting:ProposedEnd",
            "meetingRequest:MeetingRequestType",
            "message:ReminderMessageData",
            "calendar:UID",
        ] {
            assert_eq!(path(&format!("<t:FieldURI FieldURI='{uri}'/>")).expect(uri), Path::Field(uri));
        }
        assert_eq!(unindexed().len(), 369);
    }

    #[test]
    fn a_field_uri_outside_the_enumeration_is_a_schema_fault() {
        let err = path("<t:FieldURI FieldURI='item:Subjekt'/>").expect_err("invalid");
        assert!(err.text.contains("'item:Subjekt' is invalid according to its datatype"), "{}", err.text);
        assert!(err.text.contains("UnindexedFieldURIType"), "{}", err.text);
    }

    #[test]
    fn indexed_and_extended_paths_are_tolerated() {
        assert_eq!(
            path("<t:IndexedFieldURI FieldURI='item:InternetMessageHeader' FieldIndex='X-A'/>").expect("ok"),
            Path::Indexed
        );
        assert_eq!(
            path("<t:ExtendedFieldURI PropertyTag='0x1000' PropertyType='String'/>").expect("ok"),
            Path::Extended
        );
    }

    #[test]
    fn constants_are_read_by_the_field_type() {
        assert_eq!(constant(ValueKind::Time, "2026-01-05T09:00:00Z"), Some(Value::Time(1_767_603_600)));
        assert_eq!(constant(ValueKind::Bool, "1"), Some(Value::Bool(true)));
        assert_eq!(constant(ValueKind::Time, "soon"), None);
    }
}
