//! FindItem with a CalendarView on the calendar: one page of single items and occurrences in a
//! time window.
//!
//! See <https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/finditem-operation-calendar-view>
//! and <https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/calendarview>.

use chrono::{DateTime, Utc};
use roxmltree::Node;

use super::{sealed, Operation};
use crate::ns;
use crate::types::time::format_date_time;
use crate::types::{parse_calendar_item, parse_response_messages, CalendarItem, ResponseError};
use crate::xml::{elements, required, xml_error, Writer};
use crate::Result;

/// `m:FindItem` with `m:CalendarView` over the distinguished `calendar` folder (the impersonated
/// mailbox's when sent through a [`crate::Mailbox`]). Returns ids, Subject, Start and End.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindItem {
    /// `StartDate`: items ending at or before it are left out.
    pub start: DateTime<Utc>,
    /// `EndDate`: items starting at or after it are left out.
    pub end: DateTime<Utc>,
    /// `MaxEntriesReturned`: the page size.
    pub max_entries_returned: Option<u32>,
}

/// One page of a calendar view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarPage {
    /// The items, ordered by start.
    pub items: Vec<CalendarItem>,
    /// `TotalItemsInView`.
    pub total_items_in_view: Option<u32>,
    /// `IncludesLastItemInRange`: false means there is more to fetch.
    pub includes_last_item_in_range: bool,
}

impl sealed::Sealed for FindItem {}

impl Operation for FindItem {
    const NAME: &'static str = "FindItem";
    /// The page, or the folder's error (e.g. ErrorCalendarViewRangeTooBig).
    type Response = std::result::Result<CalendarPage, ResponseError>;

    fn write_body(&self, w: &mut Writer) {
        w.element("m:FindItem", &[("Traversal", "Shallow")], |w| {
            w.element("m:ItemShape", &[], |w| {
                w.text_element("t:BaseShape", &[], "IdOnly");
                w.element("t:AdditionalProperties", &[], |w| {
                    for uri in ["item:Subject", "calendar:Start", "calendar:End"] {
                        w.empty("t:FieldURI", &[("FieldURI", uri)]);
                    }
                });
            });
            let start = format_date_time(self.start);
            let end = format_date_time(self.end);
            let max = self.max_entries_returned.map(|m| m.to_string());
            let mut attrs = Vec::new();
            if let Some(m) = &max {
                attrs.push(("MaxEntriesReturned", m.as_str()));
            }
            attrs.push(("StartDate", &start));
            attrs.push(("EndDate", &end));
            w.empty("m:CalendarView", &attrs);
            w.element("m:ParentFolderIds", &[], |w| w.empty("t:DistinguishedFolderId", &[("Id", "calendar")]));
        });
    }

    fn parse_response(response: Node) -> Result<Self::Response> {
        let mut messages = parse_response_messages(response, "FindItemResponseMessage")?;
        if messages.len() != 1 {
            return Err(xml_error(response, format!("expected 1 FindItemResponseMessage, got {}", messages.len())));
        }
        let message = match messages.remove(0) {
            Ok(m) => m,
            Err(e) => return Ok(Err(e)),
        };
        let root = required(message, ns::MESSAGES, "RootFolder")?;
        let total_items_in_view = match root.attribute("TotalItemsInView") {
            Some(v) => Some(v.parse().map_err(|_| xml_error(root, format!("invalid TotalItemsInView {v:?}")))?),
            None => None,
        };
        let includes_last_item_in_range = match root.attribute("IncludesLastItemInRange") {
            Some("true") | Some("1") | None => true,
            Some("false") | Some("0") => false,
            Some(v) => return Err(xml_error(root, format!("invalid IncludesLastItemInRange {v:?}"))),
        };
        let items = required(root, ns::TYPES, "Items")?;
        let items = elements(items).map(parse_calendar_item).collect::<Result<Vec<_>>>()?;
        Ok(Ok(CalendarPage { items, total_items_in_view, includes_last_item_in_range }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::{body_of, parse_envelope};

    #[test]
    fn calendar_view_request_matches_the_msdocs_shape() {
        let op = FindItem {
            start: "2013-08-21T17:30:24.127Z".parse().expect("date"),
            end: "2013-09-20T17:30:24.127Z".parse().expect("date"),
            max_entries_returned: Some(5),
        };
        assert_eq!(
            body_of(&op),
            concat!(
                r#"<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties>"#,
                r#"<t:FieldURI FieldURI="item:Subject"/><t:FieldURI FieldURI="calendar:Start"/><t:FieldURI FieldURI="calendar:End"/>"#,
                r#"</t:AdditionalProperties></m:ItemShape>"#,
                r#"<m:CalendarView MaxEntriesReturned="5" StartDate="2013-08-21T17:30:24.127Z" EndDate="2013-09-20T17:30:24.127Z"/>"#,
                r#"<m:ParentFolderIds><t:DistinguishedFolderId Id="calendar"/></m:ParentFolderIds></m:FindItem>"#
            )
        );
    }

    #[test]
    fn msdocs_page_reports_more_items_in_range() {
        let xml =
            include_str!("../../testdata/ews__how-to-get-appointments-and-meetings-by-using-ews-in-exchange__04.xml");
        let page = parse_envelope::<FindItem>(xml).expect("parses").expect("success");
        assert_eq!(page.items.len(), 5);
        assert_eq!(page.total_items_in_view, Some(33));
        assert!(!page.includes_last_item_in_range);
        assert_eq!(page.items[0].fields.subject.as_deref(), Some("Contoso devs team meeting"));
        assert!(page.items.windows(2).all(|w| w[0].fields.start <= w[1].fields.start));
    }
}
