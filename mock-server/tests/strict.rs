//! `--strict`: the journal records every rule a request broke, while answers stay Exchange's.

mod common;

use common::*;
use ews_mock::MockEws;

fn post_with(conn: &mut Conn, body: &str, extra: &[(&str, &str)]) -> Resp {
    let auth = svc_calendar();
    let mut headers = vec![("Authorization", auth.as_str())];
    headers.extend_from_slice(extra);
    conn.send("POST", "/EWS/Exchange.asmx", &headers, body.as_bytes())
}

#[test]
fn a_well_behaved_request_has_no_violations() {
    let mock = MockEws::builder().strict().start().expect("start");
    let mut conn = Conn::open(mock.address());
    let resp = post_with(
        &mut conn,
        &seed_request("alfred@contoso.com"),
        &[("Content-Type", "text/xml; charset=utf-8"), ("X-AnchorMailbox", "alfred@contoso.com")],
    );
    assert_eq!(resp.response_codes(), ["NoError"]);
    assert_eq!(mock.received_requests()[0].violations, Vec::<String>::new());
}

#[test]
fn missing_anchor_version_and_content_type_are_reported_but_answered_as_exchange_does() {
    let mock = MockEws::builder().strict().start().expect("start");
    let mut conn = Conn::open(mock.address());
    let no_version = envelope(
        &impersonate("SmtpAddress", "chris@contoso.com"),
        &create_item("SendMeetingInvitations=\"SendToNone\"", SEED_ITEM),
    );
    let resp = post_with(
        &mut conn,
        &no_version,
        &[("SOAPAction", "\"http://schemas.microsoft.com/exchange/services/2006/messages/GetItem\"")],
    );
    assert_eq!(resp.response_codes(), ["NoError"], "strict mode never changes the answer");
    let v = &mock.received_requests()[0].violations;
    assert!(v.iter().any(|m| m.contains("no X-AnchorMailbox header") && m.contains("chris@contoso.com")), "{v:#?}");
    assert!(v.iter().any(|m| m.contains("no RequestServerVersion")), "{v:#?}");
    assert!(v.iter().any(|m| m.contains("Content-Type is missing")), "{v:#?}");
    assert!(v.iter().any(|m| m.contains("SOAPAction") && m.contains("CreateItem")), "{v:#?}");
}

#[test]
fn schema_rule_breaks_are_recorded_with_their_position() {
    let mock = MockEws::builder().strict().start().expect("start");
    let mut conn = Conn::open(mock.address());
    let swapped = "<t:CalendarItem><t:Location>x</t:Location><t:Subject>y</t:Subject></t:CalendarItem>";
    let body = envelope(
        &format!("{VERSION_2013}{}", impersonate("SmtpAddress", "alfred@contoso.com")),
        &create_item("SendMeetingInvitations=\"SendToNone\"", swapped),
    );
    let resp = post_with(&mut conn, &body, &[("Content-Type", "text/xml"), ("X-AnchorMailbox", "alfred@contoso.com")]);
    assert_eq!(resp.fault_code().as_deref(), Some("ErrorSchemaValidation"));
    let v = &mock.received_requests()[0].violations;
    assert_eq!(v.len(), 1, "{v:#?}");
    assert!(
        v[0].starts_with("schema: ") && v[0].contains("invalid child element 'Subject'") && v[0].contains("line 4"),
        "{v:#?}"
    );
}

#[test]
fn without_strict_nothing_is_recorded() {
    let mock = MockEws::start();
    let mut conn = Conn::open(mock.address());
    post_with(&mut conn, &seed_request("alfred@contoso.com"), &[]);
    assert!(mock.received_requests()[0].violations.is_empty());
}
