//! The accept loop (mini-redis `server::run`): one task per connection, HTTP/1.1 keep-alive,
//! stopped by a shutdown future.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::runtime::{Settings, Shared};
use crate::tenant::{Directory, TenantConfig};
use crate::Error;

/// How long a client may take to send its request headers.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

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

    /// Refuses request bodies larger than this.
    pub fn max_body_bytes(mut self, bytes: usize) -> Server {
        self.settings.max_body_bytes = bytes;
        self
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
        run(listener, Arc::new(Shared::new(dir, settings)), shutdown).await;
    }
}

/// Serves `listener` until `shutdown` completes; open connections then finish their current
/// request and close.
pub(crate) async fn run(listener: TcpListener, shared: Arc<Shared>, shutdown: impl Future) {
    let (stop_tx, stop_rx) = watch::channel(false);
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
        let shared = Arc::clone(&shared);
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| {
                let shared = Arc::clone(&shared);
                async move { crate::http::serve(shared, req).await }
            });
            let conn = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT)
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
}
