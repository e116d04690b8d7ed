//! EWS operations, one per file, named as EWS names them. Each knows how to write its request
//! body and read its response; [`crate::Service::send`] and [`crate::Mailbox::send`] do the rest.
//!
//! The [`Operation`] trait is sealed: the set of operations may grow, and their wire details are
//! this crate's business.

mod create_item;
mod delete_item;
mod find_item;
mod get_item;
mod update_item;

pub use create_item::CreateItem;
pub use delete_item::DeleteItem;
pub use find_item::{CalendarPage, FindItem};
pub use get_item::{BaseShape, GetItem};
pub use update_item::UpdateItem;

use roxmltree::Node;

use crate::ns;
use crate::types::ItemId;
use crate::xml::{child, elements, xml_error};
use crate::Result;

mod sealed {
    /// Only this crate's operations implement [`super::Operation`].
    pub trait Sealed {}
}

/// An EWS operation: the body element it writes and the response it reads.
///
/// Per-item failures are part of `Response` (e.g. `Vec<Result<ItemId, ResponseError>>`), not `Err`.
pub trait Operation: sealed::Sealed + Send + Sync {
    /// The operation's element name, e.g. `CreateItem`; the response is `{NAME}Response`.
    const NAME: &'static str;
    /// What the operation returns.
    type Response: Send;

    /// Writes the `m:{NAME}` body element.
    #[doc(hidden)]
    fn write_body(&self, w: &mut crate::xml::Writer);

    /// Reads the `m:{NAME}Response` element.
    #[doc(hidden)]
    fn parse_response(response: Node<'_, '_>) -> Result<Self::Response>;
}

/// The `t:ItemId` of the first item under a message's `m:Items`.
pub(crate) fn first_item_id(message: Node) -> Result<ItemId> {
    let items =
        child(message, ns::MESSAGES, "Items").ok_or_else(|| xml_error(message, "missing child element Items"))?;
    let item = elements(items).next().ok_or_else(|| xml_error(items, "no item in a Success message"))?;
    let id = child(item, ns::TYPES, "ItemId").ok_or_else(|| xml_error(item, "missing child element ItemId"))?;
    ItemId::parse(id)
}

/// Test helper: the body an operation writes, as a string.
#[cfg(test)]
pub(crate) fn body_of<O: Operation>(op: &O) -> String {
    let mut w = crate::xml::Writer::new();
    op.write_body(&mut w);
    let s = String::from_utf8(w.into_bytes()).expect("the writer emits UTF-8");
    s.trim_start_matches(r#"<?xml version="1.0" encoding="utf-8"?>"#).to_owned()
}

/// Test helper: parses a whole response envelope for `O`.
#[cfg(test)]
pub(crate) fn parse_envelope<O: Operation>(xml: &str) -> Result<O::Response> {
    crate::soap::read_response(xml, O::NAME, O::parse_response)
}

/// Test helper: wraps a response element in an envelope with the usual prefixes.
#[cfg(test)]
pub(crate) fn envelope(body: &str) -> String {
    format!(
        r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:m="{}" xmlns:t="{}"><s:Body>{body}</s:Body></s:Envelope>"#,
        ns::MESSAGES,
        ns::TYPES
    )
}
