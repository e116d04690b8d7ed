//! The impersonation rules over real HTTP: who may act as whom, and the faults Exchange sends.

mod common;

use common::*;
use ews_mock::{FolderKind, MockEws};

const MAILBOXES: [&str; 3] = ["alfred@contoso.com", "sonyaf@contoso.com", "chris@contoso.com"];

fn nothing_stored(mock: &MockEws) {
    for mb in MAILBOXES {
        for folder in FolderKind::ALL {
            assert!(mock.items(mb, folder).is_empty(), "{mb} {folder:?} must stay empty");
        }
    }
}

fn create_as(header: &str) -> String {
    envelope(&format!("{VERSION_2013}{header}"), &create_item("SendMeetingInvitations=\"SendToNone\"", SEED_ITEM))
}

#[test]
fn every_connecting_sid_form_reaches_alfreds_calendar() {
    let mock = MockEws::start();
    let mut conn = Conn::open(mock.address());
    for (kind, value) in [
        ("SmtpAddress", "alfred@contoso.com"),
        ("PrimarySmtpAddress", "Alfred@Contoso.com"),
        ("PrincipalName", "alfred@contoso.com"),
        ("SID", "S-1-5-21-1493619105-1843311271-3936346804-1118"),
    ] {
        let resp = conn.post(Some(&svc_calendar()), &create_as(&impersonate(kind, value)));
        assert_eq!(resp.response_codes(), ["NoError"], "{kind}: {}", resp.body);
    }
    assert_eq!(mock.items("alfred@contoso.com", FolderKind::Calendar).len(), 4);
}

#[test]
fn unknown_target_is_error_non_existent_mailbox_with_the_address() {
    let mock = MockEws::start();
    let resp = Conn::open(mock.address())
        .post(Some(&svc_calendar()), &create_as(&impersonate("SmtpAddress", "nobody@contoso.com")));
    assert_eq!(resp.status, 500);
    assert_eq!(resp.fault_code().as_deref(), Some("ErrorNonExistentMailbox"));
    assert!(resp.body.contains("<faultcode xmlns:a=\"http://schemas.microsoft.com/exchange/services/2006/types\">a:ErrorNonExistentMailbox</faultcode>"));
    assert!(resp.body.contains("<t:Value Name=\"SmtpAddress\">nobody@contoso.com</t:Value>"), "{}", resp.body);
    assert!(!resp.body.contains("ServerVersionInfo"), "faults carry no SOAP header");
    nothing_stored(&mock);
}

#[test]
fn plain_users_cannot_impersonate_anyone() {
    let mock = MockEws::start();
    let mut conn = Conn::open(mock.address());
    for target in ["chris@contoso.com", "alfred@contoso.com"] {
        let resp =
            conn.post(Some(&basic("alfred@contoso.com", "password")), &create_as(&impersonate("SmtpAddress", target)));
        assert_eq!(resp.status, 500);
        assert_eq!(resp.fault_code().as_deref(), Some("ErrorImpersonateUserDenied"), "{target}");
        assert!(resp.body.contains("The account does not have permission to impersonate the requested user."));
    }
    nothing_stored(&mock);
}

#[test]
fn scoped_service_account_reaches_sonya_only() {
    let mock = MockEws::start();
    let mut conn = Conn::open(mock.address());
    let sales = basic("svc-sales@contoso.com", "password");
    let ok = conn.post(Some(&sales), &create_as(&impersonate("SmtpAddress", "sonyaf@contoso.com")));
    assert_eq!(ok.response_codes(), ["NoError"]);
    for target in ["alfred@contoso.com", "chris@contoso.com"] {
        let denied = conn.post(Some(&sales), &create_as(&impersonate("SmtpAddress", target)));
        assert_eq!(denied.fault_code().as_deref(), Some("ErrorImpersonateUserDenied"));
        assert!(mock.items(target, FolderKind::Calendar).is_empty());
    }
    assert_eq!(mock.items("sonyaf@contoso.com", FolderKind::Calendar).len(), 1);
}

#[test]
fn two_connecting_sid_children_fail_schema_validation_and_write_nothing() {
    let mock = MockEws::start();
    let header = "<t:ExchangeImpersonation><t:ConnectingSID><t:SmtpAddress>alfred@contoso.com</t:SmtpAddress><t:SmtpAddress>chris@contoso.com</t:SmtpAddress></t:ConnectingSID></t:ExchangeImpersonation>";
    let resp = Conn::open(mock.address()).post(Some(&svc_calendar()), &create_as(header));
    assert_eq!(resp.fault_code().as_deref(), Some("ErrorSchemaValidation"));
    assert!(resp.body.contains("<t:LineNumber>"), "{}", resp.body);
    nothing_stored(&mock);
}

#[test]
fn empty_connecting_sid_is_invalid_header_data() {
    let mock = MockEws::start();
    let mut conn = Conn::open(mock.address());
    let resp = conn.post(Some(&svc_calendar()), &create_as(&impersonate("PrincipalName", "")));
    assert_eq!(resp.fault_code().as_deref(), Some("ErrorInvalidExchangeImpersonationHeaderData"));
    let no_child = "<t:ExchangeImpersonation><t:ConnectingSID/></t:ExchangeImpersonation>";
    let resp = conn.post(Some(&svc_calendar()), &create_as(no_child));
    assert_eq!(resp.fault_code().as_deref(), Some("ErrorSchemaValidation"));
    nothing_stored(&mock);
}

#[test]
fn app_only_token_must_impersonate_and_delegated_token_must_not() {
    let mock = MockEws::start();
    let mut conn = Conn::open(mock.address());
    let app = conn.post(Some("Bearer app-token"), &create_as(""));
    assert_eq!(app.fault_code().as_deref(), Some("ErrorInvalidExchangeImpersonationHeaderData"));
    assert!(app.body.contains("ExchangeImpersonation SOAP header must be present for this type of OAuth token."));
    let delegated =
        conn.post(Some("Bearer alfred-token"), &create_as(&impersonate("SmtpAddress", "chris@contoso.com")));
    assert_eq!(delegated.fault_code().as_deref(), Some("ErrorInvalidExchangeImpersonationHeaderData"));
    assert!(delegated.body.contains("ExchangeImpersonation SOAP header must not exist for this type of OAuth token."));
    nothing_stored(&mock);

    let app_ok = conn.post(Some("Bearer app-token"), &create_as(&impersonate("SmtpAddress", "chris@contoso.com")));
    assert_eq!(app_ok.response_codes(), ["NoError"]);
    let own = conn.post(Some("Bearer alfred-token"), &create_as(""));
    assert_eq!(own.response_codes(), ["NoError"]);
    assert_eq!(mock.items("chris@contoso.com", FolderKind::Calendar).len(), 1);
    assert_eq!(mock.items("alfred@contoso.com", FolderKind::Calendar).len(), 1);
}

#[test]
fn without_the_header_a_user_acts_as_itself_and_a_service_account_has_no_mailbox() {
    let mock = MockEws::start();
    let mut conn = Conn::open(mock.address());
    let own = conn.post(Some(&basic("chris@contoso.com", "password")), &create_as(""));
    assert_eq!(own.response_codes(), ["NoError"]);
    assert_eq!(mock.items("chris@contoso.com", FolderKind::Calendar).len(), 1);
    let svc = conn.post(Some(&svc_calendar()), &create_as(""));
    assert_eq!(svc.status, 200);
    assert_eq!(svc.response_codes(), ["ErrorMissingEmailAddress"]);
    assert_eq!(mock.items("chris@contoso.com", FolderKind::Calendar).len(), 1);
}

#[test]
fn x_anchor_mailbox_is_accepted_and_never_changes_who_is_acted_as() {
    let mock = MockEws::start();
    let mut conn = Conn::open(mock.address());
    let auth = svc_calendar();
    let body = create_as(&impersonate("SmtpAddress", "sonyaf@contoso.com"));
    let resp = conn.send(
        "POST",
        "/EWS/Exchange.asmx",
        &[("Authorization", &auth), ("X-AnchorMailbox", "alfred@contoso.com")],
        body.as_bytes(),
    );
    assert_eq!(resp.response_codes(), ["NoError"]);
    assert_eq!(mock.items("sonyaf@contoso.com", FolderKind::Calendar).len(), 1);
    assert!(mock.items("alfred@contoso.com", FolderKind::Calendar).is_empty());
}

#[test]
fn impersonation_element_in_the_body_is_a_schema_fault_not_a_way_in() {
    let mock = MockEws::start();
    let body = format!(
        "<m:CreateItem SendMeetingInvitations=\"SendToNone\">{}<m:Items>{SEED_ITEM}</m:Items></m:CreateItem>",
        impersonate("SmtpAddress", "alfred@contoso.com")
    );
    let resp = Conn::open(mock.address()).post(Some(&basic("chris@contoso.com", "password")), &envelope("", &body));
    assert_eq!(resp.fault_code().as_deref(), Some("ErrorSchemaValidation"));
    nothing_stored(&mock);
}
