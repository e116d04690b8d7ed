//! An item's life: found by a calendar view, read back, updated with its ChangeKey (same Id,
//! new ChangeKey), a stale ChangeKey refused, deleted and then not found.

use ews_client::{AppointmentUpdate, DeleteType, SavedAppointment, SendInvitations};

use super::{ensure, expect_code, tennis};
use crate::runner::{Ctx, Outcome};

/// Saves the seed appointment in the first mailbox and tracks it.
async fn saved(ctx: &Ctx<'_>) -> Result<(String, SavedAppointment), crate::runner::Verdict> {
    let subject = ctx.subject("Tennis lesson");
    let smtp = ctx.mailbox_smtp(0);
    let saved = ctx.mailbox(smtp).save(tennis(&subject, ctx.start(0))?).await?;
    ctx.track(smtp, saved.item_id());
    Ok((subject, saved))
}

/// FindItem with a CalendarView over the item's hour finds it (by id and subject).
pub(crate) async fn calendar_view(ctx: &Ctx<'_>) -> Outcome {
    let (subject, saved) = saved(ctx).await?;
    let items = saved.mailbox().calendar_view(ctx.start(-1), ctx.start(2)).await?;
    let found = items.iter().find(|i| i.item_id.as_ref().map(|id| &id.id) == Some(&saved.item_id().id));
    let Some(found) = found else {
        let subjects: Vec<_> = items.iter().map(|i| i.fields.subject.clone().unwrap_or_default()).collect();
        return Err(format!("the calendar view does not contain the saved item; it holds {subjects:?}").into());
    };
    ensure(found.fields.subject.as_deref() == Some(subject.as_str()), || {
        format!("the view's item has Subject {:?}", found.fields.subject)
    })
}

/// GetItem returns the saved fields.
pub(crate) async fn get_item(ctx: &Ctx<'_>) -> Outcome {
    let (subject, saved) = saved(ctx).await?;
    let item = saved.fetch().await?;
    let f = &item.fields;
    ensure(item.item_id.as_ref().map(|i| &i.id) == Some(&saved.item_id().id), || {
        format!("GetItem returned ItemId {:?}", item.item_id)
    })?;
    ensure(f.subject.as_deref() == Some(subject.as_str()), || format!("Subject {:?}", f.subject))?;
    ensure(f.location.as_deref() == Some("Tennis club"), || format!("Location {:?}", f.location))?;
    ensure(f.start == Some(ctx.start(0)), || format!("Start {:?}, expected {}", f.start, ctx.start(0)))?;
    ensure(f.end == Some(ctx.start(1)), || format!("End {:?}, expected {}", f.end, ctx.start(1)))?;
    let body = f.body.as_ref().map(|b| b.text.as_str()).unwrap_or_default();
    ensure(body.contains("Focus on backhand this week."), || format!("Body {body:?}"))?;
    ensure(item.item_class.as_deref().is_none_or(|c| c == "IPM.Appointment"), || {
        format!("ItemClass {:?}", item.item_class)
    })
}

/// UpdateItem with the current ChangeKey: same Id, new ChangeKey, the change is stored.
pub(crate) async fn update_new_change_key(ctx: &Ctx<'_>) -> Outcome {
    let (_, mut saved) = saved(ctx).await?;
    let before = saved.item_id().clone();
    saved.update(AppointmentUpdate::new().location("Court 2")).await?;
    let after = saved.item_id().clone();
    ensure(after.id == before.id, || {
        format!("UpdateItem changed the Id:\n  before {}\n  after  {}", before.id, after.id)
    })?;
    ensure(after.change_key.is_some() && after.change_key != before.change_key, || {
        format!(
            "UpdateItem did not return a new ChangeKey: before {:?}, after {:?}",
            before.change_key, after.change_key
        )
    })?;
    let item = saved.fetch().await?;
    ensure(item.fields.location.as_deref() == Some("Court 2"), || {
        format!("after the update, Location is {:?}", item.fields.location)
    })
}

/// A second update with the first ChangeKey is refused and changes nothing.
pub(crate) async fn stale_change_key_refused(ctx: &Ctx<'_>) -> Outcome {
    let (_, mut saved) = saved(ctx).await?;
    let mut stale = saved.clone();
    saved.update(AppointmentUpdate::new().location("Court 2")).await?;
    let result = stale.update(AppointmentUpdate::new().location("Court 9")).await;
    expect_code("UpdateItem with a stale ChangeKey", result, "ErrorIrresolvableConflict")?;
    let item = saved.fetch().await?;
    ensure(item.fields.location.as_deref() == Some("Court 2"), || {
        format!("the refused update changed the item: Location is {:?}", item.fields.location)
    })
}

/// HardDelete, then GetItem gets ErrorItemNotFound and the view no longer finds the item.
pub(crate) async fn delete_then_get_not_found(ctx: &Ctx<'_>) -> Outcome {
    let (_, saved) = saved(ctx).await?;
    let mailbox = saved.mailbox().clone();
    let id = saved.item_id().clone();
    saved.delete(DeleteType::HardDelete, SendInvitations::SendToNone).await?;
    expect_code("GetItem after DeleteItem", mailbox.get(&id).await, "ErrorItemNotFound")?;
    let items = mailbox.calendar_view(ctx.start(-1), ctx.start(2)).await?;
    ensure(!items.iter().any(|i| i.item_id.as_ref().map(|x| &x.id) == Some(&id.id)), || {
        "the calendar view still finds the deleted item".to_string()
    })
}
