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
use crate::item::{ItemFields, ItemKind, ServerFields};
use crate::journal::JournalEntry;
use crate::runtime::{Settings, Shared, DEFAULT_TENANT};
use crate::store::FolderKind;
use crate::tenant::{Directory, TenantConfig};
use crate::{ids, Error};

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
}

impl Default for MockEwsBuilder {
    fn default() -> Self {
        MockEwsBuilder {
            config: TenantConfig::demo(),
            settings: Settings::default(),
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
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

    /// Refuses request bodies larger than this (default 16 MiB).
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.settings.max_body_bytes = bytes;
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
        let shared = Arc::new(Shared::new(dir, self.settings));
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

/// An item as stored in a mailbox folder, for assertions in tests.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StoredItem {
    /// The EWS item id.
    pub id: String,
    /// The current ChangeKey.
    pub change_key: String,
    /// CalendarItem, MeetingRequest, …
    pub kind: ItemKind,
    /// The folder it is in.
    pub folder: FolderKind,
    /// The organizer's primary address, for calendar items and meeting messages.
    pub organizer: Option<String>,
    /// Client-set fields.
    pub fields: ItemFields,
    /// Server-set fields.
    pub server: ServerFields,
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
        self.tenant_items(DEFAULT_TENANT, mailbox, folder)
    }

    /// The items of a mailbox folder in a named tenant (`/t/{tenant}/…`).
    ///
    /// # Panics
    /// If the tenant name is invalid or the address names no mailbox.
    pub fn tenant_items(&self, tenant: &str, mailbox: &str, folder: FolderKind) -> Vec<StoredItem> {
        let tenant = self.shared.tenant(tenant).expect("ews-mock: invalid tenant name");
        let dir = &tenant.dir;
        let mb =
            dir.mailbox_by_smtp(mailbox).unwrap_or_else(|| panic!("ews-mock: no mailbox {mailbox:?} in the tenant"));
        let state = tenant.store.lock();
        state
            .folder(mb, folder)
            .filter_map(|key| state.get(key).map(|item| (key, item)))
            .map(|(key, item)| StoredItem {
                id: ids::item_id(&dir.mailbox(item.mailbox).guid, key, tenant.seed),
                change_key: crate::ops::change_key(item, tenant.seed),
                kind: item.kind,
                folder: item.folder,
                organizer: item.server.organizer.map(|o| dir.mailbox(o).smtp.clone()),
                fields: item.fields.clone(),
                server: item.server.clone(),
            })
            .collect()
    }

    /// The journal of the default tenant, oldest first.
    pub fn received_requests(&self) -> Vec<JournalEntry> {
        self.shared.tenant(DEFAULT_TENANT).map(|t| t.journal.entries()).unwrap_or_default()
    }
}

impl Drop for MockEws {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl std::fmt::Debug for MockEws {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockEws").field("addr", &self.addr).finish_non_exhaustive()
    }
}
