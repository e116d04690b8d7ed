//! Mailbox contents: a cheap-clone handle over the tenant's items (mini-redis `db.rs` style).
//!
//! A `std::sync::Mutex` guards the state: every operation's work under the lock is short and
//! synchronous, and the lock is never held across an `.await`. One lock per tenant makes each
//! request atomic with respect to the others, which is what "exactly one concurrent UpdateItem
//! wins" needs.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::item::Item;
use crate::tenant::MailboxIdx;

/// The distinguished folders every mailbox has.
///
/// See <https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/distinguishedfolderid>.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[repr(u8)]
pub enum FolderKind {
    /// `root`: the mailbox's root.
    Root = 1,
    /// `msgfolderroot`: Top of Information Store.
    MsgFolderRoot = 2,
    /// `calendar`.
    Calendar = 3,
    /// `inbox`.
    Inbox = 4,
    /// `sentitems`.
    SentItems = 5,
    /// `deleteditems`.
    DeletedItems = 6,
    /// `drafts`.
    Drafts = 7,
}

/// Folder count, for per-mailbox arrays.
pub(crate) const FOLDER_COUNT: usize = 7;

impl FolderKind {
    /// Every folder, in hierarchy order.
    pub const ALL: [FolderKind; FOLDER_COUNT] = [
        FolderKind::Root,
        FolderKind::MsgFolderRoot,
        FolderKind::Calendar,
        FolderKind::Inbox,
        FolderKind::SentItems,
        FolderKind::DeletedItems,
        FolderKind::Drafts,
    ];

    /// The `DistinguishedFolderId/@Id` value.
    pub fn distinguished_id(self) -> &'static str {
        match self {
            FolderKind::Root => "root",
            FolderKind::MsgFolderRoot => "msgfolderroot",
            FolderKind::Calendar => "calendar",
            FolderKind::Inbox => "inbox",
            FolderKind::SentItems => "sentitems",
            FolderKind::DeletedItems => "deleteditems",
            FolderKind::Drafts => "drafts",
        }
    }

    /// Parses a `DistinguishedFolderId/@Id` value the mock models.
    pub fn from_distinguished_id(id: &str) -> Option<FolderKind> {
        FolderKind::ALL.into_iter().find(|f| f.distinguished_id() == id)
    }

    /// The English display name Exchange gives the folder.
    pub fn display_name(self) -> &'static str {
        match self {
            FolderKind::Root => "",
            FolderKind::MsgFolderRoot => "Top of Information Store",
            FolderKind::Calendar => "Calendar",
            FolderKind::Inbox => "Inbox",
            FolderKind::SentItems => "Sent Items",
            FolderKind::DeletedItems => "Deleted Items",
            FolderKind::Drafts => "Drafts",
        }
    }

    /// `FolderClass`; `None` for the root folders, which have none.
    pub fn folder_class(self) -> Option<&'static str> {
        match self {
            FolderKind::Root | FolderKind::MsgFolderRoot => None,
            FolderKind::Calendar => Some("IPF.Appointment"),
            _ => Some("IPF.Note"),
        }
    }

    /// The parent folder in the hierarchy (`None` for root).
    pub fn parent(self) -> Option<FolderKind> {
        match self {
            FolderKind::Root => None,
            FolderKind::MsgFolderRoot => Some(FolderKind::Root),
            _ => Some(FolderKind::MsgFolderRoot),
        }
    }

    pub(crate) fn from_u8(v: u8) -> Option<FolderKind> {
        FolderKind::ALL.into_iter().find(|f| *f as u8 == v)
    }

    fn index(self) -> usize {
        self as usize - 1
    }
}

/// The items of one tenant.
#[derive(Debug, Default)]
pub(crate) struct State {
    /// The next item key; keys are never reused.
    next_key: u64,
    /// The next ChangeKey counter; never reused, so a stale ChangeKey never matches again.
    next_change: u64,
    /// Every item by key: the item with key `k` is at `k - 1`; a removed item leaves `None`
    /// (keys are never reused). A slab rather than a hash map: one item is one slot, with no
    /// hash table's spare capacity touched, so memory grows by the item and no more.
    items: Vec<Option<Item>>,
    /// How many slots of `items` hold an item.
    live: usize,
    /// Per mailbox, per folder, the item keys in creation order.
    folders: Vec<[BTreeSet<u64>; FOLDER_COUNT]>,
    /// Bumped on every change, so the state file is written only when something changed.
    revision: u64,
}

impl State {
    fn new(mailboxes: usize) -> State {
        State {
            next_key: 1,
            next_change: 1,
            items: Vec::new(),
            live: 0,
            folders: vec![Default::default(); mailboxes],
            revision: 0,
        }
    }

    /// A state rebuilt from a state file. Counters are raised past every stored key and
    /// ChangeKey, so neither is ever handed out twice.
    pub(crate) fn restored(mailboxes: usize, next_key: u64, next_change: u64, items: Vec<(u64, Item)>) -> State {
        let mut state = State::new(mailboxes);
        let top = items.iter().map(|(k, _)| *k).max().unwrap_or(0);
        state.next_key = next_key.max(top.saturating_add(1)).max(1);
        state.next_change = next_change.max(1);
        // Keys index the slab, so it is as long as the highest key; removed items stay `None`.
        state.items.resize_with(usize::try_from(state.next_key - 1).unwrap_or(0), || None);
        for (key, item) in items {
            let Some(slot) = Self::slot(key) else { continue };
            state.next_change = state.next_change.max(item.change.saturating_add(1));
            state.folders[item.mailbox as usize][item.folder.index()].insert(key);
            if state.items[slot].replace(item).is_none() {
                state.live += 1;
            }
        }
        state
    }

    /// The counters and every item with its key, for the state file.
    pub(crate) fn export(&self) -> (u64, u64, Vec<(u64, Item)>) {
        let items = self
            .items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| item.as_ref().map(|item| (i as u64 + 1, item.clone())))
            .collect();
        (self.next_key, self.next_change, items)
    }

    /// Changes so far (any value; it only ever grows).
    pub(crate) fn revision(&self) -> u64 {
        self.revision
    }

    /// A fresh ChangeKey counter value.
    pub(crate) fn next_change(&mut self) -> u64 {
        self.revision += 1;
        let c = self.next_change;
        self.next_change += 1;
        c
    }

    /// Stores a new item and returns its key. The item's `change` is set here.
    pub(crate) fn insert(&mut self, mut item: Item) -> u64 {
        self.revision += 1;
        let key = self.next_key;
        self.next_key += 1;
        item.change = self.next_change();
        self.folders[item.mailbox as usize][item.folder.index()].insert(key);
        debug_assert_eq!(self.items.len() as u64, key - 1, "keys are handed out in order");
        self.items.push(Some(item));
        self.live += 1;
        key
    }

    /// Where the item with this key lives in `items` (key 0 is never handed out).
    fn slot(key: u64) -> Option<usize> {
        usize::try_from(key.checked_sub(1)?).ok()
    }

    /// The key the next inserted item will get.
    pub(crate) fn peek_key(&self) -> u64 {
        self.next_key
    }

    pub(crate) fn get(&self, key: u64) -> Option<&Item> {
        self.items.get(Self::slot(key)?)?.as_ref()
    }

    pub(crate) fn get_mut(&mut self, key: u64) -> Option<&mut Item> {
        self.revision += 1;
        self.items.get_mut(Self::slot(key)?)?.as_mut()
    }

    /// Removes an item for good.
    pub(crate) fn remove(&mut self, key: u64) -> Option<Item> {
        self.revision += 1;
        let item = self.items.get_mut(Self::slot(key)?)?.take()?;
        self.live -= 1;
        self.folders[item.mailbox as usize][item.folder.index()].remove(&key);
        Some(item)
    }

    /// Moves an item to another folder of its mailbox, with a new ChangeKey.
    pub(crate) fn move_to(&mut self, key: u64, folder: FolderKind) -> bool {
        let change = self.next_change();
        let Some(item) = Self::slot(key).and_then(|i| self.items.get_mut(i)).and_then(Option::as_mut) else {
            return false;
        };
        let slots = &mut self.folders[item.mailbox as usize];
        slots[item.folder.index()].remove(&key);
        slots[folder.index()].insert(key);
        item.folder = folder;
        item.change = change;
        true
    }

    /// The keys in a mailbox folder, oldest first.
    pub(crate) fn folder(&self, mailbox: MailboxIdx, folder: FolderKind) -> impl DoubleEndedIterator<Item = u64> + '_ {
        self.folders[mailbox as usize][folder.index()].iter().copied()
    }

    /// How many items a mailbox folder holds.
    pub(crate) fn count(&self, mailbox: MailboxIdx, folder: FolderKind) -> usize {
        self.folders[mailbox as usize][folder.index()].len()
    }

    /// How many items the tenant holds.
    pub(crate) fn len(&self) -> usize {
        self.live
    }

    /// Checks that the folder index and the items agree: every item is indexed once, in its own
    /// mailbox's folder, and every indexed key is a stored item. For the fuzz target and tests.
    #[cfg_attr(not(feature = "fuzzing"), allow(dead_code))]
    pub(crate) fn check_consistency(&self) -> Result<(), String> {
        let mut indexed = 0usize;
        for (mailbox, slots) in self.folders.iter().enumerate() {
            for (folder, keys) in FolderKind::ALL.into_iter().zip(slots) {
                for key in keys {
                    let item = self.get(*key).ok_or(format!("key {key} indexed but not stored"))?;
                    if item.mailbox as usize != mailbox || item.folder != folder {
                        return Err(format!(
                            "item {key} indexed in mailbox {mailbox} {folder:?}, but is in mailbox {} {:?}",
                            item.mailbox, item.folder
                        ));
                    }
                    if *key >= self.next_key || item.change >= self.next_change {
                        return Err(format!("item {key} has a key or ChangeKey not yet handed out"));
                    }
                }
                indexed += keys.len();
            }
        }
        let stored = self.items.iter().flatten().count();
        if indexed != stored || stored != self.live {
            return Err(format!("{stored} items stored ({} counted) but {indexed} indexed", self.live));
        }
        Ok(())
    }
}

/// A cheap-clone handle to one tenant's items.
#[derive(Debug, Clone)]
pub(crate) struct Store {
    shared: Arc<Mutex<State>>,
}

impl Store {
    pub(crate) fn new(mailboxes: usize) -> Store {
        Store::from_state(State::new(mailboxes))
    }

    /// A store holding this state (restored from a state file).
    pub(crate) fn from_state(state: State) -> Store {
        Store { shared: Arc::new(Mutex::new(state)) }
    }

    /// Locks the state. A poisoned lock is taken over: every mutation leaves the state
    /// consistent between statements, so a panic elsewhere cannot have left it half-written.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.shared.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
