//! The requests the benchmark and the soak send, the bench tenant, and the bare server's fixed
//! answer.
//!
//! The CreateItem is the seed's (Microsoft's impersonation sample, as in the README), with the
//! impersonated address rotating over the tenant's mailboxes.

use base64::Engine;
use ews_mock::{AccountConfig, ImpersonationRight, MailboxConfig, TenantConfig};
use hyper::body::Bytes;
use hyper::header::HeaderValue;

/// The service account that impersonates every mailbox.
pub const SERVICE_ACCOUNT: &str = "svc-calendar@bench.example";
/// Its password.
pub const PASSWORD: &str = "password";

/// The text bytes of one seed appointment as stored: Subject, Body, Location, MeetingTimeZone.
pub const SEED_TEXT_BYTES: usize =
    "Tennis lesson".len() + "Focus on backhand this week.".len() + "Tennis club".len() + "Pacific Standard Time".len();

/// The address of mailbox `i`.
pub fn mailbox(i: usize) -> String {
    format!("user{i:04}@bench.example")
}

/// A tenant of `n` mailboxes and `svc-calendar`, which may impersonate them all.
pub fn tenant(n: usize) -> TenantConfig {
    let mut config = TenantConfig::from_toml("").expect("an empty tenant is valid TOML");
    config.mailboxes = (0..n)
        .map(|i| MailboxConfig {
            smtp: mailbox(i),
            display_name: None,
            password: None,
            upn: None,
            sid: None,
            aliases: Vec::new(),
            impersonation: None,
        })
        .collect();
    config.accounts = vec![AccountConfig {
        upn: SERVICE_ACCOUNT.into(),
        password: PASSWORD.into(),
        sid: None,
        impersonation: Some(ImpersonationRight::All),
    }];
    config
}

/// The same tenant as TOML, for the standalone binary.
pub fn tenant_toml(n: usize) -> String {
    let mut s = String::new();
    for i in 0..n {
        s.push_str(&format!("[[mailboxes]]\nsmtp = \"{}\"\n\n", mailbox(i)));
    }
    s.push_str(&format!(
        "[[accounts]]\nupn = \"{SERVICE_ACCOUNT}\"\npassword = \"{PASSWORD}\"\nimpersonation = \"all\"\n"
    ));
    s
}

/// `Authorization: Basic …` for the service account.
pub fn basic_auth() -> HeaderValue {
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{SERVICE_ACCOUNT}:{PASSWORD}"));
    HeaderValue::from_str(&format!("Basic {token}")).expect("base64 is a valid header value")
}

/// `Authorization: Basic …` for the demo tenant's `svc-calendar@contoso.com`.
pub fn demo_auth() -> HeaderValue {
    let token = base64::engine::general_purpose::STANDARD.encode("svc-calendar@contoso.com:password");
    HeaderValue::from_str(&format!("Basic {token}")).expect("base64 is a valid header value")
}

const HEAD: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<soap:Envelope xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
       xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages"
       xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"
       xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
  <soap:Header>
    <t:RequestServerVersion Version="Exchange2013" />
    <t:TimeZoneContext><t:TimeZoneDefinition Id="Pacific Standard Time" /></t:TimeZoneContext>
    <t:ExchangeImpersonation>
      <t:ConnectingSID><t:SmtpAddress>{MAILBOX}</t:SmtpAddress></t:ConnectingSID>
    </t:ExchangeImpersonation>
  </soap:Header>
  <soap:Body>
"#;

const TAIL: &str = "  </soap:Body>\n</soap:Envelope>\n";

const SEED_ITEM: &str = r#"        <t:CalendarItem>
          <t:Subject>Tennis lesson</t:Subject>
          <t:Body BodyType="HTML">Focus on backhand this week.</t:Body>
          <t:ReminderDueBy>2013-09-19T14:37:10.732-07:00</t:ReminderDueBy>
          <t:Start>2013-09-21T19:00:00.000Z</t:Start>
          <t:End>2013-09-21T20:00:00.000Z</t:End>
          <t:Location>Tennis club</t:Location>
          <t:MeetingTimeZone TimeZoneName="Pacific Standard Time" />
        </t:CalendarItem>
"#;

fn envelope(mailbox: &str, body: &str) -> Bytes {
    Bytes::from(format!("{}{body}{TAIL}", HEAD.replace("{MAILBOX}", mailbox)))
}

/// The seed's CreateItem acting as `mailbox`, with `items` copies of the seed appointment.
pub fn create_item(mailbox: &str, items: usize) -> Bytes {
    let mut body = String::from("    <m:CreateItem SendMeetingInvitations=\"SendToNone\">\n      <m:Items>\n");
    for _ in 0..items {
        body.push_str(SEED_ITEM);
    }
    body.push_str("      </m:Items>\n    </m:CreateItem>\n");
    envelope(mailbox, &body)
}

/// FindItem with a CalendarView over the seed's month, in `mailbox`'s calendar.
pub fn calendar_view(mailbox: &str) -> Bytes {
    envelope(
        mailbox,
        r#"    <m:FindItem Traversal="Shallow">
      <m:ItemShape><t:BaseShape>IdOnly</t:BaseShape>
        <t:AdditionalProperties><t:FieldURI FieldURI="item:Subject" /><t:FieldURI FieldURI="calendar:Start" /></t:AdditionalProperties>
      </m:ItemShape>
      <m:CalendarView MaxEntriesReturned="20" StartDate="2013-09-01T00:00:00Z" EndDate="2013-10-01T00:00:00Z" />
      <m:ParentFolderIds><t:DistinguishedFolderId Id="calendar" /></m:ParentFolderIds>
    </m:FindItem>
"#,
    )
}

/// GetItem (Subject, Start, End) for these item ids of `mailbox`.
pub fn get_item(mailbox: &str, ids: &[String]) -> Bytes {
    let mut body = String::from(
        "    <m:GetItem>\n      <m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties>\
         <t:FieldURI FieldURI=\"item:Subject\" /><t:FieldURI FieldURI=\"calendar:Start\" /></t:AdditionalProperties>\
         </m:ItemShape>\n      <m:ItemIds>",
    );
    for id in ids {
        body.push_str(&format!("<t:ItemId Id=\"{id}\" />"));
    }
    body.push_str("</m:ItemIds>\n    </m:GetItem>\n");
    envelope(mailbox, &body)
}

/// The `Id` attributes of every `t:ItemId` in an answer, in order.
pub fn item_ids(answer: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(answer);
    let mut ids = Vec::new();
    let mut rest = text.as_ref();
    while let Some(at) = rest.find("<t:ItemId Id=\"") {
        rest = &rest[at + 14..];
        let end = rest.find('"').unwrap_or(rest.len());
        ids.push(rest[..end].to_string());
        rest = &rest[end..];
    }
    ids
}

/// How many response messages in an answer succeeded.
pub fn successes(answer: &[u8]) -> usize {
    String::from_utf8_lossy(answer).matches("ResponseClass=\"Success\"").count()
}

/// The bare server's answer: a CreateItemResponse shaped like the mock's, about 1.3 KB.
pub const BARE_RESPONSE: &str = concat!(
    r#"<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/">"#,
    r#"<s:Header><h:ServerVersionInfo MajorVersion="15" MinorVersion="20" MajorBuildNumber="7452" MinorBuildNumber="28" "#,
    r#"Version="V2018_01_08" xmlns:h="http://schemas.microsoft.com/exchange/services/2006/types" "#,
    r#"xmlns="http://schemas.microsoft.com/exchange/services/2006/types" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" "#,
    r#"xmlns:xsd="http://www.w3.org/2001/XMLSchema"/></s:Header><s:Body><m:CreateItemResponse "#,
    r#"xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" "#,
    r#"xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types" "#,
    r#"xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">"#,
    r#"<m:ResponseMessages><m:CreateItemResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode>"#,
    r#"<m:Items><t:CalendarItem><t:ItemId Id="AAMkADk0N2ZlYjk1LWQyYjItNDRkYy1hZWJkLWY1ZTEzN2Q1ZWQ0YQBGAAAAAADg5fPVMs6bTaTrtgyzBpQMBwBe"#,
    r#"h7gR1S9nQ4RZQn0BnWhXAAAAAAENAABeh7gR1S9nQ4RZQn0BnWhXAAAE0fxnAAA=" ChangeKey="DwAAABYAAABeh7gR1S9nQ4RZQn0BnWhXAAAE0fOb"/>"#,
    r#"</t:CalendarItem></m:Items></m:CreateItemResponseMessage></m:ResponseMessages></m:CreateItemResponse>"#,
    r#"<!-- padding to the size of a typical answer: ews-bench bare server  -->"#,
    r#"</s:Body></s:Envelope>"#
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_toml_tenant_is_the_programmatic_tenant() {
        let parsed = TenantConfig::from_toml(&tenant_toml(3)).expect("valid TOML");
        assert_eq!(parsed, tenant(3));
    }

    #[test]
    fn item_ids_are_read_from_an_answer_in_order() {
        let answer = br#"<m:Items><t:CalendarItem><t:ItemId Id="AA=" ChangeKey="x"/></t:CalendarItem>
            <t:CalendarItem><t:ItemId Id="BB=" ChangeKey="y"/></t:CalendarItem></m:Items>"#;
        assert_eq!(item_ids(answer), vec!["AA=".to_string(), "BB=".to_string()]);
    }

    #[test]
    fn the_seed_create_item_is_a_well_formed_envelope_with_as_many_items_as_asked() {
        let body = create_item(&mailbox(7), 3);
        let text = std::str::from_utf8(&body).expect("utf-8");
        let doc = roxmltree::Document::parse(text).expect("well-formed");
        assert_eq!(doc.descendants().filter(|n| n.has_tag_name("CalendarItem")).count(), 3);
        assert!(text.contains("<t:SmtpAddress>user0007@bench.example</t:SmtpAddress>"));
    }
}
