//! proptest strategies: hostile request bodies for the mock, and spelling variants of XML
//! documents for the canonicaliser's invariants.
//!
//! - [`arb_bytes`]: any byte string, biased towards XML-looking noise.
//! - [`arb_mutation`] / [`mutate`]: a fixture request changed by byte flips, truncation,
//!   deletion or duplication of an element, or an attribute changed or dropped.
//! - [`arb_respelling`] / [`respell`]: the same document with other prefixes and attribute order,
//!   which `canon` must not notice.

use proptest::prelude::*;

/// Any byte string up to 2 KiB, half of them built from XML-ish fragments.
pub fn arb_bytes() -> impl Strategy<Value = Vec<u8>> {
    let fragments = prop::sample::select(vec![
        "<",
        ">",
        "/",
        "=",
        "\"",
        "'",
        "&",
        ";",
        "<?xml version=\"1.0\"?>",
        "<!DOCTYPE a [<!ENTITY x \"y\">]>",
        "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\">",
        "<soap:Body>",
        "</soap:Body>",
        "</soap:Envelope>",
        "<m:CreateItem xmlns:m=\"http://schemas.microsoft.com/exchange/services/2006/messages\">",
        "<![CDATA[",
        "]]>",
        "&amp;",
        "&#0;",
        "&#xD800;",
        "\u{feff}",
        "\u{0}",
        "é",
        "\r\n",
    ]);
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..2048),
        prop::collection::vec(fragments, 0..64).prop_map(|v| v.concat().into_bytes()),
    ]
}

/// One way of damaging a request.
#[derive(Debug, Clone)]
pub enum Mutation {
    /// XOR the byte at (index mod len) with a non-zero mask.
    FlipByte(usize, u8),
    /// Keep only the first (n mod len) bytes.
    Truncate(usize),
    /// Delete the n-th element (mod the element count), start tag to end tag.
    DeleteElement(usize),
    /// Insert a copy of the n-th element right after it.
    DuplicateElement(usize),
    /// Set the n-th attribute's value to this text (XML-escaped).
    SetAttribute(usize, String),
    /// Remove the n-th attribute.
    DropAttribute(usize),
    /// Replace the n-th text node's content with this text (XML-escaped).
    SetText(usize, String),
}

/// A small random mutation list (1 to 4 mutations).
pub fn arb_mutation() -> impl Strategy<Value = Vec<Mutation>> {
    let text = prop_oneof![
        Just(String::new()),
        "[ -~]{0,12}",
        Just("x".repeat(300)),
        Just("calendar1".to_string()),
        Just("-1".to_string()),
        Just("Exchange2099".to_string()),
        Just("\u{1F600}<&>\"".to_string()),
    ];
    let one = prop_oneof![
        (any::<usize>(), 1u8..=255).prop_map(|(i, m)| Mutation::FlipByte(i, m)),
        any::<usize>().prop_map(Mutation::Truncate),
        any::<usize>().prop_map(Mutation::DeleteElement),
        any::<usize>().prop_map(Mutation::DuplicateElement),
        (any::<usize>(), text.clone()).prop_map(|(i, t)| Mutation::SetAttribute(i, t)),
        any::<usize>().prop_map(Mutation::DropAttribute),
        (any::<usize>(), text).prop_map(|(i, t)| Mutation::SetText(i, t)),
    ];
    prop::collection::vec(one, 1..=4)
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Applies mutations in order. Structural ones need well-formed XML and do nothing otherwise
/// (an earlier byte flip may have broken it).
pub fn mutate(original: &[u8], mutations: &[Mutation]) -> Vec<u8> {
    let mut bytes = original.to_vec();
    for m in mutations {
        bytes = match m {
            Mutation::FlipByte(i, mask) if !bytes.is_empty() => {
                let n = bytes.len();
                bytes[i % n] ^= mask;
                bytes
            }
            Mutation::Truncate(n) if !bytes.is_empty() => {
                let n = n % bytes.len();
                bytes.truncate(n);
                bytes
            }
            other => structural(&bytes, other).unwrap_or(bytes),
        };
    }
    bytes
}

/// Applies a structural mutation by byte ranges from roxmltree, so the rest stays byte-identical.
fn structural(bytes: &[u8], m: &Mutation) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(bytes).ok()?;
    let doc = roxmltree::Document::parse(text).ok()?;
    let splice = |range: std::ops::Range<usize>, with: &str| {
        let mut s = String::with_capacity(text.len() + with.len());
        s.push_str(&text[..range.start]);
        s.push_str(with);
        s.push_str(&text[range.end..]);
        s.into_bytes()
    };
    let elements: Vec<_> = doc.descendants().filter(|n| n.is_element()).collect();
    let attrs: Vec<_> = elements.iter().flat_map(|e| e.attributes()).collect();
    let texts: Vec<_> = doc.descendants().filter(|n| n.is_text()).collect();
    match m {
        Mutation::DeleteElement(i) => {
            let e = elements.get(i % elements.len())?;
            Some(splice(e.range(), ""))
        }
        Mutation::DuplicateElement(i) => {
            let e = elements.get(i % elements.len())?;
            let copy = &text[e.range()];
            Some(splice(e.range().end..e.range().end, copy))
        }
        Mutation::SetAttribute(i, value) if !attrs.is_empty() => {
            let a = attrs[i % attrs.len()];
            Some(splice(a.range_value(), &escape(value)))
        }
        Mutation::DropAttribute(i) if !attrs.is_empty() => Some(splice(attrs[i % attrs.len()].range(), "")),
        Mutation::SetText(i, value) if !texts.is_empty() => {
            Some(splice(texts[i % texts.len()].range(), &escape(value)))
        }
        _ => None,
    }
}

/// A respelling: which prefix each namespace gets, and a seed for attribute order.
#[derive(Debug, Clone)]
pub struct Respelling {
    /// Prefixes to use, in the order namespaces are met (`None` = default namespace).
    pub prefixes: Vec<Option<String>>,
    /// Rotates each element's attribute list by this much.
    pub rotate: usize,
}

/// Random prefixes (some default-namespace) and a rotation.
pub fn arb_respelling() -> impl Strategy<Value = Respelling> {
    (prop::collection::vec(prop::option::weighted(0.8, "[a-z][a-z0-9]{0,4}"), 8), any::<usize>())
        .prop_map(|(prefixes, rotate)| Respelling { prefixes, rotate })
}

/// Re-serialises a document with other prefixes, every declaration on the element that uses it,
/// attributes rotated, and no formatting whitespace. Same infoset (modulo whitespace), new spelling.
pub fn respell(xml: &str, r: &Respelling) -> Option<String> {
    let doc = roxmltree::Document::parse(xml).ok()?;
    let mut uris: Vec<&str> = Vec::new();
    for n in doc.descendants().filter(|n| n.is_element()) {
        for ns in std::iter::once(n.tag_name().namespace()).chain(n.attributes().map(|a| a.namespace())).flatten() {
            if !uris.contains(&ns) && ns != "http://www.w3.org/XML/1998/namespace" {
                uris.push(ns);
            }
        }
    }
    // Distinct prefixes; attributes cannot use the default namespace, so each URI also gets a
    // named prefix `pN` for attribute use.
    let prefix_of = |uri: &str| -> Option<String> {
        let i = uris.iter().position(|u| *u == uri)?;
        r.prefixes.get(i).cloned().flatten().map(|p| format!("{p}{i}"))
    };
    let mut out = String::new();
    write_el(doc.root_element(), &prefix_of, r.rotate, &mut out);
    Some(out)
}

fn write_el(n: roxmltree::Node, prefix_of: &dyn Fn(&str) -> Option<String>, rotate: usize, out: &mut String) {
    let name = |ns: Option<&str>, local: &str, attr: bool| -> (String, Option<String>) {
        match ns {
            None => (local.to_string(), None),
            Some("http://www.w3.org/XML/1998/namespace") => (format!("xml:{local}"), None),
            Some(uri) => match prefix_of(uri) {
                Some(p) => (format!("{p}:{local}"), Some(format!(" xmlns:{p}=\"{}\"", escape(uri)))),
                None if !attr => (local.to_string(), Some(format!(" xmlns=\"{}\"", escape(uri)))),
                None => (format!("pa:{local}"), Some(format!(" xmlns:pa=\"{}\"", escape(uri)))),
            },
        }
    };
    let (tag, decl) = name(n.tag_name().namespace(), n.tag_name().name(), false);
    out.push('<');
    out.push_str(&tag);
    let mut decls: Vec<String> = decl.into_iter().collect();
    if n.tag_name().namespace().is_none() {
        decls.push(" xmlns=\"\"".to_string());
    }
    let mut attrs: Vec<String> = Vec::new();
    for a in n.attributes() {
        let (an, ad) = name(a.namespace(), a.name(), true);
        if let Some(d) = ad {
            if !decls.contains(&d) {
                decls.push(d);
            }
        }
        attrs.push(format!(
            " {an}=\"{}\"",
            escape(a.value()).replace('\n', "&#10;").replace('\t', "&#9;").replace('\r', "&#13;")
        ));
    }
    // A faultcode's QName text needs its prefix declared here, under the new name.
    if n.tag_name().name() == "faultcode" {
        if let Some((p, _)) = n.text().and_then(|t| t.trim().split_once(':')) {
            if let Some(uri) = n.lookup_namespace_uri(Some(p)) {
                decls.push(format!(" xmlns:{p}=\"{}\"", escape(uri)));
            }
        }
    }
    if !attrs.is_empty() {
        let k = rotate % attrs.len();
        attrs.rotate_left(k);
    }
    for d in decls.iter().chain(&attrs) {
        out.push_str(d);
    }
    out.push('>');
    for c in n.children() {
        if c.is_element() {
            write_el(c, prefix_of, rotate, out);
        } else if let Some(t) = c.text() {
            if !(t.trim().is_empty() && n.children().any(|c| c.is_element())) {
                out.push_str(&escape(t).replace('\r', "&#13;"));
            }
        }
    }
    out.push_str("</");
    out.push_str(&tag);
    out.push('>');
}
