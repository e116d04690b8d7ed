//! An Exchange-style throttling policy per caller: a budget of concurrent requests
//! (EWSMaxConcurrency) and of requests per time window. A request over budget gets ErrorServerBusy
//! with a computed BackOffMilliseconds: how long until the window has room again.
//!
//! See <https://learn.microsoft.com/en-us/exchange/client-developer/exchange-web-services/ews-throttling-in-exchange>.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// A throttling budget, applied to each caller separately.
///
/// ```
/// let policy: ews_mock::ThrottlingPolicy = toml::from_str("max_concurrent = 2\nmax_requests = 10\nwindow_ms = 1000").unwrap();
/// assert_eq!(policy.max_requests, Some(10));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThrottlingPolicy {
    /// Requests one caller may have in flight at once.
    #[serde(default)]
    pub max_concurrent: Option<u32>,
    /// Requests one caller may send per window.
    #[serde(default)]
    pub max_requests: Option<u32>,
    /// The window for `max_requests`, in milliseconds (default 1000).
    #[serde(default = "default_window")]
    pub window_ms: u64,
}

fn default_window() -> u64 {
    1000
}

/// Back-off suggested when only the concurrency budget is exceeded.
const CONCURRENCY_BACK_OFF_MS: u64 = 100;

#[derive(Debug, Default)]
struct CallerBudget {
    in_flight: u32,
    recent: VecDeque<Instant>,
}

/// Live budgets of one tenant.
#[derive(Debug, Default)]
pub(crate) struct Throttle {
    policy: Mutex<Option<ThrottlingPolicy>>,
    callers: Arc<Mutex<HashMap<String, CallerBudget>>>,
}

/// Holds one unit of a caller's concurrency budget until dropped.
#[derive(Debug)]
pub(crate) struct Permit {
    caller: String,
    callers: Arc<Mutex<HashMap<String, CallerBudget>>>,
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut map = self.callers.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(b) = map.get_mut(&self.caller) {
            b.in_flight = b.in_flight.saturating_sub(1);
        }
    }
}

impl Throttle {
    pub(crate) fn set_policy(&self, policy: Option<ThrottlingPolicy>) {
        *self.policy.lock().unwrap_or_else(|p| p.into_inner()) = policy;
    }

    pub(crate) fn policy(&self) -> Option<ThrottlingPolicy> {
        self.policy.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Takes a unit of budget for `caller`, or says how long to back off.
    pub(crate) fn enter(&self, caller: &str) -> Result<Option<Permit>, u64> {
        let Some(policy) = self.policy() else { return Ok(None) };
        let now = Instant::now();
        let window = Duration::from_millis(policy.window_ms.max(1));
        let mut map = self.callers.lock().unwrap_or_else(|p| p.into_inner());
        let budget = map.entry(caller.to_string()).or_default();
        while budget.recent.front().is_some_and(|t| now.duration_since(*t) >= window) {
            budget.recent.pop_front();
        }
        if let Some(max) = policy.max_requests {
            if budget.recent.len() >= max as usize {
                let oldest = budget.recent.front().copied().unwrap_or(now);
                let wait = window.saturating_sub(now.duration_since(oldest));
                return Err((wait.as_millis() as u64).max(1));
            }
        }
        if policy.max_concurrent.is_some_and(|max| budget.in_flight >= max) {
            return Err(CONCURRENCY_BACK_OFF_MS);
        }
        budget.recent.push_back(now);
        budget.in_flight += 1;
        Ok(Some(Permit { caller: caller.to_string(), callers: Arc::clone(&self.callers) }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_over_the_window_budget_get_a_back_off_within_the_window() {
        let t = Throttle::default();
        t.set_policy(Some(ThrottlingPolicy { max_concurrent: None, max_requests: Some(2), window_ms: 60_000 }));
        let _a = t.enter("svc").expect("first");
        let _b = t.enter("svc").expect("second");
        let wait = t.enter("svc").expect_err("third is over budget");
        assert!(wait > 0 && wait <= 60_000, "{wait}");
        assert!(t.enter("other").is_ok(), "budgets are per caller");
    }

    #[test]
    fn concurrency_budget_frees_when_a_request_ends() {
        let t = Throttle::default();
        t.set_policy(Some(ThrottlingPolicy { max_concurrent: Some(1), max_requests: None, window_ms: 1000 }));
        let first = t.enter("svc").expect("first");
        assert_eq!(t.enter("svc").expect_err("busy"), CONCURRENCY_BACK_OFF_MS);
        drop(first);
        assert!(t.enter("svc").is_ok());
    }
}
