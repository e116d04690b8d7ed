//! Resolving the item ids of a request to stored items: the "an item belongs to one mailbox"
//! rule.
//!
//! An id names its mailbox (by GUID) and its item. It resolves only when the item exists, lives
//! in that mailbox, and that mailbox is the one the request acts as. Any other use — an id from
//! another mailbox, a forged id, an id of a deleted item, an id minted by another tenant — is a
//! per-item ErrorItemNotFound, the error Exchange gives when an item is missing or not yours.
//! See `../shared/protocol/protocol.md` §4.2.

use crate::acting::Acting;
use crate::ids::{self, IdError, IdTarget};
use crate::response::MessageError;
use crate::response_code::ResponseCode;
use crate::store::State;
use crate::tenant::Directory;

/// A `t:ItemId` as the request wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ItemRef {
    /// `Id`.
    pub(crate) id: String,
    /// `ChangeKey`, if given.
    pub(crate) change_key: Option<String>,
}

impl ItemRef {
    /// Reads `Id` and `ChangeKey` from a `t:ItemId` element.
    pub(crate) fn parse(node: roxmltree::Node) -> Result<ItemRef, crate::fault::Fault> {
        let id = node.attribute("Id").ok_or_else(|| crate::xml::read::missing_attribute(node, "Id"))?;
        Ok(ItemRef { id: id.to_string(), change_key: node.attribute("ChangeKey").map(str::to_string) })
    }
}

/// Finds the stored item an id names, for the mailbox acted as.
pub(crate) fn resolve(
    dir: &Directory,
    state: &State,
    acting: Acting,
    seed: u64,
    id: &str,
) -> Result<u64, MessageError> {
    let decoded = ids::decode(id).map_err(|e| match e {
        IdError::Empty => MessageError::new(ResponseCode::ErrorInvalidIdEmpty),
        IdError::Malformed => MessageError::new(ResponseCode::ErrorInvalidIdMalformed),
    })?;
    let key = match decoded.target {
        IdTarget::Item(key) => key,
        IdTarget::Folder(_) => return Err(MessageError::new(ResponseCode::ErrorCannotUseFolderIdForItemId)),
    };
    let Some(owner) = dir.mailbox_by_guid(&decoded.mailbox_guid) else {
        return Err(MessageError::with_text(ResponseCode::ErrorNonExistentMailbox, "No mailbox with such guid."));
    };
    let not_found = || MessageError::new(ResponseCode::ErrorItemNotFound);
    if decoded.seed != seed {
        return Err(not_found());
    }
    if Some(owner) != acting.mailbox {
        // The wire carries Exchange's text; the log says what happened.
        tracing::info!(
            owner = %dir.mailbox(owner).smtp,
            acting_as = acting.mailbox.map_or("no mailbox", |m| dir.mailbox(m).smtp.as_str()),
            "an item id from another mailbox was refused: an item can be used only in the mailbox it was saved in"
        );
        return Err(not_found());
    }
    match state.get(key) {
        Some(item) if item.mailbox == owner => Ok(key),
        _ => Err(not_found()),
    }
}
