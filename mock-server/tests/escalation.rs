//! Authentication and authorisation under attack: a 401 tells nothing, and no trick lets a
//! caller act where it has no right. Every test compares every folder of every mailbox before
//! and after, so a write in the wrong place fails it.

mod common;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use common::*;
use ews_mock::{FolderKind, MockEws, TenantHandle};

const ALFRED: &str = "alfred@contoso.com";
const SONYA: &str = "sonyaf@contoso.com";
const CHRIS: &str = "chris@contoso.com";
const MAILBOXES: [&str; 3] = [ALFRED, SONYA, CHRIS];
const ALFRED_SID: &str = "S-1-5-21-1493619105-1843311271-3936346804-1118";
const SONYA_SID: &str = "S-1-5-21-1493619105-1843311271-3936346804-1119";
const CHRIS_SID: &str = "S-1-5-21-1493619105-1843311271-3936346804-1120";
const SVC_SALES_SID: &str = "S-1-5-21-1493619105-1843311271-3936346804-1201";

/// (mailbox, folder) → (id, ChangeKey, subject) of every item in a tenant.
type Contents = BTreeMap<(String, String), Vec<(String, String, Option<String>)>>;

fn contents(tenant: &TenantHandle) -> Contents {
    let mut all = Contents::new();
    for mb in MAILBOXES {
        for folder in FolderKind::ALL {
            let items = tenant
                .items(mb, folder)
                .into_iter()
                .map(|i| (i.id, i.change_key, i.fields.subject.map(|s| s.to_string())))
                .collect();
            all.insert((mb.to_string(), format!("{folder:?}")), items);
        }
    }
    all
}

/// How many items each mailbox holds, all folders together.
fn counts(tenant: &TenantHandle) -> [usize; 3] {
    MAILBOXES.map(|mb| FolderKind::ALL.iter().map(|f| tenant.items(mb, *f).len()).sum())
}

fn create_as(header: &str, subject: &str) -> String {
    let item = SEED_ITEM.replace("Tennis lesson", subject);
    envelope(&format!("{VERSION_2013}{header}"), &create_item("SendMeetingInvitations=\"SendToNone\"", &item))
}

/// Exchange's fault or per-message code of an answer.
fn code(resp: &Resp) -> String {
    resp.fault_code()
        .or_else(|| resp.response_codes().into_iter().next())
        .unwrap_or_else(|| format!("HTTP {}", resp.status))
}

/// The raw bytes of a 401 answer, minus the Date header (which changes every second).
fn raw_401(mock: &MockEws, authorization: &str) -> String {
    let mut s = TcpStream::connect(mock.address()).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5))).expect("timeout");
    let body = seed_request(ALFRED);
    let req = format!(
        "POST /EWS/Exchange.asmx HTTP/1.1\r\nHost: a\r\nAuthorization: {authorization}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).expect("write");
    let mut out = String::new();
    s.read_to_string(&mut out).expect("read");
    out.split("\r\n").filter(|l| !l.to_ascii_lowercase().starts_with("date:")).collect::<Vec<_>>().join("\r\n")
}

#[test]
fn a_401_is_byte_identical_for_an_unknown_account_a_wrong_password_and_a_wrong_token() {
    let mock = MockEws::start();
    let wrong_password = raw_401(&mock, &basic(ALFRED, "wrong"));
    assert!(wrong_password.starts_with("HTTP/1.1 401"), "{wrong_password}");
    for other in [
        basic("nobody@contoso.com", "password"),
        basic("nobody@contoso.com", "wrong"),
        basic("CONTOSO\\nobody", "password"),
        basic("svc-calendar@contoso.com", "passwor"),
        basic("svc-calendar@contoso.com", "password "),
        basic("svc-calendar@contoso.com", "PASSWORD"),
        basic("svc-calendar@contoso.com", ""),
        "Bearer app-token-but-longer".to_string(),
        "Bearer app-toke".to_string(),
        "Bearer ".to_string(),
    ] {
        assert_eq!(raw_401(&mock, &other), wrong_password, "{other}");
    }
    assert_eq!(counts(&mock.default_tenant()), [0, 0, 0]);
}

#[test]
fn only_the_exact_password_signs_in() {
    let mock = MockEws::start();
    let mut conn = Conn::open(mock.address());
    for (password, status) in [("password", 200), ("password\0", 401), ("passwordx", 401), ("Password", 401)] {
        let resp = conn.post(Some(&basic(ALFRED, password)), &create_as("", "self"));
        assert_eq!(resp.status, status, "{password:?}");
    }
    assert_eq!(counts(&mock.default_tenant()), [1, 0, 0]);
}

#[test]
fn the_address_case_resolves_to_the_right_mailbox() {
    let mock = MockEws::start();
    let mut conn = Conn::open(mock.address());
    for value in ["ALFRED@CONTOSO.COM", "Alfred@Contoso.Com", " alfred@contoso.com\n"] {
        let resp = conn.post(Some(&svc_calendar()), &create_as(&impersonate("SmtpAddress", value), value));
        assert_eq!(resp.response_codes(), ["NoError"], "{value:?}: {}", resp.body);
    }
    assert_eq!(counts(&mock.default_tenant()), [3, 0, 0]);
}

#[test]
fn unicode_and_whitespace_lookalike_addresses_are_non_existent_mailboxes() {
    let mock = MockEws::start();
    let mut conn = Conn::open(mock.address());
    for kind in ["SmtpAddress", "PrimarySmtpAddress", "PrincipalName"] {
        for value in [
            "alfred\u{FF20}contoso.com",  // full-width @
            "alfred\u{200B}@contoso.com", // zero-width space
            "alfred@contoso.com\u{200B}", // trailing zero-width space
            "alfred@contoso.com\u{A0}",   // trailing no-break space
            "\u{A0}alfred@contoso.com",   // leading no-break space
            "alfred@contoso.com.",        // trailing dot
            "\u{430}lfred@contoso.com",   // Cyrillic a
            "alfred@contoso.com\u{3000}", // ideographic space
            "ALFRED@CONTOSO.CO\u{212A}",  // Kelvin sign for K (no such address anyway)
            "alfred @contoso.com",
        ] {
            let resp = conn.post(Some(&svc_calendar()), &create_as(&impersonate(kind, value), "x"));
            assert_eq!(code(&resp), "ErrorNonExistentMailbox", "{kind} {value:?}: {}", resp.body);
        }
    }
    assert_eq!(counts(&mock.default_tenant()), [0, 0, 0]);
}

#[test]
fn another_users_sid_or_upn_resolves_to_that_user_and_the_callers_rights_apply() {
    let mock = MockEws::start();
    let mut conn = Conn::open(mock.address());
    let sales = basic("svc-sales@contoso.com", "password");
    // svc-sales may act as sonya only, however alfred or chris is named.
    for (kind, value) in [("SID", ALFRED_SID), ("SID", CHRIS_SID), ("PrincipalName", ALFRED), ("PrincipalName", CHRIS)]
    {
        let resp = conn.post(Some(&sales), &create_as(&impersonate(kind, value), "x"));
        assert_eq!(code(&resp), "ErrorImpersonateUserDenied", "{kind} {value}");
    }
    for (kind, value) in [("SID", SONYA_SID), ("PrincipalName", SONYA)] {
        let resp = conn.post(Some(&sales), &create_as(&impersonate(kind, value), "ok"));
        assert_eq!(resp.response_codes(), ["NoError"], "{kind} {value}");
    }
    // A plain user naming itself or another user by SID has no impersonation right at all.
    let chris = basic(CHRIS, "password");
    for sid in [CHRIS_SID, ALFRED_SID] {
        let resp = conn.post(Some(&chris), &create_as(&impersonate("SID", sid), "x"));
        assert_eq!(code(&resp), "ErrorImpersonateUserDenied", "{sid}");
    }
    // A service account's own SID names no mailbox.
    let resp = conn.post(Some(&svc_calendar()), &create_as(&impersonate("SID", SVC_SALES_SID), "x"));
    assert_eq!(code(&resp), "ErrorNonExistentMailbox");
    assert_eq!(counts(&mock.default_tenant()), [0, 2, 0]);
}

#[test]
fn two_connecting_sid_children_or_two_headers_are_refused() {
    let mock = MockEws::start();
    let mut conn = Conn::open(mock.address());
    let sales = basic("svc-sales@contoso.com", "password");
    let two_children = format!(
        "<t:ExchangeImpersonation><t:ConnectingSID><t:SmtpAddress>{SONYA}</t:SmtpAddress><t:SmtpAddress>{ALFRED}</t:SmtpAddress></t:ConnectingSID></t:ExchangeImpersonation>"
    );
    let two_kinds = format!(
        "<t:ExchangeImpersonation><t:ConnectingSID><t:SmtpAddress>{SONYA}</t:SmtpAddress><t:SID>{ALFRED_SID}</t:SID></t:ConnectingSID></t:ExchangeImpersonation>"
    );
    let two_sids = format!(
        "<t:ExchangeImpersonation><t:ConnectingSID><t:SmtpAddress>{SONYA}</t:SmtpAddress></t:ConnectingSID><t:ConnectingSID><t:SmtpAddress>{ALFRED}</t:SmtpAddress></t:ConnectingSID></t:ExchangeImpersonation>"
    );
    let two_headers = format!("{}{}", impersonate("SmtpAddress", SONYA), impersonate("SmtpAddress", ALFRED));
    for (name, header, expected) in [
        ("two children", two_children, "ErrorSchemaValidation"),
        ("two kinds", two_kinds, "ErrorSchemaValidation"),
        ("two ConnectingSIDs", two_sids, "ErrorSchemaValidation"),
        ("two headers", two_headers, "ErrorDuplicateSOAPHeader"),
    ] {
        let resp = conn.post(Some(&sales), &create_as(&header, "x"));
        assert_eq!(resp.status, 500, "{name}");
        assert_eq!(code(&resp), expected, "{name}: {}", resp.body);
    }
    assert_eq!(counts(&mock.default_tenant()), [0, 0, 0]);
}

#[test]
fn an_exchange_impersonation_element_outside_the_soap_header_impersonates_no_one() {
    let mock = MockEws::start();
    let mut conn = Conn::open(mock.address());
    let alfred = basic(ALFRED, "password");
    let header = impersonate("SmtpAddress", CHRIS);
    let op = create_item("SendMeetingInvitations=\"SendToNone\"", SEED_ITEM);
    // Before the operation in the Body, inside the operation, and inside the item.
    let in_body = envelope(VERSION_2013, &format!("{header}{op}"));
    let in_operation = envelope(VERSION_2013, &op.replacen("<m:Items>", &format!("{header}<m:Items>"), 1));
    let in_item = envelope(VERSION_2013, &op.replacen("<t:Subject>", &format!("{header}<t:Subject>"), 1));
    for (name, body) in [("in body", in_body), ("in operation", in_operation), ("in item", in_item)] {
        let resp = conn.post(Some(&alfred), &body);
        assert_eq!(resp.status, 500, "{name}: {}", resp.body);
        assert_eq!(code(&resp), "ErrorSchemaValidation", "{name}");
    }
    // In the header but in the messages namespace: not the impersonation header, so alfred acts
    // as himself.
    let wrong_ns = header
        .replace("<t:ExchangeImpersonation>", &format!("<m:ExchangeImpersonation xmlns:m=\"{MESSAGES}\">"))
        .replace("</t:ExchangeImpersonation>", "</m:ExchangeImpersonation>");
    let resp = conn.post(Some(&alfred), &create_as(&wrong_ns, "own"));
    assert_eq!(resp.response_codes(), ["NoError"]);
    assert_eq!(counts(&mock.default_tenant()), [1, 0, 0], "alfred's own calendar, never chris's");
}

#[test]
fn an_anchor_mailbox_header_naming_someone_else_changes_nothing() {
    let mock = MockEws::start();
    let mut conn = Conn::open(mock.address());
    let alfred = basic(ALFRED, "password");
    let sales = basic("svc-sales@contoso.com", "password");
    let headers = |auth: &'static str| -> Vec<(&'static str, &'static str)> {
        vec![
            ("Content-Type", "text/xml"),
            ("X-AnchorMailbox", CHRIS),
            ("X-PreferServerAffinity", "true"),
            ("Authorization", auth),
        ]
    };
    let alfred: &'static str = Box::leak(alfred.into_boxed_str());
    let sales: &'static str = Box::leak(sales.into_boxed_str());
    let resp = conn.send("POST", "/EWS/Exchange.asmx", &headers(alfred), create_as("", "self").as_bytes());
    assert_eq!(resp.response_codes(), ["NoError"]);
    let resp = conn.send(
        "POST",
        "/EWS/Exchange.asmx",
        &headers(sales),
        create_as(&impersonate("SmtpAddress", SONYA), "sonya").as_bytes(),
    );
    assert_eq!(resp.response_codes(), ["NoError"]);
    let resp = conn.send(
        "POST",
        "/EWS/Exchange.asmx",
        &headers(sales),
        create_as(&impersonate("SmtpAddress", CHRIS), "chris").as_bytes(),
    );
    assert_eq!(code(&resp), "ErrorImpersonateUserDenied");
    assert_eq!(counts(&mock.default_tenant()), [1, 1, 0]);
}

fn get_item(id: &str) -> String {
    format!(
        "<m:GetItem><m:ItemShape><t:BaseShape>AllProperties</t:BaseShape></m:ItemShape><m:ItemIds><t:ItemId Id=\"{id}\"/></m:ItemIds></m:GetItem>"
    )
}

fn delete_item(id: &str) -> String {
    format!(
        "<m:DeleteItem DeleteType=\"HardDelete\" SendMeetingCancellations=\"SendToNone\"><m:ItemIds><t:ItemId Id=\"{id}\"/></m:ItemIds></m:DeleteItem>"
    )
}

fn update_subject(id: &str, change_key: &str) -> String {
    format!(
        "<m:UpdateItem ConflictResolution=\"AlwaysOverwrite\" SendMeetingInvitationsOrCancellations=\"SendToNone\"><m:ItemChanges><t:ItemChange><t:ItemId Id=\"{id}\" ChangeKey=\"{change_key}\"/><t:Updates><t:SetItemField><t:FieldURI FieldURI=\"item:Subject\"/><t:CalendarItem><t:Subject>hijacked</t:Subject></t:CalendarItem></t:SetItemField></t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>"
    )
}

#[test]
fn a_token_on_another_tenants_path_acts_only_in_that_tenant() {
    let mock = MockEws::start();
    let (a, b) = (mock.tenant("job-a"), mock.tenant("job-b"));
    let mut conn = Conn::open(mock.address());
    let auth = [("Authorization", "Bearer app-token"), ("Content-Type", "text/xml")];
    let created = conn.send(
        "POST",
        "/t/job-a/EWS/Exchange.asmx",
        &auth,
        create_as(&impersonate("SmtpAddress", ALFRED), "a").as_bytes(),
    );
    assert_eq!(created.response_codes(), ["NoError"]);
    let id = created.item_ids().remove(0);
    let (before_a, before_default) = (contents(&a), contents(&mock.default_tenant()));
    let header = format!("{VERSION_2013}{}", impersonate("SmtpAddress", ALFRED));
    for path in ["/t/job-b/EWS/Exchange.asmx", "/EWS/Exchange.asmx"] {
        for op in [get_item(&id), delete_item(&id)] {
            let resp = conn.send("POST", path, &auth, envelope(&header, &op).as_bytes());
            assert_eq!(resp.response_codes(), ["ErrorItemNotFound"], "{path}: {}", resp.body);
        }
    }
    assert_eq!(counts(&b), [0, 0, 0]);
    assert_eq!(contents(&a), before_a, "job-a is untouched from other tenants' paths");
    assert_eq!(contents(&mock.default_tenant()), before_default);
    // In its own tenant the id still works.
    let resp = conn.send("POST", "/t/job-a/EWS/Exchange.asmx", &auth, envelope(&header, &get_item(&id)).as_bytes());
    assert_eq!(resp.response_codes(), ["NoError"]);
}

/// The id with its mailbox GUID replaced by the one in `other` (ids.rs: 0, 3, u16 length,
/// GUID, 0, u16 length, entry id).
fn swap_guid(id: &str, other: &str) -> String {
    let mut bytes = STANDARD.decode(id).expect("base64 id");
    let theirs = STANDARD.decode(other).expect("base64 id");
    let len = usize::from(u16::from_le_bytes([bytes[2], bytes[3]]));
    assert_eq!(len, usize::from(u16::from_le_bytes([theirs[2], theirs[3]])), "GUIDs have one length");
    bytes[4..4 + len].copy_from_slice(&theirs[4..4 + len]);
    STANDARD.encode(bytes)
}

#[test]
fn an_item_id_forged_to_point_at_another_mailbox_is_refused_everywhere() {
    let mock = MockEws::start();
    let mut conn = Conn::open(mock.address());
    let svc = svc_calendar();
    let alfreds = conn.post(Some(&svc), &create_as(&impersonate("SmtpAddress", ALFRED), "alfred's"));
    let alfred_id = alfreds.item_ids().remove(0);
    let chris_item = conn.post(Some(&svc), &create_as(&impersonate("SmtpAddress", CHRIS), "chris's"));
    let chris_id = chris_item.item_ids().remove(0);
    let sonya_item = conn.post(Some(&svc), &create_as(&impersonate("SmtpAddress", SONYA), "sonya's"));
    let sonya_id = sonya_item.item_ids().remove(0);
    let forged_for_chris = swap_guid(&alfred_id, &chris_id);
    let forged_for_sonya = swap_guid(&alfred_id, &sonya_id);
    assert_ne!(forged_for_chris, alfred_id);
    let before = contents(&mock.default_tenant());
    let stored_alfred = mock.items(ALFRED, FolderKind::Calendar).remove(0);

    let chris = basic(CHRIS, "password");
    let sales = basic("svc-sales@contoso.com", "password");
    let as_sonya = format!("{VERSION_2013}{}", impersonate("SmtpAddress", SONYA));
    for (who, auth, header, id) in [
        ("chris, forged", &chris, VERSION_2013.to_string(), &forged_for_chris),
        ("chris, alfred's own id", &chris, VERSION_2013.to_string(), &alfred_id),
        ("svc-sales as sonya, forged", &sales, as_sonya.clone(), &forged_for_sonya),
        ("svc-sales as sonya, alfred's own id", &sales, as_sonya.clone(), &alfred_id),
    ] {
        for op in [get_item(id), update_subject(id, &stored_alfred.change_key), delete_item(id)] {
            let resp = conn.post(Some(auth), &envelope(&header, &op));
            assert_eq!(resp.response_codes(), ["ErrorItemNotFound"], "{who}: {}", resp.body);
            assert!(!resp.body.contains("alfred's"), "{who}: alfred's item leaked");
        }
    }
    assert_eq!(contents(&mock.default_tenant()), before, "nothing changed anywhere");
    // The genuine owner still reaches it.
    let resp = conn.post(
        Some(&svc),
        &envelope(&format!("{VERSION_2013}{}", impersonate("SmtpAddress", ALFRED)), &get_item(&alfred_id)),
    );
    assert_eq!(resp.response_codes(), ["NoError"]);
}
