//! Every input the fuzzer (fuzz/, `ci/fuzz.sh`) found a crash with, replayed on every test run.
//!
//! The inputs are `tests/fuzz-regressions/*.bin`, in the fuzz target's format (one or more
//! requests, each starting with a caller byte: see `ews_mock::fuzzing`): crash inputs, named for
//! what they broke, and `seed-*.bin`, multi-request seeds that keep the harness-versus-HTTP
//! comparison below meaningful (a create, an update, a stale ChangeKey). Each is run through the
//! fuzz target's own checks (well-formed SOAP answers, a Fault exactly on 500, a consistent store,
//! no write without a right), then sent over real HTTP to a mock started the same way, whose
//! answers must be the very same bytes — so the harness is known to exercise what clients reach.

mod common;

use std::path::PathBuf;

use common::Conn;
use ews_mock::fuzzing::{self, Reply, CALLERS};
use ews_mock::{Clock, MockEws};

fn saved_inputs() -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions");
    let mut inputs: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .expect("tests/fuzz-regressions exists")
        .map(|entry| entry.expect("readable directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "bin"))
        .map(|path| {
            let name = path.file_name().expect("a file name").to_string_lossy().into_owned();
            (name, std::fs::read(&path).expect("readable input"))
        })
        .collect();
    inputs.sort();
    assert!(!inputs.is_empty(), "no saved inputs in {}", dir.display());
    inputs
}

#[test]
fn every_saved_crash_input_now_gets_well_formed_soap_answers_and_keeps_the_store_sound() {
    for (name, input) in saved_inputs() {
        match fuzzing::run(&input) {
            Ok(replies) => assert!(!replies.is_empty(), "{name}: no request was sent"),
            Err(broken) => panic!("{name}: {broken}"),
        }
    }
}

#[test]
fn every_saved_crash_input_gets_the_same_answers_over_http_as_in_the_fuzz_harness() {
    let at = "2026-01-05T09:00:00Z".parse().expect("a valid time");
    for (name, input) in saved_inputs() {
        let expected = fuzzing::run(&input).unwrap_or_else(|broken| panic!("{name}: {broken}"));
        let mock = MockEws::builder().clock(Clock::fixed(at)).id_seed(6).start().expect("mock starts");
        let mut conn = Conn::open(mock.address());
        let mut seen: Vec<Reply> = Vec::new();
        for segment in fuzzing::split(&input).into_iter().take(fuzzing::MAX_REQUESTS) {
            let Some((&pick, body)) = segment.split_first() else { continue };
            let authorization = CALLERS[usize::from(pick) % CALLERS.len()].1;
            let body = fuzzing::substitute(body, &seen);
            let resp = conn.send(
                "POST",
                "/EWS/Exchange.asmx",
                &[("Content-Type", "text/xml; charset=utf-8"), ("Authorization", authorization)],
                &body,
            );
            let reply = Reply { status: resp.status, body: resp.body.into_bytes() };
            fuzzing::check_reply(&reply).unwrap_or_else(|broken| panic!("{name} over HTTP: {broken}"));
            seen.push(reply);
        }
        assert_eq!(seen.len(), expected.len(), "{name}");
        for (i, (http, harness)) in seen.iter().zip(&expected).enumerate() {
            assert_eq!(http.status, harness.status, "{name}, request {}", i + 1);
            assert_eq!(
                String::from_utf8_lossy(&http.body),
                String::from_utf8_lossy(&harness.body),
                "{name}, request {}",
                i + 1
            );
        }
    }
}
