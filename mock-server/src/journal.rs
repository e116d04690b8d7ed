//! The request journal: what came in, as whom, and what went out — bounded in memory.
//!
//! A ring of the last N entries (default 1,000): a long-running mock keeps a fixed amount of
//! history, never a growing one. The request and response bodies are kept as bytes and turned
//! into text only when the journal is read: recording is on every request's path, reading is not.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hyper::body::Bytes;

/// One request as the mock saw and answered it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct JournalEntry {
    /// Sequence number within the tenant, from 1.
    pub seq: u64,
    /// The EWS operation (`CreateItem`, …), or `""` if the body had none.
    pub operation: String,
    /// Who authenticated (address, UPN or `app:…`), or `""` for a 401.
    pub caller: String,
    /// The primary address of the mailbox acted as, if any.
    pub acting_as: Option<String>,
    /// HTTP status sent.
    pub status: u16,
    /// `NoError`, the first per-message error code, or the fault's code.
    pub response_code: String,
    /// Time spent answering.
    #[serde(serialize_with = "micros")]
    pub duration: Duration,
    /// The request body as received (lossy UTF-8).
    pub request_xml: String,
    /// The response body as sent.
    pub response_xml: String,
    /// With `--strict`: every rule the request broke (schema rules, protocol advice). Empty otherwise.
    pub violations: Vec<String>,
}

fn micros<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_micros() as u64)
}

/// An entry as kept: its XML fields empty, the bodies beside it as bytes.
#[derive(Debug)]
struct Recorded {
    entry: JournalEntry,
    request: Bytes,
    response: Bytes,
}

impl Recorded {
    fn to_entry(&self) -> JournalEntry {
        JournalEntry {
            request_xml: String::from_utf8_lossy(&self.request).into_owned(),
            response_xml: String::from_utf8_lossy(&self.response).into_owned(),
            ..self.entry.clone()
        }
    }
}

#[derive(Debug)]
struct Ring {
    capacity: usize,
    next_seq: u64,
    entries: VecDeque<Recorded>,
}

/// A cheap-clone handle to a tenant's journal.
#[derive(Debug, Clone)]
pub(crate) struct Journal {
    ring: Arc<Mutex<Ring>>,
}

impl Journal {
    pub(crate) fn new(capacity: usize) -> Journal {
        Journal { ring: Arc::new(Mutex::new(Ring { capacity, next_seq: 1, entries: VecDeque::new() })) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Ring> {
        // A ring of plain values cannot be left inconsistent by a panic elsewhere.
        self.ring.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Appends an entry with the request and response bodies, dropping the oldest when full.
    /// Sets `seq`; the entry's `request_xml` and `response_xml` are filled from the bodies when read.
    pub(crate) fn record(&self, mut entry: JournalEntry, request: Bytes, response: Bytes) {
        let mut ring = self.lock();
        if ring.capacity == 0 {
            return;
        }
        entry.seq = ring.next_seq;
        ring.next_seq += 1;
        if ring.entries.len() == ring.capacity {
            ring.entries.pop_front();
        }
        ring.entries.push_back(Recorded { entry, request, response });
    }

    /// The entries, oldest first.
    pub(crate) fn entries(&self) -> Vec<JournalEntry> {
        self.lock().entries.iter().map(Recorded::to_entry).collect()
    }

    /// Forgets every entry.
    pub(crate) fn clear(&self) {
        self.lock().entries.clear();
    }
}

/// The most of one body an entry keeps. The ring bounds the number of entries; this bounds each,
/// so the journal stays within `capacity × 2 × 64 KiB` however large the requests are.
pub(crate) const BODY_LIMIT: usize = 64 * 1024;

/// A copy of `body` for the journal: whole up to [`BODY_LIMIT`], else its start and a note of
/// its full length.
pub(crate) fn clip(body: &[u8]) -> Bytes {
    if body.len() <= BODY_LIMIT {
        return Bytes::copy_from_slice(body);
    }
    let mut kept = Vec::with_capacity(BODY_LIMIT + 80);
    kept.extend_from_slice(&body[..BODY_LIMIT]);
    kept.extend_from_slice(
        format!("\n<!-- ews-mock journal: cut at {BODY_LIMIT} of {} bytes -->", body.len()).as_bytes(),
    );
    Bytes::from(kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(op: &str) -> JournalEntry {
        JournalEntry {
            seq: 0,
            operation: op.into(),
            caller: String::new(),
            acting_as: None,
            status: 200,
            response_code: "NoError".into(),
            duration: Duration::ZERO,
            request_xml: String::new(),
            response_xml: String::new(),
            violations: Vec::new(),
        }
    }

    #[test]
    fn large_bodies_are_clipped_with_a_note_of_their_length() {
        let big = vec![b'x'; BODY_LIMIT + 10];
        let clipped = clip(&big);
        assert!(clipped.len() < BODY_LIMIT + 100);
        assert!(String::from_utf8_lossy(&clipped).ends_with(&format!("of {} bytes -->", BODY_LIMIT + 10)));
        assert_eq!(clip(b"small"), Bytes::from_static(b"small"));
    }

    #[test]
    fn journal_keeps_only_the_last_entries() {
        let j = Journal::new(2);
        for op in ["a", "b", "c"] {
            j.record(entry(op), Bytes::new(), Bytes::new());
        }
        let ops: Vec<_> = j.entries().into_iter().map(|e| (e.seq, e.operation)).collect();
        assert_eq!(ops, vec![(2, "b".to_string()), (3, "c".to_string())]);
    }

    #[test]
    fn bodies_are_read_back_as_text_lossily() {
        let j = Journal::new(1);
        j.record(entry("a"), Bytes::from_static(b"<req/>"), Bytes::from_static(b"<resp>\xff</resp>"));
        let e = j.entries().pop().expect("one entry");
        assert_eq!((e.request_xml.as_str(), e.response_xml.as_str()), ("<req/>", "<resp>\u{fffd}</resp>"));
    }
}
