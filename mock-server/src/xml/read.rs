//! roxmltree helpers for reading requests; every error is an ErrorSchemaValidation fault that
//! names the element and its line and column, worded as .NET's schema validator words it.

use chrono::{DateTime, NaiveDateTime, Utc};
use roxmltree::Node;

use crate::fault::Fault;
use crate::ns;

/// 1-based line and column of a node's start.
pub(crate) fn position(node: Node) -> (u32, u32) {
    let p = node.document().text_pos_at(node.range().start);
    (p.row, p.col)
}

/// An ErrorSchemaValidation fault positioned at `node`.
pub(crate) fn schema_error(node: Node, violation: impl Into<String>) -> Fault {
    let (line, col) = position(node);
    Fault::schema(line, col, violation)
}

/// Whether `node` is the element `{uri}local`.
pub(crate) fn is(node: Node, uri: &str, local: &str) -> bool {
    node.is_element() && node.tag_name().name() == local && node.tag_name().namespace() == Some(uri)
}

/// The element children of `node`.
pub(crate) fn elements<'a, 'i>(node: Node<'a, 'i>) -> impl Iterator<Item = Node<'a, 'i>> {
    node.children().filter(Node::is_element)
}

/// `'{uri}:{local}'`-style qualified name for messages.
pub(crate) fn qname(node: Node) -> String {
    let local = node.tag_name().name();
    match node.tag_name().namespace() {
        Some(uri) => format!("'{local}' in namespace '{uri}'"),
        None => format!("'{local}'"),
    }
}

/// A hint appended to violations when an element's namespace is a known near miss.
pub(crate) fn namespace_hint(node: Node) -> String {
    match node.tag_name().namespace().and_then(ns::near_miss) {
        Some(right) => format!(
            " The namespace must be '{right}': Microsoft's documentation prints 'https://' in EWS namespaces by mistake."
        ),
        None => String::new(),
    }
}

/// The .NET message for an unexpected child element.
pub(crate) fn invalid_child(parent: Node, child: Node, expected: &[&str], expected_ns: &str) -> Fault {
    let list = if expected.is_empty() {
        String::new()
    } else {
        format!(" List of possible elements expected: '{}' in namespace '{expected_ns}'.", expected.join(", "))
    };
    schema_error(
        child,
        format!(
            "The element {} has invalid child element {}.{list}{}",
            qname(parent),
            qname(child),
            namespace_hint(child)
        ),
    )
}

/// The .NET message for a value that does not fit its type.
pub(crate) fn invalid_value(node: Node, value: &str, datatype: &str, detail: &str) -> Fault {
    let what = match node.tag_name().namespace() {
        Some(uri) => format!("'{uri}:{}' element", node.tag_name().name()),
        None => format!("'{}' element", node.tag_name().name()),
    };
    schema_error(
        node,
        format!(
            "The {what} is invalid - The value '{value}' is invalid according to its datatype '{datatype}' - {detail}"
        ),
    )
}

/// The .NET message for an attribute value that does not fit its type.
pub(crate) fn invalid_attribute(node: Node, attr: &str, value: &str, datatype: &str, detail: &str) -> Fault {
    schema_error(
        node,
        format!("The '{attr}' attribute is invalid - The value '{value}' is invalid according to its datatype '{datatype}' - {detail}"),
    )
}

/// The .NET message for a missing required attribute.
pub(crate) fn missing_attribute(node: Node, attr: &str) -> Fault {
    schema_error(node, format!("The required attribute '{attr}' is missing."))
}

/// The .NET message for a missing required child element.
pub(crate) fn missing_child(parent: Node, expected: &str, expected_ns: &str) -> Fault {
    schema_error(
        parent,
        format!(
            "The element {} has incomplete content. List of possible elements expected: '{expected}' in namespace '{expected_ns}'.",
            qname(parent)
        ),
    )
}

/// The text content of a leaf element ("" when empty).
pub(crate) fn text<'a>(node: Node<'a, '_>) -> &'a str {
    node.text().unwrap_or("")
}

/// Parses an `xs:dateTime`. A value without an offset is taken as UTC.
///
/// Exchange reads offset-less values in the request's TimeZoneContext; the mock does not carry
/// the Windows time-zone database, so it takes them as UTC. Every client we know sends offsets.
pub(crate) fn date_time(node: Node) -> Result<DateTime<Utc>, Fault> {
    let raw = text(node);
    let value = raw.trim();
    let parsed = DateTime::parse_from_rfc3339(value)
        .map(|d| d.with_timezone(&Utc))
        .ok()
        .or_else(|| NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S%.f").ok().map(|n| n.and_utc()));
    parsed.ok_or_else(|| {
        invalid_value(
            node,
            raw,
            "http://www.w3.org/2001/XMLSchema:dateTime",
            &format!("The string '{raw}' is not a valid XsdDateTime value."),
        )
    })
}

/// Parses an `xs:boolean` (`true`, `false`, `1`, `0`).
pub(crate) fn boolean(node: Node) -> Result<bool, Fault> {
    match text(node).trim() {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        other => Err(invalid_value(
            node,
            other,
            "http://www.w3.org/2001/XMLSchema:boolean",
            &format!("The string '{other}' is not a valid Boolean value."),
        )),
    }
}

/// Parses an `xs:int`.
pub(crate) fn int(node: Node) -> Result<i32, Fault> {
    let raw = text(node).trim();
    raw.parse().map_err(|_| {
        invalid_value(
            node,
            raw,
            "http://www.w3.org/2001/XMLSchema:int",
            &format!("The string '{raw}' is not a valid Int32 value."),
        )
    })
}

/// Parses an optional integer attribute.
pub(crate) fn int_attribute(node: Node, attr: &str) -> Result<Option<i64>, Fault> {
    match node.attribute(attr) {
        None => Ok(None),
        Some(raw) => raw.trim().parse().map(Some).map_err(|_| {
            invalid_attribute(
                node,
                attr,
                raw,
                "http://www.w3.org/2001/XMLSchema:int",
                &format!("The string '{raw}' is not a valid Int32 value."),
            )
        }),
    }
}

/// Reads an enumeration attribute, or gives the schema fault for a value outside it.
pub(crate) fn enum_attribute<T>(
    node: Node,
    attr: &str,
    value: &str,
    parse: fn(&str) -> Option<T>,
    xsd: &str,
) -> Result<T, Fault> {
    parse(value).ok_or_else(|| invalid_attribute(node, attr, value, xsd, "The Enumeration constraint failed."))
}

/// Checks an optional `xs:boolean` attribute.
pub(crate) fn boolean_attribute(node: Node, attr: &str) -> Result<Option<bool>, Fault> {
    match node.attribute(attr) {
        None => Ok(None),
        Some("true" | "1") => Ok(Some(true)),
        Some("false" | "0") => Ok(Some(false)),
        Some(other) => Err(invalid_attribute(
            node,
            attr,
            other,
            "http://www.w3.org/2001/XMLSchema:boolean",
            &format!("The string '{other}' is not a valid Boolean value."),
        )),
    }
}

/// Walks `parent`'s element children, checking that each is one of `order` (in namespace `uri`)
/// and that they come in that order. `repeatable` names may repeat. Yields (name, node) pairs.
pub(crate) fn in_sequence<'a, 'i>(
    parent: Node<'a, 'i>,
    uri: &str,
    order: &[&'static str],
    repeatable: &[&str],
) -> Result<Vec<(&'static str, Node<'a, 'i>)>, Fault> {
    let mut next = 0usize;
    let mut out = Vec::new();
    for child in elements(parent) {
        let name = child.tag_name().name();
        // Only a name at or after `next` is accepted, so the search starts there (the schema's
        // orders are long and this runs for every element of every request).
        let found = if child.tag_name().namespace() == Some(uri) {
            order.get(next..).and_then(|rest| rest.iter().position(|n| *n == name)).map(|i| i + next)
        } else {
            None
        };
        match found {
            Some(i) if i >= next => {
                next = if repeatable.contains(&name) { i } else { i + 1 };
                out.push((order[i], child));
            }
            _ => {
                let expected: Vec<&str> = order[next.min(order.len())..].iter().copied().take(12).collect();
                return Err(invalid_child(parent, child, &expected, uri));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_order_child_names_line_and_expected_elements() {
        let xml = "<a xmlns='urn:x'>\n  <c/>\n  <b/>\n</a>";
        let doc = roxmltree::Document::parse(xml).expect("well-formed");
        let err = in_sequence(doc.root_element(), "urn:x", &["b", "c"], &[]).expect_err("b after c");
        let text = err.text;
        assert!(text.contains("has invalid child element 'b'"), "{text}");
        assert!(matches!(err.message_xml, crate::fault::MessageXml::Schema { line: 3, position: 3, .. }));
    }

    #[test]
    fn date_times_with_offset_fraction_or_none_parse() {
        for (xml, want) in [
            ("<d>2013-09-21T19:00:00.000Z</d>", "2013-09-21T19:00:00Z"),
            ("<d>2013-09-19T14:37:10.732-07:00</d>", "2013-09-19T21:37:10.732Z"),
            ("<d>2026-12-06T15:37:53+00:00</d>", "2026-12-06T15:37:53Z"),
            ("<d>2026-12-06T15:37:53</d>", "2026-12-06T15:37:53Z"),
        ] {
            let doc = roxmltree::Document::parse(xml).expect("well-formed");
            let got = date_time(doc.root_element()).expect("valid");
            assert_eq!(got.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true), want);
        }
    }

    #[test]
    fn invalid_date_is_a_schema_fault_quoting_the_value() {
        let doc = roxmltree::Document::parse("<d>tomorrow</d>").expect("well-formed");
        let err = date_time(doc.root_element()).expect_err("invalid");
        assert!(err.text.contains("'tomorrow' is not a valid XsdDateTime value"), "{}", err.text);
    }
}
