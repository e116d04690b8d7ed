//! The fuzz target's way in (cargo feature `fuzzing`; hidden, not a stable API).
//!
//! [`run`] takes one fuzz input, sends each request it holds to a fresh demo tenant through the
//! same code that answers HTTP bodies (authentication of a real `Authorization` value, then
//! `dispatch::handle`: envelope, operation, impersonation rules, store, XML out; no sockets),
//! and checks what must hold for any input:
//! - the status is 200 or 500, and the body is well-formed XML: a SOAP 1.1 `Envelope` with a
//!   `Body`, whose content is a `Fault` exactly when the status is 500;
//! - the store stays consistent (every item indexed once, in its own mailbox's folder);
//! - a caller writes nothing into a mailbox it may not act on, except what Exchange itself
//!   delivers there (meeting messages arriving in an attendee's Inbox).
//!
//! # Input format
//! `segment ( SEPARATOR segment )*`, at most [`MAX_REQUESTS`] segments. A segment's first byte
//! picks the caller from [`CALLERS`] (modulo their count); the rest is the request body. In a
//! body, `{{item:N}}`, `{{ck:N}}`, `{{folder:N}}` and `{{folderck:N}}` become the `Id` /
//! `ChangeKey` of the N-th `ItemId` / `FolderId` (1-based, document order) in the answers to
//! the earlier segments, as in `fixtures/` — so a create, then an update of what it created,
//! is one input. An unknown placeholder is left as it is.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::auth::{self, Caller};
use crate::clock::Clock;
use crate::dispatch;
use crate::runtime::{Settings, Shared, Tenant, DEFAULT_TENANT};
use crate::store::FolderKind;
use crate::tenant::{Directory, TenantConfig};

/// Separates the requests of one input.
pub const SEPARATOR: &[u8] = b"\n--ews-fuzz-next-request--\n";

/// Requests per input at most; the rest is ignored.
pub const MAX_REQUESTS: usize = 8;

/// The callers a segment's first byte picks from: (name, `Authorization` value, the demo
/// mailboxes it may act on; `None` for all).
pub const CALLERS: [(&str, &str, Option<&[&str]>); 5] = [
    // svc-calendar@contoso.com:password — ApplicationImpersonation over every mailbox.
    ("svc-calendar", "Basic c3ZjLWNhbGVuZGFyQGNvbnRvc28uY29tOnBhc3N3b3Jk", None),
    // svc-sales@contoso.com:password — impersonation scoped to sonyaf.
    ("svc-sales", "Basic c3ZjLXNhbGVzQGNvbnRvc28uY29tOnBhc3N3b3Jk", Some(&["sonyaf@contoso.com"])),
    // alfred@contoso.com:password — a mailbox user without impersonation rights.
    ("alfred", "Basic YWxmcmVkQGNvbnRvc28uY29tOnBhc3N3b3Jk", Some(&["alfred@contoso.com"])),
    ("app-token", "Bearer app-token", None),
    ("alfred-token", "Bearer alfred-token", Some(&["alfred@contoso.com"])),
];

/// One answer, as the HTTP layer would send it.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// The response body.
    pub body: Vec<u8>,
}

/// The demo tenant set up once; each input gets a fresh, empty copy of it.
#[derive(Debug)]
pub struct Harness {
    shared: Shared,
    callers: Vec<Caller>,
}

impl Default for Harness {
    fn default() -> Harness {
        Harness::new()
    }
}

impl Harness {
    /// The demo tenant with the clock fixed at 2026-01-05T09:00:00Z and id seed 6 (as the
    /// goldens use), and a short journal so memory stays flat over millions of inputs.
    pub fn new() -> Harness {
        let dir = Directory::new(&TenantConfig::demo()).expect("the embedded demo tenant resolves");
        let callers = CALLERS
            .iter()
            .map(|(name, header, _)| {
                auth::authenticate(&dir, Some(header)).unwrap_or_else(|| panic!("demo caller {name} signs in"))
            })
            .collect();
        let at = chrono::DateTime::from_timestamp(1_767_603_600, 0).expect("2026-01-05T09:00:00Z is a valid time");
        let settings = Settings { clock: Clock::fixed(at), id_seed: 6, journal_capacity: 4, ..Settings::default() };
        Harness { shared: Shared::new(dir, settings), callers }
    }

    /// An empty tenant (the previous input's items are gone).
    fn fresh(&self) -> Arc<Tenant> {
        self.shared.reset(DEFAULT_TENANT);
        self.shared.tenant(DEFAULT_TENANT).expect("the default tenant name is valid")
    }

    /// Runs one fuzz input; `Err` describes the first broken invariant.
    pub fn run(&self, input: &[u8]) -> Result<Vec<Reply>, String> {
        let tenant = self.fresh();
        let mut replies: Vec<Reply> = Vec::new();
        for segment in split(input).into_iter().take(MAX_REQUESTS) {
            let Some((&pick, body)) = segment.split_first() else { continue };
            let who = usize::from(pick) % CALLERS.len();
            let body = substitute(body, &replies);
            let before = snapshot(&tenant);
            let answer = dispatch::handle(&tenant, &self.shared.settings, &self.callers[who], &body, None);
            let reply = Reply { status: answer.status, body: answer.body };
            check_reply(&reply).map_err(|e| format!("request {} ({}): {e}", replies.len() + 1, CALLERS[who].0))?;
            tenant
                .store
                .lock()
                .check_consistency()
                .map_err(|e| format!("store after request {}: {e}", replies.len() + 1))?;
            check_writes(who, &before, &snapshot(&tenant))?;
            replies.push(reply);
        }
        Ok(replies)
    }
}

/// Runs one input on a harness made once per process (what the fuzz target calls).
pub fn run(input: &[u8]) -> Result<Vec<Reply>, String> {
    static HARNESS: std::sync::OnceLock<Harness> = std::sync::OnceLock::new();
    HARNESS.get_or_init(Harness::new).run(input)
}

/// The segments of an input.
pub fn split(input: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut rest = input;
    while let Some(at) = rest.windows(SEPARATOR.len()).position(|w| w == SEPARATOR) {
        out.push(&rest[..at]);
        rest = &rest[at + SEPARATOR.len()..];
    }
    out.push(rest);
    out
}

/// Checks one answer: status 200 or 500, a well-formed SOAP envelope, a Fault exactly on 500.
pub fn check_reply(reply: &Reply) -> Result<(), String> {
    if reply.status != 200 && reply.status != 500 {
        return Err(format!("status {} (no fault rule is set, so only 200 or 500 may come)", reply.status));
    }
    let text = std::str::from_utf8(&reply.body).map_err(|e| format!("answer is not UTF-8: {e}"))?;
    let doc = roxmltree::Document::parse(text).map_err(|e| format!("answer is not well-formed XML: {e}\n{text}"))?;
    let root = doc.root_element();
    if !root.has_tag_name((crate::ns::SOAP, "Envelope")) {
        return Err(format!("answer's root is {:?}, not soap:Envelope", root.tag_name()));
    }
    let body = root.children().find(|n| n.has_tag_name((crate::ns::SOAP, "Body"))).ok_or("answer has no soap:Body")?;
    let fault = body.children().any(|n| n.has_tag_name((crate::ns::SOAP, "Fault")));
    match (reply.status, fault) {
        (500, false) => Err(format!("status 500 without a soap:Fault:\n{text}")),
        (200, true) => Err(format!("status 200 with a soap:Fault:\n{text}")),
        _ => Ok(()),
    }
}

/// Per mailbox address: every item as (key, folder, ChangeKey counter).
type Snapshot = BTreeMap<String, Vec<(u64, FolderKind, u64)>>;

fn snapshot(tenant: &Tenant) -> Snapshot {
    let state = tenant.store.lock();
    let mut out = Snapshot::new();
    for (idx, mailbox) in tenant.dir.mailboxes.iter().enumerate() {
        let idx = idx as u32;
        let mut items = Vec::new();
        for folder in FolderKind::ALL {
            for key in state.folder(idx, folder) {
                let change = state.get(key).map_or(0, |item| item.change);
                items.push((key, folder, change));
            }
        }
        out.insert(mailbox.smtp.clone(), items);
    }
    out
}

/// A caller may change only the mailboxes it may act on; elsewhere, new items may appear in
/// the Inbox (meeting messages it sent) and nothing else may change.
fn check_writes(who: usize, before: &Snapshot, after: &Snapshot) -> Result<(), String> {
    let Some(allowed) = CALLERS[who].2 else { return Ok(()) };
    for (smtp, items) in after {
        if allowed.contains(&smtp.as_str()) {
            continue;
        }
        let old = before.get(smtp).map(Vec::as_slice).unwrap_or_default();
        let kept: Vec<_> = items.iter().filter(|i| old.iter().any(|o| o.0 == i.0)).collect();
        let added = items.iter().filter(|i| !old.iter().any(|o| o.0 == i.0));
        if kept.len() != old.len() || kept.iter().zip(old).any(|(k, o)| *k != o) {
            return Err(format!("{} changed or removed items of {smtp}, which it may not act on", CALLERS[who].0));
        }
        if let Some(bad) = added.into_iter().find(|i| i.1 != FolderKind::Inbox) {
            return Err(format!("{} put item {} in {smtp}'s {:?}", CALLERS[who].0, bad.0, bad.1));
        }
    }
    Ok(())
}

/// Replaces the `{{…:N}}` placeholders from the earlier answers; unknown ones stay as they are.
pub fn substitute(body: &[u8], replies: &[Reply]) -> Vec<u8> {
    if !body.windows(2).any(|w| w == b"{{") {
        return body.to_vec();
    }
    let mut items: Vec<(String, String)> = Vec::new();
    let mut folders: Vec<(String, String)> = Vec::new();
    for reply in replies {
        let Ok(text) = std::str::from_utf8(&reply.body) else { continue };
        let Ok(doc) = roxmltree::Document::parse(text) else { continue };
        for n in doc.descendants().filter(|n| n.is_element()) {
            let pair =
                || (n.attribute("Id").unwrap_or("").to_string(), n.attribute("ChangeKey").unwrap_or("").to_string());
            match n.tag_name().name() {
                "ItemId" => items.push(pair()),
                "FolderId" => folders.push(pair()),
                _ => {}
            }
        }
    }
    let mut out = Vec::with_capacity(body.len());
    let mut rest = body;
    while let Some(start) = rest.windows(2).position(|w| w == b"{{") {
        out.extend_from_slice(&rest[..start]);
        let after = &rest[start + 2..];
        let value = after.windows(2).position(|w| w == b"}}").and_then(|end| {
            let inner = std::str::from_utf8(&after[..end]).ok()?;
            let (kind, n) = inner.split_once(':')?;
            let i = n.parse::<usize>().ok()?.checked_sub(1)?;
            let (id, ck) = if kind.starts_with("folder") { folders.get(i)? } else { items.get(i)? };
            let value = match kind {
                "item" | "folder" => id,
                "ck" | "folderck" => ck,
                _ => return None,
            };
            Some((value.clone(), end))
        });
        match value {
            Some((value, end)) => {
                out.extend_from_slice(value.as_bytes());
                rest = &after[end + 2..];
            }
            None => {
                out.extend_from_slice(b"{{");
                rest = after;
            }
        }
    }
    out.extend_from_slice(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_take_ids_from_earlier_answers_and_unknown_ones_stay() {
        let earlier = Reply { status: 200, body: br#"<r><t:ItemId xmlns:t="x" Id="A" ChangeKey="k"/></r>"#.to_vec() };
        assert_eq!(substitute(b"{{item:1}}/{{ck:1}}/{{item:2}}/{{x", &[earlier]), b"A/k/{{item:2}}/{{x".to_vec());
    }

    #[test]
    fn inputs_split_on_the_separator() {
        let input = [&b"\x00a"[..], SEPARATOR, b"\x01b"].concat();
        assert_eq!(split(&input), vec![&b"\x00a"[..], b"\x01b"]);
    }

    #[test]
    fn a_later_request_acts_on_what_an_earlier_one_created() {
        let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/");
        let read = |case: &str| std::fs::read(format!("{fixtures}{case}.request.xml")).expect("fixture exists");
        let create = [&[0u8][..], &read("create_item/seed_appointment")].concat();
        let get = [&[0u8][..], &read("get_item/appointment_subject")].concat();
        assert!(get.windows(10).any(|w| w == b"{{item:1}}"), "the GetItem fixture uses a placeholder");
        let replies = Harness::new().run(&[create, SEPARATOR.to_vec(), get].concat()).expect("invariants hold");
        let codes: Vec<bool> = replies.iter().map(|r| r.status == 200 && contains(&r.body, b"NoError")).collect();
        assert_eq!(codes, [true, true], "{:?}", String::from_utf8_lossy(&replies[1].body));
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn every_demo_caller_signs_in_and_garbage_gets_a_fault() {
        let harness = Harness::new();
        for pick in 0..CALLERS.len() as u8 {
            let replies = harness.run(&[pick, b'<']).expect("invariants hold");
            assert_eq!(replies[0].status, 500);
        }
    }
}
