//! The load generator: keep-alive HTTP/1.1 connections (hyper's client connection, no pool) on
//! loopback, driven for a bounded time, with every request's latency recorded.
//!
//! [`Conn`] is one connection that reconnects after the server closes it (an injected reset);
//! [`run_fixed`] drives N of them with requests from a factory and returns the figures.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE, HOST};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// One request to send.
#[derive(Debug, Clone)]
pub struct Req {
    /// GET, POST or DELETE.
    pub method: Method,
    /// The path, e.g. `/EWS/Exchange.asmx`.
    pub path: String,
    /// The `Authorization` header, if any.
    pub auth: Option<HeaderValue>,
    /// The body (empty for GET).
    pub body: Bytes,
}

impl Req {
    /// A SOAP POST to the EWS path.
    pub fn ews(auth: Option<HeaderValue>, body: Bytes) -> Req {
        Req { method: Method::POST, path: "/EWS/Exchange.asmx".into(), auth, body }
    }

    /// An admin call without a body.
    pub fn admin(method: Method, path: &str) -> Req {
        Req { method, path: path.into(), auth: None, body: Bytes::new() }
    }
}

/// An answer: status, body, and how long it took from send to the last body byte.
#[derive(Debug)]
pub struct Answer {
    /// HTTP status.
    pub status: StatusCode,
    /// The whole body.
    pub body: Bytes,
    /// Send to last byte.
    pub latency: Duration,
}

/// A keep-alive connection that reconnects when the server has closed it.
pub struct Conn {
    addr: SocketAddr,
    sender: Option<SendRequest<Full<Bytes>>>,
    /// How many times this connection was (re)opened.
    pub connects: u64,
}

impl Conn {
    /// Opens a connection.
    pub async fn open(addr: SocketAddr) -> std::io::Result<Conn> {
        let mut conn = Conn { addr, sender: None, connects: 0 };
        conn.connect().await?;
        Ok(conn)
    }

    async fn connect(&mut self) -> std::io::Result<()> {
        let stream = TcpStream::connect(self.addr).await?;
        stream.set_nodelay(true)?;
        let (sender, connection) = http1::handshake(TokioIo::new(stream)).await.map_err(std::io::Error::other)?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        self.sender = Some(sender);
        self.connects += 1;
        Ok(())
    }

    /// Sends one request and reads the whole answer. A transport error (the server closed the
    /// connection) is returned, and the next call reconnects.
    pub async fn send(&mut self, req: &Req) -> Result<Answer, String> {
        if self.sender.as_ref().is_none_or(|s| s.is_closed()) {
            self.connect().await.map_err(|e| format!("connect: {e}"))?;
        }
        let sender = self.sender.as_mut().expect("connected just above");
        sender.ready().await.map_err(|e| format!("ready: {e}"))?;
        let mut builder = Request::builder()
            .method(req.method.clone())
            .uri(req.path.as_str())
            .header(HOST, "127.0.0.1")
            .header(CONTENT_TYPE, "text/xml; charset=utf-8");
        if let Some(auth) = &req.auth {
            builder = builder.header(AUTHORIZATION, auth.clone());
        }
        let request = builder.body(Full::new(req.body.clone())).map_err(|e| e.to_string())?;
        let started = Instant::now();
        let result = async {
            let response = sender.send_request(request).await.map_err(|e| format!("send: {e}"))?;
            let status = response.status();
            let body = response.into_body().collect().await.map_err(|e| format!("body: {e}"))?.to_bytes();
            Ok::<_, String>((status, body))
        }
        .await;
        match result {
            Ok((status, body)) => Ok(Answer { status, body, latency: started.elapsed() }),
            Err(e) => {
                self.sender = None;
                Err(e)
            }
        }
    }
}

/// What a fixed-request run measured.
#[derive(Debug, Clone, Default)]
pub struct LoadResult {
    /// Answers with the expected status.
    pub ok: u64,
    /// Other statuses and transport errors.
    pub errors: u64,
    /// Wall time of the run.
    pub elapsed: Duration,
    /// Latencies of the good answers, in microseconds, sorted.
    pub latencies_us: Vec<u32>,
}

impl LoadResult {
    /// Good answers per second.
    pub fn rps(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64()
    }

    /// The latency at quantile `q` (0..=1), in microseconds.
    pub fn quantile_us(&self, q: f64) -> u32 {
        if self.latencies_us.is_empty() {
            return 0;
        }
        let i = ((self.latencies_us.len() - 1) as f64 * q).round() as usize;
        self.latencies_us[i]
    }
}

/// Drives `connections` keep-alive connections for `duration`, each sending `make(n)` for a
/// global request counter `n`, and counts answers with status `expect`.
pub async fn run_fixed(
    addr: SocketAddr,
    connections: usize,
    duration: Duration,
    expect: StatusCode,
    make: Arc<dyn Fn(u64) -> Req + Send + Sync>,
) -> LoadResult {
    let counter = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..connections {
        let make = Arc::clone(&make);
        let counter = Arc::clone(&counter);
        tasks.spawn(async move {
            let mut out = LoadResult::default();
            let Ok(mut conn) = Conn::open(addr).await else {
                out.errors += 1;
                return out;
            };
            while Instant::now() < deadline {
                let req = make(counter.fetch_add(1, Ordering::Relaxed));
                match conn.send(&req).await {
                    Ok(a) if a.status == expect => {
                        out.ok += 1;
                        out.latencies_us.push(a.latency.as_micros().min(u32::MAX as u128) as u32);
                    }
                    _ => out.errors += 1,
                }
            }
            out
        });
    }
    let mut total = LoadResult::default();
    while let Some(joined) = tasks.join_next().await {
        let part = joined.expect("a load task panicked");
        total.ok += part.ok;
        total.errors += part.errors;
        total.latencies_us.extend(part.latencies_us);
    }
    total.elapsed = started.elapsed();
    total.latencies_us.sort_unstable();
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_come_from_the_sorted_latencies() {
        let r = LoadResult { ok: 100, latencies_us: (1..=100).collect(), ..LoadResult::default() };
        assert_eq!((r.quantile_us(0.0), r.quantile_us(0.5), r.quantile_us(0.99), r.quantile_us(1.0)), (1, 51, 99, 100));
    }

    #[test]
    fn a_run_against_a_server_counts_every_answer() {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        let bare = crate::servers::Bare::start();
        let make: Arc<dyn Fn(u64) -> Req + Send + Sync> = Arc::new(|_| Req::ews(None, Bytes::from_static(b"<x/>")));
        let r = rt.block_on(run_fixed(bare.addr, 2, Duration::from_millis(200), StatusCode::OK, make));
        assert!(r.ok > 0 && r.errors == 0, "{} ok, {} errors", r.ok, r.errors);
        assert_eq!(r.latencies_us.len() as u64, r.ok);
    }
}
