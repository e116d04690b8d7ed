//! Meetings: a calendar item with attendees saved with SendToAllAndSaveCopy is a meeting, and
//! every attendee's inbox receives a MeetingRequest.

use std::time::{Duration, Instant};

use ews_client::Appointment;

use super::ensure;
use crate::runner::{Ctx, Outcome, Verdict};

/// The first mailbox organizes; the next one or two attend.
pub(crate) async fn attendee_inbox(ctx: &Ctx<'_>) -> Outcome {
    let organizer = ctx.mailbox_smtp(0).to_string();
    let attendees: Vec<String> = ctx.config().mailboxes.iter().skip(1).take(2).map(|m| m.smtp.clone()).collect();
    let subject = ctx.subject("Team sync");
    let mut builder = Appointment::builder()
        .subject(&subject)
        .body_text("Agenda: the conformance report.")
        .start(ctx.start(0))
        .duration(chrono::Duration::minutes(30))
        .location("Room 1");
    for a in &attendees {
        builder = builder.required_attendee(a.as_str());
    }
    let appointment = builder.build()?;
    let saved =
        ctx.mailbox(&organizer).save(appointment).await.map_err(|e| format!("CreateItem of the meeting: {e}"))?;
    ctx.track(&organizer, saved.item_id());
    let result = check(ctx, &organizer, &attendees, &subject, &saved).await;
    // Whatever happened, remove the copies the meeting produced elsewhere.
    let tag = ctx.tag();
    for (smtp, folder) in attendees
        .iter()
        .flat_map(|a| [(a.as_str(), "inbox"), (a.as_str(), "calendar")])
        .chain([(organizer.as_str(), "sentitems")])
    {
        if let Ok(items) = ctx.find(smtp, folder, &tag).await {
            for id in items.iter().filter_map(|i| i.id.as_ref()) {
                ctx.track(smtp, id);
            }
        }
    }
    result
}

async fn check(
    ctx: &Ctx<'_>,
    organizer: &str,
    attendees: &[String],
    subject: &str,
    saved: &ews_client::SavedAppointment,
) -> Outcome {
    let item = saved.fetch().await.map_err(|e| format!("GetItem of the meeting in {organizer}: {e}"))?;
    ensure(item.is_meeting == Some(true), || format!("the organizer's item has IsMeeting {:?}", item.is_meeting))?;
    ensure(item.meeting_request_was_sent == Some(true), || {
        format!("the organizer's item has MeetingRequestWasSent {:?}", item.meeting_request_was_sent)
    })?;
    let deadline = Instant::now() + Duration::from_secs(ctx.config().options.delivery_timeout_secs);
    for attendee in attendees {
        loop {
            let found = ctx.find(attendee, "inbox", subject).await?;
            if found.iter().any(|i| i.kind == "MeetingRequest") {
                break;
            }
            if Instant::now() >= deadline {
                let kinds: Vec<&str> = found.iter().map(|i| i.kind.as_str()).collect();
                return Err(Verdict::Fail(format!(
                    "no MeetingRequest with subject {subject:?} in {attendee}'s inbox after {} s (found: {kinds:?})",
                    ctx.config().options.delivery_timeout_secs
                )));
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
    Ok(())
}
