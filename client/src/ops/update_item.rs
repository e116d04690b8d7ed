//! UpdateItem for calendar items: changed fields only, guarded by the ChangeKey.
//!
//! See <https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/updateitem-operation>.

use roxmltree::Node;

use super::{first_item_id, sealed, Operation};
use crate::types::{
    parse_response_messages, write_set_field, AppointmentUpdate, ConflictResolution, ItemId, ResponseError,
    SendInvitationsOrCancellations,
};
use crate::xml::Writer;
use crate::Result;

/// `m:UpdateItem`: one `t:ItemChange` per item.
#[derive(Debug, Clone)]
pub struct UpdateItem {
    /// The items (id with the ChangeKey last seen) and their changes.
    pub changes: Vec<(ItemId, AppointmentUpdate)>,
    /// `ConflictResolution`; the client uses NeverOverwrite so a stale ChangeKey fails.
    pub conflict_resolution: ConflictResolution,
    /// `SendMeetingInvitationsOrCancellations`, required by Exchange for calendar items.
    pub send: SendInvitationsOrCancellations,
}

impl sealed::Sealed for UpdateItem {}

impl Operation for UpdateItem {
    const NAME: &'static str = "UpdateItem";
    /// One result per change: the item's id with its new ChangeKey, or the error.
    type Response = Vec<Result<ItemId, ResponseError>>;

    fn write_body(&self, w: &mut Writer) {
        let attrs = [
            ("MessageDisposition", "SaveOnly"),
            ("ConflictResolution", self.conflict_resolution.as_str()),
            ("SendMeetingInvitationsOrCancellations", self.send.as_str()),
        ];
        w.element("m:UpdateItem", &attrs, |w| {
            w.element("m:ItemChanges", &[], |w| {
                for (id, update) in &self.changes {
                    w.element("t:ItemChange", &[], |w| {
                        id.write(w);
                        w.element("t:Updates", &[], |w| {
                            for name in update.changed_fields() {
                                write_set_field(w, &update.fields, name);
                            }
                        });
                    });
                }
            });
        });
    }

    fn parse_response(response: Node) -> Result<Self::Response> {
        parse_response_messages(response, "UpdateItemResponseMessage")?
            .into_iter()
            .map(|m| match m {
                Ok(message) => first_item_id(message).map(Ok),
                Err(e) => Ok(Err(e)),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::{body_of, parse_envelope};

    #[test]
    fn only_changed_fields_are_sent_with_the_change_key() {
        let update = AppointmentUpdate::new().location("Court 2").subject("Tennis (moved)").clear_required_attendees();
        let op = UpdateItem {
            changes: vec![(ItemId { id: "A1".into(), change_key: Some("C1".into()) }, update)],
            conflict_resolution: ConflictResolution::NeverOverwrite,
            send: SendInvitationsOrCancellations::SendToNone,
        };
        assert_eq!(
            body_of(&op),
            concat!(
                r#"<m:UpdateItem MessageDisposition="SaveOnly" ConflictResolution="NeverOverwrite" SendMeetingInvitationsOrCancellations="SendToNone">"#,
                r#"<m:ItemChanges><t:ItemChange><t:ItemId Id="A1" ChangeKey="C1"/><t:Updates>"#,
                r#"<t:SetItemField><t:FieldURI FieldURI="item:Subject"/><t:CalendarItem><t:Subject>Tennis (moved)</t:Subject></t:CalendarItem></t:SetItemField>"#,
                r#"<t:SetItemField><t:FieldURI FieldURI="calendar:Location"/><t:CalendarItem><t:Location>Court 2</t:Location></t:CalendarItem></t:SetItemField>"#,
                r#"<t:DeleteItemField><t:FieldURI FieldURI="calendar:RequiredAttendees"/></t:DeleteItemField>"#,
                "</t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>"
            )
        );
    }

    #[test]
    fn batch_update_response_returns_new_change_keys() {
        let xml = include_str!("../../testdata/ews__how-to-process-calendar-items-in-batches-in-exchange__06.xml");
        let results = parse_envelope::<UpdateItem>(xml).expect("parses");
        assert_eq!(results.len(), 3);
        assert_eq!(results[0].as_ref().map(|i| i.change_key.as_deref()), Ok(Some("DwAAA")));
    }
}
