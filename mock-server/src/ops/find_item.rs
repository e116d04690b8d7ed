//! FindItem: the items of a folder, filtered, sorted, paged and written in a shape.
//!
//! - One `FindItemResponseMessage` per parent folder, in order; each folder is resolved with
//!   `folder_id::resolve` (another mailbox's folder is ErrorAccessDenied).
//! - Views: none (every item), `IndexedPageItemView` (Offset, MaxEntriesReturned, BasePoint),
//!   `FractionalPageItemView`, and `CalendarView`. RootFolder carries `IndexedPagingOffset`
//!   (offset + returned, for paged views), `TotalItemsInView` and `IncludesLastItemInRange`, so
//!   paging clients such as exchangelib stop on the last page (`../shared/protocol/clients/exchangelib/NOTES.md`).
//! - CalendarView: an item is in the view when it overlaps the window, Start < EndDate and
//!   End > StartDate (msdocs: items ending before StartDate and items starting on or after EndDate
//!   are not returned); a zero-length item at StartDate is in it too. Items come sorted by Start.
//!   EndDate before StartDate is ErrorCalendarEndDateIsEarlierThanStartDate (the doc says only
//!   "an error is returned"; this code is our inference), a window over two years is
//!   ErrorCalendarViewRangeTooBig, a non-calendar folder ErrorCalendarFolderIsInvalidForCalendarView.
//! - Without SortOrder, items come newest first (DateTimeReceived descending, Exchange's default
//!   folder order; ties by creation order, newest first).
//! - Traversal Associated and SoftDeleted find nothing: the mock keeps no associated items and
//!   no soft-deleted dumpster. GroupBy, SeekToConditionPageItemView, ContactsView and QueryString
//!   are refused per message with a text that names the gap.
//!
//! See <https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/finditem-operation>
//! and `../shared/protocol/protocol.md` §5.2.

use chrono::{DateTime, Months};
use roxmltree::Node;

use super::restriction::{self, FieldOrder, Parsed};
use super::{Ctx, Operation, WriteCtx};
use crate::fault::Fault;
use crate::folder_id::{self, FolderRef};
use crate::item::write::{write_item, Found, Shape};
use crate::item::{Item, ItemKind};
use crate::ns;
use crate::response::{write_message, Message, MessageError};
use crate::response_code::ResponseCode;
use crate::store::FolderKind;
use crate::xml::read::{self, elements, int_attribute, invalid_attribute, missing_attribute};
use crate::xml::write::{start_response, XmlOut};

/// How a FindItem pages its results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum View {
    /// No view: every item.
    All,
    /// `IndexedPageItemView`.
    Indexed {
        /// `MaxEntriesReturned`.
        max: Option<i64>,
        /// `Offset`.
        offset: i64,
        /// `BasePoint="End"`.
        from_end: bool,
    },
    /// `FractionalPageItemView`.
    Fractional {
        /// `MaxEntriesReturned`.
        max: Option<i64>,
        /// `Numerator`.
        numerator: i64,
        /// `Denominator`.
        denominator: i64,
    },
    /// `CalendarView` (dates in Unix seconds).
    Calendar {
        /// `MaxEntriesReturned`.
        max: Option<i64>,
        /// `StartDate`.
        start: i64,
        /// `EndDate`.
        end: i64,
    },
    /// A view or grouping the mock does not implement; the text says which.
    Unsupported(&'static str),
}

/// `m:FindItem`. See <https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/finditem>.
#[derive(Debug)]
pub(crate) struct FindItem {
    /// `Traversal="Shallow"` (Associated and SoftDeleted find nothing in the mock).
    pub(crate) shallow: bool,
    /// `m:ItemShape`.
    pub(crate) shape: Shape,
    /// The paging view.
    pub(crate) view: View,
    /// `m:Restriction`, if any.
    pub(crate) restriction: Option<Parsed>,
    /// `m:SortOrder` (empty: the default order).
    pub(crate) sort: Vec<FieldOrder>,
    /// `m:ParentFolderIds`.
    pub(crate) parents: Vec<FolderRef>,
}

/// One folder's page of results.
#[derive(Debug)]
pub(crate) struct Page {
    /// The items on the page.
    items: Vec<Found>,
    /// `TotalItemsInView`.
    total: usize,
    /// `IndexedPagingOffset` (paged views only).
    next_offset: Option<i64>,
    /// `IncludesLastItemInRange`.
    includes_last: bool,
}

/// The answer: the shape, and one message per parent folder.
#[derive(Debug)]
pub(crate) struct FindItemResponse {
    shape: Shape,
    messages: Vec<Message<Page>>,
}

const ORDER: &[&str] = &[
    "ItemShape",
    "IndexedPageItemView",
    "FractionalPageItemView",
    "SeekToConditionPageItemView",
    "CalendarView",
    "ContactsView",
    "GroupBy",
    "DistinguishedGroupBy",
    "Restriction",
    "SortOrder",
    "ParentFolderIds",
    "QueryString",
];
const VIEWS: &[&str] =
    &["IndexedPageItemView", "FractionalPageItemView", "SeekToConditionPageItemView", "CalendarView", "ContactsView"];
/// The Calendar view's widest window, two years (msdocs: "currently 2 years").
const MAX_RANGE_MONTHS: u32 = 24;

impl Operation for FindItem {
    const NAME: &'static str = "FindItem";
    type Response = FindItemResponse;

    fn parse(node: Node) -> Result<Self, Fault> {
        let traversal = node.attribute("Traversal").ok_or_else(|| missing_attribute(node, "Traversal"))?;
        if !["Shallow", "SoftDeleted", "Associated"].contains(&traversal) {
            let xsd = "http://schemas.microsoft.com/exchange/services/2006/types:ItemQueryTraversalType";
            return Err(invalid_attribute(node, "Traversal", traversal, xsd, "The Enumeration constraint failed."));
        }
        let children = read::in_sequence(node, ns::MESSAGES, ORDER, &[])?;
        let (mut shape, mut view, mut restriction, mut sort, mut parents) = (None, View::All, None, Vec::new(), None);
        let mut seen_view = false;
        let mut seen_group = false;
        for (name, child) in children {
            // The two choices (view, grouping) allow one element each.
            let group = name == "GroupBy" || name == "DistinguishedGroupBy";
            if (VIEWS.contains(&name) && std::mem::replace(&mut seen_view, true))
                || (group && std::mem::replace(&mut seen_group, true))
            {
                return Err(read::invalid_child(node, child, &[], ns::MESSAGES));
            }
            match name {
                "ItemShape" => shape = Some(Shape::parse(child)?),
                "IndexedPageItemView" => {
                    let offset = int_attribute(child, "Offset")?.ok_or_else(|| missing_attribute(child, "Offset"))?;
                    let base = child.attribute("BasePoint").ok_or_else(|| missing_attribute(child, "BasePoint"))?;
                    if base != "Beginning" && base != "End" {
                        let xsd = "http://schemas.microsoft.com/exchange/services/2006/types:IndexBasePointType";
                        return Err(invalid_attribute(
                            child,
                            "BasePoint",
                            base,
                            xsd,
                            "The Enumeration constraint failed.",
                        ));
                    }
                    view = View::Indexed {
                        max: int_attribute(child, "MaxEntriesReturned")?,
                        offset,
                        from_end: base == "End",
                    };
                }
                "FractionalPageItemView" => {
                    let numerator =
                        int_attribute(child, "Numerator")?.ok_or_else(|| missing_attribute(child, "Numerator"))?;
                    let denominator =
                        int_attribute(child, "Denominator")?.ok_or_else(|| missing_attribute(child, "Denominator"))?;
                    view =
                        View::Fractional { max: int_attribute(child, "MaxEntriesReturned")?, numerator, denominator };
                }
                "CalendarView" => {
                    let date = |attr: &str| -> Result<i64, Fault> {
                        let raw = child.attribute(attr).ok_or_else(|| missing_attribute(child, attr))?;
                        crate::item::fields::constant(crate::item::fields::ValueKind::Time, raw)
                            .and_then(|v| match v {
                                crate::item::fields::Value::Time(t) => Some(t),
                                _ => None,
                            })
                            .ok_or_else(|| {
                                let xsd = "http://www.w3.org/2001/XMLSchema:dateTime";
                                let detail = format!("The string '{raw}' is not a valid XsdDateTime value.");
                                invalid_attribute(child, attr, raw, xsd, &detail)
                            })
                    };
                    let (start, end) = (date("StartDate")?, date("EndDate")?);
                    view = View::Calendar { max: int_attribute(child, "MaxEntriesReturned")?, start, end };
                }
                "SeekToConditionPageItemView" => view = View::Unsupported("SeekToConditionPageItemView"),
                "ContactsView" => view = View::Unsupported("ContactsView"),
                "GroupBy" | "DistinguishedGroupBy" => view = View::Unsupported("GroupBy"),
                "Restriction" => restriction = Some(restriction::parse(child)?),
                "SortOrder" => sort = restriction::parse_sort_order(child)?,
                "ParentFolderIds" => parents = Some(parse_parents(child)?),
                "QueryString" => view = View::Unsupported("QueryString"),
                _ => {}
            }
        }
        let shape = shape.ok_or_else(|| read::missing_child(node, "ItemShape", ns::MESSAGES))?;
        let parents = parents.ok_or_else(|| read::missing_child(node, "ParentFolderIds", ns::MESSAGES))?;
        Ok(FindItem { shallow: traversal == "Shallow", shape, view, restriction, sort, parents })
    }

    fn apply(self, ctx: &mut Ctx<'_>) -> Result<FindItemResponse, Fault> {
        let messages = self.parents.iter().map(|parent| self.find(ctx, parent)).collect();
        Ok(FindItemResponse { shape: self.shape, messages })
    }

    fn write(response: &FindItemResponse, ctx: WriteCtx<'_>, out: &mut XmlOut) {
        start_response(out, "m:FindItemResponse");
        out.start("m:ResponseMessages", &[]);
        for message in &response.messages {
            write_message(out, "m:FindItemResponseMessage", message, |out, page| {
                let Some(page) = page else { return };
                let total = page.total.to_string();
                let offset = page.next_offset.map(|o| o.to_string());
                let last = if page.includes_last { "true" } else { "false" };
                let mut attrs = Vec::with_capacity(3);
                if let Some(o) = &offset {
                    attrs.push(("IndexedPagingOffset", o.as_str()));
                }
                attrs.push(("TotalItemsInView", total.as_str()));
                attrs.push(("IncludesLastItemInRange", last));
                out.start("m:RootFolder", &attrs);
                if page.items.is_empty() {
                    out.empty("t:Items", &[]);
                } else {
                    out.start("t:Items", &[]);
                    for found in &page.items {
                        write_item(out, ctx, &response.shape, found);
                    }
                    out.end("t:Items");
                }
                out.end("m:RootFolder");
            });
        }
        out.end("m:ResponseMessages");
        out.end("m:FindItemResponse");
    }

    fn summary(response: &FindItemResponse) -> ResponseCode {
        crate::response::first_error(&response.messages)
    }
}

fn parse_parents(node: Node) -> Result<Vec<FolderRef>, Fault> {
    let mut out = Vec::new();
    for child in elements(node) {
        let folder = folder_id::parse(child)?
            .ok_or_else(|| read::invalid_child(node, child, &["FolderId", "DistinguishedFolderId"], ns::TYPES))?;
        out.push(folder);
    }
    if out.is_empty() {
        return Err(read::missing_child(node, "FolderId, DistinguishedFolderId", ns::TYPES));
    }
    Ok(out)
}

fn unsupported(what: &str) -> MessageError {
    MessageError::with_text(
        ResponseCode::ErrorInvalidOperation,
        format!("The request is invalid: ews-mock does not implement {what} in FindItem."),
    )
}

fn check_max(max: Option<i64>) -> Result<Option<usize>, MessageError> {
    match max {
        Some(m) if m <= 0 => Err(MessageError::new(ResponseCode::ErrorInvalidPagingMaxRows)),
        Some(m) => Ok(Some(m as usize)),
        None => Ok(None),
    }
}

/// Whether a calendar item overlaps the window [start, end).
fn overlaps(item: &Item, start: i64, end: i64) -> bool {
    let (Some(s), Some(e)) = (item.fields.start, item.fields.end) else { return false };
    s < end && (e > start || (e == s && s == start))
}

impl FindItem {
    fn find(&self, ctx: &Ctx<'_>, parent: &FolderRef) -> Result<Page, MessageError> {
        let (mailbox, folder) = folder_id::resolve(ctx.dir, ctx.acting, parent)?;
        let restriction = match &self.restriction {
            Some(Err(e)) => return Err(e.clone()),
            Some(Ok(r)) => Some(r),
            None => None,
        };
        if let View::Unsupported(what) = self.view {
            return Err(unsupported(what));
        }
        if let View::Calendar { start, end, .. } = self.view {
            if folder != FolderKind::Calendar {
                return Err(MessageError::new(ResponseCode::ErrorCalendarFolderIsInvalidForCalendarView));
            }
            if end < start {
                return Err(MessageError::new(ResponseCode::ErrorCalendarEndDateIsEarlierThanStartDate));
            }
            let limit =
                DateTime::from_timestamp(start, 0).and_then(|s| s.checked_add_months(Months::new(MAX_RANGE_MONTHS)));
            if limit.is_some_and(|l| end > l.timestamp()) {
                return Err(MessageError::new(ResponseCode::ErrorCalendarViewRangeTooBig));
            }
        }
        let state = &*ctx.state;
        let mut hits: Vec<(u64, &Item)> = if self.shallow {
            state.folder(mailbox, folder).filter_map(|k| state.get(k).map(|i| (k, i))).collect()
        } else {
            Vec::new()
        };
        if let View::Calendar { start, end, .. } = self.view {
            hits.retain(|(_, i)| i.kind == ItemKind::CalendarItem && overlaps(i, start, end));
        }
        if let Some(r) = restriction {
            hits.retain(|(_, i)| r.matches(i));
        }
        if !self.sort.is_empty() {
            hits.sort_by(|a, b| restriction::compare(&self.sort, a.1, b.1).then(a.0.cmp(&b.0)));
        } else if matches!(self.view, View::Calendar { .. }) {
            hits.sort_by_key(|(k, i)| (i.fields.start, *k));
        } else {
            hits.sort_by(|a, b| b.1.created.cmp(&a.1.created).then(b.0.cmp(&a.0)));
        }
        let total = hits.len();
        let (range, next_offset, includes_last) = match self.view {
            View::All | View::Unsupported(_) => (0..total, None, true),
            View::Calendar { max, .. } => {
                let n = check_max(max)?.unwrap_or(total).min(total);
                (0..n, None, n == total)
            }
            View::Indexed { max, offset, from_end } => {
                let max = check_max(max)?;
                if offset < 0 {
                    return Err(MessageError::new(ResponseCode::ErrorInvalidIndexedPagingParameters));
                }
                let offset = (offset as usize).min(total);
                if from_end {
                    let stop = total - offset;
                    let begin = stop.saturating_sub(max.unwrap_or(stop));
                    (begin..stop, Some((offset + stop - begin) as i64), begin == 0)
                } else {
                    let stop = max.map_or(total, |m| offset.saturating_add(m).min(total));
                    (offset..stop, Some(stop as i64), stop == total)
                }
            }
            View::Fractional { max, numerator, denominator } => {
                let max = check_max(max)?;
                if denominator <= 0 || numerator < 0 || numerator > denominator {
                    return Err(MessageError::new(ResponseCode::ErrorInvalidIndexedPagingParameters));
                }
                let begin = (total as i64 * numerator / denominator) as usize;
                let stop = max.map_or(total, |m| begin.saturating_add(m).min(total));
                (begin..stop, None, stop == total)
            }
        };
        let items = hits[range].iter().filter_map(|(k, _)| Found::load(state, *k)).collect();
        Ok(Page { items, total, next_offset, includes_last })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(inner: &str) -> Result<FindItem, Fault> {
        let xml = format!(
            "<m:FindItem xmlns:m='{}' xmlns:t='{}' Traversal='Shallow'><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape>{inner}\
             <m:ParentFolderIds><t:DistinguishedFolderId Id='calendar'/></m:ParentFolderIds></m:FindItem>",
            ns::MESSAGES,
            ns::TYPES
        );
        let doc = roxmltree::Document::parse(&xml).expect("well-formed test input");
        FindItem::parse(doc.root_element())
    }

    #[test]
    fn an_indexed_view_is_read() {
        let req =
            parse("<m:IndexedPageItemView MaxEntriesReturned='100' Offset='200' BasePoint='Beginning'/>").expect("ok");
        assert_eq!(req.view, View::Indexed { max: Some(100), offset: 200, from_end: false });
    }

    #[test]
    fn two_views_fail_schema_validation() {
        let err = parse(
            "<m:IndexedPageItemView Offset='0' BasePoint='Beginning'/>\
             <m:CalendarView StartDate='2026-01-01T00:00:00Z' EndDate='2026-01-02T00:00:00Z'/>",
        )
        .expect_err("one view only");
        assert!(err.text.contains("has invalid child element 'CalendarView'"), "{}", err.text);
    }

    #[test]
    fn a_calendar_view_with_a_bad_date_is_a_schema_fault() {
        let err = parse("<m:CalendarView StartDate='today' EndDate='2026-01-02T00:00:00Z'/>").expect_err("bad date");
        assert!(err.text.contains("'today' is not a valid XsdDateTime"), "{}", err.text);
    }
}
