//! Malformed-XML diagnostics in the words of .NET's XmlReader, which Exchange puts into
//! ErrorSchemaValidation's `Violation` (e.g. "An error occurred while parsing EntityName. Line 11,
//! position 33.", MSDOCS addimgroup-operation). Positions follow .NET's habit of pointing at the
//! character where reading failed.

use roxmltree::{Error, TextPos};

/// (line, position, violation) for a document roxmltree refused.
pub(crate) fn describe(e: &Error, text: &str, nodes_limit: u32) -> (u32, u32, String) {
    let pos = e.pos();
    let (line, col) = (pos.row, pos.col);
    let at = |l: u32, c: u32| format!("Line {l}, position {c}.");
    let message = match e {
        Error::DtdDetected => format!(
            "For security reasons DTD is prohibited in this XML document. To enable DTD processing set the DtdProcessing property on XmlReaderSettings to Parse and pass the settings into XmlReader.Create method. {}",
            at(line, col)
        ),
        Error::NodesLimitReached | Error::AttributesLimitReached | Error::NamespacesLimitReached => {
            format!("The request is too complex: more than {nodes_limit} XML nodes, attributes or namespaces.")
        }
        Error::MalformedEntityReference(p) => {
            // .NET reads the name after '&' and fails on the first character that ends it.
            let (l, c) = after_name(text, *p);
            return (l, c, format!("An error occurred while parsing EntityName. {}", at(l, c)));
        }
        Error::UnknownEntityReference(name, _) => format!("Reference to undeclared entity '{name}'. {}", at(line, col)),
        Error::UnexpectedCloseTag(expected, actual, _) => format!(
            "The '{expected}' start tag does not match the end tag of '{actual}'. {}",
            at(line, col)
        ),
        Error::NonXmlChar(c, _) => {
            format!("'{}', hexadecimal value 0x{:02X}, is an invalid character. {}", c.escape_default(), u32::from(*c), at(line, col))
        }
        Error::UnknownNamespace(prefix, _) => format!("'{prefix}' is an undeclared prefix. {}", at(line, col)),
        Error::DuplicatedAttribute(name, _) => format!("'{name}' is a duplicate attribute name. {}", at(line, col)),
        Error::UnexpectedEndOfStream | Error::UnclosedRootNode => {
            format!("Unexpected end of file has occurred. {}", at(line, col))
        }
        Error::NoRootNode => format!("Root element is missing. {}", at(line, col)),
        Error::UnknownToken(_) | Error::InvalidChar(..) | Error::InvalidChar2(..) | Error::InvalidString(..)
            if line == 1 && col == 1 =>
        {
            format!("Data at the root level is invalid. {}", at(line, col))
        }
        other => {
            // roxmltree's own wording, with .NET's position suffix instead of its "at L:C".
            let text = other.to_string();
            let text = text.rsplit_once(" at ").map_or(text.as_str(), |(head, _)| head).to_string();
            format!("{}{}. {}", text[..1].to_uppercase(), &text[1..], at(line, col))
        }
    };
    (line, col, message)
}

/// The position just after the entity name that starts at `p` (which points at '&').
fn after_name(text: &str, p: TextPos) -> (u32, u32) {
    let Some(line) = text.lines().nth(p.row.saturating_sub(1) as usize) else { return (p.row, p.col) };
    let start = p.col.saturating_sub(1) as usize;
    let rest: Vec<char> = line.chars().skip(start).collect();
    let name_len =
        rest.iter().skip(1).take_while(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ':' | '#')).count();
    (p.row, p.col + 1 + name_len as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diagnose(xml: &str) -> (u32, u32, String) {
        let e = roxmltree::Document::parse(xml).expect_err("malformed");
        describe(&e, xml, 10)
    }

    #[test]
    fn a_bare_ampersand_reads_as_dotnet_reports_it() {
        let (l, c, m) = diagnose("<a>\n  <b>Q&A session</b></a>");
        assert_eq!((l, c), (2, 9));
        assert_eq!(m, "An error occurred while parsing EntityName. Line 2, position 9.");
    }

    #[test]
    fn text_before_the_root_is_data_at_the_root_level() {
        assert_eq!(diagnose("hello").2, "Data at the root level is invalid. Line 1, position 1.");
    }

    #[test]
    fn mismatched_tags_name_both() {
        let m = diagnose("<a><b></a>").2;
        assert!(m.contains("'b' start tag does not match the end tag of 'a'"), "{m}");
    }
}
