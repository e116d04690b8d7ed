//! `ews-bench`: the benchmark (`ci/bench.sh`) and the soak run (`ci/soak.sh`) for ews-mock and
//! ews-client. Prints figures; asserts nothing (the soak's checks print PASS/FAIL and set the
//! exit code).
//!
//! - `ews-bench bench [--mock-bin PATH] [--out DIR] [--only a,b,c,d] [--quick]`
//! - `ews-bench soak --mock-bin PATH [--secs N]`
//! - `ews-bench profile [--requests N] [--bare]`: exactly N seed CreateItems on one connection to
//!   an in-process mock (or the bare server), for `valgrind --tool=callgrind --separate-threads=yes` (instructions per
//!   request = the server thread's total ÷ N).
//!
//! Everything runs on loopback. Servers run on their own threads (current-thread runtimes, as
//! `MockEws` runs); the load generator runs on the main thread's current-thread runtime.

mod load;
mod measure;
mod report;
mod servers;
mod soak;
mod soap;

use std::path::PathBuf;

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1).cloned())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a tokio runtime");
    match args.first().map(String::as_str) {
        Some("soak") => {
            let bin = arg(&args, "--mock-bin").expect("soak needs --mock-bin PATH (a release ews-mock)");
            let secs = arg(&args, "--secs").and_then(|s| s.parse().ok()).unwrap_or(90.0);
            let out = arg(&args, "--out").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("target/bench"));
            let ok = rt.block_on(soak::run(&bin, secs, &out));
            std::process::exit(if ok { 0 } else { 1 });
        }
        Some("profile") => {
            let n = arg(&args, "--requests").and_then(|s| s.parse().ok()).unwrap_or(2000);
            rt.block_on(measure::profile(n, args.iter().any(|a| a == "--bare")));
        }
        Some("bench") | None => bench(&rt, &args),
        Some(other) => {
            eprintln!("usage: ews-bench bench|soak … (not {other:?})");
            std::process::exit(2);
        }
    }
}

fn bench(rt: &tokio::runtime::Runtime, args: &[String]) {
    let quick = args.iter().any(|a| a == "--quick");
    let only = arg(args, "--only").unwrap_or_else(|| "a,b,c,d".into());
    let bin = arg(args, "--mock-bin");
    let out = arg(args, "--out").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("target/bench"));
    let (rounds, secs, items) = if quick { (1, 1.0, 100_000) } else { (3, 4.0, 1_000_000) };
    let mut results = report::Results {
        when: chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        machine: report::Machine::detect(),
        throughput: None,
        memory: None,
        startup: None,
        client: None,
    };
    rt.block_on(async {
        if only.contains('a') {
            eprintln!("(a) throughput: {rounds} rounds of bare / ews-mock, {secs} s each, 16 connections");
            results.throughput = Some(measure::throughput(rounds, secs, 16, 1000).await);
        }
        if only.contains('c') {
            eprintln!("(c) start-up");
            results.startup = Some(measure::startup(if quick { 5 } else { 20 }, bin.as_deref()).await);
        }
        if only.contains('d') {
            eprintln!("(d) client");
            results.client = Some(measure::client(1000, 100).await);
        }
        // Last: it leaves a million items' worth of memory in the allocator.
        if only.contains('b') {
            eprintln!("(b) memory: {items} items");
            results.memory = Some(measure::memory(items, 1000).await);
        }
    });
    println!("\n{}", report::machine_line(&results.machine));
    println!("{}", report::table(&results));
    match report::write(&out, &results) {
        Ok(()) => println!("written: {}/results.json, {}/performance.md", out.display(), out.display()),
        Err(e) => eprintln!("could not write the results to {}: {e}", out.display()),
    }
}
