//! One change description of UpdateItem (`t:SetItemField`, `t:AppendToItemField`,
//! `t:DeleteItemField`): read from the request, then applied to an item's fields.
//!
//! Values are read at parse time with the same code CreateItem uses, so a value that does not fit
//! its type is a schema fault for the whole request; the value waits in an otherwise empty
//! [`ItemFields`] until the change is applied.

use roxmltree::Node;

use super::field_uri;
use crate::fault::{Fault, MessageXml};
use crate::item::order::{CALENDAR_ITEM, ITEM};
use crate::item::parse::{clear_field, copy_field, set_field, READ_ONLY};
use crate::item::ItemFields;
use crate::ns;
use crate::response::MessageError;
use crate::response_code::ResponseCode;
use crate::xml::read::{self, elements, is};

/// The element names of `NonEmptyArrayOfItemChangeDescriptionsType`.
pub(crate) const ELEMENTS: [&str; 3] = ["AppendToItemField", "SetItemField", "DeleteItemField"];

/// The substitution group of `t:Path`.
const PATHS: [&str; 3] = ["FieldURI", "IndexedFieldURI", "ExtendedFieldURI"];

/// The item elements a Set or Append may carry (`SetItemFieldType`'s choice).
const ITEM_ELEMENTS: [&str; 15] = [
    "Item",
    "Message",
    "SharingMessage",
    "CalendarItem",
    "Contact",
    "DistributionList",
    "MeetingMessage",
    "MeetingRequest",
    "MeetingResponse",
    "MeetingCancellation",
    "Task",
    "PostItem",
    "RoleMember",
    "Network",
    "Person",
];

/// What a change does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    /// `t:SetItemField`.
    Set,
    /// `t:AppendToItemField`.
    Append,
    /// `t:DeleteItemField`.
    Delete,
}

/// One change, as read.
#[derive(Debug)]
pub(crate) struct Change {
    /// Set, Append or Delete.
    pub(crate) action: Action,
    /// The `t:FieldURI` value; `None` for IndexedFieldURI and ExtendedFieldURI, which name
    /// properties the mock does not model.
    pub(crate) uri: Option<String>,
    /// For Set and Append: the new value, in otherwise empty fields.
    pub(crate) value: ItemFields,
}

impl Change {
    /// Reads a change description. A schema violation is a fault; a change Exchange refuses per
    /// item (a value element holding other than the one property) is `Ok(Err(..))`.
    pub(crate) fn parse(node: Node) -> Result<Result<Change, MessageError>, Fault> {
        let action = match node.tag_name().name() {
            "SetItemField" => Action::Set,
            "AppendToItemField" => Action::Append,
            "DeleteItemField" => Action::Delete,
            _ => return Err(read::invalid_child(node.parent().unwrap_or(node), node, &ELEMENTS, ns::TYPES)),
        };
        if node.tag_name().namespace() != Some(ns::TYPES) {
            return Err(read::invalid_child(node.parent().unwrap_or(node), node, &ELEMENTS, ns::TYPES));
        }
        let mut children = elements(node);
        let path = children.next().ok_or_else(|| read::missing_child(node, &PATHS.join(", "), ns::TYPES))?;
        if path.tag_name().namespace() != Some(ns::TYPES) || !PATHS.contains(&path.tag_name().name()) {
            return Err(read::invalid_child(node, path, &PATHS, ns::TYPES));
        }
        let uri = if is(path, ns::TYPES, "FieldURI") {
            let uri = path.attribute("FieldURI").ok_or_else(|| read::missing_attribute(path, "FieldURI"))?;
            if !field_uri::is_valid(uri) {
                return Err(read::invalid_attribute(
                    path,
                    "FieldURI",
                    uri,
                    field_uri::XSD,
                    "The Enumeration constraint failed.",
                ));
            }
            Some(uri.to_string())
        } else {
            None
        };
        let mut value = ItemFields::default();
        let item = children.next();
        if let Some(extra) = children.next() {
            return Err(read::invalid_child(node, extra, &[], ns::TYPES));
        }
        match (action, item) {
            (Action::Delete, None) => {}
            (Action::Delete, Some(item)) => return Err(read::invalid_child(node, item, &[], ns::TYPES)),
            (_, None) => return Err(read::missing_child(node, &ITEM_ELEMENTS.join(", "), ns::TYPES)),
            (_, Some(item)) => {
                if let Err(refusal) = read_value(item, uri.as_deref(), &mut value)? {
                    return Ok(Err(refusal));
                }
            }
        }
        Ok(Ok(Change { action, uri, value }))
    }

    /// Applies the change to `fields`, or refuses it (and the whole item) per item.
    pub(crate) fn apply(&self, fields: &mut ItemFields) -> Result<(), MessageError> {
        // Paths the mock does not model, and FieldURIs of other item types (message:, task:, …),
        // are accepted and change nothing, as unmodelled elements are in CreateItem.
        let Some(uri) = &self.uri else { return Ok(()) };
        let Some(element) = field_uri::calendar_element(uri) else { return Ok(()) };
        let refuse = |code| Err(MessageError::new(code).xml(MessageXml::FieldUri(uri.clone())));
        if READ_ONLY.contains(&element) {
            return refuse(match self.action {
                Action::Set => ResponseCode::ErrorInvalidPropertySet,
                Action::Append => ResponseCode::ErrorInvalidPropertyAppend,
                Action::Delete => ResponseCode::ErrorInvalidPropertyDelete,
            });
        }
        match self.action {
            Action::Set => {
                copy_field(fields, &self.value, element);
            }
            Action::Delete => {
                clear_field(fields, element);
            }
            Action::Append => {
                if !append_field(fields, &self.value, element) {
                    return refuse(ResponseCode::ErrorInvalidPropertyAppend);
                }
            }
        }
        Ok(())
    }
}

/// Reads the item element of a Set or Append: its children in schema order (for CalendarItem
/// and Item; other item types are read without an order check), values into `value`. Exchange
/// requires exactly the one element the FieldURI names (ErrorIncorrectUpdatePropertyCount).
fn read_value(item: Node, uri: Option<&str>, value: &mut ItemFields) -> Result<Result<(), MessageError>, Fault> {
    let name = item.tag_name().name();
    if item.tag_name().namespace() != Some(ns::TYPES) || !ITEM_ELEMENTS.contains(&name) {
        return Err(read::invalid_child(item.parent().unwrap_or(item), item, &ITEM_ELEMENTS, ns::TYPES));
    }
    let props: Vec<(&str, Node)> = match name {
        "CalendarItem" => read::in_sequence(item, ns::TYPES, CALENDAR_ITEM, &["ExtendedProperty"])?,
        "Item" => read::in_sequence(item, ns::TYPES, ITEM, &["ExtendedProperty"])?,
        _ => elements(item).map(|c| (c.tag_name().name(), c)).collect(),
    };
    for (element, node) in &props {
        set_field(value, element, *node)?;
    }
    let Some(uri) = uri else { return Ok(Ok(())) };
    let expected = field_uri::calendar_element(uri);
    let fits = match (props.as_slice(), expected) {
        ([(element, _)], Some(expected)) => *element == expected,
        // A property of another item type: the mock does not model it, one element suffices.
        ([_], None) => true,
        _ => false,
    };
    if !fits {
        return Ok(Err(MessageError::new(ResponseCode::ErrorIncorrectUpdatePropertyCount)));
    }
    Ok(Ok(()))
}

/// AppendToItemField: Body gets the text appended, the collections get the new entries.
/// Returns false for properties that do not support append.
fn append_field(dst: &mut ItemFields, src: &ItemFields, name: &str) -> bool {
    match name {
        "Body" => match (&mut dst.body, &src.body) {
            (Some(body), Some(more)) => body.text = format!("{}{}", body.text, more.text).into(),
            (body @ None, more) => body.clone_from(more),
            (Some(_), None) => {}
        },
        "Categories" => dst.categories.extend(src.categories.iter().cloned()),
        "RequiredAttendees" => dst.required_attendees.extend(src.required_attendees.iter().cloned()),
        "OptionalAttendees" => dst.optional_attendees.extend(src.optional_attendees.iter().cloned()),
        "Resources" => dst.resources.extend(src.resources.iter().cloned()),
        _ => return false,
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::item::{Body, BodyType};

    fn change(inner: &str) -> Result<Result<Change, MessageError>, Fault> {
        let xml = format!("<t:Updates xmlns:t='{}'>{inner}</t:Updates>", ns::TYPES);
        let doc = roxmltree::Document::parse(&xml).expect("well-formed test input");
        let node = doc.root_element().first_element_child().expect("one change");
        Change::parse(node)
    }

    fn subject(text: &str) -> ItemFields {
        ItemFields { subject: Some(text.into()), ..ItemFields::default() }
    }

    #[test]
    fn set_subject_replaces_it() {
        let c = change(
            "<t:SetItemField><t:FieldURI FieldURI='item:Subject'/>\
             <t:CalendarItem><t:Subject>New</t:Subject></t:CalendarItem></t:SetItemField>",
        )
        .expect("valid")
        .expect("accepted");
        let mut fields = subject("Old");
        c.apply(&mut fields).expect("applies");
        assert_eq!(fields.subject.as_deref(), Some("New"));
    }

    #[test]
    fn an_unknown_field_uri_fails_schema_validation() {
        let err = change("<t:DeleteItemField><t:FieldURI FieldURI='item:Subjet'/></t:DeleteItemField>")
            .expect_err("not in the enumeration");
        assert!(err.text.contains("UnindexedFieldURIType"), "{}", err.text);
    }

    #[test]
    fn two_properties_in_one_set_are_refused_per_item() {
        let refused = change(
            "<t:SetItemField><t:FieldURI FieldURI='item:Subject'/><t:CalendarItem>\
             <t:Subject>a</t:Subject><t:Location>b</t:Location></t:CalendarItem></t:SetItemField>",
        )
        .expect("schema-valid")
        .expect_err("refused");
        assert_eq!(refused.code, ResponseCode::ErrorIncorrectUpdatePropertyCount);
    }

    #[test]
    fn setting_is_meeting_is_refused_with_its_field_uri() {
        let c = change(
            "<t:SetItemField><t:FieldURI FieldURI='calendar:IsMeeting'/>\
             <t:CalendarItem><t:IsMeeting>true</t:IsMeeting></t:CalendarItem></t:SetItemField>",
        )
        .expect("valid")
        .expect("read");
        let err = c.apply(&mut ItemFields::default()).expect_err("read-only");
        assert_eq!(err.code, ResponseCode::ErrorInvalidPropertySet);
        assert_eq!(err.xml, MessageXml::FieldUri("calendar:IsMeeting".into()));
    }

    #[test]
    fn append_to_location_is_refused_and_body_appends() {
        let location = change(
            "<t:AppendToItemField><t:FieldURI FieldURI='calendar:Location'/>\
             <t:CalendarItem><t:Location>x</t:Location></t:CalendarItem></t:AppendToItemField>",
        )
        .expect("valid")
        .expect("read");
        let err = location.apply(&mut ItemFields::default()).expect_err("no append on Location");
        assert_eq!(err.code, ResponseCode::ErrorInvalidPropertyAppend);
        let body = change(
            "<t:AppendToItemField><t:FieldURI FieldURI='item:Body'/>\
             <t:CalendarItem><t:Body BodyType='Text'> more</t:Body></t:CalendarItem></t:AppendToItemField>",
        )
        .expect("valid")
        .expect("read");
        let mut fields =
            ItemFields { body: Some(Body { body_type: BodyType::Text, text: "some".into() }), ..ItemFields::default() };
        body.apply(&mut fields).expect("appends");
        assert_eq!(fields.body.map(|b| b.text), Some("some more".into()));
    }
}
