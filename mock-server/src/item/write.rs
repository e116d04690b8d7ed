//! Writing a stored item as `t:CalendarItem`, `t:MeetingRequest`, `t:MeetingCancellation` or
//! `t:Message`, in a response shape (IdOnly, Default, AllProperties, plus AdditionalProperties).
//!
//! Elements are written strictly in the schema's sequence order (ItemType, then the kind's
//! extensions: MessageType, MeetingMessageType, MeetingRequestMessageType, … from the Exchange
//! Online types.xsd). Each element is written when the shape asks for it and the mock models it;
//! a valid property the mock does not model is left out, as Exchange leaves out properties an
//! item does not have. Date-times are written `YYYY-MM-DDTHH:MM:SSZ` and booleans `true`/`false`
//! (exchangelib reads `.000Z` and `0`/`1` as missing). See `../shared/protocol/protocol.md` §5.1.

use chrono::DateTime;

use super::fields;
use super::order::{CALENDAR_ITEM, ITEM};
pub(crate) use super::shape::Shape;
use super::{Attendee, Item, ItemKind, ResponseType};
use crate::ids;
use crate::ops::WriteCtx;
use crate::store::{FolderKind, State};
use crate::xml::write::XmlOut;

/// `MessageType`'s extension of ItemType (FieldURI prefix `message:`).
const MESSAGE: &str = "Sender ToRecipients CcRecipients BccRecipients IsReadReceiptRequested \
    IsDeliveryReceiptRequested ConversationIndex ConversationTopic From InternetMessageId IsRead IsResponseRequested \
    References ReplyTo ReceivedBy ReceivedRepresenting ApprovalRequestData VotingInformation ReminderMessageData \
    MessageSafety SenderSMTPAddress MailboxGuids PublishedCalendarItemIcs PublishedCalendarItemName";
/// `MeetingMessageType`'s extension of MessageType (`meeting:`, iCalendar ones `calendar:`).
const MEETING_MESSAGE: &str =
    "AssociatedCalendarItemId IsDelegated IsOutOfDate HasBeenProcessed ResponseType UID RecurrenceId DateTimeStamp IsOrganizer";
/// `MeetingRequestMessageType`'s extension of MeetingMessageType (`meetingRequest:` for the first
/// two and ChangeHighlights, `calendar:` for the rest).
const MEETING_REQUEST: &str = "MeetingRequestType IntendedFreeBusyStatus Start End OriginalStart IsAllDayEvent \
    LegacyFreeBusyStatus Location When IsMeeting IsCancelled IsRecurring MeetingRequestWasSent CalendarItemType \
    MyResponseType Organizer RequiredAttendees OptionalAttendees Resources ConflictingMeetingCount AdjacentMeetingCount \
    ConflictingMeetings AdjacentMeetings Duration TimeZone AppointmentReplyTime AppointmentSequenceNumber \
    AppointmentState Recurrence FirstOccurrence LastOccurrence ModifiedOccurrences DeletedOccurrences MeetingTimeZone \
    StartTimeZone EndTimeZone ConferenceType AllowNewTimeProposal IsOnlineMeeting MeetingWorkspaceUrl NetShowUrl \
    EnhancedLocation ChangeHighlights StartWallClock EndWallClock StartTimeZoneId EndTimeZoneId DoNotForwardMeeting";
/// `MeetingCancellationMessageType`'s extension of MeetingMessageType (`calendar:`).
const MEETING_CANCELLATION: &str =
    "Start End Location Recurrence CalendarItemType EnhancedLocation DoNotForwardMeeting";

/// A stored item copied out of the store for writing, with the calendar item a meeting message
/// refers to.
#[derive(Debug, Clone)]
pub(crate) struct Found {
    /// The item's key.
    pub(crate) key: u64,
    /// The item.
    pub(crate) item: Item,
    /// For meeting messages: the associated calendar item in the same mailbox.
    pub(crate) associated: Option<(u64, Item)>,
}

impl Found {
    /// Copies item `key` out of the store.
    pub(crate) fn load(state: &State, key: u64) -> Option<Found> {
        let item = state.get(key)?.clone();
        let associated = item.server.associated.and_then(|k| state.get(k).map(|a| (k, a.clone())));
        Some(Found { key, item, associated })
    }
}

/// The schema segments of a kind: (default FieldURI prefix, element names).
fn segments(kind: ItemKind) -> Vec<(&'static str, Vec<&'static str>)> {
    let words = |s: &'static str| s.split_ascii_whitespace().collect::<Vec<_>>();
    let mut out = vec![("item", ITEM.to_vec())];
    match kind {
        ItemKind::CalendarItem => out.push(("calendar", CALENDAR_ITEM[ITEM.len()..].to_vec())),
        ItemKind::Message => out.push(("message", words(MESSAGE))),
        ItemKind::MeetingRequest | ItemKind::MeetingCancellation => {
            out.push(("message", words(MESSAGE)));
            out.push(("meeting", words(MEETING_MESSAGE)));
            let rest = if kind == ItemKind::MeetingRequest { MEETING_REQUEST } else { MEETING_CANCELLATION };
            out.push(("calendar", words(rest)));
        }
    }
    out
}

/// The FieldURI prefix of an element inside a segment whose default prefix is `segment`.
fn prefix(kind: ItemKind, segment: &'static str, name: &str) -> &'static str {
    match (segment, name) {
        ("meeting", "UID" | "RecurrenceId" | "DateTimeStamp" | "IsOrganizer") => "calendar",
        ("calendar", "MeetingRequestType" | "IntendedFreeBusyStatus" | "ChangeHighlights")
            if kind == ItemKind::MeetingRequest =>
        {
            "meetingRequest"
        }
        _ => segment,
    }
}

/// Writes `found` as its kind's element in `shape`.
pub(crate) fn write_item(out: &mut XmlOut, ctx: WriteCtx<'_>, shape: &Shape, found: &Found) {
    let element = format!("t:{}", found.item.kind.element());
    out.start(&element, &[]);
    let mut w = Writer { out, ctx, found };
    for (segment, names) in segments(found.item.kind) {
        for name in names {
            let p = prefix(found.item.kind, segment, name);
            if shape.wants(found.item.kind, p, name) {
                w.element(p, name);
            }
        }
    }
    out.end(&element);
}

/// `xs:dateTime` as Exchange writes it: UTC, whole seconds, `Z`.
pub(crate) fn date_time(ts: i64) -> String {
    DateTime::from_timestamp(ts, 0).map_or_else(String::new, |d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
}

/// `xs:duration` as Exchange writes it (`PT1H`, `PT30M`, `P1DT2H`).
fn duration(seconds: i64) -> String {
    let s = seconds.max(0);
    let (d, h, m, sec) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60, s % 60);
    let mut out = String::from("P");
    if d > 0 {
        out.push_str(&format!("{d}D"));
    }
    if h > 0 || m > 0 || sec > 0 || d == 0 {
        out.push('T');
        if h > 0 {
            out.push_str(&format!("{h}H"));
        }
        if m > 0 {
            out.push_str(&format!("{m}M"));
        }
        if sec > 0 || (h == 0 && m == 0) {
            out.push_str(&format!("{sec}S"));
        }
    }
    out
}

fn boolean(v: bool) -> &'static str {
    if v {
        "true"
    } else {
        "false"
    }
}

struct Writer<'o, 'c> {
    out: &'o mut XmlOut,
    ctx: WriteCtx<'c>,
    found: &'o Found,
}

impl Writer<'_, '_> {
    fn leaf(&mut self, name: &str, text: &str) {
        self.out.leaf(&format!("t:{name}"), text);
    }

    fn flag(&mut self, name: &str, v: bool) {
        self.leaf(name, boolean(v));
    }

    fn time(&mut self, name: &str, ts: Option<i64>) {
        if let Some(ts) = ts {
            self.leaf(name, &date_time(ts));
        }
    }

    /// `EmailAddressType` content for an address: Name, EmailAddress, RoutingType, MailboxType.
    fn mailbox(&mut self, name: Option<&str>, email: &str) {
        let in_tenant = self.ctx.dir.mailbox_by_smtp(email);
        // Exchange resolves addresses of its own mailboxes to their display names.
        let name = name.map(str::to_string).or_else(|| in_tenant.map(|m| self.ctx.dir.mailbox(m).display_name.clone()));
        self.out.start("t:Mailbox", &[]);
        if let Some(n) = &name {
            self.out.leaf("t:Name", n);
        }
        self.out.leaf("t:EmailAddress", email);
        self.out.leaf("t:RoutingType", "SMTP");
        self.out.leaf("t:MailboxType", if in_tenant.is_some() { "Mailbox" } else { "OneOff" });
        self.out.end("t:Mailbox");
    }

    /// `DisplayTo` / `DisplayCc`: display names (resolved for the tenant's mailboxes) joined by "; ".
    fn display_list(&self, attendees: &[Attendee]) -> String {
        let dir = self.ctx.dir;
        let name = |a: &Attendee| {
            a.name.as_deref().map(str::to_string).unwrap_or_else(|| {
                dir.mailbox_by_smtp(&a.email)
                    .map_or_else(|| a.email.to_string(), |m| dir.mailbox(m).display_name.clone())
            })
        };
        attendees.iter().map(name).collect::<Vec<_>>().join("; ")
    }

    /// A mailbox of the tenant as a `SingleRecipientType` element (Organizer, From, …).
    fn recipient(&mut self, element: &str, mailbox: Option<u32>) {
        let Some(mb) = mailbox else { return };
        let info = self.ctx.dir.mailbox(mb);
        let (name, smtp) = (info.display_name.clone(), info.smtp.clone());
        self.out.start(&format!("t:{element}"), &[]);
        self.mailbox(Some(&name), &smtp);
        self.out.end(&format!("t:{element}"));
    }

    fn attendees(&mut self, element: &str, list: &[Attendee]) {
        if list.is_empty() {
            return;
        }
        self.out.start(&format!("t:{element}"), &[]);
        for a in list {
            self.out.start("t:Attendee", &[]);
            self.mailbox(a.name.as_deref(), &a.email);
            self.out.leaf("t:ResponseType", a.response.unwrap_or(ResponseType::Unknown).as_str());
            self.out.end("t:Attendee");
        }
        self.out.end(&format!("t:{element}"));
    }

    fn recipients(&mut self, element: &str, list: &[Attendee]) {
        if list.is_empty() {
            return;
        }
        self.out.start(&format!("t:{element}"), &[]);
        for a in list {
            self.mailbox(a.name.as_deref(), &a.email);
        }
        self.out.end(&format!("t:{element}"));
    }

    fn response_objects(&mut self) {
        let item = &self.found.item;
        let organizer = item.server.my_response_type == Some(ResponseType::Organizer);
        let objects: &[&str] = match item.kind {
            ItemKind::CalendarItem if !item.server.is_meeting => &["ForwardItem"],
            ItemKind::CalendarItem if organizer => &["CancelCalendarItem", "ForwardItem"],
            ItemKind::CalendarItem | ItemKind::MeetingRequest if !organizer => {
                &["AcceptItem", "TentativelyAcceptItem", "DeclineItem", "ReplyToItem", "ReplyAllToItem", "ForwardItem"]
            }
            _ => &["ReplyToItem", "ReplyAllToItem", "ForwardItem"],
        };
        self.out.start("t:ResponseObjects", &[]);
        for o in objects {
            self.out.empty(&format!("t:{o}"), &[]);
        }
        self.out.end("t:ResponseObjects");
    }

    /// AppointmentState bits: 1 meeting, 2 received, 4 cancelled.
    fn appointment_state(&self) -> i32 {
        let s = &self.found.item.server;
        let meeting = s.is_meeting || self.found.item.kind != ItemKind::CalendarItem;
        let received = meeting && s.my_response_type != Some(ResponseType::Organizer);
        i32::from(meeting) | (i32::from(received) << 1) | (i32::from(s.is_cancelled) << 2)
    }

    /// Writes one element if the mock models it; unmodelled elements are skipped.
    fn element(&mut self, prefix: &str, name: &str) {
        let found = self.found;
        let item = &found.item;
        let (f, s) = (&item.fields, &item.server);
        let owner = self.ctx.dir.mailbox(item.mailbox);
        let organizer = s.my_response_type == Some(ResponseType::Organizer);
        match (prefix, name) {
            ("item", "ItemId") => self.ctx.item_id(self.out, found.key, item),
            ("item", "ParentFolderId") => {
                self.out.empty("t:ParentFolderId", &[("Id", &ids::folder_id(&owner.guid, item.folder, self.ctx.seed))])
            }
            ("item", "ItemClass") => self.leaf(name, item.kind.item_class()),
            ("item", "Subject") => {
                if let Some(v) = &f.subject {
                    self.leaf(name, v);
                }
            }
            ("item", "Sensitivity") => self.leaf(name, f.sensitivity.map_or("Normal", |v| v.as_str())),
            ("item", "Body") => match &f.body {
                Some(b) => self.out.leaf_with("t:Body", &[("BodyType", b.body_type.as_str())], &b.text),
                None => self.out.empty("t:Body", &[("BodyType", "Text")]),
            },
            ("item", "DateTimeReceived" | "DateTimeSent" | "DateTimeCreated") => self.time(name, Some(item.created)),
            ("item", "Size") => self.leaf(name, &fields::size(item).to_string()),
            ("item", "Categories") if !f.categories.is_empty() => {
                self.out.start("t:Categories", &[]);
                for c in &f.categories {
                    self.out.leaf("t:String", c);
                }
                self.out.end("t:Categories");
            }
            ("item", "Importance") => self.leaf(name, f.importance.map_or("Normal", |v| v.as_str())),
            ("item", "IsSubmitted") => self.flag(name, item.folder == FolderKind::SentItems),
            ("item", "IsDraft" | "IsResend" | "IsUnmodified" | "HasAttachments" | "IsAssociated") => {
                self.flag(name, false)
            }
            ("item", "IsFromMe") => self.flag(name, item.kind != ItemKind::CalendarItem && organizer),
            ("item", "ResponseObjects") => self.response_objects(),
            ("item", "ReminderDueBy") => self.time(name, fields::reminder_due_by(item)),
            ("item", "ReminderIsSet") => self.flag(name, fields::reminder_is_set(item)),
            ("item", "ReminderMinutesBeforeStart") => self.leaf(name, &fields::reminder_minutes(item).to_string()),
            ("item", "DisplayCc") => self.leaf(name, &self.display_list(&f.optional_attendees)),
            ("item", "DisplayTo") => self.leaf(name, &self.display_list(&f.required_attendees)),
            ("item", "Culture") => self.leaf(name, "en-US"),
            ("item", "LastModifiedName") => {
                let who = s.organizer.filter(|_| item.kind == ItemKind::MeetingRequest).unwrap_or(item.mailbox);
                let display = self.ctx.dir.mailbox(who).display_name.clone();
                self.leaf(name, &display)
            }
            ("item", "LastModifiedTime") => self.time(name, Some(item.modified)),
            ("message", "Sender" | "From") => self.recipient(name, s.organizer),
            ("message", "ToRecipients") => self.recipients(name, &f.required_attendees),
            ("message", "CcRecipients") => self.recipients(name, &f.optional_attendees),
            ("message", "IsReadReceiptRequested" | "IsDeliveryReceiptRequested") => self.flag(name, false),
            ("message", "ConversationTopic") => self.leaf(name, f.subject.as_deref().unwrap_or("")),
            ("message", "IsRead") => self.flag(name, fields::is_read(item)),
            ("message", "IsResponseRequested") => self.flag(name, item.kind == ItemKind::MeetingRequest),
            ("message", "ReceivedBy" | "ReceivedRepresenting") if item.folder == FolderKind::Inbox => {
                self.recipient(name, Some(item.mailbox))
            }
            ("meeting", "AssociatedCalendarItemId") => {
                if let Some((key, cal)) = &found.associated {
                    let guid = &self.ctx.dir.mailbox(cal.mailbox).guid;
                    let id = ids::item_id(guid, *key, self.ctx.seed);
                    let change_key = crate::ops::change_key(cal, self.ctx.seed);
                    self.out.empty("t:AssociatedCalendarItemId", &[("Id", &id), ("ChangeKey", &change_key)]);
                }
            }
            ("meeting", "IsDelegated" | "IsOutOfDate") => self.flag(name, false),
            ("meeting", "HasBeenProcessed") => self.flag(name, found.associated.is_some()),
            ("meeting", "ResponseType") => {
                self.leaf(name, s.my_response_type.unwrap_or(ResponseType::Unknown).as_str())
            }
            ("meetingRequest", "MeetingRequestType") => self.leaf(name, "NewMeetingRequest"),
            ("meetingRequest", "IntendedFreeBusyStatus") => {
                self.leaf(name, f.legacy_free_busy_status.map_or("Busy", |v| v.as_str()))
            }
            ("calendar", _) => self.calendar_element(name),
            _ => {}
        }
    }

    fn calendar_element(&mut self, name: &str) {
        let item = &self.found.item;
        let (f, s) = (&item.fields, &item.server);
        let meeting = s.is_meeting || item.kind != ItemKind::CalendarItem;
        match name {
            "UID" => {
                if let Some(uid) = &s.uid {
                    self.leaf(name, uid);
                }
            }
            "DateTimeStamp" if meeting => self.time(name, Some(item.created)),
            "IsOrganizer" => self.flag(name, s.my_response_type == Some(ResponseType::Organizer)),
            "Start" => self.time(name, f.start),
            "End" => self.time(name, f.end),
            "IsAllDayEvent" => self.flag(name, f.is_all_day_event.unwrap_or(false)),
            "LegacyFreeBusyStatus" => self.leaf(name, f.legacy_free_busy_status.map_or("Busy", |v| v.as_str())),
            "Location" => {
                if let Some(v) = &f.location {
                    self.leaf(name, v);
                }
            }
            "IsMeeting" => self.flag(name, meeting),
            "IsCancelled" => self.flag(name, s.is_cancelled),
            "IsRecurring" => self.flag(name, false),
            "MeetingRequestWasSent" => self.flag(name, s.meeting_request_was_sent),
            "CalendarItemType" => self.leaf(name, "Single"),
            "MyResponseType" => {
                if let Some(r) = s.my_response_type {
                    self.leaf(name, r.as_str());
                }
            }
            "Organizer" => self.recipient(name, s.organizer.or(Some(item.mailbox))),
            "RequiredAttendees" => self.attendees(name, &f.required_attendees),
            "OptionalAttendees" => self.attendees(name, &f.optional_attendees),
            "Resources" => self.attendees(name, &f.resources),
            "Duration" => {
                if let (Some(start), Some(end)) = (f.start, f.end) {
                    self.leaf(name, &duration(end - start));
                }
            }
            "AppointmentSequenceNumber" => self.leaf(name, "0"),
            "AppointmentState" => self.leaf(name, &self.appointment_state().to_string()),
            "MeetingTimeZone" => {
                if let Some(tz) = &f.meeting_time_zone {
                    self.out.empty("t:MeetingTimeZone", &[("TimeZoneName", tz)]);
                }
            }
            "StartTimeZone" | "EndTimeZone" => {
                let tz = if name == "StartTimeZone" { &f.start_time_zone } else { &f.end_time_zone };
                if let Some(tz) = tz {
                    self.out.empty(&format!("t:{name}"), &[("Id", tz)]);
                }
            }
            "IsOnlineMeeting" | "AllowNewTimeProposal" if item.kind != ItemKind::MeetingCancellation => {
                self.flag(name, name == "AllowNewTimeProposal" && meeting)
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_written_as_exchange_writes_them() {
        assert_eq!(duration(1800), "PT30M");
        assert_eq!(duration(3600), "PT1H");
        assert_eq!(duration(90_000), "P1DT1H");
        assert_eq!(duration(0), "PT0S");
    }

    #[test]
    fn date_times_have_whole_seconds_and_z() {
        assert_eq!(date_time(1_767_603_600), "2026-01-05T09:00:00Z");
    }

    #[test]
    fn meeting_request_order_follows_the_schema_segments() {
        let segs = segments(ItemKind::MeetingRequest);
        let names: Vec<&str> = segs.iter().map(|(p, _)| *p).collect();
        assert_eq!(names, ["item", "message", "meeting", "calendar"]);
        assert_eq!(prefix(ItemKind::MeetingRequest, "meeting", "UID"), "calendar");
        assert_eq!(prefix(ItemKind::MeetingRequest, "calendar", "IntendedFreeBusyStatus"), "meetingRequest");
        assert_eq!(prefix(ItemKind::CalendarItem, "calendar", "IntendedFreeBusyStatus"), "calendar");
    }
}
