//! The crate's one error type, [`Error`], and the SOAP fault it can carry.
//!
//! Request-level failures are `Err`: transport, HTTP status, SOAP fault, unreadable XML. A
//! per-item `ResponseClass="Error"` inside a response is *data* ([`ResponseError`]), because a batch
//! can fail in part; only the single-item conveniences (`Mailbox::save`, `Mailbox::get`, …) turn it
//! into [`Error::Response`].

use std::time::Duration;

use crate::types::{MessageXml, ResponseCode, ResponseError};

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong talking to EWS.
///
/// Large variants are boxed so `Result<T>` stays small on the happy path (a `Fault` alone is
/// ~200 bytes; E `lib.rs` does the same).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request did not complete: connection refused, TLS failure, timeout, ….
    #[error("transport error: {0}")]
    Transport(#[from] reqwest::Error),
    /// The server answered with an HTTP status that carries no SOAP envelope (401, 403, 503, …).
    #[error("{0}")]
    Http(Box<HttpError>),
    /// The server answered with a SOAP fault (HTTP 500): impersonation denied, no such mailbox,
    /// server busy, schema validation, ….
    #[error("{0}")]
    Fault(Box<Fault>),
    /// A single-item call got `ResponseClass="Error"` for its item.
    #[error("{0}")]
    Response(Box<ResponseError>),
    /// The response is not the XML EWS promises.
    #[error("{0}")]
    Xml(Box<XmlError>),
    /// The caller asked for something this client cannot express (e.g. a time zone with no
    /// Windows id, an end before the start).
    #[error("invalid request: {0}")]
    Invalid(String),
}

impl Error {
    /// The EWS response code, if the error carries one (a fault or a per-item error).
    ///
    /// ```
    /// use ews_client::{Error, ResponseCode};
    /// let e = Error::Invalid("x".into());
    /// assert_eq!(e.response_code(), None::<ResponseCode>);
    /// ```
    pub fn response_code(&self) -> Option<ResponseCode> {
        match self {
            Error::Fault(f) => f.response_code,
            Error::Response(r) => r.response_code,
            _ => None,
        }
    }
}

/// An HTTP status without a SOAP answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("HTTP {status}{}", challenge.as_deref().map(|c| format!(" (WWW-Authenticate: {c})")).unwrap_or_default())]
pub struct HttpError {
    /// The status code, e.g. 401.
    pub status: u16,
    /// The `WWW-Authenticate` challenges, joined with `, ` (set for 401).
    pub challenge: Option<String>,
    /// The response body, possibly empty.
    pub body: String,
}

/// A SOAP fault as Exchange sends it (HTTP 500, `s:Fault` with an EWS `detail`).
///
/// See <https://learn.microsoft.com/en-us/exchange/client-developer/exchange-web-services/ews-throttling-in-exchange>
/// for ErrorServerBusy and its BackOffMilliseconds hint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("SOAP fault {}: {}", self.code_name(), self.message.as_deref().unwrap_or(&self.fault_string))]
pub struct Fault {
    /// The `faultcode` text, e.g. `a:ErrorServerBusy`.
    pub fault_code: String,
    /// The `faultstring` text.
    pub fault_string: String,
    /// The typed `e:ResponseCode` (falling back to the faultcode's local part); `None` if unknown.
    pub response_code: Option<ResponseCode>,
    /// The response code exactly as sent, also when this client does not know it.
    pub response_code_name: Option<String>,
    /// The `e:Message` text.
    pub message: Option<String>,
    /// The `MessageXml` values, e.g. `BackOffMilliseconds` or `SmtpAddress`.
    pub message_xml: MessageXml,
}

impl Fault {
    /// The response code's wire name, or the faultcode if there is none.
    pub fn code_name(&self) -> &str {
        self.response_code_name.as_deref().unwrap_or(&self.fault_code)
    }

    /// The server's back-off hint (`BackOffMilliseconds`), if it sent one.
    pub fn back_off(&self) -> Option<Duration> {
        self.message_xml.back_off()
    }
}

/// The response XML could not be read; `path` names the element, e.g.
/// `/Envelope/Body/CreateItemResponse/ResponseMessages`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("XML error at {path}: {message}")]
pub struct XmlError {
    /// Where: local names from the root, or `/` if the document did not parse.
    pub path: String,
    /// What was wrong.
    pub message: String,
}
