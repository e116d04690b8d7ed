//! [`Mailbox`]: a handle acting as one mailbox through impersonation, and the calendar
//! operations on it.
//!
//! Every request through a `Mailbox` carries `t:ExchangeImpersonation` for its [`ConnectingSid`]
//! and the `X-AnchorMailbox` header Microsoft recommends with impersonation.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use crate::error::{Error, Result};
use crate::ops::{BaseShape, CreateItem, FindItem, GetItem, Operation};
use crate::types::{Appointment, CalendarItem, ConnectingSid, ItemId, ResponseError, SendInvitations};
use crate::{SavedAppointment, Service};

/// GetItem requests are split into chunks of this many ids (XLIB uses 100 as well).
const GET_ITEM_CHUNK: usize = 100;

/// A mailbox reached through impersonation. Cheap to clone; independent of every other handle.
#[derive(Debug, Clone)]
pub struct Mailbox {
    service: Service,
    sid: ConnectingSid,
    anchor: Option<String>,
}

impl Mailbox {
    pub(crate) fn new(service: Service, sid: ConnectingSid) -> Mailbox {
        let anchor = sid.anchor_mailbox().map(str::to_owned);
        Mailbox { service, sid, anchor }
    }

    /// Whom this handle impersonates.
    pub fn sid(&self) -> &ConnectingSid {
        &self.sid
    }

    /// The `X-AnchorMailbox` value sent (the SMTP address or UPN; none for a SID unless set).
    pub fn anchor_mailbox(&self) -> Option<&str> {
        self.anchor.as_deref()
    }

    /// Sets the `X-AnchorMailbox` value, e.g. the SMTP address of a mailbox impersonated by SID.
    pub fn with_anchor_mailbox(mut self, smtp: impl Into<String>) -> Mailbox {
        self.anchor = Some(smtp.into());
        self
    }

    /// Sends any operation as this mailbox.
    ///
    /// # Errors
    /// As [`Service::send`].
    pub async fn send<O: Operation>(&self, op: &O) -> Result<O::Response> {
        self.service.execute(op, Some(&self.sid), self.anchor.as_deref()).await
    }

    /// Saves the appointment into this mailbox's calendar. The appointment is consumed: the
    /// returned handle is the only way to reach the saved item, and only in this mailbox.
    ///
    /// A fresh appointment per mailbox, as the seed's factory builds them, compiles:
    ///
    /// ```no_run
    /// # async fn f(service: ews_client::Service) -> ews_client::Result<()> {
    /// use ews_client::{Appointment, ConnectingSid};
    /// let alfred = service.impersonate(ConnectingSid::SmtpAddress("alfred@contoso.com".into()));
    /// let sonya = service.impersonate(ConnectingSid::SmtpAddress("sonyaf@contoso.com".into()));
    /// let start = chrono::Utc::now();
    /// let appt = || Appointment::builder().subject("Tennis lesson").start(start).end(start).build();
    /// alfred.save(appt()?).await?;
    /// sonya.save(appt()?).await?;
    /// # Ok(()) }
    /// ```
    ///
    /// Saving the same appointment into a second mailbox does not compile:
    ///
    /// ```compile_fail,E0382
    /// # async fn f(service: ews_client::Service) -> ews_client::Result<()> {
    /// use ews_client::{Appointment, ConnectingSid};
    /// let alfred = service.impersonate(ConnectingSid::SmtpAddress("alfred@contoso.com".into()));
    /// let sonya = service.impersonate(ConnectingSid::SmtpAddress("sonyaf@contoso.com".into()));
    /// let start = chrono::Utc::now();
    /// let appt = Appointment::builder().subject("Tennis lesson").start(start).end(start).build()?;
    /// alfred.save(appt).await?;
    /// sonya.save(appt).await?; // error[E0382]: use of moved value: `appt`
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// Request-level errors, or [`Error::Response`] if Exchange refused the item.
    pub async fn save(&self, appointment: Appointment) -> Result<SavedAppointment> {
        let mut saved = self.create_batch(vec![appointment]).await?;
        saved.pop().expect("create_batch returns one result per appointment").map_err(|e| Error::Response(Box::new(e)))
    }

    /// Saves several appointments in one CreateItem; the results match the input order.
    ///
    /// All appointments of one call share `SendMeetingInvitations` (it is a request attribute).
    ///
    /// # Errors
    /// Request-level errors, or [`Error::Invalid`] if the appointments want different
    /// invitation modes. Per-item errors are the inner `Err`s.
    pub async fn create_batch(
        &self,
        appointments: Vec<Appointment>,
    ) -> Result<Vec<std::result::Result<SavedAppointment, ResponseError>>> {
        let Some(first) = appointments.first() else { return Ok(Vec::new()) };
        let send = first.send;
        if appointments.iter().any(|a| a.send != send) {
            return Err(Error::Invalid("one CreateItem sends all invitations the same way; split the batch".into()));
        }
        let meetings: Vec<bool> = appointments.iter().map(|a| a.fields.has_attendees()).collect();
        let op =
            CreateItem { items: appointments.into_iter().map(|a| a.fields).collect(), send_meeting_invitations: send };
        let results = op.match_results(self.send(&op).await?)?;
        Ok(results
            .into_iter()
            .zip(meetings)
            .map(|(r, is_meeting)| r.map(|id| SavedAppointment::new(self.clone(), id, is_meeting)))
            .collect())
    }

    /// Reads one calendar item by id (all properties).
    ///
    /// # Errors
    /// Request-level errors, or [`Error::Response`] (e.g. ErrorItemNotFound).
    pub async fn get(&self, id: &ItemId) -> Result<CalendarItem> {
        let op = GetItem { item_ids: vec![id.clone()], base_shape: BaseShape::AllProperties };
        let mut results = self.send(&op).await?;
        if results.len() != 1 {
            return Err(Error::Invalid(format!("GetItem for one id returned {} messages", results.len())));
        }
        results.remove(0).map_err(|e| Error::Response(Box::new(e)))
    }

    /// Every calendar item (single items and occurrences) overlapping `[start, end)`, with all
    /// properties: FindItem CalendarView pages of `page_size`, then GetItem.
    ///
    /// # Errors
    /// Request-level errors; [`Error::Response`] if the view is refused (e.g.
    /// ErrorCalendarViewRangeTooBig) or an item cannot be read; [`Error::Invalid`] if more than
    /// `page_size` items start at the same instant (CalendarView cannot page past them).
    pub async fn calendar_view_paged(
        &self,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        page_size: u32,
    ) -> Result<Vec<CalendarItem>> {
        // CalendarView has no offset: the next page starts at the last item's start, and items
        // seen already are skipped (they come back because they overlap the new window).
        let mut seen = HashSet::new();
        let mut ids = Vec::new();
        let mut window_start = start;
        loop {
            let op = FindItem { start: window_start, end, max_entries_returned: Some(page_size.max(1)) };
            let page = self.send(&op).await?.map_err(|e| Error::Response(Box::new(e)))?;
            let mut new = 0;
            let mut last_start = window_start;
            for item in page.items {
                if let Some(s) = item.fields.start {
                    last_start = last_start.max(s);
                }
                if let Some(id) = item.item_id {
                    if seen.insert(id.id.clone()) {
                        ids.push(id);
                        new += 1;
                    }
                }
            }
            if page.includes_last_item_in_range {
                break;
            }
            if new == 0 {
                return Err(Error::Invalid(format!(
                    "calendar view cannot page: more than {page_size} items start at {window_start}"
                )));
            }
            window_start = last_start;
        }
        let mut items = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(GET_ITEM_CHUNK) {
            let op = GetItem { item_ids: chunk.to_vec(), base_shape: BaseShape::AllProperties };
            for r in self.send(&op).await? {
                items.push(r.map_err(|e| Error::Response(Box::new(e)))?);
            }
        }
        Ok(items)
    }

    /// [`Mailbox::calendar_view_paged`] with pages of 100 items.
    ///
    /// # Errors
    /// As [`Mailbox::calendar_view_paged`].
    pub async fn calendar_view(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> Result<Vec<CalendarItem>> {
        self.calendar_view_paged(start, end, 100).await
    }

    /// Deletes items by id in one DeleteItem, results in input order.
    ///
    /// # Errors
    /// Request-level errors; per-item errors are the inner `Err`s.
    pub async fn delete_items(
        &self,
        ids: Vec<ItemId>,
        delete_type: crate::DeleteType,
        send_meeting_cancellations: SendInvitations,
    ) -> Result<Vec<std::result::Result<(), ResponseError>>> {
        let op = crate::ops::DeleteItem { item_ids: ids, delete_type, send_meeting_cancellations };
        self.send(&op).await
    }
}
