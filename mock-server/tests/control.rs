//! The in-process control surface: expectations, fault injection, throttling, inspection,
//! isolated tenants and the bounded journal.

mod common;

use std::time::{Duration, Instant};

use common::*;
use ews_mock::{Expect, FaultAction, FaultRule, FolderKind, MockEws, ThrottlingPolicy};

const MAILBOXES: [&str; 3] = ["alfred@contoso.com", "sonyaf@contoso.com", "chris@contoso.com"];

#[test]
fn one_appointment_landed_in_each_of_three_calendars_and_nothing_elsewhere() {
    let mock = MockEws::start();
    for mb in MAILBOXES {
        mock.expect(Expect::operation("CreateItem").acting_as(mb).times(1));
    }
    mock.expect(Expect::any().caller("alfred@contoso.com").never().named("no request signed in as alfred"));
    let mut conn = Conn::open(mock.address());
    for mb in MAILBOXES {
        assert_eq!(conn.post(Some(&svc_calendar()), &seed_request(mb)).response_codes(), ["NoError"]);
    }
    mock.verify().expect("expectations hold");
    for mb in MAILBOXES {
        assert_eq!(mock.items(mb, FolderKind::Calendar).len(), 1);
        for other in FolderKind::ALL.into_iter().filter(|f| *f != FolderKind::Calendar) {
            assert!(mock.items(mb, other).is_empty(), "{mb} {other:?}");
        }
    }
}

#[test]
fn a_failed_expectation_reports_what_was_expected_and_what_came() {
    let mock = MockEws::start();
    mock.expect(Expect::operation("CreateItem").acting_as("chris@contoso.com").times(1));
    Conn::open(mock.address()).post(Some(&svc_calendar()), &seed_request("alfred@contoso.com"));
    let err = mock.verify().expect_err("chris got nothing");
    assert!(err.report.contains("FAIL CreateItem acting as chris@contoso.com: expected exactly 1, got 0"), "{err}");
    mock.reset();
}

#[test]
#[should_panic(expected = "expectations not met")]
fn dropping_a_mock_with_unmet_expectations_panics_with_the_report() {
    let mock = MockEws::start();
    mock.expect(Expect::operation("CreateItem").at_least(1));
}

#[test]
fn two_server_busy_faults_then_the_retry_succeeds() {
    let mock = MockEws::start();
    mock.inject(FaultRule::new(FaultAction::ServerBusyFault { back_off_ms: 25 }).operation("CreateItem").times(2));
    let mut conn = Conn::open(mock.address());
    let mut attempts = 0;
    let resp = loop {
        attempts += 1;
        let resp = conn.post(Some(&svc_calendar()), &seed_request("alfred@contoso.com"));
        if resp.fault_code().as_deref() != Some("ErrorServerBusy") {
            break resp;
        }
        assert_eq!(resp.status, 500);
        assert!(resp.body.contains("<t:Value Name=\"BackOffMilliseconds\">25</t:Value>"), "{}", resp.body);
        assert!(mock.items("alfred@contoso.com", FolderKind::Calendar).is_empty(), "a busy answer stores nothing");
        std::thread::sleep(Duration::from_millis(25));
    };
    assert_eq!(attempts, 3);
    assert_eq!(resp.response_codes(), ["NoError"]);
    assert_eq!(mock.items("alfred@contoso.com", FolderKind::Calendar).len(), 1);
}

#[test]
fn server_busy_as_a_message_error_comes_with_http_200_and_back_off() {
    let mock = MockEws::start();
    mock.inject(FaultRule::new(FaultAction::ServerBusyMessage { back_off_ms: 5000 }).times(1));
    let resp = Conn::open(mock.address()).post(Some(&svc_calendar()), &seed_request("alfred@contoso.com"));
    assert_eq!(resp.status, 200);
    assert_eq!(resp.response_codes(), ["ErrorServerBusy"]);
    assert!(
        resp.body.contains("<m:MessageXml><t:Value Name=\"BackOffMilliseconds\">5000</t:Value></m:MessageXml>"),
        "{}",
        resp.body
    );
    assert!(resp.body.contains("<m:Items/>"));
}

#[test]
fn any_code_as_fault_or_message_error_matched_by_acting_as() {
    let mock = MockEws::start();
    mock.inject(
        FaultRule::new(FaultAction::Fault { code: "ErrorMailboxStoreUnavailable".into(), message: None })
            .acting_as("chris@contoso.com"),
    );
    mock.inject(
        FaultRule::new(FaultAction::MessageError { code: "ErrorQuotaExceeded".into(), message: Some("full".into()) })
            .acting_as("sonyaf@contoso.com"),
    );
    let mut conn = Conn::open(mock.address());
    let chris = conn.post(Some(&svc_calendar()), &seed_request("chris@contoso.com"));
    assert_eq!(chris.fault_code().as_deref(), Some("ErrorMailboxStoreUnavailable"));
    let sonya = conn.post(Some(&svc_calendar()), &seed_request("sonyaf@contoso.com"));
    assert_eq!(sonya.response_codes(), ["ErrorQuotaExceeded"]);
    let alfred = conn.post(Some(&svc_calendar()), &seed_request("alfred@contoso.com"));
    assert_eq!(alfred.response_codes(), ["NoError"], "rules match only their mailbox");
}

#[test]
fn http_503_latency_and_reset_are_injected_for_the_matching_caller() {
    let mock = MockEws::start();
    let sales = basic("svc-sales@contoso.com", "password");
    mock.inject(FaultRule::new(FaultAction::Http503).caller("svc-sales@contoso.com").times(1));
    mock.inject(FaultRule::new(FaultAction::Latency { ms: 150 }).caller("svc-sales@contoso.com").times(1));
    mock.inject(FaultRule::new(FaultAction::Reset).caller("svc-sales@contoso.com").times(1));
    let mut conn = Conn::open(mock.address());
    assert_eq!(conn.post(Some(&sales), &seed_request("sonyaf@contoso.com")).status, 503);
    let started = Instant::now();
    assert_eq!(conn.post(Some(&sales), &seed_request("sonyaf@contoso.com")).response_codes(), ["NoError"]);
    assert!(started.elapsed() >= Duration::from_millis(150));
    let reset = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        conn.post(Some(&sales), &seed_request("sonyaf@contoso.com"))
    }));
    assert!(reset.is_err(), "the connection was closed without an answer");
    let mut fresh = Conn::open(mock.address());
    assert_eq!(fresh.post(Some(&sales), &seed_request("sonyaf@contoso.com")).response_codes(), ["NoError"]);
    assert_eq!(mock.items("sonyaf@contoso.com", FolderKind::Calendar).len(), 2, "503 and reset store nothing");
}

#[test]
fn every_nth_request_fails_and_removed_rules_stop() {
    let mock = MockEws::start();
    let id = mock.inject(FaultRule::new(FaultAction::ServerBusyFault { back_off_ms: 1 }).every(2));
    let mut conn = Conn::open(mock.address());
    let codes: Vec<Option<String>> =
        (0..4).map(|_| conn.post(Some(&svc_calendar()), &seed_request("chris@contoso.com")).fault_code()).collect();
    assert_eq!(codes, [None, Some("ErrorServerBusy".into()), None, Some("ErrorServerBusy".into())]);
    assert!(mock.remove_fault(id));
    assert_eq!(conn.post(Some(&svc_calendar()), &seed_request("chris@contoso.com")).fault_code(), None);
}

#[test]
fn throttling_policy_answers_server_busy_with_a_computed_back_off() {
    let mock = MockEws::builder()
        .throttling(ThrottlingPolicy { max_concurrent: None, max_requests: Some(2), window_ms: 60_000 })
        .start()
        .expect("start");
    let mut conn = Conn::open(mock.address());
    for _ in 0..2 {
        assert_eq!(conn.post(Some(&svc_calendar()), &seed_request("alfred@contoso.com")).response_codes(), ["NoError"]);
    }
    let busy = conn.post(Some(&svc_calendar()), &seed_request("alfred@contoso.com"));
    assert_eq!(busy.fault_code().as_deref(), Some("ErrorServerBusy"));
    let doc = busy.doc();
    let back_off: u64 = doc
        .descendants()
        .find(|n| n.attribute("Name") == Some("BackOffMilliseconds"))
        .and_then(|n| n.text())
        .and_then(|t| t.parse().ok())
        .expect("BackOffMilliseconds");
    assert!(back_off > 50_000 && back_off <= 60_000, "{back_off}");
    let other = conn.post(Some(&basic("svc-sales@contoso.com", "password")), &seed_request("sonyaf@contoso.com"));
    assert_eq!(other.response_codes(), ["NoError"], "budgets are per caller");
}

#[test]
fn the_journal_records_caller_acting_as_code_and_xml_and_stays_bounded() {
    let mock = MockEws::builder().journal_capacity(3).start().expect("start");
    let mut conn = Conn::open(mock.address());
    for mb in MAILBOXES {
        conn.post(Some(&svc_calendar()), &seed_request(mb));
    }
    conn.post(Some(&basic("chris@contoso.com", "password")), &seed_request("alfred@contoso.com"));
    let journal = mock.received_requests();
    assert_eq!(journal.len(), 3, "the ring keeps the last three");
    let last = journal.last().expect("entry");
    assert_eq!((last.seq, last.operation.as_str(), last.caller.as_str()), (4, "CreateItem", "chris@contoso.com"));
    assert_eq!(last.response_code, "ErrorImpersonateUserDenied");
    assert_eq!(last.status, 500);
    assert!(last.request_xml.contains("Tennis lesson") && last.response_xml.contains("ErrorImpersonateUserDenied"));
    assert_eq!(journal[0].acting_as.as_deref(), Some("sonyaf@contoso.com"));
}

#[test]
fn named_tenants_are_isolated_and_reset_on_their_own() {
    let mock = MockEws::start();
    let job = mock.tenant("job-7");
    let mut conn = Conn::open(mock.address());
    let auth = svc_calendar();
    let resp = conn.send(
        "POST",
        "/t/job-7/EWS/Exchange.asmx",
        &[("Authorization", &auth)],
        seed_request("alfred@contoso.com").as_bytes(),
    );
    assert_eq!(resp.response_codes(), ["NoError"]);
    assert_eq!(job.items("alfred@contoso.com", FolderKind::Calendar).len(), 1);
    assert!(mock.items("alfred@contoso.com", FolderKind::Calendar).is_empty(), "the default tenant sees nothing");
    assert!(mock.received_requests().is_empty());
    assert_eq!(job.received_requests().len(), 1);
    conn.post(Some(&auth), &seed_request("alfred@contoso.com"));
    job.reset();
    assert!(job.items("alfred@contoso.com", FolderKind::Calendar).is_empty());
    assert_eq!(mock.items("alfred@contoso.com", FolderKind::Calendar).len(), 1, "reset is per tenant");
}

#[test]
fn meeting_requests_are_visible_to_tests() {
    let mock = MockEws::start();
    let item = "<t:CalendarItem><t:Subject>Sync</t:Subject><t:Start>2026-03-02T10:00:00Z</t:Start><t:End>2026-03-02T11:00:00Z</t:End><t:RequiredAttendees><t:Attendee><t:Mailbox><t:EmailAddress>chris@contoso.com</t:EmailAddress></t:Mailbox></t:Attendee></t:RequiredAttendees></t:CalendarItem>";
    let req = envelope(
        &impersonate("SmtpAddress", "alfred@contoso.com"),
        &create_item("SendMeetingInvitations=\"SendOnlyToAll\"", item),
    );
    Conn::open(mock.address()).post(Some(&svc_calendar()), &req);
    let requests = mock.meeting_requests("chris@contoso.com");
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].fields.subject.as_deref(), Some("Sync"));
}

#[test]
fn the_mock_works_without_any_tokio_runtime_and_under_a_multi_thread_one() {
    let plain = MockEws::start();
    assert_eq!(
        Conn::open(plain.address()).post(Some(&svc_calendar()), &seed_request("alfred@contoso.com")).status,
        200
    );
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        let mock = MockEws::start();
        let addr = mock.address();
        let status = tokio::task::spawn_blocking(move || {
            Conn::open(addr).post(Some(&svc_calendar()), &seed_request("chris@contoso.com")).status
        })
        .await
        .expect("join");
        assert_eq!(status, 200);
    });
}

#[test]
fn server_profiles_set_server_version_info_and_accepted_versions() {
    for (profile, minor, version_ok, version_refused) in [
        (ews_mock::ServerProfile::Exchange2013, "0", "Exchange2013_SP1", Some("Exchange2016")),
        (ews_mock::ServerProfile::Exchange2016, "1", "Exchange2016", Some("V2018_01_08")),
        (ews_mock::ServerProfile::Exchange2019, "2", "V2017_07_11", Some("V2018_01_08")),
        (ews_mock::ServerProfile::ExchangeOnline, "20", "V2018_01_08", None),
    ] {
        let mock = MockEws::builder().profile(profile).start().expect("start");
        let mut conn = Conn::open(mock.address());
        let req = |v: &str| {
            envelope(
                &format!(
                    "<t:RequestServerVersion Version=\"{v}\"/>{}",
                    impersonate("SmtpAddress", "alfred@contoso.com")
                ),
                &create_item("SendMeetingInvitations=\"SendToNone\"", SEED_ITEM),
            )
        };
        let ok = conn.post(Some(&svc_calendar()), &req(version_ok));
        assert!(ok.body.contains(&format!("MinorVersion=\"{minor}\"")), "{profile:?}: {}", ok.body);
        if let Some(v) = version_refused {
            let refused = conn.post(Some(&svc_calendar()), &req(v));
            assert_eq!(refused.fault_code().as_deref(), Some("ErrorInvalidServerVersion"), "{profile:?} {v}");
        }
    }
}
