//! GetItem for calendar items by id.
//!
//! See <https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/getitem-operation-calendar-item>.

use roxmltree::Node;

use super::{sealed, Operation};
use crate::ns;
use crate::types::{ews_enum, parse_calendar_item, parse_response_messages, CalendarItem, ItemId, ResponseError};
use crate::xml::{child, elements, xml_error, Writer};
use crate::Result;

ews_enum! {
    /// `t:DefaultShapeNamesType`: which properties come back.
    /// See <https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/baseshape>.
    BaseShape {
        /// Only the ItemId.
        IdOnly,
        /// A default set.
        Default,
        /// All properties.
        AllProperties,
    }
}

/// `m:GetItem`: reads items by id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetItem {
    /// The ids; one response message per id, in order.
    pub item_ids: Vec<ItemId>,
    /// `t:BaseShape`.
    pub base_shape: BaseShape,
}

impl sealed::Sealed for GetItem {}

impl Operation for GetItem {
    const NAME: &'static str = "GetItem";
    /// One result per id: the item or its error.
    type Response = Vec<Result<CalendarItem, ResponseError>>;

    fn write_body(&self, w: &mut Writer) {
        w.element("m:GetItem", &[], |w| {
            w.element("m:ItemShape", &[], |w| w.text_element("t:BaseShape", &[], self.base_shape.as_str()));
            w.element("m:ItemIds", &[], |w| {
                for id in &self.item_ids {
                    id.write(w);
                }
            });
        });
    }

    fn parse_response(response: Node) -> Result<Self::Response> {
        let mut out = Vec::new();
        for m in parse_response_messages(response, "GetItemResponseMessage")? {
            out.push(match m {
                Ok(message) => {
                    let items = child(message, ns::MESSAGES, "Items")
                        .ok_or_else(|| xml_error(message, "missing child element Items"))?;
                    let item =
                        elements(items).next().ok_or_else(|| xml_error(items, "no item in a Success message"))?;
                    Ok(parse_calendar_item(item)?)
                }
                Err(e) => Err(e),
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::{body_of, envelope, parse_envelope};
    use crate::types::{write_calendar_item, Appointment, BodyType, LegacyFreeBusyStatus, ResponseType};
    use chrono::TimeZone;

    #[test]
    fn request_lists_ids_with_change_keys() {
        let op = GetItem {
            item_ids: vec![ItemId { id: "A1".into(), change_key: Some("C1".into()) }, ItemId::new("A2")],
            base_shape: BaseShape::AllProperties,
        };
        assert_eq!(
            body_of(&op),
            r#"<m:GetItem><m:ItemShape><t:BaseShape>AllProperties</t:BaseShape></m:ItemShape><m:ItemIds><t:ItemId Id="A1" ChangeKey="C1"/><t:ItemId Id="A2"/></m:ItemIds></m:GetItem>"#
        );
    }

    #[test]
    fn all_properties_sample_is_read() {
        let xml = include_str!("../../testdata/ref__getitem-operation-calendar-item__04.xml");
        let items = parse_envelope::<GetItem>(xml).expect("parses");
        let item = items[0].as_ref().expect("success");
        assert_eq!(item.item_id.as_ref().map(|i| i.id.as_str()), Some("ASUAdT"));
        assert_eq!(item.item_class.as_deref(), Some("IPM.Appointment"));
        assert_eq!(item.fields.body.as_ref().map(|b| b.body_type), Some(BodyType::Text));
        assert_eq!(item.fields.reminder_minutes_before_start, Some(15));
        assert_eq!(item.fields.legacy_free_busy_status, Some(LegacyFreeBusyStatus::Busy));
        assert_eq!(item.my_response_type, Some(ResponseType::Organizer));
        assert_eq!(item.organizer.as_ref().map(|o| o.email.as_str()), Some("someone@example.com"));
        assert_eq!(item.fields.start.map(|s| s.to_rfc3339()), Some("2006-06-16T00:30:00+00:00".into()));
        // ConflictingMeetings' nested CalendarItems do not leak into the outer item.
        assert_eq!(item.fields.subject, None);
    }

    #[test]
    fn written_item_parses_back_to_the_same_fields() {
        let start = chrono_tz::Europe::London.with_ymd_and_hms(2026, 7, 1, 9, 30, 0).single().expect("valid");
        let fields = Appointment::builder()
            .subject("Board & review")
            .body_text("  line one\nline two  ")
            .start(start)
            .duration(chrono::Duration::minutes(90))
            .location("Room 4")
            .reminder_minutes_before_start(10)
            .free_busy(LegacyFreeBusyStatus::OOF)
            .importance(crate::types::Importance::High)
            .sensitivity(crate::types::Sensitivity::Private)
            .category("Red")
            .category("Blue")
            .required_attendee("chris@contoso.com")
            .optional_attendee(crate::types::Attendee {
                name: Some("Sonya".into()),
                ..Attendee::new("sonyaf@contoso.com")
            })
            .resource("room4@contoso.com")
            .build()
            .expect("valid")
            .fields;
        let mut w = Writer::new();
        write_calendar_item(&mut w, &fields);
        let item_xml = String::from_utf8(w.into_bytes()).expect("utf-8");
        let item_xml = item_xml.trim_start_matches(r#"<?xml version="1.0" encoding="utf-8"?>"#);
        let xml = envelope(&format!(
            r#"<m:GetItemResponse><m:ResponseMessages><m:GetItemResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:Items>{item_xml}</m:Items></m:GetItemResponseMessage></m:ResponseMessages></m:GetItemResponse>"#
        ));
        let items = parse_envelope::<GetItem>(&xml).expect("parses");
        assert_eq!(items[0].as_ref().expect("success").fields, fields);
    }

    use crate::types::Attendee;

    #[test]
    fn bad_boolean_names_its_path() {
        let xml = envelope(
            r#"<m:GetItemResponse><m:ResponseMessages><m:GetItemResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:Items><t:CalendarItem><t:IsAllDayEvent>maybe</t:IsAllDayEvent></t:CalendarItem></m:Items></m:GetItemResponseMessage></m:ResponseMessages></m:GetItemResponse>"#,
        );
        let err = parse_envelope::<GetItem>(&xml).expect_err("bad boolean");
        let crate::Error::Xml(e) = err else { panic!("expected an XML error") };
        assert_eq!(
            e.path,
            "/Envelope/Body/GetItemResponse/ResponseMessages/GetItemResponseMessage/Items/CalendarItem/IsAllDayEvent"
        );
    }
}
