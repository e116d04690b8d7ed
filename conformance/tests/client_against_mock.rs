//! ews-client against the in-process ews-mock: the seed scenario and its traps, end to end.
//!
//! Each test starts its own mock (demo tenant, 127.0.0.1:0) and inspects the mailboxes through
//! `MockEws::items`. Tests that need GetItem, FindItem, UpdateItem or DeleteItem in the mock say
//! so in their doc line.

use ews_client::chrono::{DateTime, Duration, TimeZone, Utc};
use ews_client::{
    chrono_tz, Appointment, ConnectingSid, DeleteType, Error, LegacyFreeBusyStatus, ResponseCode, SendInvitations,
    Service,
};
use ews_mock::{FolderKind, ItemKind, MockEws};

const ALFRED: &str = "alfred@contoso.com";
const SONYA: &str = "sonyaf@contoso.com";
const CHRIS: &str = "chris@contoso.com";

fn service(mock: &MockEws, user: &str) -> Service {
    Service::builder(mock.ews_url()).basic(user, "password").build().expect("service")
}

fn smtp(address: &str) -> ConnectingSid {
    ConnectingSid::SmtpAddress(address.into())
}

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 5, 17, 0, 0).single().expect("valid")
}

/// The seed's appointment: Tennis lesson, one hour, at the club.
fn tennis_lesson(start: DateTime<Utc>) -> ews_client::Result<Appointment> {
    Appointment::builder()
        .subject("Tennis lesson")
        .body_html("Focus on backhand this week.")
        .start(start)
        .duration(Duration::hours(1))
        .location("Tennis club")
        .build()
}

#[tokio::test]
async fn seed_scenario_creates_the_lesson_in_alfred_sonyaf_and_chris() {
    let mock = MockEws::start();
    let svc = service(&mock, "svc-calendar@contoso.com");
    let results = svc.create_in_each([ALFRED, SONYA, CHRIS].map(smtp), |_| tennis_lesson(start()), 3).await;
    assert_eq!(results.len(), 3);
    for (r, address) in results.iter().zip([ALFRED, SONYA, CHRIS]) {
        assert_eq!(r.mailbox.value(), address);
        let saved = r.result.as_ref().unwrap_or_else(|e| panic!("{address}: {e}"));
        let stored = mock.items(address, FolderKind::Calendar);
        assert_eq!(stored.len(), 1, "{address}");
        assert_eq!(stored[0].id, saved.item_id().id);
        assert_eq!(stored[0].change_key, saved.change_key().expect("a ChangeKey"));
        assert_eq!(stored[0].fields.subject.as_deref(), Some("Tennis lesson"));
        assert_eq!(stored[0].fields.location.as_deref(), Some("Tennis club"));
        assert_eq!(stored[0].fields.body.as_ref().map(|b| &*b.text), Some("Focus on backhand this week."));
        assert_eq!(stored[0].fields.start, Some(start().timestamp()));
        assert_eq!(stored[0].fields.end, Some((start() + Duration::hours(1)).timestamp()));
        assert!(!stored[0].server.is_meeting);
    }
}

#[tokio::test]
async fn meeting_with_chris_sends_him_a_request_and_keeps_a_copy() {
    let mock = MockEws::start();
    let alfred = service(&mock, "svc-calendar@contoso.com").impersonate(smtp(ALFRED));
    let zoned = chrono_tz::Europe::London.with_ymd_and_hms(2026, 3, 5, 17, 0, 0).single().expect("valid");
    let meeting = Appointment::builder()
        .subject("Doubles")
        .start(zoned)
        .duration(Duration::minutes(90))
        .required_attendee(CHRIS)
        .free_busy(LegacyFreeBusyStatus::Busy)
        .category("Sport")
        .build()
        .expect("valid");
    assert_eq!(meeting.send_invitations(), SendInvitations::SendToAllAndSaveCopy);
    let saved = alfred.save(meeting).await.expect("saved");
    assert!(saved.is_meeting());
    let stored = mock.items(ALFRED, FolderKind::Calendar);
    assert_eq!(stored.len(), 1);
    assert!(stored[0].server.is_meeting);
    assert_eq!(stored[0].organizer.as_deref(), Some(ALFRED));
    assert_eq!(stored[0].fields.start_time_zone.as_deref(), Some("GMT Standard Time"));
    let inbox = mock.items(CHRIS, FolderKind::Inbox);
    assert!(inbox.iter().any(|i| i.kind == ItemKind::MeetingRequest), "chris's inbox: {inbox:?}");
    assert!(!mock.items(ALFRED, FolderKind::SentItems).is_empty(), "SendToAllAndSaveCopy keeps a copy");
}

#[tokio::test]
async fn create_in_each_reports_the_missing_mailbox_and_saves_the_others() {
    let mock = MockEws::start();
    let svc = service(&mock, "svc-calendar@contoso.com");
    let mailboxes = [ALFRED, "nobody@contoso.com", CHRIS].map(smtp);
    let results = svc.create_in_each(mailboxes, |_| tennis_lesson(start()), 2).await;
    assert!(results[0].result.is_ok(), "{}", results[0]);
    assert!(results[2].result.is_ok(), "{}", results[2]);
    let err = results[1].result.as_ref().expect_err("no such mailbox");
    assert_eq!(results[1].mailbox.value(), "nobody@contoso.com");
    assert_eq!(err.response_code(), Some(ResponseCode::ErrorNonExistentMailbox));
    assert!(results[1].to_string().starts_with("nobody@contoso.com error: "), "{}", results[1]);
    assert_eq!(mock.items(ALFRED, FolderKind::Calendar).len(), 1);
    assert_eq!(mock.items(CHRIS, FolderKind::Calendar).len(), 1);
}

#[tokio::test]
async fn scoped_service_account_reaches_sonyaf_but_not_alfred() {
    let mock = MockEws::start();
    let svc = service(&mock, "svc-sales@contoso.com");
    let results = svc.create_in_each([SONYA, ALFRED].map(smtp), |_| tennis_lesson(start()), 2).await;
    assert!(results[0].result.is_ok(), "{}", results[0]);
    let err = results[1].result.as_ref().expect_err("out of scope");
    assert_eq!(err.response_code(), Some(ResponseCode::ErrorImpersonateUserDenied));
    assert!(matches!(err, Error::Fault(_)), "impersonation refusals are SOAP faults: {err:?}");
    assert!(mock.items(ALFRED, FolderKind::Calendar).is_empty());
}

#[tokio::test]
async fn all_four_connecting_sid_forms_reach_alfred() {
    let mock = MockEws::start();
    let svc = service(&mock, "svc-calendar@contoso.com");
    let forms = vec![
        ConnectingSid::SmtpAddress(ALFRED.into()),
        ConnectingSid::PrimarySmtpAddress(ALFRED.into()),
        ConnectingSid::PrincipalName(ALFRED.into()),
        ConnectingSid::Sid("S-1-5-21-1493619105-1843311271-3936346804-1118".into()),
    ];
    for r in svc.create_in_each(forms, |_| tennis_lesson(start()), 4).await {
        assert!(r.result.is_ok(), "{r}");
    }
    assert_eq!(mock.items(ALFRED, FolderKind::Calendar).len(), 4);
}

#[tokio::test]
async fn app_only_bearer_token_impersonates() {
    let mock = MockEws::start();
    let svc = Service::builder(mock.ews_url()).bearer("app-token").build().expect("service");
    svc.impersonate(smtp(SONYA)).save(tennis_lesson(start()).expect("valid")).await.expect("saved");
    assert_eq!(mock.items(SONYA, FolderKind::Calendar).len(), 1);
}

#[tokio::test]
async fn wrong_password_is_http_401_with_challenges() {
    let mock = MockEws::start();
    let svc = Service::builder(mock.ews_url()).basic("svc-calendar@contoso.com", "nope").build().expect("service");
    let err = svc.impersonate(smtp(ALFRED)).save(tennis_lesson(start()).expect("valid")).await.expect_err("401");
    let Error::Http(http) = err else { panic!("expected an HTTP error, got {err:?}") };
    assert_eq!(http.status, 401);
    assert!(http.challenge.as_deref().unwrap_or("").contains("Basic"), "{http:?}");
}

#[tokio::test]
async fn batch_create_returns_results_in_order() {
    let mock = MockEws::start();
    let alfred = service(&mock, "svc-calendar@contoso.com").impersonate(smtp(ALFRED));
    let batch = (0..3)
        .map(|i| {
            Appointment::builder()
                .subject(format!("Lesson {i}"))
                .start(start() + Duration::days(i))
                .duration(Duration::hours(1))
                .build()
                .expect("valid")
        })
        .collect();
    let results = alfred.create_batch(batch).await.expect("batch");
    let stored = mock.items(ALFRED, FolderKind::Calendar);
    assert_eq!(results.len(), 3);
    for (i, r) in results.iter().enumerate() {
        let saved = r.as_ref().expect("saved");
        let item = stored.iter().find(|s| s.id == saved.item_id().id).expect("stored");
        assert_eq!(item.fields.subject.as_deref(), Some(format!("Lesson {i}").as_str()));
    }
}

/// Needs GetItem in the mock.
#[tokio::test]
async fn saved_item_reads_back_with_its_fields() {
    let mock = MockEws::start();
    let alfred = service(&mock, "svc-calendar@contoso.com").impersonate(smtp(ALFRED));
    let saved = alfred.save(tennis_lesson(start()).expect("valid")).await.expect("saved");
    let item = saved.fetch().await.expect("GetItem");
    assert_eq!(item.item_id.as_ref(), Some(saved.item_id()));
    assert_eq!(item.fields.subject.as_deref(), Some("Tennis lesson"));
    assert_eq!(item.fields.location.as_deref(), Some("Tennis club"));
    assert_eq!(item.fields.start, Some(start()));
}

/// Needs GetItem in the mock.
#[tokio::test]
async fn an_id_from_alfred_is_not_found_through_sonyaf() {
    let mock = MockEws::start();
    let svc = service(&mock, "svc-calendar@contoso.com");
    let saved = svc.impersonate(smtp(ALFRED)).save(tennis_lesson(start()).expect("valid")).await.expect("saved");
    let err = svc.impersonate(smtp(SONYA)).get(saved.item_id()).await.expect_err("foreign id");
    assert_eq!(err.response_code(), Some(ResponseCode::ErrorItemNotFound), "{err}");
}

/// Needs UpdateItem in the mock.
#[tokio::test]
async fn update_sends_only_changed_fields_and_keeps_the_new_change_key() {
    let mock = MockEws::start();
    let alfred = service(&mock, "svc-calendar@contoso.com").impersonate(smtp(ALFRED));
    let mut saved = alfred.save(tennis_lesson(start()).expect("valid")).await.expect("saved");
    let before = saved.change_key().map(str::to_owned);
    saved.update(ews_client::AppointmentUpdate::new().location("Court 2")).await.expect("updated");
    assert_ne!(saved.change_key().map(str::to_owned), before);
    let stored = mock.items(ALFRED, FolderKind::Calendar);
    assert_eq!(stored[0].fields.location.as_deref(), Some("Court 2"));
    assert_eq!(stored[0].fields.subject.as_deref(), Some("Tennis lesson"));
    assert_eq!(Some(stored[0].change_key.as_str()), saved.change_key());
}

/// Needs UpdateItem in the mock.
#[tokio::test]
async fn update_with_a_stale_change_key_is_refused() {
    let mock = MockEws::start();
    let alfred = service(&mock, "svc-calendar@contoso.com").impersonate(smtp(ALFRED));
    let mut saved = alfred.save(tennis_lesson(start()).expect("valid")).await.expect("saved");
    let mut stale = saved.clone();
    saved.update(ews_client::AppointmentUpdate::new().location("Court 2")).await.expect("first update");
    let err = stale.update(ews_client::AppointmentUpdate::new().location("Court 3")).await.expect_err("stale");
    assert_eq!(err.response_code(), Some(ResponseCode::ErrorIrresolvableConflict), "{err}");
    assert_eq!(mock.items(ALFRED, FolderKind::Calendar)[0].fields.location.as_deref(), Some("Court 2"));
}

/// Needs DeleteItem in the mock.
#[tokio::test]
async fn delete_removes_the_item_and_a_second_delete_is_not_found() {
    let mock = MockEws::start();
    let alfred = service(&mock, "svc-calendar@contoso.com").impersonate(smtp(ALFRED));
    let saved = alfred.save(tennis_lesson(start()).expect("valid")).await.expect("saved");
    let id = saved.item_id().clone();
    saved.delete(DeleteType::HardDelete, SendInvitations::SendToNone).await.expect("deleted");
    assert!(mock.items(ALFRED, FolderKind::Calendar).is_empty());
    let again = alfred.delete_items(vec![id], DeleteType::HardDelete, SendInvitations::SendToNone).await.expect("sent");
    assert_eq!(again[0].as_ref().expect_err("gone").response_code, Some(ResponseCode::ErrorItemNotFound));
}

/// Needs FindItem (CalendarView) and GetItem in the mock.
#[tokio::test]
async fn calendar_view_pages_through_every_item_in_the_window() {
    let mock = MockEws::start();
    let alfred = service(&mock, "svc-calendar@contoso.com").impersonate(smtp(ALFRED));
    for i in 0..5 {
        alfred.save(tennis_lesson(start() + Duration::days(i)).expect("valid")).await.expect("saved");
    }
    // One outside the window.
    alfred.save(tennis_lesson(start() + Duration::days(30)).expect("valid")).await.expect("saved");
    let items = alfred.calendar_view_paged(start(), start() + Duration::days(10), 2).await.expect("view");
    assert_eq!(items.len(), 5);
    let starts: Vec<_> = items.iter().filter_map(|i| i.fields.start).collect();
    assert_eq!(starts, (0..5).map(|i| start() + Duration::days(i)).collect::<Vec<_>>());
    assert!(items.iter().all(|i| i.fields.subject.as_deref() == Some("Tennis lesson")));
}

/// Two injected ErrorServerBusy answers — one as a SOAP fault, one in the response message of an
/// HTTP 200 — are waited out with their BackOffMilliseconds, and the third attempt saves the
/// appointment exactly once.
#[tokio::test]
async fn server_busy_in_both_forms_is_retried_until_the_save_succeeds() {
    use ews_mock::{FaultAction, FaultRule};
    let mock = MockEws::start();
    mock.inject(FaultRule::new(FaultAction::ServerBusyFault { back_off_ms: 20 }).operation("CreateItem").times(1));
    mock.inject(FaultRule::new(FaultAction::ServerBusyMessage { back_off_ms: 20 }).operation("CreateItem").times(1));
    let alfred = service(&mock, "svc-calendar@contoso.com").impersonate(smtp(ALFRED));
    let started = std::time::Instant::now();
    let saved = alfred.save(tennis_lesson(start()).expect("valid")).await.expect("saved after two busy answers");
    assert!(started.elapsed() >= std::time::Duration::from_millis(40), "both back-offs were honoured");
    let codes: Vec<String> = mock.received_requests().into_iter().map(|e| e.response_code).collect();
    assert_eq!(codes, ["ErrorServerBusy", "ErrorServerBusy", "NoError"]);
    let stored = mock.items(ALFRED, FolderKind::Calendar);
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].id, saved.item_id().id);
}

/// Beyond the attempt budget the busy answer is returned as it is: as the fault, or as the
/// per-item error inside the response.
#[tokio::test]
async fn server_busy_beyond_the_budget_reaches_the_caller() {
    use ews_mock::{FaultAction, FaultRule};
    let mock = MockEws::start();
    mock.inject(FaultRule::new(FaultAction::ServerBusyMessage { back_off_ms: 5 }).operation("CreateItem"));
    let alfred = service(&mock, "svc-calendar@contoso.com").impersonate(smtp(ALFRED));
    let err = alfred.save(tennis_lesson(start()).expect("valid")).await.expect_err("always busy");
    assert!(err.to_string().contains("ErrorServerBusy"), "{err}");
    assert!(mock.items(ALFRED, FolderKind::Calendar).is_empty());
}
