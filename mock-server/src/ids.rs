//! Item and folder ids, and ChangeKeys, shaped like Exchange's.
//!
//! An EwsId is base64 over: compression byte (0), id storage type (3 = mailbox-GUID based),
//! a length-prefixed mailbox GUID moniker, a processing instruction (0), and a length-prefixed
//! store id ([MS-OXCEXT] §2.2.6.1; `../shared/protocol/protocol.md` §4.1). The mock's store id
//! embeds the item's key and the tenant's id seed, so an id names exactly one mailbox and one item;
//! item ids come out 152 characters long, like Exchange's (`AAMkA…`).
//!
//! Ids are opaque to clients but not secret: a forged id that names another mailbox's GUID is
//! still refused, because the item's owner is checked against the mailbox being acted as.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use crate::store::FolderKind;

/// What an id names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IdTarget {
    /// An item, by its key in the tenant's store.
    Item(u64),
    /// A mailbox folder.
    Folder(FolderKind),
}

/// A decoded id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DecodedId {
    /// The mailbox GUID the id embeds.
    pub(crate) mailbox_guid: String,
    /// The item or folder it names.
    pub(crate) target: IdTarget,
    /// The id seed it was minted with.
    pub(crate) seed: u64,
}

/// Why an id could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IdError {
    /// Empty string (ErrorInvalidIdEmpty).
    Empty,
    /// Not an id of this shape (ErrorInvalidIdMalformed).
    Malformed,
}

const ITEM_ENTRY_LEN: usize = 70;
const FOLDER_ENTRY_LEN: usize = 46;
/// The provider uid that marks our entry ids, 16 bytes.
const PROVIDER: &[u8; 16] = b"ews-mock store\x00\x01";

fn encode(guid: &str, entry: &[u8]) -> String {
    encode_parts(STORAGE_MAILBOX_GUID, guid, entry)
}

/// Id storage type 3, MailboxItemMailboxGuidBased: the moniker is the mailbox GUID (EwsId).
pub(crate) const STORAGE_MAILBOX_GUID: u8 = 3;
/// Id storage type 0, MailboxItemSmtpAddressBased: the moniker is the SMTP address (EwsLegacyId).
pub(crate) const STORAGE_SMTP: u8 = 0;

/// An EwsId or EwsLegacyId taken apart: storage type, moniker and store id (the MAPI entry id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IdParts {
    /// [`STORAGE_MAILBOX_GUID`] or [`STORAGE_SMTP`].
    pub(crate) storage: u8,
    /// The mailbox GUID or SMTP address.
    pub(crate) moniker: String,
    /// The store id: the entry id the mock minted.
    pub(crate) entry: Vec<u8>,
}

/// Builds an id from its parts (the inverse of [`parts`]).
pub(crate) fn encode_parts(storage: u8, moniker: &str, entry: &[u8]) -> String {
    let mut bytes = Vec::with_capacity(5 + moniker.len() + 2 + entry.len());
    bytes.push(0); // not compressed
    bytes.push(storage);
    bytes.extend_from_slice(&(moniker.len() as u16).to_le_bytes());
    bytes.extend_from_slice(moniker.as_bytes());
    bytes.push(0); // IdProcessingInstruction Normal
    bytes.extend_from_slice(&(entry.len() as u16).to_le_bytes());
    bytes.extend_from_slice(entry);
    STANDARD.encode(bytes)
}

/// Takes an uncompressed EwsId (storage type 3) or EwsLegacyId (storage type 0) apart.
pub(crate) fn parts(id: &str) -> Result<IdParts, IdError> {
    if id.trim().is_empty() {
        return Err(IdError::Empty);
    }
    let bytes = STANDARD.decode(id.trim()).map_err(|_| IdError::Malformed)?;
    let mut r = Reader { bytes: &bytes, pos: 0 };
    let storage = match (r.byte()?, r.byte()?) {
        (0, s @ (STORAGE_MAILBOX_GUID | STORAGE_SMTP)) => s,
        _ => return Err(IdError::Malformed),
    };
    let moniker_len = r.u16()? as usize;
    let moniker = std::str::from_utf8(r.take(moniker_len)?).map_err(|_| IdError::Malformed)?.to_string();
    if r.byte()? != 0 {
        return Err(IdError::Malformed);
    }
    let entry_len = r.u16()? as usize;
    let entry = r.take(entry_len)?.to_vec();
    if r.pos != bytes.len() {
        return Err(IdError::Malformed);
    }
    Ok(IdParts { storage, moniker, entry })
}

/// What a store id (entry id) minted by the mock names, and the seed it was minted with.
pub(crate) fn entry_target(entry: &[u8]) -> Result<(IdTarget, u64), IdError> {
    if entry.len() < 30 || &entry[4..20] != PROVIDER {
        return Err(IdError::Malformed);
    }
    let seed = u64::from_le_bytes(entry[22..30].try_into().expect("8 bytes"));
    let target = match (entry.len(), entry[20]) {
        (ITEM_ENTRY_LEN, 0x07) => IdTarget::Item(u64::from_le_bytes(entry[46..54].try_into().expect("8 bytes"))),
        (FOLDER_ENTRY_LEN, 0x01) => IdTarget::Folder(FolderKind::from_u8(entry[45]).ok_or(IdError::Malformed)?),
        _ => return Err(IdError::Malformed),
    };
    Ok((target, seed))
}

/// The id of item `key` in the mailbox with GUID `guid`.
pub(crate) fn item_id(guid: &str, key: u64, seed: u64) -> String {
    let mut entry = [0u8; ITEM_ENTRY_LEN];
    entry[4..20].copy_from_slice(PROVIDER);
    entry[20] = 0x07; // message
    entry[22..30].copy_from_slice(&seed.to_le_bytes());
    entry[46..54].copy_from_slice(&key.to_le_bytes());
    encode(guid, &entry)
}

/// The id of a distinguished folder in the mailbox with GUID `guid`.
pub(crate) fn folder_id(guid: &str, folder: FolderKind, seed: u64) -> String {
    let mut entry = [0u8; FOLDER_ENTRY_LEN];
    entry[4..20].copy_from_slice(PROVIDER);
    entry[20] = 0x01; // folder
    entry[22..30].copy_from_slice(&seed.to_le_bytes());
    entry[45] = folder as u8;
    encode(guid, &entry)
}

/// Decodes an item or folder id minted by [`item_id`] or [`folder_id`].
pub(crate) fn decode(id: &str) -> Result<DecodedId, IdError> {
    let parts = parts(id)?;
    if parts.storage != STORAGE_MAILBOX_GUID {
        return Err(IdError::Malformed);
    }
    let (target, seed) = entry_target(&parts.entry)?;
    Ok(DecodedId { mailbox_guid: parts.moniker, target, seed })
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], IdError> {
        let end = self.pos.checked_add(n).ok_or(IdError::Malformed)?;
        let slice = self.bytes.get(self.pos..end).ok_or(IdError::Malformed)?;
        self.pos = end;
        Ok(slice)
    }
    fn byte(&mut self) -> Result<u8, IdError> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16, IdError> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
}

/// A ChangeKey: kind (0x0F for calendar items, 0x01 for folders), length 22, then a 16-byte
/// seed-derived GUID and a 6-byte change counter, as Exchange's are laid out.
pub(crate) fn change_key(kind: u32, seed: u64, change: u64) -> String {
    let mut bytes = [0u8; 30];
    bytes[0..4].copy_from_slice(&kind.to_le_bytes());
    bytes[4..8].copy_from_slice(&22u32.to_le_bytes());
    bytes[8..16].copy_from_slice(&seed.to_le_bytes());
    bytes[16..24].copy_from_slice(&seed.rotate_left(17).to_le_bytes());
    bytes[24..30].copy_from_slice(&change.to_le_bytes()[..6]);
    STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GUID: &str = "e464a13b-715b-446a-98d5-f47d2917da48";

    #[test]
    fn item_ids_round_trip_and_look_like_exchange_ids() {
        let id = item_id(GUID, 42, 7);
        assert_eq!(id.len(), 152, "Exchange item ids are 152 characters");
        assert!(id.starts_with("AAMkA"), "{id}");
        let d = decode(&id).expect("decodes");
        assert_eq!(d, DecodedId { mailbox_guid: GUID.into(), target: IdTarget::Item(42), seed: 7 });
    }

    #[test]
    fn folder_ids_round_trip() {
        let id = folder_id(GUID, FolderKind::Calendar, 7);
        assert_eq!(decode(&id).expect("decodes").target, IdTarget::Folder(FolderKind::Calendar));
    }

    #[test]
    fn garbage_and_truncated_ids_are_malformed() {
        assert_eq!(decode(""), Err(IdError::Empty));
        assert_eq!(decode("not base64!"), Err(IdError::Malformed));
        let id = item_id(GUID, 1, 1);
        assert_eq!(decode(&id[..100]), Err(IdError::Malformed));
        assert_eq!(decode("AAAA"), Err(IdError::Malformed));
    }

    #[test]
    fn change_keys_differ_per_change_and_start_like_calendar_keys() {
        let a = change_key(0x0F, 1, 1);
        assert!(a.starts_with("DwAAABYAAAA"), "{a}");
        assert_ne!(a, change_key(0x0F, 1, 2));
    }
}
