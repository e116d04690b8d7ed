//! Golden files: compare canonical forms, show a unified diff, bless with `UPDATE_GOLDENS=1`.
//!
//! [`compare`] is pure: it canonicalises both sides ([`crate::canon()`]) and returns a [`Mismatch`]
//! whose `Display` is a `similar` unified diff (context 3, headers `<golden path>` / `actual`)
//! naming the case. [`assert_golden`] is the test-facing wrapper: on a mismatch it prints the diff
//! and the help text once, then unwinds without a backtrace (expect-test's way); with
//! `UPDATE_GOLDENS=1` it writes the canonical actual output instead and passes — unless `CI` is
//! set, where writing goldens is refused (insta's `is_ci`). A missing golden fails with the same
//! hint. Blessed files are reviewed as ordinary diffs (`git diff fixtures/`).

use std::fmt;
use std::path::Path;
use std::sync::Once;

use similar::TextDiff;

use crate::canon::canon;

/// Printed once per test binary after the first golden mismatch.
pub const HELP: &str = "accept: `UPDATE_GOLDENS=1 cargo test -p ews-conformance`, then review `git diff fixtures/`";

/// A golden and an actual document that differ after canonicalisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// The case the documents belong to (e.g. `create_item/seed_appointment`).
    pub case: String,
    /// The golden file's path, used as the diff's `---` header.
    pub path: String,
    /// The canonical golden.
    pub golden: String,
    /// The canonical actual document.
    pub actual: String,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "golden mismatch in case `{}`:", self.case)?;
        let diff = TextDiff::from_lines(&self.golden, &self.actual);
        write!(f, "{}", diff.unified_diff().context_radius(3).header(&self.path, "actual"))
    }
}

impl std::error::Error for Mismatch {}

/// Canonicalises a document, or keeps it as raw text with a marker when it is not XML, so the
/// diff still shows what came back.
fn canon_or_raw(xml: &str) -> String {
    match canon(xml) {
        Ok(c) => c,
        Err(e) => format!("<!-- not well-formed XML: {e} -->\n{xml}\n"),
    }
}

/// Compares a golden document with an actual one in canonical form.
///
/// ```
/// use ews_conformance::golden::compare;
/// let golden = r#"<a xmlns="urn:x" y="1" z="2"/>"#;
/// assert!(compare("case", "g.xml", golden, r#"<p:a xmlns:p="urn:x" z="2" y="1"/>"#).is_ok());
/// let err = compare("case", "g.xml", golden, r#"<a xmlns="urn:x" y="1" z="3"/>"#).unwrap_err();
/// assert!(err.to_string().contains("+<n1:a xmlns:n1=\"urn:x\" y=\"1\" z=\"3\"/>"));
/// ```
pub fn compare(case: &str, path: &str, golden: &str, actual: &str) -> Result<(), Mismatch> {
    let golden = canon_or_raw(golden);
    let actual = canon_or_raw(actual);
    if golden == actual {
        Ok(())
    } else {
        Err(Mismatch { case: case.to_string(), path: path.to_string(), golden, actual })
    }
}

/// Whether `UPDATE_GOLDENS` asks for blessing (any value but empty or `0`).
pub fn update_requested() -> bool {
    std::env::var("UPDATE_GOLDENS").is_ok_and(|v| !v.is_empty() && v != "0")
}

/// Whether we run in CI, where goldens are never written.
pub fn is_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false")
}

/// What [`check_golden`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GoldenResult {
    /// The golden matched.
    Matched,
    /// `UPDATE_GOLDENS=1`: the canonical actual output was written.
    Blessed,
}

/// Why a golden check failed.
#[derive(Debug, thiserror::Error)]
pub enum GoldenError {
    /// The documents differ.
    #[error("{0}")]
    Mismatch(Box<Mismatch>),
    /// There is no golden file yet.
    #[error("golden file {path} is missing (case `{case}`)")]
    Missing {
        /// The case.
        case: String,
        /// The expected path.
        path: String,
    },
    /// Blessing was asked for under CI.
    #[error("refusing to write golden {path} because CI is set; bless locally and commit the file")]
    RefusedInCi {
        /// The golden that would have been written.
        path: String,
    },
    /// Reading or writing the file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
}

/// Compares `actual` with the golden at `path`, or blesses it when `UPDATE_GOLDENS` is set.
/// The driver behind [`assert_golden`] and the CLI's `bless`.
pub fn check_golden(case: &str, path: &Path, actual: &str) -> Result<GoldenResult, GoldenError> {
    let shown = path.display().to_string();
    if update_requested() {
        if is_ci() {
            return Err(GoldenError::RefusedInCi { path: shown });
        }
        let golden = std::fs::read_to_string(path).ok();
        let canonical = canon_or_raw(actual);
        if golden.as_deref() != Some(canonical.as_str()) {
            std::fs::write(path, &canonical).map_err(|source| GoldenError::Io { path: shown.clone(), source })?;
            eprintln!("blessed: {shown}");
        }
        return Ok(GoldenResult::Blessed);
    }
    let golden = match std::fs::read_to_string(path) {
        Ok(g) => g,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(GoldenError::Missing { case: case.to_string(), path: shown })
        }
        Err(source) => return Err(GoldenError::Io { path: shown, source }),
    };
    compare(case, &shown, &golden, actual).map_err(|m| GoldenError::Mismatch(Box::new(m)))?;
    Ok(GoldenResult::Matched)
}

static HELP_ONCE: Once = Once::new();

/// Prints the help line the first time it is called in this process.
pub fn print_help_once() {
    HELP_ONCE.call_once(|| eprintln!("{HELP}"));
}

/// Asserts that `actual` matches the golden at `path` (see the module docs).
///
/// # Panics
/// On a mismatch, a missing golden, or a refused bless: after printing the diff and the help
/// text, it unwinds with `resume_unwind`, so the test fails without backtrace noise.
pub fn assert_golden(case: &str, path: &Path, actual: &str) {
    if let Err(e) = check_golden(case, path, actual) {
        eprintln!("{e}");
        print_help_once();
        std::panic::resume_unwind(Box::new(format!("golden check failed: {case}")));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mismatch_display_names_the_case_and_shows_a_unified_diff() {
        let golden = "<r><a>1</a><b>2</b><c>3</c><d>4</d><e>5</e><f>6</f><g>7</g><h>8</h></r>";
        let actual = golden.replace("<d>4", "<d>5");
        let m = compare("get_item/by_id", "fixtures/get_item/by_id.response.xml", golden, &actual)
            .expect_err("the documents differ");
        // The header names the golden path and `actual`; three lines of context on each side.
        let expected = "golden mismatch in case `get_item/by_id`:
--- fixtures/get_item/by_id.response.xml
+++ actual
@@ -3,7 +3,7 @@
   <a>1</a>
   <b>2</b>
   <c>3</c>
-  <d>4</d>
+  <d>5</d>
   <e>5</e>
   <f>6</f>
   <g>7</g>
";
        assert_eq!(m.to_string(), expected);
    }

    #[test]
    fn equal_documents_in_other_spellings_do_not_mismatch() {
        let a = r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body a="1" b="2"/></s:Envelope>"#;
        let b = "<E:Envelope xmlns:E=\"http://schemas.xmlsoap.org/soap/envelope/\">\n <E:Body b=\"2\" a=\"1\"></E:Body>\n</E:Envelope>";
        assert_eq!(compare("c", "p", a, b), Ok(()));
    }

    #[test]
    fn a_non_xml_actual_is_shown_raw_in_the_diff() {
        let m = compare("c", "p", "<a/>", "Service Unavailable").expect_err("not XML");
        assert!(m.to_string().contains("+Service Unavailable"), "{m}");
    }
}
