//! Reading a `t:CalendarItem` element into [`ItemFields`], as CreateItem and UpdateItem need it.
//!
//! The element order is checked against the schema first (an ErrorSchemaValidation fault names
//! the line). Then each child is sorted into one of three groups:
//! - modelled fields, which are stored;
//! - read-only properties (ItemId, IsMeeting, …), refused per item with ErrorInvalidPropertySet
//!   and the property's FieldURI, as Exchange does — this is also how a CreateItem carrying an
//!   already saved item's ItemId is refused ("each item is used once per account");
//! - other writable properties the mock does not model (ExtendedProperty, Recurrence, …), which
//!   are accepted and not stored. The README lists what is modelled.

use roxmltree::Node;

use super::order::CALENDAR_ITEM;
use super::{Attendee, Body, BodyType, Importance, ItemFields, LegacyFreeBusyStatus, ResponseType, Sensitivity};
use crate::fault::{Fault, MessageXml};
use crate::ns;
use crate::response::MessageError;
use crate::response_code::ResponseCode;
use crate::xml::read::{self, elements, invalid_value, is, missing_attribute, text};

/// Properties a client may not set; naming one is a per-item ErrorInvalidPropertySet.
pub(crate) const READ_ONLY: &[&str] = &[
    "ItemId",
    "ParentFolderId",
    "ItemClass",
    "DateTimeReceived",
    "Size",
    "IsSubmitted",
    "IsDraft",
    "IsFromMe",
    "IsResend",
    "IsUnmodified",
    "DateTimeSent",
    "DateTimeCreated",
    "ResponseObjects",
    "DisplayCc",
    "DisplayTo",
    "DisplayBcc",
    "HasAttachments",
    "EffectiveRights",
    "LastModifiedName",
    "LastModifiedTime",
    "IsAssociated",
    "WebClientReadFormQueryString",
    "WebClientEditFormQueryString",
    "ConversationId",
    "UniqueBody",
    "StoreEntryId",
    "InstanceKey",
    "NormalizedBody",
    "TextBody",
    "IsMeeting",
    "IsCancelled",
    "IsRecurring",
    "MeetingRequestWasSent",
    "CalendarItemType",
    "MyResponseType",
    "Organizer",
    "ConflictingMeetingCount",
    "AdjacentMeetingCount",
    "ConflictingMeetings",
    "AdjacentMeetings",
    "Duration",
    "TimeZone",
    "AppointmentReplyTime",
    "AppointmentSequenceNumber",
    "AppointmentState",
    "FirstOccurrence",
    "LastOccurrence",
    "ModifiedOccurrences",
    "DeletedOccurrences",
    "IsOrganizer",
];

/// The FieldURI of a CalendarItem child element: `item:X` for ItemType's part, `calendar:X` after.
pub(crate) fn field_uri(element: &str) -> String {
    let item_part = super::order::ITEM.contains(&element);
    format!("{}:{element}", if item_part { "item" } else { "calendar" })
}

/// Why a CalendarItem could not be read: the whole request is invalid (a schema fault), or only
/// this item is refused (a per-item error message).
#[derive(Debug)]
pub(crate) enum ItemError {
    /// The request fails schema validation.
    Fault(Fault),
    /// This item is refused; the others go on.
    Item(MessageError),
}

impl From<Fault> for ItemError {
    fn from(f: Fault) -> ItemError {
        ItemError::Fault(f)
    }
}

/// Reads a `t:CalendarItem` (or any element of CalendarItemType) into fields.
pub(crate) fn calendar_item(node: Node) -> Result<ItemFields, ItemError> {
    let children = read::in_sequence(node, ns::TYPES, CALENDAR_ITEM, &["ExtendedProperty"])?;
    // Value errors are schema faults, so all values are read before any per-item refusal.
    let mut fields = ItemFields::default();
    let mut read_only = None;
    for (name, child) in children {
        if READ_ONLY.contains(&name) {
            read_only.get_or_insert(name);
            continue;
        }
        set_field(&mut fields, name, child)?;
    }
    if let Some(name) = read_only {
        return Err(ItemError::Item(
            MessageError::new(ResponseCode::ErrorInvalidPropertySet).xml(MessageXml::FieldUri(field_uri(name))),
        ));
    }
    Ok(fields)
}

/// Sets one modelled field from its element; unmodelled writable elements are ignored.
pub(crate) fn set_field(fields: &mut ItemFields, name: &str, child: Node) -> Result<(), Fault> {
    match name {
        "Subject" => fields.subject = Some(text(child).into()),
        "Sensitivity" => fields.sensitivity = Some(enum_value(child, Sensitivity::parse, Sensitivity::XSD)?),
        "Body" => fields.body = Some(body(child)?),
        "Categories" => fields.categories = strings(child, "String"),
        "Importance" => fields.importance = Some(enum_value(child, Importance::parse, Importance::XSD)?),
        "ReminderDueBy" => fields.reminder_due_by = Some(read::date_time(child)?.timestamp()),
        "ReminderIsSet" => fields.reminder_is_set = Some(read::boolean(child)?),
        "ReminderMinutesBeforeStart" => fields.reminder_minutes_before_start = Some(read::int(child)?),
        "Start" => fields.start = Some(read::date_time(child)?.timestamp()),
        "End" => fields.end = Some(read::date_time(child)?.timestamp()),
        "IsAllDayEvent" => fields.is_all_day_event = Some(read::boolean(child)?),
        "LegacyFreeBusyStatus" => {
            fields.legacy_free_busy_status =
                Some(enum_value(child, LegacyFreeBusyStatus::parse, LegacyFreeBusyStatus::XSD)?)
        }
        "Location" => fields.location = Some(text(child).into()),
        "RequiredAttendees" => fields.required_attendees = attendees(child)?,
        "OptionalAttendees" => fields.optional_attendees = attendees(child)?,
        "Resources" => fields.resources = attendees(child)?,
        "MeetingTimeZone" => fields.meeting_time_zone = child.attribute("TimeZoneName").map(Into::into),
        "StartTimeZone" => fields.start_time_zone = Some(time_zone_id(child)?),
        "EndTimeZone" => fields.end_time_zone = Some(time_zone_id(child)?),
        _ => {}
    }
    Ok(())
}

/// Clears one modelled field, for UpdateItem's DeleteItemField. Returns false for elements the
/// mock does not model.
pub(crate) fn clear_field(fields: &mut ItemFields, name: &str) -> bool {
    match name {
        "Subject" => fields.subject = None,
        "Sensitivity" => fields.sensitivity = None,
        "Body" => fields.body = None,
        "Categories" => fields.categories.clear(),
        "Importance" => fields.importance = None,
        "ReminderDueBy" => fields.reminder_due_by = None,
        "ReminderIsSet" => fields.reminder_is_set = None,
        "ReminderMinutesBeforeStart" => fields.reminder_minutes_before_start = None,
        "Start" => fields.start = None,
        "End" => fields.end = None,
        "IsAllDayEvent" => fields.is_all_day_event = None,
        "LegacyFreeBusyStatus" => fields.legacy_free_busy_status = None,
        "Location" => fields.location = None,
        "RequiredAttendees" => fields.required_attendees.clear(),
        "OptionalAttendees" => fields.optional_attendees.clear(),
        "Resources" => fields.resources.clear(),
        "MeetingTimeZone" => fields.meeting_time_zone = None,
        "StartTimeZone" => fields.start_time_zone = None,
        "EndTimeZone" => fields.end_time_zone = None,
        _ => return false,
    }
    true
}

/// Copies one modelled field from `src` to `dst`, for UpdateItem's SetItemField (whose value was
/// read with [`set_field`] into an otherwise empty `src`). Returns false for elements the mock
/// does not model.
pub(crate) fn copy_field(dst: &mut ItemFields, src: &ItemFields, name: &str) -> bool {
    match name {
        "Subject" => dst.subject.clone_from(&src.subject),
        "Sensitivity" => dst.sensitivity = src.sensitivity,
        "Body" => dst.body.clone_from(&src.body),
        "Categories" => dst.categories.clone_from(&src.categories),
        "Importance" => dst.importance = src.importance,
        "ReminderDueBy" => dst.reminder_due_by = src.reminder_due_by,
        "ReminderIsSet" => dst.reminder_is_set = src.reminder_is_set,
        "ReminderMinutesBeforeStart" => dst.reminder_minutes_before_start = src.reminder_minutes_before_start,
        "Start" => dst.start = src.start,
        "End" => dst.end = src.end,
        "IsAllDayEvent" => dst.is_all_day_event = src.is_all_day_event,
        "LegacyFreeBusyStatus" => dst.legacy_free_busy_status = src.legacy_free_busy_status,
        "Location" => dst.location.clone_from(&src.location),
        "RequiredAttendees" => dst.required_attendees.clone_from(&src.required_attendees),
        "OptionalAttendees" => dst.optional_attendees.clone_from(&src.optional_attendees),
        "Resources" => dst.resources.clone_from(&src.resources),
        "MeetingTimeZone" => dst.meeting_time_zone.clone_from(&src.meeting_time_zone),
        "StartTimeZone" => dst.start_time_zone.clone_from(&src.start_time_zone),
        "EndTimeZone" => dst.end_time_zone.clone_from(&src.end_time_zone),
        _ => return false,
    }
    true
}

fn enum_value<T>(node: Node, parse: fn(&str) -> Option<T>, xsd: &str) -> Result<T, Fault> {
    let raw = text(node);
    parse(raw.trim()).ok_or_else(|| invalid_value(node, raw, xsd, "The Enumeration constraint failed."))
}

fn body(node: Node) -> Result<Body, Fault> {
    let raw = node.attribute("BodyType").ok_or_else(|| missing_attribute(node, "BodyType"))?;
    let body_type = BodyType::parse(raw).ok_or_else(|| {
        read::invalid_attribute(node, "BodyType", raw, BodyType::XSD, "The Enumeration constraint failed.")
    })?;
    Ok(Body { body_type, text: text(node).into() })
}

fn strings(node: Node, child: &str) -> Vec<Box<str>> {
    elements(node).filter(|c| is(*c, ns::TYPES, child)).map(|c| text(c).into()).collect()
}

fn time_zone_id(node: Node) -> Result<Box<str>, Fault> {
    node.attribute("Id").map(Into::into).ok_or_else(|| missing_attribute(node, "Id"))
}

/// Reads `t:Attendee` children: `t:Mailbox` (Name?, EmailAddress?, …) and `t:ResponseType?`.
fn attendees(node: Node) -> Result<Vec<Attendee>, Fault> {
    let mut out = Vec::new();
    for attendee in elements(node) {
        if !is(attendee, ns::TYPES, "Attendee") {
            return Err(read::invalid_child(node, attendee, &["Attendee"], ns::TYPES));
        }
        let children = read::in_sequence(
            attendee,
            ns::TYPES,
            &["Mailbox", "ResponseType", "LastResponseTime", "ProposedStart", "ProposedEnd"],
            &[],
        )?;
        let mut mailbox = None;
        let mut response = None;
        for (name, child) in children {
            match name {
                "Mailbox" => mailbox = Some(email_address(child)?),
                "ResponseType" => response = Some(enum_value(child, ResponseType::parse, ResponseType::XSD)?),
                _ => {}
            }
        }
        let Some((name, email)) = mailbox else {
            return Err(read::missing_child(attendee, "Mailbox", ns::TYPES));
        };
        out.push(Attendee { name, email, response });
    }
    Ok(out)
}

/// Reads an `EmailAddressType` (`t:Mailbox`) into (Name, EmailAddress).
pub(crate) fn email_address(node: Node) -> Result<(Option<Box<str>>, Box<str>), Fault> {
    let children = read::in_sequence(
        node,
        ns::TYPES,
        &["Name", "EmailAddress", "RoutingType", "MailboxType", "ItemId", "OriginalDisplayName"],
        &[],
    )?;
    let mut name = None;
    let mut email: Box<str> = "".into();
    for (tag, child) in children {
        match tag {
            "Name" => name = Some(text(child).into()),
            "EmailAddress" => email = text(child).trim().into(),
            _ => {}
        }
    }
    Ok((name, email))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(inner: &str) -> Result<ItemFields, ItemError> {
        let xml = format!("<t:CalendarItem xmlns:t='{}'>{inner}</t:CalendarItem>", ns::TYPES);
        let doc = roxmltree::Document::parse(&xml).expect("well-formed test input");
        calendar_item(doc.root_element())
    }

    #[test]
    fn seed_fields_are_read() {
        let f = parse(
            "<t:Subject>Tennis lesson</t:Subject><t:Body BodyType='HTML'>Focus</t:Body>\
             <t:ReminderDueBy>2013-09-19T14:37:10.732-07:00</t:ReminderDueBy>\
             <t:Start>2013-09-21T19:00:00.000Z</t:Start><t:End>2013-09-21T20:00:00.000Z</t:End>\
             <t:Location>Tennis club</t:Location><t:MeetingTimeZone TimeZoneName='Pacific Standard Time'/>",
        )
        .expect("valid");
        assert_eq!(f.subject.as_deref(), Some("Tennis lesson"));
        assert_eq!(f.body.as_ref().map(|b| b.body_type), Some(BodyType::HTML));
        assert_eq!(f.end.zip(f.start).map(|(e, s)| e - s), Some(3600));
        assert_eq!(f.meeting_time_zone.as_deref(), Some("Pacific Standard Time"));
    }

    #[test]
    fn an_item_id_in_a_new_item_is_refused_per_item() {
        let err = parse("<t:ItemId Id='AAMk' ChangeKey='DwAA'/><t:Subject>x</t:Subject>").expect_err("read-only");
        match err {
            ItemError::Item(e) => {
                assert_eq!(e.code, ResponseCode::ErrorInvalidPropertySet);
                assert_eq!(e.xml, MessageXml::FieldUri("item:ItemId".into()));
            }
            ItemError::Fault(f) => panic!("expected a per-item error, got {f:?}"),
        }
    }

    #[test]
    fn start_after_location_fails_schema_validation() {
        let err = parse("<t:Location>x</t:Location><t:Start>2013-09-21T19:00:00Z</t:Start>").expect_err("order");
        assert!(matches!(err, ItemError::Fault(f) if f.text.contains("has invalid child element 'Start'")));
    }

    #[test]
    fn unknown_sensitivity_fails_schema_validation() {
        let err = parse("<t:Sensitivity>Secret</t:Sensitivity>").expect_err("enum");
        assert!(matches!(err, ItemError::Fault(f) if f.text.contains("The Enumeration constraint failed")));
    }
}
