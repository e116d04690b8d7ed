//! ews-mock: a fake Exchange EWS endpoint for calendar work under impersonation.
//!
//! It speaks EWS's wire format (SOAP 1.1), applies Exchange's impersonation rules (who may act
//! as whom, scoped rights, OAuth token kinds), binds every item to the one mailbox it was saved
//! in, and answers bad requests with the faults Exchange sends. Use it standalone (the
//! `ews-mock` binary) or in-process:
//!
//! ```
//! let mock = ews_mock::MockEws::start();
//! println!("EWS at {}", mock.ews_url());
//! ```
//!
//! # Layout
//! - [`mock`]: `MockEws`, the in-process handle, and `handle` its per-tenant `TenantHandle`; [`server`] the accept loop; `http` routing,
//!   authentication and body limits; `admin` the `/_mock/` JSON API.
//! - `dispatch`: envelope → operation → answer; `soap` the envelope and SOAP headers;
//!   `acting` the impersonation rules; `auth` Basic and Bearer sign-in.
//! - `ops/<operation>.rs`: one EWS operation each, as parse → apply → write.
//! - `item/`: the item model, its schema order and how it is read; `store` the mailbox
//!   contents; `ids` item ids and ChangeKeys; `folder_id` folder references.
//! - `tenant`: tenant configuration; `directory` the resolved tenant (sign-in, rights); `runtime` the live tenants; `journal`
//!   the bounded request journal; `profile` server versions; `fault` and `response` the two
//!   ways errors travel; `response_code` every EWS code; `xml/` reading and writing helpers.
//! - Test control: `control` (matchers, expectations), `faults` (fault rules), `throttle`
//!   (per-caller budgets), `inspect` (typed items), `strict` (`--strict` violation reports).
//! - `limits`: request size, XML shape, timeout and connection limits; `persist` the optional
//!   state file that keeps items across restarts.

mod acting;
mod admin;
mod auth;
mod clock;
mod control;
mod directory;
mod dispatch;
mod error;
mod fault;
mod faults;
mod folder_id;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod handle;
mod http;
mod ids;
mod inspect;
mod item;
mod item_id;
mod journal;
mod limits;
pub mod mock;
mod ns;
mod ops;
mod persist;
mod profile;
mod response;
mod response_code;
mod runtime;
pub mod server;
mod soap;
mod store;
mod strict;
mod tenant;
mod throttle;
mod xml;

pub use clock::Clock;
pub use control::{Expect, ExpectationResult, RequestMatcher, VerificationError};
pub use error::{Error, Result};
pub use faults::{ActiveFault, FaultAction, FaultRule};
pub use handle::TenantHandle;
pub use inspect::StoredItem;
pub use item::{
    Attendee, Body, BodyType, Importance, ItemFields, ItemKind, LegacyFreeBusyStatus, ResponseType, Sensitivity,
    ServerFields,
};
pub use journal::JournalEntry;
pub use mock::{MockEws, MockEwsBuilder};
pub use profile::ServerProfile;
pub use response_code::ResponseCode;
pub use store::FolderKind;
pub use tenant::{AccountConfig, ImpersonationRight, MailboxConfig, TenantConfig, TokenConfig, TokenKind};
pub use throttle::ThrottlingPolicy;
