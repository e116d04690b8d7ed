//! ews-client: a typed async EWS client for calendar work under Exchange impersonation.
//!
//! It makes Microsoft's *CreateAppointments with impersonation* sample safe, concurrent and
//! verified:
//! - impersonation is a value ([`Service::impersonate`] → [`Mailbox`]), not a mutable property of
//!   a shared service, so many mailboxes are served at once without interference;
//! - saving *consumes* an [`Appointment`] and returns a [`SavedAppointment`], so one object cannot
//!   be saved into two mailboxes (a compile error, see [`Mailbox::save`]);
//! - [`Service::create_in_each`] runs the seed's loop concurrently with one result per mailbox;
//! - Exchange's errors are types: [`Error`], [`Fault`], [`ResponseCode`] (every EWS code).
//!
//! ```no_run
//! # async fn f() -> ews_client::Result<()> {
//! use ews_client::{Appointment, ConnectingSid, Service};
//! let service = Service::builder("http://127.0.0.1:8080/EWS/Exchange.asmx")
//!     .basic("svc-calendar@contoso.com", "password")
//!     .build()?;
//! let alfred = service.impersonate(ConnectingSid::SmtpAddress("alfred@contoso.com".into()));
//! let start = chrono::Utc::now() + chrono::Duration::days(3);
//! let saved = alfred
//!     .save(Appointment::builder().subject("Tennis lesson").start(start).duration(chrono::Duration::hours(1)).build()?)
//!     .await?;
//! println!("saved {}", saved.item_id().id);
//! # Ok(()) }
//! ```
//!
//! # Layout
//! - `client`: [`Service`], [`ServiceBuilder`], [`Credentials`], [`RetryPolicy`]; sending with
//!   ErrorServerBusy retries.
//! - `mailbox`: [`Mailbox`], the impersonated handle (save, batch create, get, calendar view);
//!   `saved`: [`SavedAppointment`] (update, delete); `each`: [`Service::create_in_each`].
//! - `soap`: the envelope and its headers, faults; `xml`: quick-xml writing, roxmltree reading
//!   with element paths; `ns`: namespace URIs.
//! - `ops/`: one EWS operation per file ([`CreateItem`], [`GetItem`], [`FindItem`],
//!   [`UpdateItem`], [`DeleteItem`]) behind the sealed [`Operation`] trait.
//! - `types/`: ids, [`ConnectingSid`], enumerations, the appointment builder and update,
//!   calendar items, response messages, time zones, and the generated [`ResponseCode`].
//! - `error`: [`Error`] and its parts.

mod client;
mod each;
mod error;
mod mailbox;
mod ns;
mod ops;
mod saved;
mod soap;
mod types;
mod xml;

/// The date-time crate of this API (`DateTime<Utc>`, `Duration`), re-exported so callers use the
/// same version.
pub use chrono;
/// IANA time zones (`chrono_tz::Europe::Berlin`), mapped to Windows ids when sent.
pub use chrono_tz;
pub use client::{Credentials, RetryPolicy, Service, ServiceBuilder};
pub use each::MailboxResult;
pub use error::{Error, Fault, HttpError, Result, XmlError};
pub use mailbox::Mailbox;
pub use ops::{BaseShape, CalendarPage, CreateItem, DeleteItem, FindItem, GetItem, Operation, UpdateItem};
pub use saved::SavedAppointment;
pub use types::time::windows_zone_id;
pub use types::{
    Appointment, AppointmentBuilder, AppointmentFields, AppointmentUpdate, Attendee, Body, BodyType, CalendarItem,
    ConflictResolution, ConnectingSid, DeleteType, ExchangeVersion, Importance, ItemId, LegacyFreeBusyStatus,
    MessageXml, ResponseClass, ResponseCode, ResponseError, ResponseType, SendInvitations,
    SendInvitationsOrCancellations, Sensitivity, UnknownResponseCode, ZonedDateTime,
};
