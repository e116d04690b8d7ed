//! Helpers that write EWS responses with fixed prefixes `s:`, `m:` and `t:`.
//!
//! Every response is written straight into one growing `Vec<u8>`, byte for byte as quick-xml's
//! `Writer` writes it (attribute values fully escaped, text `<>&` only, `<a/>` with no space),
//! with quick-xml doing the escaping: this is on every request's path, and building quick-xml
//! events cost an allocation per element (the benchmark measured it). A test below checks the
//! output against quick-xml's `Writer`. Beyond quick-xml, CR (and TAB/LF in attribute values) is
//! written as a character reference, so it survives a parser's whitespace normalisation.

use crate::ns;
use crate::profile::ServerVersionInfo;

/// An XML document being written.
pub(crate) struct XmlOut {
    buf: Vec<u8>,
}

/// Whether a byte must be escaped: in attribute values `<>&'"`, in character data `<>&` (quotes
/// stay readable there, as Exchange writes them).
#[inline]
fn needs_escape(b: u8, attribute: bool) -> bool {
    matches!(b, b'<' | b'>' | b'&') || (attribute && matches!(b, b'\'' | b'"'))
}

/// Appends `text` made XML-safe and escaped. The common case — printable ASCII with nothing to
/// escape, such as ids, namespaces and numbers — is one copy; anything else is escaped by
/// quick-xml, plus the whitespace a parser would otherwise normalise away: CR everywhere (it
/// becomes LF when read), and TAB and LF in attribute values (they become spaces). .NET writes
/// them as character references too.
fn push_text(buf: &mut Vec<u8>, text: &str, attribute: bool) {
    if text.bytes().all(|b| (0x20..0x7f).contains(&b) && !needs_escape(b, attribute)) {
        buf.extend_from_slice(text.as_bytes());
        return;
    }
    let safe = xml_safe(text);
    let escaped = if attribute {
        quick_xml::escape::escape(safe.as_ref())
    } else {
        quick_xml::escape::partial_escape(safe.as_ref())
    };
    for c in escaped.chars() {
        match c {
            '\r' => buf.extend_from_slice(b"&#13;"),
            '\n' if attribute => buf.extend_from_slice(b"&#10;"),
            '\t' if attribute => buf.extend_from_slice(b"&#9;"),
            c => {
                let mut utf8 = [0u8; 4];
                buf.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
            }
        }
    }
}

impl XmlOut {
    /// Starts a document with the XML declaration.
    pub(crate) fn new() -> XmlOut {
        let mut buf = Vec::with_capacity(2048);
        buf.extend_from_slice(br#"<?xml version="1.0" encoding="utf-8"?>"#);
        XmlOut { buf }
    }

    fn open(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.buf.push(b'<');
        self.buf.extend_from_slice(name.as_bytes());
        for (k, v) in attrs {
            self.buf.push(b' ');
            self.buf.extend_from_slice(k.as_bytes());
            self.buf.extend_from_slice(b"=\"");
            push_text(&mut self.buf, v, true);
            self.buf.push(b'"');
        }
    }

    /// Opens `<name attrs…>`.
    pub(crate) fn start(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.open(name, attrs);
        self.buf.push(b'>');
    }

    /// Closes `</name>`.
    pub(crate) fn end(&mut self, name: &str) {
        self.buf.extend_from_slice(b"</");
        self.buf.extend_from_slice(name.as_bytes());
        self.buf.push(b'>');
    }

    /// Writes `<name attrs…/>`.
    pub(crate) fn empty(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.open(name, attrs);
        self.buf.extend_from_slice(b"/>");
    }

    /// Writes escaped character data.
    pub(crate) fn text(&mut self, text: &str) {
        push_text(&mut self.buf, text, false);
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
        self.buf
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
        // The header is the same for every answer of a profile: written once per thread and
        // version, then copied (it is about 400 bytes of attributes).
        thread_local! {
            static HEADER: std::cell::RefCell<Option<(ServerVersionInfo, Vec<u8>)>> = const { std::cell::RefCell::new(None) };
        }
        HEADER.with(|cell| {
            let mut cache = cell.borrow_mut();
            let (_, bytes) = match cache.take() {
                Some((cached, bytes)) if cached == v => cache.insert((cached, bytes)),
                _ => cache.insert((v, header(v))),
            };
            out.buf.extend_from_slice(bytes);
        });
    }
    out.start("s:Body", &[]);
    body(&mut out);
    out.end("s:Body");
    out.end("s:Envelope");
    out.into_bytes()
}

/// `<s:Header>` with `ServerVersionInfo`, as bytes.
fn header(v: ServerVersionInfo) -> Vec<u8> {
    let mut out = XmlOut { buf: Vec::with_capacity(512) };
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
    out.buf
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

    #[test]
    fn each_envelope_carries_its_own_server_version_even_when_versions_alternate() {
        let v = |major, version| ServerVersionInfo { major, minor: 1, major_build: 2, minor_build: 3, version };
        for (major, version) in [(15, "V2018_01_08"), (14, "Exchange2010"), (15, "V2018_01_08")] {
            let xml = String::from_utf8(envelope(Some(v(major, version)), |_| {})).expect("utf-8");
            let want = format!(
                r#"<h:ServerVersionInfo MajorVersion="{major}" MinorVersion="1" MajorBuildNumber="2" MinorBuildNumber="3" Version="{version}""#
            );
            assert!(xml.contains(&want), "{xml}");
        }
        let fault = String::from_utf8(envelope(None, |_| {})).expect("utf-8");
        assert!(!fault.contains("ServerVersionInfo"), "{fault}");
    }

    #[test]
    fn carriage_returns_survive_and_attribute_whitespace_is_kept() {
        let mut out = XmlOut::new();
        out.leaf_with("a", &[("v", "x\ty\nz\r")], "line 1\r\nline 2\t<end>");
        let xml = String::from_utf8(out.into_bytes()).expect("utf-8");
        assert!(xml.contains(r#"v="x&#9;y&#10;z&#13;""#), "{xml}");
        assert!(xml.contains("line 1&#13;\nline 2\t&lt;end&gt;"), "{xml}");
        let doc = roxmltree::Document::parse(&xml).expect("well-formed");
        assert_eq!(doc.root_element().text(), Some("line 1\r\nline 2\t<end>"));
        assert_eq!(doc.root_element().attribute("v"), Some("x\ty\nz\r"));
    }

    #[test]
    fn output_is_byte_for_byte_what_quick_xml_writes() {
        use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
        let attrs = [("Id", "a<b>&'c\"d"), ("xmlns:t", "urn:x")];
        let text = "x < y & \"z\" > 'w' é";
        let mut ours = XmlOut::new();
        ours.start("m:A", &attrs);
        ours.empty("t:B", &attrs);
        ours.leaf("t:C", text);
        ours.empty("t:D", &[]);
        ours.end("m:A");

        let mut w = quick_xml::Writer::new(Vec::new());
        w.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None))).expect("vec");
        let with = |name| {
            let mut el = BytesStart::new(name);
            for a in attrs {
                el.push_attribute(a);
            }
            el
        };
        w.write_event(Event::Start(with("m:A"))).expect("vec");
        w.write_event(Event::Empty(with("t:B"))).expect("vec");
        w.write_event(Event::Start(BytesStart::new("t:C"))).expect("vec");
        w.write_event(Event::Text(BytesText::from_escaped(quick_xml::escape::partial_escape(text)))).expect("vec");
        w.write_event(Event::End(BytesEnd::new("t:C"))).expect("vec");
        w.write_event(Event::Empty(BytesStart::new("t:D"))).expect("vec");
        w.write_event(Event::End(BytesEnd::new("m:A"))).expect("vec");
        assert_eq!(String::from_utf8(ours.into_bytes()), String::from_utf8(w.into_inner()));
    }
}
