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
use crate::item::ItemFields;
use crate::ops::meeting::{deliver, save_sent_copy, send_cancellations, tenant_attendees};
use crate::ops::Ctx;
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
        save_sent_copy(ctx, &meeting);
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
