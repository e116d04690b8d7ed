//! Fuzz target: ews-mock's whole request path, bytes in → SOAP answer out.
//!
//! Each input holds up to eight requests, each with the caller picked by its first byte (see
//! `ews_mock::fuzzing`); they run against a fresh demo tenant through authentication and
//! `dispatch::handle`, and every answer must be a well-formed SOAP envelope (a Fault exactly on
//! status 500), the store consistent, and no write made where the caller has no right. A panic
//! anywhere on that path, a stack overflow, or a broken invariant is a crash.
//!
//! The input runs on a thread with a 2 MiB stack — what a Rust thread, and so the mock's server
//! thread, gets by default — so recursion that only a server thread would overflow is found too.
#![no_main]

use libfuzzer_sys::fuzz_target;

/// The stack of a Rust thread that sets none (std's default).
const SERVER_THREAD_STACK: usize = 2 << 20;

fuzz_target!(|data: &[u8]| {
    let result = std::thread::scope(|scope| {
        std::thread::Builder::new()
            .stack_size(SERVER_THREAD_STACK)
            .spawn_scoped(scope, || ews_mock::fuzzing::run(data))
            .expect("a fuzz worker thread starts")
            .join()
    });
    match result {
        Ok(Ok(_replies)) => {}
        Ok(Err(broken)) => panic!("invariant broken: {broken}"),
        Err(panic) => std::panic::resume_unwind(panic),
    }
});
