//! `TenantHandle`: inspection, expectations, faults and reset for one tenant of a running mock.

use std::sync::Arc;

use crate::control::{Expect, VerificationError};
use crate::faults::FaultRule;
use crate::inspect::StoredItem;
use crate::journal::JournalEntry;
use crate::runtime::{Shared, DEFAULT_TENANT};
use crate::store::FolderKind;

/// A handle on one tenant of a running mock: inspection, expectations, faults, reset.
#[derive(Debug, Clone)]
pub struct TenantHandle {
    pub(crate) shared: Arc<Shared>,
    pub(crate) name: String,
    pub(crate) uri: String,
}

impl TenantHandle {
    fn get(&self) -> Arc<crate::runtime::Tenant> {
        self.shared.tenant(&self.name).expect("ews-mock: the tenant limit is reached")
    }

    /// The tenant's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The tenant's EWS endpoint.
    pub fn ews_url(&self) -> String {
        if self.name == DEFAULT_TENANT {
            format!("{}/EWS/Exchange.asmx", self.uri)
        } else {
            format!("{}/t/{}/EWS/Exchange.asmx", self.uri, self.name)
        }
    }

    /// The items of a mailbox folder, oldest first.
    ///
    /// ```
    /// let mock = ews_mock::MockEws::start();
    /// let job = mock.tenant("job-2");
    /// assert!(job.items("chris@contoso.com", ews_mock::FolderKind::Inbox).is_empty());
    /// ```
    ///
    /// # Panics
    /// If the address names no mailbox of the tenant.
    pub fn items(&self, mailbox: &str, folder: FolderKind) -> Vec<StoredItem> {
        let tenant = self.get();
        let mb = tenant
            .dir
            .mailbox_by_smtp(mailbox)
            .unwrap_or_else(|| panic!("ews-mock: no mailbox {mailbox:?} in the tenant"));
        tenant.items(mb, folder)
    }

    /// The meeting requests in a mailbox's inbox.
    pub fn meeting_requests(&self, mailbox: &str) -> Vec<StoredItem> {
        let mut items = self.items(mailbox, FolderKind::Inbox);
        items.retain(|i| i.kind == crate::item::ItemKind::MeetingRequest);
        items
    }

    /// The journal, oldest first.
    pub fn received_requests(&self) -> Vec<JournalEntry> {
        self.get().journal.entries()
    }

    /// Adds an expectation, checked by [`verify`](Self::verify) and when the mock is dropped.
    ///
    /// ```
    /// use ews_mock::{Expect, MockEws};
    /// let mock = MockEws::start();
    /// let job = mock.tenant("job-3");
    /// job.expect(Expect::operation("CreateItem").never());
    /// assert!(job.verify().is_ok());
    /// ```
    pub fn expect(&self, expectation: Expect) {
        self.get().expectations.add(expectation);
    }

    /// Checks the expectations now.
    pub fn verify(&self) -> Result<(), VerificationError> {
        self.get().expectations.verify()
    }

    /// Adds a fault rule; returns its id.
    pub fn inject(&self, rule: FaultRule) -> u64 {
        self.get().faults.add(rule)
    }

    /// Removes a fault rule.
    pub fn remove_fault(&self, id: u64) -> bool {
        self.get().faults.remove(id)
    }

    /// Back to the configured state: empty folders, journal, faults and expectations.
    ///
    /// ```
    /// use ews_mock::{FaultAction, FaultRule, MockEws};
    /// let mock = MockEws::start();
    /// let job = mock.tenant("job-4");
    /// job.inject(FaultRule::new(FaultAction::Http503));
    /// job.reset();
    /// assert!(job.received_requests().is_empty());
    /// ```
    pub fn reset(&self) {
        self.shared.reset(&self.name);
    }
}
