//! The standalone `ews-mock` binary: a fake Exchange EWS endpoint on the demo tenant, or on a
//! tenant from `--config`. Prints one line with the endpoint URL once it accepts connections,
//! logs to stderr, and exits cleanly on SIGINT or SIGTERM (mini-redis `bin/server.rs`).

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use ews_mock::TenantConfig;

/// A fake Exchange EWS endpoint for calendar work under impersonation.
#[derive(Debug, Parser)]
#[command(name = "ews-mock", version, about)]
struct Args {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Tenant configuration (TOML); default: the embedded demo tenant.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Log level or filter for stderr: error, warn, info, debug, trace.
    #[arg(long, default_value = "info")]
    log_level: String,
    /// Largest request body accepted, in bytes (413 above it).
    #[arg(long, default_value_t = 16 << 20)]
    max_body_bytes: usize,
    /// Deepest XML element nesting accepted, at most 1024 (ErrorSchemaValidation above it).
    #[arg(long, default_value_t = 128)]
    max_xml_depth: usize,
    /// Most XML nodes one request may have (ErrorSchemaValidation above it).
    #[arg(long, default_value_t = 1_000_000)]
    max_xml_nodes: u32,
    /// Most attributes on one XML element, namespace declarations included (ErrorSchemaValidation above it).
    #[arg(long, default_value_t = 64)]
    max_xml_attributes: usize,
    /// Largest request head (request line and headers) in bytes, at least 8192 (431 above it).
    #[arg(long, default_value_t = 64 << 10)]
    max_header_bytes: usize,
    /// Milliseconds a client may take to send a request head; idle connections close after it.
    #[arg(long, default_value_t = 30_000)]
    header_read_timeout_ms: u64,
    /// Milliseconds a client may take to send a request body (408 after it).
    #[arg(long, default_value_t = 30_000)]
    body_read_timeout_ms: u64,
    /// Connections served at once; more are answered 503 and closed.
    #[arg(long, default_value_t = 1024)]
    max_connections: usize,
    /// Keep every tenant's items in this file across restarts (JSON, written atomically).
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,
    /// With --state: milliseconds between two writes of the state file at most (it is written
    /// only when something changed, and on clean shutdown).
    #[arg(long, default_value_t = 1000)]
    state_interval_ms: u64,
    /// Journal entries kept per tenant.
    #[arg(long, default_value_t = 1000)]
    journal_size: usize,
    /// Do not serve the admin API under /_mock/.
    #[arg(long)]
    no_admin: bool,
    /// Record in the journal every rule each request broke (schema rules, protocol advice), for
    /// `ews-conformance client-report`. Answers stay exactly as Exchange's.
    #[arg(long)]
    strict: bool,
    /// Require `Authorization: Bearer TOKEN` on the admin API.
    #[arg(long, value_name = "TOKEN")]
    admin_token: Option<String>,
}

fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let args = Args::parse();
    let filter = tracing_subscriber::EnvFilter::try_new(&args.log_level)
        .map_err(|e| format!("--log-level {:?}: {e}", args.log_level))?;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();

    let config = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
            TenantConfig::from_toml(&text).map_err(|e| format!("{}: {e}", path.display()))?
        }
        None => TenantConfig::demo(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .thread_stack_size(ews_mock::server::SERVER_STACK_BYTES)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener =
            tokio::net::TcpListener::bind(args.listen).await.map_err(|e| format!("binding {}: {e}", args.listen))?;
        let addr = listener.local_addr()?;
        let mut server = ews_mock::server::Server::new(config)?
            .max_body_bytes(args.max_body_bytes)
            .max_xml_depth(args.max_xml_depth)
            .max_xml_nodes(args.max_xml_nodes)
            .max_xml_attributes(args.max_xml_attributes)
            .max_header_bytes(args.max_header_bytes)
            .header_read_timeout(Duration::from_millis(args.header_read_timeout_ms))
            .body_read_timeout(Duration::from_millis(args.body_read_timeout_ms))
            .max_connections(args.max_connections)
            .journal_capacity(args.journal_size)
            .admin(!args.no_admin, args.admin_token.clone())
            .strict(args.strict);
        if let Some(path) = &args.state {
            server = server.state_file(path.clone(), Duration::from_millis(args.state_interval_ms))?;
        }
        let shutdown = shutdown_signal()?;
        let mut stdout = std::io::stdout();
        writeln!(stdout, "ews-mock listening on http://{addr}/EWS/Exchange.asmx")?;
        stdout.flush()?;
        tracing::info!(%addr, "ews-mock ready");
        server.run(listener, shutdown).await;
        tracing::info!("ews-mock stopped");
        Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
    })?;
    Ok(())
}

/// Resolves on SIGINT or SIGTERM. The handlers are installed when this is called, not when the
/// future is first polled, so a signal sent right after the ready line is never missed.
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut int = signal(SignalKind::interrupt())?;
        let mut term = signal(SignalKind::terminate())?;
        Ok(async move {
            tokio::select! {
                _ = int.recv() => {}
                _ = term.recv() => {}
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
        })
    }
}
