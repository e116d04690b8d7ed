//! [`SavedAppointment`]: what saving an appointment returns. It knows its ItemId, current
//! ChangeKey and owning mailbox, and updates or deletes the item there only.

use crate::error::{Error, Result};
use crate::ops::{DeleteItem, UpdateItem};
use crate::types::{
    AppointmentUpdate, CalendarItem, ConflictResolution, DeleteType, ItemId, SendInvitations,
    SendInvitationsOrCancellations,
};
use crate::Mailbox;

/// A calendar item saved in one mailbox.
///
/// Cloning gives a second handle to the same item (e.g. to observe a stale ChangeKey); it does
/// not copy the item.
#[derive(Debug, Clone)]
pub struct SavedAppointment {
    mailbox: Mailbox,
    id: ItemId,
    is_meeting: bool,
}

impl SavedAppointment {
    pub(crate) fn new(mailbox: Mailbox, id: ItemId, is_meeting: bool) -> SavedAppointment {
        SavedAppointment { mailbox, id, is_meeting }
    }

    /// The item id with the ChangeKey this handle last saw.
    pub fn item_id(&self) -> &ItemId {
        &self.id
    }

    /// The current ChangeKey, if the server sent one.
    pub fn change_key(&self) -> Option<&str> {
        self.id.change_key.as_deref()
    }

    /// The mailbox the item was saved in.
    pub fn mailbox(&self) -> &Mailbox {
        &self.mailbox
    }

    /// True if it was saved with attendees (a meeting).
    pub fn is_meeting(&self) -> bool {
        self.is_meeting
    }

    /// Reads the item back (all properties).
    ///
    /// # Errors
    /// As [`Mailbox::get`].
    pub async fn fetch(&self) -> Result<CalendarItem> {
        self.mailbox.get(&self.id).await
    }

    /// Sends the changed fields, guarded by this handle's ChangeKey (ConflictResolution
    /// NeverOverwrite), and keeps the new ChangeKey. Invitations default to the seed's rule:
    /// meetings SendToAllAndSaveCopy, appointments SendToNone (override with
    /// [`AppointmentUpdate::send`]).
    ///
    /// # Errors
    /// [`Error::Invalid`] for an empty or invalid update; [`Error::Response`] if Exchange refused
    /// it (e.g. ErrorIrresolvableConflict for a stale ChangeKey); request-level errors.
    pub async fn update(&mut self, update: AppointmentUpdate) -> Result<()> {
        update.check()?;
        let is_meeting = if update.changed_fields().iter().any(|f| f.ends_with("Attendees") || *f == "Resources") {
            update.fields.has_attendees()
        } else {
            self.is_meeting
        };
        // Attendees added or removed are told too: a meeting before or after counts.
        let send =
            update.send.unwrap_or_else(|| SendInvitationsOrCancellations::for_attendees(is_meeting || self.is_meeting));
        let op = UpdateItem {
            changes: vec![(self.id.clone(), update)],
            conflict_resolution: ConflictResolution::NeverOverwrite,
            send,
        };
        let mut results = self.mailbox.send(&op).await?;
        if results.len() != 1 {
            return Err(Error::Invalid(format!("UpdateItem for one item returned {} messages", results.len())));
        }
        let new_id = results.remove(0).map_err(|e| Error::Response(Box::new(e)))?;
        self.id = new_id;
        self.is_meeting = is_meeting;
        Ok(())
    }

    /// Deletes the item, sending cancellations as asked (use
    /// [`SendInvitations::for_attendees`] with [`SavedAppointment::is_meeting`] for the seed's rule).
    ///
    /// # Errors
    /// [`Error::Response`] if Exchange refused (e.g. ErrorItemNotFound); request-level errors.
    pub async fn delete(self, delete_type: DeleteType, send_meeting_cancellations: SendInvitations) -> Result<()> {
        let op = DeleteItem { item_ids: vec![self.id.clone()], delete_type, send_meeting_cancellations };
        let mut results = self.mailbox.send(&op).await?;
        if results.len() != 1 {
            return Err(Error::Invalid(format!("DeleteItem for one item returned {} messages", results.len())));
        }
        results.remove(0).map_err(|e| Error::Response(Box::new(e)))
    }
}
