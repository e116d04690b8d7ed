//! The goldens drive the mock: each golden request, sent to a fresh in-process mock with a fixed
//! clock and id seed, must be answered with its golden response (canonical form, same HTTP
//! status). Every fixture and every answer must also validate against Microsoft's EWS schema when
//! `EWS_XSD_DIR` is set. `UPDATE_GOLDENS=1` blesses the mock's answers (see `golden.rs`);
//! `GOLDEN_FILTER=create_item` limits the run to case ids containing that text.

use std::path::PathBuf;

use ews_conformance::golden::{self, GoldenError};
use ews_conformance::oracle::{self, Http, Outcome, Target};
use ews_conformance::schema::{self, Verdict};
use ews_conformance::{discover, fixtures_dir, Case};

fn cases() -> Vec<Case> {
    discover(&fixtures_dir()).expect("fixtures/ can be read")
}

/// Runs every case against the in-process mock; returns the failures as text and writes every
/// answer to a scratch folder for the schema check.
fn run_all(answers_dir: Option<&PathBuf>) -> Vec<String> {
    let http = Http::new();
    let mut failures = Vec::new();
    let filter = std::env::var("GOLDEN_FILTER").unwrap_or_default();
    for case in cases().into_iter().filter(|c| c.id.contains(&filter)) {
        let reply = match oracle::run_case(&case, &Target::InProcessMock, &http) {
            Ok(reply) => reply,
            Err(Outcome::Skipped(why)) => {
                eprintln!("skipped {}: {why}", case.id);
                continue;
            }
            Err(other) => {
                failures.push(format!("{}: {other:?}", case.id));
                continue;
            }
        };
        if let Some(dir) = answers_dir {
            let file = dir.join(format!("{}.xml", case.id.replace('/', "__")));
            std::fs::write(&file, &reply.body).expect("the scratch folder is writable");
        }
        if golden::update_requested() {
            if reply.status != case.meta.status {
                failures.push(format!(
                    "{}: not blessed: HTTP {} but meta.toml says {}",
                    case.id, reply.status, case.meta.status
                ));
                continue;
            }
            if let Err(e) = golden::check_golden(&case.id, &case.response, &reply.body) {
                failures.push(format!("{}: {e}", case.id));
            }
            continue;
        }
        match oracle::judge(&case, &reply) {
            Outcome::Pass => {}
            Outcome::Mismatch(m) => failures.push(m.to_string()),
            other => failures.push(format!("{}: {other:?}", case.id)),
        }
    }
    failures
}

#[test]
fn the_mock_answers_every_golden_request_with_its_golden_response() {
    let scratch = std::env::temp_dir().join(format!("ews-conformance-answers-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).expect("a scratch folder can be created");
    let failures = run_all(Some(&scratch));
    // The answers the mock produced must be schema-valid too (issue 6, item 4).
    let schema_failures = match schema::xsd_dir() {
        Some(xsd) => {
            let mut files: Vec<PathBuf> =
                std::fs::read_dir(&scratch).expect("scratch folder").map(|e| e.expect("dir entry").path()).collect();
            files.sort();
            let verdicts = schema::validate_files(&xsd, &files).expect("the schema validator runs");
            files
                .iter()
                .zip(verdicts)
                .filter(|(_, v)| *v != Verdict::Valid)
                .map(|(f, v)| format!("answer {} is not schema-valid: {v:?}", f.display()))
                .collect()
        }
        None => {
            eprintln!("SKIPPED: schema check of the mock's answers (EWS_XSD_DIR is not set)");
            Vec::new()
        }
    };
    let _ = std::fs::remove_dir_all(&scratch);
    if !failures.is_empty() {
        for f in &failures {
            eprintln!("{f}");
        }
        golden::print_help_once();
    }
    assert!(
        failures.is_empty() && schema_failures.is_empty(),
        "{} golden case(s) failed: {}\n{}",
        failures.len(),
        failures.iter().map(|f| f.lines().next().unwrap_or_default()).collect::<Vec<_>>().join("\n"),
        schema_failures.join("\n")
    );
}

#[test]
fn every_fixture_validates_against_the_ews_schema() {
    let Some(xsd) = schema::xsd_dir() else {
        eprintln!("SKIPPED: schema check of fixtures/ (EWS_XSD_DIR is not set)");
        return;
    };
    let cases = cases();
    let mut files = Vec::new();
    let mut expect_valid = Vec::new();
    for case in &cases {
        files.push(case.request.clone());
        expect_valid.push(case.meta.request_valid);
        if case.response.is_file() {
            files.push(case.response.clone());
            expect_valid.push(true);
        }
    }
    let verdicts = schema::validate_files(&xsd, &files).expect("the schema validator runs");
    let wrong: Vec<String> = files
        .iter()
        .zip(verdicts.iter().zip(&expect_valid))
        .filter(|(_, (v, valid))| (**v == Verdict::Valid) != **valid)
        .map(|(f, (v, valid))| {
            let want = if *valid { "valid" } else { "invalid (request_valid = false)" };
            format!("{} should be {want}: {v:?}", f.display())
        })
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn every_case_has_a_golden_response_and_a_readme_entry() {
    let readme = std::fs::read_to_string(fixtures_dir().join("README.md")).expect("fixtures/README.md exists");
    let cases = cases();
    assert!(cases.len() >= 40, "issue 6 asks for at least 40 cases, found {}", cases.len());
    for case in &cases {
        assert!(case.response.is_file(), "{}: no golden response {}", case.id, case.response.display());
        assert!(readme.contains(&format!("`{}`", case.id)), "fixtures/README.md does not index `{}`", case.id);
        for setup in &case.meta.setup {
            assert!(cases.iter().any(|c| &c.id == setup), "{}: setup case `{setup}` does not exist", case.id);
        }
    }
}

#[test]
fn a_missing_golden_fails_with_the_hint() {
    if golden::update_requested() {
        return; // blessing would write the file instead
    }
    let path = std::env::temp_dir().join("ews-conformance-no-such-golden.xml");
    let err = golden::check_golden("x/y", &path, "<a/>").expect_err("missing golden");
    assert!(matches!(err, GoldenError::Missing { .. }), "{err}");
}
