//! Looking inside a tenant: its items as typed values, for tests and the admin API.

use crate::item::{ItemFields, ItemKind, ServerFields};
use crate::runtime::Tenant;
use crate::store::FolderKind;
use crate::tenant::MailboxIdx;

/// An item as stored in a mailbox folder, for assertions in tests.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StoredItem {
    /// The EWS item id.
    pub id: String,
    /// The current ChangeKey.
    pub change_key: String,
    /// CalendarItem, MeetingRequest, …
    pub kind: ItemKind,
    /// The folder it is in.
    pub folder: FolderKind,
    /// The organizer's primary address, for calendar items and meeting messages.
    pub organizer: Option<String>,
    /// Client-set fields.
    pub fields: ItemFields,
    /// Server-set fields.
    pub server: ServerFields,
}

impl Tenant {
    /// The items of a mailbox folder, oldest first.
    pub(crate) fn items(&self, mailbox: MailboxIdx, folder: FolderKind) -> Vec<StoredItem> {
        let dir = &self.dir;
        let state = self.store.lock();
        state
            .folder(mailbox, folder)
            .filter_map(|key| state.get(key).map(|item| (key, item)))
            .map(|(key, item)| StoredItem {
                id: crate::ids::item_id(&dir.mailbox(item.mailbox).guid, key, self.seed),
                change_key: crate::ops::change_key(item, self.seed),
                kind: item.kind,
                folder: item.folder,
                organizer: item.server.organizer.map(|o| dir.mailbox(o).smtp.clone()),
                fields: item.fields.clone(),
                server: item.server.clone(),
            })
            .collect()
    }
}
