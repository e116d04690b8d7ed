//! quick-xml helpers that write EWS responses with fixed prefixes `s:`, `m:` and `t:`.
//!
//! Every response is written into one growing `Vec<u8>`; writes to a `Vec` cannot fail, which is
//! why the helpers `expect` instead of returning `Result`.

use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;

use crate::ns;
use crate::profile::ServerVersionInfo;

const INFALLIBLE: &str = "writing XML into a Vec<u8> cannot fail";

/// An XML document being written.
pub(crate) struct XmlOut {
    w: Writer<Vec<u8>>,
}

impl XmlOut {
    /// Starts a document with the XML declaration.
    pub(crate) fn new() -> XmlOut {
        let mut w = Writer::new(Vec::with_capacity(1024));
        w.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None))).expect(INFALLIBLE);
        XmlOut { w }
    }

    /// Opens `<name attrs…>`.
    pub(crate) fn start(&mut self, name: &str, attrs: &[(&str, &str)]) {
        let mut el = BytesStart::new(name);
        for (k, v) in attrs {
            el.push_attribute((*k, xml_safe(v).as_ref()));
        }
        self.w.write_event(Event::Start(el)).expect(INFALLIBLE);
    }

    /// Closes `</name>`.
    pub(crate) fn end(&mut self, name: &str) {
        self.w.write_event(Event::End(BytesEnd::new(name))).expect(INFALLIBLE);
    }

    /// Writes `<name attrs…/>`.
    pub(crate) fn empty(&mut self, name: &str, attrs: &[(&str, &str)]) {
        let mut el = BytesStart::new(name);
        for (k, v) in attrs {
            el.push_attribute((*k, xml_safe(v).as_ref()));
        }
        self.w.write_event(Event::Empty(el)).expect(INFALLIBLE);
    }

    /// Writes escaped character data.
    pub(crate) fn text(&mut self, text: &str) {
        // Only `<`, `>` and `&` need escaping in character data; quotes stay readable, as Exchange writes them.
        let escaped = quick_xml::escape::partial_escape(xml_safe(text));
        self.w.write_event(Event::Text(BytesText::from_escaped(escaped))).expect(INFALLIBLE);
    }

    /// Writes `<name>text</name>`.
    pub(crate) fn leaf(&mut self, name: &str, text: &str) {
        self.start(name, &[]);
        self.text(text);
        self.end(name);
    }

    /// Writes `<name attrs…>text</name>`.
    pub(crate) fn leaf_with(&mut self, name: &str, attrs: &[(&str, &str)], text: &str) {
        self.start(name, attrs);
        self.text(text);
        self.end(name);
    }

    /// The finished document.
    pub(crate) fn into_bytes(self) -> Vec<u8> {
        self.w.into_inner()
    }
}

/// Replaces characters XML 1.0 does not allow (most C0 controls, U+FFFE, U+FFFF) with U+FFFD,
/// so that echoing a client's bad input back in a fault never makes the answer malformed.
pub(crate) fn xml_safe(text: &str) -> std::borrow::Cow<'_, str> {
    fn allowed(c: char) -> bool {
        matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
    }
    if text.chars().all(allowed) {
        std::borrow::Cow::Borrowed(text)
    } else {
        std::borrow::Cow::Owned(text.chars().map(|c| if allowed(c) { c } else { '\u{FFFD}' }).collect())
    }
}

/// Writes a whole SOAP envelope. Non-fault responses pass `Some(version)` so the header carries
/// `ServerVersionInfo`, as every client expects; faults pass `None`, as Exchange sends them.
pub(crate) fn envelope(version: Option<ServerVersionInfo>, body: impl FnOnce(&mut XmlOut)) -> Vec<u8> {
    let mut out = XmlOut::new();
    out.start("s:Envelope", &[("xmlns:s", ns::SOAP)]);
    if let Some(v) = version {
        out.start("s:Header", &[]);
        let (major, minor) = (v.major.to_string(), v.minor.to_string());
        let (major_build, minor_build) = (v.major_build.to_string(), v.minor_build.to_string());
        out.empty(
            "h:ServerVersionInfo",
            &[
                ("MajorVersion", &major),
                ("MinorVersion", &minor),
                ("MajorBuildNumber", &major_build),
                ("MinorBuildNumber", &minor_build),
                ("Version", v.version),
                ("xmlns:h", ns::TYPES),
                ("xmlns", ns::TYPES),
                ("xmlns:xsd", "http://www.w3.org/2001/XMLSchema"),
                ("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance"),
            ],
        );
        out.end("s:Header");
    }
    out.start("s:Body", &[]);
    body(&mut out);
    out.end("s:Body");
    out.end("s:Envelope");
    out.into_bytes()
}

/// Opens an operation's response element, `<m:{name} xmlns:m xmlns:t>`.
pub(crate) fn start_response(out: &mut XmlOut, name: &str) {
    out.start(name, &[("xmlns:m", ns::MESSAGES), ("xmlns:t", ns::TYPES)]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_never_reach_the_output() {
        let mut out = XmlOut::new();
        out.leaf_with("a", &[("v", "x\u{b}y")], "bad \u{b} \u{0} text");
        let xml = String::from_utf8(out.into_bytes()).expect("utf-8");
        assert!(roxmltree::Document::parse(&xml).is_ok(), "{xml:?}");
        assert!(xml.contains("bad \u{FFFD}"), "{xml:?}");
    }
}
