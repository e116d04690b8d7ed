//! XML helpers: a quick-xml writer with the fixed prefixes `soap:`/`m:`/`t:`, and roxmltree
//! readers whose errors name the element path.
//!
//! Requests are written with quick-xml; responses are read with roxmltree. Nothing here is shared
//! with ews-mock: the two sides meet only on the wire.

use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};
use roxmltree::Node;

use crate::error::{Error, Result, XmlError};

/// Writes XML into a byte buffer. Writing into a `Vec<u8>` cannot fail, hence the `expect`s.
///
/// Public only so the sealed [`crate::Operation`] trait can name it; it is not reachable from
/// outside the crate.
pub struct Writer {
    inner: quick_xml::Writer<Vec<u8>>,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer").field("bytes", &self.inner.get_ref().len()).finish()
    }
}

impl Writer {
    /// A fresh writer with an XML declaration.
    pub(crate) fn new() -> Writer {
        let mut inner = quick_xml::Writer::new(Vec::with_capacity(2048));
        inner
            .write_event(Event::Decl(quick_xml::events::BytesDecl::new("1.0", Some("utf-8"), None)))
            .expect("writing into a Vec cannot fail");
        Writer { inner }
    }

    /// Opens `name` with attributes, runs `content`, closes it.
    pub(crate) fn element(&mut self, name: &str, attrs: &[(&str, &str)], content: impl FnOnce(&mut Writer)) {
        let mut start = BytesStart::new(name);
        for (k, v) in attrs {
            start.push_attribute((*k, *v));
        }
        self.inner.write_event(Event::Start(start)).expect("writing into a Vec cannot fail");
        content(self);
        self.inner.write_event(Event::End(BytesEnd::new(name))).expect("writing into a Vec cannot fail");
    }

    /// Writes `<name attrs…/>`.
    pub(crate) fn empty(&mut self, name: &str, attrs: &[(&str, &str)]) {
        let mut start = BytesStart::new(name);
        for (k, v) in attrs {
            start.push_attribute((*k, *v));
        }
        self.inner.write_event(Event::Empty(start)).expect("writing into a Vec cannot fail");
    }

    /// Writes `<name attrs…>text</name>`, escaping the text. CR is written as `&#13;`: a literal
    /// CR (or CR LF) in text reaches the server's parser as LF (XML 1.0 §2.11), so a subject or
    /// body with Windows line ends would otherwise lose its CRs.
    pub(crate) fn text_element(&mut self, name: &str, attrs: &[(&str, &str)], text: &str) {
        self.element(name, attrs, |w| {
            let escaped = quick_xml::escape::escape(text);
            let escaped = if escaped.contains('\r') { escaped.replace('\r', "&#13;").into() } else { escaped };
            w.inner.write_event(Event::Text(BytesText::from_escaped(escaped))).expect("writing into a Vec cannot fail");
        });
    }

    /// The finished document.
    pub(crate) fn into_bytes(self) -> Vec<u8> {
        self.inner.into_inner()
    }
}

/// True if `node` is the element `{ns}local`.
pub(crate) fn is(node: Node, ns: &str, local: &str) -> bool {
    node.is_element() && node.tag_name().name() == local && node.tag_name().namespace() == Some(ns)
}

/// The element children of `node`.
pub(crate) fn elements<'a, 'i>(node: Node<'a, 'i>) -> impl Iterator<Item = Node<'a, 'i>> {
    node.children().filter(|c| c.is_element())
}

/// The first child element `{ns}local`.
pub(crate) fn child<'a, 'i>(node: Node<'a, 'i>, ns: &str, local: &str) -> Option<Node<'a, 'i>> {
    elements(node).find(|c| is(*c, ns, local))
}

/// The first child element `{ns}local`, or an error naming where it was expected.
pub(crate) fn required<'a, 'i>(node: Node<'a, 'i>, ns: &str, local: &str) -> Result<Node<'a, 'i>> {
    child(node, ns, local).ok_or_else(|| xml_error(node, format!("missing child element {local}")))
}

/// The trimmed text content of `node` (empty if none).
pub(crate) fn text<'a>(node: Node<'a, '_>) -> &'a str {
    node.text().map(str::trim).unwrap_or("")
}

/// The text content of `node` exactly as sent (empty if none): for `xs:string` values such as
/// Subject, where leading and trailing whitespace is content.
pub(crate) fn raw_text<'a>(node: Node<'a, '_>) -> &'a str {
    node.text().unwrap_or("")
}

/// The path of local names from the root to `node`, e.g. `/Envelope/Body/GetItemResponse`.
pub(crate) fn path(node: Node) -> String {
    let mut names: Vec<&str> = node.ancestors().filter(|n| n.is_element()).map(|n| n.tag_name().name()).collect();
    names.reverse();
    format!("/{}", names.join("/"))
}

/// An [`Error::Xml`] located at `node`.
pub(crate) fn xml_error(node: Node, message: impl Into<String>) -> Error {
    Error::Xml(Box::new(XmlError { path: path(node), message: message.into() }))
}

/// Parses the text of `node` with `parse`, or fails naming the path and the bad value.
pub(crate) fn parse_text<T>(node: Node, what: &str, parse: impl FnOnce(&str) -> Option<T>) -> Result<T> {
    let raw = text(node);
    parse(raw).ok_or_else(|| xml_error(node, format!("invalid {what} {raw:?}")))
}

/// Reads an `xs:boolean`.
pub(crate) fn boolean(node: Node) -> Result<bool> {
    parse_text(node, "boolean", |s| match s {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    })
}

/// Reads an `xs:dateTime` (with an offset or `Z`; a zone-less value is taken as UTC).
pub(crate) fn date_time(node: Node) -> Result<chrono::DateTime<chrono::Utc>> {
    parse_text(node, "dateTime", crate::types::time::parse_date_time)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_keeps_carriage_returns_and_escapes_markup() {
        let mut w = Writer::new();
        w.text_element("Subject", &[], "a\r\nb <&> \"'\tc\r");
        let xml = String::from_utf8(w.into_bytes()).expect("utf-8");
        let doc = roxmltree::Document::parse(&xml).expect("well-formed");
        assert_eq!(doc.root_element().text(), Some("a\r\nb <&> \"'\tc\r"), "{xml}");
    }
}
