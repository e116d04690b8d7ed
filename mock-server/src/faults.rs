//! Deterministic fault injection: rules, switchable while the mock runs, that make matching
//! requests fail the way Exchange fails — ErrorServerBusy with BackOffMilliseconds (as a SOAP
//! fault or as a per-message error), any other response code, HTTP 503, added latency, or a
//! connection reset before answering.
//!
//! A rule fires for matching requests, optionally only every Nth one, and optionally only N
//! times (then it is spent). Rules are checked in the order they were added; the first that
//! fires wins.

use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::control::{RequestFacts, RequestMatcher};

/// What an injected fault does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum FaultAction {
    /// HTTP 500 SOAP fault ErrorServerBusy with `BackOffMilliseconds`.
    ServerBusyFault {
        /// The back-off hint.
        back_off_ms: u64,
    },
    /// HTTP 200 with one `ResponseClass="Error"` message ErrorServerBusy and `BackOffMilliseconds`.
    ServerBusyMessage {
        /// The back-off hint.
        back_off_ms: u64,
    },
    /// HTTP 500 SOAP fault with any response code.
    Fault {
        /// The EWS response code, e.g. `ErrorMailboxStoreUnavailable`.
        code: String,
        /// The message; default: the code's standard text.
        #[serde(default)]
        message: Option<String>,
    },
    /// HTTP 200 with one error message carrying any response code.
    MessageError {
        /// The EWS response code.
        code: String,
        /// The message; default: the code's standard text.
        #[serde(default)]
        message: Option<String>,
    },
    /// HTTP 503 Service Unavailable, as IIS sends when EWS requests queue.
    Http503,
    /// Answer normally, but only after this delay.
    Latency {
        /// The delay.
        ms: u64,
    },
    /// Close the connection without answering.
    Reset,
}

/// A fault rule: which requests, how often, and what happens.
///
/// ```
/// use ews_mock::{FaultAction, FaultRule};
/// let rule = FaultRule::new(FaultAction::ServerBusyFault { back_off_ms: 200 }).operation("CreateItem").times(2);
/// assert_eq!(rule.times, Some(2));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultRule {
    /// Which requests.
    #[serde(flatten)]
    pub matcher: RequestMatcher,
    /// Fire on every Nth matching request (default 1: every one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub every: Option<u64>,
    /// Fire at most this many times, then the rule is spent (default: forever).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u64>,
    /// What happens.
    pub action: FaultAction,
}

impl FaultRule {
    /// A rule that does `action` to every request, until narrowed.
    pub fn new(action: FaultAction) -> FaultRule {
        FaultRule { matcher: RequestMatcher::default(), every: None, times: None, action }
    }

    /// Only this operation.
    pub fn operation(mut self, op: impl Into<String>) -> FaultRule {
        self.matcher = self.matcher.operation(op);
        self
    }

    /// Only requests acting as this mailbox.
    pub fn acting_as(mut self, mailbox: impl Into<String>) -> FaultRule {
        self.matcher = self.matcher.acting_as(mailbox);
        self
    }

    /// Only requests from this caller.
    pub fn caller(mut self, caller: impl Into<String>) -> FaultRule {
        self.matcher = self.matcher.caller(caller);
        self
    }

    /// Only the next `n` matching requests.
    pub fn times(mut self, n: u64) -> FaultRule {
        self.times = Some(n);
        self
    }

    /// Only every `n`th matching request.
    pub fn every(mut self, n: u64) -> FaultRule {
        self.every = Some(n);
        self
    }
}

/// A rule as stored: with its id and counters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActiveFault {
    /// The id to delete it by.
    pub id: u64,
    /// The rule.
    #[serde(flatten)]
    pub rule: FaultRule,
    /// Matching requests seen.
    pub matched: u64,
    /// Times it fired.
    pub fired: u64,
}

/// A tenant's fault rules.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    inner: Mutex<(u64, Vec<ActiveFault>)>,
}

impl Faults {
    fn lock(&self) -> std::sync::MutexGuard<'_, (u64, Vec<ActiveFault>)> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds a rule; returns its id.
    pub(crate) fn add(&self, rule: FaultRule) -> u64 {
        let mut g = self.lock();
        g.0 += 1;
        let id = g.0;
        g.1.push(ActiveFault { id, rule, matched: 0, fired: 0 });
        id
    }

    pub(crate) fn remove(&self, id: u64) -> bool {
        let mut g = self.lock();
        let before = g.1.len();
        g.1.retain(|f| f.id != id);
        g.1.len() != before
    }

    pub(crate) fn clear(&self) {
        self.lock().1.clear();
    }

    pub(crate) fn list(&self) -> Vec<ActiveFault> {
        self.lock().1.clone()
    }

    /// The action of the first rule that fires for this request, counting it.
    pub(crate) fn fire(&self, req: &RequestFacts<'_>) -> Option<FaultAction> {
        let mut g = self.lock();
        let mut chosen = None;
        for f in g.1.iter_mut() {
            if f.rule.times.is_some_and(|t| f.fired >= t) || !f.rule.matcher.matches(req) {
                continue;
            }
            f.matched += 1;
            let every = f.rule.every.unwrap_or(1).max(1);
            if f.matched % every == 0 {
                f.fired += 1;
                chosen = Some(f.rule.action.clone());
                break;
            }
        }
        chosen
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(op: &str) -> RequestFacts<'_> {
        RequestFacts { operation: op, acting_as: Some("alfred@contoso.com"), caller: "svc" }
    }

    #[test]
    fn a_rule_with_times_fires_that_often_then_is_spent() {
        let f = Faults::default();
        f.add(FaultRule::new(FaultAction::Http503).operation("CreateItem").times(2));
        assert_eq!(f.fire(&req("GetItem")), None);
        assert_eq!(f.fire(&req("CreateItem")), Some(FaultAction::Http503));
        assert_eq!(f.fire(&req("CreateItem")), Some(FaultAction::Http503));
        assert_eq!(f.fire(&req("CreateItem")), None);
    }

    #[test]
    fn a_rule_with_every_fires_on_every_nth_match() {
        let f = Faults::default();
        f.add(FaultRule::new(FaultAction::Reset).every(3));
        let fired: Vec<bool> = (0..6).map(|_| f.fire(&req("GetItem")).is_some()).collect();
        assert_eq!(fired, [false, false, true, false, false, true]);
    }

    #[test]
    fn rules_parse_from_json() {
        let r: FaultRule = serde_json::from_str(
            r#"{"operation":"CreateItem","times":2,"action":{"type":"server_busy_fault","back_off_ms":250}}"#,
        )
        .expect("json");
        assert_eq!(
            r,
            FaultRule::new(FaultAction::ServerBusyFault { back_off_ms: 250 }).operation("CreateItem").times(2)
        );
    }
}
