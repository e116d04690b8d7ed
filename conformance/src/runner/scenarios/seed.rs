//! The seed scenario: Microsoft's "Add appointments by using Exchange impersonation" sample —
//! one service account, a Tennis lesson saved into each mailbox through impersonation.

use std::collections::HashSet;

use super::{ensure, expect_count, tennis};
use crate::runner::{Ctx, Outcome};

/// Saves a Tennis lesson in each configured mailbox; every save gets its own id, the item reads
/// back as saved from its own mailbox, and each calendar holds exactly its one copy.
pub(crate) async fn tennis_lesson_each_mailbox(ctx: &Ctx<'_>) -> Outcome {
    let subject = ctx.subject("Tennis lesson");
    let mut saved = Vec::new();
    for (i, m) in ctx.config().mailboxes.iter().enumerate() {
        let start = ctx.start(i as i64);
        let s = ctx.mailbox(&m.smtp).save(tennis(&subject, start)?).await;
        let s = s.map_err(|e| format!("CreateItem acting as {}: {e}", m.smtp))?;
        ctx.track(&m.smtp, s.item_id());
        saved.push((m.smtp.clone(), start, s));
    }
    let ids: HashSet<&str> = saved.iter().map(|(_, _, s)| s.item_id().id.as_str()).collect();
    ensure(ids.len() == saved.len(), || {
        let list: Vec<String> = saved.iter().map(|(m, _, s)| format!("  {m}: {}", s.item_id().id)).collect();
        format!("{} saves returned {} distinct ItemIds:\n{}", saved.len(), ids.len(), list.join("\n"))
    })?;
    for (smtp, start, s) in &saved {
        let item = s.fetch().await.map_err(|e| format!("GetItem acting as {smtp}: {e}"))?;
        let f = &item.fields;
        ensure(f.subject.as_deref() == Some(subject.as_str()), || {
            format!("{smtp}: Subject {:?}, expected {subject:?}", f.subject)
        })?;
        ensure(f.location.as_deref() == Some("Tennis club"), || format!("{smtp}: Location {:?}", f.location))?;
        ensure(f.start == Some(*start), || format!("{smtp}: Start {:?}, expected {start}", f.start))?;
        let end = *start + chrono::Duration::hours(1);
        ensure(f.end == Some(end), || format!("{smtp}: End {:?}, expected {end}", f.end))?;
    }
    for (smtp, _, _) in &saved {
        expect_count(ctx, smtp, &subject, 1).await?;
    }
    Ok(())
}
