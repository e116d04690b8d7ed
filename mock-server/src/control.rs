//! Test control: request matchers, expectations (wiremock-rs style) and fault rules.
//!
//! Both live in a tenant and are checked against every request the tenant answers. Counting
//! happens as requests arrive, not by reading the journal back, so expectations stay exact even
//! when the bounded journal has dropped old entries.

use std::fmt::Write as _;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// Which requests a rule or expectation is about. Empty fields match anything.
///
/// ```
/// let m = ews_mock::RequestMatcher::default().operation("CreateItem").acting_as("alfred@contoso.com");
/// assert_eq!(m.operation.as_deref(), Some("CreateItem"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestMatcher {
    /// The EWS operation, e.g. `CreateItem`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    /// The primary address of the mailbox acted as.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acting_as: Option<String>,
    /// The authenticated caller (address, UPN, or `app:…` for app tokens).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller: Option<String>,
}

impl RequestMatcher {
    /// Matches only this operation.
    pub fn operation(mut self, op: impl Into<String>) -> Self {
        self.operation = Some(op.into());
        self
    }

    /// Matches only requests acting as this mailbox.
    pub fn acting_as(mut self, mailbox: impl Into<String>) -> Self {
        self.acting_as = Some(mailbox.into());
        self
    }

    /// Matches only requests from this caller.
    pub fn caller(mut self, caller: impl Into<String>) -> Self {
        self.caller = Some(caller.into());
        self
    }

    /// Whether a request with these properties matches.
    pub(crate) fn matches(&self, req: &RequestFacts<'_>) -> bool {
        let op_ok = self.operation.as_deref().is_none_or(|o| o == req.operation);
        let acting_ok = self
            .acting_as
            .as_deref()
            .is_none_or(|want| req.acting_as.is_some_and(|got| got.eq_ignore_ascii_case(want.trim())));
        let caller_ok = self.caller.as_deref().is_none_or(|c| c.trim().eq_ignore_ascii_case(req.caller));
        op_ok && acting_ok && caller_ok
    }

    fn describe(&self) -> String {
        let mut s = self.operation.clone().unwrap_or_else(|| "any request".into());
        if let Some(a) = &self.acting_as {
            let _ = write!(s, " acting as {a}");
        }
        if let Some(c) = &self.caller {
            let _ = write!(s, " from {c}");
        }
        s
    }
}

/// What is known about a request when rules are matched.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RequestFacts<'a> {
    pub(crate) operation: &'a str,
    pub(crate) acting_as: Option<&'a str>,
    pub(crate) caller: &'a str,
}

/// An expectation: how many matching requests a test expects.
///
/// ```
/// use ews_mock::Expect;
/// let e = Expect::operation("CreateItem").acting_as("alfred@contoso.com").times(1);
/// assert_eq!(e.min, 1);
/// assert_eq!(e.max, Some(1));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// A name for the report; defaults to a description of the matcher.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Which requests count.
    #[serde(flatten)]
    pub matcher: RequestMatcher,
    /// At least this many.
    #[serde(default)]
    pub min: u64,
    /// At most this many (`None`: no upper bound).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<u64>,
}

impl Expect {
    /// Expect requests of this operation.
    pub fn operation(op: impl Into<String>) -> Expect {
        Expect::matching(RequestMatcher::default().operation(op))
    }

    /// Expect any request.
    pub fn any() -> Expect {
        Expect::matching(RequestMatcher::default())
    }

    /// Expect requests matching `matcher` (at least one, until told otherwise).
    pub fn matching(matcher: RequestMatcher) -> Expect {
        Expect { name: None, matcher, min: 1, max: None }
    }

    /// Only requests acting as this mailbox.
    pub fn acting_as(mut self, mailbox: impl Into<String>) -> Expect {
        self.matcher = self.matcher.acting_as(mailbox);
        self
    }

    /// Only requests from this caller.
    pub fn caller(mut self, caller: impl Into<String>) -> Expect {
        self.matcher = self.matcher.caller(caller);
        self
    }

    /// Exactly `n` matching requests.
    pub fn times(mut self, n: u64) -> Expect {
        (self.min, self.max) = (n, Some(n));
        self
    }

    /// At least `n`.
    pub fn at_least(mut self, n: u64) -> Expect {
        self.min = n;
        self
    }

    /// At most `n`.
    pub fn at_most(mut self, n: u64) -> Expect {
        self.max = Some(n);
        if self.min > n {
            self.min = 0;
        }
        self
    }

    /// No matching request at all.
    pub fn never(self) -> Expect {
        self.times(0)
    }

    /// Names the expectation in reports.
    pub fn named(mut self, name: impl Into<String>) -> Expect {
        self.name = Some(name.into());
        self
    }

    fn label(&self) -> String {
        self.name.clone().unwrap_or_else(|| self.matcher.describe())
    }

    fn wanted(&self) -> String {
        match (self.min, self.max) {
            (a, Some(b)) if a == b => format!("exactly {a}"),
            (0, Some(b)) => format!("at most {b}"),
            (a, None) => format!("at least {a}"),
            (a, Some(b)) => format!("between {a} and {b}"),
        }
    }
}

/// The outcome of one expectation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExpectationResult {
    /// The expectation's name or description.
    pub name: String,
    /// What was expected, e.g. "exactly 1".
    pub expected: String,
    /// How many matching requests came.
    pub actual: u64,
    /// Whether it holds.
    pub ok: bool,
}

/// Why verification failed: a readable report of what was expected and what came.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{report}")]
pub struct VerificationError {
    /// Every expectation with its count.
    pub results: Vec<ExpectationResult>,
    /// The report as text.
    pub report: String,
}

/// A tenant's expectations and their counts.
#[derive(Debug, Default)]
pub(crate) struct Expectations {
    list: Mutex<Vec<(Expect, u64)>>,
}

impl Expectations {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(Expect, u64)>> {
        self.list.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn add(&self, e: Expect) {
        self.lock().push((e, 0));
    }

    pub(crate) fn observe(&self, req: &RequestFacts<'_>) {
        for (e, n) in self.lock().iter_mut() {
            if e.matcher.matches(req) {
                *n += 1;
            }
        }
    }

    pub(crate) fn results(&self) -> Vec<ExpectationResult> {
        self.lock()
            .iter()
            .map(|(e, n)| ExpectationResult {
                name: e.label(),
                expected: e.wanted(),
                actual: *n,
                ok: *n >= e.min && e.max.is_none_or(|m| *n <= m),
            })
            .collect()
    }

    pub(crate) fn verify(&self) -> Result<(), VerificationError> {
        let results = self.results();
        if results.iter().all(|r| r.ok) {
            return Ok(());
        }
        let mut report = String::from("ews-mock: expectations not met:\n");
        for r in &results {
            let mark = if r.ok { "ok  " } else { "FAIL" };
            let _ = writeln!(report, "  {mark} {}: expected {}, got {}", r.name, r.expected, r.actual);
        }
        Err(VerificationError { results, report })
    }

    pub(crate) fn clear(&self) {
        self.lock().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts<'a>(op: &'a str, acting: Option<&'a str>) -> RequestFacts<'a> {
        RequestFacts { operation: op, acting_as: acting, caller: "svc-calendar@contoso.com" }
    }

    #[test]
    fn expectations_count_matching_requests_and_report_failures() {
        let e = Expectations::default();
        e.add(Expect::operation("CreateItem").acting_as("alfred@contoso.com").times(1));
        e.add(Expect::any().acting_as("chris@contoso.com").never().named("nothing as chris"));
        e.observe(&facts("CreateItem", Some("Alfred@contoso.com")));
        assert!(e.verify().is_ok());
        e.observe(&facts("GetItem", Some("chris@contoso.com")));
        let err = e.verify().expect_err("chris was acted as");
        assert!(err.report.contains("FAIL nothing as chris: expected exactly 0, got 1"), "{}", err.report);
        assert!(
            err.report.contains("ok   CreateItem acting as alfred@contoso.com: expected exactly 1, got 1"),
            "{}",
            err.report
        );
    }

    #[test]
    fn expectations_parse_from_json() {
        let e: Expect =
            serde_json::from_str(r#"{"operation":"CreateItem","acting_as":"a@b","min":1,"max":1}"#).expect("json");
        assert_eq!(e, Expect::operation("CreateItem").acting_as("a@b").times(1));
    }
}
