//! `t:CalendarItem`: the writable fields ([`AppointmentFields`]), written in the schema's element
//! order, and the item as read back ([`CalendarItem`]).
//!
//! The order is the `xs:sequence` of ItemType followed by CalendarItemType's extension (protocol.md
//! §7); Exchange rejects an out-of-order child with ErrorSchemaValidation.
//! See <https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/calendaritem>.

use chrono::{DateTime, Utc};
use roxmltree::Node;

use super::time::format_date_time;
use super::{Attendee, Body, BodyType, Importance, ItemId, LegacyFreeBusyStatus, ResponseType, Sensitivity};
use crate::ns;
use crate::xml::{self, child, elements, is, raw_text, text, Writer};
use crate::Result;

/// The writable fields this client models, in schema order, with their FieldURI prefix.
pub(crate) const FIELDS: &[(&str, &str)] = &[
    ("Subject", "item"),
    ("Sensitivity", "item"),
    ("Body", "item"),
    ("Categories", "item"),
    ("Importance", "item"),
    ("ReminderIsSet", "item"),
    ("ReminderMinutesBeforeStart", "item"),
    ("Start", "calendar"),
    ("End", "calendar"),
    ("IsAllDayEvent", "calendar"),
    ("LegacyFreeBusyStatus", "calendar"),
    ("Location", "calendar"),
    ("RequiredAttendees", "calendar"),
    ("OptionalAttendees", "calendar"),
    ("Resources", "calendar"),
    ("StartTimeZone", "calendar"),
    ("EndTimeZone", "calendar"),
];

/// The calendar fields a client sets. Empty lists and `None` are not sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppointmentFields {
    /// `t:Subject`.
    pub subject: Option<String>,
    /// `t:Sensitivity`.
    pub sensitivity: Option<Sensitivity>,
    /// `t:Body`.
    pub body: Option<Body>,
    /// `t:Categories/t:String`.
    pub categories: Vec<String>,
    /// `t:Importance`.
    pub importance: Option<Importance>,
    /// `t:ReminderIsSet`.
    pub reminder_is_set: Option<bool>,
    /// `t:ReminderMinutesBeforeStart`.
    pub reminder_minutes_before_start: Option<i32>,
    /// `t:Start` (sent in UTC).
    pub start: Option<DateTime<Utc>>,
    /// `t:End` (sent in UTC).
    pub end: Option<DateTime<Utc>>,
    /// `t:IsAllDayEvent`.
    pub is_all_day_event: Option<bool>,
    /// `t:LegacyFreeBusyStatus`.
    pub legacy_free_busy_status: Option<LegacyFreeBusyStatus>,
    /// `t:Location`.
    pub location: Option<String>,
    /// `t:RequiredAttendees`.
    pub required_attendees: Vec<Attendee>,
    /// `t:OptionalAttendees`.
    pub optional_attendees: Vec<Attendee>,
    /// `t:Resources` (rooms, equipment).
    pub resources: Vec<Attendee>,
    /// `t:StartTimeZone Id`: a Windows time-zone id.
    pub start_time_zone: Option<String>,
    /// `t:EndTimeZone Id`: a Windows time-zone id.
    pub end_time_zone: Option<String>,
}

impl AppointmentFields {
    /// True if there are attendees or resources: the item is a meeting.
    pub fn has_attendees(&self) -> bool {
        !(self.required_attendees.is_empty() && self.optional_attendees.is_empty() && self.resources.is_empty())
    }

    /// True if the field named by its element name has a value to send.
    pub(crate) fn has(&self, name: &str) -> bool {
        match name {
            "Subject" => self.subject.is_some(),
            "Sensitivity" => self.sensitivity.is_some(),
            "Body" => self.body.is_some(),
            "Categories" => !self.categories.is_empty(),
            "Importance" => self.importance.is_some(),
            "ReminderIsSet" => self.reminder_is_set.is_some(),
            "ReminderMinutesBeforeStart" => self.reminder_minutes_before_start.is_some(),
            "Start" => self.start.is_some(),
            "End" => self.end.is_some(),
            "IsAllDayEvent" => self.is_all_day_event.is_some(),
            "LegacyFreeBusyStatus" => self.legacy_free_busy_status.is_some(),
            "Location" => self.location.is_some(),
            "RequiredAttendees" => !self.required_attendees.is_empty(),
            "OptionalAttendees" => !self.optional_attendees.is_empty(),
            "Resources" => !self.resources.is_empty(),
            "StartTimeZone" => self.start_time_zone.is_some(),
            "EndTimeZone" => self.end_time_zone.is_some(),
            _ => false,
        }
    }

    /// Writes one field's element (nothing if it has no value).
    fn write_field(&self, w: &mut Writer, name: &str) {
        let b = |v: bool| if v { "true" } else { "false" };
        match name {
            "Subject" => opt(w, "t:Subject", self.subject.as_deref()),
            "Sensitivity" => opt(w, "t:Sensitivity", self.sensitivity.map(|s| s.as_str())),
            "Body" => {
                if let Some(body) = &self.body {
                    w.text_element("t:Body", &[("BodyType", body.body_type.as_str())], &body.text);
                }
            }
            "Categories" if !self.categories.is_empty() => w.element("t:Categories", &[], |w| {
                for c in &self.categories {
                    w.text_element("t:String", &[], c);
                }
            }),
            "Importance" => opt(w, "t:Importance", self.importance.map(|s| s.as_str())),
            "ReminderIsSet" => opt(w, "t:ReminderIsSet", self.reminder_is_set.map(b)),
            "ReminderMinutesBeforeStart" => opt(
                w,
                "t:ReminderMinutesBeforeStart",
                self.reminder_minutes_before_start.map(|m| m.to_string()).as_deref(),
            ),
            "Start" => opt(w, "t:Start", self.start.map(format_date_time).as_deref()),
            "End" => opt(w, "t:End", self.end.map(format_date_time).as_deref()),
            "IsAllDayEvent" => opt(w, "t:IsAllDayEvent", self.is_all_day_event.map(b)),
            "LegacyFreeBusyStatus" => {
                opt(w, "t:LegacyFreeBusyStatus", self.legacy_free_busy_status.map(|s| s.as_str()))
            }
            "Location" => opt(w, "t:Location", self.location.as_deref()),
            "RequiredAttendees" => attendees(w, "t:RequiredAttendees", &self.required_attendees),
            "OptionalAttendees" => attendees(w, "t:OptionalAttendees", &self.optional_attendees),
            "Resources" => attendees(w, "t:Resources", &self.resources),
            "StartTimeZone" => {
                if let Some(id) = &self.start_time_zone {
                    w.empty("t:StartTimeZone", &[("Id", id)]);
                }
            }
            "EndTimeZone" => {
                if let Some(id) = &self.end_time_zone {
                    w.empty("t:EndTimeZone", &[("Id", id)]);
                }
            }
            _ => {}
        }
    }
}

fn opt(w: &mut Writer, name: &str, value: Option<&str>) {
    if let Some(v) = value {
        w.text_element(name, &[], v);
    }
}

fn attendees(w: &mut Writer, name: &str, list: &[Attendee]) {
    if list.is_empty() {
        return;
    }
    w.element(name, &[], |w| {
        for a in list {
            w.element("t:Attendee", &[], |w| {
                w.element("t:Mailbox", &[], |w| {
                    opt(w, "t:Name", a.name.as_deref());
                    w.text_element("t:EmailAddress", &[], &a.email);
                });
                opt(w, "t:ResponseType", a.response.map(|r| r.as_str()));
            });
        }
    });
}

/// Writes `<t:CalendarItem>` with every field that has a value, in schema order.
pub(crate) fn write_calendar_item(w: &mut Writer, fields: &AppointmentFields) {
    w.element("t:CalendarItem", &[], |w| {
        for (name, _) in FIELDS {
            fields.write_field(w, name);
        }
    });
}

/// Writes UpdateItem's `t:SetItemField` for one field, or `t:DeleteItemField` if it has no value.
pub(crate) fn write_set_field(w: &mut Writer, fields: &AppointmentFields, name: &str) {
    let Some((_, prefix)) = FIELDS.iter().find(|(n, _)| *n == name) else { return };
    let uri = format!("{prefix}:{name}");
    if fields.has(name) {
        w.element("t:SetItemField", &[], |w| {
            w.empty("t:FieldURI", &[("FieldURI", &uri)]);
            w.element("t:CalendarItem", &[], |w| fields.write_field(w, name));
        });
    } else {
        w.element("t:DeleteItemField", &[], |w| w.empty("t:FieldURI", &[("FieldURI", &uri)]));
    }
}

/// A calendar item as the server returned it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CalendarItem {
    /// `t:ItemId` (with the current ChangeKey), if the shape included it.
    pub item_id: Option<ItemId>,
    /// `t:ItemClass`, e.g. `IPM.Appointment`.
    pub item_class: Option<String>,
    /// The client-settable fields that were returned.
    pub fields: AppointmentFields,
    /// `t:IsMeeting`.
    pub is_meeting: Option<bool>,
    /// `t:IsCancelled`.
    pub is_cancelled: Option<bool>,
    /// `t:MeetingRequestWasSent`.
    pub meeting_request_was_sent: Option<bool>,
    /// `t:MyResponseType`.
    pub my_response_type: Option<ResponseType>,
    /// `t:Organizer/t:Mailbox`.
    pub organizer: Option<Attendee>,
}

/// Reads a `t:CalendarItem` (unknown children are skipped).
pub(crate) fn parse_calendar_item(node: Node) -> Result<CalendarItem> {
    let mut item = CalendarItem::default();
    let f = &mut item.fields;
    for c in elements(node).filter(|c| c.tag_name().namespace() == Some(ns::TYPES)) {
        match c.tag_name().name() {
            "ItemId" => item.item_id = Some(ItemId::parse(c)?),
            "ItemClass" => item.item_class = Some(text(c).to_owned()),
            "Subject" => f.subject = Some(raw_text(c).to_owned()),
            "Sensitivity" => f.sensitivity = Some(xml::parse_text(c, "Sensitivity", Sensitivity::parse)?),
            "Body" => {
                let raw = c.attribute("BodyType").unwrap_or("Text");
                let body_type = BodyType::parse(raw).ok_or_else(|| xml::xml_error(c, "invalid BodyType"))?;
                // Bodies keep their whitespace: it is content.
                f.body = Some(Body { body_type, text: c.text().unwrap_or("").to_owned() });
            }
            "Categories" => f.categories = strings(c),
            "Importance" => f.importance = Some(xml::parse_text(c, "Importance", Importance::parse)?),
            "ReminderIsSet" => f.reminder_is_set = Some(xml::boolean(c)?),
            "ReminderMinutesBeforeStart" => {
                f.reminder_minutes_before_start = Some(xml::parse_text(c, "int", |s| s.parse().ok())?)
            }
            "Start" => f.start = Some(xml::date_time(c)?),
            "End" => f.end = Some(xml::date_time(c)?),
            "IsAllDayEvent" => f.is_all_day_event = Some(xml::boolean(c)?),
            "LegacyFreeBusyStatus" => {
                f.legacy_free_busy_status =
                    Some(xml::parse_text(c, "LegacyFreeBusyStatus", LegacyFreeBusyStatus::parse)?)
            }
            "Location" => f.location = Some(raw_text(c).to_owned()),
            "RequiredAttendees" => f.required_attendees = parse_attendees(c)?,
            "OptionalAttendees" => f.optional_attendees = parse_attendees(c)?,
            "Resources" => f.resources = parse_attendees(c)?,
            "StartTimeZone" => f.start_time_zone = c.attribute("Id").map(str::to_owned),
            "EndTimeZone" => f.end_time_zone = c.attribute("Id").map(str::to_owned),
            "StartTimeZoneId" if f.start_time_zone.is_none() => f.start_time_zone = Some(text(c).to_owned()),
            "EndTimeZoneId" if f.end_time_zone.is_none() => f.end_time_zone = Some(text(c).to_owned()),
            "IsMeeting" => item.is_meeting = Some(xml::boolean(c)?),
            "IsCancelled" => item.is_cancelled = Some(xml::boolean(c)?),
            "MeetingRequestWasSent" => item.meeting_request_was_sent = Some(xml::boolean(c)?),
            "MyResponseType" => item.my_response_type = Some(xml::parse_text(c, "ResponseType", ResponseType::parse)?),
            "Organizer" => item.organizer = child(c, ns::TYPES, "Mailbox").map(parse_mailbox),
            _ => {}
        }
    }
    Ok(item)
}

fn strings(node: Node) -> Vec<String> {
    elements(node).filter(|c| is(*c, ns::TYPES, "String")).map(|c| raw_text(c).to_owned()).collect()
}

fn parse_mailbox(m: Node) -> Attendee {
    Attendee {
        name: child(m, ns::TYPES, "Name").map(|n| text(n).to_owned()),
        email: child(m, ns::TYPES, "EmailAddress").map(|n| text(n).to_owned()).unwrap_or_default(),
        response: None,
    }
}

fn parse_attendees(node: Node) -> Result<Vec<Attendee>> {
    let mut out = Vec::new();
    for a in elements(node).filter(|c| is(*c, ns::TYPES, "Attendee")) {
        let mailbox = xml::required(a, ns::TYPES, "Mailbox")?;
        let mut attendee = parse_mailbox(mailbox);
        if let Some(r) = child(a, ns::TYPES, "ResponseType") {
            attendee.response = Some(xml::parse_text(r, "ResponseType", ResponseType::parse)?);
        }
        out.push(attendee);
    }
    Ok(out)
}
