//! The request envelope: SOAP 1.1 checks, the EWS SOAP headers, and the operation element.
//!
//! Headers may come in any order (they are separate WSDL parts). Unknown headers are ignored
//! unless marked `soap:mustUnderstand="1"`, as a SOAP 1.1 node must do.
//! See `../shared/protocol/protocol.md` §2.

use roxmltree::{Document, Node};

use crate::fault::Fault;
use crate::ns;
use crate::profile::ServerProfile;
use crate::response_code::ResponseCode;
use crate::xml::read::{self, elements, is, schema_error, text};

/// `t:ExchangeImpersonation/t:ConnectingSID`: the four ways to name the mailbox to act as.
///
/// See <https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/connectingsid>.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ConnectingSid {
    /// The user principal name.
    PrincipalName(String),
    /// The SID in SDDL form.
    Sid(String),
    /// The primary SMTP address.
    PrimarySmtpAddress(String),
    /// Any SMTP (proxy) address.
    SmtpAddress(String),
}

impl ConnectingSid {
    /// The value as sent (untrimmed).
    pub(crate) fn value(&self) -> &str {
        match self {
            ConnectingSid::PrincipalName(v)
            | ConnectingSid::Sid(v)
            | ConnectingSid::PrimarySmtpAddress(v)
            | ConnectingSid::SmtpAddress(v) => v,
        }
    }
}

/// The SOAP headers the mock understands.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct SoapHeaders {
    /// `RequestServerVersion/@Version`; `None` means Exchange2007, as Exchange treats a missing header.
    pub(crate) version: Option<String>,
    /// `ExchangeImpersonation`.
    pub(crate) impersonation: Option<ConnectingSid>,
    /// `TimeZoneContext/TimeZoneDefinition/@Id`.
    pub(crate) time_zone: Option<String>,
}

/// A parsed request: its headers and the operation element.
#[derive(Debug)]
pub(crate) struct Envelope<'a, 'i> {
    /// The SOAP headers.
    pub(crate) headers: SoapHeaders,
    /// The operation element (`m:CreateItem`, …).
    pub(crate) operation: Node<'a, 'i>,
}

const CONNECTING_SID: [&str; 4] = ["PrincipalName", "SID", "PrimarySmtpAddress", "SmtpAddress"];

/// Checks the envelope and reads the headers and the operation element.
pub(crate) fn parse<'a, 'i>(doc: &'a Document<'i>, profile: ServerProfile) -> Result<Envelope<'a, 'i>, Fault> {
    let root = doc.root_element();
    let root_ns = root.tag_name().namespace().unwrap_or("");
    if root.tag_name().name() != "Envelope" || (root_ns != ns::SOAP) {
        if root.tag_name().name() == "Envelope" && !root_ns.is_empty() {
            return Err(Fault::version_mismatch(root_ns));
        }
        return Err(schema_error(
            root,
            format!("The root element must be 'Envelope' in namespace '{}', not {}.", ns::SOAP, read::qname(root)),
        ));
    }
    let mut header = None;
    let mut body = None;
    for child in elements(root) {
        if is(child, ns::SOAP, "Header") && header.is_none() && body.is_none() {
            header = Some(child);
        } else if is(child, ns::SOAP, "Body") && body.is_none() {
            body = Some(child);
        } else {
            return Err(read::invalid_child(root, child, &["Header", "Body"], ns::SOAP));
        }
    }
    let Some(body) = body else {
        return Err(read::missing_child(root, "Body", ns::SOAP));
    };
    let headers = match header {
        Some(h) => parse_headers(h, profile)?,
        None => SoapHeaders::default(),
    };
    let mut ops = elements(body);
    let Some(operation) = ops.next() else {
        return Err(Fault::with_text(
            ResponseCode::ErrorInvalidRequest,
            "The request is invalid: the SOAP Body is empty. Put one EWS operation element, such as m:CreateItem, in it.",
        ));
    };
    if let Some(extra) = ops.next() {
        return Err(schema_error(
            extra,
            format!(
                "The SOAP Body holds more than one element: {} follows {}. Send one operation per request.",
                read::qname(extra),
                read::qname(operation)
            ),
        ));
    }
    Ok(Envelope { headers, operation })
}

fn parse_headers(header: Node, profile: ServerProfile) -> Result<SoapHeaders, Fault> {
    let mut headers = SoapHeaders::default();
    let mut seen: Vec<&str> = Vec::new();
    for h in elements(header) {
        let local = h.tag_name().name();
        let known = h.tag_name().namespace() == Some(ns::TYPES);
        if known && seen.contains(&local) {
            return Err(Fault::with_text(
                ResponseCode::ErrorDuplicateSOAPHeader,
                format!("A duplicate SOAP header was received: t:{local} appears more than once."),
            ));
        }
        match (known, local) {
            (true, "RequestServerVersion") => {
                let version = h.attribute("Version").ok_or_else(|| read::missing_attribute(h, "Version"))?;
                if !profile.accepts(version) {
                    return Err(Fault::with_text(
                        ResponseCode::ErrorInvalidServerVersion,
                        // Exchange's exact text: exchangelib matches it to try the next version.
                        "The specified server version is invalid.",
                    ));
                }
                headers.version = Some(version.to_string());
            }
            (true, "ExchangeImpersonation") => headers.impersonation = Some(connecting_sid(h)?),
            (true, "TimeZoneContext") => {
                let def = elements(h).find(|d| is(*d, ns::TYPES, "TimeZoneDefinition"));
                headers.time_zone = def.and_then(|d| d.attribute("Id")).map(str::to_string);
            }
            _ if must_understand(h) => {
                return Err(schema_error(
                    h,
                    format!(
                        "The SOAP header {} is marked mustUnderstand and is not understood by this server.",
                        read::qname(h)
                    ),
                ));
            }
            _ => {}
        }
        if known {
            seen.push(local);
        }
    }
    Ok(headers)
}

fn must_understand(h: Node) -> bool {
    matches!(h.attribute((ns::SOAP, "mustUnderstand")), Some("1" | "true"))
}

/// Reads `ExchangeImpersonation`: exactly one `ConnectingSID` with exactly one child.
fn connecting_sid(h: Node) -> Result<ConnectingSid, Fault> {
    let mut sids = elements(h);
    let Some(sid) = sids.next() else {
        return Err(read::missing_child(h, "ConnectingSID", ns::TYPES));
    };
    if !is(sid, ns::TYPES, "ConnectingSID") {
        return Err(read::invalid_child(h, sid, &["ConnectingSID"], ns::TYPES));
    }
    if let Some(extra) = sids.next() {
        return Err(read::invalid_child(h, extra, &[], ns::TYPES));
    }
    let mut children = elements(sid);
    let Some(id) = children.next() else {
        return Err(read::missing_child(sid, &CONNECTING_SID.join(", "), ns::TYPES));
    };
    if let Some(extra) = children.next() {
        // ConnectingSIDType is an xs:choice: a second child fails schema validation.
        return Err(read::invalid_child(sid, extra, &[], ns::TYPES));
    }
    let value = text(id).to_string();
    let parsed = match (id.tag_name().namespace() == Some(ns::TYPES), id.tag_name().name()) {
        (true, "PrincipalName") => ConnectingSid::PrincipalName(value),
        (true, "SID") => ConnectingSid::Sid(value),
        (true, "PrimarySmtpAddress") => ConnectingSid::PrimarySmtpAddress(value),
        (true, "SmtpAddress") => ConnectingSid::SmtpAddress(value),
        _ => return Err(read::invalid_child(sid, id, &CONNECTING_SID, ns::TYPES)),
    };
    if parsed.value().trim().is_empty() {
        return Err(Fault::new(ResponseCode::ErrorInvalidExchangeImpersonationHeaderData));
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn envelope(header: &str) -> String {
        format!(
            "<s:Envelope xmlns:s='{}' xmlns:t='{}' xmlns:m='{}'><s:Header>{header}</s:Header><s:Body><m:GetFolder/></s:Body></s:Envelope>",
            ns::SOAP, ns::TYPES, ns::MESSAGES
        )
    }

    fn headers(header: &str) -> Result<SoapHeaders, Fault> {
        let xml = envelope(header);
        let doc = Document::parse(&xml).expect("well-formed");
        parse(&doc, ServerProfile::ExchangeOnline).map(|e| e.headers)
    }

    #[test]
    fn headers_in_any_order_are_read() {
        let h = headers(
            "<t:TimeZoneContext><t:TimeZoneDefinition Id='UTC'/></t:TimeZoneContext>\
             <t:ExchangeImpersonation><t:ConnectingSID><t:SID>S-1-5-21-1</t:SID></t:ConnectingSID></t:ExchangeImpersonation>\
             <t:RequestServerVersion Version='Exchange2016'/>",
        )
        .expect("valid");
        assert_eq!(h.version.as_deref(), Some("Exchange2016"));
        assert_eq!(h.impersonation, Some(ConnectingSid::Sid("S-1-5-21-1".into())));
        assert_eq!(h.time_zone.as_deref(), Some("UTC"));
    }

    #[test]
    fn unknown_server_version_is_error_invalid_server_version() {
        let f = headers("<t:RequestServerVersion Version='Exchange2099'/>").expect_err("unknown version");
        assert_eq!(f.response_code(), Some(ResponseCode::ErrorInvalidServerVersion));
    }

    #[test]
    fn two_connecting_sid_children_fail_schema_validation() {
        let f = headers(
            "<t:ExchangeImpersonation><t:ConnectingSID><t:SID>S-1</t:SID><t:SmtpAddress>a@b</t:SmtpAddress></t:ConnectingSID></t:ExchangeImpersonation>",
        )
        .expect_err("two children");
        assert_eq!(f.response_code(), Some(ResponseCode::ErrorSchemaValidation));
    }

    #[test]
    fn empty_connecting_sid_value_is_invalid_header_data() {
        let f = headers("<t:ExchangeImpersonation><t:ConnectingSID><t:SmtpAddress> </t:SmtpAddress></t:ConnectingSID></t:ExchangeImpersonation>")
            .expect_err("empty");
        assert_eq!(f.response_code(), Some(ResponseCode::ErrorInvalidExchangeImpersonationHeaderData));
    }

    #[test]
    fn https_envelope_namespace_is_a_version_mismatch_naming_the_right_one() {
        let xml = "<s:Envelope xmlns:s='https://schemas.xmlsoap.org/soap/envelope/'><s:Body/></s:Envelope>";
        let doc = Document::parse(xml).expect("well-formed");
        let f = parse(&doc, ServerProfile::ExchangeOnline).expect_err("wrong namespace");
        assert!(f.text.contains("Expecting http://schemas.xmlsoap.org/soap/envelope/"), "{}", f.text);
    }
}
