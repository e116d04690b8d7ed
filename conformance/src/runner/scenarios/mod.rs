//! The scenario list and the checks they share.
//!
//! Areas: `seed` (the impersonation sample), `impersonation` (each ConnectingSID form, denial,
//! missing mailbox, management scope), `once-per-account` (an item is saved once and belongs to
//! one mailbox), `meetings` (the attendee's inbox), `lifecycle` (view, get, update, stale
//! ChangeKey, delete) and `faults` (schema, namespace, ErrorServerBusy).

mod faults;
mod impersonation;
mod lifecycle;
mod meetings;
mod once;
mod seed;

use chrono::{DateTime, Utc};
use ews_client::{Appointment, Error};

use super::{Ctx, Outcome, Scenario, Verdict};
use crate::scenario;

/// Every scenario, in run order.
pub fn all() -> Vec<Scenario> {
    vec![
        scenario!(
            "seed.tennis-lesson-each-mailbox",
            "[MS-OXWSCORE] §3.1.4.2 CreateItem; [MS-OXWSCDATA] §2.2.3.3 ExchangeImpersonation",
            "The sample: a Tennis lesson saved through impersonation into each mailbox, one distinct item each",
            seed::tennis_lesson_each_mailbox
        ),
        scenario!(
            "impersonation.smtp-address",
            "[MS-OXWSCDATA] §2.2.4.22 ConnectingSIDType (SmtpAddress)",
            "ConnectingSID/SmtpAddress acts as that mailbox",
            impersonation::smtp_address
        ),
        scenario!(
            "impersonation.primary-smtp-address",
            "[MS-OXWSCDATA] §2.2.4.22 ConnectingSIDType (PrimarySmtpAddress)",
            "ConnectingSID/PrimarySmtpAddress acts as that mailbox",
            impersonation::primary_smtp_address
        ),
        scenario!(
            "impersonation.principal-name",
            "[MS-OXWSCDATA] §2.2.4.22 ConnectingSIDType (PrincipalName)",
            "ConnectingSID/PrincipalName (the UPN) acts as that mailbox",
            impersonation::principal_name
        ),
        scenario!(
            "impersonation.sid",
            "[MS-OXWSCDATA] §2.2.4.22 ConnectingSIDType (SID)",
            "ConnectingSID/SID acts as that mailbox (skipped when no mailbox has a configured SID)",
            impersonation::sid
        ),
        scenario!(
            "impersonation.denied-without-right",
            "[MS-OXWSCDATA] §2.2.3.3 ExchangeImpersonation; §2.2.5.24 ResponseCodeType",
            "An account without the right gets ErrorImpersonateUserDenied and nothing is written",
            impersonation::denied_without_right
        ),
        scenario!(
            "impersonation.missing-mailbox",
            "[MS-OXWSCDATA] §2.2.3.3 ExchangeImpersonation; §2.2.5.24 ResponseCodeType",
            "Impersonating an address that is no mailbox gets ErrorNonExistentMailbox",
            impersonation::missing_mailbox
        ),
        scenario!(
            "impersonation.scope-inside",
            "[MS-OXWSCDATA] §2.2.3.3 ExchangeImpersonation (management scope)",
            "A scoped account may act as a mailbox inside its scope",
            impersonation::scope_inside
        ),
        scenario!(
            "impersonation.scope-outside",
            "[MS-OXWSCDATA] §2.2.3.3 ExchangeImpersonation (management scope); §2.2.5.24 ResponseCodeType",
            "A scoped account gets ErrorImpersonateUserDenied outside its scope and nothing is written",
            impersonation::scope_outside
        ),
        scenario!(
            "once-per-account.resave-refused",
            "[MS-OXWSCORE] §3.1.4.2.3.2 CreateItemType",
            "CreateItem carrying an already saved item's ItemId is refused, in its mailbox and another, and stores nothing",
            once::resave_refused
        ),
        scenario!(
            "once-per-account.foreign-id-not-found",
            "[MS-OXWSCORE] §3.1.4.4 GetItem, §3.1.4.9 UpdateItem, §3.1.4.3 DeleteItem",
            "An id from mailbox A used while acting as B gets ErrorItemNotFound for get, update and delete; A's item is untouched",
            once::foreign_id_not_found
        ),
        scenario!(
            "meetings.attendee-inbox",
            "[MS-OXWSMTGS] §2.2.4.6 CalendarItemType; CalendarItemCreateOrDeleteOperationType",
            "A meeting saved with SendToAllAndSaveCopy is a meeting, and each attendee's inbox gets a MeetingRequest",
            meetings::attendee_inbox
        ),
        scenario!(
            "lifecycle.calendar-view",
            "[MS-OXWSSRCH] FindItem (CalendarView)",
            "A calendar view over the item's time finds it",
            lifecycle::calendar_view
        ),
        scenario!(
            "lifecycle.get-item",
            "[MS-OXWSCORE] §3.1.4.4 GetItem; [MS-OXWSMTGS] §2.2.4.6 CalendarItemType",
            "GetItem returns what was saved",
            lifecycle::get_item
        ),
        scenario!(
            "lifecycle.update-new-change-key",
            "[MS-OXWSCORE] §3.1.4.9 UpdateItem",
            "UpdateItem with the ChangeKey keeps the Id, returns a new ChangeKey and changes the item",
            lifecycle::update_new_change_key
        ),
        scenario!(
            "lifecycle.stale-change-key-refused",
            "[MS-OXWSCORE] §3.1.4.9 UpdateItem (ConflictResolution NeverOverwrite)",
            "UpdateItem with a stale ChangeKey gets ErrorIrresolvableConflict and changes nothing",
            lifecycle::stale_change_key_refused
        ),
        scenario!(
            "lifecycle.delete-then-get-not-found",
            "[MS-OXWSCORE] §3.1.4.3 DeleteItem, §3.1.4.4 GetItem",
            "After a HardDelete, GetItem gets ErrorItemNotFound and the calendar view no longer finds it",
            lifecycle::delete_then_get_not_found
        ),
        scenario!(
            "faults.malformed-xml",
            "[MS-OXWSCDATA] §2.2.5.24 ResponseCodeType (ErrorSchemaValidation)",
            "Malformed XML gets the ErrorSchemaValidation fault (compared with its golden)",
            faults::malformed_xml
        ),
        scenario!(
            "faults.https-soap-namespace",
            "[MS-OXWSCORE] §2.2.1 Namespaces; SOAP 1.1 §4.4.1 VersionMismatch",
            "The docs' https:// SOAP namespace gets a VersionMismatch fault (compared with its golden)",
            faults::https_soap_namespace
        ),
        scenario!(
            "faults.server-busy-back-off",
            "[MS-OXWSCDATA] §2.2.5.24 ResponseCodeType (ErrorServerBusy)",
            "ErrorServerBusy as a fault carries BackOffMilliseconds (needs ews-mock's fault injection)",
            faults::server_busy_back_off
        ),
        scenario!(
            "faults.server-busy-message",
            "[MS-OXWSCDATA] §2.2.5.24 ResponseCodeType (ErrorServerBusy)",
            "ErrorServerBusy as a per-message error carries BackOffMilliseconds (needs ews-mock's fault injection)",
            faults::server_busy_message
        ),
    ]
}

/// The response code an error carries, as sent.
pub(crate) fn code_of(e: &Error) -> Option<String> {
    match e {
        Error::Fault(f) => Some(f.code_name().to_string()),
        Error::Response(r) => Some(r.code_name.clone()),
        _ => None,
    }
}

/// Passes when `result` failed with `code`; fails naming what happened instead.
pub(crate) fn expect_code<T>(what: &str, result: ews_client::Result<T>, code: &str) -> Outcome {
    match result {
        Err(e) if code_of(&e).as_deref() == Some(code) => Ok(()),
        Err(e) => Err(Verdict::Fail(format!("{what}: expected {code}, got {e}"))),
        Ok(_) => Err(Verdict::Fail(format!("{what}: expected {code}, but it succeeded"))),
    }
}

/// Fails with `message` unless `condition` holds.
pub(crate) fn ensure(condition: bool, message: impl FnOnce() -> String) -> Outcome {
    if condition {
        Ok(())
    } else {
        Err(Verdict::Fail(message()))
    }
}

/// The seed's appointment with a unique subject, an hour from `start`.
pub(crate) fn tennis(subject: &str, start: DateTime<Utc>) -> Result<Appointment, Verdict> {
    Ok(Appointment::builder()
        .subject(subject)
        .body_html("Focus on backhand this week.")
        .start(start)
        .duration(chrono::Duration::hours(1))
        .location("Tennis club")
        .build()?)
}

/// Fails unless `smtp`'s calendar holds exactly `n` items whose subject contains `subject`.
pub(crate) async fn expect_count(ctx: &Ctx<'_>, smtp: &str, subject: &str, n: usize) -> Outcome {
    let found = ctx.find(smtp, "calendar", subject).await?;
    for item in &found {
        if let Some(id) = &item.id {
            ctx.track(smtp, id);
        }
    }
    ensure(found.len() == n, || {
        format!("{smtp}'s calendar holds {} items with subject {subject:?}, expected {n}", found.len())
    })
}
