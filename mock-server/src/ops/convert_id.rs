//! ConvertId: item and folder ids between the formats EWS knows, for the ids the mock mints.
//!
//! Every id the mock mints carries a store id (a MAPI entry id, see `ids`). The formats are views
//! of it: EwsId (storage type 3, mailbox GUID moniker), EwsLegacyId (storage type 0, SMTP
//! moniker, as Exchange 2007 RTM minted them), EntryId (base64 of the store id), HexEntryId
//! (upper-case hex of it) and OwaId (URL-escaped base64 of a length byte, the store id and an
//! object-type byte, the layout of Exchange 2007/2010 OWA ids). StoreId is not converted.
//!
//! - One `ConvertIdResponseMessage` per source id, in order; a failed one has no `AlternateId`.
//! - Formats without a mailbox (EntryId, HexEntryId, OwaId) take it from the `Mailbox`
//!   attribute; EwsId and EwsLegacyId carry their own, and the answer names that mailbox.
//! - Conversion reads no mailbox contents, so it needs no access to the mailbox; this is also
//!   what makes it usable as exchangelib's version probe (a dummy id answered with
//!   ErrorInvalidIdMalformed inside a normal envelope with `ServerVersionInfo`).
//!
//! See <https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/convertid-operation>.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use roxmltree::Node;

use super::{Ctx, Operation, WriteCtx};
use crate::fault::Fault;
use crate::ids::{self, IdError, IdTarget};
use crate::ns;
use crate::response::{write_message, Message, MessageError};
use crate::response_code::ResponseCode;
use crate::tenant::MailboxIdx;
use crate::xml::read::{self, elements, is};
use crate::xml::write::{start_response, XmlOut};

/// `m:ConvertId`. See <https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/convertid>.
#[derive(Debug)]
pub(crate) struct ConvertId {
    /// `DestinationFormat`.
    pub(crate) destination_format: IdFormat,
    /// `SourceIds`, in request order.
    pub(crate) source_ids: Vec<SourceId>,
}

/// `IdFormatType`.
#[allow(clippy::enum_variant_names)] // the schema's names, which all end in `Id`
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IdFormat {
    /// Exchange 2007 RTM ids.
    EwsLegacyId,
    /// Ids since Exchange 2007 SP1.
    EwsId,
    /// `PR_ENTRYID`, base64.
    EntryId,
    /// `PR_ENTRYID`, hex.
    HexEntryId,
    /// Exchange store id (not converted by the mock).
    StoreId,
    /// Outlook Web App 2007/2010 id.
    OwaId,
}

const FORMATS: [(&str, IdFormat); 6] = [
    ("EwsLegacyId", IdFormat::EwsLegacyId),
    ("EwsId", IdFormat::EwsId),
    ("EntryId", IdFormat::EntryId),
    ("HexEntryId", IdFormat::HexEntryId),
    ("StoreId", IdFormat::StoreId),
    ("OwaId", IdFormat::OwaId),
];

impl IdFormat {
    fn parse(node: Node, attr: &str) -> Result<IdFormat, Fault> {
        let value = node.attribute(attr).ok_or_else(|| read::missing_attribute(node, attr))?;
        FORMATS.iter().find(|(name, _)| *name == value).map(|(_, f)| *f).ok_or_else(|| {
            read::invalid_attribute(
                node,
                attr,
                value,
                "http://schemas.microsoft.com/exchange/services/2006/types:IdFormatType",
                "The Enumeration constraint failed.",
            )
        })
    }

    fn as_str(self) -> &'static str {
        FORMATS.iter().find(|(_, f)| *f == self).map(|(name, _)| *name).expect("every format is listed")
    }
}

/// One source id.
#[derive(Debug)]
pub(crate) enum SourceId {
    /// `t:AlternateId Format Id Mailbox`.
    Mailbox {
        /// `Format`.
        format: IdFormat,
        /// `Id`.
        id: String,
        /// `Mailbox`.
        mailbox: String,
    },
    /// `t:AlternatePublicFolderId` / `t:AlternatePublicFolderItemId`: the mock has no public folders.
    PublicFolder,
}

/// A converted id.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Converted {
    /// The new id.
    pub(crate) id: String,
    /// The mailbox's primary SMTP address.
    pub(crate) mailbox: String,
}

/// The answer: the destination format and one message per source id.
pub(crate) type ConvertIdResponse = (IdFormat, Vec<Message<Converted>>);

impl Operation for ConvertId {
    const NAME: &'static str = "ConvertId";
    type Response = ConvertIdResponse;

    fn parse(node: Node) -> Result<Self, Fault> {
        let destination_format = IdFormat::parse(node, "DestinationFormat")?;
        let children = read::in_sequence(node, ns::MESSAGES, &["SourceIds"], &[])?;
        let (_, list) = children.first().ok_or_else(|| read::missing_child(node, "SourceIds", ns::MESSAGES))?;
        let mut source_ids = Vec::new();
        for child in elements(*list) {
            if is(child, ns::TYPES, "AlternateId") {
                let format = IdFormat::parse(child, "Format")?;
                let id = child.attribute("Id").ok_or_else(|| read::missing_attribute(child, "Id"))?.to_string();
                let mailbox = child.attribute("Mailbox").ok_or_else(|| read::missing_attribute(child, "Mailbox"))?;
                if mailbox.is_empty() {
                    return Err(read::invalid_attribute(
                        child,
                        "Mailbox",
                        mailbox,
                        "http://schemas.microsoft.com/exchange/services/2006/types:NonEmptyStringType",
                        "The actual length is less than the MinLength value.",
                    ));
                }
                source_ids.push(SourceId::Mailbox { format, id, mailbox: mailbox.to_string() });
            } else if is(child, ns::TYPES, "AlternatePublicFolderId")
                || is(child, ns::TYPES, "AlternatePublicFolderItemId")
            {
                IdFormat::parse(child, "Format")?;
                source_ids.push(SourceId::PublicFolder);
            } else {
                let expected = ["AlternateId", "AlternatePublicFolderId", "AlternatePublicFolderItemId"];
                return Err(read::invalid_child(*list, child, &expected, ns::TYPES));
            }
        }
        if source_ids.is_empty() {
            return Err(read::missing_child(*list, "AlternateId", ns::TYPES));
        }
        Ok(ConvertId { destination_format, source_ids })
    }

    fn apply(self, ctx: &mut Ctx<'_>) -> Result<ConvertIdResponse, Fault> {
        let to = self.destination_format;
        let messages = self.source_ids.iter().map(|source| convert(ctx, source, to)).collect();
        Ok((to, messages))
    }

    fn write((format, messages): &ConvertIdResponse, _ctx: WriteCtx<'_>, out: &mut XmlOut) {
        start_response(out, "m:ConvertIdResponse");
        out.start("m:ResponseMessages", &[]);
        for message in messages {
            write_message(out, "m:ConvertIdResponseMessage", message, |out, converted| {
                let Some(c) = converted else { return };
                // AlternateIdBaseType is abstract, so the concrete type is named, as Exchange does.
                out.empty(
                    "m:AlternateId",
                    &[
                        ("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance"),
                        ("xsi:type", "t:AlternateIdType"),
                        ("Format", format.as_str()),
                        ("Id", &c.id),
                        ("Mailbox", &c.mailbox),
                    ],
                );
            });
        }
        out.end("m:ResponseMessages");
        out.end("m:ConvertIdResponse");
    }

    fn summary((_, messages): &ConvertIdResponse) -> ResponseCode {
        crate::response::first_error(messages)
    }
}

fn convert(ctx: &Ctx<'_>, source: &SourceId, to: IdFormat) -> Message<Converted> {
    let SourceId::Mailbox { format, id, mailbox } = source else {
        return Err(MessageError::with_text(
            ResponseCode::ErrorInvalidIdMalformed,
            "Id is malformed. ews-mock has no public folders, so no public folder id is one of its ids.",
        ));
    };
    let (owner, entry) = read_source(ctx, *format, id, mailbox)?;
    let info = ctx.dir.mailbox(owner);
    let id = match to {
        IdFormat::EwsId => ids::encode_parts(ids::STORAGE_MAILBOX_GUID, &info.guid, &entry),
        IdFormat::EwsLegacyId => ids::encode_parts(ids::STORAGE_SMTP, &info.smtp, &entry),
        IdFormat::EntryId => STANDARD.encode(&entry),
        IdFormat::HexEntryId => entry.iter().map(|b| format!("{b:02X}")).collect(),
        IdFormat::OwaId => owa_id(&entry)?,
        IdFormat::StoreId => return Err(store_id_unsupported()),
    };
    Ok(Converted { id, mailbox: info.smtp.clone() })
}

/// Reads a source id into its mailbox and store id.
fn read_source(
    ctx: &Ctx<'_>,
    format: IdFormat,
    id: &str,
    mailbox: &str,
) -> Result<(MailboxIdx, Vec<u8>), MessageError> {
    if id.trim().is_empty() {
        return Err(MessageError::new(ResponseCode::ErrorInvalidIdEmpty));
    }
    let malformed = || MessageError::new(ResponseCode::ErrorInvalidIdMalformed);
    let by_address = || {
        ctx.dir.mailbox_by_smtp(mailbox.trim()).ok_or_else(|| {
            MessageError::with_text(
                ResponseCode::ErrorNonExistentMailbox,
                format!("The SMTP address has no mailbox associated with it: {mailbox}"),
            )
        })
    };
    let (owner, entry) = match format {
        IdFormat::EwsId | IdFormat::EwsLegacyId => {
            let parts = ids::parts(id).map_err(|e| match e {
                IdError::Empty => MessageError::new(ResponseCode::ErrorInvalidIdEmpty),
                IdError::Malformed => malformed(),
            })?;
            let owner = match (format, parts.storage) {
                (IdFormat::EwsId, ids::STORAGE_MAILBOX_GUID) => {
                    ctx.dir.mailbox_by_guid(&parts.moniker).ok_or_else(|| {
                        MessageError::with_text(ResponseCode::ErrorNonExistentMailbox, "No mailbox with such guid.")
                    })?
                }
                (IdFormat::EwsLegacyId, ids::STORAGE_SMTP) => {
                    ctx.dir.mailbox_by_smtp(&parts.moniker).ok_or_else(|| {
                        MessageError::with_text(
                            ResponseCode::ErrorNonExistentMailbox,
                            format!("The SMTP address has no mailbox associated with it: {}", parts.moniker),
                        )
                    })?
                }
                _ => return Err(malformed()),
            };
            (owner, parts.entry)
        }
        IdFormat::EntryId => {
            let entry = STANDARD.decode(id.trim()).map_err(|_| malformed())?;
            (by_address()?, entry)
        }
        IdFormat::HexEntryId => (by_address()?, hex(id.trim()).ok_or_else(malformed)?),
        IdFormat::OwaId => (by_address()?, from_owa_id(id.trim()).ok_or_else(malformed)?),
        IdFormat::StoreId => return Err(store_id_unsupported()),
    };
    ids::entry_target(&entry).map_err(|_| malformed())?;
    Ok((owner, entry))
}

fn store_id_unsupported() -> MessageError {
    MessageError::with_text(
        ResponseCode::ErrorInvalidOperation,
        "The request is invalid: ews-mock does not convert ids to or from the StoreId format.",
    )
}

fn hex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

/// Object-type byte that ends an OWA id: 0x09 for items, 0x01 for folders.
fn owa_type(entry: &[u8]) -> Result<u8, MessageError> {
    match ids::entry_target(entry) {
        Ok((IdTarget::Item(_), _)) => Ok(0x09),
        Ok((IdTarget::Folder(_), _)) => Ok(0x01),
        Err(_) => Err(MessageError::new(ResponseCode::ErrorInvalidIdMalformed)),
    }
}

fn owa_id(entry: &[u8]) -> Result<String, MessageError> {
    let mut bytes = Vec::with_capacity(entry.len() + 2);
    bytes.push(u8::try_from(entry.len()).map_err(|_| MessageError::new(ResponseCode::ErrorInvalidIdMalformed))?);
    bytes.extend_from_slice(entry);
    bytes.push(owa_type(entry)?);
    let b64 = STANDARD.encode(bytes);
    Ok(b64.replace('+', "%2B").replace('/', "%2F").replace('=', "%3D"))
}

fn from_owa_id(id: &str) -> Option<Vec<u8>> {
    let unescaped = id.replace("%2B", "+").replace("%2b", "+").replace("%2F", "/").replace("%2f", "/");
    let unescaped = unescaped.replace("%3D", "=").replace("%3d", "=");
    let bytes = STANDARD.decode(unescaped).ok()?;
    let (&len, rest) = bytes.split_first()?;
    let (entry, kind) = rest.split_at_checked(usize::from(len))?;
    let entry = entry.to_vec();
    (kind.len() == 1 && owa_type(&entry).ok()? == kind[0]).then_some(entry)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GUID: &str = "e464a13b-715b-446a-98d5-f47d2917da48";

    fn entry_of(id: &str) -> Vec<u8> {
        ids::parts(id).expect("minted id").entry
    }

    #[test]
    fn hex_round_trips_and_refuses_odd_or_non_hex_text() {
        assert_eq!(hex("00A1ff"), Some(vec![0, 0xA1, 0xFF]));
        assert_eq!(hex("ABC"), None);
        assert_eq!(hex("ZZ"), None);
    }

    #[test]
    fn owa_ids_round_trip_for_items_and_folders_and_start_like_exchange_ones() {
        let item = entry_of(&ids::item_id(GUID, 9, 3));
        let owa = owa_id(&item).expect("item entry");
        assert!(owa.starts_with("RgAAAA"), "{owa}");
        assert_eq!(from_owa_id(&owa), Some(item));
        let folder = entry_of(&ids::folder_id(GUID, crate::store::FolderKind::Inbox, 3));
        let owa = owa_id(&folder).expect("folder entry");
        assert!(owa.starts_with("LgAAAA"), "{owa}");
        assert_eq!(from_owa_id(&owa), Some(folder));
        assert_eq!(from_owa_id("RgAAAA"), None);
    }
}
