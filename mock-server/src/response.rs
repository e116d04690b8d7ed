//! Per-message results: `ResponseClass="Success"` or `"Error"` inside `m:ResponseMessages`.
//!
//! Errors here are data, not faults: a batch can fail in part, so each input item gets its own
//! message, in request order (see `../shared/protocol/protocol.md` §1.3–1.4).

use crate::fault::MessageXml;
use crate::response_code::ResponseCode;
use crate::xml::write::XmlOut;

/// A per-message error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MessageError {
    /// `Error`, or `Warning` for items not processed after an earlier error.
    pub(crate) warning: bool,
    /// The response code.
    pub(crate) code: ResponseCode,
    /// `m:MessageText`.
    pub(crate) text: String,
    /// `m:MessageXml`.
    pub(crate) xml: MessageXml,
}

impl MessageError {
    /// An error with the code's default text.
    pub(crate) fn new(code: ResponseCode) -> MessageError {
        MessageError::with_text(code, code.default_message())
    }

    /// An error with its own text.
    pub(crate) fn with_text(code: ResponseCode, text: impl Into<String>) -> MessageError {
        MessageError { warning: false, code, text: text.into(), xml: MessageXml::None }
    }

    /// Adds `MessageXml`.
    pub(crate) fn xml(mut self, xml: MessageXml) -> MessageError {
        self.xml = xml;
        self
    }
}

/// One response message: the operation's payload on success, or an error.
pub(crate) type Message<T> = Result<T, MessageError>;

/// The code to record for a response: the first message's error code, or NoError.
pub(crate) fn first_error<'a, T: 'a>(messages: impl IntoIterator<Item = &'a Message<T>>) -> ResponseCode {
    messages.into_iter().find_map(|m| m.as_ref().err().map(|e| e.code)).unwrap_or(ResponseCode::NoError)
}

/// Writes `<m:{element} ResponseClass=…>` with its standard children, then `body` for the payload.
///
/// On error, `body` still runs with `None` so operations whose message type requires a
/// container (`m:Items`, `m:Folders`) can write it empty, as Exchange does.
pub(crate) fn write_message<T>(
    out: &mut XmlOut,
    element: &str,
    message: &Message<T>,
    body: impl FnOnce(&mut XmlOut, Option<&T>),
) {
    match message {
        Ok(payload) => {
            out.start(element, &[("ResponseClass", "Success")]);
            out.leaf("m:ResponseCode", "NoError");
            body(out, Some(payload));
        }
        Err(e) => {
            let class = if e.warning { "Warning" } else { "Error" };
            out.start(element, &[("ResponseClass", class)]);
            out.leaf("m:MessageText", &e.text);
            out.leaf("m:ResponseCode", e.code.as_str());
            out.leaf("m:DescriptiveLinkKey", "0");
            if !e.xml.is_none() {
                out.start("m:MessageXml", &[]);
                e.xml.write_children(out);
                out.end("m:MessageXml");
            }
            body(out, None);
        }
    }
    out.end(element);
}
