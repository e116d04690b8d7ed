//! Namespace URIs of the EWS wire format (SOAP 1.1 envelope, EWS types, messages and errors).
//!
//! Requests always use the `http://` forms; Microsoft's docs often print `https://`, a docs-wide
//! rewrite artefact that real servers do not accept (see protocol.md, "Namespaces").

/// SOAP 1.1 envelope namespace (prefix `soap`).
pub(crate) const SOAP: &str = "http://schemas.xmlsoap.org/soap/envelope/";
/// EWS types namespace (prefix `t`).
pub(crate) const TYPES: &str = "http://schemas.microsoft.com/exchange/services/2006/types";
/// EWS messages namespace (prefix `m`).
pub(crate) const MESSAGES: &str = "http://schemas.microsoft.com/exchange/services/2006/messages";
/// EWS errors namespace (prefix `e`), used only inside SOAP fault details.
pub(crate) const ERRORS: &str = "http://schemas.microsoft.com/exchange/services/2006/errors";
/// Prefix of the SOAPAction header value; the operation name follows.
pub(crate) const SOAP_ACTION_BASE: &str = "http://schemas.microsoft.com/exchange/services/2006/messages/";
