//! The running tenants: each has its own items and journal, made from the configured template
//! on first use (`/t/{name}/…`), so parallel CI jobs sharing one mock never see each other.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::clock::Clock;
use crate::control::Expectations;
use crate::faults::Faults;
use crate::journal::Journal;
use crate::store::Store;
use crate::tenant::Directory;
use crate::throttle::{Throttle, ThrottlingPolicy};

/// The name of the tenant served on the plain paths.
pub(crate) const DEFAULT_TENANT: &str = "default";

/// How many named tenants one mock holds at most; more is refused, so a client looping over
/// fresh names cannot exhaust memory.
pub(crate) const MAX_TENANTS: usize = 1024;

/// Settings fixed when the mock starts.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// Where "now" comes from.
    pub(crate) clock: Clock,
    /// Mixed into every id, so ids are reproducible for a given seed.
    pub(crate) id_seed: u64,
    /// Journal entries kept per tenant.
    pub(crate) journal_capacity: usize,
    /// Sizes, XML shape, timeouts and connections.
    pub(crate) limits: crate::limits::Limits,
    /// Where the items are kept across restarts, if anywhere.
    pub(crate) state: Option<crate::persist::StateFile>,
    /// Throttling applied to each new tenant.
    pub(crate) throttling: Option<ThrottlingPolicy>,
    /// Whether `/_mock/` is served.
    pub(crate) admin: bool,
    /// The bearer token `/_mock/` requires, if any.
    pub(crate) admin_token: Option<String>,
    /// Record the rules each request broke in the journal (`--strict`).
    pub(crate) strict: bool,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            clock: Clock::System,
            id_seed: 0x5EED_0000_0000_0001,
            journal_capacity: 1000,
            limits: crate::limits::Limits::default(),
            state: None,
            throttling: None,
            admin: true,
            admin_token: None,
            strict: false,
        }
    }
}

/// One tenant's live state.
#[derive(Debug)]
pub(crate) struct Tenant {
    /// Unique for the process's life: a tenant reset and made anew gets a new one, so the state
    /// file writer never mistakes the new tenant for the old.
    pub(crate) instance: u64,
    /// The tenant's directory (shared with every tenant of the same template).
    pub(crate) dir: Arc<Directory>,
    /// Its items.
    pub(crate) store: Store,
    /// Its request journal.
    pub(crate) journal: Journal,
    /// Its id seed (the mock's seed, varied per tenant name so ids never collide across tenants).
    pub(crate) seed: u64,
    /// Its expectations.
    pub(crate) expectations: Expectations,
    /// Its fault rules.
    pub(crate) faults: Faults,
    /// Its throttling budgets.
    pub(crate) throttle: Throttle,
}

/// Everything the server shares across connections.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) dir: Arc<Directory>,
    pub(crate) settings: Settings,
    tenants: Mutex<HashMap<String, Arc<Tenant>>>,
}

impl Shared {
    pub(crate) fn new(dir: Directory, settings: Settings) -> Shared {
        Shared { dir: Arc::new(dir), settings, tenants: Mutex::new(HashMap::new()) }
    }

    fn make(&self, name: &str, restored: Option<(u64, crate::store::State)>) -> Arc<Tenant> {
        let derived = if name == DEFAULT_TENANT {
            self.settings.id_seed
        } else {
            self.settings.id_seed ^ (crate::tenant::fnv128(name.as_bytes()) as u64)
        };
        let (seed, store) = match restored {
            Some((seed, state)) => (seed, Store::from_state(state)),
            None => (derived, Store::new(self.dir.mailboxes.len())),
        };
        let throttle = Throttle::default();
        throttle.set_policy(self.settings.throttling.clone());
        static INSTANCES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        Arc::new(Tenant {
            instance: INSTANCES.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            dir: Arc::clone(&self.dir),
            store,
            journal: Journal::new(self.settings.journal_capacity),
            seed,
            expectations: Expectations::default(),
            faults: Faults::default(),
            throttle,
        })
    }

    /// The tenant of that name, created on first use; `None` if the name is invalid or the
    /// tenant limit is reached.
    pub(crate) fn tenant(&self, name: &str) -> Option<Arc<Tenant>> {
        if !valid_name(name) {
            return None;
        }
        let mut map = self.tenants.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(t) = map.get(name) {
            return Some(Arc::clone(t));
        }
        if map.len() >= MAX_TENANTS {
            return None;
        }
        let t = self.make(name, None);
        map.insert(name.to_string(), Arc::clone(&t));
        Some(t)
    }

    /// Brings back the tenants read from the state file, if any (once, at start).
    pub(crate) fn restore(&self) {
        let Some(file) = &self.settings.state else { return };
        let restored = file.take_loaded();
        let mut map = self.tenants.lock().unwrap_or_else(|p| p.into_inner());
        for t in restored {
            if map.len() >= MAX_TENANTS {
                tracing::warn!(tenant = %t.name, "the tenant limit is reached: tenant not restored");
                continue;
            }
            let tenant = self.make(&t.name, Some((t.seed, t.state)));
            map.insert(t.name, tenant);
        }
    }

    /// Puts a tenant back to the configured template: empty folders, journal, faults and
    /// expectations (it is made anew on next use).
    pub(crate) fn reset(&self, name: &str) {
        self.tenants.lock().unwrap_or_else(|p| p.into_inner()).remove(name);
    }

    /// Every live tenant with its name.
    pub(crate) fn tenants(&self) -> Vec<(String, Arc<Tenant>)> {
        let map = self.tenants.lock().unwrap_or_else(|p| p.into_inner());
        map.iter().map(|(k, v)| (k.clone(), Arc::clone(v))).collect()
    }
}

/// Tenant names are 1–64 characters of `[A-Za-z0-9._-]`.
pub(crate) fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}
