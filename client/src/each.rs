//! [`Service::create_in_each`]: the seed's loop (one fresh appointment per mailbox through
//! impersonation) as one call, concurrent within a bound, with one result per mailbox in input
//! order. One mailbox failing never stops the others.

use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::error::{Error, Result};
use crate::types::{Appointment, ConnectingSid};
use crate::{SavedAppointment, Service};

/// The outcome for one mailbox of [`Service::create_in_each`].
#[derive(Debug)]
pub struct MailboxResult {
    /// The mailbox, as given.
    pub mailbox: ConnectingSid,
    /// The saved item, or why this mailbox failed ([`Error::response_code`] names the EWS code).
    pub result: Result<SavedAppointment>,
}

impl std::fmt::Display for MailboxResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.result {
            Ok(saved) => write!(f, "{} {}", self.mailbox, saved.item_id().id),
            Err(e) => write!(f, "{} error: {e}", self.mailbox),
        }
    }
}

impl Service {
    /// Creates a fresh appointment from `factory` in each mailbox, impersonating each, at most
    /// `concurrency` at a time. Returns one result per mailbox, in input order.
    ///
    /// ```no_run
    /// # async fn f() -> ews_client::Result<()> {
    /// use ews_client::{Appointment, ConnectingSid, Service};
    /// let service = Service::builder("https://mail.contoso.com/EWS/Exchange.asmx")
    ///     .basic("svc-calendar@contoso.com", "password")
    ///     .build()?;
    /// let start = chrono::Utc::now() + chrono::Duration::days(3);
    /// let mailboxes = ["alfred@contoso.com", "sonyaf@contoso.com"].map(|m| ConnectingSid::SmtpAddress(m.into()));
    /// let results = service
    ///     .create_in_each(mailboxes, |_| {
    ///         Appointment::builder()
    ///             .subject("Tennis lesson")
    ///             .body_html("Focus on backhand this week.")
    ///             .start(start)
    ///             .duration(chrono::Duration::hours(1))
    ///             .location("Tennis club")
    ///             .build()
    ///     }, 4)
    ///     .await;
    /// for r in &results {
    ///     println!("{r}");
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Panics
    /// If a task panics (a bug): the panic is resumed here.
    pub async fn create_in_each<I, F>(&self, mailboxes: I, mut factory: F, concurrency: usize) -> Vec<MailboxResult>
    where
        I: IntoIterator<Item = ConnectingSid>,
        F: FnMut(&ConnectingSid) -> Result<Appointment>,
    {
        let permits = Arc::new(Semaphore::new(concurrency.max(1)));
        let mut tasks = JoinSet::new();
        let mut results: Vec<Option<Result<SavedAppointment>>> = Vec::new();
        let mut sids = Vec::new();
        for (index, sid) in mailboxes.into_iter().enumerate() {
            results.push(None);
            sids.push(sid.clone());
            // The factory runs here, once per mailbox: each mailbox gets its own appointment.
            let appointment = match factory(&sid) {
                Ok(a) => a,
                Err(e) => {
                    results[index] = Some(Err(e));
                    continue;
                }
            };
            let mailbox = self.impersonate(sid);
            let permits = Arc::clone(&permits);
            tasks.spawn(async move {
                // The semaphore is never closed, so acquiring cannot fail.
                let _permit = permits.acquire_owned().await.expect("semaphore is never closed");
                (index, mailbox.save(appointment).await)
            });
        }
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok((index, result)) => results[index] = Some(result),
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                Err(e) => panic!("create_in_each task was cancelled: {e}"),
            }
        }
        sids.into_iter()
            .zip(results)
            .map(|(mailbox, result)| MailboxResult {
                mailbox,
                result: result.unwrap_or_else(|| Err(Error::Invalid("task produced no result".into()))),
            })
            .collect()
    }
}
