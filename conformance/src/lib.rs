//! ews-conformance: golden XML, canonical comparison, property-test strategies and the oracle
//! that checks an EWS endpoint against them.
//!
//! The shared truth between the mock and the client is `fixtures/`: request/response pairs from
//! Microsoft's documentation and real captures, adapted to the demo tenant. Everything here
//! exists to compare an endpoint's answers with those goldens in a way that ignores spelling
//! (prefixes, attribute order, whitespace) and volatile values (ids, ChangeKeys, time stamps)
//! but nothing else.
//!
//! # Layout
//! - [`mod@canon`]: XML → canonical pretty XML; the volatile-value rule.
//! - [`golden`]: `compare` (a unified diff naming the case), `assert_golden`, blessing with
//!   `UPDATE_GOLDENS=1` (never under `CI`).
//! - [`cases`]: discovering `fixtures/<op>/<case>.*` and their `meta.toml` (credentials, setup).
//! - [`oracle`]: `check_case(&Case, &Target) -> Outcome`, the one judge all drivers use.
//! - [`schema`]: validation against Microsoft's EWS schema from `EWS_XSD_DIR` (python3 + lxml).
//! - [`strategies`]: proptest strategies: arbitrary bytes and mutations of fixture requests.
//! - [`runner`]: the conformance runner behind the `ews-conformance` binary (`run`, `list`,
//!   `client-report`): named scenarios against any EWS endpoint, text and JUnit reports.

pub mod canon;
pub mod cases;
pub mod golden;
pub mod oracle;
pub mod runner;
pub mod schema;
pub mod strategies;

pub use canon::canon;
pub use cases::{discover, fixtures_dir, Auth, Case, Meta};
pub use golden::{assert_golden, compare, Mismatch};
pub use oracle::{check_case, Outcome, Target};
