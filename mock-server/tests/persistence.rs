//! The state file: items, ids and ChangeKeys survive a restart; after kill -9 the file is a
//! whole snapshot holding every item acknowledged before the last completed write; a bad file
//! is a clear error; without `--state` nothing is written.

mod common;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::*;
use ews_mock::{FolderKind, MockEws, TenantConfig};

const ALFRED: &str = "alfred@contoso.com";
const CHRIS: &str = "chris@contoso.com";

/// A fresh empty directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_nanos();
        let dir = std::env::temp_dir().join(format!("ews-mock-{name}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }

    fn path(&self, file: &str) -> PathBuf {
        self.0.join(file)
    }

    fn files(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.0)
            .expect("list")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn as_mailbox(mailbox: &str) -> String {
    format!("{VERSION_2013}{}", impersonate("SmtpAddress", mailbox))
}

fn create(conn: &mut Conn, path: &str, mailbox: &str, subject: &str) -> (String, String) {
    let item = SEED_ITEM.replace("Tennis lesson", subject);
    let body = envelope(&as_mailbox(mailbox), &create_item("SendMeetingInvitations=\"SendToNone\"", &item));
    let auth = svc_calendar();
    let resp = conn.send("POST", path, &[("Authorization", &auth)], body.as_bytes());
    assert_eq!(resp.response_codes(), ["NoError"], "{}", resp.body);
    let doc = resp.doc();
    let id = doc.descendants().find(|n| n.has_tag_name((TYPES, "ItemId"))).expect("ItemId");
    (id.attribute("Id").expect("Id").to_string(), id.attribute("ChangeKey").expect("ChangeKey").to_string())
}

fn get_subject(conn: &mut Conn, path: &str, mailbox: &str, id: &str) -> Result<String, String> {
    let op = format!(
        "<m:GetItem><m:ItemShape><t:BaseShape>AllProperties</t:BaseShape></m:ItemShape><m:ItemIds><t:ItemId Id=\"{id}\"/></m:ItemIds></m:GetItem>"
    );
    let auth = svc_calendar();
    let resp = conn.send("POST", path, &[("Authorization", &auth)], envelope(&as_mailbox(mailbox), &op).as_bytes());
    let codes = resp.response_codes();
    if codes != ["NoError"] {
        return Err(codes.join(","));
    }
    let doc = resp.doc();
    let subject = doc.descendants().find(|n| n.has_tag_name((TYPES, "Subject"))).and_then(|n| n.text());
    Ok(subject.unwrap_or("").to_string())
}

fn update(conn: &mut Conn, mailbox: &str, id: &str, change_key: &str, subject: &str) -> Vec<String> {
    let op = format!(
        "<m:UpdateItem ConflictResolution=\"NeverOverwrite\" SendMeetingInvitationsOrCancellations=\"SendToNone\"><m:ItemChanges><t:ItemChange><t:ItemId Id=\"{id}\" ChangeKey=\"{change_key}\"/><t:Updates><t:SetItemField><t:FieldURI FieldURI=\"item:Subject\"/><t:CalendarItem><t:Subject>{subject}</t:Subject></t:CalendarItem></t:SetItemField></t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>"
    );
    conn.post(Some(&svc_calendar()), &envelope(&as_mailbox(mailbox), &op)).response_codes()
}

/// Every item of every mailbox and folder of a tenant, as the mock reports them.
fn everything(tenant: &ews_mock::TenantHandle) -> Vec<ews_mock::StoredItem> {
    let mut all = Vec::new();
    for mailbox in [ALFRED, "sonyaf@contoso.com", CHRIS] {
        for folder in FolderKind::ALL {
            all.extend(tenant.items(mailbox, folder));
        }
    }
    all
}

/// A meeting alfred organises with chris, so the state holds organizers and linked copies.
fn meeting(conn: &mut Conn) {
    let item = SEED_ITEM.replace(
        "<t:MeetingTimeZone",
        "<t:RequiredAttendees><t:Attendee><t:Mailbox><t:EmailAddress>chris@contoso.com</t:EmailAddress></t:Mailbox></t:Attendee></t:RequiredAttendees><t:MeetingTimeZone",
    );
    let item = item.replace("Tennis lesson", "meeting");
    let body = envelope(&as_mailbox(ALFRED), &create_item("SendMeetingInvitations=\"SendToAllAndSaveCopy\"", &item));
    let resp = conn.post(Some(&svc_calendar()), &body);
    assert_eq!(resp.response_codes(), ["NoError"], "{}", resp.body);
}

fn with_state(path: &Path) -> MockEws {
    MockEws::builder().state_file(path, Duration::from_millis(50)).start().expect("start with a state file")
}

#[test]
fn items_ids_and_change_keys_survive_a_restart() {
    let dir = TempDir::new("restart");
    let state = dir.path("state.json");
    let (kept, updated, job, old_keys, before) = {
        let mock = with_state(&state);
        let mut conn = Conn::open(mock.address());
        meeting(&mut conn);
        let kept = create(&mut conn, "/EWS/Exchange.asmx", ALFRED, "kept");
        let updated = create(&mut conn, "/EWS/Exchange.asmx", CHRIS, "before");
        assert_eq!(update(&mut conn, CHRIS, &updated.0, &updated.1, "after"), ["NoError"]);
        let job = create(&mut conn, "/t/job-7/EWS/Exchange.asmx", ALFRED, "in job-7");
        let old_keys: Vec<String> = mock.items(CHRIS, FolderKind::Calendar).into_iter().map(|i| i.change_key).collect();
        let before = (everything(&mock.default_tenant()), everything(&mock.tenant("job-7")));
        (kept, updated, job, old_keys, before)
        // Dropping the mock is a clean shutdown: the last snapshot is written.
    };
    assert_eq!(dir.files(), ["state.json"], "no temporary file is left behind");

    let mock = with_state(&state);
    let after = (everything(&mock.default_tenant()), everything(&mock.tenant("job-7")));
    assert_eq!(after, before, "every item comes back field for field, with its id and ChangeKey");
    assert!(after.0.iter().any(|i| i.organizer.as_deref() == Some(ALFRED) && i.folder == FolderKind::Inbox));
    let mut conn = Conn::open(mock.address());
    assert_eq!(get_subject(&mut conn, "/EWS/Exchange.asmx", ALFRED, &kept.0).as_deref(), Ok("kept"));
    assert_eq!(get_subject(&mut conn, "/EWS/Exchange.asmx", CHRIS, &updated.0).as_deref(), Ok("after"));
    assert_eq!(get_subject(&mut conn, "/t/job-7/EWS/Exchange.asmx", ALFRED, &job.0).as_deref(), Ok("in job-7"));
    // Tenants stay apart after a restart too.
    assert!(get_subject(&mut conn, "/EWS/Exchange.asmx", ALFRED, &job.0).is_err());
    let keys: Vec<String> = mock.items(CHRIS, FolderKind::Calendar).into_iter().map(|i| i.change_key).collect();
    assert_eq!(keys, old_keys, "ChangeKeys are the same after the restart");
    // The stale ChangeKey is still stale; the current one still works.
    let current =
        mock.items(CHRIS, FolderKind::Calendar).into_iter().find(|i| i.id == updated.0).expect("updated item");
    assert_eq!(update(&mut conn, CHRIS, &updated.0, &updated.1, "stale"), ["ErrorIrresolvableConflict"]);
    assert_eq!(update(&mut conn, CHRIS, &updated.0, &current.change_key, "again"), ["NoError"]);
    // New items get new ids, never an old one.
    let fresh = create(&mut conn, "/EWS/Exchange.asmx", ALFRED, "fresh");
    assert!(before.0.iter().all(|i| i.id != fresh.0), "a new id, never an old one");
    assert_eq!(mock.items(ALFRED, FolderKind::Calendar).len(), 3);
}

#[test]
fn items_of_mailboxes_gone_from_the_config_are_dropped_and_the_rest_map_by_address() {
    let dir = TempDir::new("remap");
    let state = dir.path("state.json");
    let alfred_id = {
        let mock = with_state(&state);
        let mut conn = Conn::open(mock.address());
        create(&mut conn, "/EWS/Exchange.asmx", CHRIS, "chris's");
        create(&mut conn, "/EWS/Exchange.asmx", ALFRED, "alfred's").0
    };
    // alfred is now the second mailbox, and chris is gone.
    let config = TenantConfig::from_toml(
        r#"
        [[mailboxes]]
        smtp = "newcomer@contoso.com"
        [[mailboxes]]
        smtp = "alfred@contoso.com"
        [[accounts]]
        upn = "svc-calendar@contoso.com"
        password = "password"
        impersonation = "all"
        "#,
    )
    .expect("config");
    let mock =
        MockEws::builder().tenant(config).state_file(&state, Duration::from_millis(50)).start().expect("restart");
    let mut conn = Conn::open(mock.address());
    assert_eq!(get_subject(&mut conn, "/EWS/Exchange.asmx", ALFRED, &alfred_id).as_deref(), Ok("alfred's"));
    assert!(mock.items("newcomer@contoso.com", FolderKind::Calendar).is_empty());
    assert_eq!(mock.items(ALFRED, FolderKind::Calendar).len(), 1);
}

#[test]
fn a_corrupt_truncated_or_foreign_state_file_is_a_clear_error() {
    let dir = TempDir::new("corrupt");
    let good = dir.path("good.json");
    {
        let mock = with_state(&good);
        create(&mut Conn::open(mock.address()), "/EWS/Exchange.asmx", ALFRED, "x");
    }
    let text = std::fs::read_to_string(&good).expect("state written");
    for (name, content) in [
        ("garbage", "not json at all".to_string()),
        ("truncated", text[..text.len() / 2].to_string()),
        ("empty", String::new()),
        ("foreign", r#"{"format":"something else","version":1,"seq":1,"tenants":{}}"#.to_string()),
        ("future", text.replacen("\"version\":1", "\"version\":99", 1)),
    ] {
        let path = dir.path(&format!("{name}.json"));
        std::fs::write(&path, &content).expect("write");
        let err = MockEws::builder().state_file(&path, Duration::from_secs(1)).start().expect_err(name);
        let message = err.to_string();
        assert!(message.contains(&path.display().to_string()), "{name}: {message}");
        assert!(message.contains("not a usable ews-mock state file"), "{name}: {message}");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), content, "{name}: the file is left alone");
    }
    // The binary says so and exits with an error, without a panic.
    let out = Command::new(env!("CARGO_BIN_EXE_ews-mock"))
        .args(["--listen", "127.0.0.1:0", "--state"])
        .arg(dir.path("garbage.json"))
        .output()
        .expect("run ews-mock");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("not a usable ews-mock state file"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// The standalone binary with its stderr lines forwarded to a channel.
struct Binary {
    child: Child,
    addr: SocketAddr,
    lines: mpsc::Receiver<String>,
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(args: &[&str], cwd: &Path) -> Binary {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ews-mock"))
        .args(["--listen", "127.0.0.1:0", "--log-level", "info"])
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ews-mock");
    let (tx, lines) = mpsc::channel();
    let stderr = child.stderr.take().expect("stderr");
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("ready line");
    let addr = line.trim().trim_start_matches("ews-mock listening on http://").trim_end_matches("/EWS/Exchange.asmx");
    let addr = addr.parse().unwrap_or_else(|_| panic!("no address in {line:?}"));
    Binary { child, addr, lines }
}

/// `items=N` of a "state saved" log line.
fn saved_items(line: &str) -> Option<usize> {
    if !line.contains("state saved") {
        return None;
    }
    line.split_whitespace().find_map(|w| w.strip_prefix("items=")).and_then(|n| n.parse().ok())
}

fn alfreds_subjects(addr: SocketAddr) -> Vec<String> {
    let resp = Conn::open(addr).send("GET", &format!("/_mock/mailboxes/{ALFRED}/folders/calendar/items"), &[], b"");
    assert_eq!(resp.status, 200, "{}", resp.body);
    let items: Vec<serde_json::Value> = serde_json::from_str(&resp.body).expect("JSON");
    items.iter().map(|i| i["fields"]["subject"].as_str().expect("subject").to_string()).collect()
}

#[test]
fn after_kill_9_in_a_write_loop_the_restarted_mock_holds_every_item_of_the_last_completed_write() {
    let dir = TempDir::new("kill9");
    let state = dir.path("state.json");
    let state_arg = state.to_str().expect("UTF-8 path");
    let args = ["--state", state_arg, "--state-interval-ms", "10"];
    let mut first = spawn(&args, &dir.0);
    let mut conn = Conn::open(first.addr);
    let mut acked = 0usize;
    let mut saves = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    // Create items one after another until several snapshots completed, then kill mid-loop.
    while saves.len() < 8 || acked < 200 {
        create(&mut conn, "/EWS/Exchange.asmx", ALFRED, &format!("n{acked}"));
        acked += 1;
        saves.extend(first.lines.try_iter().filter_map(|l| saved_items(&l)));
        assert!(Instant::now() < deadline, "too few snapshots: {saves:?} after {acked} items");
    }
    first.child.kill().expect("kill -9");
    first.child.wait().expect("reap");
    // Log lines written before the kill are still in the pipe.
    std::thread::sleep(Duration::from_millis(100));
    saves.extend(first.lines.try_iter().filter_map(|l| saved_items(&l)));
    let last_completed = *saves.last().expect("a snapshot");
    assert!(saves.windows(2).all(|w| w[0] <= w[1]), "snapshots only grow: {saves:?}");

    let second = spawn(&args, &dir.0);
    let subjects = alfreds_subjects(second.addr);
    let k = subjects.len();
    let expected: Vec<String> = (0..k).map(|i| format!("n{i}")).collect();
    assert_eq!(subjects, expected, "a consistent prefix of the acknowledged items");
    assert!(k >= last_completed, "{k} items, but the last completed write held {last_completed}");
    assert!(k <= acked + 1, "{k} items, only {acked} acknowledged (+1 in flight)");
}

#[test]
fn without_state_nothing_is_written() {
    let dir = TempDir::new("stateless");
    let binary = spawn(&[], &dir.0);
    let mut conn = Conn::open(binary.addr);
    for n in 0..5 {
        create(&mut conn, "/EWS/Exchange.asmx", ALFRED, &format!("n{n}"));
    }
    drop(conn);
    #[cfg(unix)]
    {
        let mut binary = binary;
        let status = Command::new("kill").args(["-TERM", &binary.child.id().to_string()]).status().expect("kill");
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(5);
        while binary.child.try_wait().expect("wait").is_none() {
            assert!(Instant::now() < deadline, "did not stop");
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(binary.lines.try_iter().all(|l| !l.contains("state saved")));
    }
    assert!(dir.files().is_empty(), "files written: {:?}", dir.files());
}

#[cfg(unix)]
#[test]
fn the_binary_writes_its_state_on_sigterm_and_reads_it_back() {
    let dir = TempDir::new("sigterm");
    let state = dir.path("state.json");
    let state_arg = state.to_str().expect("UTF-8 path");
    // A long interval: only the shutdown write can have saved the item.
    let args = ["--state", state_arg, "--state-interval-ms", "600000"];
    let mut first = spawn(&args, &dir.0);
    let (id, _) = create(&mut Conn::open(first.addr), "/EWS/Exchange.asmx", ALFRED, "kept");
    let status = Command::new("kill").args(["-TERM", &first.child.id().to_string()]).status().expect("kill");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(5);
    while first.child.try_wait().expect("wait").is_none() {
        assert!(Instant::now() < deadline, "did not stop");
        std::thread::sleep(Duration::from_millis(20));
    }
    let second = spawn(&args, &dir.0);
    assert_eq!(get_subject(&mut Conn::open(second.addr), "/EWS/Exchange.asmx", ALFRED, &id).as_deref(), Ok("kept"));
}

#[test]
fn a_reset_tenant_stays_reset_after_a_restart() {
    let dir = TempDir::new("reset");
    let state = dir.path("state.json");
    {
        let mock = with_state(&state);
        let mut conn = Conn::open(mock.address());
        create(&mut conn, "/EWS/Exchange.asmx", ALFRED, "gone");
        create(&mut conn, "/t/kept/EWS/Exchange.asmx", ALFRED, "kept");
        // Let a snapshot with the item be written before the reset.
        std::thread::sleep(Duration::from_millis(200));
        mock.reset();
    }
    let mock = with_state(&state);
    assert!(mock.items(ALFRED, FolderKind::Calendar).is_empty());
    assert_eq!(mock.tenant("kept").items(ALFRED, FolderKind::Calendar).len(), 1);
}
