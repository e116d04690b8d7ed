//! The runner proven both ways: green against an in-process ews-mock, red — naming the broken
//! rule — against deliberately wrong endpoints (a proxy in front of a real mock that corrupts its
//! answers), and the binary end to end (exit status, summary line, JUnit file, client-report).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use ews_conformance::runner::{self, client_report, Config, Env, Report, Status};
use ews_mock::MockEws;
use http_body_util::Full;
use hyper::body::Bytes;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

/// Runs every scenario with the demo-tenant configuration against `endpoint`.
async fn run_all(endpoint: &str) -> Report {
    let env = Env::connect(endpoint, Config::demo_tenant()).await.expect("the runner starts");
    let report = runner::run(&env, &runner::select(None), |_| {}).await;
    println!("{}", report.render());
    report
}

/// Asserts that scenario `id` failed with a message containing `needle`.
fn assert_failed(report: &Report, id: &str, needle: &str) {
    let r = report.get(id).unwrap_or_else(|| panic!("no scenario {id}"));
    match &r.status {
        Status::Fail(m) => assert!(m.contains(needle), "{id} failed, but not with {needle:?}:\n{m}"),
        other => panic!("{id} should have failed with {needle:?}, got {other:?}"),
    }
}

/// How the proxy corrupts one answer: (request path, request body, response body) → new body,
/// or `None` to pass it through. It may also re-send the request (`Resend`).
enum Corrupt {
    /// Every CreateItem answer carries the first ItemId the proxy saw.
    DuplicateIds(Mutex<Option<String>>),
    /// Requests denied with ErrorImpersonateUserDenied are re-sent as the full-right account.
    IgnoreImpersonationDenial,
    /// Every answer has one text replaced by another (a wrong code, a reworded fault).
    Replace(&'static str, &'static str),
}

/// Replaces the Id of every `ItemId` in `body` with `id`.
fn replace_item_ids(body: &str, id: &str) -> String {
    let marker = "ItemId Id=\"";
    let mut out = String::new();
    let mut rest = body;
    while let Some(at) = rest.find(marker) {
        out.push_str(&rest[..at + marker.len()]);
        rest = &rest[at + marker.len()..];
        let end = rest.find('"').expect("an attribute value is closed");
        out.push_str(id);
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// The Basic credentials of the demo tenant's full-right service account.
const SVC_CALENDAR: &str = "Basic c3ZjLWNhbGVuZGFyQGNvbnRvc28uY29tOnBhc3N3b3Jk";

/// Forwards one request to the mock and returns (status, content type, body).
async fn forward(
    http: &reqwest::Client,
    upstream: &str,
    method: hyper::Method,
    path: &str,
    headers: &hyper::HeaderMap,
    body: Bytes,
    auth: Option<&str>,
) -> (u16, String, String) {
    let method = reqwest::Method::from_bytes(method.as_str().as_bytes()).expect("a valid method");
    let mut req = http.request(method, format!("{upstream}{path}")).body(body);
    let auth = auth.or_else(|| headers.get("authorization").and_then(|v| v.to_str().ok()));
    for (name, value) in
        [("content-type", headers.get("content-type").and_then(|v| v.to_str().ok())), ("authorization", auth)]
    {
        if let Some(v) = value {
            req = req.header(name, v);
        }
    }
    if let Some(v) = headers.get("x-anchormailbox").and_then(|v| v.to_str().ok()) {
        req = req.header("x-anchormailbox", v);
    }
    let resp = req.send().await.expect("the mock answers");
    let status = resp.status().as_u16();
    let ct = resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("text/xml").to_string();
    (status, ct, resp.text().await.expect("a text body"))
}

/// Starts a proxy on 127.0.0.1:0 in front of `upstream` that corrupts answers; returns its base.
async fn start_proxy(upstream: String, corrupt: Corrupt) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the proxy");
    let addr: SocketAddr = listener.local_addr().expect("a local address");
    let corrupt = Arc::new(corrupt);
    let http = reqwest::Client::new();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { return };
            let (corrupt, http, upstream) = (corrupt.clone(), http.clone(), upstream.clone());
            tokio::spawn(async move {
                let service = service_fn(move |req: Request<hyper::body::Incoming>| {
                    let (corrupt, http, upstream) = (corrupt.clone(), http.clone(), upstream.clone());
                    async move {
                        use http_body_util::BodyExt;
                        let (parts, body) = req.into_parts();
                        let body = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
                        let path = parts.uri.path().to_string();
                        let send = |auth: Option<&'static str>| {
                            forward(&http, &upstream, parts.method.clone(), &path, &parts.headers, body.clone(), auth)
                        };
                        let (mut status, ct, mut text) = send(None).await;
                        match &*corrupt {
                            Corrupt::DuplicateIds(first) if text.contains("CreateItemResponse") => {
                                let seen = text.split("ItemId Id=\"").nth(1).and_then(|r| r.split('"').next());
                                let id = first
                                    .lock()
                                    .expect("not poisoned")
                                    .get_or_insert_with(|| seen.unwrap_or_default().to_string())
                                    .clone();
                                text = replace_item_ids(&text, &id);
                            }
                            Corrupt::IgnoreImpersonationDenial if text.contains("ErrorImpersonateUserDenied") => {
                                (status, _, text) = send(Some(SVC_CALENDAR)).await;
                            }
                            Corrupt::Replace(from, to) => text = text.replace(from, to),
                            _ => {}
                        }
                        let mut resp = Response::new(Full::new(Bytes::from(text)));
                        *resp.status_mut() = hyper::StatusCode::from_u16(status).expect("a valid status");
                        resp.headers_mut().insert("content-type", ct.parse().expect("a valid header"));
                        Ok::<_, Infallible>(resp)
                    }
                });
                let _ =
                    hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
            });
        }
    });
    format!("http://{addr}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_passes_against_the_mock() {
    let mock = MockEws::start();
    let report = run_all(&mock.ews_url()).await;
    assert!(report.ok(), "scenarios failed against ews-mock:\n{}", report.render());
    let (passed, _, skipped) = report.counts();
    assert_eq!(passed + skipped, runner::scenarios::all().len());
    // The demo tenant configures everything and the mock has fault injection: nothing to skip.
    assert_eq!(skipped, 0, "{}", report.render());
    // Every scenario cleaned up after itself: no mailbox keeps an item.
    for m in ["alfred@contoso.com", "sonyaf@contoso.com", "chris@contoso.com"] {
        use ews_mock::FolderKind::{Calendar, DeletedItems, Inbox, SentItems};
        for folder in [Calendar, Inbox, SentItems, DeletedItems] {
            assert_eq!(mock.items(m, folder).len(), 0, "{m} {folder:?} was left with items");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_passes_against_an_isolated_tenant_of_a_shared_mock() {
    let mock = MockEws::start();
    let endpoint = format!("{}/t/job-1/EWS/Exchange.asmx", mock.uri());
    let env = Env::connect(&endpoint, Config::demo_tenant()).await.expect("the runner starts");
    assert_eq!(env.admin, Some(format!("{}/t/job-1/_mock", mock.uri())));
    let report = runner::run(&env, &runner::select(None), |_| {}).await;
    assert_eq!(report.counts(), (runner::scenarios::all().len(), 0, 0), "{}", report.render());
    assert!(mock.received_requests().is_empty(), "the default tenant saw requests meant for job-1");
    let (text, bad) = client_report::fetch(&mock.uri(), Some("job-1")).await.expect("the journal reads");
    assert!(bad > 0, "the malformed-XML scenario's request is reported:\n{text}");
    assert!(text.contains("ErrorSchemaValidation"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_injection_scenarios_skip_with_a_reason_when_the_endpoint_has_no_admin_api() {
    let mock = MockEws::builder().without_admin().start().expect("the mock starts");
    let env = Env::connect(&mock.ews_url(), Config::demo_tenant()).await.expect("the runner starts");
    assert_eq!(env.admin, None);
    let report = runner::run(&env, &runner::select(Some("faults.server-busy")), |_| {}).await;
    assert_eq!(report.counts(), (0, 0, 2), "{}", report.render());
    assert!(report.render().contains("skipped: the endpoint has no /_mock/ admin API"), "{}", report.render());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_returning_duplicate_ids_fails_the_seed_scenario() {
    let mock = MockEws::start();
    let proxy = start_proxy(mock.uri(), Corrupt::DuplicateIds(Mutex::new(None))).await;
    let report = run_all(&format!("{proxy}/EWS/Exchange.asmx")).await;
    assert_failed(&report, "seed.tennis-lesson-each-mailbox", "3 saves returned 1 distinct ItemIds");
    assert!(report.render().lines().any(|l| l.starts_with("FAIL  seed.tennis-lesson-each-mailbox  (")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_ignoring_impersonation_denials_fails_the_denial_scenarios() {
    let mock = MockEws::start();
    let proxy = start_proxy(mock.uri(), Corrupt::IgnoreImpersonationDenial).await;
    let report = run_all(&format!("{proxy}/EWS/Exchange.asmx")).await;
    assert_failed(
        &report,
        "impersonation.denied-without-right",
        "expected ErrorImpersonateUserDenied, but it succeeded",
    );
    assert_failed(&report, "impersonation.scope-outside", "expected ErrorImpersonateUserDenied, but it succeeded");
    // The rest of the server is fine, and the report says so.
    assert_eq!(report.get("impersonation.scope-inside").map(|r| &r.status), Some(&Status::Pass));
    assert_eq!(report.get("seed.tennis-lesson-each-mailbox").map(|r| &r.status), Some(&Status::Pass));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_with_the_wrong_fault_code_fails_the_missing_mailbox_scenario() {
    let mock = MockEws::start();
    let wrong_code = Corrupt::Replace("ErrorNonExistentMailbox", "ErrorImpersonateUserDenied");
    let proxy = start_proxy(mock.uri(), wrong_code).await;
    let report = run_all(&format!("{proxy}/EWS/Exchange.asmx")).await;
    assert_failed(
        &report,
        "impersonation.missing-mailbox",
        "expected ErrorNonExistentMailbox, got SOAP fault ErrorImpersonateUserDenied",
    );
    assert_eq!(report.counts().1, 1, "only the missing-mailbox scenario breaks:\n{}", report.render());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_with_a_reworded_fault_fails_with_the_golden_diff() {
    let mock = MockEws::start();
    let reworded = Corrupt::Replace("Possible SOAP version mismatch", "Bad envelope");
    let proxy = start_proxy(mock.uri(), reworded).await;
    let env = Env::connect(&format!("{proxy}/EWS/Exchange.asmx"), Config::demo_tenant()).await.expect("starts");
    let report = runner::run(&env, &runner::select(Some("faults.")), |_| {}).await;
    assert_failed(&report, "faults.https-soap-namespace", "golden mismatch in case `faults/err_https_soap_namespace`");
    let text = report.render();
    assert!(text.contains("      --- fixtures/faults/err_https_soap_namespace.response.xml"), "{text}");
    assert!(text.contains("      +      <faultstring xml:lang=\"en-US\">Bad envelope:"), "{text}");
    assert_eq!(report.counts(), (3, 1, 0), "{text}");
}

#[test]
fn the_binary_runs_green_against_the_mock_and_writes_junit() {
    let mock = MockEws::start();
    let dir = std::env::temp_dir().join(format!("ews-conformance-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let junit = dir.join("report.xml");
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/demo-tenant.toml");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ews-conformance"))
        .args(["run", "--endpoint", &mock.ews_url(), "--config", config, "--junit"])
        .arg(&junit)
        .output()
        .expect("the binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "exit {:?}\n{stdout}\n{}", out.status, String::from_utf8_lossy(&out.stderr));
    let n = runner::scenarios::all().len();
    assert_eq!(stdout.lines().last(), Some(format!("{n} passed, 0 failed, 0 skipped").as_str()), "{stdout}");
    assert!(stdout.lines().any(|l| l.starts_with("PASS  impersonation.smtp-address  (")), "{stdout}");
    let xml = std::fs::read_to_string(&junit).expect("the JUnit file was written");
    let doc = roxmltree::Document::parse(&xml).expect("the JUnit file parses");
    let suite = doc.descendants().find(|n| n.has_tag_name("testsuite")).expect("a testsuite");
    assert_eq!(suite.attribute("tests"), Some(n.to_string().as_str()));
    assert_eq!(suite.attribute("failures"), Some("0"));
    assert_eq!(doc.descendants().filter(|n| n.has_tag_name("testcase")).count(), n);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn client_report_lists_the_schema_breaking_request_and_exits_non_zero() {
    let mock = MockEws::start();
    let http = ews_conformance::oracle::Http::new();
    let auth = ews_conformance::Auth::Basic { user: "svc-calendar@contoso.com".into(), password: "password".into() };
    let bad = b"<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body><x>&</x>".to_vec();
    http.post(&mock.ews_url(), &auth, bad).expect("the mock answers");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ews-conformance"))
        .args(["client-report", "--endpoint", &mock.uri()])
        .output()
        .expect("the binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("#1 "), "{stdout}");
    assert!(stdout.contains("ErrorSchemaValidation"), "{stdout}");
    assert!(stdout.ends_with("1 requests, 1 with violations\n"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_report_is_clean_after_a_green_run_through_the_typed_client() {
    let mock = MockEws::start();
    let env = Env::connect(&mock.ews_url(), Config::demo_tenant()).await.expect("the runner starts");
    runner::run(&env, &runner::select(Some("lifecycle.")), |_| {}).await;
    let (text, bad) = client_report::fetch(&mock.ews_url(), None).await.expect("the journal reads");
    assert_eq!(bad, 0, "{text}");
    assert!(text.ends_with(" with violations\n") && !text.starts_with("0 requests"), "{text}");
}
