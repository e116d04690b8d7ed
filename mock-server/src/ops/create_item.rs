//! CreateItem for calendar items: appointments, meetings and the meeting requests they send.
//!
//! - One `CreateItemResponseMessage` per item, in order; a problem with `SavedItemFolderId`
//!   (the whole request) gives a single error message, as Exchange does.
//! - `SendMeetingInvitations` is required for calendar items (per item
//!   ErrorSendMeetingInvitationsRequired); `MessageDisposition` is accepted and ignored for them.
//! - With attendees and SendOnlyToAll / SendToAllAndSaveCopy, each attendee that is a mailbox of
//!   the tenant gets a MeetingRequest in its inbox and a tentative copy in its calendar; with
//!   SaveCopy the organizer's Sent Items gets the request too.
//!
//! See <https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/createitem-operation-calendar-item>
//! and `../shared/protocol/protocol.md` §1.

use roxmltree::Node;

use super::{meeting, Ctx, Operation, WriteCtx};
use crate::fault::Fault;
use crate::folder_id::{self, FolderRef};
use crate::item::parse::{calendar_item, ItemError};
use crate::item::{Item, ItemFields, ItemKind, ResponseType, SendMeetingInvitations, ServerFields};
use crate::ns;
use crate::response::{write_message, Message, MessageError};
use crate::response_code::ResponseCode;
use crate::store::FolderKind;
use crate::tenant::MailboxIdx;
use crate::xml::read::{self, elements, is};
use crate::xml::write::{start_response, XmlOut};

/// `m:CreateItem`. See <https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/createitem>.
#[derive(Debug)]
pub(crate) struct CreateItem {
    /// `SavedItemFolderId`; default: the acting mailbox's calendar.
    pub(crate) saved_item_folder_id: Option<FolderRef>,
    /// `SendMeetingInvitations`.
    pub(crate) send_meeting_invitations: Option<SendMeetingInvitations>,
    /// Each item as read: its fields, or why it is refused.
    pub(crate) items: Vec<Result<ItemFields, MessageError>>,
}

/// The answer: one message per item, each with the new item's key and version.
pub(crate) type CreateItemResponse = Vec<Message<Created>>;

/// A created item, copied out of the store for writing.
#[derive(Debug)]
pub(crate) struct Created {
    key: u64,
    item: Item,
}

const MESSAGE_DISPOSITION: [&str; 3] = ["SaveOnly", "SendOnly", "SendAndSaveCopy"];
const ITEM_TYPES: [&str; 4] = ["Item", "Message", "CalendarItem", "Contact"];

impl Operation for CreateItem {
    const NAME: &'static str = "CreateItem";
    type Response = CreateItemResponse;

    fn parse(node: Node) -> Result<Self, Fault> {
        if let Some(v) = node.attribute("MessageDisposition") {
            if !MESSAGE_DISPOSITION.contains(&v) {
                let xsd = "http://schemas.microsoft.com/exchange/services/2006/types:MessageDispositionType";
                return Err(read::invalid_attribute(
                    node,
                    "MessageDisposition",
                    v,
                    xsd,
                    "The Enumeration constraint failed.",
                ));
            }
        }
        let send_meeting_invitations = match node.attribute("SendMeetingInvitations") {
            None => None,
            Some(v) => Some(SendMeetingInvitations::parse(v).ok_or_else(|| {
                read::invalid_attribute(
                    node,
                    "SendMeetingInvitations",
                    v,
                    SendMeetingInvitations::XSD,
                    "The Enumeration constraint failed.",
                )
            })?),
        };
        let children = read::in_sequence(node, ns::MESSAGES, &["SavedItemFolderId", "Items"], &[])?;
        let mut saved_item_folder_id = None;
        let mut items = None;
        for (name, child) in children {
            if name == "SavedItemFolderId" {
                let mut ids = elements(child);
                let first = ids
                    .next()
                    .ok_or_else(|| read::missing_child(child, "FolderId, DistinguishedFolderId", ns::TYPES))?;
                let folder = folder_id::parse(first)?.ok_or_else(|| {
                    read::invalid_child(child, first, &["FolderId", "DistinguishedFolderId"], ns::TYPES)
                })?;
                if let Some(extra) = ids.next() {
                    return Err(read::invalid_child(child, extra, &[], ns::TYPES));
                }
                saved_item_folder_id = Some(folder);
            } else {
                items = Some(parse_items(child)?);
            }
        }
        let items = items.ok_or_else(|| read::missing_child(node, "Items", ns::MESSAGES))?;
        Ok(CreateItem { saved_item_folder_id, send_meeting_invitations, items })
    }

    fn apply(self, ctx: &mut Ctx<'_>) -> Result<CreateItemResponse, Fault> {
        let folder =
            self.saved_item_folder_id.unwrap_or(FolderRef::Distinguished { name: "calendar".into(), mailbox: None });
        let (mailbox, folder) = match folder_id::resolve(ctx.dir, ctx.acting, &folder) {
            Ok(target) => target,
            Err(e) => return Ok(vec![Err(e)]),
        };
        let mut out = Vec::with_capacity(self.items.len());
        for fields in self.items {
            out.push(fields.and_then(|f| create(ctx, mailbox, folder, self.send_meeting_invitations, f)));
        }
        Ok(out)
    }

    fn write(response: &CreateItemResponse, ctx: WriteCtx<'_>, out: &mut XmlOut) {
        start_response(out, "m:CreateItemResponse");
        out.start("m:ResponseMessages", &[]);
        for message in response {
            write_message(out, "m:CreateItemResponseMessage", message, |out, created| match created {
                Some(c) => {
                    out.start("m:Items", &[]);
                    let element = format!("t:{}", c.item.kind.element());
                    out.start(&element, &[]);
                    ctx.item_id(out, c.key, &c.item);
                    out.end(&element);
                    out.end("m:Items");
                }
                None => out.empty("m:Items", &[]),
            });
        }
        out.end("m:ResponseMessages");
        out.end("m:CreateItemResponse");
    }

    fn summary(response: &CreateItemResponse) -> ResponseCode {
        crate::response::first_error(response)
    }
}

fn parse_items(node: Node) -> Result<Vec<Result<ItemFields, MessageError>>, Fault> {
    let mut items = Vec::new();
    for child in elements(node) {
        if is(child, ns::TYPES, "CalendarItem") {
            match calendar_item(child) {
                Ok(fields) => items.push(Ok(fields)),
                Err(ItemError::Item(e)) => items.push(Err(e)),
                Err(ItemError::Fault(f)) => return Err(f),
            }
        } else if child.tag_name().namespace() == Some(ns::TYPES) {
            // A valid item type the mock does not model: refuse this item, say why.
            items.push(Err(MessageError::with_text(
                ResponseCode::ErrorInvalidItemForOperationCreateItem,
                format!(
                    "Item type is invalid for CreateItem operation: ews-mock models calendar items only, not t:{}.",
                    child.tag_name().name()
                ),
            )));
        } else {
            return Err(read::invalid_child(node, child, &ITEM_TYPES, ns::TYPES));
        }
    }
    if items.is_empty() {
        return Err(read::missing_child(node, &ITEM_TYPES.join(", "), ns::TYPES));
    }
    Ok(items)
}

fn create(
    ctx: &mut Ctx<'_>,
    mailbox: MailboxIdx,
    folder: FolderKind,
    send: Option<SendMeetingInvitations>,
    fields: ItemFields,
) -> Result<Created, MessageError> {
    let send = send.ok_or_else(|| MessageError::new(ResponseCode::ErrorSendMeetingInvitationsRequired))?;
    if let (Some(start), Some(end)) = (fields.start, fields.end) {
        if end < start {
            return Err(MessageError::new(ResponseCode::ErrorCalendarEndDateIsEarlierThanStartDate));
        }
    }
    if folder != FolderKind::Calendar {
        return Err(MessageError::new(ResponseCode::ErrorCannotCreateCalendarItemInNonCalendarFolder));
    }
    // Exchange marks an item with attendees as a meeting whether or not requests are sent.
    let is_meeting = fields.has_attendees();
    let sends = is_meeting && send != SendMeetingInvitations::SendToNone;
    let uid = format!("040000008200E00074C5B7101A82E008{:016X}{:016X}", ctx.seed, ctx.state.peek_key());
    let server = ServerFields {
        is_meeting,
        meeting_request_was_sent: sends,
        is_cancelled: false,
        my_response_type: Some(ResponseType::Organizer),
        organizer: Some(mailbox),
        uid: Some(uid.into()),
        associated: None,
    };
    let item = new_item(ctx, mailbox, folder, ItemKind::CalendarItem, fields, server);
    let key = ctx.state.insert(item);
    let stored = ctx.state.get(key).expect("inserted just above");
    // The answer carries only the ItemId (mailbox, key, kind, ChangeKey): copy those, not the
    // fields — this is on the path of every CreateItem.
    let identity = Item { fields: ItemFields::default(), server: ServerFields::default(), ..*stored };
    if sends {
        let meeting = stored.clone();
        send_requests(ctx, mailbox, &meeting, send == SendMeetingInvitations::SendToAllAndSaveCopy);
    }
    Ok(Created { key, item: identity })
}

pub(crate) fn new_item(
    ctx: &Ctx<'_>,
    mailbox: MailboxIdx,
    folder: FolderKind,
    kind: ItemKind,
    fields: ItemFields,
    server: ServerFields,
) -> Item {
    Item { mailbox, folder, kind, change: 0, created: ctx.now, modified: ctx.now, fields, server }
}

/// Delivers a meeting's requests: inbox request + tentative calendar copy for each attendee in
/// the tenant, and the organizer's Sent Items copy when asked to save one.
fn send_requests(ctx: &mut Ctx<'_>, organizer: MailboxIdx, meeting: &Item, save_copy: bool) {
    for mb in meeting::tenant_attendees(ctx.dir, &meeting.fields, organizer) {
        meeting::deliver(ctx, meeting, mb);
    }
    if save_copy {
        meeting::save_sent_copy(ctx, meeting);
    }
}
