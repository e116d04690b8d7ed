//! GetFolder: the mailbox folders by distinguished id or FolderId, in the shape asked for.
//!
//! - One `GetFolderResponseMessage` per folder id, in order; an error message carries an empty
//!   `m:Folders`, as Exchange's does (`../shared/protocol/protocol.md` §1.4).
//! - The calendar comes back as `t:CalendarFolder` (FolderClass IPF.Appointment), every other
//!   folder as `t:Folder`; properties in the schema's order (BaseFolderType, then FolderType's
//!   `UnreadCount`, which CalendarFolderType does not have).
//! - Shapes: IdOnly = FolderId; Default = FolderId, DisplayName, TotalCount, ChildFolderCount,
//!   UnreadCount; AllProperties adds ParentFolderId, FolderClass and EffectiveRights.
//!   AdditionalProperties adds the `folder:` paths the mock models; others are tolerated.
//!
//! The folder shape and folder writer here are shared with FindFolder.
//! See <https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/getfolder-operation>.

use std::collections::BTreeSet;

use roxmltree::Node;

use super::{Ctx, Operation, WriteCtx};
use crate::fault::Fault;
use crate::folder_id::{self, FolderRef};
use crate::ids;
use crate::item::ItemKind;
use crate::ns;
use crate::response::{write_message, Message};
use crate::response_code::ResponseCode;
use crate::store::{FolderKind, State};
use crate::tenant::MailboxIdx;
use crate::xml::read::{self, elements, is};
use crate::xml::write::{start_response, XmlOut};

/// `m:GetFolder`. See <https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/getfolder>.
#[derive(Debug)]
pub(crate) struct GetFolder {
    /// `FolderShape`.
    pub(crate) folder_shape: FolderShape,
    /// `FolderIds`, in request order.
    pub(crate) folder_ids: Vec<FolderRef>,
}

/// The answer: one message per folder id.
pub(crate) type GetFolderResponse = Vec<Message<FolderInfo>>;

/// A folder's properties copied out of the store, for writing after the lock is released.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FolderInfo {
    /// The mailbox the folder belongs to.
    pub(crate) mailbox: MailboxIdx,
    /// Which folder.
    pub(crate) kind: FolderKind,
    /// `TotalCount`: items in the folder.
    pub(crate) total: usize,
    /// `ChildFolderCount`: direct subfolders.
    pub(crate) children: usize,
    /// `UnreadCount`.
    pub(crate) unread: usize,
}

impl FolderInfo {
    /// Reads a folder's counts from the store.
    pub(crate) fn read(state: &State, mailbox: MailboxIdx, kind: FolderKind) -> FolderInfo {
        // The mock has no read flag: what a mailbox received (meeting messages it did not send)
        // is unread, as on delivery; calendar items and its own sent copies are read.
        let unread = state
            .folder(mailbox, kind)
            .filter_map(|key| state.get(key))
            .filter(|item| item.kind != ItemKind::CalendarItem && item.server.organizer != Some(mailbox))
            .count();
        let children = FolderKind::ALL.iter().filter(|f| f.parent() == Some(kind)).count();
        FolderInfo { mailbox, kind, total: state.count(mailbox, kind), children, unread }
    }
}

/// A folder property the mock models, in `BaseFolderType`/`FolderType` schema order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum FolderField {
    /// `folder:FolderId`.
    FolderId,
    /// `folder:ParentFolderId`.
    ParentFolderId,
    /// `folder:FolderClass`.
    FolderClass,
    /// `folder:DisplayName`.
    DisplayName,
    /// `folder:TotalCount`.
    TotalCount,
    /// `folder:ChildFolderCount`.
    ChildFolderCount,
    /// `folder:EffectiveRights`.
    EffectiveRights,
    /// `folder:DistinguishedFolderId`.
    DistinguishedFolderId,
    /// `folder:UnreadCount` (FolderType only).
    UnreadCount,
}

impl FolderField {
    fn from_uri(uri: &str) -> Option<FolderField> {
        Some(match uri {
            "folder:FolderId" => FolderField::FolderId,
            "folder:ParentFolderId" => FolderField::ParentFolderId,
            "folder:FolderClass" => FolderField::FolderClass,
            "folder:DisplayName" => FolderField::DisplayName,
            "folder:TotalCount" => FolderField::TotalCount,
            "folder:ChildFolderCount" => FolderField::ChildFolderCount,
            "folder:EffectiveRights" => FolderField::EffectiveRights,
            "folder:DistinguishedFolderId" => FolderField::DistinguishedFolderId,
            "folder:UnreadCount" => FolderField::UnreadCount,
            _ => return None,
        })
    }
}

/// `FolderShape`: the base shape's properties plus the additional ones the mock models.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FolderShape {
    /// The properties to write.
    pub(crate) fields: BTreeSet<FolderField>,
}

const BASE_SHAPES: [&str; 4] = ["IdOnly", "Default", "AllProperties", "PcxPeopleSearch"];

impl FolderShape {
    /// Reads a `FolderShape` element (`t:BaseShape`, optional `t:AdditionalProperties`).
    pub(crate) fn parse(node: Node) -> Result<FolderShape, Fault> {
        use FolderField::*;
        let children = read::in_sequence(node, ns::TYPES, &["BaseShape", "AdditionalProperties"], &[])?;
        let Some((_, base)) = children.iter().find(|(name, _)| *name == "BaseShape") else {
            return Err(read::missing_child(node, "BaseShape", ns::TYPES));
        };
        let fields: &[FolderField] = match read::text(*base).trim() {
            "IdOnly" | "PcxPeopleSearch" => &[FolderId],
            "Default" => &[FolderId, DisplayName, TotalCount, ChildFolderCount, UnreadCount],
            "AllProperties" => &[
                FolderId,
                ParentFolderId,
                FolderClass,
                DisplayName,
                TotalCount,
                ChildFolderCount,
                EffectiveRights,
                UnreadCount,
            ],
            other => {
                return Err(read::invalid_value(
                    *base,
                    other,
                    "http://schemas.microsoft.com/exchange/services/2006/types:DefaultShapeNamesType",
                    &format!("The Enumeration constraint failed. Allowed values: {}.", BASE_SHAPES.join(", ")),
                ))
            }
        };
        let mut fields: BTreeSet<FolderField> = fields.iter().copied().collect();
        if let Some((_, extra)) = children.iter().find(|(name, _)| *name == "AdditionalProperties") {
            let mut any = false;
            for path in elements(*extra) {
                any = true;
                // Paths the mock does not model (extended properties, PermissionSet, item
                // paths) are tolerated and left out, as Exchange leaves out unset properties.
                if is(path, ns::TYPES, "FieldURI") {
                    if let Some(field) = path.attribute("FieldURI").and_then(FolderField::from_uri) {
                        fields.insert(field);
                    }
                }
            }
            if !any {
                return Err(read::missing_child(*extra, "Path", ns::TYPES));
            }
        }
        Ok(FolderShape { fields })
    }
}

/// Reads a non-empty list of `t:FolderId` / `t:DistinguishedFolderId` (`FolderIds`, `ParentFolderIds`).
pub(crate) fn parse_folder_ids(node: Node) -> Result<Vec<FolderRef>, Fault> {
    let mut ids = Vec::new();
    for child in elements(node) {
        let folder = folder_id::parse(child)?
            .ok_or_else(|| read::invalid_child(node, child, &["FolderId", "DistinguishedFolderId"], ns::TYPES))?;
        ids.push(folder);
    }
    if ids.is_empty() {
        return Err(read::missing_child(node, "FolderId, DistinguishedFolderId", ns::TYPES));
    }
    Ok(ids)
}

/// The ChangeKey of a folder. The mock's folders never change their own properties, so the
/// key is fixed per folder; kind 1 is Exchange's folder ChangeKey prefix (`AQAAA…`).
fn folder_change_key(kind: FolderKind, seed: u64) -> String {
    ids::change_key(1, seed, kind as u64)
}

/// Writes `<t:Folder>` / `<t:CalendarFolder>` with the shape's properties in schema order.
pub(crate) fn write_folder(out: &mut XmlOut, ctx: WriteCtx<'_>, shape: &FolderShape, folder: &FolderInfo) {
    let guid = &ctx.dir.mailbox(folder.mailbox).guid;
    let element = if folder.kind == FolderKind::Calendar { "t:CalendarFolder" } else { "t:Folder" };
    out.start(element, &[]);
    for field in &shape.fields {
        match field {
            FolderField::FolderId => {
                let id = ids::folder_id(guid, folder.kind, ctx.seed);
                out.empty("t:FolderId", &[("Id", &id), ("ChangeKey", &folder_change_key(folder.kind, ctx.seed))]);
            }
            FolderField::ParentFolderId => {
                if let Some(parent) = folder.kind.parent() {
                    let id = ids::folder_id(guid, parent, ctx.seed);
                    out.empty("t:ParentFolderId", &[("Id", &id), ("ChangeKey", &folder_change_key(parent, ctx.seed))]);
                }
            }
            FolderField::FolderClass => {
                if let Some(class) = folder.kind.folder_class() {
                    out.leaf("t:FolderClass", class);
                }
            }
            FolderField::DisplayName => out.leaf("t:DisplayName", folder.kind.display_name()),
            FolderField::TotalCount => out.leaf("t:TotalCount", &folder.total.to_string()),
            FolderField::ChildFolderCount => out.leaf("t:ChildFolderCount", &folder.children.to_string()),
            FolderField::EffectiveRights => {
                // The mock has no delegates: whoever reaches a folder acts as its owner.
                out.start("t:EffectiveRights", &[]);
                for right in ["CreateAssociated", "CreateContents", "CreateHierarchy", "Delete", "Modify", "Read"] {
                    out.leaf(&format!("t:{right}"), "true");
                }
                out.leaf("t:ViewPrivateItems", "true");
                out.end("t:EffectiveRights");
            }
            FolderField::DistinguishedFolderId => out.leaf("t:DistinguishedFolderId", folder.kind.distinguished_id()),
            FolderField::UnreadCount => {
                if folder.kind != FolderKind::Calendar {
                    out.leaf("t:UnreadCount", &folder.unread.to_string());
                }
            }
        }
    }
    out.end(element);
}

impl Operation for GetFolder {
    const NAME: &'static str = "GetFolder";
    type Response = (FolderShape, GetFolderResponse);

    fn parse(node: Node) -> Result<Self, Fault> {
        let children = read::in_sequence(node, ns::MESSAGES, &["FolderShape", "FolderIds"], &[])?;
        let mut folder_shape = None;
        let mut folder_ids = None;
        for (name, child) in children {
            match name {
                "FolderShape" => folder_shape = Some(FolderShape::parse(child)?),
                _ => folder_ids = Some(parse_folder_ids(child)?),
            }
        }
        let folder_shape = folder_shape.ok_or_else(|| read::missing_child(node, "FolderShape", ns::MESSAGES))?;
        let folder_ids = folder_ids.ok_or_else(|| read::missing_child(node, "FolderIds", ns::MESSAGES))?;
        Ok(GetFolder { folder_shape, folder_ids })
    }

    fn apply(self, ctx: &mut Ctx<'_>) -> Result<Self::Response, Fault> {
        let messages = self
            .folder_ids
            .iter()
            .map(|folder| {
                let (mailbox, kind) = folder_id::resolve(ctx.dir, ctx.acting, folder)?;
                Ok(FolderInfo::read(ctx.state, mailbox, kind))
            })
            .collect();
        Ok((self.folder_shape, messages))
    }

    fn write((shape, messages): &Self::Response, ctx: WriteCtx<'_>, out: &mut XmlOut) {
        start_response(out, "m:GetFolderResponse");
        out.start("m:ResponseMessages", &[]);
        for message in messages {
            write_message(out, "m:GetFolderResponseMessage", message, |out, folder| match folder {
                Some(folder) => {
                    out.start("m:Folders", &[]);
                    write_folder(out, ctx, shape, folder);
                    out.end("m:Folders");
                }
                None => out.empty("m:Folders", &[]),
            });
        }
        out.end("m:ResponseMessages");
        out.end("m:GetFolderResponse");
    }

    fn summary((_, messages): &Self::Response) -> ResponseCode {
        crate::response::first_error(messages)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(xml: &str) -> Result<FolderShape, Fault> {
        let xml = format!("<m:FolderShape xmlns:m='{}' xmlns:t='{}'>{xml}</m:FolderShape>", ns::MESSAGES, ns::TYPES);
        let doc = roxmltree::Document::parse(&xml).expect("well-formed test input");
        FolderShape::parse(doc.root_element())
    }

    #[test]
    fn id_only_with_additional_properties_adds_only_modelled_folder_paths() {
        let s = shape(
            "<t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties>\
             <t:FieldURI FieldURI='folder:DisplayName'/><t:FieldURI FieldURI='folder:PermissionSet'/>\
             <t:ExtendedFieldURI PropertyTag='0x3613' PropertyType='String'/></t:AdditionalProperties>",
        )
        .expect("valid shape");
        assert_eq!(s.fields.into_iter().collect::<Vec<_>>(), vec![FolderField::FolderId, FolderField::DisplayName]);
    }

    #[test]
    fn unknown_base_shape_is_a_schema_fault() {
        let err = shape("<t:BaseShape>Everything</t:BaseShape>").expect_err("invalid");
        assert!(err.text.contains("'Everything' is invalid"), "{}", err.text);
    }

    #[test]
    fn shape_without_base_shape_is_a_schema_fault() {
        assert!(shape("").is_err());
    }
}
