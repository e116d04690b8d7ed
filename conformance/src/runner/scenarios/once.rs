//! "Any item that you save to an impersonated account can only be used once": an item saved
//! again is refused, and an id belongs to the one mailbox it was saved in.

use ews_client::{
    AppointmentUpdate, BaseShape, ConflictResolution, DeleteItem, DeleteType, GetItem, ItemId, SendInvitations,
    SendInvitationsOrCancellations, UpdateItem,
};

use super::{ensure, expect_count, tennis};
use crate::runner::raw::{escape, Answer};
use crate::runner::{Ctx, Outcome, Verdict};

/// A CreateItem body that carries an existing item's id (the client never sends this).
fn resave_body(id: &ItemId, subject: &str, ctx: &Ctx<'_>) -> String {
    let ck = id.change_key.as_deref().map(|c| format!(" ChangeKey=\"{}\"", escape(c))).unwrap_or_default();
    let start = ctx.start(0).format("%Y-%m-%dT%H:%M:%SZ");
    let end = ctx.start(1).format("%Y-%m-%dT%H:%M:%SZ");
    format!(
        "<m:CreateItem SendMeetingInvitations=\"SendToNone\"><m:Items><t:CalendarItem><t:ItemId Id=\"{}\"{ck}/>\
         <t:Subject>{}</t:Subject><t:Start>{start}</t:Start><t:End>{end}</t:End></t:CalendarItem></m:Items>\
         </m:CreateItem>",
        escape(&id.id),
        escape(subject)
    )
}

/// Saves an item in A, then sends CreateItem with its ItemId acting as A and as B: both are
/// refused (per message or by fault) and neither calendar gains an item.
pub(crate) async fn resave_refused(ctx: &Ctx<'_>) -> Outcome {
    let (a, b) = (ctx.mailbox_smtp(0), ctx.mailbox_smtp(1));
    let subject = ctx.subject("Tennis lesson");
    let saved = ctx.mailbox(a).save(tennis(&subject, ctx.start(0))?).await?;
    ctx.track(a, saved.item_id());
    for target in [a, b] {
        let answer = ctx.raw_as(target, &resave_body(saved.item_id(), &subject, ctx)).await?;
        let refused = match &answer {
            Answer::Fault(_) => true,
            Answer::Messages(ms) => {
                for item in ms.iter().flat_map(|m| &m.items) {
                    if let Some(id) = &item.id {
                        ctx.track(target, id);
                    }
                }
                ms.len() == 1 && ms[0].class == "Error"
            }
        };
        ensure(refused, || {
            format!(
                "CreateItem carrying the saved item's ItemId, acting as {target}: expected a refusal, got {}",
                answer.describe()
            )
        })?;
    }
    expect_count(ctx, a, &subject, 1).await?;
    expect_count(ctx, b, &subject, 0).await
}

/// The single per-item result of a one-id request, as a Result on the code.
fn single<T>(what: &str, results: Vec<Result<T, ews_client::ResponseError>>, code: &str) -> Outcome {
    match results.as_slice() {
        [Err(e)] if e.code_name == code => Ok(()),
        [Err(e)] => Err(Verdict::Fail(format!("{what}: expected {code}, got {e}"))),
        [Ok(_)] => Err(Verdict::Fail(format!("{what}: expected {code}, but it succeeded"))),
        other => Err(Verdict::Fail(format!("{what}: expected one response message, got {}", other.len()))),
    }
}

/// An id saved in A, used while acting as B: GetItem, UpdateItem and DeleteItem all get
/// ErrorItemNotFound, and A's item keeps its subject and still exists.
pub(crate) async fn foreign_id_not_found(ctx: &Ctx<'_>) -> Outcome {
    let (a, b) = (ctx.mailbox_smtp(0), ctx.mailbox_smtp(1));
    let subject = ctx.subject("Tennis lesson");
    let saved = ctx.mailbox(a).save(tennis(&subject, ctx.start(0))?).await?;
    ctx.track(a, saved.item_id());
    let id = saved.item_id().clone();
    let as_b = ctx.mailbox(b);
    let get = GetItem { item_ids: vec![id.clone()], base_shape: BaseShape::IdOnly };
    single(&format!("GetItem of {a}'s item acting as {b}"), as_b.send(&get).await?, "ErrorItemNotFound")?;
    let update = UpdateItem {
        changes: vec![(id.clone(), AppointmentUpdate::new().subject(format!("{subject} (hijacked)")))],
        conflict_resolution: ConflictResolution::AlwaysOverwrite,
        send: SendInvitationsOrCancellations::SendToNone,
    };
    single(&format!("UpdateItem of {a}'s item acting as {b}"), as_b.send(&update).await?, "ErrorItemNotFound")?;
    let delete = DeleteItem {
        item_ids: vec![id.clone()],
        delete_type: DeleteType::HardDelete,
        send_meeting_cancellations: SendInvitations::SendToNone,
    };
    single(&format!("DeleteItem of {a}'s item acting as {b}"), as_b.send(&delete).await?, "ErrorItemNotFound")?;
    let item = saved.fetch().await.map_err(|e| format!("{a}'s item after B's attempts: {e}"))?;
    ensure(item.fields.subject.as_deref() == Some(subject.as_str()), || {
        format!("{a}'s item was changed by a request acting as {b}: Subject {:?}", item.fields.subject)
    })?;
    expect_count(ctx, b, &subject, 0).await
}
