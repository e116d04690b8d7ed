//! The standalone `ews-mock` binary: prints its URL once it accepts connections, answers at
//! once, loads tenant configs, and exits cleanly on SIGTERM and SIGINT.

mod common;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

struct Running {
    child: Child,
    addr: SocketAddr,
    started: Instant,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(args: &[&str]) -> Running {
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ews-mock"))
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn ews-mock");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).expect("read the ready line");
    assert!(line.starts_with("ews-mock listening on http://"), "{line:?}");
    let url = line.trim().rsplit(' ').next().expect("url");
    assert!(url.ends_with("/EWS/Exchange.asmx"), "{url}");
    let addr: SocketAddr = url
        .trim_start_matches("http://")
        .trim_end_matches("/EWS/Exchange.asmx")
        .parse()
        .expect("socket address in the URL");
    Running { child, addr, started }
}

#[test]
fn binary_prints_its_url_and_answers_the_first_request_within_a_second() {
    let running = spawn(&[]);
    let resp = Conn::open(running.addr).post(Some(&svc_calendar()), &seed_request("alfred@contoso.com"));
    let elapsed = running.started.elapsed();
    assert_eq!(resp.response_codes(), ["NoError"]);
    assert!(elapsed < Duration::from_secs(1), "first answer after {elapsed:?}");
}

#[cfg(unix)]
fn signal_exits_cleanly(signal: &str) {
    let mut running = spawn(&[]);
    let pid = running.child.id().to_string();
    let status = Command::new("kill").args([signal, &pid]).status().expect("kill");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let Some(status) = running.child.try_wait().expect("wait") {
            assert!(status.success(), "exit status after {signal}: {status}");
            return;
        }
        assert!(Instant::now() < deadline, "ews-mock did not exit after {signal}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[cfg(unix)]
#[test]
fn sigterm_stops_the_binary_cleanly() {
    signal_exits_cleanly("-TERM");
}

#[cfg(unix)]
#[test]
fn sigint_stops_the_binary_cleanly() {
    signal_exits_cleanly("-INT");
}

#[test]
fn the_shipped_demo_config_loads_to_the_embedded_tenant() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tenants/demo.toml");
    assert_eq!(
        ews_mock::TenantConfig::from_toml(&std::fs::read_to_string(path).expect("read demo.toml")).expect("valid"),
        ews_mock::TenantConfig::demo()
    );
    let running = spawn(&["--config", path]);
    let mut conn = Conn::open(running.addr);
    let sales = basic("svc-sales@contoso.com", "password");
    let ok = conn.post(Some(&sales), &seed_request("sonyaf@contoso.com"));
    assert_eq!(ok.response_codes(), ["NoError"]);
    let denied = conn.post(Some(&sales), &seed_request("alfred@contoso.com"));
    assert_eq!(denied.fault_code().as_deref(), Some("ErrorImpersonateUserDenied"));
}

#[test]
fn a_custom_tenant_config_declares_its_own_accounts_and_scopes() {
    let dir = std::env::temp_dir().join(format!("ews-mock-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("tenant.toml");
    std::fs::write(
        &path,
        r#"
profile = "Exchange2016"
[[mailboxes]]
smtp = "ann@fabrikam.com"
aliases = ["a.n@fabrikam.com"]
[[accounts]]
upn = "robot@fabrikam.com"
password = "s3cret"
impersonation = ["ann@fabrikam.com"]
"#,
    )
    .expect("write config");
    let running = spawn(&["--config", path.to_str().expect("utf-8 path")]);
    let mut conn = Conn::open(running.addr);
    let robot = basic("robot@fabrikam.com", "s3cret");
    let req = envelope(
        &impersonate("SmtpAddress", "a.n@fabrikam.com"),
        &create_item("SendMeetingInvitations=\"SendToNone\"", SEED_ITEM),
    );
    let resp = conn.post(Some(&robot), &req);
    assert_eq!(resp.response_codes(), ["NoError"], "{}", resp.body);
    assert!(resp.body.contains("MinorVersion=\"1\""), "the Exchange2016 profile answers 15.1: {}", resp.body);
    let old = conn.post(Some(&basic("alfred@contoso.com", "password")), &seed_request("alfred@contoso.com"));
    assert_eq!(old.status, 401, "the demo tenant is not loaded");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_invalid_config_is_refused_with_a_message_naming_the_problem() {
    let dir = std::env::temp_dir().join(format!("ews-mock-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("bad.toml");
    std::fs::write(&path, "[[accounts]]\nupn = \"x@y.com\"\npassword = \"p\"\nimpersonation = [\"ghost@y.com\"]\n")
        .expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_ews-mock"))
        .args(["--listen", "127.0.0.1:0", "--config", path.to_str().expect("utf-8")])
        .output()
        .expect("run");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("ghost@y.com"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}
