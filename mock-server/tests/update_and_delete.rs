//! UpdateItem and DeleteItem over real HTTP: field updates, ChangeKey conflicts, meeting updates
//! and cancellations, the item-ownership rule, and concurrent writers.
//!
//! Items are created with CreateItem over HTTP first; results are checked in the answers and in
//! the store through `MockEws::items`. Set `EWS_MOCK_DUMP_DIR` to keep every response body there,
//! e.g. to run `../shared/protocol/tools/validate_ews_xml.py` over them.

use std::sync::atomic::{AtomicUsize, Ordering};

use ews_mock::{Clock, FolderKind, MockEws, StoredItem};

/// The organizer in most tests.
const ALFRED: &str = "alfred@contoso.com";
/// An attendee, and the foreign mailbox.
const CHRIS: &str = "chris@contoso.com";
/// A second attendee.
const SONYA: &str = "sonyaf@contoso.com";

/// A mock with a fixed clock and seed, and an HTTP client signed in as the impersonation account.
struct Ews {
    /// The mock under test.
    mock: MockEws,
    /// The HTTP client.
    http: reqwest::Client,
}

/// One `*ResponseMessage`, read back.
#[derive(Debug, Clone)]
struct Reply {
    /// `ResponseClass`.
    class: String,
    /// `m:ResponseCode`.
    code: String,
    /// `m:MessageText` ("" on success).
    text: String,
    /// The first `t:ItemId` (Id, ChangeKey).
    id: Option<(String, String)>,
    /// `m:MessageXml/t:FieldURI/@FieldURI`.
    field_uri: Option<String>,
    /// `m:ConflictResults/t:Count`.
    conflict_count: Option<String>,
}

/// How many responses were dumped, for file names.
static DUMPED: AtomicUsize = AtomicUsize::new(0);

impl Ews {
    /// A fresh mock: fixed clock, seed 7, the demo tenant.
    fn start() -> Ews {
        let mock = MockEws::builder()
            .clock(Clock::fixed("2026-01-05T09:00:00Z".parse().expect("valid date")))
            .id_seed(7)
            .start()
            .expect("mock starts");
        Ews { mock, http: reqwest::Client::new() }
    }

    /// Posts one operation while impersonating `smtp`; returns the status and body.
    async fn raw(&self, smtp: &str, operation: &str) -> (u16, String) {
        let envelope = format!(
            r#"<?xml version="1.0" encoding="utf-8"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"
  xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages"
  xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types">
  <soap:Header>
    <t:RequestServerVersion Version="Exchange2016"/>
    <t:ExchangeImpersonation><t:ConnectingSID><t:PrimarySmtpAddress>{smtp}</t:PrimarySmtpAddress></t:ConnectingSID></t:ExchangeImpersonation>
  </soap:Header>
  <soap:Body>{operation}</soap:Body>
</soap:Envelope>"#
        );
        let response = self
            .http
            .post(self.mock.ews_url())
            .basic_auth("svc-calendar@contoso.com", Some("password"))
            .header("Content-Type", "text/xml; charset=utf-8")
            .body(envelope)
            .send()
            .await
            .expect("the mock answers");
        let status = response.status().as_u16();
        let body = response.text().await.expect("a body");
        if let Ok(dir) = std::env::var("EWS_MOCK_DUMP_DIR") {
            let n = DUMPED.fetch_add(1, Ordering::SeqCst);
            let name = format!("{dir}/{}-{n:03}.xml", std::process::id());
            std::fs::write(name, &body).expect("dump directory is writable");
        }
        (status, body)
    }

    /// Posts an operation that must not fault; returns its response messages.
    async fn call(&self, smtp: &str, operation: &str) -> Vec<Reply> {
        let (status, body) = self.raw(smtp, operation).await;
        assert_eq!(status, 200, "{body}");
        replies(&body)
    }

    /// Creates one calendar item in `smtp`'s calendar; returns (Id, ChangeKey).
    async fn create(&self, smtp: &str, send: &str, inner: &str) -> (String, String) {
        let op = format!(
            "<m:CreateItem SendMeetingInvitations=\"{send}\"><m:Items><t:CalendarItem>{inner}</t:CalendarItem></m:Items></m:CreateItem>"
        );
        let reply = self.call(smtp, &op).await.remove(0);
        assert_eq!(reply.class, "Success", "{reply:?}");
        reply.id.expect("an item id")
    }

    /// Creates an appointment (no attendees) with subject, body, an hour and a location.
    async fn appointment(&self, smtp: &str, subject: &str) -> (String, String) {
        let inner = format!(
            "<t:Subject>{subject}</t:Subject><t:Body BodyType=\"Text\">Agenda</t:Body>\
             <t:Start>2026-01-06T10:00:00Z</t:Start><t:End>2026-01-06T11:00:00Z</t:End><t:Location>Room 1</t:Location>"
        );
        self.create(smtp, "SendToNone", &inner).await
    }

    /// A meeting organized by alfred with chris and sonya invited (requests sent).
    async fn meeting(&self, subject: &str) -> (String, String) {
        let inner = format!(
            "<t:Subject>{subject}</t:Subject><t:Start>2026-01-06T10:00:00Z</t:Start><t:End>2026-01-06T11:00:00Z</t:End>\
             <t:RequiredAttendees>{}{}</t:RequiredAttendees>",
            attendee(CHRIS),
            attendee(SONYA)
        );
        self.create(ALFRED, "SendToAllAndSaveCopy", &inner).await
    }

    /// The items of a mailbox folder.
    fn items(&self, smtp: &str, folder: FolderKind) -> Vec<StoredItem> {
        self.mock.items(smtp, folder)
    }

    /// One stored item by id, if it is in that folder.
    fn stored(&self, smtp: &str, folder: FolderKind, id: &str) -> Option<StoredItem> {
        self.items(smtp, folder).into_iter().find(|i| i.id == id)
    }
}

/// A `t:Attendee` for an address.
fn attendee(smtp: &str) -> String {
    format!("<t:Attendee><t:Mailbox><t:EmailAddress>{smtp}</t:EmailAddress></t:Mailbox></t:Attendee>")
}

/// An UpdateItem with one ItemChange.
fn update_item(attrs: &str, id: &str, change_key: Option<&str>, updates: &str) -> String {
    let ck = change_key.map(|k| format!(" ChangeKey=\"{k}\"")).unwrap_or_default();
    format!(
        "<m:UpdateItem {attrs}><m:ItemChanges><t:ItemChange><t:ItemId Id=\"{id}\"{ck}/>\
         <t:Updates>{updates}</t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>"
    )
}

/// A `t:SetItemField` with its CalendarItem value.
fn set(uri: &str, element: &str) -> String {
    format!(
        "<t:SetItemField><t:FieldURI FieldURI=\"{uri}\"/><t:CalendarItem>{element}</t:CalendarItem></t:SetItemField>"
    )
}

/// A `t:AppendToItemField` with its CalendarItem value.
fn append(uri: &str, element: &str) -> String {
    format!(
        "<t:AppendToItemField><t:FieldURI FieldURI=\"{uri}\"/><t:CalendarItem>{element}</t:CalendarItem></t:AppendToItemField>"
    )
}

/// A `t:DeleteItemField`.
fn delete_field(uri: &str) -> String {
    format!("<t:DeleteItemField><t:FieldURI FieldURI=\"{uri}\"/></t:DeleteItemField>")
}

/// A DeleteItem of these ids.
fn delete_item(attrs: &str, ids: &[&str]) -> String {
    let ids: String = ids.iter().map(|id| format!("<t:ItemId Id=\"{id}\"/>")).collect();
    format!("<m:DeleteItem {attrs}><m:ItemIds>{ids}</m:ItemIds></m:DeleteItem>")
}

/// The messages namespace.
const M: &str = "http://schemas.microsoft.com/exchange/services/2006/messages";
/// The types namespace.
const T: &str = "http://schemas.microsoft.com/exchange/services/2006/types";

/// Reads every `m:*ResponseMessage` of a response body.
fn replies(body: &str) -> Vec<Reply> {
    let doc = roxmltree::Document::parse(body).expect("well-formed response");
    let child_text = |n: roxmltree::Node, uri: &str, local: &str| {
        n.descendants().find(|c| c.has_tag_name((uri, local))).map(|c| c.text().unwrap_or("").to_string())
    };
    doc.descendants()
        .filter(|n| n.is_element() && n.tag_name().name().ends_with("ResponseMessage"))
        .map(|n| Reply {
            class: n.attribute("ResponseClass").unwrap_or("").to_string(),
            code: child_text(n, M, "ResponseCode").unwrap_or_default(),
            text: child_text(n, M, "MessageText").unwrap_or_default(),
            id: n.descendants().find(|c| c.has_tag_name((T, "ItemId"))).map(|c| {
                (c.attribute("Id").unwrap_or("").to_string(), c.attribute("ChangeKey").unwrap_or("").to_string())
            }),
            field_uri: n
                .descendants()
                .find(|c| c.has_tag_name((T, "FieldURI")))
                .and_then(|c| c.attribute("FieldURI").map(str::to_string)),
            conflict_count: n
                .descendants()
                .find(|c| c.has_tag_name((M, "ConflictResults")))
                .and_then(|c| child_text(c, T, "Count")),
        })
        .collect()
}

/// AutoResolve, sending nothing: what exchangelib sends for `save(update_fields=…)`.
const TO_NONE: &str = "ConflictResolution=\"AutoResolve\" SendMeetingInvitationsOrCancellations=\"SendToNone\"";

#[tokio::test]
async fn set_item_field_changes_the_subject_and_returns_the_same_id_with_a_new_change_key() {
    let ews = Ews::start();
    let (id, ck) = ews.appointment(ALFRED, "Tennis lesson").await;
    let op = update_item(TO_NONE, &id, Some(&ck), &set("item:Subject", "<t:Subject>Tennis (moved)</t:Subject>"));
    let reply = ews.call(ALFRED, &op).await.remove(0);
    assert_eq!((reply.class.as_str(), reply.code.as_str()), ("Success", "NoError"), "{reply:?}");
    let (new_id, new_ck) = reply.id.clone().expect("the updated item's id");
    assert_eq!(new_id, id, "UpdateItem returns the same Id");
    assert_ne!(new_ck, ck, "UpdateItem returns a new ChangeKey");
    assert_eq!(reply.conflict_count.as_deref(), Some("0"));
    let stored = ews.stored(ALFRED, FolderKind::Calendar, &id).expect("still in the calendar");
    assert_eq!(stored.fields.subject.as_deref(), Some("Tennis (moved)"));
    assert_eq!(stored.change_key, new_ck);
}

#[tokio::test]
async fn append_to_item_field_adds_body_text_and_attendees() {
    let ews = Ews::start();
    let (id, ck) = ews.appointment(ALFRED, "Planning").await;
    let updates = format!(
        "{}{}",
        append("item:Body", "<t:Body BodyType=\"Text\"> and budget</t:Body>"),
        append(
            "calendar:RequiredAttendees",
            &format!("<t:RequiredAttendees>{}</t:RequiredAttendees>", attendee(CHRIS))
        )
    );
    let reply = ews.call(ALFRED, &update_item(TO_NONE, &id, Some(&ck), &updates)).await.remove(0);
    assert_eq!(reply.class, "Success", "{reply:?}");
    let stored = ews.stored(ALFRED, FolderKind::Calendar, &id).expect("stored");
    assert_eq!(stored.fields.body.map(|b| b.text.to_string()).as_deref(), Some("Agenda and budget"));
    assert_eq!(stored.fields.required_attendees.len(), 1);
    assert!(stored.server.is_meeting, "an item with attendees is a meeting");
    assert!(ews.items(CHRIS, FolderKind::Inbox).is_empty(), "SendToNone delivers nothing");
}

#[tokio::test]
async fn append_to_a_single_valued_field_is_refused_and_changes_nothing() {
    let ews = Ews::start();
    let (id, ck) = ews.appointment(ALFRED, "Planning").await;
    let updates = format!(
        "{}{}",
        set("item:Subject", "<t:Subject>Changed</t:Subject>"),
        append("calendar:Location", "<t:Location> annex</t:Location>")
    );
    let reply = ews.call(ALFRED, &update_item(TO_NONE, &id, Some(&ck), &updates)).await.remove(0);
    assert_eq!(reply.code, "ErrorInvalidPropertyAppend", "{reply:?}");
    assert_eq!(reply.field_uri.as_deref(), Some("calendar:Location"));
    let stored = ews.stored(ALFRED, FolderKind::Calendar, &id).expect("stored");
    assert_eq!(stored.fields.subject.as_deref(), Some("Planning"));
    assert_eq!(stored.change_key, ck);
}

#[tokio::test]
async fn delete_item_field_clears_the_location() {
    let ews = Ews::start();
    let (id, ck) = ews.appointment(ALFRED, "Planning").await;
    let reply = ews.call(ALFRED, &update_item(TO_NONE, &id, Some(&ck), &delete_field("calendar:Location"))).await;
    assert_eq!(reply[0].class, "Success", "{reply:?}");
    let stored = ews.stored(ALFRED, FolderKind::Calendar, &id).expect("stored");
    assert_eq!(stored.fields.location, None);
    assert_eq!(stored.fields.subject.as_deref(), Some("Planning"));
}

#[tokio::test]
async fn a_stale_change_key_is_an_irresolvable_conflict_and_leaves_the_item_unchanged() {
    let ews = Ews::start();
    let (id, stale) = ews.appointment(ALFRED, "v1").await;
    let first = update_item(TO_NONE, &id, Some(&stale), &set("item:Subject", "<t:Subject>v2</t:Subject>"));
    assert_eq!(ews.call(ALFRED, &first).await[0].class, "Success");
    for conflict in ["NeverOverwrite", "AutoResolve"] {
        let attrs = format!("ConflictResolution=\"{conflict}\" SendMeetingInvitationsOrCancellations=\"SendToNone\"");
        let op = update_item(&attrs, &id, Some(&stale), &set("item:Subject", "<t:Subject>v3</t:Subject>"));
        let reply = ews.call(ALFRED, &op).await.remove(0);
        assert_eq!((reply.class.as_str(), reply.code.as_str()), ("Error", "ErrorIrresolvableConflict"), "{conflict}");
        let stored = ews.stored(ALFRED, FolderKind::Calendar, &id).expect("stored");
        assert_eq!(stored.fields.subject.as_deref(), Some("v2"), "{conflict} changed nothing");
    }
}

#[tokio::test]
async fn always_overwrite_ignores_a_stale_change_key_but_still_requires_one() {
    let ews = Ews::start();
    let (id, stale) = ews.appointment(ALFRED, "v1").await;
    let first = update_item(TO_NONE, &id, Some(&stale), &set("item:Subject", "<t:Subject>v2</t:Subject>"));
    assert_eq!(ews.call(ALFRED, &first).await[0].class, "Success");
    let attrs = "ConflictResolution=\"AlwaysOverwrite\" SendMeetingInvitationsOrCancellations=\"SendToNone\"";
    let without = update_item(attrs, &id, None, &set("item:Subject", "<t:Subject>v3</t:Subject>"));
    assert_eq!(ews.call(ALFRED, &without).await[0].code, "ErrorChangeKeyRequiredForWriteOperations");
    let forged = update_item(attrs, &id, Some("bm90IGEga2V5"), &set("item:Subject", "<t:Subject>v3</t:Subject>"));
    assert_eq!(ews.call(ALFRED, &forged).await[0].code, "ErrorInvalidChangeKey");
    let stale_op = update_item(attrs, &id, Some(&stale), &set("item:Subject", "<t:Subject>v3</t:Subject>"));
    assert_eq!(ews.call(ALFRED, &stale_op).await[0].class, "Success");
    let stored = ews.stored(ALFRED, FolderKind::Calendar, &id).expect("stored");
    assert_eq!(stored.fields.subject.as_deref(), Some("v3"));
}

#[tokio::test]
async fn a_calendar_item_update_without_send_meeting_invitations_or_cancellations_is_refused() {
    let ews = Ews::start();
    let (id, ck) = ews.appointment(ALFRED, "Planning").await;
    let op = update_item(
        "ConflictResolution=\"AutoResolve\"",
        &id,
        Some(&ck),
        &set("item:Subject", "<t:Subject>x</t:Subject>"),
    );
    let reply = ews.call(ALFRED, &op).await.remove(0);
    assert_eq!(reply.code, "ErrorSendMeetingInvitationsOrCancellationsRequired", "{reply:?}");
    assert_eq!(ews.stored(ALFRED, FolderKind::Calendar, &id).expect("stored").change_key, ck);
}

#[tokio::test]
async fn an_end_before_start_after_the_update_is_refused_and_nothing_changes() {
    let ews = Ews::start();
    let (id, ck) = ews.appointment(ALFRED, "Planning").await;
    let updates = format!(
        "{}{}",
        set("item:Subject", "<t:Subject>Later</t:Subject>"),
        set("calendar:Start", "<t:Start>2026-01-06T12:00:00Z</t:Start>")
    );
    let reply = ews.call(ALFRED, &update_item(TO_NONE, &id, Some(&ck), &updates)).await.remove(0);
    assert_eq!(reply.code, "ErrorCalendarEndDateIsEarlierThanStartDate", "{reply:?}");
    let stored = ews.stored(ALFRED, FolderKind::Calendar, &id).expect("stored");
    assert_eq!(stored.fields.subject.as_deref(), Some("Planning"));
    assert_eq!(stored.change_key, ck);
}

#[tokio::test]
async fn a_read_only_field_is_refused_with_its_field_uri_and_an_unknown_one_is_a_schema_fault() {
    let ews = Ews::start();
    let (id, ck) = ews.appointment(ALFRED, "Planning").await;
    let op = update_item(TO_NONE, &id, Some(&ck), &set("calendar:IsMeeting", "<t:IsMeeting>true</t:IsMeeting>"));
    let reply = ews.call(ALFRED, &op).await.remove(0);
    assert_eq!(reply.code, "ErrorInvalidPropertySet", "{reply:?}");
    assert_eq!(reply.field_uri.as_deref(), Some("calendar:IsMeeting"));
    let op = update_item(TO_NONE, &id, Some(&ck), &delete_field("calendar:Subject"));
    let (status, body) = ews.raw(ALFRED, &op).await;
    assert_eq!(status, 500);
    assert!(body.contains("ErrorSchemaValidation") && body.contains("calendar:Subject"), "{body}");
    let unmodelled = update_item(TO_NONE, &id, Some(&ck), &delete_field("calendar:Recurrence"));
    assert_eq!(ews.call(ALFRED, &unmodelled).await[0].class, "Success", "valid but unmodelled is accepted");
}

#[tokio::test]
async fn updating_a_meeting_sends_the_update_to_attendees_in_the_tenant() {
    let ews = Ews::start();
    let (id, ck) = ews.meeting("Team sync").await;
    let attrs = "ConflictResolution=\"AlwaysOverwrite\" SendMeetingInvitationsOrCancellations=\"SendToAllAndSaveCopy\"";
    let updates = format!(
        "{}{}",
        set("item:Subject", "<t:Subject>Team sync (moved)</t:Subject>"),
        set("calendar:RequiredAttendees", &format!("<t:RequiredAttendees>{}</t:RequiredAttendees>", attendee(CHRIS)))
    );
    let reply = ews.call(ALFRED, &update_item(attrs, &id, Some(&ck), &updates)).await.remove(0);
    assert_eq!(reply.class, "Success", "{reply:?}");
    let inbox = ews.items(CHRIS, FolderKind::Inbox);
    assert_eq!(inbox.len(), 2, "the original request and the update");
    assert_eq!(inbox[1].fields.subject.as_deref(), Some("Team sync (moved)"));
    let copies = ews.items(CHRIS, FolderKind::Calendar);
    assert_eq!(copies.len(), 1, "the attendee's copy is updated, not duplicated");
    assert_eq!(copies[0].fields.subject.as_deref(), Some("Team sync (moved)"));
    let sonya = ews.items(SONYA, FolderKind::Inbox);
    assert_eq!(sonya.last().map(|i| i.kind), Some(ews_mock::ItemKind::MeetingCancellation), "removed attendee");
    assert!(ews.items(SONYA, FolderKind::Calendar)[0].server.is_cancelled);
    assert_eq!(ews.items(ALFRED, FolderKind::SentItems).len(), 3, "request, update and cancellation copies");
}

#[tokio::test]
async fn hard_delete_removes_the_item_and_a_second_delete_is_item_not_found() {
    let ews = Ews::start();
    let (id, _) = ews.appointment(ALFRED, "Planning").await;
    let op = delete_item("DeleteType=\"HardDelete\" SendMeetingCancellations=\"SendToNone\"", &[&id]);
    let reply = ews.call(ALFRED, &op).await;
    assert_eq!((reply.len(), reply[0].class.as_str()), (1, "Success"), "{reply:?}");
    assert!(ews.items(ALFRED, FolderKind::Calendar).is_empty());
    assert!(ews.items(ALFRED, FolderKind::DeletedItems).is_empty());
    let again = ews.call(ALFRED, &op).await.remove(0);
    assert_eq!((again.class.as_str(), again.code.as_str()), ("Error", "ErrorItemNotFound"));
    assert_eq!(again.text, "The specified object was not found in the store.");
}

#[tokio::test]
async fn soft_delete_removes_the_item_from_every_folder() {
    let ews = Ews::start();
    let (id, _) = ews.appointment(ALFRED, "Planning").await;
    let op = delete_item("DeleteType=\"SoftDelete\" SendMeetingCancellations=\"SendToNone\"", &[&id]);
    assert_eq!(ews.call(ALFRED, &op).await[0].class, "Success");
    for folder in FolderKind::ALL {
        assert!(ews.stored(ALFRED, folder, &id).is_none(), "{folder:?}");
    }
}

#[tokio::test]
async fn move_to_deleted_items_moves_it_with_a_new_change_key_and_blocks_sending_updates() {
    let ews = Ews::start();
    let (id, ck) = ews.appointment(ALFRED, "Planning").await;
    let op = delete_item("DeleteType=\"MoveToDeletedItems\" SendMeetingCancellations=\"SendToNone\"", &[&id]);
    assert_eq!(ews.call(ALFRED, &op).await[0].class, "Success");
    let moved = ews.stored(ALFRED, FolderKind::DeletedItems, &id).expect("in Deleted Items");
    assert_ne!(moved.change_key, ck);
    assert!(ews.items(ALFRED, FolderKind::Calendar).is_empty());
    let attrs = "ConflictResolution=\"AutoResolve\" SendMeetingInvitationsOrCancellations=\"SendOnlyToAll\"";
    let update = update_item(attrs, &id, Some(&moved.change_key), &set("item:Subject", "<t:Subject>x</t:Subject>"));
    assert_eq!(ews.call(ALFRED, &update).await[0].code, "ErrorCalendarCannotUpdateDeletedItem");
    let update = update_item(TO_NONE, &id, Some(&moved.change_key), &set("item:Subject", "<t:Subject>x</t:Subject>"));
    assert_eq!(ews.call(ALFRED, &update).await[0].class, "Success");
}

#[tokio::test]
async fn deleting_a_calendar_item_without_send_meeting_cancellations_is_refused() {
    let ews = Ews::start();
    let (id, _) = ews.appointment(ALFRED, "Planning").await;
    let reply = ews.call(ALFRED, &delete_item("DeleteType=\"HardDelete\"", &[&id])).await.remove(0);
    assert_eq!(reply.code, "ErrorSendMeetingCancellationsRequired", "{reply:?}");
    assert!(ews.stored(ALFRED, FolderKind::Calendar, &id).is_some());
}

#[tokio::test]
async fn deleting_a_meeting_sends_cancellations_to_attendees_and_saves_a_copy() {
    let ews = Ews::start();
    let (id, _) = ews.meeting("Team sync").await;
    let op = delete_item("DeleteType=\"MoveToDeletedItems\" SendMeetingCancellations=\"SendToAllAndSaveCopy\"", &[&id]);
    assert_eq!(ews.call(ALFRED, &op).await[0].class, "Success");
    for attendee in [CHRIS, SONYA] {
        let inbox = ews.items(attendee, FolderKind::Inbox);
        let cancellation = inbox.last().expect("a cancellation");
        assert_eq!(cancellation.kind, ews_mock::ItemKind::MeetingCancellation, "{attendee}");
        assert_eq!(cancellation.fields.subject.as_deref(), Some("Canceled: Team sync"));
        let copy = &ews.items(attendee, FolderKind::Calendar)[0];
        assert!(copy.server.is_cancelled, "{attendee}'s copy is cancelled");
        assert_eq!(copy.server.uid, cancellation.server.uid);
    }
    let sent = ews.items(ALFRED, FolderKind::SentItems);
    assert_eq!(sent.last().map(|i| i.kind), Some(ews_mock::ItemKind::MeetingCancellation));
}

#[tokio::test]
async fn a_foreign_item_cannot_be_deleted_or_updated_and_stays_stored() {
    let ews = Ews::start();
    let (id, ck) = ews.appointment(ALFRED, "Alfred's").await;
    let op = delete_item("DeleteType=\"HardDelete\" SendMeetingCancellations=\"SendToNone\"", &[&id]);
    let reply = ews.call(CHRIS, &op).await.remove(0);
    assert_eq!((reply.class.as_str(), reply.code.as_str()), ("Error", "ErrorItemNotFound"));
    let update = update_item(TO_NONE, &id, Some(&ck), &set("item:Subject", "<t:Subject>Chris was here</t:Subject>"));
    assert_eq!(ews.call(CHRIS, &update).await[0].code, "ErrorItemNotFound");
    let stored = ews.stored(ALFRED, FolderKind::Calendar, &id).expect("still stored");
    assert_eq!(stored.fields.subject.as_deref(), Some("Alfred's"));
}

#[tokio::test]
async fn one_message_per_id_in_request_order() {
    let ews = Ews::start();
    let (a, _) = ews.appointment(ALFRED, "a").await;
    let (b, _) = ews.appointment(ALFRED, "b").await;
    let op = delete_item("DeleteType=\"HardDelete\" SendMeetingCancellations=\"SendToNone\"", &[&a, &a, &b]);
    let codes: Vec<String> = ews.call(ALFRED, &op).await.into_iter().map(|r| r.code).collect();
    assert_eq!(codes, ["NoError", "ErrorItemNotFound", "NoError"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_updates_with_the_same_change_key_let_exactly_one_win() {
    let ews = std::sync::Arc::new(Ews::start());
    let (id, ck) = ews.appointment(ALFRED, "v0").await;
    let mut tasks = Vec::new();
    for n in 0..8 {
        let (ews, id, ck) = (ews.clone(), id.clone(), ck.clone());
        tasks.push(tokio::spawn(async move {
            let attrs = "ConflictResolution=\"NeverOverwrite\" SendMeetingInvitationsOrCancellations=\"SendToNone\"";
            let op =
                update_item(attrs, &id, Some(&ck), &set("item:Subject", &format!("<t:Subject>writer {n}</t:Subject>")));
            (n, ews.call(ALFRED, &op).await.remove(0))
        }));
    }
    let mut winners = Vec::new();
    for task in tasks {
        let (n, reply) = task.await.expect("task ran");
        match reply.code.as_str() {
            "NoError" => winners.push(n),
            other => assert_eq!(other, "ErrorIrresolvableConflict"),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one writer wins: {winners:?}");
    let stored = ews.stored(ALFRED, FolderKind::Calendar, &id).expect("stored");
    assert_eq!(stored.fields.subject.as_deref(), Some(format!("writer {}", winners[0]).as_str()));
}

#[tokio::test]
async fn send_only_to_changed_invites_just_the_added_attendee() {
    let ews = Ews::start();
    let inner = format!(
        "<t:Subject>Review</t:Subject><t:Start>2026-01-06T10:00:00Z</t:Start><t:End>2026-01-06T11:00:00Z</t:End>\
         <t:RequiredAttendees>{}</t:RequiredAttendees>",
        attendee(CHRIS)
    );
    let (id, ck) = ews.create(ALFRED, "SendOnlyToAll", &inner).await;
    let attrs = "ConflictResolution=\"AutoResolve\" SendMeetingInvitationsOrCancellations=\"SendOnlyToChanged\"";
    let added = append(
        "calendar:RequiredAttendees",
        &format!("<t:RequiredAttendees>{}</t:RequiredAttendees>", attendee(SONYA)),
    );
    assert_eq!(ews.call(ALFRED, &update_item(attrs, &id, Some(&ck), &added)).await[0].class, "Success");
    assert_eq!(ews.items(CHRIS, FolderKind::Inbox).len(), 1, "chris is unaffected: only the first request");
    assert_eq!(ews.items(SONYA, FolderKind::Inbox).len(), 1, "sonya gets the request");
    let copy = &ews.items(SONYA, FolderKind::Calendar)[0];
    assert_eq!(copy.fields.legacy_free_busy_status, Some(ews_mock::LegacyFreeBusyStatus::Tentative));
    assert!(ews.items(ALFRED, FolderKind::SentItems).is_empty(), "no SaveCopy asked");
}

#[tokio::test]
async fn an_occurrence_id_of_a_single_item_is_refused() {
    let ews = Ews::start();
    let (id, ck) = ews.appointment(ALFRED, "Single").await;
    let op = format!(
        "<m:UpdateItem {TO_NONE}><m:ItemChanges><t:ItemChange>\
         <t:OccurrenceItemId RecurringMasterId=\"{id}\" ChangeKey=\"{ck}\" InstanceIndex=\"1\"/>\
         <t:Updates>{}</t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>",
        set("item:Subject", "<t:Subject>x</t:Subject>")
    );
    let reply = ews.call(ALFRED, &op).await.remove(0);
    assert_eq!(reply.code, "ErrorCalendarCannotUseIdForRecurringMasterId", "{reply:?}");
}
