//! ResolveNames: an ambiguous name → the tenant's mailboxes it may mean (the directory only; the
//! mock has no contacts folders).
//!
//! - Matching, ASCII case ignored: `SMTP:addr` matches that address exactly (primary or alias);
//!   a full address matches its mailbox; anything else matches every mailbox whose display name,
//!   a word of it, or the local part of its primary address starts with the text (Exchange's
//!   ambiguous name resolution matches name and alias prefixes the same way).
//! - One match: Success. Several: `ResponseClass="Warning"` ErrorNameResolutionMultipleResults
//!   with every candidate (at most 100, sorted by display name). None: Error
//!   ErrorNameResolutionNoResults. A caller acting as no mailbox gets ErrorNameResolutionNoMailbox.
//! - `ReturnFullContactData="true"` adds `t:Contact` (DisplayName, EmailAddresses, ContactSource).
//!   `SearchScope="Contacts"` searches only contacts, so it never finds anything here.
//!
//! See <https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/resolvenames-operation>.

use roxmltree::Node;

use super::get_folder::parse_folder_ids;
use super::{Ctx, Operation, WriteCtx};
use crate::fault::Fault;
use crate::folder_id::{self, FolderRef};
use crate::ns;
use crate::response::{write_message, MessageError};
use crate::response_code::ResponseCode;
use crate::tenant::{fold, MailboxIdx};
use crate::xml::read::{self, invalid_attribute};
use crate::xml::write::{start_response, XmlOut};

/// `m:ResolveNames`. See <https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/resolvenames>.
#[derive(Debug)]
pub(crate) struct ResolveNames {
    /// `ReturnFullContactData`.
    pub(crate) return_full_contact_data: bool,
    /// `SearchScope`: whether the directory is searched at all.
    pub(crate) searches_directory: bool,
    /// `ParentFolderIds`: contacts folders to search; the mock has no contacts, so it only checks
    /// that the folders are the caller's.
    pub(crate) parent_folder_ids: Vec<FolderRef>,
    /// `UnresolvedEntry`.
    pub(crate) unresolved_entry: String,
}

/// The outcome for the one name.
#[derive(Debug)]
pub(crate) enum Resolved {
    /// Exactly one mailbox, or several (a Warning), in display-name order.
    Found(Vec<MailboxIdx>),
    /// No result, or a problem.
    Failed(MessageError),
}

/// The answer: whether to write contacts, and the outcome.
pub(crate) type ResolveNamesResponse = (bool, Resolved);

/// "The ResolveNames response returns a maximum of 100 candidates."
const MAX_CANDIDATES: usize = 100;

const SCOPES: [&str; 4] = ["ActiveDirectory", "ActiveDirectoryContacts", "Contacts", "ContactsActiveDirectory"];

impl Operation for ResolveNames {
    const NAME: &'static str = "ResolveNames";
    type Response = ResolveNamesResponse;

    fn parse(node: Node) -> Result<Self, Fault> {
        let raw = node
            .attribute("ReturnFullContactData")
            .ok_or_else(|| read::missing_attribute(node, "ReturnFullContactData"))?;
        let return_full_contact_data = match raw.trim() {
            "true" | "1" => true,
            "false" | "0" => false,
            other => {
                return Err(invalid_attribute(
                    node,
                    "ReturnFullContactData",
                    other,
                    "http://www.w3.org/2001/XMLSchema:boolean",
                    &format!("The string '{other}' is not a valid Boolean value."),
                ))
            }
        };
        let scope = node.attribute("SearchScope").unwrap_or("ActiveDirectoryContacts");
        if !SCOPES.contains(&scope) {
            let xsd = "http://schemas.microsoft.com/exchange/services/2006/types:ResolveNamesSearchScopeType";
            return Err(invalid_attribute(node, "SearchScope", scope, xsd, "The Enumeration constraint failed."));
        }
        if let Some(shape) = node.attribute("ContactDataShape") {
            if !["IdOnly", "Default", "AllProperties", "PcxPeopleSearch"].contains(&shape) {
                let xsd = "http://schemas.microsoft.com/exchange/services/2006/types:DefaultShapeNamesType";
                return Err(invalid_attribute(
                    node,
                    "ContactDataShape",
                    shape,
                    xsd,
                    "The Enumeration constraint failed.",
                ));
            }
        }
        let mut parent_folder_ids = Vec::new();
        let mut unresolved_entry = None;
        for (name, child) in read::in_sequence(node, ns::MESSAGES, &["ParentFolderIds", "UnresolvedEntry"], &[])? {
            if name == "ParentFolderIds" {
                parent_folder_ids = parse_folder_ids(child)?;
            } else {
                let text = read::text(child);
                if text.is_empty() {
                    return Err(read::invalid_value(
                        child,
                        text,
                        "http://schemas.microsoft.com/exchange/services/2006/types:NonEmptyStringType",
                        "The actual length is less than the MinLength value.",
                    ));
                }
                unresolved_entry = Some(text.to_string());
            }
        }
        let unresolved_entry =
            unresolved_entry.ok_or_else(|| read::missing_child(node, "UnresolvedEntry", ns::MESSAGES))?;
        Ok(ResolveNames {
            return_full_contact_data,
            searches_directory: scope != "Contacts",
            parent_folder_ids,
            unresolved_entry,
        })
    }

    fn apply(self, ctx: &mut Ctx<'_>) -> Result<ResolveNamesResponse, Fault> {
        Ok((self.return_full_contact_data, resolve(ctx, &self)))
    }

    fn write((contacts, resolved): &ResolveNamesResponse, ctx: WriteCtx<'_>, out: &mut XmlOut) {
        start_response(out, "m:ResolveNamesResponse");
        out.start("m:ResponseMessages", &[]);
        match resolved {
            Resolved::Failed(e) => {
                write_message::<()>(out, "m:ResolveNamesResponseMessage", &Err(e.clone()), |_, _| {})
            }
            Resolved::Found(found) if found.len() == 1 => {
                write_message(out, "m:ResolveNamesResponseMessage", &Ok(()), |out, _| {
                    write_resolution_set(out, ctx, found, *contacts)
                })
            }
            Resolved::Found(found) => {
                // A Warning carries its payload, which `write_message` leaves out of errors.
                let code = ResponseCode::ErrorNameResolutionMultipleResults;
                out.start("m:ResolveNamesResponseMessage", &[("ResponseClass", "Warning")]);
                out.leaf("m:MessageText", code.default_message());
                out.leaf("m:ResponseCode", code.as_str());
                out.leaf("m:DescriptiveLinkKey", "0");
                write_resolution_set(out, ctx, found, *contacts);
                out.end("m:ResolveNamesResponseMessage");
            }
        }
        out.end("m:ResponseMessages");
        out.end("m:ResolveNamesResponse");
    }

    fn summary((_, resolved): &ResolveNamesResponse) -> ResponseCode {
        match resolved {
            Resolved::Failed(e) => e.code,
            Resolved::Found(found) if found.len() > 1 => ResponseCode::ErrorNameResolutionMultipleResults,
            Resolved::Found(_) => ResponseCode::NoError,
        }
    }
}

fn resolve(ctx: &Ctx<'_>, request: &ResolveNames) -> Resolved {
    if ctx.acting.mailbox.is_none() {
        return Resolved::Failed(MessageError::new(ResponseCode::ErrorNameResolutionNoMailbox));
    }
    for folder in &request.parent_folder_ids {
        match folder_id::resolve(ctx.dir, ctx.acting, folder) {
            // `contacts` is a real folder the mock does not model: an empty contacts folder.
            Err(e) if e.code == ResponseCode::ErrorFolderNotFound => {}
            Err(e) => return Resolved::Failed(e),
            Ok(_) => {}
        }
    }
    let found = if request.searches_directory { candidates(ctx, request.unresolved_entry.trim()) } else { Vec::new() };
    if found.is_empty() {
        Resolved::Failed(MessageError::new(ResponseCode::ErrorNameResolutionNoResults))
    } else {
        Resolved::Found(found)
    }
}

/// The mailboxes a name may mean, sorted by display name.
fn candidates(ctx: &Ctx<'_>, entry: &str) -> Vec<MailboxIdx> {
    let smtp = entry.get(..5).filter(|p| p.eq_ignore_ascii_case("SMTP:")).map(|_| entry[5..].trim());
    if let Some(address) = smtp {
        return ctx.dir.mailbox_by_smtp(address).into_iter().collect();
    }
    if let Some(exact) = ctx.dir.mailbox_by_smtp(entry) {
        return vec![exact];
    }
    let needle = fold(entry);
    if needle.is_empty() {
        return Vec::new();
    }
    let mut found: Vec<MailboxIdx> = (0..ctx.dir.mailboxes.len())
        .filter_map(|i| MailboxIdx::try_from(i).ok())
        .filter(|&idx| {
            let info = ctx.dir.mailbox(idx);
            let name = fold(&info.display_name);
            let local = fold(info.smtp.split('@').next().unwrap_or(""));
            name.starts_with(&needle)
                || name.split_whitespace().any(|w| w.starts_with(&needle))
                || local.starts_with(&needle)
        })
        .collect();
    found.sort_by_key(|&idx| fold(&ctx.dir.mailbox(idx).display_name));
    found
}

fn write_resolution_set(out: &mut XmlOut, ctx: WriteCtx<'_>, found: &[MailboxIdx], contacts: bool) {
    let shown = &found[..found.len().min(MAX_CANDIDATES)];
    let total = found.len().to_string();
    let last = if shown.len() == found.len() { "true" } else { "false" };
    out.start("m:ResolutionSet", &[("TotalItemsInView", &total), ("IncludesLastItemInRange", last)]);
    for &idx in shown {
        let info = ctx.dir.mailbox(idx);
        out.start("t:Resolution", &[]);
        out.start("t:Mailbox", &[]);
        out.leaf("t:Name", &info.display_name);
        out.leaf("t:EmailAddress", &info.smtp);
        out.leaf("t:RoutingType", "SMTP");
        out.leaf("t:MailboxType", "Mailbox");
        out.end("t:Mailbox");
        if contacts {
            out.start("t:Contact", &[]);
            out.leaf("t:DisplayName", &info.display_name);
            out.start("t:EmailAddresses", &[]);
            out.leaf_with("t:Entry", &[("Key", "EmailAddress1")], &format!("SMTP:{}", info.smtp));
            out.end("t:EmailAddresses");
            out.leaf("t:ContactSource", "ActiveDirectory");
            out.end("t:Contact");
        }
        out.end("t:Resolution");
    }
    out.end("m:ResolutionSet");
}
