//! The client against a tiny hand-written HTTP server: ErrorServerBusy retries within the budget,
//! no retry for anything else, 401 challenges, and the headers an impersonated request carries.
//!
//! The server is a tokio `TcpListener` on 127.0.0.1:0 answering canned responses, one request per
//! connection (`Connection: close`), so the tests need nothing from ews-mock.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ews_client::{Appointment, ConnectingSid, Error, ResponseCode, RetryPolicy, Service};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const BUSY: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault>
<faultcode xmlns:a="http://schemas.microsoft.com/exchange/services/2006/types">a:ErrorServerBusy</faultcode>
<faultstring xml:lang="en-US">The server cannot service this request right now. Try again later.</faultstring>
<detail><e:ResponseCode xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">ErrorServerBusy</e:ResponseCode>
<e:Message xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">The server cannot service this request right now. Try again later.</e:Message>
<t:MessageXml xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><t:Value Name="BackOffMilliseconds">BACKOFF</t:Value></t:MessageXml>
</detail></s:Fault></s:Body></s:Envelope>"#;

const DENIED: &str = r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault>
<faultcode xmlns:a="http://schemas.microsoft.com/exchange/services/2006/types">a:ErrorImpersonateUserDenied</faultcode>
<faultstring xml:lang="en-US">The account does not have permission to impersonate the requested user.</faultstring>
<detail><e:ResponseCode xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">ErrorImpersonateUserDenied</e:ResponseCode>
<e:Message xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">The account does not have permission to impersonate the requested user.</e:Message>
</detail></s:Fault></s:Body></s:Envelope>"#;

const CREATED: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header>
<h:ServerVersionInfo xmlns:h="http://schemas.microsoft.com/exchange/services/2006/types" MajorVersion="15" MinorVersion="20" MajorBuildNumber="1" MinorBuildNumber="1" Version="V2018_01_08"/></s:Header>
<s:Body><m:CreateItemResponse xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types">
<m:ResponseMessages><m:CreateItemResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode>
<m:Items><t:CalendarItem><t:ItemId Id="AAMkA-new" ChangeKey="DwAAA"/></t:CalendarItem></m:Items>
</m:CreateItemResponseMessage></m:ResponseMessages></m:CreateItemResponse></s:Body></s:Envelope>"#;

/// One canned answer: status, extra headers, body.
type Answer = (u16, Vec<(&'static str, String)>, String);

/// A running test server: its URL, how many requests it saw, and the raw requests.
struct TestServer {
    url: String,
    hits: Arc<AtomicUsize>,
    requests: Arc<Mutex<Vec<String>>>,
    in_flight_max: Arc<AtomicUsize>,
}

/// Starts a server that answers request number `n` (from 0) with `answer(n)`.
async fn start(answer: impl Fn(usize) -> Answer + Send + Sync + 'static) -> TestServer {
    start_with(move |n, _| answer(n), |_| Duration::ZERO).await
}

/// Starts a server answering `answer(n, raw request)` after `delay(raw request)`, one task per
/// connection; `in_flight_max` records the most requests it held at once.
async fn start_with(
    answer: impl Fn(usize, &str) -> Answer + Send + Sync + 'static,
    delay: impl Fn(&str) -> Duration + Send + Sync + 'static,
) -> TestServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1:0");
    let url = format!("http://{}/EWS/Exchange.asmx", listener.local_addr().expect("local addr"));
    let hits = Arc::new(AtomicUsize::new(0));
    let requests = Arc::new(Mutex::new(Vec::new()));
    let (h, r) = (Arc::clone(&hits), Arc::clone(&requests));
    let (answer, delay) = (Arc::new(answer), Arc::new(delay));
    let in_flight = Arc::new(AtomicUsize::new(0));
    let in_flight_max = Arc::new(AtomicUsize::new(0));
    let max = Arc::clone(&in_flight_max);
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else { return };
            let (h, r, answer, delay) = (Arc::clone(&h), Arc::clone(&r), Arc::clone(&answer), Arc::clone(&delay));
            let (in_flight, max) = (Arc::clone(&in_flight), Arc::clone(&max));
            tokio::spawn(async move {
                let raw = read_request(&mut socket).await;
                let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                max.fetch_max(now, Ordering::SeqCst);
                let n = h.fetch_add(1, Ordering::SeqCst);
                r.lock().expect("not poisoned").push(raw.clone());
                tokio::time::sleep(delay(&raw)).await;
                in_flight.fetch_sub(1, Ordering::SeqCst);
                let (status, headers, body) = answer(n, &raw);
                let reason = match status {
                    200 => "OK",
                    401 => "Unauthorized",
                    _ => "Internal Server Error",
                };
                let mut out = format!(
                "HTTP/1.1 {status} {reason}\r\nContent-Type: text/xml; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n",
                body.len()
            );
                for (k, v) in headers {
                    out.push_str(&format!("{k}: {v}\r\n"));
                }
                out.push_str("\r\n");
                out.push_str(&body);
                let _ = socket.write_all(out.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    TestServer { url, hits, requests, in_flight_max }
}

/// Reads one HTTP/1.1 request with a Content-Length body.
async fn read_request(socket: &mut tokio::net::TcpStream) -> String {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = socket.read(&mut chunk).await.unwrap_or(0);
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf);
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_owned()))
                .and_then(|v| v.parse::<usize>().ok())
                .unwrap_or(0);
            if buf.len() >= end + 4 + length {
                break;
            }
        }
    }
    String::from_utf8_lossy(&buf).into_owned()
}

fn service(url: &str, retry: RetryPolicy) -> Service {
    // No HTTP timeout: with paused time a pending timeout could fire while the server works.
    Service::builder(url)
        .basic("svc-calendar@contoso.com", "password")
        .no_timeout()
        .retry(retry)
        .build()
        .expect("service")
}

fn appointment() -> Appointment {
    let start = "2026-03-02T17:00:00Z".parse::<chrono::DateTime<chrono::Utc>>().expect("date");
    Appointment::builder()
        .subject("Tennis lesson")
        .start(start)
        .duration(chrono::Duration::hours(1))
        .build()
        .expect("valid")
}

fn busy(ms: u64) -> Answer {
    (500, vec![], BUSY.replace("BACKOFF", &ms.to_string()))
}

#[tokio::test(start_paused = true)]
async fn server_busy_is_retried_after_its_back_off_then_succeeds() {
    let server = start(|n| if n < 2 { busy(30_000) } else { (200, vec![], CREATED.to_owned()) }).await;
    let policy = RetryPolicy { max_attempts: 5, max_total_wait: Duration::from_secs(120), ..RetryPolicy::default() };
    let alfred = service(&server.url, policy).impersonate(ConnectingSid::SmtpAddress("alfred@contoso.com".into()));
    let before = tokio::time::Instant::now();
    let saved = alfred.save(appointment()).await.expect("third attempt succeeds");
    assert_eq!(saved.item_id().id, "AAMkA-new");
    assert_eq!(server.hits.load(Ordering::SeqCst), 3);
    assert!(before.elapsed() >= Duration::from_secs(60), "waited only {:?}", before.elapsed());
}

#[tokio::test]
async fn back_off_beyond_the_wait_budget_returns_the_fault_at_once() {
    let server = start(|_| busy(297_749)).await;
    let alfred = service(&server.url, RetryPolicy::default())
        .impersonate(ConnectingSid::SmtpAddress("alfred@contoso.com".into()));
    let err = alfred.save(appointment()).await.expect_err("busy");
    assert_eq!(err.response_code(), Some(ResponseCode::ErrorServerBusy));
    let Error::Fault(fault) = err else { panic!("expected a fault") };
    assert_eq!(fault.back_off(), Some(Duration::from_millis(297_749)));
    assert_eq!(server.hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn attempts_budget_caps_the_retries() {
    let server = start(|_| busy(5)).await;
    let policy = RetryPolicy { max_attempts: 3, ..RetryPolicy::default() };
    let alfred = service(&server.url, policy).impersonate(ConnectingSid::SmtpAddress("alfred@contoso.com".into()));
    let err = alfred.save(appointment()).await.expect_err("always busy");
    assert_eq!(err.response_code(), Some(ResponseCode::ErrorServerBusy));
    assert_eq!(server.hits.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn other_faults_are_not_retried() {
    let server = start(|_| (500, vec![], DENIED.to_owned())).await;
    let alfred = service(&server.url, RetryPolicy::default())
        .impersonate(ConnectingSid::SmtpAddress("alfred@contoso.com".into()));
    let err = alfred.save(appointment()).await.expect_err("denied");
    assert_eq!(err.response_code(), Some(ResponseCode::ErrorImpersonateUserDenied));
    assert_eq!(server.hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn unauthorized_reports_status_and_challenge() {
    let server = start(|_| (401, vec![("WWW-Authenticate", "Basic realm=\"ews\"".to_owned())], String::new())).await;
    let alfred = service(&server.url, RetryPolicy::default())
        .impersonate(ConnectingSid::SmtpAddress("alfred@contoso.com".into()));
    let Err(Error::Http(http)) = alfred.save(appointment()).await else { panic!("expected an HTTP error") };
    assert_eq!(http.status, 401);
    assert_eq!(http.challenge.as_deref(), Some("Basic realm=\"ews\""));
    assert_eq!(server.hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn impersonated_request_carries_header_anchor_and_soap_action() {
    let server = start(|_| (200, vec![], CREATED.to_owned())).await;
    let sonya = service(&server.url, RetryPolicy::default())
        .impersonate(ConnectingSid::PrimarySmtpAddress("sonyaf@contoso.com".into()));
    sonya.save(appointment()).await.expect("saved");
    let raw = server.requests.lock().expect("not poisoned")[0].clone();
    let lower = raw.to_ascii_lowercase();
    assert!(lower.contains("x-anchormailbox: sonyaf@contoso.com"), "{raw}");
    assert!(lower.contains("soapaction: http://schemas.microsoft.com/exchange/services/2006/messages/createitem"));
    assert!(lower.contains("authorization: basic "));
    assert!(lower.contains("content-type: text/xml; charset=utf-8"));
    assert!(raw.contains(
        "<t:ConnectingSID><t:PrimarySmtpAddress>sonyaf@contoso.com</t:PrimarySmtpAddress></t:ConnectingSID>"
    ));
    assert!(raw.contains(r#"<m:CreateItem SendMeetingInvitations="SendToNone">"#));
}

#[tokio::test]
async fn create_in_each_keeps_input_order_and_isolates_failures() {
    // Requests are answered in arrival order; the second mailbox's request is refused.
    let server = start(|_| (200, vec![], CREATED.to_owned())).await;
    let svc = service(&server.url, RetryPolicy::default());
    let mailboxes = ["a@contoso.com", "b@contoso.com", "c@contoso.com"].map(|m| ConnectingSid::SmtpAddress(m.into()));
    let results = svc
        .create_in_each(
            mailboxes,
            |sid| {
                if sid.value() == "b@contoso.com" {
                    Err(Error::Invalid("no appointment for b".into()))
                } else {
                    Ok(appointment())
                }
            },
            2,
        )
        .await;
    let names: Vec<_> = results.iter().map(|r| r.mailbox.value().to_owned()).collect();
    assert_eq!(names, ["a@contoso.com", "b@contoso.com", "c@contoso.com"]);
    assert!(results[0].result.is_ok() && results[2].result.is_ok());
    assert!(matches!(results[1].result, Err(Error::Invalid(_))));
    assert_eq!(server.hits.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn create_in_each_bounds_concurrency_and_matches_results_to_mailboxes() {
    // Each answer's ItemId names the impersonated mailbox; the first mailbox answers slowest.
    let server = start_with(
        |_, raw| {
            let who = raw.split("<t:SmtpAddress>").nth(1).and_then(|s| s.split('<').next()).unwrap_or("?").to_owned();
            (200, vec![], CREATED.replace("AAMkA-new", &format!("id-{who}")))
        },
        |raw| if raw.contains("m0@contoso.com") { Duration::from_millis(300) } else { Duration::from_millis(20) },
    )
    .await;
    let svc = service(&server.url, RetryPolicy::default());
    let addresses: Vec<String> = (0..6).map(|i| format!("m{i}@contoso.com")).collect();
    let results =
        svc.create_in_each(addresses.iter().cloned().map(ConnectingSid::SmtpAddress), |_| Ok(appointment()), 2).await;
    for (r, address) in results.iter().zip(&addresses) {
        assert_eq!(r.mailbox.value(), address);
        assert_eq!(r.result.as_ref().expect("saved").item_id().id, format!("id-{address}"));
    }
    assert_eq!(server.in_flight_max.load(Ordering::SeqCst), 2);
}
