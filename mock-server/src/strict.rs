//! `--strict`: a report on the client under test.
//!
//! In strict mode the mock still answers exactly as Exchange would, and additionally records in
//! each journal entry every rule the request broke: the schema rules it knows (element order,
//! unknown elements, bad enum values, missing required attributes — anything answered with
//! ErrorSchemaValidation), and protocol advice Exchange does not enforce but real deployments
//! punish (Microsoft: "When using impersonation you must always use the X-AnchorMailbox header").
//! `ews-conformance client-report` prints them.

use crate::fault::{Fault, MessageXml};
use crate::response_code::ResponseCode;
use crate::tenant::{Directory, MailboxIdx};

/// The HTTP request headers strict mode looks at.
#[derive(Debug, Clone, Default)]
pub(crate) struct HttpMeta {
    /// `Content-Type`.
    pub(crate) content_type: Option<String>,
    /// `SOAPAction`.
    pub(crate) soap_action: Option<String>,
    /// `X-AnchorMailbox`.
    pub(crate) anchor_mailbox: Option<String>,
}

/// The rules a request broke.
pub(crate) fn violations(
    meta: &HttpMeta,
    dir: &Directory,
    operation: &str,
    acting_as: Option<MailboxIdx>,
    had_version: bool,
    fault: Option<&Fault>,
) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(f) = fault.filter(|f| f.response_code() == Some(ResponseCode::ErrorSchemaValidation)) {
        match &f.message_xml {
            MessageXml::Schema { line, position, violation } => {
                out.push(format!("schema: {violation} (line {line}, position {position})"))
            }
            _ => out.push(format!("schema: {}", f.text)),
        }
    } else if let Some(f) = fault.filter(|f| f.response_code().is_none()) {
        out.push(format!("soap: {}", f.text));
    }
    match meta.content_type.as_deref() {
        Some(ct) if ct.to_ascii_lowercase().starts_with("text/xml") => {}
        other => out.push(format!(
            "http: Content-Type is {}; EWS expects `text/xml; charset=utf-8`",
            other.map_or("missing".to_string(), |c| format!("{c:?}"))
        )),
    }
    if let Some(action) = meta.soap_action.as_deref().map(|a| a.trim_matches('"')) {
        let expected = format!("http://schemas.microsoft.com/exchange/services/2006/messages/{operation}");
        if !operation.is_empty() && action != expected {
            out.push(format!("http: SOAPAction {action:?} does not name the operation; expected {expected:?}"));
        }
    }
    if !operation.is_empty() && !had_version {
        out.push(
            "soap: no RequestServerVersion header; Exchange then treats the request as Exchange2007 and refuses newer features"
                .into(),
        );
    }
    if let Some(mailbox) = acting_as {
        let smtp = &dir.mailbox(mailbox).smtp;
        match meta.anchor_mailbox.as_deref() {
            None => out.push(format!(
                "http: no X-AnchorMailbox header; with impersonation or another mailbox, send X-AnchorMailbox: {smtp}"
            )),
            Some(anchor) if !anchor.trim().eq_ignore_ascii_case(smtp) => out.push(format!(
                "http: X-AnchorMailbox {anchor:?} differs from the mailbox acted as ({smtp}); Exchange routes by it"
            )),
            Some(_) => {}
        }
    }
    out
}
