//! The SOAP 1.1 envelope: writing a request (headers RequestServerVersion, TimeZoneContext,
//! ExchangeImpersonation) and reading a response or fault.
//!
//! Faults are HTTP 500 with `s:Fault`; `faultcode`/`faultstring`/`detail` are unqualified and the
//! detail carries `e:ResponseCode`, `e:Message` and `t:MessageXml` (or `e:MessageXml` on Exchange
//! 2010; protocol.md §3.1).

use roxmltree::{Document, Node};

use crate::error::{Error, Fault, Result, XmlError};
use crate::ns;
use crate::types::{ConnectingSid, ExchangeVersion, MessageXml, ResponseCode};
use crate::xml::{child, elements, is, text, xml_error, Writer};

/// The SOAP headers of one request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RequestHeader<'a> {
    /// `t:RequestServerVersion Version`.
    pub version: ExchangeVersion,
    /// `t:TimeZoneContext/t:TimeZoneDefinition Id` (a Windows id).
    pub time_zone: Option<&'a str>,
    /// `t:ExchangeImpersonation/t:ConnectingSID`.
    pub impersonation: Option<&'a ConnectingSid>,
}

/// Writes a complete request envelope; `body` writes the operation element.
pub(crate) fn write_envelope(header: RequestHeader, body: impl FnOnce(&mut Writer)) -> Vec<u8> {
    let mut w = Writer::new();
    let attrs = [("xmlns:soap", ns::SOAP), ("xmlns:t", ns::TYPES), ("xmlns:m", ns::MESSAGES)];
    w.element("soap:Envelope", &attrs, |w| {
        w.element("soap:Header", &[], |w| {
            w.empty("t:RequestServerVersion", &[("Version", header.version.as_str())]);
            if let Some(tz) = header.time_zone {
                w.element("t:TimeZoneContext", &[], |w| w.empty("t:TimeZoneDefinition", &[("Id", tz)]));
            }
            if let Some(sid) = header.impersonation {
                w.element("t:ExchangeImpersonation", &[], |w| {
                    w.element("t:ConnectingSID", &[], |w| {
                        w.text_element(&format!("t:{}", sid.element_name()), &[], sid.value());
                    });
                });
            }
        });
        w.element("soap:Body", &[], body);
    });
    w.into_bytes()
}

/// Reads a response envelope: a fault becomes [`Error::Fault`]; otherwise `parse` gets the body's
/// `m:{operation}Response` element.
pub(crate) fn read_response<T>(xml: &str, operation: &str, parse: impl FnOnce(Node) -> Result<T>) -> Result<T> {
    let doc = Document::parse(xml)
        .map_err(|e| Error::Xml(Box::new(XmlError { path: "/".into(), message: e.to_string() })))?;
    let envelope = doc.root_element();
    if envelope.tag_name().name() != "Envelope" {
        return Err(xml_error(envelope, "expected a SOAP Envelope"));
    }
    // EWS sometimes answers faults in the SOAP 1.2 namespace (EWSMA ServiceRequestBase), so the
    // envelope's namespace is not checked strictly.
    let body = elements(envelope)
        .find(|n| n.tag_name().name() == "Body")
        .ok_or_else(|| xml_error(envelope, "missing child element Body"))?;
    let first = elements(body).next().ok_or_else(|| xml_error(body, "empty SOAP Body"))?;
    if first.tag_name().name() == "Fault" {
        return Err(Error::Fault(Box::new(parse_fault(first))));
    }
    let expected = format!("{operation}Response");
    if !is(first, ns::MESSAGES, &expected) {
        return Err(xml_error(first, format!("expected m:{expected}")));
    }
    parse(first)
}

/// When every response message of an answer is ErrorServerBusy (Exchange Online's form of
/// throttling inside HTTP 200, e.g. `ConcurrentSyncCalls`), the largest BackOffMilliseconds among
/// them (`Some(None)` when none carries one); `None` otherwise, including for faults.
pub(crate) fn busy_messages(xml: &str) -> Option<Option<std::time::Duration>> {
    let doc = Document::parse(xml).ok()?;
    let messages = doc.descendants().find(|n| is(*n, ns::MESSAGES, "ResponseMessages"))?;
    let mut back_off = None;
    let mut any = false;
    for message in elements(messages) {
        any = true;
        let code = child(message, ns::MESSAGES, "ResponseCode").map(text)?;
        if code.trim() != "ErrorServerBusy" {
            return None;
        }
        let wait = child(message, ns::MESSAGES, "MessageXml").map(MessageXml::parse).and_then(|m| m.back_off());
        back_off = back_off.max(wait);
    }
    any.then_some(back_off)
}

/// Reads `s:Fault`.
pub(crate) fn parse_fault(fault: Node) -> Fault {
    let plain = |name: &str| elements(fault).find(|n| n.tag_name().name() == name).map(|n| text(n).to_owned());
    let fault_code = plain("faultcode").unwrap_or_default();
    let fault_string = plain("faultstring").unwrap_or_default();
    let detail = elements(fault).find(|n| n.tag_name().name() == "detail" || n.tag_name().name() == "Detail");
    let from_detail = |local: &str| {
        detail.and_then(|d| elements(d).find(|n| n.tag_name().name() == local && n.tag_name().namespace().is_some()))
    };
    let code_name = from_detail("ResponseCode")
        .map(|n| text(n).to_owned())
        .or_else(|| fault_code.rsplit(':').next().filter(|c| c.starts_with("Error")).map(str::to_owned));
    let message_xml = detail
        .and_then(|d| child(d, ns::TYPES, "MessageXml").or_else(|| child(d, ns::ERRORS, "MessageXml")))
        .map(MessageXml::parse)
        .unwrap_or_default();
    Fault {
        response_code: code_name.as_deref().and_then(ResponseCode::from_name),
        response_code_name: code_name,
        message: from_detail("Message").map(|n| text(n).to_owned()),
        message_xml,
        fault_code,
        fault_string,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn impersonated_request_header_names_the_mailbox_and_version() {
        let sid = ConnectingSid::PrimarySmtpAddress("alfred@contoso.com".into());
        let xml = write_envelope(
            RequestHeader { version: ExchangeVersion::Exchange2013, time_zone: Some("UTC"), impersonation: Some(&sid) },
            |w| w.empty("m:GetFolder", &[]),
        );
        let xml = String::from_utf8(xml).expect("utf-8");
        assert!(xml.contains(r#"<t:RequestServerVersion Version="Exchange2013"/>"#), "{xml}");
        assert!(xml.contains("<t:TimeZoneContext><t:TimeZoneDefinition Id=\"UTC\"/></t:TimeZoneContext>"));
        assert!(xml.contains(
            "<t:ExchangeImpersonation><t:ConnectingSID><t:PrimarySmtpAddress>alfred@contoso.com</t:PrimarySmtpAddress>"
        ));
        assert!(xml.contains(r#"xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/""#));
    }

    #[test]
    fn server_busy_fault_carries_code_message_and_back_off() {
        let xml = include_str!("../testdata/ErrorServerBusy.fault.exchangelib-test.xml");
        let err = read_response(xml, "CreateItem", |_| Ok(())).expect_err("a fault");
        let Error::Fault(f) = err else { panic!("expected a fault, got {err:?}") };
        assert_eq!(f.response_code, Some(ResponseCode::ErrorServerBusy));
        assert_eq!(f.fault_code, "a:ErrorServerBusy");
        assert_eq!(f.message.as_deref(), Some("The server cannot service this request right now. Try again later."));
        assert_eq!(f.back_off(), Some(std::time::Duration::from_millis(297_749)));
    }

    #[test]
    fn non_existent_mailbox_fault_names_the_smtp_address() {
        let xml = include_str!("../testdata/ErrorNonExistentMailbox.normalized.xml");
        let Err(Error::Fault(f)) = read_response(xml, "FindFolder", |_| Ok(())) else { panic!("expected a fault") };
        assert_eq!(f.response_code, Some(ResponseCode::ErrorNonExistentMailbox));
        assert!(f.message_xml.get("SmtpAddress").is_some(), "{:?}", f.message_xml);
    }

    #[test]
    fn schema_validation_fault_keeps_line_and_violation() {
        let xml = r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault>
            <faultcode xmlns:a="http://schemas.microsoft.com/exchange/services/2006/types">a:ErrorSchemaValidation</faultcode>
            <faultstring xml:lang="en-US">The request failed schema validation.</faultstring>
            <detail><e:ResponseCode xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">ErrorSchemaValidation</e:ResponseCode>
            <t:MessageXml xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><t:LineNumber>11</t:LineNumber><t:Violation>bad</t:Violation></t:MessageXml>
            </detail></s:Fault></s:Body></s:Envelope>"#;
        let Err(Error::Fault(f)) = read_response(xml, "GetItem", |_| Ok(())) else { panic!("expected a fault") };
        assert_eq!(f.response_code, Some(ResponseCode::ErrorSchemaValidation));
        assert_eq!(f.message_xml.get("LineNumber"), Some("11"));
        assert_eq!(f.message_xml.get("Violation"), Some("bad"));
    }

    #[test]
    fn unexpected_body_element_is_an_xml_error_with_its_path() {
        let xml = r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>
            <m:GetItemResponse xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages"/></s:Body></s:Envelope>"#;
        let Err(Error::Xml(e)) = read_response(xml, "CreateItem", |_| Ok(())) else { panic!("expected XML error") };
        assert_eq!(e.path, "/Envelope/Body/GetItemResponse");
        assert!(e.message.contains("CreateItemResponse"));
    }
}
