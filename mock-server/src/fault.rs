//! SOAP faults and the `MessageXml` that travels with EWS errors.
//!
//! A [`Fault`] is a request-level failure: Exchange answers it with HTTP 500 and a SOAP 1.1 fault
//! whose `faultcode` is `a:ErrorXxx` (`a` bound to the types namespace) and whose `detail` holds
//! `e:ResponseCode`, `e:Message` and optionally `t:MessageXml`. Per-item failures are not faults:
//! they are `ResponseClass="Error"` messages (see [`crate::response`]).
//! See `../shared/protocol/protocol.md` §3.

use crate::ns;
use crate::response_code::ResponseCode;
use crate::xml::write::{envelope, XmlOut};

/// Extra data sent with an error, as `MessageXml`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) enum MessageXml {
    /// No `MessageXml` element.
    #[default]
    None,
    /// `<t:Value Name="…">…</t:Value>` pairs, e.g. `BackOffMilliseconds` or `SmtpAddress`.
    Values(Vec<(String, String)>),
    /// `<t:FieldURI FieldURI="…"/>`: the property an error is about.
    FieldUri(String),
    /// ErrorSchemaValidation's position and .NET-style violation text.
    Schema {
        /// 1-based line of the offending node.
        line: u32,
        /// 1-based column of the offending node.
        position: u32,
        /// What is wrong, in the words of .NET's schema validator.
        violation: String,
    },
}

impl MessageXml {
    /// Writes the children of a `MessageXml` element (the element itself is the caller's).
    pub(crate) fn write_children(&self, out: &mut XmlOut) {
        match self {
            MessageXml::None => {}
            MessageXml::Values(values) => {
                for (name, value) in values {
                    out.leaf_with("t:Value", &[("Name", name)], value);
                }
            }
            MessageXml::FieldUri(uri) => out.empty("t:FieldURI", &[("FieldURI", uri)]),
            MessageXml::Schema { line, position, violation } => {
                out.leaf("t:LineNumber", &line.to_string());
                out.leaf("t:LinePosition", &position.to_string());
                out.leaf("t:Violation", violation);
            }
        }
    }

    pub(crate) fn is_none(&self) -> bool {
        matches!(self, MessageXml::None)
    }
}

/// What kind of fault: an EWS response code, or a SOAP-level one (wrong envelope version).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FaultCode {
    /// `a:ErrorXxx` with an EWS detail.
    Ews(ResponseCode),
    /// `s:VersionMismatch`: the envelope is not SOAP 1.1.
    VersionMismatch,
}

/// A request-level failure, answered with HTTP 500 and a SOAP fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fault {
    /// The fault code.
    pub(crate) code: FaultCode,
    /// `faultstring` (and `e:Message`, unless `message` is set).
    pub(crate) text: String,
    /// `e:Message` when it differs from `faultstring` (ErrorSchemaValidation).
    pub(crate) message: Option<String>,
    /// `t:MessageXml` contents.
    pub(crate) message_xml: MessageXml,
}

impl Fault {
    /// A fault with the code's default text.
    pub(crate) fn new(code: ResponseCode) -> Fault {
        Fault::with_text(code, code.default_message())
    }

    /// A fault with its own text.
    pub(crate) fn with_text(code: ResponseCode, text: impl Into<String>) -> Fault {
        Fault { code: FaultCode::Ews(code), text: text.into(), message: None, message_xml: MessageXml::None }
    }

    /// Adds `MessageXml`.
    pub(crate) fn message_xml(mut self, xml: MessageXml) -> Fault {
        self.message_xml = xml;
        self
    }

    /// ErrorSchemaValidation at a position, in Exchange's shape: faultstring
    /// "The request failed schema validation: {violation}", Message "The request failed schema
    /// validation.", MessageXml LineNumber/LinePosition/Violation.
    pub(crate) fn schema(line: u32, position: u32, violation: impl Into<String>) -> Fault {
        let violation = violation.into();
        Fault {
            code: FaultCode::Ews(ResponseCode::ErrorSchemaValidation),
            text: format!("The request failed schema validation: {violation}"),
            message: Some("The request failed schema validation.".into()),
            message_xml: MessageXml::Schema { line, position, violation },
        }
    }

    /// The SOAP 1.1 VersionMismatch fault for an envelope in another namespace.
    pub(crate) fn version_mismatch(found: &str) -> Fault {
        Fault {
            code: FaultCode::VersionMismatch,
            text: format!(
                "Possible SOAP version mismatch: Envelope namespace {found} was unexpected. Expecting {}.",
                ns::SOAP
            ),
            message: None,
            message_xml: MessageXml::None,
        }
    }

    /// The response code, if this is an EWS fault.
    pub(crate) fn response_code(&self) -> Option<ResponseCode> {
        match self.code {
            FaultCode::Ews(code) => Some(code),
            FaultCode::VersionMismatch => None,
        }
    }

    /// The fault as a SOAP envelope (no SOAP header, as Exchange sends faults).
    pub(crate) fn to_xml(&self) -> Vec<u8> {
        envelope(None, |out| {
            out.start("s:Fault", &[]);
            match self.code {
                FaultCode::Ews(code) => {
                    out.leaf_with("faultcode", &[("xmlns:a", ns::TYPES)], &format!("a:{code}"));
                    out.leaf_with("faultstring", &[("xml:lang", "en-US")], &self.text);
                    out.start("detail", &[]);
                    out.leaf_with("e:ResponseCode", &[("xmlns:e", ns::ERRORS)], code.as_str());
                    let message = self.message.as_deref().unwrap_or(&self.text);
                    out.leaf_with("e:Message", &[("xmlns:e", ns::ERRORS)], message);
                    if !self.message_xml.is_none() {
                        out.start("t:MessageXml", &[("xmlns:t", ns::TYPES)]);
                        self.message_xml.write_children(out);
                        out.end("t:MessageXml");
                    }
                    out.end("detail");
                }
                FaultCode::VersionMismatch => {
                    out.leaf("faultcode", "s:VersionMismatch");
                    out.leaf_with("faultstring", &[("xml:lang", "en-US")], &self.text);
                }
            }
            out.end("s:Fault");
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn impersonation_fault_has_exchange_shape() {
        let xml = Fault::new(ResponseCode::ErrorImpersonateUserDenied).to_xml();
        let xml = String::from_utf8(xml).expect("utf-8");
        assert!(xml.contains(r#"<faultcode xmlns:a="http://schemas.microsoft.com/exchange/services/2006/types">a:ErrorImpersonateUserDenied</faultcode>"#), "{xml}");
        assert!(xml.contains("<e:Message xmlns:e=\"http://schemas.microsoft.com/exchange/services/2006/errors\">The account does not have permission to impersonate the requested user.</e:Message>"), "{xml}");
        assert!(!xml.contains("s:Header"), "faults carry no SOAP header: {xml}");
    }

    #[test]
    fn schema_fault_carries_line_position_and_violation() {
        let xml = String::from_utf8(Fault::schema(11, 33, "bad").to_xml()).expect("utf-8");
        assert!(
            xml.contains("<faultstring xml:lang=\"en-US\">The request failed schema validation: bad</faultstring>"),
            "{xml}"
        );
        assert!(
            xml.contains(
                "<t:LineNumber>11</t:LineNumber><t:LinePosition>33</t:LinePosition><t:Violation>bad</t:Violation>"
            ),
            "{xml}"
        );
    }
}
