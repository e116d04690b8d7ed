//! Validation against Microsoft's EWS schema, read from the folder named by `EWS_XSD_DIR`.
//!
//! The schema is not ours to ship: users take `messages.xsd` and `types.xsd` from their own
//! Exchange server (`/EWS/messages.xsd`, `/EWS/types.xsd`), and CI points `EWS_XSD_DIR` at
//! `../shared/protocol/xsd/exo-2018-smartlet`. The validator is libxml2 through python3's `lxml`
//! (a well-kept validator rather than one of ours), run once for a whole batch of documents.
//!
//! Like `shared/protocol/tools/validate_ews_xml.py`, each SOAP header part and the body element
//! are validated on their own (the envelope itself is not in the EWS schema); either SOAP
//! namespace is accepted, so the https:// mistake is judged by the golden, not here. A SOAP
//! `Fault` is not an EWS schema document: it is checked for Exchange's fault shape instead
//! (`faultcode`, `faultstring`, and for EWS codes `detail/e:ResponseCode` and `e:Message`).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The validator: reads NUL-separated file paths on stdin, prints one line per file:
/// `OK`, `INVALID <reason>` or `NOT-WELLFORMED <reason>`, tab-separated after the path.
const VALIDATOR: &str = r#"
import sys, os
from lxml import etree
xsd_dir = os.path.abspath(sys.argv[1])
stub = os.path.abspath(sys.argv[2])
wrapper = f'''<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:wrapper">
<xs:import namespace="http://www.w3.org/XML/1998/namespace" schemaLocation="file://{stub}"/>
<xs:import namespace="http://schemas.microsoft.com/exchange/services/2006/messages" schemaLocation="file://{xsd_dir}/messages.xsd"/>
</xs:schema>'''
schema = etree.XMLSchema(etree.fromstring(wrapper.encode(), base_url=f'file://{xsd_dir}/'))
for path in sys.stdin.read().split('\0'):
    if not path:
        continue
    try:
        root = etree.parse(path, etree.XMLParser(resolve_entities=False, no_network=True)).getroot()
    except Exception as e:
        print(f"{path}\tNOT-WELLFORMED {e}"); continue
    parts = []
    if etree.QName(root).localname == 'Envelope':
        for sect in root:
            if isinstance(sect.tag, str) and etree.QName(sect).localname in ('Header', 'Body'):
                parts.extend(c for c in sect if isinstance(c.tag, str))
    else:
        parts.append(root)
    errors = []
    for el in parts:
        if etree.QName(el).localname == 'Fault':
            continue
        copy = etree.fromstring(etree.tostring(el))
        if not schema.validate(copy):
            errors.append(f"{etree.QName(el).localname}: {schema.error_log.last_error.message}")
    print(f"{path}\t" + ("OK" if not errors else "INVALID " + " | ".join(errors)).replace('\n', ' '))
"#;

/// `xml:` namespace stub: types.xsd imports it without a schemaLocation.
const XML_NS_STUB: &str = r#"<?xml version="1.0"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="http://www.w3.org/XML/1998/namespace">
  <xs:attribute name="lang" type="xs:language"/>
  <xs:attribute name="space"><xs:simpleType><xs:restriction base="xs:NCName"><xs:enumeration value="default"/><xs:enumeration value="preserve"/></xs:restriction></xs:simpleType></xs:attribute>
  <xs:attribute name="base" type="xs:anyURI"/>
  <xs:attribute name="id" type="xs:ID"/>
</xs:schema>
"#;

/// The schema verdict on one document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every header part and the body element validate (faults: shape only).
    Valid,
    /// The reason, as libxml2 words it.
    Invalid(String),
    /// Not XML at all.
    NotWellFormed(String),
}

/// The schema folder from `EWS_XSD_DIR`, if set and holding `messages.xsd`.
pub fn xsd_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(std::env::var_os("EWS_XSD_DIR")?);
    dir.join("messages.xsd").is_file().then_some(dir)
}

/// Validates files against the schema in `xsd_dir`; one verdict per file, in order.
pub fn validate_files(xsd_dir: &Path, files: &[PathBuf]) -> Result<Vec<Verdict>, String> {
    let scratch = std::env::temp_dir().join(format!("ews-conformance-xsd-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).map_err(|e| format!("{}: {e}", scratch.display()))?;
    let stub = scratch.join("xml-namespace-stub.xsd");
    std::fs::write(&stub, XML_NS_STUB).map_err(|e| format!("{}: {e}", stub.display()))?;
    // EWS_PYTHON names an interpreter with lxml (ci/test.sh points it at the interop venv).
    let python = std::env::var_os("EWS_PYTHON").unwrap_or_else(|| "python3".into());
    let mut child = Command::new(python)
        .arg("-c")
        .arg(VALIDATOR)
        .arg(xsd_dir)
        .arg(&stub)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("running python3 (needed, with lxml, for the schema check): {e}"))?;
    let mut input = Vec::new();
    for f in files {
        input.extend_from_slice(f.to_string_lossy().as_bytes());
        input.push(0);
    }
    child.stdin.take().expect("stdin was piped").write_all(&input).map_err(|e| e.to_string())?;
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!("the lxml validator failed: {}", String::from_utf8_lossy(&out.stderr)));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() != files.len() {
        return Err(format!("the validator answered {} lines for {} files:\n{text}", lines.len(), files.len()));
    }
    let verdicts = lines
        .iter()
        .zip(files)
        .map(|(line, file)| {
            let verdict = line.split_once('\t').map_or(*line, |(_, v)| v);
            if verdict == "OK" {
                fault_shape(file)
            } else if let Some(r) = verdict.strip_prefix("INVALID ") {
                Verdict::Invalid(r.to_string())
            } else {
                Verdict::NotWellFormed(verdict.trim_start_matches("NOT-WELLFORMED ").to_string())
            }
        })
        .collect();
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(verdicts)
}

/// Checks a SOAP fault for Exchange's shape (protocol.md §3.1); other documents pass.
fn fault_shape(file: &Path) -> Verdict {
    let Ok(text) = std::fs::read_to_string(file) else {
        return Verdict::Valid;
    };
    match check_fault_shape(&text) {
        Ok(()) => Verdict::Valid,
        Err(why) => Verdict::Invalid(why),
    }
}

/// Exchange's fault shape: `s:Fault` with unqualified `faultcode` and `faultstring`; an EWS code
/// (`a:ErrorXxx`, `a` bound to the types namespace) also needs `detail/e:ResponseCode` equal to it
/// and `e:Message`.
pub fn check_fault_shape(xml: &str) -> Result<(), String> {
    const TYPES: &str = "http://schemas.microsoft.com/exchange/services/2006/types";
    const ERRORS: &str = "http://schemas.microsoft.com/exchange/services/2006/errors";
    let doc = roxmltree::Document::parse(xml).map_err(|e| e.to_string())?;
    let Some(fault) = doc.descendants().find(|n| n.has_tag_name("Fault")) else {
        return Ok(());
    };
    fn child<'a, 'i>(parent: roxmltree::Node<'a, 'i>, ns: Option<&str>, name: &str) -> Option<roxmltree::Node<'a, 'i>> {
        parent.children().find(|c| c.is_element() && c.tag_name().name() == name && c.tag_name().namespace() == ns)
    }
    let code = child(fault, None, "faultcode").ok_or("Fault without an unqualified faultcode")?;
    child(fault, None, "faultstring").ok_or("Fault without an unqualified faultstring")?;
    let text = code.text().unwrap_or("").trim();
    let Some((prefix, local)) = text.split_once(':') else {
        return Err(format!("faultcode {text:?} is not a QName"));
    };
    if code.lookup_namespace_uri(Some(prefix)) != Some(TYPES) {
        return Ok(()); // s:VersionMismatch, s:Client …: SOAP-level codes carry no EWS detail.
    }
    let detail = child(fault, None, "detail").ok_or("EWS fault without detail")?;
    let rc = child(detail, Some(ERRORS), "ResponseCode").ok_or("detail without e:ResponseCode")?;
    if rc.text().unwrap_or("").trim() != local {
        return Err(format!("e:ResponseCode {:?} differs from faultcode {local}", rc.text()));
    }
    child(detail, Some(ERRORS), "Message").ok_or("detail without e:Message")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fault_needs_a_matching_response_code_in_its_detail() {
        let good = r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault><faultcode xmlns:a="http://schemas.microsoft.com/exchange/services/2006/types">a:ErrorServerBusy</faultcode><faultstring>x</faultstring><detail><e:ResponseCode xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">ErrorServerBusy</e:ResponseCode><e:Message xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">x</e:Message></detail></s:Fault></s:Body></s:Envelope>"#;
        assert_eq!(check_fault_shape(good), Ok(()));
        let wrong = good.replacen(">ErrorServerBusy</e:", ">ErrorAccessDenied</e:", 1);
        assert!(check_fault_shape(&wrong).is_err());
        let no_detail = r#"<s:Fault xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><faultcode xmlns:a="http://schemas.microsoft.com/exchange/services/2006/types">a:ErrorX</faultcode><faultstring/></s:Fault>"#;
        assert!(check_fault_shape(no_detail).is_err());
    }
}
