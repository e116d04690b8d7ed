//! DeleteItem: HardDelete, SoftDelete and MoveToDeletedItems, with meeting cancellations.
//!
//! - One `DeleteItemResponseMessage` per id, in request order; the message has no `m:Items`.
//! - Every id goes through [`item_id::resolve`](crate::item_id::resolve): an item already
//!   deleted, or one that belongs to another mailbox, is a per-item ErrorItemNotFound.
//! - `SendMeetingCancellations` is required for calendar items (per item
//!   ErrorSendMeetingCancellationsRequired). When the organizer deletes a meeting with
//!   SendOnlyToAll / SendToAllAndSaveCopy, each attendee that is a mailbox of the tenant gets a
//!   `t:MeetingCancellation` in its inbox and its calendar copy (matched by UID) is marked
//!   cancelled, with Exchange's "Canceled: " subject prefix; SaveCopy puts the cancellation in the
//!   organizer's Sent Items too. Attendees deleting their own copy send nothing.
//! - HardDelete removes the item. SoftDelete moves it, in Exchange, to Recoverable
//!   Items\Deletions, where no Shallow FindItem and no id lookup sees it again; the mock has no
//!   recoverable-items folders, so it removes the item too. MoveToDeletedItems moves it to
//!   Deleted Items with a new ChangeKey (its id stays the same in the mock); an item already in
//!   Deleted Items is soft-deleted, as Outlook and Exchange do.
//! - A ChangeKey is optional; if given it must be a well-formed key, but it need not be current
//!   (`../shared/protocol/protocol.md` §4.1, ErrorInvalidChangeKey).
//! - `AffectedTaskOccurrences` and `SuppressReadReceipts` are validated and otherwise ignored: the
//!   mock has no tasks and no read receipts.
//!
//! See <https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/deleteitem-operation>
//! and `../shared/protocol/protocol.md` §5.4.

use roxmltree::Node;

use super::meeting::{send_cancellations, tenant_attendees};
use super::update_item::{check_change_key, Target};
use super::{Ctx, Operation, WriteCtx};
use crate::fault::Fault;
use crate::item::{ItemKind, SendMeetingInvitations};
use crate::ns;
use crate::response::{write_message, Message, MessageError};
use crate::response_code::ResponseCode;
use crate::store::FolderKind;
use crate::xml::read::{self, elements};
use crate::xml::read::{boolean_attribute, enum_attribute};
use crate::xml::write::{start_response, XmlOut};

/// `DeleteType`. See <https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/deleteitem>.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DeleteType {
    /// Removed for good.
    HardDelete,
    /// Moved out of view to Recoverable Items (the mock removes it).
    SoftDelete,
    /// Moved to Deleted Items.
    MoveToDeletedItems,
}

impl DeleteType {
    /// The schema type, for validation messages.
    const XSD: &'static str = "http://schemas.microsoft.com/exchange/services/2006/types:DisposalType";

    /// Parses the wire spelling.
    fn parse(s: &str) -> Option<DeleteType> {
        match s {
            "HardDelete" => Some(DeleteType::HardDelete),
            "SoftDelete" => Some(DeleteType::SoftDelete),
            "MoveToDeletedItems" => Some(DeleteType::MoveToDeletedItems),
            _ => None,
        }
    }
}

/// `AffectedTaskOccurrencesType`: validated, not used (the mock has no tasks).
const AFFECTED_TASK_OCCURRENCES: [&str; 2] = ["AllOccurrences", "SpecifiedOccurrenceOnly"];

/// `m:DeleteItem`. See <https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/deleteitem>.
#[derive(Debug)]
pub(crate) struct DeleteItem {
    /// `DeleteType` (required).
    pub(crate) delete_type: DeleteType,
    /// `SendMeetingCancellations`; required when a calendar item is deleted.
    pub(crate) send_meeting_cancellations: Option<SendMeetingInvitations>,
    /// The ids, in request order.
    pub(crate) item_ids: Vec<Target>,
}

/// The answer: one message per id, with no payload.
pub(crate) type DeleteItemResponse = Vec<Message<()>>;

impl Operation for DeleteItem {
    const NAME: &'static str = "DeleteItem";
    type Response = DeleteItemResponse;

    fn parse(node: Node) -> Result<Self, Fault> {
        let delete_type = match node.attribute("DeleteType") {
            None => return Err(read::missing_attribute(node, "DeleteType")),
            Some(v) => enum_attribute(node, "DeleteType", v, DeleteType::parse, DeleteType::XSD)?,
        };
        let send_meeting_cancellations = match node.attribute("SendMeetingCancellations") {
            None => None,
            Some(v) => Some(enum_attribute(
                node,
                "SendMeetingCancellations",
                v,
                SendMeetingInvitations::parse,
                SendMeetingInvitations::XSD,
            )?),
        };
        if let Some(v) = node.attribute("AffectedTaskOccurrences") {
            let parse = |s: &str| AFFECTED_TASK_OCCURRENCES.contains(&s).then_some(());
            let xsd = "http://schemas.microsoft.com/exchange/services/2006/types:AffectedTaskOccurrencesType";
            enum_attribute(node, "AffectedTaskOccurrences", v, parse, xsd)?;
        }
        boolean_attribute(node, "SuppressReadReceipts")?;
        let children = read::in_sequence(node, ns::MESSAGES, &["ItemIds"], &[])?;
        let Some((_, ids_node)) = children.first() else {
            return Err(read::missing_child(node, "ItemIds", ns::MESSAGES));
        };
        let mut item_ids = Vec::new();
        for child in elements(*ids_node) {
            match Target::parse(child, true)? {
                Some(target) => item_ids.push(target),
                None => return Err(read::invalid_child(*ids_node, child, &Target::ELEMENTS, ns::TYPES)),
            }
        }
        if item_ids.is_empty() {
            return Err(read::missing_child(*ids_node, &Target::ELEMENTS.join(", "), ns::TYPES));
        }
        Ok(DeleteItem { delete_type, send_meeting_cancellations, item_ids })
    }

    fn apply(self, ctx: &mut Ctx<'_>) -> Result<DeleteItemResponse, Fault> {
        let mut out = Vec::with_capacity(self.item_ids.len());
        for target in &self.item_ids {
            out.push(delete(ctx, target, self.delete_type, self.send_meeting_cancellations));
        }
        Ok(out)
    }

    fn write(response: &DeleteItemResponse, _ctx: WriteCtx<'_>, out: &mut XmlOut) {
        start_response(out, "m:DeleteItemResponse");
        out.start("m:ResponseMessages", &[]);
        for message in response {
            write_message(out, "m:DeleteItemResponseMessage", message, |_, _| {});
        }
        out.end("m:ResponseMessages");
        out.end("m:DeleteItemResponse");
    }

    fn summary(response: &DeleteItemResponse) -> ResponseCode {
        crate::response::first_error(response)
    }
}

/// Deletes one item: resolve, check, send cancellations if the organizer asks, dispose.
fn delete(
    ctx: &mut Ctx<'_>,
    target: &Target,
    delete_type: DeleteType,
    send: Option<SendMeetingInvitations>,
) -> Result<(), MessageError> {
    let key = target.resolve(ctx)?;
    let item = ctx.state.get(key).cloned().ok_or_else(|| MessageError::new(ResponseCode::ErrorItemNotFound))?;
    if let Some(change_key) = &target.item_ref().change_key {
        // Any well-formed key will do: DeleteItem does not need the current version.
        check_change_key(ctx, &item, change_key).or_else(|e| match e.code {
            ResponseCode::ErrorIrresolvableConflict => Ok(()),
            _ => Err(e),
        })?;
    }
    if item.kind == ItemKind::CalendarItem {
        let send = send.ok_or_else(|| MessageError::new(ResponseCode::ErrorSendMeetingCancellationsRequired))?;
        let organizes = item.server.is_meeting && item.server.organizer == Some(item.mailbox);
        if organizes && send != SendMeetingInvitations::SendToNone && !item.server.is_cancelled {
            let recipients = tenant_attendees(ctx.dir, &item.fields, item.mailbox);
            send_cancellations(ctx, &item, &recipients, send == SendMeetingInvitations::SendToAllAndSaveCopy);
            // Cancelled once: deleting it again from Deleted Items sends nothing more.
            if let Some(meeting) = ctx.state.get_mut(key) {
                meeting.server.is_cancelled = true;
            }
        }
    }
    match delete_type {
        DeleteType::MoveToDeletedItems if item.folder != FolderKind::DeletedItems => {
            ctx.state.move_to(key, FolderKind::DeletedItems);
        }
        _ => {
            ctx.state.remove(key);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(xml: &str) -> Result<DeleteItem, Fault> {
        let doc = roxmltree::Document::parse(xml).expect("well-formed test input");
        DeleteItem::parse(doc.root_element())
    }

    const M: &str = "xmlns:m='http://schemas.microsoft.com/exchange/services/2006/messages' \
                     xmlns:t='http://schemas.microsoft.com/exchange/services/2006/types'";

    #[test]
    fn delete_type_is_required() {
        let err = parse(&format!("<m:DeleteItem {M}><m:ItemIds><t:ItemId Id='x'/></m:ItemIds></m:DeleteItem>"))
            .expect_err("no DeleteType");
        assert!(err.text.contains("The required attribute 'DeleteType' is missing"), "{}", err.text);
    }

    #[test]
    fn an_unknown_delete_type_fails_schema_validation() {
        let err = parse(&format!(
            "<m:DeleteItem {M} DeleteType='Shred'><m:ItemIds><t:ItemId Id='x'/></m:ItemIds></m:DeleteItem>"
        ))
        .expect_err("bad DeleteType");
        assert!(err.text.contains("DisposalType"), "{}", err.text);
    }

    #[test]
    fn empty_item_ids_fail_schema_validation() {
        let err = parse(&format!("<m:DeleteItem {M} DeleteType='HardDelete'><m:ItemIds/></m:DeleteItem>"))
            .expect_err("empty");
        assert!(err.text.contains("has incomplete content"), "{}", err.text);
    }

    #[test]
    fn ids_and_attributes_are_read_in_order() {
        let op = parse(&format!(
            "<m:DeleteItem {M} DeleteType='MoveToDeletedItems' SendMeetingCancellations='SendToAllAndSaveCopy' \
             AffectedTaskOccurrences='AllOccurrences' SuppressReadReceipts='true'><m:ItemIds>\
             <t:ItemId Id='a' ChangeKey='k'/><t:ItemId Id='b'/></m:ItemIds></m:DeleteItem>"
        ))
        .expect("valid");
        assert_eq!(op.delete_type, DeleteType::MoveToDeletedItems);
        assert_eq!(op.send_meeting_cancellations, Some(SendMeetingInvitations::SendToAllAndSaveCopy));
        let ids: Vec<&str> = op.item_ids.iter().map(|t| t.item_ref().id.as_str()).collect();
        assert_eq!(ids, ["a", "b"]);
    }
}
