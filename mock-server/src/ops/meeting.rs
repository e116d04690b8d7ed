//! Meeting mail shared by CreateItem, UpdateItem and DeleteItem: who among the attendees is in
//! the tenant, their calendar copies (matched by UID), the requests and cancellations they get,
//! and the organizer's Sent Items copy.

use crate::directory::{Directory, MailboxIdx};
use crate::item::{Item, ItemFields, ItemKind, LegacyFreeBusyStatus, ResponseType};
use crate::ops::create_item::new_item;
use crate::ops::Ctx;
use crate::store::FolderKind;

/// The tenant mailboxes among a meeting's attendees, organizer excluded, each once, in order.
pub(crate) fn tenant_attendees(dir: &Directory, fields: &ItemFields, organizer: MailboxIdx) -> Vec<MailboxIdx> {
    let mut out = Vec::new();
    for attendee in fields.required_attendees.iter().chain(&fields.optional_attendees).chain(&fields.resources) {
        if let Some(mb) = dir.mailbox_by_smtp(&attendee.email) {
            if mb != organizer && !out.contains(&mb) {
                out.push(mb);
            }
        }
    }
    out
}

/// The key of a meeting's calendar copy in another mailbox: the calendar item with the same UID.
pub(crate) fn attendee_copy(ctx: &Ctx<'_>, mailbox: MailboxIdx, uid: Option<&str>) -> Option<u64> {
    let uid = uid?;
    ctx.state.folder(mailbox, FolderKind::Calendar).find(|k| {
        ctx.state.get(*k).is_some_and(|i| i.kind == ItemKind::CalendarItem && i.server.uid.as_deref() == Some(uid))
    })
}

/// Delivers a meeting's cancellation: a `t:MeetingCancellation` in each recipient's inbox, their
/// calendar copy marked cancelled, and the organizer's Sent Items copy when asked to save one.
pub(crate) fn send_cancellations(ctx: &mut Ctx<'_>, meeting: &Item, recipients: &[MailboxIdx], save_copy: bool) {
    let mut fields = meeting.fields.clone();
    fields.subject = Some(format!("Canceled: {}", meeting.fields.subject.as_deref().unwrap_or("")).into());
    let mut server = meeting.server.clone();
    server.is_cancelled = true;
    server.my_response_type = None;
    server.associated = None;
    for &mb in recipients {
        let copy = attendee_copy(ctx, mb, meeting.server.uid.as_deref());
        if let Some(copy_key) = copy {
            let change = ctx.state.next_change();
            if let Some(copy) = ctx.state.get_mut(copy_key) {
                copy.server.is_cancelled = true;
                copy.fields.subject.clone_from(&fields.subject);
                copy.change = change;
                copy.modified = ctx.now;
            }
        }
        let mut server = server.clone();
        server.associated = copy;
        let message = new_item(ctx, mb, FolderKind::Inbox, ItemKind::MeetingCancellation, fields.clone(), server);
        ctx.state.insert(message);
    }
    if save_copy {
        let sent = new_item(ctx, meeting.mailbox, FolderKind::SentItems, ItemKind::MeetingCancellation, fields, server);
        ctx.state.insert(sent);
    }
}

/// One attendee's update: their calendar copy refreshed (or created tentative) and a request in
/// their inbox pointing at it.
pub(crate) fn deliver(ctx: &mut Ctx<'_>, meeting: &Item, mb: MailboxIdx) {
    let mut server = meeting.server.clone();
    server.my_response_type = Some(ResponseType::NoResponseReceived);
    server.meeting_request_was_sent = false;
    server.associated = None;
    let copy_key = match attendee_copy(ctx, mb, meeting.server.uid.as_deref()) {
        Some(copy_key) => {
            let change = ctx.state.next_change();
            let now = ctx.now;
            if let Some(copy) = ctx.state.get_mut(copy_key) {
                let status = copy.fields.legacy_free_busy_status;
                copy.fields = meeting.fields.clone();
                copy.fields.legacy_free_busy_status = status;
                copy.server.is_meeting = true;
                copy.server.is_cancelled = false;
                copy.change = change;
                copy.modified = now;
            }
            copy_key
        }
        None => {
            let mut tentative = meeting.fields.clone();
            tentative.legacy_free_busy_status = Some(LegacyFreeBusyStatus::Tentative);
            let copy = new_item(ctx, mb, FolderKind::Calendar, ItemKind::CalendarItem, tentative, server.clone());
            ctx.state.insert(copy)
        }
    };
    server.associated = Some(copy_key);
    let request = new_item(ctx, mb, FolderKind::Inbox, ItemKind::MeetingRequest, meeting.fields.clone(), server);
    ctx.state.insert(request);
}

/// The organizer's Sent Items copy of a meeting request (the SaveCopy modes).
pub(crate) fn save_sent_copy(ctx: &mut Ctx<'_>, meeting: &Item) {
    let sent = new_item(
        ctx,
        meeting.mailbox,
        FolderKind::SentItems,
        ItemKind::MeetingRequest,
        meeting.fields.clone(),
        meeting.server.clone(),
    );
    ctx.state.insert(sent);
}
