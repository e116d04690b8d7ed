//! The HTTP surface and bad input over raw HTTP: every request gets an answer, the connection
//! stays usable, and nothing is stored by a refused request.

mod common;

use common::*;
use ews_mock::{FolderKind, MockEws};

fn assert_usable(conn: &mut Conn, mock: &MockEws) {
    let before = mock.items("alfred@contoso.com", FolderKind::Calendar).len();
    let resp = conn.post(Some(&svc_calendar()), &seed_request("alfred@contoso.com"));
    assert_eq!(resp.response_codes(), ["NoError"], "the connection must stay usable");
    assert_eq!(mock.items("alfred@contoso.com", FolderKind::Calendar).len(), before + 1);
}

#[test]
fn missing_or_wrong_credentials_get_401_with_both_challenges_and_keep_the_connection() {
    let mock = MockEws::start();
    let mut conn = Conn::open(mock.address());
    for auth in [
        None,
        Some(basic("svc-calendar@contoso.com", "nope")),
        Some(basic("ghost@contoso.com", "password")),
        Some("Bearer nope".to_string()),
    ] {
        let resp = conn.post(auth.as_deref(), &seed_request("alfred@contoso.com"));
        assert_eq!(resp.status, 401);
        assert!(resp.body.is_empty());
        let challenges = resp.headers_named("WWW-Authenticate");
        assert!(challenges.iter().any(|c| c.starts_with("Basic")), "{challenges:?}");
        assert!(challenges.iter().any(|c| c.starts_with("Bearer")), "{challenges:?}");
        assert_ne!(resp.header("Connection").map(str::to_ascii_lowercase).as_deref(), Some("close"));
    }
    assert!(mock.items("alfred@contoso.com", FolderKind::Calendar).is_empty());
    assert_usable(&mut conn, &mock);
}

#[test]
fn the_endpoint_path_matches_in_any_case() {
    let mock = MockEws::start();
    let mut conn = Conn::open(mock.address());
    let auth = svc_calendar();
    let resp = conn.send(
        "POST",
        "/ews/exchange.asmx",
        &[("Authorization", &auth)],
        seed_request("chris@contoso.com").as_bytes(),
    );
    assert_eq!(resp.response_codes(), ["NoError"]);
}

#[test]
fn other_methods_and_paths_get_clear_405_and_404() {
    let mock = MockEws::start();
    let mut conn = Conn::open(mock.address());
    let get = conn.send("GET", "/EWS/Exchange.asmx", &[], b"");
    assert_eq!(get.status, 405);
    assert_eq!(get.header("Allow"), Some("POST"));
    let other = conn.send("POST", "/owa/", &[], b"x");
    assert_eq!(other.status, 404);
    assert!(other.body.contains("/EWS/Exchange.asmx"), "{}", other.body);
    assert_usable(&mut conn, &mock);
}

#[test]
fn every_schema_server_version_is_accepted_and_a_missing_header_means_exchange2007() {
    let mock = MockEws::start();
    let mut conn = Conn::open(mock.address());
    for v in [
        "Exchange2007",
        "Exchange2007_SP1",
        "Exchange2010",
        "Exchange2010_SP1",
        "Exchange2010_SP2",
        "Exchange2013",
        "Exchange2013_SP1",
        "Exchange2015",
        "Exchange2016",
        "V2015_10_05",
        "V2017_07_11",
        "V2018_01_08",
    ] {
        let header =
            format!("<t:RequestServerVersion Version=\"{v}\"/>{}", impersonate("SmtpAddress", "alfred@contoso.com"));
        let resp = conn.post(
            Some(&svc_calendar()),
            &envelope(&header, &create_item("SendMeetingInvitations=\"SendToNone\"", SEED_ITEM)),
        );
        assert_eq!(resp.response_codes(), ["NoError"], "{v}");
    }
    let header = impersonate("SmtpAddress", "alfred@contoso.com");
    let resp = conn.post(
        Some(&svc_calendar()),
        &envelope(&header, &create_item("SendMeetingInvitations=\"SendToNone\"", SEED_ITEM)),
    );
    assert_eq!(resp.response_codes(), ["NoError"]);
}

#[test]
fn unknown_server_version_gets_error_invalid_server_version() {
    let mock = MockEws::start();
    let header = format!(
        "<t:RequestServerVersion Version=\"Exchange2099\"/>{}",
        impersonate("SmtpAddress", "alfred@contoso.com")
    );
    let resp = Conn::open(mock.address()).post(
        Some(&svc_calendar()),
        &envelope(&header, &create_item("SendMeetingInvitations=\"SendToNone\"", SEED_ITEM)),
    );
    assert_eq!(resp.status, 500);
    assert_eq!(resp.fault_code().as_deref(), Some("ErrorInvalidServerVersion"));
    assert!(resp.body.contains("The specified server version is invalid."));
    assert!(mock.items("alfred@contoso.com", FolderKind::Calendar).is_empty());
}

#[test]
fn soap_headers_are_read_in_any_order_with_any_windows_time_zone() {
    let mock = MockEws::start();
    let headers = format!(
        "{}<t:TimeZoneContext><t:TimeZoneDefinition Id=\"W. Europe Standard Time\"/></t:TimeZoneContext><t:MailboxCulture>en-US</t:MailboxCulture>{VERSION_2013}",
        impersonate("SID", "S-1-5-21-1493619105-1843311271-3936346804-1119")
    );
    let resp = Conn::open(mock.address()).post(
        Some(&svc_calendar()),
        &envelope(&headers, &create_item("SendMeetingInvitations=\"SendToNone\"", SEED_ITEM)),
    );
    assert_eq!(resp.response_codes(), ["NoError"], "{}", resp.body);
    assert_eq!(mock.items("sonyaf@contoso.com", FolderKind::Calendar).len(), 1);
}

/// Sends `body` and checks the answer is an HTTP 500 EWS fault with `code`, then that the
/// connection still works and nothing else was stored.
fn refused(body: &str, code: &str) -> String {
    let mock = MockEws::start();
    let mut conn = Conn::open(mock.address());
    let resp = conn.post(Some(&svc_calendar()), body);
    assert_eq!(resp.status, 500, "{}", resp.body);
    assert_eq!(resp.fault_code().as_deref(), Some(code), "{}", resp.body);
    assert!(mock.items("alfred@contoso.com", FolderKind::Calendar).is_empty());
    assert_usable(&mut conn, &mock);
    resp.body
}

#[test]
fn malformed_xml_is_a_schema_validation_fault_with_line_and_position() {
    let body = refused("<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\">\n<soap:Body><m:CreateItem></soap:Body>", "ErrorSchemaValidation");
    assert!(body.contains("<t:LineNumber>2</t:LineNumber>"), "{body}");
    assert!(body.contains("<t:Violation>"), "{body}");
}

#[test]
fn a_dtd_or_entity_declaration_is_refused_before_expansion() {
    let lol = "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;\">]><soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body>&lol2;</soap:Body></soap:Envelope>";
    let body = refused(lol, "ErrorSchemaValidation");
    assert!(body.contains("DTD is prohibited"), "{body}");
    let xxe = "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]><x>&xxe;</x>";
    let body = refused(xxe, "ErrorSchemaValidation");
    assert!(!body.contains("root:"), "no file content may leak: {body}");
}

#[test]
fn the_seed_as_microsoft_prints_it_gets_a_fault_naming_the_right_namespace() {
    let printed =
        shared_example("examples/msdocs/ews__how-to-add-appointments-by-using-exchange-impersonation__01.xml")
            .unwrap_or_else(|| {
                seed_request("alfred@contoso.com")
                    .replace("http://schemas.xmlsoap.org/soap/envelope/", "https://schemas.xmlsoap.org/soap/envelope/")
            });
    assert!(printed.contains("https://schemas.xmlsoap.org/soap/envelope/"));
    let mock = MockEws::start();
    let mut conn = Conn::open(mock.address());
    let resp = conn.post(Some(&svc_calendar()), &printed);
    assert_eq!(resp.status, 500);
    assert!(resp.body.contains("VersionMismatch"), "{}", resp.body);
    assert!(resp.body.contains("Expecting http://schemas.xmlsoap.org/soap/envelope/"), "{}", resp.body);
    assert!(mock.items("alfred@contoso.com", FolderKind::Calendar).is_empty());
    assert_usable(&mut conn, &mock);
}

#[test]
fn https_ews_namespaces_get_a_fault_that_says_so() {
    let req = seed_request("alfred@contoso.com").replace(
        "xmlns:t=\"http://schemas.microsoft.com/exchange/services/2006/types\"",
        "xmlns:t=\"https://schemas.microsoft.com/exchange/services/2006/types\"",
    );
    let body = refused(&req, "ErrorSchemaValidation");
    assert!(
        body.contains("The namespace must be 'http://schemas.microsoft.com/exchange/services/2006/types'"),
        "{body}"
    );
}

#[test]
fn an_unknown_operation_is_a_fault_naming_it() {
    let body = refused(&envelope("", "<m:FrobnicateItem/>"), "ErrorInvalidRequest");
    assert!(body.contains("'FrobnicateItem' is not an EWS operation"), "{body}");
    let body = refused(&envelope("", "<m:GetUserAvailability/>"), "ErrorInvalidOperation");
    assert!(body.contains("does not implement"), "{body}");
}

#[test]
fn unknown_or_out_of_order_calendar_elements_fail_schema_validation() {
    let unknown = SEED_ITEM.replace("<t:Location>", "<t:Colour>red</t:Colour><t:Location>");
    let req = envelope(
        &impersonate("SmtpAddress", "alfred@contoso.com"),
        &create_item("SendMeetingInvitations=\"SendToNone\"", &unknown),
    );
    let body = refused(&req, "ErrorSchemaValidation");
    assert!(body.contains("has invalid child element 'Colour'"), "{body}");
    let swapped = "<t:CalendarItem><t:Location>x</t:Location><t:Subject>y</t:Subject></t:CalendarItem>";
    let req = envelope(
        &impersonate("SmtpAddress", "alfred@contoso.com"),
        &create_item("SendMeetingInvitations=\"SendToNone\"", swapped),
    );
    let body = refused(&req, "ErrorSchemaValidation");
    assert!(body.contains("invalid child element 'Subject'"), "{body}");
}

#[test]
fn an_invalid_date_fails_schema_validation_quoting_the_value() {
    let item = SEED_ITEM.replace("2013-09-21T19:00:00.000Z", "next tuesday");
    let req = envelope(
        &impersonate("SmtpAddress", "alfred@contoso.com"),
        &create_item("SendMeetingInvitations=\"SendToNone\"", &item),
    );
    let body = refused(&req, "ErrorSchemaValidation");
    assert!(body.contains("'next tuesday'"), "{body}");
}

#[test]
fn a_body_over_the_limit_is_refused_and_the_connection_stays_usable() {
    let mock = MockEws::builder().max_body_bytes(4096).start().expect("start");
    let mut conn = Conn::open(mock.address());
    let padding = " ".repeat(8192);
    let resp = conn.post(Some(&svc_calendar()), &format!("{}{padding}", seed_request("alfred@contoso.com")));
    assert_eq!(resp.status, 413);
    assert!(resp.body.contains("exceeds the limit of 4096 bytes"), "{}", resp.body);
    assert!(mock.items("alfred@contoso.com", FolderKind::Calendar).is_empty());
    assert_usable(&mut conn, &mock);
}

#[test]
fn invalid_utf8_is_a_fault_not_a_hang_up() {
    let mock = MockEws::start();
    let mut conn = Conn::open(mock.address());
    let auth = svc_calendar();
    let mut body = seed_request("alfred@contoso.com").into_bytes();
    body[200] = 0xff;
    let resp = conn.send("POST", "/EWS/Exchange.asmx", &[("Authorization", &auth)], &body);
    assert_eq!(resp.status, 500);
    assert_eq!(resp.fault_code().as_deref(), Some("ErrorSchemaValidation"));
    assert_usable(&mut conn, &mock);
}

#[test]
fn an_empty_body_or_empty_soap_body_is_answered() {
    let mock = MockEws::start();
    let mut conn = Conn::open(mock.address());
    let resp = conn.post(Some(&svc_calendar()), "");
    assert_eq!(resp.fault_code().as_deref(), Some("ErrorSchemaValidation"));
    let resp = conn.post(Some(&svc_calendar()), &envelope("", ""));
    assert_eq!(resp.fault_code().as_deref(), Some("ErrorInvalidRequest"));
    assert_usable(&mut conn, &mock);
}
