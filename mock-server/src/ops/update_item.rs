//! UpdateItem: SetItemField, AppendToItemField and DeleteItemField on stored items, with
//! ChangeKey conflict checks and meeting updates.
//!
//! - One `UpdateItemResponseMessage` per `t:ItemChange`, in order: on success the item's same Id
//!   with a NEW ChangeKey in `m:Items`, then `m:ConflictResults/t:Count` 0; on error an empty
//!   `m:Items`. Each change is atomic: on any error nothing of that item changes.
//! - Each update names its property with `t:FieldURI` (checked against the schema's whole
//!   enumeration: a value outside it is an ErrorSchemaValidation fault). `item:X` and
//!   `calendar:X` name the element `X` of the `t:CalendarItem` (or `t:Item`) child, which must
//!   hold exactly that one element (else ErrorIncorrectUpdatePropertyCount). Read-only
//!   properties are refused with ErrorInvalidPropertySet (Append: ErrorInvalidPropertyAppend,
//!   Delete: ErrorInvalidPropertyDelete) and the FieldURI in MessageXml. Valid properties the mock
//!   does not model (Recurrence, ExtendedFieldURI, IndexedFieldURI, `message:`/`task:`… paths) are
//!   accepted and not stored, as CreateItem does.
//! - AppendToItemField works on Body (text appended) and the recipient collections
//!   (RequiredAttendees, OptionalAttendees, Resources) as in Exchange, and on Categories; any
//!   other property is ErrorInvalidPropertyAppend.
//! - ChangeKey: required for every ConflictResolution (ErrorChangeKeyRequiredForWriteOperations:
//!   "this is the case with UpdateItem even when conflict resolution is set to always
//!   overwrite"); a key that is not a ChangeKey at all is ErrorInvalidChangeKey; a stale key is
//!   ErrorIrresolvableConflict under NeverOverwrite and AutoResolve, and ignored under
//!   AlwaysOverwrite. AutoResolve in Exchange merges when the other writer's changes do not touch
//!   the properties being set; the mock keeps no per-property history, so it cannot prove that,
//!   and treats every stale key under AutoResolve as irresolvable — the conservative answer, and
//!   one Exchange also gives whenever it cannot merge.
//! - `SendMeetingInvitationsOrCancellations` is required for calendar items (per item
//!   ErrorSendMeetingInvitationsOrCancellationsRequired). Calendar items in Deleted Items may be
//!   updated only with SendToNone (ErrorCalendarCannotUpdateDeletedItem). An End before Start
//!   after the update is ErrorCalendarEndDateIsEarlierThanStartDate.
//! - When the organizer updates a meeting and sends, attendees in the tenant get the update (see
//!   [`meeting`]).
//! - `MessageDisposition`, `SuppressReadReceipts` and `SavedItemFolderId` are validated and
//!   otherwise ignored: they concern messages being sent, which the mock does not model.
//!
//! See <https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/updateitem-operation>
//! and `../shared/protocol/protocol.md` §5.3.

mod change;
mod field_uri;
pub(crate) mod meeting;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use roxmltree::Node;

use self::change::Change;
use super::{change_key, Ctx, Operation, WriteCtx};
use crate::fault::Fault;
use crate::folder_id;
use crate::item::{ews_enum, Item, ItemKind};
use crate::item_id::{self, ItemRef};
use crate::ns;
use crate::response::{write_message, Message, MessageError};
use crate::response_code::ResponseCode;
use crate::store::FolderKind;
use crate::xml::read::{self, elements, is};
use crate::xml::read::{boolean_attribute, enum_attribute};
use crate::xml::write::{start_response, XmlOut};

ews_enum!(
    /// `ConflictResolution`. See <https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/updateitem>.
    ConflictResolution, "ConflictResolutionType", { NeverOverwrite, AutoResolve, AlwaysOverwrite }
);
// The variants copy the schema's spelling, which all start with "Send".
ews_enum!(
    #[allow(clippy::enum_variant_names)]
    /// `SendMeetingInvitationsOrCancellations`. See <https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/updateitem>.
    SendMeetingInvitationsOrCancellations, "CalendarItemUpdateOperationType",
    { SendToNone, SendOnlyToAll, SendOnlyToChanged, SendToAllAndSaveCopy, SendToChangedAndSaveCopy }
);

const MESSAGE_DISPOSITION: [&str; 3] = ["SaveOnly", "SendOnly", "SendAndSaveCopy"];

/// `m:UpdateItem`. See <https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/updateitem>.
#[derive(Debug)]
pub(crate) struct UpdateItem {
    /// `ConflictResolution` (required).
    pub(crate) conflict_resolution: ConflictResolution,
    /// `SendMeetingInvitationsOrCancellations`; required for calendar items.
    pub(crate) send: Option<SendMeetingInvitationsOrCancellations>,
    /// The `t:ItemChange`s, in order.
    pub(crate) changes: Vec<ItemChange>,
}

/// One `t:ItemChange`: which item, and its updates as read (or why they are refused).
#[derive(Debug)]
pub(crate) struct ItemChange {
    /// `t:ItemId` (or an occurrence reference).
    pub(crate) target: Target,
    /// The updates, in order; or the per-item error found while reading them.
    pub(crate) updates: Result<Vec<Change>, MessageError>,
}

/// The answer: one message per change.
pub(crate) type UpdateItemResponse = Vec<Message<Updated>>;

/// An updated item, copied out of the store for writing.
#[derive(Debug)]
pub(crate) struct Updated {
    /// The item's key in the store.
    key: u64,
    /// The item as updated, for its element name and new ChangeKey.
    item: Item,
}

/// An item reference of a request: `t:ItemId`, or a recurrence reference the mock cannot satisfy
/// because it stores single items only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// `t:ItemId`.
    Item(ItemRef),
    /// `t:OccurrenceItemId` (its RecurringMasterId) or `t:RecurringMasterItemIdRanges`: the id
    /// must be a recurring master (else ErrorCalendarCannotUseIdForRecurringMasterId).
    NeedsMaster(ItemRef),
    /// `t:RecurringMasterItemId` (its OccurrenceId): the id must be an occurrence (else
    /// ErrorCalendarCannotUseIdForOccurrenceId).
    NeedsOccurrence(ItemRef),
}

impl Target {
    /// The element names of `NonEmptyArrayOfBaseItemIdsType`.
    pub(crate) const ELEMENTS: [&'static str; 4] =
        ["ItemId", "OccurrenceItemId", "RecurringMasterItemId", "RecurringMasterItemIdRanges"];

    /// Reads an item reference; `None` if the element is not one. `ranges` allows
    /// `RecurringMasterItemIdRanges` (DeleteItem only).
    pub(crate) fn parse(node: Node, ranges: bool) -> Result<Option<Target>, Fault> {
        if node.tag_name().namespace() != Some(ns::TYPES) {
            return Ok(None);
        }
        let attr = |name: &str| node.attribute(name).ok_or_else(|| read::missing_attribute(node, name));
        let change_key = node.attribute("ChangeKey").map(str::to_string);
        Ok(Some(match node.tag_name().name() {
            "ItemId" => Target::Item(ItemRef::parse(node)?),
            "RecurringMasterItemIdRanges" if ranges => Target::NeedsMaster(ItemRef::parse(node)?),
            "OccurrenceItemId" => {
                let id = attr("RecurringMasterId")?.to_string();
                if read::int_attribute(node, "InstanceIndex")?.is_none() {
                    return Err(read::missing_attribute(node, "InstanceIndex"));
                }
                Target::NeedsMaster(ItemRef { id, change_key })
            }
            "RecurringMasterItemId" => {
                Target::NeedsOccurrence(ItemRef { id: attr("OccurrenceId")?.to_string(), change_key })
            }
            _ => return Ok(None),
        }))
    }

    /// The id and ChangeKey as written.
    pub(crate) fn item_ref(&self) -> &ItemRef {
        match self {
            Target::Item(r) | Target::NeedsMaster(r) | Target::NeedsOccurrence(r) => r,
        }
    }

    /// Resolves the reference under the ownership rule, then its recurrence demand.
    pub(crate) fn resolve(&self, ctx: &Ctx<'_>) -> Result<u64, MessageError> {
        let key = item_id::resolve(ctx.dir, ctx.state, ctx.acting, ctx.seed, &self.item_ref().id)?;
        match self {
            Target::Item(_) => Ok(key),
            Target::NeedsMaster(_) => {
                Err(MessageError::new(ResponseCode::ErrorCalendarCannotUseIdForRecurringMasterId))
            }
            Target::NeedsOccurrence(_) => Err(MessageError::new(ResponseCode::ErrorCalendarCannotUseIdForOccurrenceId)),
        }
    }
}

/// Checks a ChangeKey against an item's current one: ErrorInvalidChangeKey when it is not a
/// ChangeKey of this tenant at all, ErrorIrresolvableConflict when it is an older version.
pub(crate) fn check_change_key(ctx: &Ctx<'_>, item: &Item, given: &str) -> Result<(), MessageError> {
    if given == change_key(item, ctx.seed) {
        return Ok(());
    }
    // Layout (see `ids::change_key`): kind u32, 22u32, seed u64, rotated seed u64, 6-byte counter.
    let well_formed = STANDARD
        .decode(given.trim())
        .is_ok_and(|b| b.len() == 30 && b[4..8] == 22u32.to_le_bytes() && b[8..16] == ctx.seed.to_le_bytes());
    if well_formed {
        Err(MessageError::new(ResponseCode::ErrorIrresolvableConflict))
    } else {
        Err(MessageError::new(ResponseCode::ErrorInvalidChangeKey))
    }
}

impl Operation for UpdateItem {
    const NAME: &'static str = "UpdateItem";
    type Response = UpdateItemResponse;

    fn parse(node: Node) -> Result<Self, Fault> {
        let conflict_resolution = match node.attribute("ConflictResolution") {
            None => return Err(read::missing_attribute(node, "ConflictResolution")),
            Some(v) => {
                enum_attribute(node, "ConflictResolution", v, ConflictResolution::parse, ConflictResolution::XSD)?
            }
        };
        if let Some(v) = node.attribute("MessageDisposition") {
            let parse = |s: &str| MESSAGE_DISPOSITION.contains(&s).then_some(());
            let xsd = "http://schemas.microsoft.com/exchange/services/2006/types:MessageDispositionType";
            enum_attribute(node, "MessageDisposition", v, parse, xsd)?;
        }
        let send = match node.attribute("SendMeetingInvitationsOrCancellations") {
            None => None,
            Some(v) => Some(enum_attribute(
                node,
                "SendMeetingInvitationsOrCancellations",
                v,
                SendMeetingInvitationsOrCancellations::parse,
                SendMeetingInvitationsOrCancellations::XSD,
            )?),
        };
        boolean_attribute(node, "SuppressReadReceipts")?;
        let mut changes = None;
        for (name, child) in read::in_sequence(node, ns::MESSAGES, &["SavedItemFolderId", "ItemChanges"], &[])? {
            if name == "SavedItemFolderId" {
                let mut ids = elements(child);
                let first = ids
                    .next()
                    .ok_or_else(|| read::missing_child(child, "FolderId, DistinguishedFolderId", ns::TYPES))?;
                folder_id::parse(first)?.ok_or_else(|| {
                    read::invalid_child(child, first, &["FolderId", "DistinguishedFolderId"], ns::TYPES)
                })?;
                if let Some(extra) = ids.next() {
                    return Err(read::invalid_child(child, extra, &[], ns::TYPES));
                }
            } else {
                changes = Some(parse_item_changes(child)?);
            }
        }
        let changes = changes.ok_or_else(|| read::missing_child(node, "ItemChanges", ns::MESSAGES))?;
        Ok(UpdateItem { conflict_resolution, send, changes })
    }

    fn apply(self, ctx: &mut Ctx<'_>) -> Result<UpdateItemResponse, Fault> {
        let mut out = Vec::with_capacity(self.changes.len());
        for change in &self.changes {
            out.push(update(ctx, change, self.conflict_resolution, self.send));
        }
        Ok(out)
    }

    fn write(response: &UpdateItemResponse, ctx: WriteCtx<'_>, out: &mut XmlOut) {
        start_response(out, "m:UpdateItemResponse");
        out.start("m:ResponseMessages", &[]);
        for message in response {
            write_message(out, "m:UpdateItemResponseMessage", message, |out, updated| match updated {
                Some(u) => {
                    out.start("m:Items", &[]);
                    let element = format!("t:{}", u.item.kind.element());
                    out.start(&element, &[]);
                    ctx.item_id(out, u.key, &u.item);
                    out.end(&element);
                    out.end("m:Items");
                    out.start("m:ConflictResults", &[]);
                    out.leaf("t:Count", "0");
                    out.end("m:ConflictResults");
                }
                None => out.empty("m:Items", &[]),
            });
        }
        out.end("m:ResponseMessages");
        out.end("m:UpdateItemResponse");
    }

    fn summary(response: &UpdateItemResponse) -> ResponseCode {
        crate::response::first_error(response)
    }
}

/// `m:ItemChanges`: one or more `t:ItemChange`.
fn parse_item_changes(node: Node) -> Result<Vec<ItemChange>, Fault> {
    let mut out = Vec::new();
    for child in elements(node) {
        if !is(child, ns::TYPES, "ItemChange") {
            return Err(read::invalid_child(node, child, &["ItemChange"], ns::TYPES));
        }
        out.push(parse_item_change(child)?);
    }
    if out.is_empty() {
        return Err(read::missing_child(node, "ItemChange", ns::TYPES));
    }
    Ok(out)
}

/// `t:ItemChange`: (ItemId | OccurrenceItemId | RecurringMasterItemId), Updates,
/// CalendarActivityData? (accepted, not modelled).
fn parse_item_change(node: Node) -> Result<ItemChange, Fault> {
    const ID_CHOICE: [&str; 3] = ["ItemId", "OccurrenceItemId", "RecurringMasterItemId"];
    let mut children = elements(node);
    let first = children.next().ok_or_else(|| read::missing_child(node, &ID_CHOICE.join(", "), ns::TYPES))?;
    let target = Target::parse(first, false)?.ok_or_else(|| read::invalid_child(node, first, &ID_CHOICE, ns::TYPES))?;
    let updates_node = children.next().ok_or_else(|| read::missing_child(node, "Updates", ns::TYPES))?;
    if !is(updates_node, ns::TYPES, "Updates") {
        return Err(read::invalid_child(node, updates_node, &["Updates"], ns::TYPES));
    }
    if let Some(extra) = children.next() {
        if !is(extra, ns::TYPES, "CalendarActivityData") {
            return Err(read::invalid_child(node, extra, &["CalendarActivityData"], ns::TYPES));
        }
        if let Some(more) = children.next() {
            return Err(read::invalid_child(node, more, &[], ns::TYPES));
        }
    }
    let mut updates = Vec::new();
    let mut refused = None;
    for update in elements(updates_node) {
        match Change::parse(update)? {
            Ok(change) => updates.push(change),
            Err(e) => {
                refused.get_or_insert(e);
            }
        }
    }
    if updates.is_empty() && refused.is_none() {
        return Err(read::missing_child(updates_node, &change::ELEMENTS.join(", "), ns::TYPES));
    }
    Ok(ItemChange { target, updates: refused.map_or(Ok(updates), Err) })
}

/// Applies one `t:ItemChange`: resolve, check, change a copy of the fields, validate, store.
fn update(
    ctx: &mut Ctx<'_>,
    change: &ItemChange,
    conflict: ConflictResolution,
    send: Option<SendMeetingInvitationsOrCancellations>,
) -> Result<Updated, MessageError> {
    let key = change.target.resolve(ctx)?;
    let item = ctx.state.get(key).ok_or_else(|| MessageError::new(ResponseCode::ErrorItemNotFound))?;
    let is_calendar = item.kind == ItemKind::CalendarItem;
    if is_calendar && send.is_none() {
        return Err(MessageError::new(ResponseCode::ErrorSendMeetingInvitationsOrCancellationsRequired));
    }
    let given = change.target.item_ref().change_key.as_deref();
    let given = given.ok_or_else(|| MessageError::new(ResponseCode::ErrorChangeKeyRequiredForWriteOperations))?;
    match check_change_key(ctx, item, given) {
        Err(e)
            if e.code == ResponseCode::ErrorIrresolvableConflict && conflict == ConflictResolution::AlwaysOverwrite => {
        }
        Err(e) if e.code == ResponseCode::ErrorIrresolvableConflict => {
            // The wire carries Exchange's text; the log says why.
            tracing::info!(conflict = conflict.as_str(), "stale ChangeKey refused; only AlwaysOverwrite ignores it");
            return Err(e);
        }
        other => other?,
    }
    let send = send.unwrap_or(SendMeetingInvitationsOrCancellations::SendToNone);
    if is_calendar
        && item.folder == FolderKind::DeletedItems
        && send != SendMeetingInvitationsOrCancellations::SendToNone
    {
        tracing::info!(send = send.as_str(), "an item in Deleted Items may be updated only with SendToNone");
        return Err(MessageError::new(ResponseCode::ErrorCalendarCannotUpdateDeletedItem));
    }
    // Work on a copy; the stored item changes only once every update has succeeded.
    let updates = change.updates.as_ref().map_err(Clone::clone)?;
    let before = item.fields.clone();
    let mut fields = before.clone();
    for update in updates {
        update.apply(&mut fields)?;
    }
    if let (Some(start), Some(end)) = (fields.start, fields.end) {
        if end < start {
            return Err(MessageError::new(ResponseCode::ErrorCalendarEndDateIsEarlierThanStartDate));
        }
    }
    let next = ctx.state.next_change();
    let now = ctx.now;
    let item = ctx.state.get_mut(key).expect("resolved under the same lock a moment ago");
    item.server.is_meeting |= is_calendar && fields.has_attendees();
    item.fields = fields;
    item.change = next;
    item.modified = now;
    let organizes = is_calendar && item.server.is_meeting && item.server.organizer == Some(item.mailbox);
    if organizes && send != SendMeetingInvitationsOrCancellations::SendToNone {
        meeting::send_updates(ctx, key, &before, send);
    }
    let item = ctx.state.get(key).cloned().expect("updated under the same lock a moment ago");
    Ok(Updated { key, item })
}
