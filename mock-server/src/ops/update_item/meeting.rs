//! Meeting updates: what an organizer's UpdateItem with SendOnlyToAll, SendOnlyToChanged or
//! their SaveCopy variants delivers to attendees that are mailboxes of the tenant.
//!
//! A simple model of Exchange's behaviour:
//! - each recipient gets a new `t:MeetingRequest` in its inbox, and its calendar copy (found by
//!   UID) takes the meeting's new fields, keeping the attendee's own free/busy status; an attendee
//!   without a copy (newly invited) gets a tentative one, as CreateItem gives;
//! - "Changed" recipients are the newly added attendees when only the attendee lists changed, and
//!   every attendee when anything else changed (time, place, subject …: all are affected);
//! - attendees removed by the update get a MeetingCancellation (see
//!   [`send_cancellations`]);
//! - SaveCopy puts the request in the organizer's Sent Items.

use super::SendMeetingInvitationsOrCancellations as Send;
use crate::item::{ItemFields, ItemKind, LegacyFreeBusyStatus, ResponseType};
use crate::ops::create_item::new_item;
use crate::ops::delete_item::{attendee_copy, send_cancellations, tenant_attendees};
use crate::ops::Ctx;
use crate::store::FolderKind;
use crate::tenant::MailboxIdx;

/// Sends the update of the meeting stored at `key`, whose fields were `before` the update.
pub(crate) fn send_updates(ctx: &mut Ctx<'_>, key: u64, before: &ItemFields, send: Send) {
    let Some(meeting) = ctx.state.get(key).cloned() else { return };
    let organizer = meeting.mailbox;
    let now_invited = tenant_attendees(ctx.dir, &meeting.fields, organizer);
    let was_invited = tenant_attendees(ctx.dir, before, organizer);
    let removed: Vec<MailboxIdx> = was_invited.iter().filter(|m| !now_invited.contains(m)).copied().collect();
    let only_changed = matches!(send, Send::SendOnlyToChanged | Send::SendToChangedAndSaveCopy);
    let save_copy = matches!(send, Send::SendToAllAndSaveCopy | Send::SendToChangedAndSaveCopy);
    let recipients: Vec<MailboxIdx> = if only_changed && !changes_beyond_attendees(before, &meeting.fields) {
        now_invited.iter().filter(|m| !was_invited.contains(m)).copied().collect()
    } else {
        now_invited
    };
    for &mb in &recipients {
        deliver(ctx, &meeting, mb);
    }
    if !removed.is_empty() {
        send_cancellations(ctx, &meeting, &removed, save_copy);
    }
    if save_copy {
        let sent = new_item(
            ctx,
            organizer,
            FolderKind::SentItems,
            ItemKind::MeetingRequest,
            meeting.fields.clone(),
            meeting.server.clone(),
        );
        ctx.state.insert(sent);
    }
    if let Some(stored) = ctx.state.get_mut(key) {
        stored.server.meeting_request_was_sent = true;
    }
}

/// Whether anything other than the attendee lists differs.
fn changes_beyond_attendees(before: &ItemFields, after: &ItemFields) -> bool {
    let strip = |f: &ItemFields| ItemFields {
        required_attendees: Vec::new(),
        optional_attendees: Vec::new(),
        resources: Vec::new(),
        ..f.clone()
    };
    strip(before) != strip(after)
}

/// One attendee's update: their calendar copy refreshed (or created tentative) and a request in
/// their inbox pointing at it.
fn deliver(ctx: &mut Ctx<'_>, meeting: &crate::item::Item, mb: MailboxIdx) {
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
