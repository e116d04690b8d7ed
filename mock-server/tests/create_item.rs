//! CreateItem over real HTTP: the seed scenario, batches, meetings, and the per-item rules.

mod common;

use common::*;
use ews_mock::{FolderKind, ItemKind, MockEws, ResponseCode};

#[test]
fn seed_request_creates_the_appointment_in_alfreds_calendar() {
    let mock = MockEws::start();
    let mut conn = Conn::open(mock.address());
    let resp = conn.post(Some(&svc_calendar()), &seed_request("alfred@contoso.com"));
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert_eq!(resp.response_codes(), ["NoError"]);
    let doc = resp.doc();
    let message = doc.descendants().find(|n| n.has_tag_name((MESSAGES, "CreateItemResponseMessage"))).expect("message");
    assert_eq!(message.attribute("ResponseClass"), Some("Success"));
    let item_id = doc.descendants().find(|n| n.has_tag_name((TYPES, "ItemId"))).expect("ItemId");
    assert_eq!(item_id.parent().map(|p| p.tag_name().name()), Some("CalendarItem"));
    let (id, ck) = (item_id.attribute("Id").expect("Id"), item_id.attribute("ChangeKey").expect("ChangeKey"));
    assert!(id.len() <= 512 && !ck.is_empty());

    let stored = mock.items("alfred@contoso.com", FolderKind::Calendar);
    assert_eq!(stored.len(), 1);
    let item = &stored[0];
    assert_eq!((item.id.as_str(), item.change_key.as_str()), (id, ck));
    assert_eq!(item.fields.subject.as_deref(), Some("Tennis lesson"));
    assert_eq!(item.fields.location.as_deref(), Some("Tennis club"));
    assert_eq!(item.fields.end.zip(item.fields.start).map(|(e, s)| e - s), Some(3600));
    assert!(!item.server.is_meeting, "an appointment without attendees is not a meeting");
    assert_eq!(item.organizer.as_deref(), Some("alfred@contoso.com"));
    for other in ["sonyaf@contoso.com", "chris@contoso.com"] {
        assert!(mock.items(other, FolderKind::Calendar).is_empty());
    }
}

#[test]
fn every_success_carries_server_version_info() {
    let mock = MockEws::start();
    let resp = Conn::open(mock.address()).post(Some(&svc_calendar()), &seed_request("chris@contoso.com"));
    let doc = resp.doc();
    let info = doc.descendants().find(|n| n.has_tag_name((TYPES, "ServerVersionInfo"))).expect("ServerVersionInfo");
    assert_eq!(info.parent().map(|p| p.tag_name().name()), Some("Header"));
    for attr in ["MajorVersion", "MinorVersion", "MajorBuildNumber", "MinorBuildNumber", "Version"] {
        assert!(info.attribute(attr).is_some(), "{attr} missing");
    }
}

#[test]
fn several_items_get_one_message_each_in_order() {
    let mock = MockEws::start();
    let bad = "<t:CalendarItem><t:Subject>backwards</t:Subject><t:Start>2026-01-02T10:00:00Z</t:Start><t:End>2026-01-02T09:00:00Z</t:End></t:CalendarItem>";
    let body = create_item("SendMeetingInvitations=\"SendToNone\"", &format!("{SEED_ITEM}{bad}{SEED_ITEM}"));
    let req = envelope(&impersonate("SmtpAddress", "sonyaf@contoso.com"), &body);
    let resp = Conn::open(mock.address()).post(Some(&svc_calendar()), &req);
    assert_eq!(resp.status, 200);
    assert_eq!(resp.response_codes(), ["NoError", "ErrorCalendarEndDateIsEarlierThanStartDate", "NoError"]);
    let ids = resp.item_ids();
    assert_eq!(ids.len(), 2);
    assert_ne!(ids[0], ids[1], "ids are unique");
    assert!(resp.body.contains("<m:Items/>"), "the error message carries an empty Items: {}", resp.body);
    assert_eq!(mock.items("sonyaf@contoso.com", FolderKind::Calendar).len(), 2);
}

#[test]
fn missing_send_meeting_invitations_is_refused_for_each_item() {
    let mock = MockEws::start();
    let req = envelope(
        &impersonate("SmtpAddress", "alfred@contoso.com"),
        &create_item("", &format!("{SEED_ITEM}{SEED_ITEM}")),
    );
    let resp = Conn::open(mock.address()).post(Some(&svc_calendar()), &req);
    let code = ResponseCode::ErrorSendMeetingInvitationsRequired.as_str();
    assert_eq!(resp.response_codes(), [code, code]);
    assert!(resp.body.contains("The SendMeetingInvitations attribute is required for calendar items."));
    assert!(mock.items("alfred@contoso.com", FolderKind::Calendar).is_empty());
}

#[test]
fn saved_item_folder_id_with_mailbox_and_message_disposition_are_accepted() {
    let mock = MockEws::start();
    let body = format!(
        "<m:CreateItem MessageDisposition=\"SaveOnly\" SendMeetingInvitations=\"SendToNone\"><m:SavedItemFolderId><t:DistinguishedFolderId Id=\"calendar\"><t:Mailbox><t:EmailAddress>chris@contoso.com</t:EmailAddress><t:RoutingType>SMTP</t:RoutingType><t:MailboxType>Mailbox</t:MailboxType></t:Mailbox></t:DistinguishedFolderId></m:SavedItemFolderId><m:Items>{SEED_ITEM}</m:Items></m:CreateItem>"
    );
    let req = envelope(&impersonate("PrimarySmtpAddress", "chris@contoso.com"), &body);
    let resp = Conn::open(mock.address()).post(Some(&svc_calendar()), &req);
    assert_eq!(resp.response_codes(), ["NoError"], "{}", resp.body);
    assert_eq!(mock.items("chris@contoso.com", FolderKind::Calendar).len(), 1);
}

#[test]
fn saved_item_folder_of_another_mailbox_is_one_access_denied_message() {
    let mock = MockEws::start();
    let body = format!(
        "<m:CreateItem SendMeetingInvitations=\"SendToNone\"><m:SavedItemFolderId><t:DistinguishedFolderId Id=\"calendar\"><t:Mailbox><t:EmailAddress>alfred@contoso.com</t:EmailAddress></t:Mailbox></t:DistinguishedFolderId></m:SavedItemFolderId><m:Items>{SEED_ITEM}{SEED_ITEM}</m:Items></m:CreateItem>"
    );
    let req = envelope(&impersonate("SmtpAddress", "chris@contoso.com"), &body);
    let resp = Conn::open(mock.address()).post(Some(&svc_calendar()), &req);
    assert_eq!(resp.response_codes(), ["ErrorAccessDenied"], "a request-level error is one message");
    assert!(mock.items("alfred@contoso.com", FolderKind::Calendar).is_empty());
    assert!(mock.items("chris@contoso.com", FolderKind::Calendar).is_empty());
}

fn meeting(mode: &str) -> (MockEws, Resp) {
    let mock = MockEws::start();
    let item = "<t:CalendarItem><t:Subject>Planning</t:Subject><t:Start>2026-03-02T10:00:00Z</t:Start><t:End>2026-03-02T11:00:00Z</t:End><t:RequiredAttendees><t:Attendee><t:Mailbox><t:EmailAddress>chris@contoso.com</t:EmailAddress></t:Mailbox></t:Attendee><t:Attendee><t:Mailbox><t:EmailAddress>outside@fabrikam.com</t:EmailAddress></t:Mailbox></t:Attendee></t:RequiredAttendees><t:OptionalAttendees><t:Attendee><t:Mailbox><t:EmailAddress>SONYAF@contoso.com</t:EmailAddress></t:Mailbox></t:Attendee></t:OptionalAttendees></t:CalendarItem>";
    let req = envelope(
        &impersonate("SmtpAddress", "alfred@contoso.com"),
        &create_item(&format!("SendMeetingInvitations=\"{mode}\""), item),
    );
    let resp = Conn::open(mock.address()).post(Some(&svc_calendar()), &req);
    assert_eq!(resp.response_codes(), ["NoError"], "{}", resp.body);
    (mock, resp)
}

#[test]
fn meeting_with_send_to_all_and_save_copy_delivers_requests_and_keeps_a_copy() {
    let (mock, _) = meeting("SendToAllAndSaveCopy");
    let organizer = mock.items("alfred@contoso.com", FolderKind::Calendar);
    assert_eq!(organizer.len(), 1);
    assert!(organizer[0].server.is_meeting && organizer[0].server.meeting_request_was_sent);
    for attendee in ["chris@contoso.com", "sonyaf@contoso.com"] {
        let inbox = mock.items(attendee, FolderKind::Inbox);
        assert_eq!(inbox.len(), 1, "{attendee} gets one request");
        assert_eq!(inbox[0].kind, ItemKind::MeetingRequest);
        assert_eq!(inbox[0].organizer.as_deref(), Some("alfred@contoso.com"));
        let calendar = mock.items(attendee, FolderKind::Calendar);
        assert_eq!(calendar.len(), 1, "{attendee} holds the tentative meeting");
        assert_eq!(calendar[0].fields.legacy_free_busy_status, Some(ews_mock::LegacyFreeBusyStatus::Tentative));
        assert_eq!(calendar[0].server.uid, organizer[0].server.uid);
    }
    let sent = mock.items("alfred@contoso.com", FolderKind::SentItems);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].kind, ItemKind::MeetingRequest);
}

#[test]
fn meeting_with_send_only_to_all_keeps_no_sent_copy() {
    let (mock, _) = meeting("SendOnlyToAll");
    assert_eq!(mock.items("chris@contoso.com", FolderKind::Inbox).len(), 1);
    assert!(mock.items("alfred@contoso.com", FolderKind::SentItems).is_empty());
}

#[test]
fn meeting_with_send_to_none_is_saved_but_sends_nothing() {
    let (mock, _) = meeting("SendToNone");
    let organizer = mock.items("alfred@contoso.com", FolderKind::Calendar);
    assert!(organizer[0].server.is_meeting, "Exchange marks an item with attendees as a meeting");
    assert!(!organizer[0].server.meeting_request_was_sent);
    assert!(mock.items("chris@contoso.com", FolderKind::Inbox).is_empty());
    assert!(mock.items("chris@contoso.com", FolderKind::Calendar).is_empty());
}

#[test]
fn saving_an_already_saved_item_again_is_refused_in_any_mailbox() {
    let mock = MockEws::start();
    let mut conn = Conn::open(mock.address());
    let first = conn.post(Some(&svc_calendar()), &seed_request("alfred@contoso.com"));
    let id = first.item_ids().remove(0);
    let resave = SEED_ITEM.replace("<t:CalendarItem>", &format!("<t:CalendarItem><t:ItemId Id=\"{id}\"/>"));
    for mailbox in ["alfred@contoso.com", "sonyaf@contoso.com"] {
        let req = envelope(
            &impersonate("SmtpAddress", mailbox),
            &create_item("SendMeetingInvitations=\"SendToNone\"", &resave),
        );
        let resp = conn.post(Some(&svc_calendar()), &req);
        assert_eq!(resp.response_codes(), ["ErrorInvalidPropertySet"], "{}", resp.body);
        assert!(resp.body.contains("FieldURI=\"item:ItemId\""), "{}", resp.body);
    }
    assert_eq!(mock.items("alfred@contoso.com", FolderKind::Calendar).len(), 1);
    assert!(mock.items("sonyaf@contoso.com", FolderKind::Calendar).is_empty());
}

#[test]
fn ids_name_their_mailbox_and_differ_across_mailboxes() {
    let mock = MockEws::start();
    let mut conn = Conn::open(mock.address());
    let a = conn.post(Some(&svc_calendar()), &seed_request("alfred@contoso.com")).item_ids();
    let b = conn.post(Some(&svc_calendar()), &seed_request("sonyaf@contoso.com")).item_ids();
    assert_ne!(a, b);
    assert!(a[0].starts_with("AAMkA") && b[0].starts_with("AAMkA"));
    assert_ne!(a[0][..60], b[0][..60], "the mailbox GUID is part of the id");
}
