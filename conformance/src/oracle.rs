//! The one oracle: send a case's request to a target and compare the answer with its golden.
//!
//! [`check_case`] is used by `tests/goldens.rs`, the property tests and (later) the CLI, so every
//! driver judges an endpoint the same way (prost's `roundtrip`). A [`Target`] is either a fresh
//! in-process [`ews_mock::MockEws`] per case, with a fixed clock and id seed so its answers are
//! reproducible, or any EWS URL.

use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ews_mock::{Clock, MockEws};

use crate::cases::{self, Auth, Case};
use crate::golden::{self, Mismatch};

/// The instant the in-process mock's clock is fixed at.
pub const MOCK_NOW: &str = "2026-01-05T09:00:00Z";
/// The id seed of the in-process mock.
pub const MOCK_ID_SEED: u64 = 6;

/// Where cases are sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A fresh in-process mock (demo tenant, clock [`MOCK_NOW`], seed [`MOCK_ID_SEED`]) per case.
    InProcessMock,
    /// Any EWS endpoint, e.g. `https://mail.example.com/EWS/Exchange.asmx`; cases that need fault
    /// injection are skipped.
    Url(String),
}

/// The verdict on one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The answer matched the golden.
    Pass,
    /// It did not; the boxed diff says how.
    Mismatch(Box<Mismatch>),
    /// The case could not be run (transport error, bad fixture, missing golden, setup failed).
    Error(String),
    /// The target cannot run this case (e.g. fault injection on a real server).
    Skipped(String),
}

/// One HTTP answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// The body as text (lossy UTF-8).
    pub body: String,
}

/// Starts the in-process mock the oracle uses.
///
/// # Panics
/// If the mock cannot start: nothing can be checked without it.
pub fn start_mock() -> MockEws {
    let now = MOCK_NOW.parse().expect("MOCK_NOW is a valid RFC 3339 instant");
    MockEws::builder()
        .clock(Clock::fixed(now))
        .id_seed(MOCK_ID_SEED)
        .start()
        .expect("ews-mock: the in-process server failed to start")
}

/// A small blocking HTTP client (reqwest on a private current-thread runtime).
#[derive(Debug)]
pub struct Http {
    runtime: tokio::runtime::Runtime,
    client: reqwest::Client,
}

impl Http {
    /// A client with a 30 s timeout per request.
    ///
    /// # Panics
    /// If a tokio runtime or the TLS backend cannot be created (no threads, no memory).
    pub fn new() -> Http {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a current-thread tokio runtime can be built");
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("the rustls reqwest client can be built");
        Http { runtime, client }
    }

    /// POSTs `body` as `text/xml` with the given credentials.
    pub fn post(&self, url: &str, auth: &Auth, body: Vec<u8>) -> Result<Reply, String> {
        let mut req = self.client.post(url).header("Content-Type", "text/xml; charset=utf-8").body(body);
        match auth {
            Auth::Basic { user, password } => {
                let token = STANDARD.encode(format!("{user}:{password}"));
                req = req.header("Authorization", format!("Basic {token}"));
            }
            Auth::Bearer(token) => req = req.header("Authorization", format!("Bearer {token}")),
            Auth::None => {}
        }
        self.runtime.block_on(async {
            let resp = req.send().await.map_err(|e| format!("POST {url}: {e}"))?;
            let status = resp.status().as_u16();
            let bytes = resp.bytes().await.map_err(|e| format!("reading the answer of {url}: {e}"))?;
            Ok(Reply { status, body: String::from_utf8_lossy(&bytes).into_owned() })
        })
    }

    /// POSTs a JSON document (the mock's admin API).
    pub fn post_json(&self, url: &str, json: &str) -> Result<Reply, String> {
        let req = self.client.post(url).header("Content-Type", "application/json").body(json.to_string());
        self.runtime.block_on(async {
            let resp = req.send().await.map_err(|e| format!("POST {url}: {e}"))?;
            let status = resp.status().as_u16();
            let body = resp.text().await.map_err(|e| format!("reading the answer of {url}: {e}"))?;
            Ok(Reply { status, body })
        })
    }
}

impl Default for Http {
    fn default() -> Self {
        Http::new()
    }
}

/// Sends a case (after its setup cases) and returns the answer, without judging it.
pub fn run_case(case: &Case, target: &Target, http: &Http) -> Result<Reply, Outcome> {
    let (_mock, url, admin) = match target {
        Target::InProcessMock => {
            let mock = start_mock();
            let url = mock.ews_url();
            let admin = format!("{}/_mock", mock.uri());
            (Some(mock), url, Some(admin))
        }
        Target::Url(url) => (None, url.clone(), None),
    };
    let all = cases::discover(&cases::fixtures_dir()).map_err(|e| Outcome::Error(e.to_string()))?;
    let mut setup_responses = Vec::new();
    for id in &case.meta.setup {
        let setup = all
            .iter()
            .find(|c| &c.id == id)
            .ok_or_else(|| Outcome::Error(format!("{}: setup case `{id}` does not exist", case.id)))?;
        let body = setup.request_text().map_err(|e| Outcome::Error(e.to_string()))?;
        let body = cases::substitute(&body, &setup_responses).map_err(|e| Outcome::Error(format!("{id}: {e}")))?;
        let reply = http.post(&url, &setup.meta.auth, body.into_bytes()).map_err(Outcome::Error)?;
        if reply.status != 200 || reply.body.contains("ResponseClass=\"Error\"") {
            return Err(Outcome::Error(format!(
                "{}: setup case `{id}` failed with HTTP {}:\n{}",
                case.id, reply.status, reply.body
            )));
        }
        setup_responses.push(reply.body);
    }
    if let Some(rule) = &case.meta.inject {
        let Some(admin) = &admin else {
            return Err(Outcome::Skipped("needs fault injection, which only the in-process mock offers".into()));
        };
        let reply = http.post_json(&format!("{admin}/faults"), rule).map_err(Outcome::Error)?;
        if !(200..300).contains(&reply.status) {
            return Err(Outcome::Error(format!(
                "{}: installing the fault rule failed with HTTP {}: {}",
                case.id,
                reply.status,
                reply.body.trim()
            )));
        }
    }
    let body = case.request_text().map_err(|e| Outcome::Error(e.to_string()))?;
    let body = cases::substitute(&body, &setup_responses).map_err(|e| Outcome::Error(format!("{}: {e}", case.id)))?;
    http.post(&url, &case.meta.auth, body.into_bytes()).map_err(Outcome::Error)
}

/// Compares an answer with the case's golden: status first, then the canonical documents.
pub fn judge(case: &Case, reply: &Reply) -> Outcome {
    let golden = match std::fs::read_to_string(&case.response) {
        Ok(g) => g,
        Err(e) => return Outcome::Error(format!("{}: golden {}: {e}", case.id, case.response.display())),
    };
    let path = case.response.display().to_string();
    match golden::compare(&case.id, &path, &golden, &reply.body) {
        Err(m) => Outcome::Mismatch(Box::new(m)),
        Ok(()) if reply.status != case.meta.status => Outcome::Error(format!(
            "{}: HTTP status {} but the golden was answered with {}",
            case.id, reply.status, case.meta.status
        )),
        Ok(()) => Outcome::Pass,
    }
}

/// Runs a case against a target and judges the answer.
pub fn check_case(case: &Case, target: &Target) -> Outcome {
    let http = Http::new();
    match run_case(case, target, &http) {
        Ok(reply) => judge(case, &reply),
        Err(outcome) => outcome,
    }
}
