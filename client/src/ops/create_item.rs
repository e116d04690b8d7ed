//! CreateItem for calendar items: one or many appointments in one request, results matched by
//! order.
//!
//! See <https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/createitem-operation-calendar-item>.

use roxmltree::Node;

use super::{first_item_id, sealed, Operation};
use crate::error::XmlError;
use crate::types::{
    parse_response_messages, write_calendar_item, AppointmentFields, ItemId, ResponseError, SendInvitations,
};
use crate::xml::Writer;
use crate::{Error, Result};

/// `m:CreateItem` with `t:CalendarItem`s, saved to the (impersonated) mailbox's calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateItem {
    /// The items, in order; the response has one message per item, in the same order.
    pub items: Vec<AppointmentFields>,
    /// `SendMeetingInvitations`, required by Exchange for calendar items.
    pub send_meeting_invitations: SendInvitations,
}

impl sealed::Sealed for CreateItem {}

impl Operation for CreateItem {
    const NAME: &'static str = "CreateItem";
    /// One result per item: the new ItemId (with ChangeKey) or the item's error.
    type Response = Vec<Result<ItemId, ResponseError>>;

    fn write_body(&self, w: &mut Writer) {
        // SavedItemFolderId is omitted, as EWSMA does: the item goes to the default calendar of
        // the mailbox being impersonated (protocol.md §1.1).
        w.element("m:CreateItem", &[("SendMeetingInvitations", self.send_meeting_invitations.as_str())], |w| {
            w.element("m:Items", &[], |w| {
                for item in &self.items {
                    write_calendar_item(w, item);
                }
            });
        });
    }

    fn parse_response(response: Node) -> Result<Self::Response> {
        parse_response_messages(response, "CreateItemResponseMessage")?
            .into_iter()
            .map(|m| match m {
                Ok(message) => first_item_id(message).map(Ok),
                Err(e) => Ok(Err(e)),
            })
            .collect::<Result<Vec<_>>>()
    }
}

impl CreateItem {
    /// Checks the response count: a request-level problem yields a single error message for the
    /// whole batch (protocol.md §1.3), which is then the answer for every item.
    pub(crate) fn match_results(
        &self,
        results: Vec<Result<ItemId, ResponseError>>,
    ) -> Result<Vec<Result<ItemId, ResponseError>>> {
        match results.len() {
            n if n == self.items.len() => Ok(results),
            1 if results[0].is_err() => Ok(vec![results[0].clone(); self.items.len()]),
            n => Err(Error::Xml(Box::new(XmlError {
                path: "/Envelope/Body/CreateItemResponse/ResponseMessages".into(),
                message: format!("expected {} response messages, got {n}", self.items.len()),
            }))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::{body_of, parse_envelope};
    use crate::types::{Appointment, ResponseCode};
    use chrono::TimeZone;

    fn seed() -> AppointmentFields {
        let start = chrono_tz::America::Los_Angeles.with_ymd_and_hms(2013, 9, 21, 12, 0, 0).single().expect("valid");
        Appointment::builder()
            .subject("Tennis lesson")
            .body_html("Focus on backhand this week.")
            .start(start)
            .duration(chrono::Duration::hours(1))
            .location("Tennis club")
            .build()
            .expect("valid appointment")
            .fields
    }

    #[test]
    fn seed_appointment_is_written_in_schema_order() {
        let op = CreateItem { items: vec![seed()], send_meeting_invitations: SendInvitations::SendToNone };
        assert_eq!(
            body_of(&op),
            concat!(
                r#"<m:CreateItem SendMeetingInvitations="SendToNone"><m:Items><t:CalendarItem>"#,
                "<t:Subject>Tennis lesson</t:Subject>",
                r#"<t:Body BodyType="HTML">Focus on backhand this week.</t:Body>"#,
                "<t:Start>2013-09-21T19:00:00Z</t:Start><t:End>2013-09-21T20:00:00Z</t:End>",
                "<t:Location>Tennis club</t:Location>",
                r#"<t:StartTimeZone Id="Pacific Standard Time"/><t:EndTimeZone Id="Pacific Standard Time"/>"#,
                "</t:CalendarItem></m:Items></m:CreateItem>"
            )
        );
    }

    #[test]
    fn meeting_attendees_follow_location_and_text_is_escaped() {
        let mut item = seed();
        item.subject = Some("Q&A <draft>".into());
        item.required_attendees.push("chris@contoso.com".into());
        item.resources.push("room1@contoso.com".into());
        let op = CreateItem { items: vec![item], send_meeting_invitations: SendInvitations::SendToAllAndSaveCopy };
        let xml = body_of(&op);
        assert!(xml.contains("<t:Subject>Q&amp;A &lt;draft&gt;</t:Subject>"), "{xml}");
        let loc = xml.find("<t:Location>").expect("location");
        let req = xml
            .find("<t:RequiredAttendees><t:Attendee><t:Mailbox><t:EmailAddress>chris@contoso.com")
            .expect("attendee");
        let res = xml.find("<t:Resources>").expect("resources");
        let tz = xml.find("<t:StartTimeZone").expect("zone");
        assert!(loc < req && req < res && res < tz, "{xml}");
    }

    #[test]
    fn impersonation_sample_response_yields_the_item_id() {
        let xml = include_str!("../../testdata/ews__how-to-add-appointments-by-using-exchange-impersonation__02.xml");
        let results = parse_envelope::<CreateItem>(xml).expect("parses");
        assert_eq!(results, vec![Ok(ItemId { id: "AAMkA".into(), change_key: Some("DwAAA".into()) })]);
    }

    #[test]
    fn batch_response_has_one_result_per_item_in_order() {
        let xml = include_str!("../../testdata/ews__how-to-process-calendar-items-in-batches-in-exchange__02.xml");
        let results = parse_envelope::<CreateItem>(xml).expect("parses");
        assert_eq!(results.len(), 3);
        assert!(results.iter().all(Result::is_ok));
    }

    #[test]
    fn item_error_is_data_not_err() {
        let xml = crate::ops::envelope(
            r#"<m:CreateItemResponse><m:ResponseMessages>
            <m:CreateItemResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:Items><t:CalendarItem><t:ItemId Id="A1" ChangeKey="C1"/></t:CalendarItem></m:Items></m:CreateItemResponseMessage>
            <m:CreateItemResponseMessage ResponseClass="Error"><m:MessageText>The SendMeetingInvitations attribute is required for calendar items.</m:MessageText><m:ResponseCode>ErrorSendMeetingInvitationsRequired</m:ResponseCode><m:DescriptiveLinkKey>0</m:DescriptiveLinkKey><m:Items/></m:CreateItemResponseMessage>
            </m:ResponseMessages></m:CreateItemResponse>"#,
        );
        let results = parse_envelope::<CreateItem>(&xml).expect("parses");
        assert_eq!(results[0].as_ref().map(|id| id.id.as_str()), Ok("A1"));
        let err = results[1].as_ref().expect_err("second failed");
        assert_eq!(err.response_code, Some(ResponseCode::ErrorSendMeetingInvitationsRequired));
    }
}
