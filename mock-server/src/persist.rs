//! The state file (`--state FILE`): every tenant's items, id seed and counters, kept across
//! restarts so ids and ChangeKeys handed out before a restart still resolve after it.
//!
//! Write policy: a background task looks for changed tenants every `interval` (default 1 s) and,
//! if any changed, takes a snapshot (each tenant copied under its own lock, so the snapshot
//! holds every request that completed before it was taken) and writes it off the request path:
//! to a temporary file in the same directory, fsync, rename over the state file, fsync the
//! directory. A last snapshot is written on clean shutdown. After a crash (kill -9), the file
//! is the last completed snapshot, whole: never a mix of two. Every write is logged at info
//! level with its sequence number (`state saved seq=N items=M`).
//!
//! Mailboxes are stored by primary address, not index, so a changed tenant config does not mix
//! items up: items of mailboxes that no longer exist are dropped with a warning.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::item::{Item, ItemFields, ItemKind, ServerFields};
use crate::runtime::Shared;
use crate::store::{FolderKind, State};
use crate::tenant::Directory;
use crate::Error;

/// The value of `format` in every state file.
const FORMAT: &str = "ews-mock state";
/// The layout version this build reads and writes.
const VERSION: u32 = 1;

/// Where and how often the state is saved, and what was read at start.
#[derive(Debug, Clone)]
pub(crate) struct StateFile {
    /// The state file.
    pub(crate) path: PathBuf,
    /// The shortest time between two writes.
    pub(crate) interval: Duration,
    /// The tenants read at start, handed to the server once.
    loaded: Arc<Mutex<Vec<Restored>>>,
    /// The sequence number of the snapshot read at start (0 if none).
    loaded_seq: u64,
}

/// One tenant as read from the file.
#[derive(Debug)]
pub(crate) struct Restored {
    /// The tenant's name.
    pub(crate) name: String,
    /// Its id seed.
    pub(crate) seed: u64,
    /// Its items and counters.
    pub(crate) state: State,
}

/// The file's top level.
#[derive(Debug, Serialize, Deserialize)]
struct Snapshot {
    /// Always [`FORMAT`].
    format: String,
    /// Always [`VERSION`].
    version: u32,
    /// Counts the snapshots written, from 1.
    seq: u64,
    /// Every live tenant by name.
    tenants: BTreeMap<String, TenantSnapshot>,
}

/// One tenant in the file.
#[derive(Debug, Serialize, Deserialize)]
struct TenantSnapshot {
    /// The id seed its ids were minted with.
    seed: u64,
    /// The next item key.
    next_key: u64,
    /// The next ChangeKey counter.
    next_change: u64,
    /// Every item.
    items: Vec<ItemSnapshot>,
}

/// One item in the file; mailboxes by primary address.
#[derive(Debug, Serialize, Deserialize)]
struct ItemSnapshot {
    /// The item's key in the tenant's store (its id is derived from it).
    key: u64,
    /// The owning mailbox's primary address.
    mailbox: String,
    /// The organizer's primary address (`server.organizer` is rebuilt from it).
    organizer: Option<String>,
    /// The folder it is in.
    folder: FolderKind,
    /// What it is.
    kind: ItemKind,
    /// The ChangeKey counter.
    change: u64,
    /// `DateTimeCreated`, Unix seconds.
    created: i64,
    /// `LastModifiedTime`, Unix seconds.
    modified: i64,
    /// Client-set fields.
    fields: ItemFields,
    /// Server-set fields (the organizer index is not trusted; see `organizer`).
    server: ServerFields,
}

impl StateFile {
    /// Reads the state file if it exists (a missing file is an empty state) and maps its
    /// mailboxes onto `dir`.
    pub(crate) fn open(path: PathBuf, interval: Duration, dir: &Directory) -> Result<StateFile, Error> {
        let (loaded, loaded_seq) = match std::fs::read(&path) {
            Ok(bytes) => read(&path, &bytes, dir)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (Vec::new(), 0),
            Err(source) => {
                return Err(Error::Io { context: format!("reading the state file {}", path.display()), source })
            }
        };
        Ok(StateFile { path, interval, loaded: Arc::new(Mutex::new(loaded)), loaded_seq })
    }

    /// The tenants read at start; empty after the first call.
    pub(crate) fn take_loaded(&self) -> Vec<Restored> {
        std::mem::take(&mut *self.loaded.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

fn read(path: &Path, bytes: &[u8], dir: &Directory) -> Result<(Vec<Restored>, u64), Error> {
    let bad = |why: String| {
        Error::State(format!(
            "{} is not a usable ews-mock state file: {why}. Move it away to start empty.",
            path.display()
        ))
    };
    let snapshot: Snapshot = serde_json::from_slice(bytes).map_err(|e| bad(e.to_string()))?;
    if snapshot.format != FORMAT || snapshot.version != VERSION {
        return Err(bad(format!(
            "format {:?} version {}, expected {FORMAT:?} version {VERSION}",
            snapshot.format, snapshot.version
        )));
    }
    let mut tenants = Vec::new();
    for (name, t) in snapshot.tenants {
        if !crate::runtime::valid_name(&name) {
            return Err(bad(format!("invalid tenant name {name:?}")));
        }
        let mut items = Vec::with_capacity(t.items.len());
        let mut keys = std::collections::HashSet::new();
        let mut dropped = 0usize;
        for i in t.items {
            if !keys.insert(i.key) {
                return Err(bad(format!("tenant {name}: item key {} appears twice", i.key)));
            }
            let Some(mailbox) = dir.mailbox_by_smtp(&i.mailbox) else {
                dropped += 1;
                continue;
            };
            let mut server = i.server;
            server.organizer = i.organizer.as_deref().and_then(|o| dir.mailbox_by_smtp(o));
            let item = Item {
                mailbox,
                folder: i.folder,
                kind: i.kind,
                change: i.change,
                created: i.created,
                modified: i.modified,
                fields: i.fields,
                server,
            };
            items.push((i.key, item));
        }
        if dropped > 0 {
            tracing::warn!(tenant = %name, dropped, "items of mailboxes no longer in the tenant config were dropped");
        }
        let state = State::restored(dir.mailboxes.len(), t.next_key, t.next_change, items);
        tenants.push(Restored { name, seed: t.seed, state });
    }
    Ok((tenants, snapshot.seq))
}

/// What identifies a tenant's contents: the tenant instance and its revision.
type Marks = HashMap<String, (u64, u64)>;

fn marks(shared: &Shared) -> Marks {
    shared
        .tenants()
        .into_iter()
        .map(|(name, t)| {
            let revision = t.store.lock().revision();
            (name, (t.instance, revision))
        })
        .collect()
}

/// Copies every tenant, each under its own lock; returns the copy and its marks.
fn snapshot(shared: &Shared, seq: u64) -> (Snapshot, Marks) {
    let mut tenants = BTreeMap::new();
    let mut marks = Marks::new();
    for (name, t) in shared.tenants() {
        let (revision, (next_key, next_change, items)) = {
            let state = t.store.lock();
            (state.revision(), state.export())
        };
        marks.insert(name.clone(), (t.instance, revision));
        let dir = &t.dir;
        let items = items
            .into_iter()
            .map(|(key, item)| ItemSnapshot {
                key,
                mailbox: dir.mailbox(item.mailbox).smtp.clone(),
                organizer: item.server.organizer.map(|o| dir.mailbox(o).smtp.clone()),
                folder: item.folder,
                kind: item.kind,
                change: item.change,
                created: item.created,
                modified: item.modified,
                fields: item.fields,
                server: item.server,
            })
            .collect();
        tenants.insert(name, TenantSnapshot { seed: t.seed, next_key, next_change, items });
    }
    (Snapshot { format: FORMAT.into(), version: VERSION, seq, tenants }, marks)
}

/// Writes `bytes` to `path` so that the file is always either the old or the new content.
fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().ok_or_else(|| std::io::Error::other("the state path names no file"))?;
    let tmp = dir.join(format!(".{}.tmp", name.to_string_lossy()));
    {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    Ok(())
}

/// Saves the state whenever it changed, at most every `state.interval`, and once more when
/// `stop` fires (after the server has stopped taking requests).
pub(crate) async fn saver(shared: Arc<Shared>, state: StateFile, mut stop: tokio::sync::oneshot::Receiver<()>) {
    let mut last = marks(&shared);
    let mut seq = state.loaded_seq;
    loop {
        let stopping = tokio::select! {
            _ = tokio::time::sleep(state.interval) => false,
            _ = &mut stop => true,
        };
        if marks(&shared) != last {
            let (snap, now) = snapshot(&shared, seq + 1);
            let items: usize = snap.tenants.values().map(|t| t.items.len()).sum();
            let path = state.path.clone();
            let written = tokio::task::spawn_blocking(move || {
                let bytes = serde_json::to_vec(&snap).map_err(std::io::Error::other)?;
                write_atomic(&path, &bytes)
            })
            .await;
            match written {
                Ok(Ok(())) => {
                    seq += 1;
                    last = now;
                    tracing::info!(seq, items, path = %state.path.display(), "state saved");
                }
                Ok(Err(e)) => tracing::error!(error = %e, path = %state.path.display(), "saving the state failed"),
                Err(e) => tracing::error!(error = %e, "the state writer task failed"),
            }
        }
        if stopping {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_the_whole_file_and_leaves_no_temporary() {
        let dir = std::env::temp_dir().join(format!("ews-mock-persist-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("state.json");
        write_atomic(&path, b"first, longer content").expect("write");
        write_atomic(&path, b"second").expect("write");
        assert_eq!(std::fs::read(&path).expect("read"), b"second");
        let names: Vec<_> = std::fs::read_dir(&dir).expect("list").map(|e| e.expect("entry").file_name()).collect();
        assert_eq!(names, ["state.json"]);
        std::fs::remove_dir_all(&dir).expect("clean up");
    }
}
