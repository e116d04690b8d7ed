//! Raw SOAP for what the typed client refuses to send (malformed XML, the `https://` namespace,
//! CreateItem carrying an ItemId) or cannot express (FindItem on the inbox), and a small reader
//! of any EWS answer: the fault, or each response message with its items.

use std::time::Duration;

use ews_client::{ConnectingSid, ItemId};

use super::config::Credentials;

/// The SOAP 1.1 envelope namespace.
pub const SOAP: &str = "http://schemas.xmlsoap.org/soap/envelope/";
/// The EWS messages namespace.
pub const MESSAGES: &str = "http://schemas.microsoft.com/exchange/services/2006/messages";
/// The EWS types namespace.
pub const TYPES: &str = "http://schemas.microsoft.com/exchange/services/2006/types";
/// The EWS errors namespace.
const ERRORS: &str = "http://schemas.microsoft.com/exchange/services/2006/errors";

/// Escapes text for XML content and attribute values.
pub fn escape(s: &str) -> String {
    quick_xml::escape::escape(s).into_owned()
}

/// A request envelope: `RequestServerVersion` Exchange2013, `TimeZoneContext`, optional
/// `ExchangeImpersonation`, then `body` (the operation element, already XML).
pub fn envelope(time_zone: &str, sid: Option<&ConnectingSid>, body: &str) -> String {
    let impersonation = sid
        .map(|s| {
            let e = s.element_name();
            format!(
                "<t:ExchangeImpersonation><t:ConnectingSID><t:{e}>{}</t:{e}></t:ConnectingSID></t:ExchangeImpersonation>",
                escape(s.value())
            )
        })
        .unwrap_or_default();
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<soap:Envelope xmlns:soap=\"{SOAP}\" xmlns:m=\"{MESSAGES}\" \
         xmlns:t=\"{TYPES}\"><soap:Header><t:RequestServerVersion Version=\"Exchange2013\"/><t:TimeZoneContext>\
         <t:TimeZoneDefinition Id=\"{}\"/></t:TimeZoneContext>{impersonation}</soap:Header><soap:Body>{body}\
         </soap:Body></soap:Envelope>",
        escape(time_zone)
    )
}

/// One HTTP answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// The body (lossy UTF-8).
    pub body: String,
}

/// Posts SOAP documents to one endpoint.
#[derive(Debug, Clone)]
pub struct RawClient {
    /// reqwest's client is a cheap-clone pool.
    http: reqwest::Client,
    /// The EWS URL.
    endpoint: String,
}

impl RawClient {
    /// A client for `endpoint` with a per-request timeout.
    pub fn new(endpoint: &str, timeout: Duration) -> Result<RawClient, String> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .user_agent(concat!("ews-conformance/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?;
        Ok(RawClient { http, endpoint: endpoint.to_string() })
    }

    /// The reqwest client (for the admin API).
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// POSTs `xml` as `text/xml`, signed in as `who`, with `X-AnchorMailbox` when given.
    pub async fn post(&self, who: &Credentials, anchor: Option<&str>, xml: String) -> Result<Reply, String> {
        let mut req = self
            .http
            .post(&self.endpoint)
            .header("Content-Type", "text/xml; charset=utf-8")
            .header("Accept", "text/xml")
            .body(xml);
        req = match who {
            Credentials::Basic { user, password } => req.basic_auth(user, Some(password)),
            Credentials::Bearer(token) => req.bearer_auth(token),
        };
        if let Some(anchor) = anchor {
            req = req.header("X-AnchorMailbox", anchor);
        }
        let resp = req.send().await.map_err(|e| format!("POST {}: {e}", self.endpoint))?;
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.map_err(|e| format!("reading the answer of {}: {e}", self.endpoint))?;
        Ok(Reply { status, body: String::from_utf8_lossy(&bytes).into_owned() })
    }
}

/// A SOAP fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultInfo {
    /// `e:ResponseCode`, or the local part of `faultcode` when there is no detail.
    pub code: String,
    /// `faultstring`.
    pub text: String,
    /// `MessageXml` values as (name, value): `t:Value Name="…"` or child elements.
    pub message_xml: Vec<(String, String)>,
}

/// One item element in a response message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawItem {
    /// The element's local name (`CalendarItem`, `MeetingRequest`, …).
    pub kind: String,
    /// Its `t:ItemId`.
    pub id: Option<ItemId>,
    /// Its `t:Subject`.
    pub subject: Option<String>,
}

/// One response message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// `ResponseClass`.
    pub class: String,
    /// `m:ResponseCode` (`NoError` when absent).
    pub code: String,
    /// `m:MessageXml` values as (name, value).
    pub message_xml: Vec<(String, String)>,
    /// The items under `m:Items` or `m:RootFolder/t:Items`.
    pub items: Vec<RawItem>,
}

/// What an answer says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// A SOAP fault.
    Fault(FaultInfo),
    /// Response messages.
    Messages(Vec<Message>),
}

impl Answer {
    /// One line describing the answer, for failure messages.
    pub fn describe(&self) -> String {
        match self {
            Answer::Fault(f) => format!("SOAP fault {}: {}", f.code, f.text),
            Answer::Messages(ms) => {
                let codes: Vec<String> = ms.iter().map(|m| format!("{} {}", m.class, m.code)).collect();
                format!("response messages [{}]", codes.join(", "))
            }
        }
    }
}

fn local_children<'a, 'i>(n: roxmltree::Node<'a, 'i>) -> impl Iterator<Item = roxmltree::Node<'a, 'i>> {
    n.children().filter(|c| c.is_element())
}

fn text_of(n: roxmltree::Node) -> String {
    n.text().unwrap_or_default().trim().to_string()
}

/// The `MessageXml` values under `n` (`t:Value Name="…"`, or child elements by name).
fn message_xml_of(n: roxmltree::Node) -> Vec<(String, String)> {
    n.descendants()
        .find(|n| n.is_element() && n.tag_name().name() == "MessageXml")
        .map(|mx| {
            local_children(mx)
                .map(|v| (v.attribute("Name").unwrap_or(v.tag_name().name()).to_string(), text_of(v)))
                .collect()
        })
        .unwrap_or_default()
}

/// Reads an answer: a fault, or the response messages of the body's first element.
pub fn read(reply: &Reply) -> Result<Answer, String> {
    let doc = roxmltree::Document::parse(&reply.body)
        .map_err(|e| format!("HTTP {}: the answer is not XML ({e}): {:.300}", reply.status, reply.body))?;
    let body = doc
        .root_element()
        .children()
        .find(|n| n.is_element() && n.tag_name().name() == "Body")
        .ok_or_else(|| format!("HTTP {}: no SOAP Body in the answer", reply.status))?;
    let first = local_children(body).next().ok_or_else(|| format!("HTTP {}: empty SOAP Body", reply.status))?;
    if first.tag_name().name() == "Fault" {
        let plain = |name: &str| local_children(first).find(|n| n.tag_name().name() == name);
        let fault_code = plain("faultcode").map(text_of).unwrap_or_default();
        let text = plain("faultstring").map(text_of).unwrap_or_default();
        let detail = plain("detail");
        let code = detail
            .and_then(|d| d.descendants().find(|n| n.has_tag_name((ERRORS, "ResponseCode"))))
            .map(text_of)
            .unwrap_or_else(|| fault_code.rsplit(':').next().unwrap_or_default().to_string());
        let message_xml = detail.map(message_xml_of).unwrap_or_default();
        return Ok(Answer::Fault(FaultInfo { code, text, message_xml }));
    }
    let messages = first
        .children()
        .find(|n| n.has_tag_name((MESSAGES, "ResponseMessages")))
        .ok_or_else(|| format!("HTTP {}: {} has no ResponseMessages", reply.status, first.tag_name().name()))?;
    let mut out = Vec::new();
    for m in local_children(messages) {
        let class = m.attribute("ResponseClass").unwrap_or_default().to_string();
        let code = local_children(m)
            .find(|n| n.tag_name().name() == "ResponseCode")
            .map(text_of)
            .unwrap_or_else(|| "NoError".into());
        let items = m
            .descendants()
            .filter(|n| n.is_element() && n.tag_name().name() == "Items")
            .flat_map(local_children)
            .map(|item| RawItem {
                kind: item.tag_name().name().to_string(),
                id: local_children(item).find(|n| n.tag_name().name() == "ItemId").and_then(|n| {
                    Some(ItemId {
                        id: n.attribute("Id")?.to_string(),
                        change_key: n.attribute("ChangeKey").map(Into::into),
                    })
                }),
                subject: local_children(item).find(|n| n.tag_name().name() == "Subject").map(text_of),
            })
            .collect();
        out.push(Message { class, code, message_xml: message_xml_of(m), items });
    }
    Ok(Answer::Messages(out))
}

/// A FindItem body over a distinguished folder: IdOnly plus Subject, items whose Subject
/// contains `needle` (case-insensitively), first 200.
pub fn find_by_subject(folder: &str, needle: &str) -> String {
    format!(
        "<m:FindItem Traversal=\"Shallow\"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties>\
         <t:FieldURI FieldURI=\"item:Subject\"/></t:AdditionalProperties></m:ItemShape>\
         <m:IndexedPageItemView MaxEntriesReturned=\"200\" Offset=\"0\" BasePoint=\"Beginning\"/><m:Restriction>\
         <t:Contains ContainmentMode=\"Substring\" ContainmentComparison=\"IgnoreCase\"><t:FieldURI FieldURI=\"item:Subject\"/>\
         <t:Constant Value=\"{}\"/></t:Contains></m:Restriction><m:ParentFolderIds><t:DistinguishedFolderId Id=\"{}\"/>\
         </m:ParentFolderIds></m:FindItem>",
        escape(needle),
        escape(folder)
    )
}

/// A DeleteItem body: HardDelete, no cancellations.
pub fn hard_delete(ids: &[ItemId]) -> String {
    let ids: String = ids.iter().map(|i| format!("<t:ItemId Id=\"{}\"/>", escape(&i.id))).collect();
    format!(
        "<m:DeleteItem DeleteType=\"HardDelete\" SendMeetingCancellations=\"SendToNone\"><m:ItemIds>{ids}</m:ItemIds>\
         </m:DeleteItem>"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fault_is_read_with_its_code_and_message_xml() {
        let body = r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault>
            <faultcode xmlns:a="http://schemas.microsoft.com/exchange/services/2006/types">a:ErrorServerBusy</faultcode>
            <faultstring>busy</faultstring><detail>
            <e:ResponseCode xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">ErrorServerBusy</e:ResponseCode>
            <t:MessageXml xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><t:Value Name="BackOffMilliseconds">5000</t:Value></t:MessageXml>
            </detail></s:Fault></s:Body></s:Envelope>"#;
        let answer = read(&Reply { status: 500, body: body.into() }).expect("readable");
        let Answer::Fault(f) = answer else { panic!("expected a fault") };
        assert_eq!(f.code, "ErrorServerBusy");
        assert_eq!(f.message_xml, vec![("BackOffMilliseconds".to_string(), "5000".to_string())]);
    }

    #[test]
    fn response_messages_are_read_with_their_items() {
        let body = format!(
            r#"<s:Envelope xmlns:s="{SOAP}"><s:Body><m:FindItemResponse xmlns:m="{MESSAGES}" xmlns:t="{TYPES}">
            <m:ResponseMessages><m:FindItemResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode>
            <m:RootFolder><t:Items><t:MeetingRequest><t:ItemId Id="A" ChangeKey="B"/><t:Subject>S</t:Subject></t:MeetingRequest></t:Items></m:RootFolder>
            </m:FindItemResponseMessage></m:ResponseMessages></m:FindItemResponse></s:Body></s:Envelope>"#
        );
        let answer = read(&Reply { status: 200, body }).expect("readable");
        let Answer::Messages(ms) = answer else { panic!("expected messages") };
        assert_eq!(ms[0].items[0].kind, "MeetingRequest");
        assert_eq!(ms[0].items[0].id.as_ref().map(|i| i.id.as_str()), Some("A"));
        assert_eq!(ms[0].items[0].subject.as_deref(), Some("S"));
    }
}
