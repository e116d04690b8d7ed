//! DeleteItem for calendar items, with the cancellation mode Exchange requires for meetings.
//!
//! See <https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/deleteitem-operation>.

use roxmltree::Node;

use super::{sealed, Operation};
use crate::types::{parse_response_messages, DeleteType, ItemId, ResponseError, SendInvitations};
use crate::xml::Writer;
use crate::Result;

/// `m:DeleteItem`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteItem {
    /// The items; one response message per id, in order.
    pub item_ids: Vec<ItemId>,
    /// `DeleteType`.
    pub delete_type: DeleteType,
    /// `SendMeetingCancellations`, required by Exchange for calendar items.
    pub send_meeting_cancellations: SendInvitations,
}

impl sealed::Sealed for DeleteItem {}

impl Operation for DeleteItem {
    const NAME: &'static str = "DeleteItem";
    /// One result per id (DeleteItemResponseMessage has no item container).
    type Response = Vec<Result<(), ResponseError>>;

    fn write_body(&self, w: &mut Writer) {
        let attrs = [
            ("DeleteType", self.delete_type.as_str()),
            ("SendMeetingCancellations", self.send_meeting_cancellations.as_str()),
        ];
        w.element("m:DeleteItem", &attrs, |w| {
            w.element("m:ItemIds", &[], |w| {
                for id in &self.item_ids {
                    id.write(w);
                }
            });
        });
    }

    fn parse_response(response: Node) -> Result<Self::Response> {
        Ok(parse_response_messages(response, "DeleteItemResponseMessage")?.into_iter().map(|m| m.map(|_| ())).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::{body_of, parse_envelope};
    use crate::types::{ResponseClass, ResponseCode};

    #[test]
    fn request_carries_delete_type_and_cancellations() {
        let op = DeleteItem {
            item_ids: vec![ItemId::new("A1")],
            delete_type: DeleteType::MoveToDeletedItems,
            send_meeting_cancellations: SendInvitations::SendToAllAndSaveCopy,
        };
        assert_eq!(
            body_of(&op),
            r#"<m:DeleteItem DeleteType="MoveToDeletedItems" SendMeetingCancellations="SendToAllAndSaveCopy"><m:ItemIds><t:ItemId Id="A1"/></m:ItemIds></m:DeleteItem>"#
        );
    }

    #[test]
    fn already_deleted_items_are_per_item_errors() {
        let xml = include_str!("../../testdata/ews__how-to-process-calendar-items-in-batches-in-exchange__09.xml");
        let results = parse_envelope::<DeleteItem>(xml).expect("parses");
        assert_eq!(results.len(), 3);
        for r in results {
            let e = r.expect_err("not found");
            assert_eq!(e.class, ResponseClass::Error);
            assert_eq!(e.response_code, Some(ResponseCode::ErrorItemNotFound));
            assert_eq!(e.message_text.as_deref(), Some("The specified object was not found in the store."));
        }
    }
}
