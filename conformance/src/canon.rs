//! XML → canonical pretty XML, so goldens compare meaning rather than bytes.
//!
//! Two EWS documents that differ only in prefix choice, attribute order, namespace declaration
//! placement or indentation canonicalise to the same text. The rules:
//!
//! - **Names** are resolved to their namespace URI and printed with fixed prefixes: `s` (SOAP 1.1
//!   envelope, `http://schemas.xmlsoap.org/soap/envelope/`), `m` (EWS messages), `t` (EWS types),
//!   `e` (EWS errors), `xsi`; any other namespace gets `n1`, `n2`, … in order of first appearance
//!   (so the docs' `https://` SOAP namespace shows up as `n1:Envelope`, visibly wrong). All
//!   declarations go on the root element; unqualified names stay unprefixed. A QName in the text of
//!   `faultcode` (`a:ErrorXxx`) is rewritten with the fixed prefix of its namespace.
//! - **Attributes** are sorted by their printed name (`ChangeKey` < `Id` < `xml:lang`); namespace
//!   declarations are dropped
//!   and re-emitted as above. Values are escaped so the output re-parses to the same values.
//! - **Whitespace**: whitespace-only text between elements is dropped; text in an element without
//!   child elements is kept exactly; text mixed with child elements is trimmed. Comments and
//!   processing instructions are dropped. Indent is two spaces; the output starts with the XML
//!   declaration and ends with a newline.
//! - **Volatile values** (see also `fixtures/README.md`): they change from server to server and
//!   run to run, so they are replaced by numbered placeholders, numbered by first appearance in
//!   the document, so that two equal values in one document still compare equal and two different
//!   ones still differ:
//!   - the `Id` attribute of `ItemId`, `FolderId`, `ParentFolderId`, `ConversationId`,
//!     `AssociatedCalendarItemId`, `RecurringMasterId`, `OccurrenceItemId`, `AlternateId` and any
//!     other element whose local name ends in `ItemId` or `FolderId`, except `DistinguishedFolderId`
//!     (its `Id` is a well-known name such as `calendar`), and the `RootItemId` attribute → `{id:N}`;
//!   - every `ChangeKey` and `RootItemChangeKey` attribute → `{ck:N}`;
//!   - the text of the server-set time stamps in [`TIMESTAMP_ELEMENTS`] → `{time:N}`.
//!
//!   Placeholders are themselves values, so `canon(canon(d)) == canon(d)`.

use std::collections::HashMap;
use std::fmt::Write as _;

use roxmltree::{Document, Node, NodeType};

/// Namespaces with fixed prefixes, in declaration order.
pub const FIXED_PREFIXES: &[(&str, &str)] = &[
    ("s", "http://schemas.xmlsoap.org/soap/envelope/"),
    ("m", "http://schemas.microsoft.com/exchange/services/2006/messages"),
    ("t", "http://schemas.microsoft.com/exchange/services/2006/types"),
    ("e", "http://schemas.microsoft.com/exchange/services/2006/errors"),
    ("xsi", "http://www.w3.org/2001/XMLSchema-instance"),
];

/// The XML namespace (`xml:lang`), which is never declared.
const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

/// Server-set time stamps whose text is replaced by `{time:N}`.
pub const TIMESTAMP_ELEMENTS: &[&str] = &[
    "DateTimeCreated",
    "DateTimeReceived",
    "DateTimeSent",
    "DateTimeStamp",
    "LastModifiedTime",
    "AppointmentReplyTime",
    "OriginalStart",
];

/// Why a document could not be canonicalised.
#[derive(Debug, thiserror::Error)]
#[error("not well-formed XML: {0}")]
pub struct CanonError(#[from] roxmltree::Error);

/// Canonicalises an XML document (see the module docs for the rules).
///
/// ```
/// let a = r#"<a:X xmlns:a="http://schemas.microsoft.com/exchange/services/2006/types" B="2" A="1"/>"#;
/// let b = r#"<X xmlns="http://schemas.microsoft.com/exchange/services/2006/types" A="1"  B="2" ></X>"#;
/// assert_eq!(ews_conformance::canon(a).unwrap(), ews_conformance::canon(b).unwrap());
/// ```
pub fn canon(xml: &str) -> Result<String, CanonError> {
    let options = roxmltree::ParsingOptions { allow_dtd: false, nodes_limit: 10_000_000, ..Default::default() };
    let doc = Document::parse_with_options(xml, options)?;
    let mut c = Canon::default();
    c.collect_namespaces(doc.root_element());
    let mut body = String::new();
    c.element(doc.root_element(), 0, true, &mut body);
    Ok(format!("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n{body}"))
}

/// State of one canonicalisation: prefixes and placeholder numbering.
#[derive(Default)]
struct Canon {
    /// Namespace URI → prefix, for every namespace used by a name.
    prefixes: HashMap<String, String>,
    /// Declarations to print on the root, in order.
    declared: Vec<(String, String)>,
    /// Volatile ids seen so far → their number.
    ids: HashMap<String, usize>,
    /// ChangeKeys seen so far → their number.
    change_keys: HashMap<String, usize>,
    /// Time stamps seen so far → their number.
    times: HashMap<String, usize>,
}

fn number(map: &mut HashMap<String, usize>, value: &str, kind: &str) -> String {
    let next = map.len() + 1;
    let n = *map.entry(value.to_string()).or_insert(next);
    format!("{{{kind}:{n}}}")
}

impl Canon {
    /// Assigns prefixes: fixed ones first (in fixed order), then `nN` by first appearance.
    fn collect_namespaces(&mut self, root: Node) {
        let mut used: Vec<String> = Vec::new();
        let mut note = |ns: Option<&str>| {
            if let Some(ns) = ns {
                if !ns.is_empty() && ns != XML_NS && !used.iter().any(|u| u == ns) {
                    used.push(ns.to_string());
                }
            }
        };
        for node in root.descendants().filter(Node::is_element) {
            note(node.tag_name().namespace());
            for a in node.attributes() {
                note(a.namespace());
            }
            if let Some((ns, _)) = qname_text(node) {
                note(Some(ns));
            }
        }
        for (prefix, uri) in FIXED_PREFIXES {
            if used.iter().any(|u| u == uri) {
                self.prefixes.insert((*uri).to_string(), (*prefix).to_string());
                self.declared.push(((*prefix).to_string(), (*uri).to_string()));
            }
        }
        let mut n = 0;
        for uri in used {
            if !self.prefixes.contains_key(&uri) {
                n += 1;
                let prefix = format!("n{n}");
                self.prefixes.insert(uri.clone(), prefix.clone());
                self.declared.push((prefix, uri));
            }
        }
    }

    fn name(&self, ns: Option<&str>, local: &str) -> String {
        // roxmltree reports `xmlns=""` (no namespace) as the empty URI.
        match ns.filter(|ns| !ns.is_empty()) {
            Some(XML_NS) => format!("xml:{local}"),
            Some(uri) => format!("{}:{local}", self.prefixes.get(uri).map_or("?", String::as_str)),
            None => local.to_string(),
        }
    }

    fn element(&mut self, node: Node, depth: usize, root: bool, out: &mut String) {
        let indent = "  ".repeat(depth);
        let tag = self.name(node.tag_name().namespace(), node.tag_name().name());
        let _ = write!(out, "{indent}<{tag}");
        if root {
            for (prefix, uri) in &self.declared {
                let _ = write!(out, " xmlns:{prefix}=\"{}\"", escape_attr(uri));
            }
        }
        let mut attrs: Vec<(String, String)> = node
            .attributes()
            .map(|a| {
                let name = self.name(a.namespace(), a.name());
                let value = self.attr_value(node, a.name(), a.namespace(), a.value());
                (name, value)
            })
            .collect();
        attrs.sort();
        for (name, value) in &attrs {
            let _ = write!(out, " {name}=\"{}\"", escape_attr(value));
        }
        let has_elements = node.children().any(|c| c.is_element());
        if !has_elements {
            let text: String = node.children().filter(Node::is_text).filter_map(|t| t.text()).collect();
            let text = self.text_value(node, text);
            if text.is_empty() {
                out.push_str("/>\n");
            } else {
                let _ = writeln!(out, ">{}</{tag}>", escape_text(&text));
            }
            return;
        }
        out.push_str(">\n");
        for child in node.children() {
            match child.node_type() {
                NodeType::Element => self.element(child, depth + 1, false, out),
                NodeType::Text => {
                    let text = child.text().unwrap_or("").trim();
                    if !text.is_empty() {
                        let _ = writeln!(out, "{indent}  {}", escape_text(text));
                    }
                }
                _ => {}
            }
        }
        let _ = writeln!(out, "{indent}</{tag}>");
    }

    fn attr_value(&mut self, node: Node, attr: &str, attr_ns: Option<&str>, value: &str) -> String {
        if attr_ns.is_some() {
            return value.to_string();
        }
        let el = node.tag_name().name();
        let id_element = el != "DistinguishedFolderId"
            && (el.ends_with("ItemId")
                || el.ends_with("FolderId")
                || matches!(el, "ConversationId" | "RecurringMasterId" | "AlternateId"));
        match attr {
            "Id" if id_element => number(&mut self.ids, value, "id"),
            "RootItemId" => number(&mut self.ids, value, "id"),
            "ChangeKey" | "RootItemChangeKey" => number(&mut self.change_keys, value, "ck"),
            _ => value.to_string(),
        }
    }

    fn text_value(&mut self, node: Node, text: String) -> String {
        if let Some((ns, local)) = qname_text(node) {
            return format!("{}:{local}", self.prefixes.get(ns).map_or("?", String::as_str));
        }
        if TIMESTAMP_ELEMENTS.contains(&node.tag_name().name()) && !text.trim().is_empty() {
            return number(&mut self.times, text.trim(), "time");
        }
        text
    }
}

/// The namespace and local part of a `faultcode`'s QName text, when its prefix is bound.
fn qname_text<'a>(node: Node<'a, 'a>) -> Option<(&'a str, &'a str)> {
    if node.tag_name().name() != "faultcode" {
        return None;
    }
    let text = node.text()?.trim();
    let (prefix, local) = text.split_once(':')?;
    Some((node.lookup_namespace_uri(Some(prefix))?, local))
}

fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
    out
}

fn escape_attr(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(xml: &str) -> String {
        canon(xml).expect("well-formed")
    }

    #[test]
    fn prefixes_are_fixed_and_declared_on_the_root() {
        let xml = r#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><x:GetItem xmlns:x="http://schemas.microsoft.com/exchange/services/2006/messages"/></soap:Body></soap:Envelope>"#;
        let expected = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:m=\"http://schemas.microsoft.com/exchange/services/2006/messages\">\n  <s:Body>\n    <m:GetItem/>\n  </s:Body>\n</s:Envelope>\n";
        assert_eq!(c(xml), expected);
    }

    #[test]
    fn the_https_soap_namespace_gets_a_generated_prefix() {
        let out = c(r#"<soap:Envelope xmlns:soap="https://schemas.xmlsoap.org/soap/envelope/"/>"#);
        assert!(out.contains("<n1:Envelope xmlns:n1=\"https://schemas.xmlsoap.org/soap/envelope/\"/>"), "{out}");
    }

    #[test]
    fn ids_and_change_keys_are_numbered_by_first_appearance() {
        let xml = r#"<r xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><t:ItemId Id="AAA" ChangeKey="k1"/><t:ItemId Id="BBB" ChangeKey="k2"/><t:ParentFolderId Id="AAA" ChangeKey="k1"/><t:DistinguishedFolderId Id="calendar" ChangeKey="k3"/></r>"#;
        let out = c(xml);
        assert!(out.contains(r#"<t:ItemId ChangeKey="{ck:1}" Id="{id:1}"/>"#), "{out}");
        assert!(out.contains(r#"<t:ItemId ChangeKey="{ck:2}" Id="{id:2}"/>"#), "{out}");
        assert!(out.contains(r#"<t:ParentFolderId ChangeKey="{ck:1}" Id="{id:1}"/>"#), "{out}");
        assert!(out.contains(r#"<t:DistinguishedFolderId ChangeKey="{ck:3}" Id="calendar"/>"#), "{out}");
    }

    #[test]
    fn server_time_stamps_are_numbered_but_client_times_are_kept() {
        let xml = r#"<r><DateTimeCreated>2026-01-05T09:00:00Z</DateTimeCreated><LastModifiedTime>2026-01-05T09:00:00Z</LastModifiedTime><DateTimeSent>2026-01-05T09:01:00Z</DateTimeSent><Start>2026-01-05T10:00:00Z</Start></r>"#;
        let out = c(xml);
        assert!(out.contains("<DateTimeCreated>{time:1}</DateTimeCreated>"), "{out}");
        assert!(out.contains("<LastModifiedTime>{time:1}</LastModifiedTime>"), "{out}");
        assert!(out.contains("<DateTimeSent>{time:2}</DateTimeSent>"), "{out}");
        assert!(out.contains("<Start>2026-01-05T10:00:00Z</Start>"), "{out}");
    }

    #[test]
    fn faultcode_qname_is_rewritten_with_the_fixed_prefix() {
        let xml = r#"<faultcode xmlns:a="http://schemas.microsoft.com/exchange/services/2006/types">a:ErrorServerBusy</faultcode>"#;
        let out = c(xml);
        assert!(out.contains(r#"<faultcode xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types">t:ErrorServerBusy</faultcode>"#), "{out}");
    }

    #[test]
    fn leaf_text_is_kept_exactly_and_special_characters_survive() {
        let xml = "<r><a> x &amp; &lt;y&gt; </a><b attr=\"q&quot;&#10;\">  </b></r>";
        let out = c(xml);
        assert!(out.contains("<a> x &amp; &lt;y&gt; </a>"), "{out}");
        assert!(out.contains("<b attr=\"q&quot;&#10;\">  </b>"), "{out}");
        assert_eq!(c(&out), out);
    }

    #[test]
    fn comments_and_formatting_whitespace_do_not_matter() {
        let a = "<r>\n  <!-- note -->\n  <a>1</a>\n\n</r>";
        let b = "<r><a>1</a></r>";
        assert_eq!(c(a), c(b));
    }

    #[test]
    fn an_undeclared_default_namespace_means_no_namespace() {
        let a = r#"<s:Fault xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns="urn:x"><faultcode xmlns="">a</faultcode></s:Fault>"#;
        let b = r#"<s:Fault xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><faultcode>a</faultcode></s:Fault>"#;
        assert_eq!(c(a), c(b));
    }

    #[test]
    fn malformed_xml_is_an_error() {
        assert!(canon("<a><b></a>").is_err());
    }
}
