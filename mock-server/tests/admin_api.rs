//! The admin HTTP API under `/_mock/`, driven over HTTP as a CI job in another language would.

mod common;

use common::*;
use ews_mock::MockEws;

fn json(resp: &Resp) -> serde_json::Value {
    serde_json::from_str(&resp.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", resp.body))
}

fn admin(conn: &mut Conn, method: &str, path: &str, body: &str) -> Resp {
    conn.send(method, path, &[("Content-Type", "application/json")], body.as_bytes())
}

#[test]
fn health_mailboxes_and_folder_items_describe_the_tenant() {
    let mock = MockEws::start();
    let mut conn = Conn::open(mock.address());
    conn.post(Some(&svc_calendar()), &seed_request("alfred@contoso.com"));
    let health = admin(&mut conn, "GET", "/_mock/health", "");
    assert_eq!(health.status, 200);
    assert_eq!(json(&health)["items"], 1);
    let mailboxes = json(&admin(&mut conn, "GET", "/_mock/mailboxes", ""));
    assert_eq!(mailboxes.as_array().map(Vec::len), Some(3));
    assert_eq!(mailboxes[0]["smtp"], "alfred@contoso.com");
    assert_eq!(mailboxes[0]["items"]["calendar"], 1);
    let items = json(&admin(&mut conn, "GET", "/_mock/mailboxes/alfred@contoso.com/folders/calendar/items", ""));
    assert_eq!(items[0]["fields"]["subject"], "Tennis lesson");
    assert_eq!(items[0]["kind"], "CalendarItem");
    let missing = admin(&mut conn, "GET", "/_mock/mailboxes/nobody@contoso.com/folders/calendar/items", "");
    assert_eq!(missing.status, 404);
    assert!(json(&missing)["error"].as_str().unwrap_or("").contains("nobody@contoso.com"));
}

#[test]
fn requests_are_listed_and_cleared() {
    let mock = MockEws::start();
    let mut conn = Conn::open(mock.address());
    conn.post(Some(&svc_calendar()), &seed_request("chris@contoso.com"));
    let list = json(&admin(&mut conn, "GET", "/_mock/requests", ""));
    assert_eq!(list[0]["operation"], "CreateItem");
    assert_eq!(list[0]["acting_as"], "chris@contoso.com");
    assert_eq!(list[0]["caller"], "svc-calendar@contoso.com");
    assert_eq!(admin(&mut conn, "DELETE", "/_mock/requests", "").status, 200);
    assert_eq!(json(&admin(&mut conn, "GET", "/_mock/requests", "")), serde_json::json!([]));
}

#[test]
fn fault_rules_are_added_listed_applied_and_deleted() {
    let mock = MockEws::start();
    let mut conn = Conn::open(mock.address());
    let added = admin(
        &mut conn,
        "POST",
        "/_mock/faults",
        r#"{"operation":"CreateItem","times":1,"action":{"type":"server_busy_fault","back_off_ms":300}}"#,
    );
    assert_eq!(added.status, 201, "{}", added.body);
    let id = json(&added)["id"].as_u64().expect("id");
    assert_eq!(json(&admin(&mut conn, "GET", "/_mock/faults", ""))[0]["id"], id);
    let busy = conn.post(Some(&svc_calendar()), &seed_request("alfred@contoso.com"));
    assert_eq!(busy.fault_code().as_deref(), Some("ErrorServerBusy"));
    assert_eq!(json(&admin(&mut conn, "GET", "/_mock/faults", ""))[0]["fired"], 1);
    assert_eq!(admin(&mut conn, "DELETE", &format!("/_mock/faults/{id}"), "").status, 200);
    assert_eq!(admin(&mut conn, "DELETE", &format!("/_mock/faults/{id}"), "").status, 404);
    admin(&mut conn, "POST", "/_mock/faults", r#"{"action":{"type":"http503"}}"#);
    assert_eq!(conn.post(Some(&svc_calendar()), &seed_request("alfred@contoso.com")).status, 503);
    admin(&mut conn, "DELETE", "/_mock/faults", "");
    assert_eq!(conn.post(Some(&svc_calendar()), &seed_request("alfred@contoso.com")).status, 200);
}

#[test]
fn bad_json_and_unknown_codes_get_a_400_that_says_what_is_wrong() {
    let mock = MockEws::start();
    let mut conn = Conn::open(mock.address());
    let bad = admin(&mut conn, "POST", "/_mock/faults", "{not json");
    assert_eq!(bad.status, 400);
    assert!(json(&bad)["error"].as_str().unwrap_or("").contains("invalid JSON"), "{}", bad.body);
    let unknown_field =
        admin(&mut conn, "POST", "/_mock/faults", r#"{"action":{"type":"http503"},"operaton":"CreateItem"}"#);
    assert_eq!(unknown_field.status, 400);
    assert!(unknown_field.body.contains("operaton"), "{}", unknown_field.body);
    let code = admin(&mut conn, "POST", "/_mock/faults", r#"{"action":{"type":"fault","code":"ErrorTooTired"}}"#);
    assert_eq!(code.status, 400);
    assert!(code.body.contains("ErrorTooTired"));
    let exp = admin(&mut conn, "POST", "/_mock/expectations", r#"{"min":"one"}"#);
    assert_eq!(exp.status, 400);
}

#[test]
fn expectations_verify_over_http() {
    let mock = MockEws::start();
    let mut conn = Conn::open(mock.address());
    let e = r#"{"operation":"CreateItem","acting_as":"sonyaf@contoso.com","min":1,"max":1}"#;
    assert_eq!(admin(&mut conn, "POST", "/_mock/expectations", e).status, 201);
    let unmet = admin(&mut conn, "GET", "/_mock/verify", "");
    assert_eq!(unmet.status, 417);
    assert!(json(&unmet)["report"].as_str().unwrap_or("").contains("expected exactly 1, got 0"));
    conn.post(Some(&svc_calendar()), &seed_request("sonyaf@contoso.com"));
    let met = admin(&mut conn, "GET", "/_mock/verify", "");
    assert_eq!(met.status, 200);
    assert_eq!(json(&met)["ok"], true);
    assert_eq!(json(&admin(&mut conn, "GET", "/_mock/expectations", ""))[0]["actual"], 1);
    admin(&mut conn, "DELETE", "/_mock/expectations", "");
}

#[test]
fn reset_empties_folders_journal_faults_and_expectations() {
    let mock = MockEws::start();
    let mut conn = Conn::open(mock.address());
    conn.post(Some(&svc_calendar()), &seed_request("alfred@contoso.com"));
    admin(&mut conn, "POST", "/_mock/faults", r#"{"action":{"type":"http503"}}"#);
    admin(&mut conn, "POST", "/_mock/expectations", r#"{"operation":"GetItem","min":5}"#);
    assert_eq!(admin(&mut conn, "POST", "/_mock/reset", "").status, 200);
    assert_eq!(json(&admin(&mut conn, "GET", "/_mock/health", ""))["items"], 0);
    assert_eq!(json(&admin(&mut conn, "GET", "/_mock/faults", "")), serde_json::json!([]));
    assert_eq!(admin(&mut conn, "GET", "/_mock/verify", "").status, 200);
    assert_eq!(conn.post(Some(&svc_calendar()), &seed_request("alfred@contoso.com")).status, 200);
}

#[test]
fn named_tenants_have_their_own_admin_api() {
    let mock = MockEws::start();
    let mut conn = Conn::open(mock.address());
    let auth = svc_calendar();
    conn.send(
        "POST",
        "/t/ci-job-1/EWS/Exchange.asmx",
        &[("Authorization", &auth)],
        seed_request("alfred@contoso.com").as_bytes(),
    );
    admin(&mut conn, "POST", "/t/ci-job-2/_mock/faults", r#"{"action":{"type":"http503"}}"#);
    assert_eq!(json(&admin(&mut conn, "GET", "/t/ci-job-1/_mock/health", ""))["items"], 1);
    assert_eq!(json(&admin(&mut conn, "GET", "/t/ci-job-2/_mock/health", ""))["items"], 0);
    assert_eq!(json(&admin(&mut conn, "GET", "/_mock/health", ""))["items"], 0);
    let job2 = conn.send(
        "POST",
        "/t/ci-job-2/EWS/Exchange.asmx",
        &[("Authorization", &auth)],
        seed_request("alfred@contoso.com").as_bytes(),
    );
    assert_eq!(job2.status, 503, "faults are per tenant");
    let job1 = conn.send(
        "POST",
        "/t/ci-job-1/EWS/Exchange.asmx",
        &[("Authorization", &auth)],
        seed_request("alfred@contoso.com").as_bytes(),
    );
    assert_eq!(job1.status, 200);
    assert_eq!(admin(&mut conn, "GET", "/t/bad%20name/_mock/health", "").status, 404);
}

#[test]
fn the_admin_token_is_required_when_configured() {
    let mock = MockEws::builder().admin_token("s3cret").start().expect("start");
    let mut conn = Conn::open(mock.address());
    assert_eq!(admin(&mut conn, "GET", "/_mock/health", "").status, 401);
    let ok = conn.send("GET", "/_mock/health", &[("Authorization", "Bearer s3cret")], b"");
    assert_eq!(ok.status, 200);
}

#[test]
fn the_admin_api_can_be_turned_off() {
    let mock = MockEws::builder().without_admin().start().expect("start");
    let mut conn = Conn::open(mock.address());
    assert_eq!(admin(&mut conn, "GET", "/_mock/health", "").status, 404);
    assert_eq!(conn.post(Some(&svc_calendar()), &seed_request("alfred@contoso.com")).status, 200);
}
