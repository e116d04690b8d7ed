//! The bare server (the physical limit: hyper reading the body and answering a fixed 1.3 KB SOAP
//! response) and per-thread CPU accounting.
//!
//! The bare server runs exactly as `MockEws` runs ews-mock: its own thread, a current-thread
//! tokio runtime, hyper's HTTP/1.1 connection with keep-alive, `TCP_NODELAY`. So the two are
//! compared under the same runtime conditions, and each server's CPU is that of one thread.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::thread::JoinHandle;
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::sync::oneshot;

use crate::soap::BARE_RESPONSE;

/// The bare server, stopped on drop.
pub struct Bare {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its thread id (for CPU accounting).
    pub tid: u32,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

async fn answer(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    // Read the whole body, as ews-mock does, then answer the fixed response.
    let _ = req.into_body().collect().await;
    let mut r = Response::new(Full::new(Bytes::from_static(BARE_RESPONSE.as_bytes())));
    r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/xml; charset=utf-8"));
    Ok(r)
}

impl Bare {
    /// Starts the bare server on 127.0.0.1, port chosen by the OS.
    pub fn start() -> Bare {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binding the bare server");
        listener.set_nonblocking(true).expect("non-blocking listener");
        let addr = listener.local_addr().expect("bound address");
        let (stop_tx, mut stop_rx) = oneshot::channel::<()>();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<u32>();
        let thread = std::thread::Builder::new()
            .name("bare-server".into())
            .spawn(move || {
                let _ = ready_tx.send(current_tid());
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
                rt.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
                    loop {
                        let stream = tokio::select! {
                            accepted = listener.accept() => match accepted { Ok((s, _)) => s, Err(_) => continue },
                            _ = &mut stop_rx => break,
                        };
                        let _ = stream.set_nodelay(true);
                        tokio::spawn(async move {
                            let _ = http1::Builder::new()
                                .timer(TokioTimer::new())
                                .header_read_timeout(Duration::from_secs(30))
                                .keep_alive(true)
                                .serve_connection(TokioIo::new(stream), service_fn(answer))
                                .await;
                        });
                    }
                });
            })
            .expect("spawning the bare server");
        let tid = ready_rx.recv().expect("the bare server thread started");
        Bare { addr, tid, stop: Some(stop_tx), thread: Some(thread) }
    }
}

impl Drop for Bare {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The calling thread's kernel thread id.
pub fn current_tid() -> u32 {
    // /proc/thread-self links to /proc/<pid>/task/<tid>.
    std::fs::read_link("/proc/thread-self")
        .ok()
        .and_then(|p| p.file_name().and_then(|n| n.to_str()).and_then(|n| n.parse().ok()))
        .unwrap_or(0)
}

/// The thread of this process whose name starts with `prefix` (the newest if several).
pub fn find_thread(prefix: &str) -> Option<u32> {
    let mut found = None;
    for entry in std::fs::read_dir("/proc/self/task").ok()?.flatten() {
        let tid: u32 = entry.file_name().to_str()?.parse().ok()?;
        let comm = std::fs::read_to_string(entry.path().join("comm")).unwrap_or_default();
        if comm.starts_with(prefix) && found.is_none_or(|f| tid > f) {
            found = Some(tid);
        }
    }
    found
}

/// CPU time a thread of this process has used so far (`schedstat`: nanoseconds on CPU).
pub fn thread_cpu(tid: u32) -> Duration {
    let text = std::fs::read_to_string(format!("/proc/self/task/{tid}/schedstat")).unwrap_or_default();
    let ns = text.split_whitespace().next().and_then(|n| n.parse::<u64>().ok()).unwrap_or(0);
    Duration::from_nanos(ns)
}

/// A process's resident memory in bytes (`VmRSS`), `pid` or `self`.
pub fn rss_bytes(pid: &str) -> u64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// How many file descriptors a process has open.
pub fn open_fds(pid: &str) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count())
}
