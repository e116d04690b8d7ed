//! The item model: what the mock stores for calendar items, meeting messages and messages.
//!
//! Strings are `Box<str>` and server-set flags are packed small: a long-running mock holds
//! millions of items (see the benchmark), so every word per item counts.

pub(crate) mod fields;
pub(crate) mod order;
pub(crate) mod parse;
pub(crate) mod shape;
pub(crate) mod write;

use crate::tenant::MailboxIdx;

/// Declares an EWS enumeration with its wire spelling and its schema type name.
macro_rules! ews_enum {
    ($(#[$meta:meta])* $name:ident, $xsd:literal, { $($variant:ident),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[allow(clippy::enum_variant_names)] // variants copy the schema's names (SendToNone, …)
        pub enum $name {
            $(
                #[allow(missing_docs)]
                $variant,
            )+
        }

        impl $name {
            /// The schema type's name, for validation messages.
            pub(crate) const XSD: &'static str = concat!("http://schemas.microsoft.com/exchange/services/2006/types:", $xsd);

            /// The value as spelled on the wire.
            #[allow(dead_code)] // not every enum is written back; the spelling is kept beside the parser
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => stringify!($variant),)+ }
            }

            /// Parses the wire spelling.
            pub(crate) fn parse(s: &str) -> Option<Self> {
                match s { $(stringify!($variant) => Some($name::$variant),)+ _ => None }
            }
        }
    };
}
pub(crate) use ews_enum;

ews_enum!(
    /// `t:Sensitivity`. See <https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/sensitivity>.
    Sensitivity, "SensitivityChoicesType", { Normal, Personal, Private, Confidential }
);
ews_enum!(
    /// `t:Importance`. See <https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/importance>.
    Importance, "ImportanceChoicesType", { Low, Normal, High }
);
ews_enum!(
    /// `t:LegacyFreeBusyStatus`. See <https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/legacyfreebusystatus>.
    LegacyFreeBusyStatus, "LegacyFreeBusyType", { Free, Tentative, Busy, OOF, WorkingElsewhere, NoData }
);
ews_enum!(
    /// `t:Body/@BodyType`. See <https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/body>.
    BodyType, "BodyTypeType", { HTML, Text }
);
ews_enum!(
    /// `t:ResponseType` of an attendee or `t:MyResponseType`. See <https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/responsetype>.
    ResponseType, "ResponseTypeType", { Unknown, Organizer, Tentative, Accept, Decline, NoResponseReceived }
);
ews_enum!(
    /// `SendMeetingInvitations` / `SendMeetingCancellations`. See <https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/createitem>.
    SendMeetingInvitations, "CalendarItemCreateOrDeleteOperationType", { SendToNone, SendOnlyToAll, SendToAllAndSaveCopy }
);

/// Writes Unix seconds as `YYYY-MM-DDTHH:MM:SSZ` in JSON, as EWS writes them.
fn rfc3339<S: serde::Serializer>(t: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    match t.and_then(|t| chrono::DateTime::from_timestamp(t, 0)) {
        Some(d) => s.serialize_str(&d.format("%Y-%m-%dT%H:%M:%SZ").to_string()),
        None => s.serialize_none(),
    }
}

/// Reads what [`rfc3339`] wrote (any RFC 3339 time, or null).
fn from_rfc3339<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let text: Option<String> = serde::Deserialize::deserialize(d)?;
    text.map(|t| chrono::DateTime::parse_from_rfc3339(&t).map(|d| d.timestamp()).map_err(serde::de::Error::custom))
        .transpose()
}

/// What kind of item this is; it decides the element name (`t:CalendarItem`, …) and ItemClass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ItemKind {
    /// `t:CalendarItem`, `IPM.Appointment`.
    CalendarItem,
    /// `t:MeetingRequest`, `IPM.Schedule.Meeting.Request`.
    MeetingRequest,
    /// `t:MeetingCancellation`, `IPM.Schedule.Meeting.Canceled`.
    MeetingCancellation,
    /// `t:Message`, `IPM.Note`.
    Message,
}

impl ItemKind {
    /// The element name in the types namespace.
    pub fn element(self) -> &'static str {
        match self {
            ItemKind::CalendarItem => "CalendarItem",
            ItemKind::MeetingRequest => "MeetingRequest",
            ItemKind::MeetingCancellation => "MeetingCancellation",
            ItemKind::Message => "Message",
        }
    }

    /// The MAPI message class.
    pub fn item_class(self) -> &'static str {
        match self {
            ItemKind::CalendarItem => "IPM.Appointment",
            ItemKind::MeetingRequest => "IPM.Schedule.Meeting.Request",
            ItemKind::MeetingCancellation => "IPM.Schedule.Meeting.Canceled",
            ItemKind::Message => "IPM.Note",
        }
    }
}

/// An item body.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Body {
    /// HTML or Text.
    pub body_type: BodyType,
    /// The content.
    pub text: Box<str>,
}

/// An attendee (or organizer) address.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Attendee {
    /// Display name, if given.
    pub name: Option<Box<str>>,
    /// SMTP address.
    pub email: Box<str>,
    /// The attendee's response.
    pub response: Option<ResponseType>,
}

/// The fields a client can set on an item (ItemType and CalendarItemType parts the mock models).
///
/// Field names follow the schema; `None`/empty means "not set".
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ItemFields {
    /// `item:Subject`.
    pub subject: Option<Box<str>>,
    /// `item:Sensitivity`.
    pub sensitivity: Option<Sensitivity>,
    /// `item:Body`.
    pub body: Option<Body>,
    /// `item:Categories`.
    pub categories: Vec<Box<str>>,
    /// `item:Importance`.
    pub importance: Option<Importance>,
    /// `item:ReminderDueBy` (Unix seconds).
    #[serde(serialize_with = "rfc3339", deserialize_with = "from_rfc3339")]
    pub reminder_due_by: Option<i64>,
    /// `item:ReminderIsSet`.
    pub reminder_is_set: Option<bool>,
    /// `item:ReminderMinutesBeforeStart`.
    pub reminder_minutes_before_start: Option<i32>,
    /// `calendar:Start` (Unix seconds).
    #[serde(serialize_with = "rfc3339", deserialize_with = "from_rfc3339")]
    pub start: Option<i64>,
    /// `calendar:End` (Unix seconds).
    #[serde(serialize_with = "rfc3339", deserialize_with = "from_rfc3339")]
    pub end: Option<i64>,
    /// `calendar:IsAllDayEvent`.
    pub is_all_day_event: Option<bool>,
    /// `calendar:LegacyFreeBusyStatus`.
    pub legacy_free_busy_status: Option<LegacyFreeBusyStatus>,
    /// `calendar:Location`.
    pub location: Option<Box<str>>,
    /// `calendar:RequiredAttendees`.
    pub required_attendees: Vec<Attendee>,
    /// `calendar:OptionalAttendees`.
    pub optional_attendees: Vec<Attendee>,
    /// `calendar:Resources`.
    pub resources: Vec<Attendee>,
    /// `calendar:MeetingTimeZone` (its TimeZoneName).
    pub meeting_time_zone: Option<Box<str>>,
    /// `calendar:StartTimeZone` (its Id).
    pub start_time_zone: Option<Box<str>>,
    /// `calendar:EndTimeZone` (its Id).
    pub end_time_zone: Option<Box<str>>,
}

impl ItemFields {
    /// Whether the item has attendees, which makes a calendar item a meeting.
    pub fn has_attendees(&self) -> bool {
        !(self.required_attendees.is_empty() && self.optional_attendees.is_empty() && self.resources.is_empty())
    }
}

/// Values the server sets, never the client.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ServerFields {
    /// `calendar:IsMeeting`.
    pub is_meeting: bool,
    /// `calendar:MeetingRequestWasSent`.
    pub meeting_request_was_sent: bool,
    /// `calendar:IsCancelled`.
    pub is_cancelled: bool,
    /// `calendar:MyResponseType`.
    pub my_response_type: Option<ResponseType>,
    /// `calendar:Organizer` as a mailbox index of the tenant.
    pub organizer: Option<MailboxIdx>,
    /// `calendar:UID`, shared by a meeting's copies in every mailbox.
    pub uid: Option<Box<str>>,
    /// For meeting messages: the calendar item in the same mailbox they refer to.
    pub associated: Option<u64>,
}

/// A stored item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Item {
    /// The owning mailbox; an item never moves between mailboxes.
    pub(crate) mailbox: MailboxIdx,
    /// The folder it is in.
    pub(crate) folder: crate::store::FolderKind,
    /// What it is.
    pub(crate) kind: ItemKind,
    /// The ChangeKey counter; a new value on every change.
    pub(crate) change: u64,
    /// `item:DateTimeCreated` (Unix seconds).
    pub(crate) created: i64,
    /// `item:LastModifiedTime` (Unix seconds).
    pub(crate) modified: i64,
    /// Client-set fields.
    pub(crate) fields: ItemFields,
    /// Server-set fields.
    pub(crate) server: ServerFields,
}
