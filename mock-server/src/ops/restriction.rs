//! `m:Restriction` and `m:SortOrder` of FindItem: reading the search expression tree and
//! evaluating it against stored items.
//!
//! - Comparisons (IsEqualTo, IsNotEqualTo, IsGreaterThan(OrEqualTo), IsLessThan(OrEqualTo)) read
//!   the constant as the property's type; a constant that does not parse is a per-message
//!   ErrorInvalidValueForProperty. The right operand may also be another property.
//! - String comparisons ignore case, as Exchange's store compares strings.
//! - Contains: ContainmentMode FullString (the default), Prefixed, Substring, PrefixOnWords,
//!   ExactPhrase (read as Substring); ContainmentComparison with "IgnoreCase" in its name ignores
//!   case, the others compare exactly (Exact is the default). Loose and non-spacing-character
//!   variants are not modelled beyond that.
//! - Exists, Excludes (a bitmask over integer properties), Not, And, Or. Near is refused with
//!   ErrorUnsupportedQueryFilter.
//! - A valid FieldURI the mock does not model is a property no item has: comparisons and
//!   Contains are false, Exists is false (and `Not` of them true).
//!
//! See <https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/restriction>.

use std::cmp::Ordering;

use roxmltree::Node;

use crate::fault::Fault;
use crate::item::fields::{self, Path, Value, ValueKind};
use crate::item::Item;
use crate::ns;
use crate::response::MessageError;
use crate::response_code::ResponseCode;
use crate::xml::read::{self, elements, is, missing_attribute};

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Compare {
    /// `IsEqualTo`.
    Eq,
    /// `IsNotEqualTo`.
    Ne,
    /// `IsGreaterThan`.
    Gt,
    /// `IsGreaterThanOrEqualTo`.
    Ge,
    /// `IsLessThan`.
    Lt,
    /// `IsLessThanOrEqualTo`.
    Le,
}

/// The right operand of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Operand {
    /// A constant, already read as the left property's type.
    Constant(Value),
    /// Another property.
    Field(Path),
}

/// A search expression.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Restriction {
    /// A comparison of a property with a constant or another property.
    Compare(Compare, Path, Operand),
    /// `Contains`.
    Contains {
        /// The property.
        path: Path,
        /// The constant.
        value: String,
        /// `ContainmentMode`.
        mode: &'static str,
        /// Whether case is ignored.
        ignore_case: bool,
    },
    /// `Exists`.
    Exists(Path),
    /// `Excludes`: true when none of the bitmask's bits is set.
    Excludes(Path, u64),
    /// `Not`.
    Not(Box<Restriction>),
    /// `And`.
    And(Vec<Restriction>),
    /// `Or`.
    Or(Vec<Restriction>),
}

const EXPRESSIONS: [&str; 12] = [
    "Exists",
    "Excludes",
    "IsEqualTo",
    "IsNotEqualTo",
    "IsGreaterThan",
    "IsGreaterThanOrEqualTo",
    "IsLessThan",
    "IsLessThanOrEqualTo",
    "Contains",
    "Not",
    "And",
    "Or",
];
const MODES: [&str; 5] = ["FullString", "Prefixed", "Substring", "PrefixOnWords", "ExactPhrase"];
const COMPARISONS: [&str; 8] = [
    "Exact",
    "IgnoreCase",
    "IgnoreNonSpacingCharacters",
    "Loose",
    "IgnoreCaseAndNonSpacingCharacters",
    "LooseAndIgnoreCase",
    "LooseAndIgnoreNonSpace",
    "LooseAndIgnoreCaseAndIgnoreNonSpace",
];

/// A restriction that is schema-valid but cannot run: a per-message error.
pub(crate) type Parsed = Result<Restriction, MessageError>;

/// Reads `m:Restriction` (exactly one search expression).
pub(crate) fn parse(node: Node) -> Result<Parsed, Fault> {
    let mut children = elements(node);
    let first = children.next().ok_or_else(|| read::missing_child(node, "SearchExpression", ns::TYPES))?;
    if let Some(extra) = children.next() {
        return Err(read::invalid_child(node, extra, &[], ns::TYPES));
    }
    expression(node, first, 1)
}

/// How deeply search expressions may nest. The request's XML depth is bounded already (see
/// `limits`); this bound keeps the recursion here, and in matching and dropping the parsed
/// restriction, shallow whatever that limit is set to.
const MAX_EXPRESSION_DEPTH: usize = 64;

fn expression(parent: Node, node: Node, depth: usize) -> Result<Parsed, Fault> {
    if depth > MAX_EXPRESSION_DEPTH {
        return Err(read::schema_error(
            node,
            format!("The restriction nests search expressions deeper than {MAX_EXPRESSION_DEPTH} levels."),
        ));
    }
    let name = node.tag_name().name();
    if node.tag_name().namespace() != Some(ns::TYPES) || !(EXPRESSIONS.contains(&name) || name == "Near") {
        return Err(read::invalid_child(parent, node, &EXPRESSIONS, ns::TYPES));
    }
    let kids: Vec<Node> = elements(node).collect();
    let path_at = |i: usize| -> Result<Path, Fault> {
        let child = kids.get(i).copied().ok_or_else(|| read::missing_child(node, "Path", ns::TYPES))?;
        fields::parse_path(child)
    };
    let op = match name {
        "IsEqualTo" => Some(Compare::Eq),
        "IsNotEqualTo" => Some(Compare::Ne),
        "IsGreaterThan" => Some(Compare::Gt),
        "IsGreaterThanOrEqualTo" => Some(Compare::Ge),
        "IsLessThan" => Some(Compare::Lt),
        "IsLessThanOrEqualTo" => Some(Compare::Le),
        _ => None,
    };
    if let Some(op) = op {
        let path = path_at(0)?;
        let holder = kids.get(1).copied().filter(|k| is(*k, ns::TYPES, "FieldURIOrConstant"));
        let holder = holder.ok_or_else(|| read::missing_child(node, "FieldURIOrConstant", ns::TYPES))?;
        let inner = elements(holder).next().ok_or_else(|| read::missing_child(holder, "Path, Constant", ns::TYPES))?;
        if is(inner, ns::TYPES, "Constant") {
            let raw = inner.attribute("Value").ok_or_else(|| missing_attribute(inner, "Value"))?;
            return Ok(constant(&path, raw).map(|v| Restriction::Compare(op, path, Operand::Constant(v))));
        }
        let right = fields::parse_path(inner)?;
        return Ok(Ok(Restriction::Compare(op, path, Operand::Field(right))));
    }
    Ok(match name {
        "Exists" => Ok(Restriction::Exists(path_at(0)?)),
        "Excludes" => {
            let path = path_at(0)?;
            let mask = kids.get(1).copied().ok_or_else(|| read::missing_child(node, "Bitmask", ns::TYPES))?;
            let raw = mask.attribute("Value").ok_or_else(|| missing_attribute(mask, "Value"))?;
            let parsed = match raw.strip_prefix("0x").or_else(|| raw.strip_prefix("0X")) {
                Some(hex) => u64::from_str_radix(hex, 16).ok(),
                None => raw.parse().ok(),
            };
            parsed
                .map(|m| Restriction::Excludes(path, m))
                .ok_or_else(|| MessageError::new(ResponseCode::ErrorInvalidExcludesRestriction))
        }
        "Contains" => {
            let path = path_at(0)?;
            let c = kids.get(1).copied().ok_or_else(|| read::missing_child(node, "Constant", ns::TYPES))?;
            let value = c.attribute("Value").ok_or_else(|| missing_attribute(c, "Value"))?.to_string();
            let mode = enum_attribute(node, "ContainmentMode", &MODES, "ContainmentModeType")?.unwrap_or("FullString");
            let comparison = enum_attribute(node, "ContainmentComparison", &COMPARISONS, "ContainmentComparisonType")?;
            let ignore_case = comparison.is_some_and(|c| c.contains("IgnoreCase"));
            Ok(Restriction::Contains { path, value, mode, ignore_case })
        }
        "Not" => {
            let inner =
                kids.first().copied().ok_or_else(|| read::missing_child(node, "SearchExpression", ns::TYPES))?;
            expression(node, inner, depth + 1)?.map(|r| Restriction::Not(Box::new(r)))
        }
        "And" | "Or" => {
            if kids.is_empty() {
                return Err(read::missing_child(node, "SearchExpression", ns::TYPES));
            }
            let mut parts = Vec::with_capacity(kids.len());
            for k in &kids {
                match expression(node, *k, depth + 1)? {
                    Ok(r) => parts.push(r),
                    Err(e) => return Ok(Err(e)),
                }
            }
            Ok(if name == "And" { Restriction::And(parts) } else { Restriction::Or(parts) })
        }
        _ => Err(MessageError::with_text(
            ResponseCode::ErrorUnsupportedQueryFilter,
            "QueryFilter type is not supported. (ews-mock does not evaluate t:Near.)",
        )),
    })
}

fn enum_attribute(node: Node, attr: &str, allowed: &[&'static str], xsd: &str) -> Result<Option<&'static str>, Fault> {
    match node.attribute(attr) {
        None => Ok(None),
        Some(v) => allowed.iter().find(|a| **a == v).copied().map(Some).ok_or_else(|| {
            let xsd = format!("http://schemas.microsoft.com/exchange/services/2006/types:{xsd}");
            read::invalid_attribute(node, attr, v, &xsd, "The Enumeration constraint failed.")
        }),
    }
}

/// Reads a constant as the type of the property it is compared with.
fn constant(path: &Path, raw: &str) -> Result<Value, MessageError> {
    let kind = path.field().and_then(fields::kind).unwrap_or(ValueKind::Str);
    fields::constant(kind, raw).ok_or_else(|| {
        MessageError::with_text(
            ResponseCode::ErrorInvalidValueForProperty,
            format!(
                "The specified value is invalid for property. ('{raw}' for {})",
                path.field().unwrap_or("the property")
            ),
        )
    })
}

fn value(item: &Item, path: &Path) -> Option<Value> {
    path.field().and_then(|uri| fields::value(item, uri))
}

/// Orders two values of the same type; strings ignore case. `None` for values of different types.
pub(crate) fn order(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Str(x), Value::Str(y)) => Some(x.to_lowercase().cmp(&y.to_lowercase())),
        (Value::Time(x), Value::Time(y)) | (Value::Int(x), Value::Int(y)) => Some(x.cmp(y)),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        (Value::Strs(x), Value::Strs(y)) => Some(x.join(";").to_lowercase().cmp(&y.join(";").to_lowercase())),
        _ => None,
    }
}

impl Restriction {
    /// Whether an item matches.
    pub(crate) fn matches(&self, item: &Item) -> bool {
        match self {
            Restriction::Compare(op, path, right) => {
                let Some(left) = value(item, path) else { return false };
                let right = match right {
                    Operand::Constant(v) => Some(v.clone()),
                    Operand::Field(p) => value(item, p),
                };
                let Some(right) = right else { return false };
                // A multi-valued property matches when any of its values does.
                let lefts = match left {
                    Value::Strs(list) => list.into_iter().map(Value::Str).collect(),
                    single => vec![single],
                };
                lefts.iter().any(|l| {
                    order(l, &right).is_some_and(|o| match op {
                        Compare::Eq => o.is_eq(),
                        Compare::Ne => o.is_ne(),
                        Compare::Gt => o.is_gt(),
                        Compare::Ge => o.is_ge(),
                        Compare::Lt => o.is_lt(),
                        Compare::Le => o.is_le(),
                    })
                })
            }
            Restriction::Contains { path, value: needle, mode, ignore_case } => {
                let haystacks = match value(item, path) {
                    Some(Value::Str(s)) => vec![s],
                    Some(Value::Strs(list)) => list,
                    _ => return false,
                };
                let fold = |s: &str| if *ignore_case { s.to_lowercase() } else { s.to_string() };
                let needle = fold(needle);
                haystacks.iter().map(|h| fold(h)).any(|h| match *mode {
                    "FullString" => h == needle,
                    "Prefixed" => h.starts_with(&needle),
                    "PrefixOnWords" => h.split(|c: char| !c.is_alphanumeric()).any(|w| w.starts_with(&needle)),
                    _ => h.contains(&needle),
                })
            }
            Restriction::Exists(path) => value(item, path).is_some(),
            Restriction::Excludes(path, mask) => match value(item, path) {
                Some(Value::Int(v)) => (v as u64) & mask == 0,
                _ => false,
            },
            Restriction::Not(inner) => !inner.matches(item),
            Restriction::And(parts) => parts.iter().all(|r| r.matches(item)),
            Restriction::Or(parts) => parts.iter().any(|r| r.matches(item)),
        }
    }
}

/// One `t:FieldOrder`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FieldOrder {
    /// The property.
    pub(crate) path: Path,
    /// `Order="Descending"`.
    pub(crate) descending: bool,
}

/// Reads `m:SortOrder`.
pub(crate) fn parse_sort_order(node: Node) -> Result<Vec<FieldOrder>, Fault> {
    let mut out = Vec::new();
    for child in elements(node) {
        if !is(child, ns::TYPES, "FieldOrder") {
            return Err(read::invalid_child(node, child, &["FieldOrder"], ns::TYPES));
        }
        let descending = match enum_attribute(child, "Order", &["Ascending", "Descending"], "SortDirectionType")? {
            Some(o) => o == "Descending",
            None => return Err(missing_attribute(child, "Order")),
        };
        let path = elements(child).next().ok_or_else(|| read::missing_child(child, "Path", ns::TYPES))?;
        out.push(FieldOrder { path: fields::parse_path(path)?, descending });
    }
    if out.is_empty() {
        return Err(read::missing_child(node, "FieldOrder", ns::TYPES));
    }
    Ok(out)
}

/// Compares two items by a sort order; items without a value sort first in ascending order.
pub(crate) fn compare(orders: &[FieldOrder], a: &Item, b: &Item) -> Ordering {
    for o in orders {
        let ord = match (value(a, &o.path), value(b, &o.path)) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Less,
            (Some(_), None) => Ordering::Greater,
            (Some(x), Some(y)) => order(&x, &y).unwrap_or(Ordering::Equal),
        };
        let ord = if o.descending { ord.reverse() } else { ord };
        if ord.is_ne() {
            return ord;
        }
    }
    Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_xml(inner: &str) -> Result<Parsed, Fault> {
        let xml = format!("<m:Restriction xmlns:m='{}' xmlns:t='{}'>{inner}</m:Restriction>", ns::MESSAGES, ns::TYPES);
        let doc = roxmltree::Document::parse(&xml).expect("well-formed test input");
        parse(doc.root_element())
    }

    #[test]
    fn a_date_constant_is_read_as_a_date() {
        let r = parse_xml(
            "<t:IsLessThan><t:FieldURI FieldURI='calendar:Start'/>\
             <t:FieldURIOrConstant><t:Constant Value='2026-01-05T09:00:00Z'/></t:FieldURIOrConstant></t:IsLessThan>",
        )
        .expect("valid")
        .expect("runs");
        assert!(matches!(r, Restriction::Compare(Compare::Lt, _, Operand::Constant(Value::Time(1_767_603_600)))));
    }

    #[test]
    fn a_bad_date_constant_is_a_per_message_error() {
        let r = parse_xml(
            "<t:IsEqualTo><t:FieldURI FieldURI='calendar:End'/>\
             <t:FieldURIOrConstant><t:Constant Value='soon'/></t:FieldURIOrConstant></t:IsEqualTo>",
        )
        .expect("schema-valid");
        assert_eq!(r.expect_err("bad value").code, ResponseCode::ErrorInvalidValueForProperty);
    }

    #[test]
    fn an_unknown_containment_mode_is_a_schema_fault() {
        let err = parse_xml(
            "<t:Contains ContainmentMode='Everywhere'><t:FieldURI FieldURI='item:Subject'/><t:Constant Value='x'/></t:Contains>",
        )
        .expect_err("enum");
        assert!(err.text.contains("ContainmentModeType"), "{}", err.text);
    }
}
