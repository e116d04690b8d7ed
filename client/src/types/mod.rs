//! EWS data types: ids, impersonation, enumerations, calendar items and response messages.
//!
//! Enumerations copy the schema's spelling (`LegacyFreeBusyStatus::OOF`, `SendInvitations::SendToNone`).

mod appointment;
mod calendar_item;
mod response;
mod response_code;
pub(crate) mod time;

pub use appointment::{Appointment, AppointmentBuilder, AppointmentUpdate};
pub(crate) use calendar_item::{parse_calendar_item, write_calendar_item, write_set_field};
pub use calendar_item::{AppointmentFields, CalendarItem};
pub(crate) use response::parse_response_messages;
pub use response::{MessageXml, ResponseClass, ResponseError};
pub use response_code::{ResponseCode, UnknownResponseCode};
pub use time::ZonedDateTime;

/// Declares a string enumeration of the EWS schema with `as_str` and `parse`.
macro_rules! ews_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[allow(non_camel_case_types)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
        }

        impl $name {
            /// The value as spelled on the wire.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => stringify!($variant),)*
                }
            }

            /// Parses the wire spelling.
            pub fn parse(s: &str) -> Option<$name> {
                match s {
                    $(stringify!($variant) => Some($name::$variant),)*
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use ews_enum;

ews_enum! {
    /// `t:ExchangeVersionType`, sent as `RequestServerVersion Version="…"`.
    /// See <https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/requestserverversion>.
    ExchangeVersion {
        /// Exchange 2007 SP1.
        Exchange2007_SP1,
        /// Exchange 2010.
        Exchange2010,
        /// Exchange 2010 SP1.
        Exchange2010_SP1,
        /// Exchange 2010 SP2.
        Exchange2010_SP2,
        /// Exchange 2013 (the default).
        Exchange2013,
        /// Exchange 2013 SP1.
        Exchange2013_SP1,
        /// Exchange 2016.
        Exchange2016,
    }
}

// ews_enum! derives no Default, so the default is spelled out here.
#[allow(clippy::derivable_impls)]
impl Default for ExchangeVersion {
    fn default() -> Self {
        ExchangeVersion::Exchange2013
    }
}

ews_enum! {
    /// `t:CalendarItemCreateOrDeleteOperationType`: CreateItem's `SendMeetingInvitations` and
    /// DeleteItem's `SendMeetingCancellations`.
    /// See <https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/createitem>.
    SendInvitations {
        /// Save only; attendees get nothing.
        SendToNone,
        /// Send to all attendees, keep no copy in Sent Items.
        SendOnlyToAll,
        /// Send to all attendees and keep a copy in Sent Items.
        SendToAllAndSaveCopy,
    }
}

impl SendInvitations {
    /// The seed's rule: a meeting (with attendees) is sent with a copy saved; an appointment is
    /// saved only.
    ///
    /// ```
    /// use ews_client::SendInvitations;
    /// assert_eq!(SendInvitations::for_attendees(true), SendInvitations::SendToAllAndSaveCopy);
    /// assert_eq!(SendInvitations::for_attendees(false), SendInvitations::SendToNone);
    /// ```
    pub fn for_attendees(has_attendees: bool) -> SendInvitations {
        if has_attendees {
            SendInvitations::SendToAllAndSaveCopy
        } else {
            SendInvitations::SendToNone
        }
    }
}

ews_enum! {
    /// `t:CalendarItemUpdateOperationType`: UpdateItem's `SendMeetingInvitationsOrCancellations`.
    /// See <https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/updateitem>.
    SendInvitationsOrCancellations {
        /// Save only.
        SendToNone,
        /// Send to all attendees, no copy.
        SendOnlyToAll,
        /// Send to attendees affected by the change, no copy.
        SendOnlyToChanged,
        /// Send to all attendees and keep a copy.
        SendToAllAndSaveCopy,
        /// Send to affected attendees and keep a copy.
        SendToChangedAndSaveCopy,
    }
}

impl SendInvitationsOrCancellations {
    /// The seed's rule for updates: meetings notify everyone (with a copy), appointments nobody.
    pub fn for_attendees(has_attendees: bool) -> SendInvitationsOrCancellations {
        if has_attendees {
            SendInvitationsOrCancellations::SendToAllAndSaveCopy
        } else {
            SendInvitationsOrCancellations::SendToNone
        }
    }
}

ews_enum! {
    /// `t:DisposalType`: DeleteItem's `DeleteType`.
    /// See <https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/deleteitem>.
    DeleteType {
        /// Remove permanently.
        HardDelete,
        /// Move to the dumpster.
        SoftDelete,
        /// Move to Deleted Items.
        MoveToDeletedItems,
    }
}

ews_enum! {
    /// `t:ConflictResolutionType`: UpdateItem's `ConflictResolution`.
    /// See <https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/updateitem>.
    ConflictResolution {
        /// Fail if the item changed since the ChangeKey was read (the client's default).
        NeverOverwrite,
        /// Let the server merge.
        AutoResolve,
        /// Overwrite whatever changed.
        AlwaysOverwrite,
    }
}

ews_enum! {
    /// `t:ImportanceChoicesType`.
    /// See <https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/importance>.
    Importance {
        /// Low.
        Low,
        /// Normal.
        Normal,
        /// High.
        High,
    }
}

ews_enum! {
    /// `t:SensitivityChoicesType`.
    /// See <https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/sensitivity>.
    Sensitivity {
        /// Normal.
        Normal,
        /// Personal.
        Personal,
        /// Private.
        Private,
        /// Confidential.
        Confidential,
    }
}

ews_enum! {
    /// `t:LegacyFreeBusyType`: how the time shows in free/busy.
    /// See <https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/legacyfreebusystatus>.
    LegacyFreeBusyStatus {
        /// Free.
        Free,
        /// Tentative.
        Tentative,
        /// Busy.
        Busy,
        /// Out of office.
        OOF,
        /// Working elsewhere.
        WorkingElsewhere,
        /// No data.
        NoData,
    }
}

ews_enum! {
    /// `t:BodyTypeType`.
    /// See <https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/body>.
    BodyType {
        /// HTML.
        HTML,
        /// Plain text.
        Text,
    }
}

ews_enum! {
    /// `t:ResponseTypeType`: an attendee's answer, or the owner's role.
    /// See <https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/responsetype>.
    ResponseType {
        /// Unknown.
        Unknown,
        /// The mailbox owns the meeting.
        Organizer,
        /// Tentatively accepted.
        Tentative,
        /// Accepted.
        Accept,
        /// Declined.
        Decline,
        /// No answer yet.
        NoResponseReceived,
    }
}

/// `t:ItemId`: an item's id and (optionally) its ChangeKey. Ids are opaque and case-sensitive.
/// See <https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/itemid>.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ItemId {
    /// The `Id` attribute.
    pub id: String,
    /// The `ChangeKey` attribute: the version the caller last saw.
    pub change_key: Option<String>,
}

impl ItemId {
    /// An id without a ChangeKey.
    pub fn new(id: impl Into<String>) -> ItemId {
        ItemId { id: id.into(), change_key: None }
    }

    pub(crate) fn write(&self, w: &mut crate::xml::Writer) {
        match &self.change_key {
            Some(ck) => w.empty("t:ItemId", &[("Id", &self.id), ("ChangeKey", ck)]),
            None => w.empty("t:ItemId", &[("Id", &self.id)]),
        }
    }

    pub(crate) fn parse(node: roxmltree::Node) -> crate::Result<ItemId> {
        let id = node.attribute("Id").ok_or_else(|| crate::xml::xml_error(node, "ItemId without Id"))?;
        Ok(ItemId { id: id.to_owned(), change_key: node.attribute("ChangeKey").map(str::to_owned) })
    }
}

/// `t:ConnectingSIDType`: whom to impersonate. Exactly one of the four forms.
/// See <https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/connectingsid>.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ConnectingSid {
    /// Any SMTP address of the mailbox (primary or proxy).
    SmtpAddress(String),
    /// The mailbox's primary SMTP address.
    PrimarySmtpAddress(String),
    /// The user principal name.
    PrincipalName(String),
    /// The security identifier in SDDL form, e.g. `S-1-5-21-…`.
    Sid(String),
}

impl ConnectingSid {
    /// The child element of `t:ConnectingSID`.
    pub fn element_name(&self) -> &'static str {
        match self {
            ConnectingSid::SmtpAddress(_) => "SmtpAddress",
            ConnectingSid::PrimarySmtpAddress(_) => "PrimarySmtpAddress",
            ConnectingSid::PrincipalName(_) => "PrincipalName",
            ConnectingSid::Sid(_) => "SID",
        }
    }

    /// The address, UPN or SID.
    pub fn value(&self) -> &str {
        match self {
            ConnectingSid::SmtpAddress(v)
            | ConnectingSid::PrimarySmtpAddress(v)
            | ConnectingSid::PrincipalName(v)
            | ConnectingSid::Sid(v) => v,
        }
    }

    /// The `X-AnchorMailbox` value Microsoft recommends with impersonation: the SMTP address (a
    /// UPN is sent as is; a SID has none unless the caller supplies one).
    pub(crate) fn anchor_mailbox(&self) -> Option<&str> {
        match self {
            ConnectingSid::Sid(_) => None,
            other => Some(other.value()),
        }
    }
}

impl std::fmt::Display for ConnectingSid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.value())
    }
}

/// `t:EmailAddressType` inside an attendee or organizer.
/// See <https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/attendee>.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attendee {
    /// Display name (`t:Name`), if known.
    pub name: Option<String>,
    /// SMTP address (`t:EmailAddress`).
    pub email: String,
    /// The attendee's answer (`t:ResponseType`), set by the server.
    pub response: Option<ResponseType>,
}

impl Attendee {
    /// An attendee by address.
    pub fn new(email: impl Into<String>) -> Attendee {
        Attendee { name: None, email: email.into(), response: None }
    }
}

impl From<&str> for Attendee {
    fn from(email: &str) -> Attendee {
        Attendee::new(email)
    }
}

impl From<String> for Attendee {
    fn from(email: String) -> Attendee {
        Attendee::new(email)
    }
}

/// `t:Body`: text or HTML.
/// See <https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/body>.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body {
    /// HTML or Text.
    pub body_type: BodyType,
    /// The content.
    pub text: String,
}
