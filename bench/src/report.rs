//! The results: a table on stdout, `results.json` and `performance.md` (the README's
//! Performance table) under the output directory.

use serde::Serialize;

use crate::measure::{ClientRates, Memory, Startup, Throughput};

/// The machine the run was on.
#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    /// `nproc`.
    pub cpus: usize,
    /// `model name` from /proc/cpuinfo.
    pub cpu_model: String,
    /// MemTotal, MiB.
    pub memory_mib: u64,
    /// `uname -r`-like kernel release.
    pub kernel: String,
}

impl Machine {
    /// Reads /proc.
    pub fn detect() -> Machine {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu_model = cpuinfo
            .lines()
            .find_map(|l| {
                l.strip_prefix("model name").and_then(|r| r.split_once(':')).map(|(_, m)| m.trim().to_string())
            })
            .unwrap_or_else(|| "unknown".into());
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let memory_mib = meminfo
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
            .map_or(0, |kb| kb / 1024);
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default().trim().to_string();
        Machine { cpus: std::thread::available_parallelism().map_or(1, |n| n.get()), cpu_model, memory_mib, kernel }
    }
}

/// Everything one run measured.
#[derive(Debug, Clone, Serialize)]
pub struct Results {
    /// When (UTC, RFC 3339).
    pub when: String,
    /// Where.
    pub machine: Machine,
    /// (a)
    pub throughput: Option<Throughput>,
    /// (b)
    pub memory: Option<Memory>,
    /// (c)
    pub startup: Option<Startup>,
    /// (d)
    pub client: Option<ClientRates>,
}

fn met(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "NOT met"
    }
}

/// The results table as Markdown.
pub fn table(r: &Results) -> String {
    let mut rows: Vec<[String; 4]> = Vec::new();
    if let Some(t) = &r.throughput {
        for (name, s) in [("bare hyper (1.3 KB fixed answer)", &t.bare), ("ews-mock, seed CreateItem", &t.mock)] {
            rows.push([
                format!("(a) {name}"),
                format!(
                    "{:.0} req/s, p50 {:.2} ms, p99 {:.2} ms, {:.1} µs CPU/req",
                    s.rps,
                    s.p50_us as f64 / 1e3,
                    s.p99_us as f64 / 1e3,
                    s.cpu_us_per_req
                ),
                String::new(),
                String::new(),
            ]);
        }
        rows.push([
            "(a) ews-mock ÷ bare".into(),
            format!("{:.2} of req/s; p99 {:.2}×", t.ratio, t.p99_ratio),
            "≥ 0.6; p99 ≤ 2×".into(),
            met(t.ratio >= 0.6 && t.p99_ratio <= 2.0).into(),
        ]);
    }
    if let Some(m) = &r.memory {
        rows.push([
            format!("(b) memory, {} items in {} mailboxes", m.items, m.mailboxes),
            format!(
                "{:.0} MiB RSS growth; {:.0} B/item = {} B text + {:.0} B overhead",
                (m.rss_after.saturating_sub(m.rss_before)) as f64 / 1048576.0,
                m.bytes_per_item,
                m.text_bytes_per_item,
                m.overhead_per_item
            ),
            "≤ 600 B overhead".into(),
            met(m.overhead_per_item <= 600.0).into(),
        ]);
    }
    if let Some(s) = &r.startup {
        rows.push([
            "(c) start-up, in-process".into(),
            format!("{:.2} ms median, {:.2} ms max ({} runs)", s.in_process_ms, s.in_process_max_ms, s.runs),
            "≤ 5 ms".into(),
            met(s.in_process_ms <= 5.0).into(),
        ]);
        if let (Some(med), Some(max)) = (s.standalone_ms, s.standalone_max_ms) {
            rows.push([
                "(c) start-up, standalone binary".into(),
                format!("{med:.2} ms median, {max:.2} ms max ({} runs)", s.runs),
                "≤ 20 ms".into(),
                met(med <= 20.0).into(),
            ]);
        }
    }
    if let Some(c) = &r.client {
        rows.push([
            format!("(d) client create_in_each, {} mailboxes", c.mailboxes),
            format!("{:.0} items/s, one item per request", c.one_per_request),
            String::new(),
            String::new(),
        ]);
        rows.push([
            format!("(d) client create_batch, {} × {}", c.mailboxes, c.batch_size),
            format!("{:.0} items/s batched ({} failures)", c.batched, c.failures),
            "≥ 20,000 items/s".into(),
            met(c.batched >= 20_000.0 && c.failures == 0).into(),
        ]);
    }
    let mut out = String::from("| measurement | result | target | |\n|---|---|---|---|\n");
    for [a, b, c, d] in rows {
        out.push_str(&format!("| {a} | {b} | {c} | {d} |\n"));
    }
    out
}

/// The machine line for the README.
pub fn machine_line(m: &Machine) -> String {
    format!("{} CPUs ({}), {} MiB RAM, Linux {}", m.cpus, m.cpu_model, m.memory_mib, m.kernel)
}

/// Writes `results.json` and `performance.md` into `dir`.
pub fn write(dir: &std::path::Path, r: &Results) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let json = serde_json::to_string_pretty(r).map_err(std::io::Error::other)?;
    std::fs::write(dir.join("results.json"), json)?;
    let md = format!("Measured {} on {}.\n\n{}", r.when, machine_line(&r.machine), table(r));
    std::fs::write(dir.join("performance.md"), md)
}
