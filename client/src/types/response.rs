//! Response messages: `ResponseClass`, `ResponseCode`, `MessageText` and `MessageXml`, read from
//! each `m:…ResponseMessage`. A failed item is data ([`ResponseError`]), not `Err`.
//!
//! See <https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/responsemessages>.

use std::time::Duration;

use roxmltree::Node;

use super::{ews_enum, ResponseCode};
use crate::ns;
use crate::xml::{child, elements, is, required, text, xml_error};
use crate::Result;

ews_enum! {
    /// `t:ResponseClassType`.
    /// See <https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/responsemessages>.
    ResponseClass {
        /// The item was processed.
        Success,
        /// The item was not processed (e.g. ErrorBatchProcessingStopped).
        Warning,
        /// The item failed.
        Error,
    }
}

/// The `MessageXml` of a fault or response message: `t:Value Name="…"` pairs and other simple
/// elements (e.g. `t:LineNumber`, `t:FieldURI FieldURI="…"`), in document order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessageXml {
    /// `(name, value)`: a `t:Value`'s `Name` attribute and text, or another element's local name
    /// and its text (or its first attribute's value if it has no text).
    pub entries: Vec<(String, String)>,
}

impl MessageXml {
    /// The value of the first entry called `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.entries.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// `BackOffMilliseconds`, the ErrorServerBusy hint.
    pub fn back_off(&self) -> Option<Duration> {
        self.get("BackOffMilliseconds").and_then(|v| v.trim().parse::<u64>().ok()).map(Duration::from_millis)
    }

    pub(crate) fn parse(node: Node) -> MessageXml {
        let entries = elements(node)
            .map(|e| {
                if e.tag_name().name() == "Value" {
                    (e.attribute("Name").unwrap_or("").to_owned(), text(e).to_owned())
                } else {
                    let value = match text(e) {
                        "" => e.attributes().next().map(|a| a.value().to_owned()).unwrap_or_default(),
                        t => t.to_owned(),
                    };
                    (e.tag_name().name().to_owned(), value)
                }
            })
            .collect();
        MessageXml { entries }
    }
}

/// A response message with `ResponseClass` Error or Warning: this item failed, the others may
/// not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{class} {}: {}", self.code_name, self.message_text.as_deref().unwrap_or(""))]
pub struct ResponseError {
    /// Error or Warning.
    pub class: ResponseClass,
    /// The typed code; `None` if this client does not know it.
    pub response_code: Option<ResponseCode>,
    /// The code as sent.
    pub code_name: String,
    /// `m:MessageText`.
    pub message_text: Option<String>,
    /// `m:MessageXml`.
    pub message_xml: MessageXml,
}

/// One response message: `Ok(message element)` for Success, `Err` with the details otherwise.
pub(crate) type MessageOutcome<'a, 'i> = std::result::Result<Node<'a, 'i>, ResponseError>;

/// Reads `m:ResponseMessages/m:{message}` children of an operation's response element, in order.
pub(crate) fn parse_response_messages<'a, 'i>(
    response: Node<'a, 'i>,
    message: &str,
) -> Result<Vec<MessageOutcome<'a, 'i>>> {
    let messages = required(response, ns::MESSAGES, "ResponseMessages")?;
    let mut out = Vec::new();
    for m in elements(messages) {
        if !is(m, ns::MESSAGES, message) {
            return Err(xml_error(m, format!("expected {message}")));
        }
        let class_raw = m.attribute("ResponseClass").ok_or_else(|| xml_error(m, "missing ResponseClass"))?;
        let class = ResponseClass::parse(class_raw)
            .ok_or_else(|| xml_error(m, format!("invalid ResponseClass {class_raw:?}")))?;
        let code_name = child(m, ns::MESSAGES, "ResponseCode").map(text).unwrap_or("NoError");
        if class == ResponseClass::Success {
            out.push(Ok(m));
            continue;
        }
        out.push(Err(ResponseError {
            class,
            response_code: ResponseCode::from_name(code_name),
            code_name: code_name.to_owned(),
            message_text: child(m, ns::MESSAGES, "MessageText").map(|n| text(n).to_owned()),
            message_xml: child(m, ns::MESSAGES, "MessageXml").map(MessageXml::parse).unwrap_or_default(),
        }));
    }
    Ok(out)
}
