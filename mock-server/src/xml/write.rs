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
            el.push_attribute((*k, *v));
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
            el.push_attribute((*k, *v));
        }
        self.w.write_event(Event::Empty(el)).expect(INFALLIBLE);
    }

    /// Writes escaped character data.
    pub(crate) fn text(&mut self, text: &str) {
        // Only `<`, `>` and `&` need escaping in character data; quotes stay readable, as Exchange writes them.
        let escaped = quick_xml::escape::partial_escape(text);
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
