//! The impersonation rules: each ConnectingSID form acts as its mailbox; an account without the
//! right is denied, an address that is no mailbox is ErrorNonExistentMailbox, a management
//! scope lets an account in and keeps it out — and a refused request writes nothing.

use ews_client::{ConnectingSid, Mailbox};

use super::{expect_code, expect_count, tennis};
use crate::runner::{Ctx, Outcome, Verdict};

/// Saves through `mailbox` (acting as `smtp` by some form) and checks the item landed in `smtp`'s
/// calendar and in no other configured mailbox.
async fn lands_in(ctx: &Ctx<'_>, mailbox: Mailbox, smtp: &str) -> Outcome {
    let subject = ctx.subject("Tennis lesson");
    let form = mailbox.sid().element_name();
    let saved = mailbox
        .save(tennis(&subject, ctx.start(0))?)
        .await
        .map_err(|e| format!("CreateItem with ConnectingSID/{form} {}: {e}", mailbox.sid()))?;
    ctx.track(smtp, saved.item_id());
    expect_count(ctx, smtp, &subject, 1).await?;
    for other in ctx.config().mailboxes.iter().filter(|m| !m.smtp.eq_ignore_ascii_case(smtp)) {
        expect_count(ctx, &other.smtp, &subject, 0).await?;
    }
    Ok(())
}

/// `SmtpAddress`.
pub(crate) async fn smtp_address(ctx: &Ctx<'_>) -> Outcome {
    let smtp = ctx.mailbox_smtp(0);
    lands_in(ctx, ctx.env.service.impersonate(ConnectingSid::SmtpAddress(smtp.into())), smtp).await
}

/// `PrimarySmtpAddress`.
pub(crate) async fn primary_smtp_address(ctx: &Ctx<'_>) -> Outcome {
    let smtp = ctx.mailbox_smtp(1);
    lands_in(ctx, ctx.env.service.impersonate(ConnectingSid::PrimarySmtpAddress(smtp.into())), smtp).await
}

/// `PrincipalName`.
pub(crate) async fn principal_name(ctx: &Ctx<'_>) -> Outcome {
    let m = &ctx.config().mailboxes[0];
    lands_in(ctx, ctx.env.service.impersonate(ConnectingSid::PrincipalName(m.upn().into())), &m.smtp).await
}

/// `SID`, with `X-AnchorMailbox` set to the SMTP address as Microsoft recommends.
pub(crate) async fn sid(ctx: &Ctx<'_>) -> Outcome {
    let Some(m) = ctx.config().mailboxes.iter().find(|m| m.sid.is_some()) else {
        return Err(Verdict::Skip("no [[mailboxes]] entry has a `sid`".into()));
    };
    let sid = m.sid.clone().expect("found by having a sid");
    let mailbox = ctx.env.service.impersonate(ConnectingSid::Sid(sid)).with_anchor_mailbox(&m.smtp);
    lands_in(ctx, mailbox, &m.smtp).await
}

/// Tries to save as `who` acting as `target`, expects ErrorImpersonateUserDenied, and checks
/// nothing was written to `target`.
async fn denied(ctx: &Ctx<'_>, who: &crate::runner::Credentials, target: &str) -> Outcome {
    let subject = ctx.subject("Tennis lesson");
    let service = ctx.service_as(who)?;
    let result =
        service.impersonate(ConnectingSid::SmtpAddress(target.into())).save(tennis(&subject, ctx.start(0))?).await;
    if let Ok(saved) = &result {
        ctx.track(target, saved.item_id());
    }
    let what = format!("CreateItem as {} acting as {target}", who.name());
    expect_code(&what, result, "ErrorImpersonateUserDenied")?;
    expect_count(ctx, target, &subject, 0).await
}

/// The no-right account is denied.
pub(crate) async fn denied_without_right(ctx: &Ctx<'_>) -> Outcome {
    let who = &ctx.config().no_right;
    // Acting as oneself is not impersonating anyone else: pick a mailbox that is not the account's.
    let target = ctx
        .config()
        .mailboxes
        .iter()
        .find(|m| !m.smtp.eq_ignore_ascii_case(who.name()) && !m.upn().eq_ignore_ascii_case(who.name()))
        .map(|m| m.smtp.clone())
        .ok_or_else(|| Verdict::Fail("every mailbox is the no-right account's own".into()))?;
    denied(ctx, who, &target).await
}

/// An address that is no mailbox.
pub(crate) async fn missing_mailbox(ctx: &Ctx<'_>) -> Outcome {
    let missing = ctx.config().missing_address.clone();
    let mailbox = ctx.env.service.impersonate(ConnectingSid::SmtpAddress(missing.clone()));
    let result = mailbox.save(tennis(&ctx.subject("Tennis lesson"), ctx.start(0))?).await;
    expect_code(&format!("CreateItem acting as {missing}"), result, "ErrorNonExistentMailbox")
}

/// The scoped account inside its scope.
pub(crate) async fn scope_inside(ctx: &Ctx<'_>) -> Outcome {
    let Some(scoped) = &ctx.config().scoped else {
        return Err(Verdict::Skip("no [scoped] account configured".into()));
    };
    let service = ctx.service_as(&scoped.credentials)?;
    lands_in(ctx, service.impersonate(ConnectingSid::SmtpAddress(scoped.inside.clone())), &scoped.inside).await
}

/// The scoped account outside its scope.
pub(crate) async fn scope_outside(ctx: &Ctx<'_>) -> Outcome {
    let Some(scoped) = &ctx.config().scoped else {
        return Err(Verdict::Skip("no [scoped] account configured".into()));
    };
    denied(ctx, &scoped.credentials, &scoped.outside).await
}
