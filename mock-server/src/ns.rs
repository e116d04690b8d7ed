//! The namespace URIs of EWS and SOAP 1.1.
//!
//! See <https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/ews-xml-elements-in-exchange>.

/// SOAP 1.1 envelope (`s:`/`soap:`).
pub(crate) const SOAP: &str = "http://schemas.xmlsoap.org/soap/envelope/";
/// EWS types (`t:`).
pub(crate) const TYPES: &str = "http://schemas.microsoft.com/exchange/services/2006/types";
/// EWS messages (`m:`).
pub(crate) const MESSAGES: &str = "http://schemas.microsoft.com/exchange/services/2006/messages";
/// EWS errors (`e:`), used in SOAP fault details only.
pub(crate) const ERRORS: &str = "http://schemas.microsoft.com/exchange/services/2006/errors";

/// The namespace a user most likely meant, when they wrote a near miss.
///
/// Microsoft's documentation prints `https://` for these namespaces, a site-wide rewrite
/// artefact; real traffic uses `http://`. Returns the right URI for such a near miss.
pub(crate) fn near_miss(uri: &str) -> Option<&'static str> {
    let rest = uri.strip_prefix("https://")?.trim_end_matches('/');
    [SOAP, TYPES, MESSAGES, ERRORS]
        .into_iter()
        .find(|right| right.trim_start_matches("http://").trim_end_matches('/') == rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_variant_of_the_soap_namespace_is_a_near_miss() {
        assert_eq!(near_miss("https://schemas.xmlsoap.org/soap/envelope/"), Some(SOAP));
        assert_eq!(near_miss("https://schemas.microsoft.com/exchange/services/2006/types"), Some(TYPES));
        assert_eq!(near_miss("urn:other"), None);
    }
}
