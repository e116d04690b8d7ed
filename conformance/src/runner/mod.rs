//! The conformance runner: named scenarios run against any EWS endpoint, each tied to the spec
//! section it checks, judged pass / fail / skip, reported as text and JUnit XML.
//!
//! A [`Scenario`] is an async function over a [`Ctx`]: the shared [`Env`] (configuration,
//! typed client, raw SOAP client, the mock's admin API when the endpoint has one) plus what the
//! scenario created, which [`run`] deletes afterwards whatever the outcome. Subjects carry the
//! run id and the scenario id, so runs never see each other's items.
//!
//! - [`config`]: the TOML configuration.
//! - [`raw`]: raw SOAP for what the client refuses to send, and a reader of any answer.
//! - [`scenarios`]: the scenario list.
//! - [`report`]: results, the text lines and the summary; [`junit`]: JUnit XML.
//! - [`client_report`]: `client-report`, the mock journal's rule breakers.

pub mod client_report;
pub mod config;
mod ctx;
pub mod junit;
pub mod raw;
pub mod report;
pub mod scenarios;

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

pub use config::{Config, Credentials, MailboxConfig, Scoped};
pub use ctx::{Ctx, Env};
pub use report::{Report, ScenarioResult, Status};

/// Why a scenario did not pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The server broke the rule; the text says how (code, diff, …).
    Fail(String),
    /// The scenario cannot run here (an optional feature is missing); the text says which.
    Skip(String),
}

impl From<String> for Verdict {
    fn from(message: String) -> Verdict {
        Verdict::Fail(message)
    }
}

impl From<ews_client::Error> for Verdict {
    fn from(e: ews_client::Error) -> Verdict {
        Verdict::Fail(e.to_string())
    }
}

/// What a scenario returns.
pub type Outcome = Result<(), Verdict>;

/// A scenario's future.
pub type BoxFuture<'a> = Pin<Box<dyn Future<Output = Outcome> + 'a>>;

/// A scenario's function.
pub type RunFn = for<'a> fn(&'a Ctx<'a>) -> BoxFuture<'a>;

/// One named check.
#[derive(Clone, Copy)]
pub struct Scenario {
    /// `area.name`, e.g. `impersonation.smtp-address`.
    pub id: &'static str,
    /// The spec section it checks, e.g. `[MS-OXWSCDATA] §2.2.4.22 ConnectingSIDType`.
    pub spec: &'static str,
    /// One line: what it checks.
    pub about: &'static str,
    /// The check.
    pub run: RunFn,
}

impl std::fmt::Debug for Scenario {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scenario").field("id", &self.id).field("spec", &self.spec).finish_non_exhaustive()
    }
}

impl Scenario {
    /// The part of the id before the first dot (the JUnit classname).
    pub fn area(&self) -> &'static str {
        self.id.split('.').next().unwrap_or(self.id)
    }
}

/// Builds a [`Scenario`] from an async fn `fn(&Ctx) -> Outcome`.
#[macro_export]
macro_rules! scenario {
    ($id:literal, $spec:literal, $about:literal, $f:path) => {
        $crate::runner::Scenario { id: $id, spec: $spec, about: $about, run: |c| Box::pin($f(c)) }
    };
}

/// Whether `id` matches a `--filter` pattern: a substring, or a glob with `*`.
///
/// ```
/// use ews_conformance::runner::matches_filter;
/// assert!(matches_filter("impersonation.smtp-address", "impersonation"));
/// assert!(matches_filter("impersonation.smtp-address", "imp*.smtp-*"));
/// assert!(!matches_filter("faults.malformed-xml", "impersonation"));
/// ```
pub fn matches_filter(id: &str, pattern: &str) -> bool {
    if !pattern.contains('*') {
        return id.contains(pattern);
    }
    let parts: Vec<&str> = pattern.split('*').collect();
    let mut rest = id;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            let Some(r) = rest.strip_prefix(part) else { return false };
            rest = r;
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            let Some(at) = rest.find(part) else { return false };
            rest = &rest[at + part.len()..];
        }
    }
    rest.is_empty()
}

/// The scenarios whose id matches `filter` (all when `None`), in list order.
pub fn select(filter: Option<&str>) -> Vec<Scenario> {
    scenarios::all().into_iter().filter(|s| filter.is_none_or(|f| matches_filter(s.id, f))).collect()
}

/// Runs the scenarios one after another, calling `on_result` as each finishes.
pub async fn run(env: &Env, scenarios: &[Scenario], mut on_result: impl FnMut(&ScenarioResult)) -> Report {
    let mut results = Vec::new();
    let limit = Duration::from_secs(env.config.options.scenario_timeout_secs.max(1));
    for (slot, scenario) in scenarios.iter().enumerate() {
        let ctx = Ctx::new(env, scenario.id, slot);
        let started = Instant::now();
        let outcome = match tokio::time::timeout(limit, (scenario.run)(&ctx)).await {
            Ok(outcome) => outcome,
            Err(_) => Err(Verdict::Fail(format!("did not finish within {} s", limit.as_secs()))),
        };
        let notes = ctx.clean_up().await;
        let status = match outcome {
            Ok(()) => Status::Pass,
            Err(Verdict::Fail(m)) => Status::Fail(m),
            Err(Verdict::Skip(m)) => Status::Skip(m),
        };
        let result = ScenarioResult {
            id: scenario.id.to_string(),
            area: scenario.area().to_string(),
            spec: scenario.spec.to_string(),
            status,
            duration: started.elapsed(),
            notes,
        };
        on_result(&result);
        results.push(result);
    }
    Report { results }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenario_ids_are_unique_and_cite_a_spec() {
        let all = scenarios::all();
        let mut ids: Vec<&str> = all.iter().map(|s| s.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), all.len(), "duplicate scenario ids");
        for s in &all {
            assert!(s.spec.starts_with("[MS-"), "{} cites no Open Specification: {}", s.id, s.spec);
            assert!(s.id.contains('.'), "{} has no area", s.id);
        }
    }

    #[test]
    fn glob_filters_anchor_at_both_ends() {
        assert!(matches_filter("lifecycle.get-item", "lifecycle.*"));
        assert!(matches_filter("lifecycle.get-item", "*get*"));
        assert!(!matches_filter("lifecycle.get-item", "*.get"));
        assert!(!matches_filter("lifecycle.get-item", "get*"));
    }
}
