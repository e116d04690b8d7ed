//! `m:ItemShape`: which properties an answer carries (IdOnly, Default, AllProperties, plus
//! AdditionalProperties), as GetItem and FindItem read it.

use std::collections::HashSet;

use roxmltree::Node;

use super::fields::{self, Path};
use super::ItemKind;
use crate::fault::Fault;
use crate::ns;
use crate::xml::read::{self, elements};

/// `t:BaseShape`. See <https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/baseshape>.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BaseShape {
    /// The ItemId only.
    IdOnly,
    /// A default set per item kind (`PcxPeopleSearch` is read as Default, it has no item meaning).
    Default,
    /// Every property the mock models.
    AllProperties,
}

/// `m:ItemShape`: a base shape plus AdditionalProperties.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Shape {
    /// `t:BaseShape`.
    pub(crate) base: BaseShape,
    /// `t:AdditionalProperties` FieldURIs, split into (prefix, name).
    pub(crate) additional: HashSet<(&'static str, &'static str)>,
}

/// The shape children in schema order (`ItemResponseShapeType`).
const SHAPE_ORDER: &[&str] = &[
    "BaseShape",
    "IncludeMimeContent",
    "BodyType",
    "UniqueBodyType",
    "NormalizedBodyType",
    "FilterHtmlContent",
    "ConvertHtmlCodePageToUTF8",
    "InlineImageUrlTemplate",
    "BlockExternalImages",
    "AddBlankTargetToLinks",
    "MaximumBodySize",
    "AdditionalProperties",
];

impl Shape {
    /// Reads `m:ItemShape`.
    pub(crate) fn parse(node: Node) -> Result<Shape, Fault> {
        let mut base = None;
        let mut additional = HashSet::new();
        for (name, child) in read::in_sequence(node, ns::TYPES, SHAPE_ORDER, &[])? {
            match name {
                "BaseShape" => {
                    base = Some(match read::text(child).trim() {
                        "IdOnly" => BaseShape::IdOnly,
                        "Default" | "PcxPeopleSearch" => BaseShape::Default,
                        "AllProperties" => BaseShape::AllProperties,
                        other => {
                            let xsd = "http://schemas.microsoft.com/exchange/services/2006/types:DefaultShapeNamesType";
                            return Err(read::invalid_value(child, other, xsd, "The Enumeration constraint failed."));
                        }
                    })
                }
                "AdditionalProperties" => {
                    let mut any = false;
                    for path in elements(child) {
                        any = true;
                        if let Path::Field(uri) = fields::parse_path(path)? {
                            additional.insert(uri.split_once(':').expect("every FieldURI has a prefix"));
                        }
                    }
                    if !any {
                        return Err(read::missing_child(
                            child,
                            "FieldURI, IndexedFieldURI, ExtendedFieldURI",
                            ns::TYPES,
                        ));
                    }
                }
                _ => {}
            }
        }
        let base = base.ok_or_else(|| read::missing_child(node, "BaseShape", ns::TYPES))?;
        Ok(Shape { base, additional })
    }

    /// Whether the shape asks for the property `prefix:name` of an item of `kind`.
    pub(crate) fn wants(&self, kind: ItemKind, prefix: &str, name: &str) -> bool {
        if self.additional.contains(&(prefix, name)) || (prefix, name) == ("item", "ItemId") {
            return true;
        }
        match self.base {
            BaseShape::IdOnly => false,
            BaseShape::AllProperties => true,
            // The msdocs Default sample for a calendar item has ItemId, ResponseObjects, Start, End,
            // LegacyFreeBusyStatus, CalendarItemType and Organizer; its appointment had no subject or
            // location. Judgement: Subject and Location are part of Default too (Outlook's views show
            // them), written only when set.
            BaseShape::Default if kind == ItemKind::CalendarItem => matches!(
                (prefix, name),
                ("item", "Subject" | "ResponseObjects")
                    | (
                        "calendar",
                        "Start" | "End" | "LegacyFreeBusyStatus" | "Location" | "CalendarItemType" | "Organizer"
                    )
            ),
            // Messages: the Default set of the FindItem reference for messages.
            BaseShape::Default => matches!(
                (prefix, name),
                ("item", "Subject" | "Sensitivity" | "Size" | "DateTimeSent" | "DateTimeCreated" | "HasAttachments")
                    | ("message", "From" | "IsRead")
            ),
        }
    }
}
