//! Element order of the EWS item types, from the Exchange Online schema (types.xsd).
//!
//! `xs:sequence` means children must come in this order; requests are checked against it and
//! responses are written in it. Source: `../shared/protocol/protocol.md` §7.

const ITEM_TYPE: [&str; 71] = [
    "MimeContent",
    "ItemId",
    "ParentFolderId",
    "ItemClass",
    "Subject",
    "Sensitivity",
    "Body",
    "Attachments",
    "DateTimeReceived",
    "Size",
    "Categories",
    "Importance",
    "InReplyTo",
    "IsSubmitted",
    "IsDraft",
    "IsFromMe",
    "IsResend",
    "IsUnmodified",
    "InternetMessageHeaders",
    "DateTimeSent",
    "DateTimeCreated",
    "ResponseObjects",
    "ReminderDueBy",
    "ReminderIsSet",
    "ReminderNextTime",
    "ReminderMinutesBeforeStart",
    "DisplayCc",
    "DisplayTo",
    "DisplayBcc",
    "HasAttachments",
    "ExtendedProperty",
    "Culture",
    "EffectiveRights",
    "LastModifiedName",
    "LastModifiedTime",
    "IsAssociated",
    "WebClientReadFormQueryString",
    "WebClientEditFormQueryString",
    "ConversationId",
    "UniqueBody",
    "Flag",
    "StoreEntryId",
    "InstanceKey",
    "NormalizedBody",
    "EntityExtractionResult",
    "PolicyTag",
    "ArchiveTag",
    "RetentionDate",
    "Preview",
    "RightsManagementLicenseData",
    "PredictedActionReasons",
    "IsClutter",
    "BlockStatus",
    "HasBlockedImages",
    "TextBody",
    "IconIndex",
    "SearchKey",
    "SortKey",
    "Hashtags",
    "Mentions",
    "MentionedMe",
    "MentionsPreview",
    "MentionsEx",
    "AppliedHashtags",
    "AppliedHashtagsPreview",
    "Likes",
    "LikesPreview",
    "PendingSocialActivityTagIds",
    "AtAllMention",
    "CanDelete",
    "InferenceClassification",
];

/// `t:ItemType`, 71 elements.
pub(crate) const ITEM: &[&str] = &ITEM_TYPE;

/// `t:CalendarItemType`'s extension of ItemType.
const CALENDAR_EXTENSION: [&str; 55] = [
    "UID",
    "RecurrenceId",
    "DateTimeStamp",
    "Start",
    "End",
    "OriginalStart",
    "IsAllDayEvent",
    "LegacyFreeBusyStatus",
    "Location",
    "When",
    "IsMeeting",
    "IsCancelled",
    "IsRecurring",
    "MeetingRequestWasSent",
    "IsResponseRequested",
    "CalendarItemType",
    "MyResponseType",
    "Organizer",
    "RequiredAttendees",
    "OptionalAttendees",
    "Resources",
    "InboxReminders",
    "ConflictingMeetingCount",
    "AdjacentMeetingCount",
    "ConflictingMeetings",
    "AdjacentMeetings",
    "Duration",
    "TimeZone",
    "AppointmentReplyTime",
    "AppointmentSequenceNumber",
    "AppointmentState",
    "Recurrence",
    "FirstOccurrence",
    "LastOccurrence",
    "ModifiedOccurrences",
    "DeletedOccurrences",
    "MeetingTimeZone",
    "StartTimeZone",
    "EndTimeZone",
    "ConferenceType",
    "AllowNewTimeProposal",
    "IsOnlineMeeting",
    "MeetingWorkspaceUrl",
    "NetShowUrl",
    "EnhancedLocation",
    "StartWallClock",
    "EndWallClock",
    "StartTimeZoneId",
    "EndTimeZoneId",
    "IntendedFreeBusyStatus",
    "JoinOnlineMeetingUrl",
    "OnlineMeetingSettings",
    "IsOrganizer",
    "CalendarActivityData",
    "DoNotForwardMeeting",
];

/// `t:CalendarItemType`: `t:ItemType` followed by its 55 own elements.
pub(crate) const CALENDAR_ITEM: &[&str] = &concat::<71, 55, 126>(ITEM_TYPE, CALENDAR_EXTENSION);

/// `a` followed by `b`, at compile time (`C` must be `A + B`).
const fn concat<const A: usize, const B: usize, const C: usize>(
    a: [&'static str; A],
    b: [&'static str; B],
) -> [&'static str; C] {
    assert!(A + B == C, "C must be A + B");
    let mut out = [""; C];
    let mut i = 0;
    while i < A {
        out[i] = a[i];
        i += 1;
    }
    while i < C {
        out[i] = b[i - A];
        i += 1;
    }
    out
}
