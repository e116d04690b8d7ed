//! `MockEws`: the in-process mock for Rust tests (wiremock-rs style).
//!
//! The server runs on its own thread with a current-thread runtime, so it works under any tokio
//! test flavour, or without tokio at all. `start()` returns once the server accepts
//! connections; dropping the handle stops it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;

use tokio::sync::oneshot;

use crate::clock::Clock;
use crate::control::{Expect, VerificationError};
use crate::faults::FaultRule;
use crate::handle::TenantHandle;
use crate::inspect::StoredItem;
use crate::journal::JournalEntry;
use crate::profile::ServerProfile;
use crate::runtime::{Settings, Shared, DEFAULT_TENANT};
use crate::store::FolderKind;
use crate::tenant::{Directory, TenantConfig};
use crate::throttle::ThrottlingPolicy;
use crate::Error;

/// A running mock Exchange server.
///
/// ```
/// let mock = ews_mock::MockEws::start();
/// assert!(mock.ews_url().ends_with("/EWS/Exchange.asmx"));
/// ```
pub struct MockEws {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

/// Builds a [`MockEws`] with a tenant, clock and id seed of your choice.
///
/// ```
/// use ews_mock::{Clock, MockEws, TenantConfig};
/// let mock = MockEws::builder()
///     .tenant(TenantConfig::demo())
///     .clock(Clock::fixed("2026-01-05T09:00:00Z".parse().unwrap()))
///     .id_seed(7)
///     .start()
///     .unwrap();
/// assert!(mock.uri().starts_with("http://127.0.0.1:"));
/// ```
#[derive(Debug, Clone)]
pub struct MockEwsBuilder {
    config: TenantConfig,
    settings: Settings,
    listen: SocketAddr,
    state: Option<(std::path::PathBuf, std::time::Duration)>,
}

impl Default for MockEwsBuilder {
    fn default() -> Self {
        MockEwsBuilder {
            config: TenantConfig::demo(),
            settings: Settings::default(),
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            state: None,
        }
    }
}

impl MockEwsBuilder {
    /// Serves this tenant instead of the demo tenant.
    pub fn tenant(mut self, config: TenantConfig) -> Self {
        self.config = config;
        self
    }

    /// Uses this clock for every time stamp.
    pub fn clock(mut self, clock: Clock) -> Self {
        self.settings.clock = clock;
        self
    }

    /// Seeds item ids and ChangeKeys, for reproducible output.
    pub fn id_seed(mut self, seed: u64) -> Self {
        self.settings.id_seed = seed;
        self
    }

    /// Keeps this many journal entries per tenant (default 1,000).
    pub fn journal_capacity(mut self, entries: usize) -> Self {
        self.settings.journal_capacity = entries;
        self
    }

    /// Refuses request bodies larger than this (default 16 MiB; 413 with a fault).
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.settings.limits.max_body_bytes = bytes;
        self
    }

    /// Refuses XML nested deeper than this (default 128, at most 1024; ErrorSchemaValidation).
    pub fn max_xml_depth(mut self, depth: usize) -> Self {
        self.settings.limits.max_xml_depth = depth;
        self
    }

    /// Refuses requests with more XML nodes than this (default 1,000,000; ErrorSchemaValidation).
    pub fn max_xml_nodes(mut self, nodes: u32) -> Self {
        self.settings.limits.max_xml_nodes = nodes;
        self
    }

    /// Refuses elements with more attributes than this, namespace declarations included (default
    /// 64; ErrorSchemaValidation).
    pub fn max_xml_attributes(mut self, attributes: usize) -> Self {
        self.settings.limits.max_xml_attributes = attributes;
        self
    }

    /// Refuses request heads larger than this (default 64 KiB, at least 8 KiB; 431).
    pub fn max_header_bytes(mut self, bytes: usize) -> Self {
        self.settings.limits.max_header_bytes = bytes;
        self
    }

    /// Closes connections that take longer than this to send a request head, or sit idle this
    /// long (default 30 s).
    pub fn header_read_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.settings.limits.header_read_timeout = timeout;
        self
    }

    /// Answers 408 when a request body takes longer than this to arrive (default 30 s).
    pub fn body_read_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.settings.limits.body_read_timeout = timeout;
        self
    }

    /// Serves at most this many connections at once; more are answered 503 (default 1024).
    pub fn max_connections(mut self, connections: usize) -> Self {
        self.settings.limits.max_connections = connections;
        self
    }

    /// Keeps every tenant's items in this file across restarts: read at [`start`](Self::start),
    /// saved at most every `interval` when something changed, and when the mock is dropped.
    pub fn state_file(mut self, path: impl Into<std::path::PathBuf>, interval: std::time::Duration) -> Self {
        self.state = Some((path.into(), interval));
        self
    }

    /// Answers as this Exchange release (ServerVersionInfo, accepted RequestServerVersion values).
    pub fn profile(mut self, profile: ServerProfile) -> Self {
        self.config.profile = profile;
        self
    }

    /// Throttles each caller with this budget.
    pub fn throttling(mut self, policy: ThrottlingPolicy) -> Self {
        self.settings.throttling = Some(policy);
        self
    }

    /// Requires `Authorization: Bearer {token}` on the admin API.
    pub fn admin_token(mut self, token: impl Into<String>) -> Self {
        self.settings.admin_token = Some(token.into());
        self
    }

    /// Records in the journal every rule each request broke (`JournalEntry::violations`), to
    /// report on the client under test. Answers stay exactly as Exchange's.
    pub fn strict(mut self) -> Self {
        self.settings.strict = true;
        self
    }

    /// Turns the admin API under `/_mock/` off.
    pub fn without_admin(mut self) -> Self {
        self.settings.admin = false;
        self
    }

    /// Listens on this address instead of `127.0.0.1:0`.
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }

    /// Starts the server; it accepts connections when this returns.
    pub fn start(self) -> Result<MockEws, Error> {
        let dir = Directory::new(&self.config)?;
        let mut settings = self.settings;
        if settings.throttling.is_none() {
            settings.throttling = self.config.throttling.clone();
        }
        if let Some((path, interval)) = self.state {
            settings.state = Some(crate::persist::StateFile::open(path, interval, &dir)?);
        }
        let shared = Shared::new(dir, settings);
        shared.restore();
        let shared = Arc::new(shared);
        let std_listener = std::net::TcpListener::bind(self.listen)
            .map_err(|source| Error::Io { context: format!("binding {}", self.listen), source })?;
        std_listener
            .set_nonblocking(true)
            .map_err(|source| Error::Io { context: "configuring the listener".into(), source })?;
        let addr = std_listener
            .local_addr()
            .map_err(|source| Error::Io { context: "reading the bound address".into(), source })?;
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<(), std::io::Error>>();
        let server_shared = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name(format!("ews-mock {addr}"))
            .stack_size(crate::limits::SERVER_STACK_BYTES)
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                runtime.block_on(async move {
                    let listener = match tokio::net::TcpListener::from_std(std_listener) {
                        Ok(l) => l,
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                            return;
                        }
                    };
                    let _ = ready_tx.send(Ok(()));
                    crate::server::run(listener, server_shared, stop_rx).await;
                });
            })
            .map_err(|source| Error::Io { context: "spawning the server thread".into(), source })?;
        match ready_rx.recv() {
            Ok(Ok(())) => {}
            Ok(Err(source)) => return Err(Error::Io { context: "starting the server runtime".into(), source }),
            Err(_) => {
                return Err(Error::Io {
                    context: "starting the server".into(),
                    source: std::io::Error::other("the server thread ended before it was ready"),
                })
            }
        }
        Ok(MockEws { addr, shared, stop: Some(stop_tx), thread: Some(thread) })
    }
}

impl MockEws {
    /// Starts a mock serving the demo tenant on `127.0.0.1`, port chosen by the OS.
    ///
    /// # Panics
    /// If the server cannot start (no free port, no threads): a test cannot go on without it.
    pub fn start() -> MockEws {
        MockEws::builder().start().expect("ews-mock: the in-process server failed to start")
    }

    /// A builder for a custom tenant, clock or seed.
    pub fn builder() -> MockEwsBuilder {
        MockEwsBuilder::default()
    }

    /// The bound address.
    pub fn address(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`.
    pub fn uri(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The EWS endpoint, `http://127.0.0.1:PORT/EWS/Exchange.asmx`.
    pub fn ews_url(&self) -> String {
        format!("{}/EWS/Exchange.asmx", self.uri())
    }

    /// The default tenant (served on the plain paths).
    pub fn default_tenant(&self) -> TenantHandle {
        self.tenant(DEFAULT_TENANT)
    }

    /// A named tenant, served at `/t/{name}/EWS/Exchange.asmx`, created on first use.
    ///
    /// ```
    /// let mock = ews_mock::MockEws::start();
    /// let job = mock.tenant("job-1");
    /// assert!(job.ews_url().ends_with("/t/job-1/EWS/Exchange.asmx"));
    /// ```
    ///
    /// # Panics
    /// If the name is not 1–64 of `A-Z a-z 0-9 . _ -`.
    pub fn tenant(&self, name: &str) -> TenantHandle {
        assert!(crate::runtime::valid_name(name), "ews-mock: invalid tenant name {name:?}");
        TenantHandle { shared: Arc::clone(&self.shared), name: name.to_string(), uri: self.uri() }
    }

    /// The items of a mailbox folder in the default tenant, oldest first.
    ///
    /// ```
    /// use ews_mock::{FolderKind, MockEws};
    /// let mock = MockEws::start();
    /// assert!(mock.items("alfred@contoso.com", FolderKind::Calendar).is_empty());
    /// ```
    ///
    /// # Panics
    /// If the address names no mailbox of the tenant: that is a mistake in the test.
    pub fn items(&self, mailbox: &str, folder: FolderKind) -> Vec<StoredItem> {
        self.default_tenant().items(mailbox, folder)
    }

    /// The meeting requests delivered to a mailbox's inbox.
    ///
    /// ```
    /// let mock = ews_mock::MockEws::start();
    /// assert!(mock.meeting_requests("chris@contoso.com").is_empty());
    /// ```
    pub fn meeting_requests(&self, mailbox: &str) -> Vec<StoredItem> {
        self.default_tenant().meeting_requests(mailbox)
    }

    /// The default tenant's journal, oldest first: operation, caller, acting-as mailbox, HTTP
    /// status, response code, duration, request and response XML.
    ///
    /// ```
    /// let mock = ews_mock::MockEws::start();
    /// assert!(mock.received_requests().is_empty());
    /// ```
    pub fn received_requests(&self) -> Vec<JournalEntry> {
        self.default_tenant().received_requests()
    }

    /// Adds an expectation to the default tenant, checked by [`verify`](Self::verify) and on drop.
    ///
    /// ```
    /// use ews_mock::{Expect, MockEws};
    /// let mock = MockEws::start();
    /// mock.expect(Expect::any().acting_as("chris@contoso.com").never());
    /// mock.verify().unwrap();
    /// ```
    pub fn expect(&self, expectation: Expect) {
        self.default_tenant().expect(expectation);
    }

    /// Checks the default tenant's expectations now.
    pub fn verify(&self) -> Result<(), VerificationError> {
        self.default_tenant().verify()
    }

    /// Adds a fault rule to the default tenant; returns its id.
    ///
    /// ```
    /// use ews_mock::{FaultAction, FaultRule, MockEws};
    /// let mock = MockEws::start();
    /// let id = mock.inject(FaultRule::new(FaultAction::ServerBusyFault { back_off_ms: 100 }).times(2));
    /// assert!(mock.remove_fault(id));
    /// ```
    pub fn inject(&self, rule: FaultRule) -> u64 {
        self.default_tenant().inject(rule)
    }

    /// Removes a fault rule by id.
    pub fn remove_fault(&self, id: u64) -> bool {
        self.default_tenant().remove_fault(id)
    }

    /// Puts the default tenant back to its configured state: empty folders, journal, faults and
    /// expectations.
    ///
    /// ```
    /// use ews_mock::{Expect, MockEws};
    /// let mock = MockEws::start();
    /// mock.expect(Expect::operation("CreateItem").times(1));
    /// mock.reset(); // the unmet expectation is gone, so dropping the mock does not panic
    /// ```
    pub fn reset(&self) {
        self.default_tenant().reset();
    }
}

impl Drop for MockEws {
    /// Verifies every tenant's expectations, then stops the server. A failed verification
    /// panics with the report, unless the thread is already panicking (no double panic).
    fn drop(&mut self) {
        let failures: Vec<String> = self
            .shared
            .tenants()
            .into_iter()
            .filter_map(|(name, t)| t.expectations.verify().err().map(|e| format!("tenant {name}: {e}")))
            .collect();
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        if !failures.is_empty() && !std::thread::panicking() {
            panic!("{}", failures.join("\n"));
        }
    }
}

impl std::fmt::Debug for MockEws {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockEws").field("addr", &self.addr).finish_non_exhaustive()
    }
}
