//! The appointment draft ([`Appointment`], built with [`AppointmentBuilder`]) and the change set
//! for an update ([`AppointmentUpdate`]).
//!
//! A draft has no ItemId. Saving it *moves* it into the mailbox and returns a
//! [`crate::SavedAppointment`]; the draft is gone, so the same object cannot be saved into a second
//! mailbox ("any item that you save to an impersonated account can only be used once",
//! protocol.md §4.3). That is checked by the compiler, not at run time.

use chrono::{NaiveDate, TimeZone};

use super::time::ZonedDateTime;
use super::{
    AppointmentFields, Attendee, Body, BodyType, Importance, LegacyFreeBusyStatus, SendInvitations, Sensitivity,
};
use crate::{Error, Result};

/// Setters shared by the builder and the update: each sets one field and records that it was set.
macro_rules! field_setters {
    () => {
        /// Sets `t:Subject`.
        pub fn subject(mut self, subject: impl Into<String>) -> Self {
            self.fields.subject = Some(subject.into());
            self.touch(&["Subject"])
        }

        /// Sets a plain-text `t:Body`.
        pub fn body_text(mut self, text: impl Into<String>) -> Self {
            self.fields.body = Some(Body { body_type: BodyType::Text, text: text.into() });
            self.touch(&["Body"])
        }

        /// Sets an HTML `t:Body`.
        pub fn body_html(mut self, html: impl Into<String>) -> Self {
            self.fields.body = Some(Body { body_type: BodyType::HTML, text: html.into() });
            self.touch(&["Body"])
        }

        /// Sets `t:Start` and, if the time has a zone with a Windows id, `t:StartTimeZone`.
        pub fn start(mut self, start: impl Into<ZonedDateTime>) -> Self {
            let start = start.into();
            self.fields.start = Some(start.utc());
            self = self.touch(&["Start"]);
            self.zone(start, true)
        }

        /// Sets `t:End` and, if the time has a zone with a Windows id, `t:EndTimeZone`.
        pub fn end(mut self, end: impl Into<ZonedDateTime>) -> Self {
            let end = end.into();
            self.fields.end = Some(end.utc());
            self = self.touch(&["End"]);
            self.zone(end, false)
        }

        /// Makes this an all-day event on `date` in `zone`: midnight to the next midnight.
        pub fn all_day<Z: TimeZone>(mut self, date: NaiveDate, zone: Z) -> Self
        where
            ZonedDateTime: From<chrono::DateTime<Z>>,
        {
            let midnight = |d: NaiveDate| zone.from_local_datetime(&d.and_time(chrono::NaiveTime::MIN)).earliest();
            let next = date.succ_opt().unwrap_or(date);
            match (midnight(date), midnight(next)) {
                (Some(s), Some(e)) => {
                    self.fields.is_all_day_event = Some(true);
                    self = self.touch(&["IsAllDayEvent"]);
                    self.start(s).end(e)
                }
                _ => {
                    self.invalid.get_or_insert_with(|| format!("{date} has no midnight in that time zone"));
                    self
                }
            }
        }

        /// Sets `t:IsAllDayEvent`.
        pub fn is_all_day_event(mut self, all_day: bool) -> Self {
            self.fields.is_all_day_event = Some(all_day);
            self.touch(&["IsAllDayEvent"])
        }

        /// Sets `t:Location`.
        pub fn location(mut self, location: impl Into<String>) -> Self {
            self.fields.location = Some(location.into());
            self.touch(&["Location"])
        }

        /// Sets a reminder this many minutes before the start (`ReminderIsSet` true).
        pub fn reminder_minutes_before_start(mut self, minutes: i32) -> Self {
            self.fields.reminder_is_set = Some(true);
            self.fields.reminder_minutes_before_start = Some(minutes);
            self.touch(&["ReminderIsSet", "ReminderMinutesBeforeStart"])
        }

        /// Turns the reminder off (`ReminderIsSet` false).
        pub fn no_reminder(mut self) -> Self {
            self.fields.reminder_is_set = Some(false);
            self.touch(&["ReminderIsSet"])
        }

        /// Sets `t:LegacyFreeBusyStatus`.
        pub fn free_busy(mut self, status: LegacyFreeBusyStatus) -> Self {
            self.fields.legacy_free_busy_status = Some(status);
            self.touch(&["LegacyFreeBusyStatus"])
        }

        /// Sets `t:Importance`.
        pub fn importance(mut self, importance: Importance) -> Self {
            self.fields.importance = Some(importance);
            self.touch(&["Importance"])
        }

        /// Sets `t:Sensitivity`.
        pub fn sensitivity(mut self, sensitivity: Sensitivity) -> Self {
            self.fields.sensitivity = Some(sensitivity);
            self.touch(&["Sensitivity"])
        }

        /// Adds a category (`t:Categories/t:String`).
        pub fn category(mut self, category: impl Into<String>) -> Self {
            self.fields.categories.push(category.into());
            self.touch(&["Categories"])
        }

        /// Adds a required attendee.
        pub fn required_attendee(mut self, attendee: impl Into<Attendee>) -> Self {
            self.fields.required_attendees.push(attendee.into());
            self.touch(&["RequiredAttendees"])
        }

        /// Adds an optional attendee.
        pub fn optional_attendee(mut self, attendee: impl Into<Attendee>) -> Self {
            self.fields.optional_attendees.push(attendee.into());
            self.touch(&["OptionalAttendees"])
        }

        /// Adds a resource (room or equipment).
        pub fn resource(mut self, resource: impl Into<Attendee>) -> Self {
            self.fields.resources.push(resource.into());
            self.touch(&["Resources"])
        }

        fn zone(mut self, t: ZonedDateTime, start: bool) -> Self {
            match t.checked_zone() {
                Ok(Some(id)) => {
                    let (slot, name) = if start {
                        (&mut self.fields.start_time_zone, "StartTimeZone")
                    } else {
                        (&mut self.fields.end_time_zone, "EndTimeZone")
                    };
                    *slot = Some(id.to_owned());
                    self.touch(&[name])
                }
                Ok(None) => self,
                Err(iana) => {
                    self.invalid.get_or_insert_with(|| format!("time zone {iana} has no Windows time-zone id"));
                    self
                }
            }
        }
    };
}

/// An appointment (or, with attendees, a meeting) not yet saved. Build one per mailbox.
///
/// ```
/// use chrono::TimeZone;
/// use ews_client::{Appointment, SendInvitations};
/// let start = chrono_tz::Europe::Berlin.with_ymd_and_hms(2026, 5, 4, 10, 0, 0).unwrap();
/// let appt = Appointment::builder()
///     .subject("Tennis lesson")
///     .body_html("Focus on backhand this week.")
///     .start(start)
///     .duration(chrono::Duration::hours(1))
///     .location("Tennis club")
///     .build()
///     .unwrap();
/// assert_eq!(appt.send_invitations(), SendInvitations::SendToNone);
/// assert_eq!(appt.fields().start_time_zone.as_deref(), Some("W. Europe Standard Time"));
/// ```
#[derive(Debug, PartialEq, Eq)]
pub struct Appointment {
    pub(crate) fields: AppointmentFields,
    pub(crate) send: SendInvitations,
}

impl Appointment {
    /// Starts a builder.
    pub fn builder() -> AppointmentBuilder {
        AppointmentBuilder::default()
    }

    /// The fields that will be sent.
    pub fn fields(&self) -> &AppointmentFields {
        &self.fields
    }

    /// How invitations are sent when it is saved.
    pub fn send_invitations(&self) -> SendInvitations {
        self.send
    }
}

/// Builds an [`Appointment`]. `build()` checks what EWS would refuse or misread.
#[derive(Debug, Default)]
pub struct AppointmentBuilder {
    fields: AppointmentFields,
    duration: Option<chrono::Duration>,
    send: Option<SendInvitations>,
    invalid: Option<String>,
}

impl AppointmentBuilder {
    field_setters!();

    fn touch(self, _names: &[&'static str]) -> Self {
        self
    }

    /// Sets the end to start + `duration` (in the start's time zone), unless `end` is set.
    pub fn duration(mut self, duration: chrono::Duration) -> Self {
        self.duration = Some(duration);
        self
    }

    /// Overrides the seed's default (attendees → SendToAllAndSaveCopy, none → SendToNone).
    pub fn send_invitations(mut self, mode: SendInvitations) -> Self {
        self.send = Some(mode);
        self
    }

    /// Checks and returns the appointment.
    ///
    /// # Errors
    /// [`Error::Invalid`] if a time zone has no Windows id, a start or end is missing, or the end
    /// is before the start.
    pub fn build(mut self) -> Result<Appointment> {
        if let Some(why) = self.invalid {
            return Err(Error::Invalid(why));
        }
        if let (None, Some(d), Some(start)) = (self.fields.end, self.duration, self.fields.start) {
            self.fields.end = Some(start + d);
            if self.fields.end_time_zone.is_none() {
                self.fields.end_time_zone = self.fields.start_time_zone.clone();
            }
        }
        match (self.fields.start, self.fields.end) {
            (Some(s), Some(e)) if e < s => return Err(Error::Invalid(format!("end {e} is before start {s}"))),
            (Some(_), Some(_)) => {}
            _ => return Err(Error::Invalid("an appointment needs a start and an end (or a duration)".into())),
        }
        let send = self.send.unwrap_or_else(|| SendInvitations::for_attendees(self.fields.has_attendees()));
        Ok(Appointment { fields: self.fields, send })
    }
}

/// The changes for one saved item: only the fields set here are sent (UpdateItem `SetItemField`;
/// a list set to empty is sent as `DeleteItemField`).
///
/// ```
/// let change = ews_client::AppointmentUpdate::new().location("Court 2");
/// assert_eq!(change.changed_fields(), ["Location"]);
/// ```
#[derive(Debug, Default, Clone)]
pub struct AppointmentUpdate {
    pub(crate) fields: AppointmentFields,
    touched: Vec<&'static str>,
    pub(crate) send: Option<super::SendInvitationsOrCancellations>,
    invalid: Option<String>,
}

impl AppointmentUpdate {
    /// No changes yet.
    pub fn new() -> AppointmentUpdate {
        AppointmentUpdate::default()
    }

    field_setters!();

    fn touch(mut self, names: &[&'static str]) -> Self {
        for n in names {
            if !self.touched.contains(n) {
                self.touched.push(n);
            }
        }
        self
    }

    /// Removes all required attendees (sent as `DeleteItemField calendar:RequiredAttendees`).
    pub fn clear_required_attendees(mut self) -> Self {
        self.fields.required_attendees.clear();
        self.touch(&["RequiredAttendees"])
    }

    /// Overrides SendMeetingInvitationsOrCancellations (default: by whether the item has attendees).
    pub fn send(mut self, mode: super::SendInvitationsOrCancellations) -> Self {
        self.send = Some(mode);
        self
    }

    /// The element names of the changed fields, in schema order.
    pub fn changed_fields(&self) -> Vec<&'static str> {
        super::calendar_item::FIELDS.iter().map(|(n, _)| *n).filter(|n| self.touched.contains(n)).collect()
    }

    pub(crate) fn check(&self) -> Result<()> {
        match &self.invalid {
            Some(why) => Err(Error::Invalid(why.clone())),
            None if self.touched.is_empty() => Err(Error::Invalid("an update needs at least one change".into())),
            None => Ok(()),
        }
    }
}
