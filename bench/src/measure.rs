//! The four measurements: throughput and latency (bare vs ews-mock, alternating), memory per
//! stored item, start-up time, and the client's `create_in_each` rate.

use std::io::BufRead;
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ews_client::{Appointment, ConnectingSid, Service};
use ews_mock::{MockEws, TenantConfig};
use hyper::StatusCode;
use serde::Serialize;

use crate::load::{run_fixed, Conn, LoadResult, Req};
use crate::servers::{find_thread, rss_bytes, thread_cpu, Bare};
use crate::soap;

/// One server's figures over all its rounds.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Side {
    /// Good answers per second (all rounds together).
    pub rps: f64,
    /// Median latency, µs.
    pub p50_us: u32,
    /// 99th percentile latency, µs.
    pub p99_us: u32,
    /// Server thread CPU per answered request, µs.
    pub cpu_us_per_req: f64,
    /// Answers that were not 200, and transport errors.
    pub errors: u64,
    /// req/s of each round.
    pub rounds_rps: Vec<f64>,
}

/// Throughput and latency, bare vs ews-mock.
#[derive(Debug, Clone, Serialize)]
pub struct Throughput {
    /// Keep-alive connections.
    pub connections: usize,
    /// Seconds per round per server.
    pub round_secs: f64,
    /// The bare hyper server.
    pub bare: Side,
    /// ews-mock answering the seed's CreateItem.
    pub mock: Side,
    /// mock req/s ÷ bare req/s.
    pub ratio: f64,
    /// mock p99 ÷ bare p99.
    pub p99_ratio: f64,
    /// Items the mock's tenant held at the end (every CreateItem stores one).
    pub mock_items_stored: u64,
    /// Size of the mock's answer to the seed CreateItem, bytes.
    pub mock_response_bytes: usize,
    /// Size of the bare answer, bytes.
    pub bare_response_bytes: usize,
}

struct Acc {
    result: LoadResult,
    cpu: Duration,
    rounds: Vec<f64>,
}

impl Acc {
    fn new() -> Acc {
        Acc { result: LoadResult::default(), cpu: Duration::ZERO, rounds: Vec::new() }
    }

    fn add(&mut self, r: LoadResult, cpu: Duration) {
        self.rounds.push(r.rps());
        self.result.ok += r.ok;
        self.result.errors += r.errors;
        self.result.elapsed += r.elapsed;
        self.result.latencies_us.extend(r.latencies_us);
        self.cpu += cpu;
    }

    fn side(mut self) -> Side {
        self.result.latencies_us.sort_unstable();
        Side {
            rps: self.result.rps(),
            p50_us: self.result.quantile_us(0.50),
            p99_us: self.result.quantile_us(0.99),
            cpu_us_per_req: self.cpu.as_secs_f64() * 1e6 / self.result.ok.max(1) as f64,
            errors: self.result.errors,
            rounds_rps: self.rounds,
        }
    }
}

async fn measured(
    addr: SocketAddr,
    tid: u32,
    conns: usize,
    secs: f64,
    make: Arc<dyn Fn(u64) -> Req + Send + Sync>,
) -> (LoadResult, Duration) {
    let before = thread_cpu(tid);
    let r = run_fixed(addr, conns, Duration::from_secs_f64(secs), StatusCode::OK, make).await;
    (r, thread_cpu(tid) - before)
}

/// Runs `rounds` rounds of bare then ews-mock, `secs` each, over `conns` connections.
pub async fn throughput(rounds: usize, secs: f64, conns: usize, mailboxes: usize) -> Throughput {
    let bare = Bare::start();
    let mock = MockEws::builder().tenant(soap::tenant(mailboxes)).start().expect("starting ews-mock");
    let mock_tid = find_thread("ews-mock").expect("the ews-mock server thread");
    let auth = soap::basic_auth();
    let bodies: Arc<Vec<_>> = Arc::new((0..mailboxes).map(|i| soap::create_item(&soap::mailbox(i), 1)).collect());
    let bare_make: Arc<dyn Fn(u64) -> Req + Send + Sync> = {
        let (auth, bodies) = (auth.clone(), Arc::clone(&bodies));
        Arc::new(move |n| Req::ews(Some(auth.clone()), bodies[n as usize % bodies.len()].clone()))
    };
    let mock_make = Arc::clone(&bare_make);
    let sample = Conn::open(mock.address()).await.expect("connecting").send(&bare_make(0)).await.expect("sample");
    let (mut b, mut m) = (Acc::new(), Acc::new());
    // Warm-up: connections, allocator, branch predictors.
    let _ = measured(bare.addr, bare.tid, conns, 0.5, Arc::clone(&bare_make)).await;
    let _ = measured(mock.address(), mock_tid, conns, 0.5, Arc::clone(&mock_make)).await;
    for round in 0..rounds {
        let (r, cpu) = measured(bare.addr, bare.tid, conns, secs, Arc::clone(&bare_make)).await;
        eprintln!("  round {}: bare     {:>8.0} req/s", round + 1, r.rps());
        b.add(r, cpu);
        let (r, cpu) = measured(mock.address(), mock_tid, conns, secs, Arc::clone(&mock_make)).await;
        eprintln!("  round {}: ews-mock {:>8.0} req/s", round + 1, r.rps());
        m.add(r, cpu);
    }
    let items = admin_items(mock.address()).await;
    let (bare, mock) = (b.side(), m.side());
    Throughput {
        connections: conns,
        round_secs: secs,
        ratio: mock.rps / bare.rps,
        p99_ratio: mock.p99_us as f64 / bare.p99_us.max(1) as f64,
        bare,
        mock,
        mock_items_stored: items,
        mock_response_bytes: sample.body.len(),
        bare_response_bytes: soap::BARE_RESPONSE.len(),
    }
}

/// Sends exactly `n` seed CreateItems (rotating over 1,000 mailboxes) on one connection to an
/// in-process ews-mock.
/// With `bare`, sends them to the bare server instead.
pub async fn profile(n: u64, bare: bool) {
    let (mock, bare) = if bare {
        (None, Some(Bare::start()))
    } else {
        (Some(MockEws::builder().tenant(soap::tenant(1000)).start().expect("starting ews-mock")), None)
    };
    let addr = mock.as_ref().map_or_else(|| bare.as_ref().expect("one of the two").addr, MockEws::address);
    let auth = soap::basic_auth();
    let bodies: Vec<_> = (0..1000).map(|i| soap::create_item(&soap::mailbox(i), 1)).collect();
    let mut conn = Conn::open(addr).await.expect("connecting");
    for i in 0..n {
        let a = conn.send(&Req::ews(Some(auth.clone()), bodies[i as usize % 1000].clone())).await.expect("answered");
        assert_eq!(a.status, StatusCode::OK);
    }
    eprintln!("profile: {n} CreateItems answered");
}

/// The tenant's item count from `GET /_mock/health`.
pub async fn admin_items(addr: SocketAddr) -> u64 {
    let Ok(mut conn) = Conn::open(addr).await else { return 0 };
    let Ok(a) = conn.send(&Req::admin(hyper::Method::GET, "/_mock/health")).await else { return 0 };
    serde_json::from_slice::<serde_json::Value>(&a.body).ok().and_then(|v| v["items"].as_u64()).unwrap_or(0)
}

/// Memory per stored item.
#[derive(Debug, Clone, Serialize)]
pub struct Memory {
    /// Items stored.
    pub items: u64,
    /// Mailboxes they are spread over.
    pub mailboxes: usize,
    /// Process RSS before, bytes.
    pub rss_before: u64,
    /// Process RSS after, bytes.
    pub rss_after: u64,
    /// (after − before) ÷ items.
    pub bytes_per_item: f64,
    /// Text bytes per item (Subject, Body, Location, MeetingTimeZone).
    pub text_bytes_per_item: usize,
    /// bytes_per_item − text.
    pub overhead_per_item: f64,
    /// Storing rate through HTTP, items/s.
    pub items_per_sec: f64,
}

/// Stores `items` seed appointments over `mailboxes` mailboxes through HTTP, 100 per CreateItem,
/// with the journal off so only the items are measured.
pub async fn memory(items: u64, mailboxes: usize) -> Memory {
    let mock = MockEws::builder().tenant(soap::tenant(mailboxes)).journal_capacity(0).start().expect("mock");
    let addr = mock.address();
    let auth = soap::basic_auth();
    let bodies: Arc<Vec<_>> = Arc::new((0..mailboxes).map(|i| soap::create_item(&soap::mailbox(i), 100)).collect());
    let requests = items.div_ceil(100);
    // One small request first, so the connection machinery is already resident.
    let mut warm = Conn::open(addr).await.expect("connecting");
    let _ = warm.send(&Req::admin(hyper::Method::GET, "/_mock/health")).await;
    drop(warm);
    let rss_before = rss_bytes("self");
    let started = Instant::now();
    let next = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..2 {
        let (next, bodies, auth) = (Arc::clone(&next), Arc::clone(&bodies), auth.clone());
        tasks.spawn(async move {
            let mut conn = Conn::open(addr).await.expect("connecting");
            loop {
                let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if n >= requests {
                    break;
                }
                let req = Req::ews(Some(auth.clone()), bodies[n as usize % bodies.len()].clone());
                let a = conn.send(&req).await.expect("CreateItem answered");
                assert_eq!(a.status, StatusCode::OK, "CreateItem of 100 failed");
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    let elapsed = started.elapsed();
    let stored = admin_items(addr).await;
    let rss_after = rss_bytes("self");
    let per_item = (rss_after.saturating_sub(rss_before)) as f64 / stored.max(1) as f64;
    Memory {
        items: stored,
        mailboxes,
        rss_before,
        rss_after,
        bytes_per_item: per_item,
        text_bytes_per_item: soap::SEED_TEXT_BYTES,
        overhead_per_item: per_item - soap::SEED_TEXT_BYTES as f64,
        items_per_sec: stored as f64 / elapsed.as_secs_f64(),
    }
}

/// Start-up times, milliseconds.
#[derive(Debug, Clone, Serialize)]
pub struct Startup {
    /// In-process `MockEws::start` to first answered CreateItem: median of the runs.
    pub in_process_ms: f64,
    /// … and the slowest run.
    pub in_process_max_ms: f64,
    /// Standalone process spawn to first answered CreateItem: median.
    pub standalone_ms: Option<f64>,
    /// … and the slowest run.
    pub standalone_max_ms: Option<f64>,
    /// Runs of each.
    pub runs: usize,
}

fn median_max(mut v: Vec<f64>) -> (f64, f64) {
    v.sort_by(f64::total_cmp);
    (v[v.len() / 2], v[v.len() - 1])
}

async fn first_answer(addr: SocketAddr) -> StatusCode {
    let req = Req::ews(Some(soap::demo_auth()), soap::create_item("alfred@contoso.com", 1));
    let mut conn = Conn::open(addr).await.expect("connecting");
    conn.send(&req).await.expect("first request answered").status
}

/// Measures start-up `runs` times each; the standalone part only with `binary`.
pub async fn startup(runs: usize, binary: Option<&str>) -> Startup {
    let mut inproc = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let mock = MockEws::builder().tenant(TenantConfig::demo()).start().expect("mock");
        assert_eq!(first_answer(mock.address()).await, StatusCode::OK);
        inproc.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let mut standalone = Vec::new();
    if let Some(bin) = binary {
        for _ in 0..runs {
            let t = Instant::now();
            let mut child = Command::new(bin)
                .args(["--listen", "127.0.0.1:0", "--log-level", "warn"])
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawning ews-mock");
            let addr = ready_addr(child.stdout.take().expect("piped stdout"));
            assert_eq!(first_answer(addr).await, StatusCode::OK);
            standalone.push(t.elapsed().as_secs_f64() * 1e3);
            let _ = child.kill();
            let _ = child.wait();
        }
    }
    let (in_process_ms, in_process_max_ms) = median_max(inproc);
    let (standalone_ms, standalone_max_ms) = if standalone.is_empty() {
        (None, None)
    } else {
        let (median, max) = median_max(standalone);
        (Some(median), Some(max))
    };
    Startup { in_process_ms, in_process_max_ms, standalone_ms, standalone_max_ms, runs }
}

/// Reads the binary's ready line (`ews-mock listening on http://ADDR/EWS/Exchange.asmx`).
pub fn ready_addr(stdout: std::process::ChildStdout) -> SocketAddr {
    let mut line = String::new();
    std::io::BufReader::new(stdout).read_line(&mut line).expect("reading the ready line");
    let rest = line.trim().strip_prefix("ews-mock listening on http://").expect("the ready line");
    rest.split('/').next().and_then(|a| a.parse().ok()).expect("an address in the ready line")
}

/// The client's rates.
#[derive(Debug, Clone, Serialize)]
pub struct ClientRates {
    /// Mailboxes.
    pub mailboxes: usize,
    /// `create_in_each`, one item per request: items/s.
    pub one_per_request: f64,
    /// Items in the batched run (`create_batch` per mailbox).
    pub batched_items: usize,
    /// Items per CreateItem in the batched run.
    pub batch_size: usize,
    /// Batched: items/s.
    pub batched: f64,
    /// Items that failed in either run.
    pub failures: usize,
}

fn appointment() -> ews_client::Result<Appointment> {
    let start = chrono::DateTime::parse_from_rfc3339("2013-09-21T19:00:00Z").expect("a valid time").to_utc();
    Appointment::builder()
        .subject("Tennis lesson")
        .body_html("Focus on backhand this week.")
        .start(start)
        .duration(chrono::Duration::hours(1))
        .location("Tennis club")
        .build()
}

/// `create_in_each` over `mailboxes` mailboxes (concurrency 16), then `create_batch` of
/// `batch` items in each (8 mailboxes at a time).
pub async fn client(mailboxes: usize, batch: usize) -> ClientRates {
    let mock = MockEws::builder().tenant(soap::tenant(mailboxes)).start().expect("mock");
    let service =
        Service::builder(mock.ews_url()).basic(soap::SERVICE_ACCOUNT, soap::PASSWORD).build().expect("client");
    let sids: Vec<_> = (0..mailboxes).map(|i| ConnectingSid::SmtpAddress(soap::mailbox(i))).collect();
    // Warm the connection pool.
    let _ = service.impersonate(sids[0].clone()).save(appointment().expect("appointment")).await;
    let t = Instant::now();
    let results = service.create_in_each(sids.clone(), |_| appointment(), 16).await;
    let one = mailboxes as f64 / t.elapsed().as_secs_f64();
    let mut failures = results.iter().filter(|r| r.result.is_err()).count();
    let permits = Arc::new(tokio::sync::Semaphore::new(8));
    let t = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for sid in sids {
        let (mailbox, permits) = (service.impersonate(sid), Arc::clone(&permits));
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await.expect("never closed");
            let drafts: Vec<_> = (0..batch).map(|_| appointment().expect("appointment")).collect();
            match mailbox.create_batch(drafts).await {
                Ok(results) => results.iter().filter(|r| r.is_err()).count(),
                Err(_) => batch,
            }
        });
    }
    while let Some(joined) = tasks.join_next().await {
        failures += joined.expect("a client task panicked");
    }
    let batched = (mailboxes * batch) as f64 / t.elapsed().as_secs_f64();
    ClientRates {
        mailboxes,
        one_per_request: one,
        batched_items: mailboxes * batch,
        batch_size: batch,
        batched,
        failures,
    }
}
