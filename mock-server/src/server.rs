//! The accept loop (mini-redis `server::run`): one task per connection, HTTP/1.1 keep-alive,
//! stopped by a shutdown future. A semaphore bounds the connections served at once.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Semaphore};

use crate::limits::MIN_HEADER_BYTES;
pub use crate::limits::SERVER_STACK_BYTES;
use crate::runtime::{Settings, Shared};
use crate::tenant::{Directory, TenantConfig};
use crate::Error;

/// A configured server, not yet listening: what the `ews-mock` binary runs.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
/// let server = ews_mock::server::Server::new(ews_mock::TenantConfig::demo())?;
/// server.run(listener, tokio::signal::ctrl_c()).await;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Server {
    config: TenantConfig,
    settings: Settings,
}

impl Server {
    /// A server for this tenant with default settings.
    pub fn new(config: TenantConfig) -> Result<Server, Error> {
        Directory::new(&config)?;
        Ok(Server { config, settings: Settings::default() })
    }

    /// Refuses request bodies larger than this (default 16 MiB; 413).
    pub fn max_body_bytes(mut self, bytes: usize) -> Server {
        self.settings.limits.max_body_bytes = bytes;
        self
    }

    /// Refuses XML nested deeper than this (default 128, at most 1024; ErrorSchemaValidation).
    pub fn max_xml_depth(mut self, depth: usize) -> Server {
        self.settings.limits.max_xml_depth = depth;
        self
    }

    /// Refuses requests with more XML nodes than this (default 1,000,000; ErrorSchemaValidation).
    pub fn max_xml_nodes(mut self, nodes: u32) -> Server {
        self.settings.limits.max_xml_nodes = nodes;
        self
    }

    /// Refuses elements with more attributes than this, namespace declarations included (default
    /// 64; ErrorSchemaValidation).
    pub fn max_xml_attributes(mut self, attributes: usize) -> Server {
        self.settings.limits.max_xml_attributes = attributes;
        self
    }

    /// Refuses request heads larger than this (default 64 KiB, at least 8 KiB; 431).
    pub fn max_header_bytes(mut self, bytes: usize) -> Server {
        self.settings.limits.max_header_bytes = bytes;
        self
    }

    /// Closes connections that take longer than this to send a request head, or sit idle this
    /// long (default 30 s).
    pub fn header_read_timeout(mut self, timeout: Duration) -> Server {
        self.settings.limits.header_read_timeout = timeout;
        self
    }

    /// Answers 408 when a request body takes longer than this to arrive (default 30 s).
    pub fn body_read_timeout(mut self, timeout: Duration) -> Server {
        self.settings.limits.body_read_timeout = timeout;
        self
    }

    /// Serves at most this many connections at once; more are answered 503 (default 1024).
    pub fn max_connections(mut self, connections: usize) -> Server {
        self.settings.limits.max_connections = connections;
        self
    }

    /// Keeps every tenant's items in this file across restarts, saved at most every `interval`
    /// and on clean shutdown; reads it now if it exists.
    ///
    /// # Errors
    /// If the file exists but cannot be read or is not a state file ews-mock wrote.
    pub fn state_file(mut self, path: impl Into<std::path::PathBuf>, interval: Duration) -> Result<Server, Error> {
        let dir = Directory::new(&self.config).expect("checked in Server::new");
        self.settings.state = Some(crate::persist::StateFile::open(path.into(), interval, &dir)?);
        Ok(self)
    }

    /// Keeps this many journal entries per tenant.
    pub fn journal_capacity(mut self, entries: usize) -> Server {
        self.settings.journal_capacity = entries;
        self
    }

    /// Serves the admin API with this bearer token required (`None`: open), or not at all.
    pub fn admin(mut self, enabled: bool, token: Option<String>) -> Server {
        self.settings.admin = enabled;
        self.settings.admin_token = token;
        self
    }

    /// Records the rules each request broke in the journal (`--strict`).
    pub fn strict(mut self, strict: bool) -> Server {
        self.settings.strict = strict;
        self
    }

    /// Serves `listener` until `shutdown` completes.
    pub async fn run(self, listener: TcpListener, shutdown: impl Future) {
        let dir = Directory::new(&self.config).expect("checked in Server::new");
        let mut settings = self.settings;
        settings.throttling = settings.throttling.or_else(|| self.config.throttling.clone());
        let shared = Shared::new(dir, settings);
        shared.restore();
        run(listener, Arc::new(shared), shutdown).await;
    }
}

/// Serves `listener` until `shutdown` completes; open connections then finish their current
/// request and close, and the state file (if any) is written a last time.
pub(crate) async fn run(listener: TcpListener, shared: Arc<Shared>, shutdown: impl Future) {
    let (stop_tx, stop_rx) = watch::channel(false);
    let limits = shared.settings.limits;
    // At least one; at most what `acquire_many` below can take at once.
    let max_connections = limits.max_connections.clamp(1, Semaphore::MAX_PERMITS.min(u32::MAX as usize));
    let slots = Arc::new(Semaphore::new(max_connections));
    let (saver_stop, saver_stop_rx) = tokio::sync::oneshot::channel::<()>();
    let saver = shared
        .settings
        .state
        .clone()
        .map(|state| tokio::spawn(crate::persist::saver(Arc::clone(&shared), state, saver_stop_rx)));
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = &mut shutdown => break,
        };
        let (stream, peer) = match accepted {
            Ok(pair) => pair,
            Err(e) => {
                // Out of file descriptors and the like: wait a little rather than spin.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
            tracing::warn!(%peer, max_connections, "too many connections: answered 503");
            tokio::spawn(refuse(stream));
            continue;
        };
        let shared = Arc::clone(&shared);
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let service = service_fn(move |req| {
                let shared = Arc::clone(&shared);
                async move { crate::http::serve(shared, req).await }
            });
            let conn = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_read_timeout)
                .max_header_size(limits.max_header_bytes.max(MIN_HEADER_BYTES))
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service);
            tokio::pin!(conn);
            tokio::select! {
                result = conn.as_mut() => {
                    if let Err(e) = result {
                        tracing::debug!(%peer, error = %e, "connection ended with an error");
                    }
                }
                _ = stop.changed() => {
                    conn.as_mut().graceful_shutdown();
                    let _ = tokio::time::timeout(Duration::from_secs(1), conn).await;
                }
            }
        });
    }
    let _ = stop_tx.send(true);
    if let Some(saver) = saver {
        // Every connection gives its slot back when it ends: once all are back, no request is
        // half-applied, and the last save holds everything that was acknowledged.
        let all = u32::try_from(max_connections).unwrap_or(u32::MAX);
        let _ = tokio::time::timeout(Duration::from_secs(2), slots.acquire_many(all)).await;
        let _ = saver_stop.send(());
        let _ = saver.await;
    }
}

/// Answers a connection over the limit with 503 and closes it, within a second whatever the
/// client does.
async fn refuse(mut stream: TcpStream) {
    const TEXT: &str = "ews-mock: too many connections at once (ews-mock --max-connections); try again.\n";
    let head = format!(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nRetry-After: 1\r\nConnection: close\r\n\r\n{TEXT}",
        TEXT.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        stream.write_all(head.as_bytes()).await?;
        stream.shutdown().await?;
        // Read what the client sent, so closing does not reset the connection before it has
        // read the answer.
        let mut sink = [0u8; 1024];
        while stream.read(&mut sink).await? > 0 {}
        Ok::<_, std::io::Error>(())
    })
    .await;
}
