//! FindFolder: the subfolders of a folder, enough for clients that walk the hierarchy
//! (root → msgfolderroot → calendar, inbox, sentitems, deleteditems, drafts).
//!
//! - One `FindFolderResponseMessage` per parent folder id, in order; an error message has no
//!   `m:RootFolder`.
//! - `Traversal`: Shallow = direct children, Deep = every descendant in hierarchy order,
//!   SoftDeleted = none (the mock never soft-deletes a folder).
//! - `IndexedPageFolderView` (Offset, MaxEntriesReturned, BasePoint) pages the result;
//!   `m:RootFolder` carries `IndexedPagingOffset` (with a view), `TotalItemsInView` and
//!   `IncludesLastItemInRange`, so paging clients terminate.
//! - `Restriction` and `FractionalPageFolderView` are not implemented: they are answered with an
//!   ErrorInvalidOperation fault naming the gap, never silently ignored.
//!
//! See <https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/findfolder-operation>.

use roxmltree::Node;

use super::get_folder::{parse_folder_ids, write_folder, FolderInfo, FolderShape};
use super::{Ctx, Operation, WriteCtx};
use crate::fault::Fault;
use crate::folder_id::{self, FolderRef};
use crate::ns;
use crate::response::{write_message, Message, MessageError};
use crate::response_code::ResponseCode;
use crate::store::FolderKind;
use crate::xml::read::{self, int_attribute};
use crate::xml::write::{start_response, XmlOut};

/// `m:FindFolder`. See <https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/findfolder>.
#[derive(Debug)]
pub(crate) struct FindFolder {
    /// `Traversal`.
    pub(crate) traversal: Traversal,
    /// `FolderShape`.
    pub(crate) folder_shape: FolderShape,
    /// `IndexedPageFolderView`, if given.
    pub(crate) view: Option<IndexedPageView>,
    /// `ParentFolderIds`, in request order.
    pub(crate) parent_folder_ids: Vec<FolderRef>,
}

/// `FolderQueryTraversalType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Traversal {
    /// Direct children only.
    Shallow,
    /// Every descendant.
    Deep,
    /// Soft-deleted children.
    SoftDeleted,
}

/// `IndexedPageViewType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct IndexedPageView {
    /// `MaxEntriesReturned`.
    pub(crate) max_entries_returned: Option<i64>,
    /// `Offset`.
    pub(crate) offset: i64,
    /// `BasePoint`: `true` for `End`.
    pub(crate) from_end: bool,
}

/// One parent folder's page of subfolders.
#[derive(Debug)]
pub(crate) struct FoundFolders {
    /// The folders in the page.
    pub(crate) folders: Vec<FolderInfo>,
    /// `IndexedPagingOffset`, when a view was given.
    pub(crate) indexed_paging_offset: Option<usize>,
    /// `TotalItemsInView`.
    pub(crate) total_items_in_view: usize,
    /// `IncludesLastItemInRange`.
    pub(crate) includes_last_item_in_range: bool,
}

/// The answer: the shape to write with, and one message per parent folder.
pub(crate) type FindFolderResponse = (FolderShape, Vec<Message<FoundFolders>>);

const CHILDREN: [&str; 5] =
    ["FolderShape", "IndexedPageFolderView", "FractionalPageFolderView", "Restriction", "ParentFolderIds"];

impl Operation for FindFolder {
    const NAME: &'static str = "FindFolder";
    type Response = FindFolderResponse;

    fn parse(node: Node) -> Result<Self, Fault> {
        let traversal = match node.attribute("Traversal") {
            None => return Err(read::missing_attribute(node, "Traversal")),
            Some("Shallow") => Traversal::Shallow,
            Some("Deep") => Traversal::Deep,
            Some("SoftDeleted") => Traversal::SoftDeleted,
            Some(other) => {
                return Err(read::invalid_attribute(
                    node,
                    "Traversal",
                    other,
                    "http://schemas.microsoft.com/exchange/services/2006/types:FolderQueryTraversalType",
                    "The Enumeration constraint failed.",
                ))
            }
        };
        let mut folder_shape = None;
        let mut view = None;
        let mut parent_folder_ids = None;
        for (name, child) in read::in_sequence(node, ns::MESSAGES, &CHILDREN, &[])? {
            match name {
                "FolderShape" => folder_shape = Some(FolderShape::parse(child)?),
                "IndexedPageFolderView" => view = Some(parse_view(child)?),
                "FractionalPageFolderView" if view.is_some() => {
                    return Err(read::invalid_child(node, child, &["Restriction", "ParentFolderIds"], ns::MESSAGES))
                }
                "FractionalPageFolderView" | "Restriction" => {
                    return Err(Fault::with_text(
                        ResponseCode::ErrorInvalidOperation,
                        format!("The request is invalid: ews-mock does not implement {name} in FindFolder."),
                    ))
                }
                _ => parent_folder_ids = Some(parse_folder_ids(child)?),
            }
        }
        let folder_shape = folder_shape.ok_or_else(|| read::missing_child(node, "FolderShape", ns::MESSAGES))?;
        let parent_folder_ids =
            parent_folder_ids.ok_or_else(|| read::missing_child(node, "ParentFolderIds", ns::MESSAGES))?;
        Ok(FindFolder { traversal, folder_shape, view, parent_folder_ids })
    }

    fn apply(self, ctx: &mut Ctx<'_>) -> Result<FindFolderResponse, Fault> {
        let mut messages = Vec::with_capacity(self.parent_folder_ids.len());
        for parent in &self.parent_folder_ids {
            let found = folder_id::resolve(ctx.dir, ctx.acting, parent).and_then(|(mailbox, kind)| {
                let all: Vec<FolderInfo> = subfolders(kind, self.traversal)
                    .into_iter()
                    .map(|f| FolderInfo::read(ctx.state, mailbox, f))
                    .collect();
                page(all, self.view)
            });
            messages.push(found);
        }
        Ok((self.folder_shape, messages))
    }

    fn write((shape, messages): &FindFolderResponse, ctx: WriteCtx<'_>, out: &mut XmlOut) {
        start_response(out, "m:FindFolderResponse");
        out.start("m:ResponseMessages", &[]);
        for message in messages {
            write_message(out, "m:FindFolderResponseMessage", message, |out, found| {
                let Some(found) = found else { return };
                let offset = found.indexed_paging_offset.map(|o| o.to_string());
                let total = found.total_items_in_view.to_string();
                let mut attrs: Vec<(&str, &str)> = Vec::with_capacity(3);
                if let Some(offset) = &offset {
                    attrs.push(("IndexedPagingOffset", offset));
                }
                attrs.push(("TotalItemsInView", &total));
                attrs.push((
                    "IncludesLastItemInRange",
                    if found.includes_last_item_in_range { "true" } else { "false" },
                ));
                out.start("m:RootFolder", &attrs);
                out.start("t:Folders", &[]);
                for folder in &found.folders {
                    write_folder(out, ctx, shape, folder);
                }
                out.end("t:Folders");
                out.end("m:RootFolder");
            });
        }
        out.end("m:ResponseMessages");
        out.end("m:FindFolderResponse");
    }

    fn summary((_, messages): &FindFolderResponse) -> ResponseCode {
        crate::response::first_error(messages)
    }
}

fn parse_view(node: Node) -> Result<IndexedPageView, Fault> {
    let max_entries_returned = int_attribute(node, "MaxEntriesReturned")?;
    let offset = int_attribute(node, "Offset")?.ok_or_else(|| read::missing_attribute(node, "Offset"))?;
    let from_end = match node.attribute("BasePoint") {
        None => return Err(read::missing_attribute(node, "BasePoint")),
        Some("Beginning") => false,
        Some("End") => true,
        Some(other) => {
            return Err(read::invalid_attribute(
                node,
                "BasePoint",
                other,
                "http://schemas.microsoft.com/exchange/services/2006/types:IndexBasePointType",
                "The Enumeration constraint failed.",
            ))
        }
    };
    Ok(IndexedPageView { max_entries_returned, offset, from_end })
}

/// The folders below `parent`, in hierarchy order.
fn subfolders(parent: FolderKind, traversal: Traversal) -> Vec<FolderKind> {
    let is_below = |mut f: FolderKind| {
        while let Some(p) = f.parent() {
            if p == parent {
                return true;
            }
            f = p;
        }
        false
    };
    FolderKind::ALL
        .into_iter()
        .filter(|f| match traversal {
            Traversal::Shallow => f.parent() == Some(parent),
            Traversal::Deep => is_below(*f),
            Traversal::SoftDeleted => false,
        })
        .collect()
}

/// Cuts one page out of `all`, as IndexedPageFolderView asks.
fn page(all: Vec<FolderInfo>, view: Option<IndexedPageView>) -> Result<FoundFolders, MessageError> {
    let total = all.len();
    let Some(view) = view else {
        return Ok(FoundFolders {
            folders: all,
            indexed_paging_offset: None,
            total_items_in_view: total,
            includes_last_item_in_range: true,
        });
    };
    if view.max_entries_returned.is_some_and(|m| m <= 0) {
        return Err(MessageError::new(ResponseCode::ErrorInvalidPagingMaxRows));
    }
    let offset = usize::try_from(view.offset)
        .map_err(|_| MessageError::new(ResponseCode::ErrorInvalidIndexedPagingParameters))?
        .min(total);
    let max = view.max_entries_returned.map_or(usize::MAX, |m| usize::try_from(m).unwrap_or(usize::MAX));
    // From the end, the page ends `offset` folders before the last and grows toward the first.
    let (start, end) = if view.from_end {
        let end = total - offset;
        (end.saturating_sub(max), end)
    } else {
        (offset, offset.saturating_add(max).min(total))
    };
    let includes_last = if view.from_end { start == 0 } else { end == total };
    let taken = end - start;
    let folders = all.into_iter().skip(start).take(taken).collect();
    Ok(FoundFolders {
        folders,
        indexed_paging_offset: Some(offset + taken),
        total_items_in_view: total,
        includes_last_item_in_range: includes_last,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn infos(n: usize) -> Vec<FolderInfo> {
        FolderKind::ALL[..n]
            .iter()
            .map(|k| FolderInfo { mailbox: 0, kind: *k, total: 0, children: 0, unread: 0 })
            .collect()
    }

    #[test]
    fn shallow_under_msgfolderroot_is_the_five_mail_and_calendar_folders() {
        let got = subfolders(FolderKind::MsgFolderRoot, Traversal::Shallow);
        assert_eq!(
            got,
            vec![
                FolderKind::Calendar,
                FolderKind::Inbox,
                FolderKind::SentItems,
                FolderKind::DeletedItems,
                FolderKind::Drafts
            ]
        );
        assert_eq!(subfolders(FolderKind::Root, Traversal::Shallow), vec![FolderKind::MsgFolderRoot]);
        assert_eq!(subfolders(FolderKind::Root, Traversal::Deep).len(), 6);
        assert!(subfolders(FolderKind::Calendar, Traversal::Deep).is_empty());
    }

    #[test]
    fn paging_from_the_beginning_advances_the_offset_and_ends_on_the_last_page() {
        let view = |offset| Some(IndexedPageView { max_entries_returned: Some(2), offset, from_end: false });
        let first = page(infos(5), view(0)).expect("valid");
        assert_eq!(
            (first.folders.len(), first.indexed_paging_offset, first.includes_last_item_in_range),
            (2, Some(2), false)
        );
        let last = page(infos(5), view(4)).expect("valid");
        assert_eq!(
            (last.folders.len(), last.indexed_paging_offset, last.includes_last_item_in_range),
            (1, Some(5), true)
        );
        assert_eq!(last.total_items_in_view, 5);
    }

    #[test]
    fn paging_from_the_end_takes_the_last_folders() {
        let view = Some(IndexedPageView { max_entries_returned: Some(2), offset: 0, from_end: true });
        let got = page(infos(5), view).expect("valid");
        assert_eq!(
            got.folders.iter().map(|f| f.kind).collect::<Vec<_>>(),
            vec![FolderKind::Inbox, FolderKind::SentItems]
        );
        assert!(!got.includes_last_item_in_range);
    }

    #[test]
    fn zero_max_entries_and_negative_offsets_are_refused() {
        let zero = Some(IndexedPageView { max_entries_returned: Some(0), offset: 0, from_end: false });
        assert_eq!(page(infos(2), zero).map(|_| ()).map_err(|e| e.code), Err(ResponseCode::ErrorInvalidPagingMaxRows));
        let negative = Some(IndexedPageView { max_entries_returned: None, offset: -1, from_end: false });
        assert_eq!(
            page(infos(2), negative).map(|_| ()).map_err(|e| e.code),
            Err(ResponseCode::ErrorInvalidIndexedPagingParameters)
        );
    }
}
