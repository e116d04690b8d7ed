//! `ews-conformance`: check an EWS endpoint (ews-mock, your Exchange, another implementation)
//! against the conformance scenarios, or report the rule-breaking requests a client sent to
//! ews-mock.
//!
//! ```text
//! ews-conformance run --endpoint URL --config FILE [--junit FILE] [--filter PATTERN]
//! ews-conformance list
//! ews-conformance client-report --endpoint URL [--tenant NAME]
//! ```
//!
//! `run` prints `PASS|FAIL|SKIP  id  (duration)` per scenario (the diff or fault under a
//! failure), then `N passed, M failed, K skipped`, and exits 1 on any failure (2 when it cannot
//! start). `client-report` exits 1 when any request broke a rule.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use ews_conformance::runner::{self, client_report, junit, Config, Env};

/// Conformance checks for EWS endpoints and clients.
#[derive(Debug, Parser)]
#[command(name = "ews-conformance", version, about)]
struct Cli {
    /// What to do.
    #[command(subcommand)]
    command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
enum Command {
    /// Run the scenarios against an endpoint.
    Run {
        /// The EWS URL, e.g. https://mail.example.com/EWS/Exchange.asmx.
        #[arg(long)]
        endpoint: String,
        /// The configuration (TOML): accounts and mailboxes (see conformance/demo-tenant.toml).
        #[arg(long)]
        config: PathBuf,
        /// Also write a JUnit XML report here.
        #[arg(long)]
        junit: Option<PathBuf>,
        /// Only scenarios whose id contains this text (or matches this `*` glob).
        #[arg(long)]
        filter: Option<String>,
    },
    /// List the scenarios with the spec sections they check.
    List,
    /// Print the requests in ews-mock's journal that broke a rule.
    ClientReport {
        /// The mock's URL (`http://host:port`, with or without `/EWS/Exchange.asmx`).
        #[arg(long)]
        endpoint: String,
        /// The isolated tenant to read (`/t/{tenant}/_mock/requests`).
        #[arg(long)]
        tenant: Option<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("ews-conformance: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match cli.command {
        Command::List => {
            for s in runner::scenarios::all() {
                println!("{:<40} {}\n{:<40} {}", s.id, s.about, "", s.spec);
            }
            ExitCode::SUCCESS
        }
        Command::Run { endpoint, config, junit, filter } => runtime.block_on(run(endpoint, config, junit, filter)),
        Command::ClientReport { endpoint, tenant } => {
            match runtime.block_on(client_report::fetch(&endpoint, tenant.as_deref())) {
                Ok((text, bad)) => {
                    print!("{text}");
                    if bad == 0 {
                        ExitCode::SUCCESS
                    } else {
                        ExitCode::from(1)
                    }
                }
                Err(e) => {
                    eprintln!("ews-conformance: {e}");
                    ExitCode::from(2)
                }
            }
        }
    }
}

async fn run(endpoint: String, config: PathBuf, junit_path: Option<PathBuf>, filter: Option<String>) -> ExitCode {
    let config = match Config::load(&config) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("ews-conformance: {e}");
            return ExitCode::from(2);
        }
    };
    let scenarios = runner::select(filter.as_deref());
    if scenarios.is_empty() {
        eprintln!("ews-conformance: no scenario matches {:?} (see `ews-conformance list`)", filter.unwrap_or_default());
        return ExitCode::from(2);
    }
    let env = match Env::connect(&endpoint, config).await {
        Ok(env) => env,
        Err(e) => {
            eprintln!("ews-conformance: {e}");
            return ExitCode::from(2);
        }
    };
    let admin =
        env.admin.as_deref().map(|a| format!("ews-mock admin API at {a}")).unwrap_or("no /_mock/ admin API".into());
    println!("ews-conformance: {} scenarios against {endpoint} (run {}; {admin})", scenarios.len(), env.run_id);
    let report = runner::run(&env, &scenarios, |r| {
        print!("{}", r.render());
        let _ = std::io::stdout().flush();
    })
    .await;
    println!("{}", report.summary());
    if let Some(path) = junit_path {
        if let Err(e) = std::fs::write(&path, junit::to_junit(&report, &endpoint)) {
            eprintln!("ews-conformance: writing {}: {e}", path.display());
            return ExitCode::from(2);
        }
    }
    if report.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
