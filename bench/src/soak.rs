//! The soak run (issue 7 item 7): a bounded mixed load against the standalone `ews-mock`
//! binary — creates, calendar views, GetItem, injected faults, bad input, admin calls — then
//! the checks: resident memory flat after warm-up (beyond the stored items), no file
//! descriptor leaked, every acknowledged item still there, the process alive.

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hyper::body::Bytes;
use hyper::{Method, StatusCode};

use crate::load::{Conn, Req};
use crate::measure::ready_addr;
use crate::servers::{open_fds, rss_bytes};
use crate::soap;

const MAILBOXES: usize = 50;
const WORKERS: usize = 8;

/// Counts per kind of request: sent, and answered as expected.
#[derive(Default)]
struct Tally {
    sent: HashMap<&'static str, u64>,
    unexpected: HashMap<&'static str, u64>,
}

const FAULTS: [&str; 5] = [
    r#"{"operation":"CreateItem","times":3,"action":{"type":"server_busy_fault","back_off_ms":10}}"#,
    r#"{"operation":"CreateItem","times":2,"action":{"type":"http503"}}"#,
    r#"{"operation":"CreateItem","times":2,"action":{"type":"reset"}}"#,
    r#"{"operation":"CreateItem","times":2,"action":{"type":"server_busy_message","back_off_ms":10}}"#,
    r#"{"operation":"CreateItem","times":2,"action":{"type":"latency","ms":20}}"#,
];

/// One worker: a mixed request stream until `deadline`; returns acknowledged (mailbox, id) pairs.
async fn worker(
    addr: std::net::SocketAddr,
    w: usize,
    deadline: Instant,
    tally: Arc<Mutex<Tally>>,
) -> (Vec<(usize, String)>, u64) {
    let auth = soap::basic_auth();
    let mut conn = Conn::open(addr).await.expect("connecting to the mock");
    let mut acked: Vec<(usize, String)> = Vec::new();
    let mut i: u64 = 0;
    while Instant::now() < deadline {
        i += 1;
        let mb = (w * 7 + i as usize) % MAILBOXES;
        let mailbox = soap::mailbox(mb);
        let (kind, req, ok): (&'static str, Req, &[u16]) = match i % 20 {
            0..=9 => ("create", Req::ews(Some(auth.clone()), soap::create_item(&mailbox, 1)), &[200, 500, 503]),
            10 | 11 => ("find", Req::ews(Some(auth.clone()), soap::calendar_view(&mailbox)), &[200]),
            12 | 13 => match acked.last() {
                Some((m, id)) => (
                    "get",
                    Req::ews(Some(auth.clone()), soap::get_item(&soap::mailbox(*m), std::slice::from_ref(id))),
                    &[200],
                ),
                None => ("health", Req::admin(Method::GET, "/_mock/health"), &[200]),
            },
            14 => ("malformed", Req::ews(Some(auth.clone()), Bytes::from_static(b"<soap:Envelope><oops")), &[500]),
            15 => {
                let body = String::from_utf8_lossy(&soap::create_item(&mailbox, 1))
                    .replace("http://schemas.xmlsoap.org/soap/envelope/", "https://schemas.xmlsoap.org/soap/envelope/");
                ("wrong-namespace", Req::ews(Some(auth.clone()), Bytes::from(body)), &[500])
            }
            16 => ("unauthenticated", Req::ews(None, soap::create_item(&mailbox, 1)), &[401]),
            17 if i % 100 == 17 => ("journal", Req::admin(Method::GET, "/_mock/requests"), &[200]),
            17 => ("health", Req::admin(Method::GET, "/_mock/health"), &[200]),
            18 => ("mailboxes", Req::admin(Method::GET, "/_mock/mailboxes"), &[200]),
            _ => {
                let rule = FAULTS[(i / 20 + w as u64) as usize % FAULTS.len()];
                let mut r = Req::admin(Method::POST, "/_mock/faults");
                r.body = Bytes::from_static(rule.as_bytes());
                ("fault-rule", r, &[201])
            }
        };
        let answer = conn.send(&req).await;
        let good = match &answer {
            Ok(a) => ok.contains(&a.status.as_u16()),
            // Only an injected reset closes a connection; it hits CreateItem only.
            Err(_) => kind == "create",
        };
        if kind == "create" {
            if let Ok(a) = &answer {
                if a.status == StatusCode::OK && soap::successes(&a.body) == 1 {
                    if let Some(id) = soap::item_ids(&a.body).pop() {
                        acked.push((mb, id));
                    }
                }
            }
        }
        let mut t = tally.lock().expect("tally lock");
        *t.sent.entry(kind).or_default() += 1;
        if !good {
            *t.unexpected.entry(kind).or_default() += 1;
        }
    }
    (acked, conn.connects)
}

/// Runs the soak for `secs` seconds; prints the figures; true if every check passed.
pub async fn run(bin: &str, secs: f64, out: &Path) -> bool {
    std::fs::create_dir_all(out).expect("creating the output directory");
    let config = out.join("soak-tenant.toml");
    std::fs::write(&config, soap::tenant_toml(MAILBOXES)).expect("writing the soak tenant");
    let mut child = Command::new(bin)
        .args(["--listen", "127.0.0.1:0", "--log-level", "error", "--config"])
        .arg(&config)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawning ews-mock");
    let pid = child.id().to_string();
    let addr = ready_addr(child.stdout.take().expect("piped stdout"));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let fds_start = open_fds(&pid);
    let rss_start = rss_bytes(&pid);
    eprintln!("soak: ews-mock pid {pid} on {addr}, {secs} s, {WORKERS} connections, {MAILBOXES} mailboxes");

    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(secs);
    let tally = Arc::new(Mutex::new(Tally::default()));
    let mut tasks = tokio::task::JoinSet::new();
    for w in 0..WORKERS {
        let tally = Arc::clone(&tally);
        tasks.spawn(worker(addr, w, deadline, tally));
    }
    // Sample RSS and the item count every 3 s.
    let mut samples: Vec<(f64, u64, u64)> = Vec::new();
    let sampler = {
        let pid = pid.clone();
        tokio::spawn(async move {
            let mut samples = Vec::new();
            let mut conn = Conn::open(addr).await.expect("connecting");
            while Instant::now() < deadline {
                tokio::time::sleep(Duration::from_secs(3)).await;
                let items = match conn.send(&Req::admin(Method::GET, "/_mock/health")).await {
                    Ok(a) => serde_json::from_slice::<serde_json::Value>(&a.body)
                        .ok()
                        .and_then(|v| v["items"].as_u64())
                        .unwrap_or(0),
                    Err(_) => 0,
                };
                samples.push((started.elapsed().as_secs_f64(), rss_bytes(&pid), items));
            }
            samples
        })
    };
    let mut acked: Vec<(usize, String)> = Vec::new();
    let mut reconnects = 0;
    while let Some(joined) = tasks.join_next().await {
        let (part, connects) = joined.expect("a soak worker panicked");
        acked.extend(part);
        reconnects += connects - 1;
    }
    samples.extend(sampler.await.expect("the sampler panicked"));

    // Clean up the fault rules, then check every acknowledged item with GetItem, 100 ids a call.
    let mut conn = Conn::open(addr).await.expect("connecting");
    let _ = conn.send(&Req::admin(Method::DELETE, "/_mock/faults")).await;
    let mut by_mailbox: HashMap<usize, Vec<String>> = HashMap::new();
    for (mb, id) in &acked {
        by_mailbox.entry(*mb).or_default().push(id.clone());
    }
    let mut found = 0usize;
    for (mb, ids) in &by_mailbox {
        for chunk in ids.chunks(100) {
            let req = Req::ews(Some(soap::basic_auth()), soap::get_item(&soap::mailbox(*mb), chunk));
            if let Ok(a) = conn.send(&req).await {
                found += soap::successes(&a.body);
            }
        }
    }
    let items_end = crate::measure::admin_items(addr).await;
    let unique: std::collections::HashSet<&String> = acked.iter().map(|(_, id)| id).collect();
    drop(conn);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let fds_end = open_fds(&pid);
    let rss_end = rss_bytes(&pid);
    let alive = crate::measure::admin_items(addr).await > 0;
    let _ = child.kill();
    let _ = child.wait();

    let t = tally.lock().expect("tally lock");
    let total: u64 = t.sent.values().sum();
    let unexpected: u64 = t.unexpected.values().sum();
    println!(
        "\nsoak: {total} requests in {:.0} s ({:.0} req/s), {reconnects} reconnects after injected resets",
        secs,
        total as f64 / secs
    );
    let mut kinds: Vec<_> = t.sent.iter().collect();
    kinds.sort();
    for (k, n) in kinds {
        println!("  {k:<16} {n:>8} sent, {:>4} unexpected answers", t.unexpected.get(k).copied().unwrap_or(0));
    }
    println!("  RSS over time (s, MiB, items):");
    for (s, rss, items) in &samples {
        println!("    {s:>5.0} {:>7.1} {items:>8}", *rss as f64 / 1048576.0);
    }
    // Warm-up: the first fifth of the run (journal ring filled, connections open).
    let warm = samples.iter().find(|(s, _, _)| *s >= secs * 0.2).copied().unwrap_or((0.0, rss_start, 0));
    // The end of the load: the last sample taken while the workers ran.
    let last = samples.last().copied().unwrap_or((secs, rss_end, items_end));
    let grown = last.1.saturating_sub(warm.1) as f64;
    let added = last.2.saturating_sub(warm.2).max(1) as f64;
    let per_item = grown / added;
    // Flat: beyond warm-up, growth is the stored items (≈ 600 B each, see the benchmark's (b))
    // plus allocator slack; anything else growing (journal, connections) would show above 1 KiB.
    let flat = grown <= added * 1024.0 + 8.0 * 1048576.0;
    let no_leak = fds_end <= fds_start + 1;
    let all_present = found == acked.len() && unique.len() == acked.len();
    println!(
        "  RSS: start {:.1} MiB, after warm-up ({:.0} s) {:.1} MiB, end of load ({:.0} s) {:.1} MiB; growth {:.1} MiB for {} more items = {:.0} B/item -> {}",
        rss_start as f64 / 1048576.0,
        warm.0,
        warm.1 as f64 / 1048576.0,
        last.0,
        last.1 as f64 / 1048576.0,
        grown / 1048576.0,
        added as u64,
        per_item,
        if flat { "flat (PASS)" } else { "GROWING (FAIL)" }
    );
    println!(
        "  RSS after the GetItem check (100 ids per call; the journal then holds 1,000 large answers): {:.1} MiB",
        rss_end as f64 / 1048576.0
    );
    println!(
        "  fds: {fds_start} at start, {fds_end} at end after clients closed -> {}",
        if no_leak { "PASS" } else { "LEAK (FAIL)" }
    );
    println!(
        "  acknowledged items: {} ({} unique), found by GetItem {found}, tenant holds {items_end} -> {}",
        acked.len(),
        unique.len(),
        if all_present { "PASS" } else { "MISSING (FAIL)" }
    );
    println!(
        "  unexpected answers: {unexpected} -> {}; process alive at end: {alive}",
        if unexpected == 0 { "PASS" } else { "FAIL" }
    );
    let json = serde_json::json!({
        "secs": secs, "requests": total, "unexpected": unexpected, "reconnects": reconnects,
        "rss_start": rss_start, "rss_warm": warm.1, "rss_end_of_load": last.1, "rss_after_check": rss_end, "items_end": items_end,
        "growth_bytes_per_item_after_warmup": per_item, "fds_start": fds_start, "fds_end": fds_end,
        "acknowledged": acked.len(), "found": found, "samples": samples,
    });
    let _ = std::fs::write(out.join("soak.json"), serde_json::to_string_pretty(&json).unwrap_or_default());
    flat && no_leak && all_present && unexpected == 0 && alive
}
