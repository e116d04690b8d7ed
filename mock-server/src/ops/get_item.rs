//! GetItem: items by id, in a response shape.
//!
//! - One `GetItemResponseMessage` per `t:ItemId`, in request order; each id is resolved with the
//!   "an item belongs to one mailbox" rule, so another mailbox's id, a deleted item's id or a
//!   forged id is a per-item ErrorItemNotFound (with an empty `m:Items`, as Exchange writes it).
//! - Items come back as `t:CalendarItem`, `t:MeetingRequest`, `t:MeetingCancellation` or
//!   `t:Message` by kind, in the requested shape (see `item::write`).
//! - Ids other than `t:ItemId` (`t:OccurrenceItemId`, `t:RecurringMasterItemId`, …) are valid
//!   schema but name recurrences, which the mock does not model: per-item ErrorItemNotFound.
//!
//! See <https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/getitem-operation-calendar-item>
//! and `../shared/protocol/protocol.md` §5.1.

use roxmltree::Node;

use super::{Ctx, Operation, WriteCtx};
use crate::fault::Fault;
use crate::item::write::{write_item, Found, Shape};
use crate::item_id::{self, ItemRef};
use crate::ns;
use crate::response::{write_message, Message, MessageError};
use crate::response_code::ResponseCode;
use crate::xml::read::{self, elements, is};
use crate::xml::write::{start_response, XmlOut};

/// `m:GetItem`. See <https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/getitem>.
#[derive(Debug)]
pub(crate) struct GetItem {
    /// `m:ItemShape`.
    pub(crate) shape: Shape,
    /// `m:ItemIds`: each a `t:ItemId`, or why it cannot name an item.
    pub(crate) item_ids: Vec<Result<ItemRef, MessageError>>,
}

/// The answer: the shape, and one message per id.
#[derive(Debug)]
pub(crate) struct GetItemResponse {
    /// The shape to write items in.
    shape: Shape,
    /// One message per id.
    messages: Vec<Message<Found>>,
}

/// The `BaseItemIdType` elements of `NonEmptyArrayOfBaseItemIdsType`.
const ITEM_ID_TYPES: [&str; 4] = ["ItemId", "OccurrenceItemId", "RecurringMasterItemId", "RecurringMasterItemIdRanges"];

impl Operation for GetItem {
    const NAME: &'static str = "GetItem";
    type Response = GetItemResponse;

    fn parse(node: Node) -> Result<Self, Fault> {
        let children = read::in_sequence(node, ns::MESSAGES, &["ItemShape", "ItemIds"], &[])?;
        let mut shape = None;
        let mut item_ids = None;
        for (name, child) in children {
            if name == "ItemShape" {
                shape = Some(Shape::parse(child)?);
            } else {
                item_ids = Some(parse_item_ids(child)?);
            }
        }
        let shape = shape.ok_or_else(|| read::missing_child(node, "ItemShape", ns::MESSAGES))?;
        let item_ids = item_ids.ok_or_else(|| read::missing_child(node, "ItemIds", ns::MESSAGES))?;
        Ok(GetItem { shape, item_ids })
    }

    fn apply(self, ctx: &mut Ctx<'_>) -> Result<GetItemResponse, Fault> {
        let messages = self
            .item_ids
            .into_iter()
            .map(|id| {
                let id = id?;
                let key = item_id::resolve(ctx.dir, ctx.state, ctx.acting, ctx.seed, &id.id).map_err(read_error)?;
                Found::load(ctx.state, key)
                    .ok_or_else(|| read_error(MessageError::new(ResponseCode::ErrorItemNotFound)))
            })
            .collect();
        Ok(GetItemResponse { shape: self.shape, messages })
    }

    fn write(response: &GetItemResponse, ctx: WriteCtx<'_>, out: &mut XmlOut) {
        start_response(out, "m:GetItemResponse");
        out.start("m:ResponseMessages", &[]);
        for message in &response.messages {
            write_message(out, "m:GetItemResponseMessage", message, |out, found| match found {
                Some(found) => {
                    out.start("m:Items", &[]);
                    write_item(out, ctx, &response.shape, found);
                    out.end("m:Items");
                }
                None => out.empty("m:Items", &[]),
            });
        }
        out.end("m:ResponseMessages");
        out.end("m:GetItemResponse");
    }

    fn summary(response: &GetItemResponse) -> ResponseCode {
        crate::response::first_error(&response.messages)
    }
}

fn parse_item_ids(node: Node) -> Result<Vec<Result<ItemRef, MessageError>>, Fault> {
    let mut ids = Vec::new();
    for child in elements(node) {
        if is(child, ns::TYPES, "ItemId") {
            ids.push(Ok(ItemRef::parse(child)?));
        } else if ITEM_ID_TYPES.iter().any(|n| is(child, ns::TYPES, n)) {
            ids.push(Err(MessageError::with_text(
                ResponseCode::ErrorItemNotFound,
                format!(
                    "The specified object was not found in the store. (ews-mock models single items only, not t:{}.)",
                    child.tag_name().name()
                ),
            )));
        } else {
            return Err(read::invalid_child(node, child, &ITEM_ID_TYPES, ns::TYPES));
        }
    }
    if ids.is_empty() {
        return Err(read::missing_child(node, &ITEM_ID_TYPES.join(", "), ns::TYPES));
    }
    Ok(ids)
}

/// Exchange words ErrorItemNotFound on reads with a second clause (seen on GetItem and GetFolder
/// against Exchange 2013–Online; `../shared/protocol/protocol.md` §1.4).
fn read_error(e: MessageError) -> MessageError {
    if e.code == ResponseCode::ErrorItemNotFound {
        MessageError::with_text(
            e.code,
            "The specified object was not found in the store., The process failed to get the correct properties.",
        )
    } else {
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(inner: &str) -> Result<GetItem, Fault> {
        let xml = format!("<m:GetItem xmlns:m='{}' xmlns:t='{}'>{inner}</m:GetItem>", ns::MESSAGES, ns::TYPES);
        let doc = roxmltree::Document::parse(&xml).expect("well-formed test input");
        GetItem::parse(doc.root_element())
    }

    #[test]
    fn ids_are_read_in_order() {
        let req = parse(
            "<m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape>\
             <m:ItemIds><t:ItemId Id='a'/><t:ItemId Id='b' ChangeKey='c'/></m:ItemIds>",
        )
        .expect("valid");
        let ids: Vec<_> = req.item_ids.iter().map(|r| r.as_ref().expect("ok").id.as_str()).collect();
        assert_eq!(ids, ["a", "b"]);
    }

    #[test]
    fn empty_item_ids_fail_schema_validation() {
        let err = parse("<m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:ItemIds/>").expect_err("empty");
        assert!(err.text.contains("has incomplete content"), "{}", err.text);
    }

    #[test]
    fn an_unknown_base_shape_fails_schema_validation() {
        let err = parse(
            "<m:ItemShape><t:BaseShape>Everything</t:BaseShape></m:ItemShape><m:ItemIds><t:ItemId Id='a'/></m:ItemIds>",
        )
        .expect_err("enum");
        assert!(err.text.contains("DefaultShapeNamesType"), "{}", err.text);
    }
}
