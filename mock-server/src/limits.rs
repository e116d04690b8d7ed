//! Limits on what one client may send: sizes, XML shape, time and connections.
//!
//! Each limit has a default fit for CI (see README "Limits and guarantees"), a builder method on
//! `MockEwsBuilder` and `Server`, and a flag on the binary. Going over a limit gets a clear
//! answer (a SOAP fault or an HTTP status) and never harms the process or other clients.
//!
//! The XML shape (depth, attributes per element) is checked on the raw bytes before roxmltree
//! parses them: roxmltree's parser recurses once per nesting level, so 100,000 levels would
//! overflow the stack. After the check, neither it nor our code that reads the request — nor a
//! client that reads our echo of it — meets a document deeper than `max_xml_depth`.

use std::time::Duration;

use crate::fault::Fault;

/// The configurable limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limits {
    /// Largest request body accepted, in bytes (413 with a fault above it).
    pub(crate) max_body_bytes: usize,
    /// Deepest element nesting accepted (ErrorSchemaValidation above it); at most
    /// [`MAX_XML_DEPTH_CAP`].
    pub(crate) max_xml_depth: usize,
    /// Most XML nodes (elements, text, comments, …) one request may have.
    pub(crate) max_xml_nodes: u32,
    /// Most attributes on one element, namespace declarations included.
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

/// The highest depth limit that may be configured: roxmltree's parser recurses once per level
/// (about 2 KiB of stack per level in a debug build), and this many levels fit with room to
/// spare in [`SERVER_STACK_BYTES`].
pub(crate) const MAX_XML_DEPTH_CAP: usize = 1024;

/// The stack size of every thread that serves requests (the in-process mock's thread, the
/// binary's runtime workers). Run `Server` on a runtime whose threads have at least this much.
pub const SERVER_STACK_BYTES: usize = 8 << 20;

/// hyper refuses a read buffer smaller than this, so the head limit cannot go below it.
pub(crate) const MIN_HEADER_BYTES: usize = 8192;

/// Checks nesting depth and attributes per start tag on the raw text, before roxmltree sees
/// it (roxmltree's parser recurses once per nesting level, so it must never see a document
/// deeper than the limit). One pass over the bytes, no allocation.
///
/// Comments, CDATA sections and processing instructions are skipped as XML defines them, and
/// quoted attribute values may hold `>` and `/`. Malformed input is left to roxmltree: this scan
/// only ever counts every start tag roxmltree could descend into.
pub(crate) fn check_shape(xml: &[u8], limits: &Limits) -> Result<(), Fault> {
    let mut depth = 0usize;
    let mut i = 0usize;
    // memchr jumps over text and quoted values: this scan runs on every request.
    while let Some(found) = memchr::memchr(b'<', &xml[i..]) {
        let start = i + found;
        let rest = &xml[start..];
        let skip_to = |from: usize, end: &[u8]| -> Option<usize> {
            memchr::memmem::find(&xml[from..], end).map(|p| from + p + end.len())
        };
        let next = if rest.starts_with(b"<!--") {
            skip_to(start + 4, b"-->")
        } else if rest.starts_with(b"<![CDATA[") {
            skip_to(start + 9, b"]]>")
        } else if rest.starts_with(b"<?") {
            skip_to(start + 2, b"?>")
        } else if rest.starts_with(b"</") {
            depth = depth.saturating_sub(1);
            skip_to(start + 2, b">")
        } else if rest.starts_with(b"<!") {
            // A DTD: refused by the parser before any element is read.
            Some(start + 2)
        } else {
            let Some((end, attributes)) = start_tag(xml, start + 1) else { return Ok(()) };
            if attributes > limits.max_xml_attributes {
                return Err(violation(
                    xml,
                    start,
                    format!(
                        "An element has {attributes} attributes, more than the limit of {} (ews-mock --max-xml-attributes).",
                        limits.max_xml_attributes
                    ),
                ));
            }
            let level = depth + 1;
            if level > limits.max_xml_depth.min(MAX_XML_DEPTH_CAP) {
                return Err(violation(
                    xml,
                    start,
                    format!(
                        "The request is too deeply nested: an element at depth {level} is deeper than the limit of {} (ews-mock --max-xml-depth).",
                        limits.max_xml_depth.min(MAX_XML_DEPTH_CAP)
                    ),
                ));
            }
            if xml[end - 1] != b'/' {
                depth = level;
            }
            Some(end + 1)
        };
        match next {
            Some(n) => i = n,
            None => return Ok(()),
        }
    }
    Ok(())
}

/// Scans a start tag from just after its `<`: the index of its closing `>` and how many quoted
/// values (attributes, namespace declarations included) it holds; `None` if it never ends.
fn start_tag(xml: &[u8], from: usize) -> Option<(usize, usize)> {
    let mut attributes = 0usize;
    let mut at = from;
    loop {
        let found = at + memchr::memchr3(b'"', b'\'', b'>', &xml[at..])?;
        match xml[found] {
            b'>' => return Some((found, attributes)),
            quote => {
                // A quoted value may hold `>`: jump to its closing quote.
                at = found + 1 + memchr::memchr(quote, &xml[found + 1..])? + 1;
                attributes += 1;
            }
        }
    }
}

/// A schema-validation fault at byte `offset`, positioned as .NET counts (from 1).
fn violation(xml: &[u8], offset: usize, text: String) -> Fault {
    let before = &xml[..offset];
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let col = before.iter().rev().take_while(|b| **b != b'\n').count() + 1;
    let (line, col) = (u32::try_from(line).unwrap_or(u32::MAX), u32::try_from(col).unwrap_or(u32::MAX));
    Fault::schema(line, col, format!("{text} Line {line}, position {col}."))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(xml: &str, limits: &Limits) -> Result<(), Fault> {
        check_shape(xml.as_bytes(), limits)
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
        let limits = Limits { max_xml_depth: 3, ..Limits::default() };
        assert!(check("<a><b/><b/><b><c/></b><b><c/></b></a>", &limits).is_ok());
        assert!(check("<a><b/><b><c/></b><b><c><d/></c></b></a>", &limits).is_err());
    }

    #[test]
    fn comments_cdata_instructions_and_quoted_values_do_not_count_as_tags() {
        let limits = Limits { max_xml_depth: 2, ..Limits::default() };
        let xml =
            "<?xml version='1.0'?><a x='<b>' y=\"/>\"><!-- <b><b><b> --><![CDATA[<b><b><b>]]><?pi <b><b>?><b/></a>";
        assert!(check(xml, &limits).is_ok());
        assert!(check("<a><b><c></c></b></a>", &limits).is_err());
    }

    #[test]
    fn too_many_attributes_on_one_element_fail() {
        let limits = Limits { max_xml_attributes: 2, ..Limits::default() };
        assert!(check("<a x='1' y='2'><b z='3'/></a>", &limits).is_ok());
        let err = check("<a x='1' y='2' z='3'/>", &limits).expect_err("too many");
        assert!(format!("{err:?}").contains("--max-xml-attributes"), "{err:?}");
    }
}
