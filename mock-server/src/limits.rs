//! Limits on what one client may send: sizes, XML shape, time and connections.
//!
//! Each limit has a default fit for CI (see README "Limits and guarantees"), a builder method on
//! `MockEwsBuilder` and `Server`, and a flag on the binary. Going over a limit gets a clear
//! answer (a SOAP fault or an HTTP status) and never harms the process or other clients.
//!
//! The XML shape is checked right after roxmltree has parsed the request (roxmltree itself does
//! not recurse), in one pass over the nodes without allocating, so the code that reads the
//! request — and clients that read our echo of it — never meet a document deeper than
//! `max_xml_depth`.

use std::time::Duration;

use roxmltree::{Document, Node};

use crate::fault::Fault;

/// The configurable limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Limits {
    /// Largest request body accepted, in bytes (413 with a fault above it).
    pub(crate) max_body_bytes: usize,
    /// Deepest element nesting accepted (ErrorSchemaValidation above it).
    pub(crate) max_xml_depth: usize,
    /// Most XML nodes (elements, text, comments, …) one request may have.
    pub(crate) max_xml_nodes: u32,
    /// Most attributes on one element (namespace declarations not counted).
    pub(crate) max_xml_attributes: usize,
    /// Largest request head (request line and headers), in bytes (431 above it).
    pub(crate) max_header_bytes: usize,
    /// How long a client may take to send its request head; also how long an idle kept-alive
    /// connection stays open.
    pub(crate) header_read_timeout: Duration,
    /// How long a client may take to send its request body (408 after it).
    pub(crate) body_read_timeout: Duration,
    /// Most connections served at once; more are answered 503 and closed.
    pub(crate) max_connections: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_body_bytes: 16 << 20,
            max_xml_depth: 128,
            max_xml_nodes: 1_000_000,
            max_xml_attributes: 64,
            max_header_bytes: 64 << 10,
            header_read_timeout: Duration::from_secs(30),
            body_read_timeout: Duration::from_secs(30),
            max_connections: 1024,
        }
    }
}

/// hyper refuses a read buffer smaller than this, so the head limit cannot go below it.
pub(crate) const MIN_HEADER_BYTES: usize = 8192;

/// Checks nesting depth and attributes per element; the fault names the limit that was passed.
///
/// Walks the elements depth first with parent links: no recursion, no allocation.
pub(crate) fn check_shape(doc: &Document, limits: &Limits) -> Result<(), Fault> {
    let mut node = doc.root_element();
    let mut depth = 1usize;
    loop {
        check_element(doc, node, depth, limits)?;
        if let Some(child) = node.first_element_child() {
            node = child;
            depth += 1;
            continue;
        }
        loop {
            if let Some(next) = node.next_sibling_element() {
                node = next;
                break;
            }
            match node.parent_element() {
                Some(parent) if depth > 1 => {
                    node = parent;
                    depth -= 1;
                }
                _ => return Ok(()),
            }
        }
    }
}

fn check_element(doc: &Document, node: Node, depth: usize, limits: &Limits) -> Result<(), Fault> {
    if depth > limits.max_xml_depth {
        return Err(violation(
            doc,
            node,
            format!(
                "The request is too deeply nested: element '{}' is at depth {depth}, deeper than the limit of {} (ews-mock --max-xml-depth).",
                node.tag_name().name(),
                limits.max_xml_depth
            ),
        ));
    }
    // roxmltree keeps namespace declarations apart (and bounds them itself).
    let attributes = node.attributes().len();
    if attributes > limits.max_xml_attributes {
        return Err(violation(
            doc,
            node,
            format!(
                "Element '{}' has {attributes} attributes, more than the limit of {} (ews-mock --max-xml-attributes).",
                node.tag_name().name(),
                limits.max_xml_attributes
            ),
        ));
    }
    Ok(())
}

fn violation(doc: &Document, node: Node, text: String) -> Fault {
    let pos = doc.text_pos_at(node.range().start);
    Fault::schema(pos.row, pos.col, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(xml: &str, limits: &Limits) -> Result<(), Fault> {
        let doc = Document::parse(xml).expect("well-formed");
        check_shape(&doc, limits)
    }

    #[test]
    fn depth_at_the_limit_passes_and_one_more_fails() {
        let limits = Limits { max_xml_depth: 3, ..Limits::default() };
        assert!(check("<a><b><c/></b></a>", &limits).is_ok());
        let err = check("<a><b><c><d/></c></b></a>", &limits).expect_err("too deep");
        assert!(format!("{err:?}").contains("--max-xml-depth"), "{err:?}");
    }

    #[test]
    fn siblings_do_not_add_up_to_depth() {
        let limits = Limits { max_xml_depth: 2, ..Limits::default() };
        assert!(check("<a><b/><b/><b><c/></b></a>", &limits).is_ok());
    }

    #[test]
    fn too_many_attributes_on_one_element_fail() {
        let limits = Limits { max_xml_attributes: 2, ..Limits::default() };
        assert!(check("<a x='1' y='2'><b z='3'/></a>", &limits).is_ok());
        let err = check("<a x='1' y='2' z='3'/>", &limits).expect_err("too many");
        assert!(format!("{err:?}").contains("--max-xml-attributes"), "{err:?}");
    }
}
