//! Resolving the folder ids of a request (`t:FolderId`, `t:DistinguishedFolderId`) to a
//! mailbox folder, with Exchange's errors.
//!
//! A `DistinguishedFolderId` names a folder of the mailbox acted as, or of the mailbox its
//! `t:Mailbox` child names. A `FolderId` embeds its mailbox. Either way the folder must belong
//! to the mailbox acted as: the mock has no delegate permissions, so another mailbox's folder is
//! ErrorAccessDenied, and an account without a mailbox must name one (ErrorMissingEmailAddress).

use roxmltree::Node;

use crate::acting::Acting;
use crate::fault::Fault;
use crate::ids::{self, IdError, IdTarget};
use crate::item::parse::email_address;
use crate::ns;
use crate::response::MessageError;
use crate::response_code::ResponseCode;
use crate::store::FolderKind;
use crate::tenant::{Directory, MailboxIdx};
use crate::xml::read::{self, elements, invalid_attribute, is, missing_attribute};

/// Every `DistinguishedFolderIdNameType` value of the Exchange Online schema.
const DISTINGUISHED_NAMES: &[&str] = &[
    "calendar",
    "contacts",
    "deleteditems",
    "drafts",
    "inbox",
    "journal",
    "notes",
    "outbox",
    "sentitems",
    "tasks",
    "msgfolderroot",
    "publicfoldersroot",
    "root",
    "junkemail",
    "searchfolders",
    "voicemail",
    "recoverableitemsroot",
    "recoverableitemsdeletions",
    "recoverableitemsversions",
    "recoverableitemspurges",
    "recoverableitemsdiscoveryholds",
    "archiveroot",
    "archivemsgfolderroot",
    "archivedeleteditems",
    "archiveinbox",
    "archiverecoverableitemsroot",
    "archiverecoverableitemsdeletions",
    "archiverecoverableitemsversions",
    "archiverecoverableitemspurges",
    "archiverecoverableitemsdiscoveryholds",
    "syncissues",
    "conflicts",
    "localfailures",
    "serverfailures",
    "recipientcache",
    "quickcontacts",
    "conversationhistory",
    "adminauditlogs",
    "todosearch",
    "mycontacts",
    "directory",
    "imcontactlist",
    "peopleconnect",
    "favorites",
    "mecontact",
    "personmetadata",
    "teamspaceactivity",
    "teamspacemessaging",
    "teamspaceworkitems",
    "scheduled",
    "orionnotes",
    "tagitems",
    "alltaggeditems",
    "allcategorizeditems",
    "externalcontacts",
    "teamchat",
    "teamchathistory",
    "yammerdata",
    "yammerroot",
    "yammerinbound",
    "yammeroutbound",
    "yammerfeeds",
    "kaizaladata",
    "messageingestion",
    "onedriveroot",
    "onedriverecylebin",
    "onedrivesystem",
    "onedrivevolume",
    "important",
    "starred",
    "archive",
];

/// A folder id as the request wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FolderRef {
    /// `t:DistinguishedFolderId Id="…"` with an optional `t:Mailbox/t:EmailAddress`.
    Distinguished {
        /// The `Id` value (a valid schema name, possibly one the mock does not model).
        name: String,
        /// The mailbox address, if given.
        mailbox: Option<String>,
    },
    /// `t:FolderId Id="…"`.
    Id(String),
}

/// Reads a `t:FolderId` or `t:DistinguishedFolderId` element; `None` for other elements.
pub(crate) fn parse(node: Node) -> Result<Option<FolderRef>, Fault> {
    if is(node, ns::TYPES, "FolderId") {
        let id = node.attribute("Id").ok_or_else(|| missing_attribute(node, "Id"))?;
        return Ok(Some(FolderRef::Id(id.to_string())));
    }
    if !is(node, ns::TYPES, "DistinguishedFolderId") {
        return Ok(None);
    }
    let name = node.attribute("Id").ok_or_else(|| missing_attribute(node, "Id"))?;
    if !DISTINGUISHED_NAMES.contains(&name) {
        return Err(invalid_attribute(
            node,
            "Id",
            name,
            "http://schemas.microsoft.com/exchange/services/2006/types:DistinguishedFolderIdNameType",
            "The Enumeration constraint failed.",
        ));
    }
    let mut mailbox = None;
    for child in elements(node) {
        if is(child, ns::TYPES, "Mailbox") && mailbox.is_none() {
            mailbox = Some(email_address(child)?.1.to_string());
        } else {
            return Err(read::invalid_child(node, child, &["Mailbox"], ns::TYPES));
        }
    }
    Ok(Some(FolderRef::Distinguished { name: name.to_string(), mailbox }))
}

/// Resolves a folder reference for the mailbox acted as.
pub(crate) fn resolve(
    dir: &Directory,
    acting: Acting,
    folder: &FolderRef,
) -> Result<(MailboxIdx, FolderKind), MessageError> {
    match folder {
        FolderRef::Distinguished { name, mailbox } => {
            let target = match mailbox {
                Some(smtp) => dir.mailbox_by_smtp(smtp.trim()).ok_or_else(|| {
                    MessageError::with_text(
                        ResponseCode::ErrorNonExistentMailbox,
                        format!("The SMTP address has no mailbox associated with it: {smtp}"),
                    )
                })?,
                None => acting.mailbox.ok_or_else(|| MessageError::new(ResponseCode::ErrorMissingEmailAddress))?,
            };
            if Some(target) != acting.mailbox {
                return Err(access_denied(dir, target));
            }
            let kind = FolderKind::from_distinguished_id(name).ok_or_else(|| {
                MessageError::with_text(
                    ResponseCode::ErrorFolderNotFound,
                    format!("The specified folder could not be found in the store. ews-mock models the folders root, msgfolderroot, calendar, inbox, sentitems, deleteditems and drafts, not '{name}'."),
                )
            })?;
            Ok((target, kind))
        }
        FolderRef::Id(id) => {
            let decoded = ids::decode(id).map_err(|e| match e {
                IdError::Empty => MessageError::new(ResponseCode::ErrorInvalidIdEmpty),
                IdError::Malformed => MessageError::new(ResponseCode::ErrorInvalidIdMalformed),
            })?;
            let IdTarget::Folder(kind) = decoded.target else {
                return Err(MessageError::new(ResponseCode::ErrorInvalidFolderId));
            };
            let target = dir.mailbox_by_guid(&decoded.mailbox_guid).ok_or_else(|| {
                MessageError::with_text(ResponseCode::ErrorNonExistentMailbox, "No mailbox with such guid.")
            })?;
            if Some(target) != acting.mailbox {
                return Err(access_denied(dir, target));
            }
            Ok((target, kind))
        }
    }
}

fn access_denied(dir: &Directory, target: MailboxIdx) -> MessageError {
    MessageError::with_text(
        ResponseCode::ErrorAccessDenied,
        format!(
            "Access is denied. Check credentials and try again. The folder belongs to {}, which this request does not act as; impersonate that mailbox with an ExchangeImpersonation header.",
            dir.mailbox(target).smtp
        ),
    )
}
