//! Fuzz target: ews-mock's whole request path, bytes in → SOAP answer out.
//!
//! Each input holds up to eight requests, each with the caller picked by its first byte (see
//! `ews_mock::fuzzing`); they run against a fresh demo tenant through authentication and
//! `dispatch::handle`, and every answer must be a well-formed SOAP envelope (a Fault exactly on
//! status 500), the store consistent, and no write made where the caller has no right. A panic
//! anywhere on that path, or a broken invariant, is a crash.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(broken) = ews_mock::fuzzing::run(data) {
        panic!("invariant broken: {broken}");
    }
});
