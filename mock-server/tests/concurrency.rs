//! Many clients at once, each on its own connection: every acknowledged CreateItem is stored
//! exactly once with a unique id, and of 64 UpdateItems with one ChangeKey exactly one wins.
//! Run against the in-process mock (current-thread runtime) and the standalone binary
//! (multi-thread runtime).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Barrier};

use common::*;
use ews_mock::{FolderKind, MockEws};

const ALFRED: &str = "alfred@contoso.com";
const MAILBOXES: [&str; 3] = [ALFRED, "sonyaf@contoso.com", "chris@contoso.com"];
const CLIENTS: usize = 64;
const PER_CLIENT: usize = 8;

/// Mailbox → id → subject.
type Acked = BTreeMap<String, BTreeMap<String, String>>;

fn create(subject: &str) -> String {
    SEED_ITEM.replace("Tennis lesson", subject)
}

/// 64 clients; client `c` creates half its items in alfred's calendar (all clients share it)
/// and half in the mailbox `c % 3`, one request each, some as batches of two. Returns what was
/// acknowledged.
fn create_load(addr: SocketAddr) -> Acked {
    let start = Arc::new(Barrier::new(CLIENTS));
    let threads: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let start = Arc::clone(&start);
            std::thread::spawn(move || {
                let mut conn = Conn::open(addr);
                let mut acked = Vec::new();
                start.wait();
                for n in 0..PER_CLIENT {
                    let mailbox = if n % 2 == 0 { ALFRED } else { MAILBOXES[c % 3] };
                    let subjects: Vec<String> = if n % 4 == 3 {
                        vec![format!("c{c}-n{n}-a"), format!("c{c}-n{n}-b")]
                    } else {
                        vec![format!("c{c}-n{n}")]
                    };
                    let items: String = subjects.iter().map(|s| create(s)).collect();
                    let body = envelope(
                        &format!("{VERSION_2013}{}", impersonate("SmtpAddress", mailbox)),
                        &create_item("SendMeetingInvitations=\"SendToNone\"", &items),
                    );
                    let resp = conn.post(Some(&svc_calendar()), &body);
                    assert_eq!(resp.response_codes(), vec!["NoError"; subjects.len()], "{}", resp.body);
                    let ids = resp.item_ids();
                    assert_eq!(ids.len(), subjects.len());
                    for (id, subject) in ids.into_iter().zip(subjects) {
                        acked.push((mailbox.to_string(), id, subject));
                    }
                }
                acked
            })
        })
        .collect();
    let mut all = Acked::new();
    let mut count = 0;
    for t in threads {
        for (mailbox, id, subject) in t.join().expect("client thread") {
            count += 1;
            assert!(all.entry(mailbox).or_default().insert(id.clone(), subject).is_none(), "id {id} handed out twice");
        }
    }
    assert_eq!(count, CLIENTS * PER_CLIENT * 5 / 4, "every request acknowledged");
    let ids: BTreeSet<&String> = all.values().flat_map(|m| m.keys()).collect();
    assert_eq!(ids.len(), count, "ids are unique across mailboxes");
    all
}

fn update(id: &str, change_key: &str, subject: &str) -> String {
    format!(
        "<m:UpdateItem ConflictResolution=\"NeverOverwrite\" SendMeetingInvitationsOrCancellations=\"SendToNone\"><m:ItemChanges><t:ItemChange><t:ItemId Id=\"{id}\" ChangeKey=\"{change_key}\"/><t:Updates><t:SetItemField><t:FieldURI FieldURI=\"item:Subject\"/><t:CalendarItem><t:Subject>{subject}</t:Subject></t:CalendarItem></t:SetItemField></t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>"
    )
}

/// Creates one item, then 64 clients update it at once with its ChangeKey; returns the
/// item id and the winner's subject.
fn update_race(addr: SocketAddr) -> (String, String) {
    let header = format!("{VERSION_2013}{}", impersonate("SmtpAddress", ALFRED));
    let created = Conn::open(addr).post(
        Some(&svc_calendar()),
        &envelope(&header, &create_item("SendMeetingInvitations=\"SendToNone\"", &create("v0"))),
    );
    let doc = created.doc();
    let item_id = doc.descendants().find(|n| n.has_tag_name((TYPES, "ItemId"))).expect("ItemId");
    let (id, ck) = (
        item_id.attribute("Id").expect("Id").to_string(),
        item_id.attribute("ChangeKey").expect("ChangeKey").to_string(),
    );
    let start = Arc::new(Barrier::new(CLIENTS));
    let threads: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let (start, id, ck, header) = (Arc::clone(&start), id.clone(), ck.clone(), header.clone());
            std::thread::spawn(move || {
                let mut conn = Conn::open(addr);
                let body = envelope(&header, &update(&id, &ck, &format!("writer {c}")));
                start.wait();
                (c, conn.post(Some(&svc_calendar()), &body).response_codes())
            })
        })
        .collect();
    let mut winners = Vec::new();
    for t in threads {
        let (c, codes) = t.join().expect("writer thread");
        match codes.as_slice() {
            [ok] if ok == "NoError" => winners.push(c),
            [conflict] => assert_eq!(conflict, "ErrorIrresolvableConflict"),
            other => panic!("unexpected answer {other:?}"),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one writer wins: {winners:?}");
    (id, format!("writer {}", winners[0]))
}

#[test]
fn sixty_four_clients_creating_at_once_lose_nothing_and_store_each_item_once() {
    let mock = MockEws::start();
    let acked = create_load(mock.address());
    for mailbox in MAILBOXES {
        let stored: BTreeMap<String, String> = mock
            .items(mailbox, FolderKind::Calendar)
            .into_iter()
            .map(|i| (i.id, i.fields.subject.expect("subject").to_string()))
            .collect();
        assert_eq!(stored.len(), mock.items(mailbox, FolderKind::Calendar).len(), "no id stored twice");
        assert_eq!(&stored, acked.get(mailbox).expect("items for every mailbox"), "{mailbox}");
        for folder in FolderKind::ALL.into_iter().filter(|f| *f != FolderKind::Calendar) {
            assert!(mock.items(mailbox, folder).is_empty());
        }
    }
}

#[test]
fn sixty_four_concurrent_updates_with_one_change_key_let_exactly_one_win() {
    let mock = MockEws::start();
    let (id, winner) = update_race(mock.address());
    let stored = mock.items(ALFRED, FolderKind::Calendar);
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].id, id);
    assert_eq!(stored[0].fields.subject.as_deref(), Some(winner.as_str()));
}

struct Binary(Child);

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn_binary() -> (Binary, SocketAddr) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ews-mock"))
        .args(["--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn ews-mock");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("ready line");
    let addr = line.trim().trim_start_matches("ews-mock listening on http://").trim_end_matches("/EWS/Exchange.asmx");
    let addr = addr.parse().unwrap_or_else(|_| panic!("address in {line:?}"));
    (Binary(child), addr)
}

/// Reads a folder through the admin API: id → subject.
fn admin_items(addr: SocketAddr, mailbox: &str) -> BTreeMap<String, String> {
    let resp = Conn::open(addr).send("GET", &format!("/_mock/mailboxes/{mailbox}/folders/calendar/items"), &[], b"");
    assert_eq!(resp.status, 200, "{}", resp.body);
    let items: Vec<serde_json::Value> = serde_json::from_str(&resp.body).expect("JSON list");
    let map: BTreeMap<String, String> = items
        .iter()
        .map(|i| {
            (i["id"].as_str().expect("id").to_string(), i["fields"]["subject"].as_str().expect("subject").to_string())
        })
        .collect();
    assert_eq!(map.len(), items.len(), "no id listed twice");
    map
}

#[test]
fn the_standalone_binary_on_a_multi_thread_runtime_holds_under_the_same_load() {
    let (_binary, addr) = spawn_binary();
    let acked = create_load(addr);
    for mailbox in MAILBOXES {
        assert_eq!(&admin_items(addr, mailbox), acked.get(mailbox).expect("items"), "{mailbox}");
    }
    let (id, winner) = update_race(addr);
    assert_eq!(admin_items(addr, ALFRED).get(&id), Some(&winner));
}
