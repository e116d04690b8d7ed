//! From request bytes to response bytes: parse the envelope, pick the operation, apply the
//! impersonation rules, run it, write the answer. Every input gets an answer: malformed XML, a
//! DTD, a wrong namespace or an unknown operation is a SOAP fault, never a hang-up or a panic.

use std::time::Instant;

use roxmltree::{Document, ParsingOptions};

use crate::acting::{self, Acting};
use crate::auth::Caller;
use crate::fault::Fault;
use crate::journal::JournalEntry;
use crate::ns;
use crate::ops::{create_item::CreateItem, delete_item::DeleteItem, update_item::UpdateItem, Ctx, Operation, WriteCtx};
use crate::response_code::ResponseCode;
use crate::runtime::{Settings, Tenant};
use crate::soap;
use crate::xml::read::{namespace_hint, schema_error};
use crate::xml::write::envelope;

/// Nodes one request may have; a bound on memory for hostile input.
const NODES_LIMIT: u32 = 1_000_000;

/// What to send back.
#[derive(Debug)]
pub(crate) struct Answer {
    /// 200 or 500.
    pub(crate) status: u16,
    /// The SOAP envelope.
    pub(crate) body: Vec<u8>,
}

/// Operations of EWS that the mock does not implement get this fault, so the user knows the gap
/// is the mock's and not their request's.
const KNOWN_UNSUPPORTED: &[&str] = &[
    "GetUserAvailability",
    "SyncFolderItems",
    "SyncFolderHierarchy",
    "Subscribe",
    "GetEvents",
    "GetStreamingEvents",
    "CopyItem",
    "MoveItem",
    "SendItem",
    "CreateAttachment",
    "GetAttachment",
    "DeleteAttachment",
    "CreateFolder",
    "DeleteFolder",
    "UpdateFolder",
    "EmptyFolder",
    "ExpandDL",
    "GetUserOofSettings",
    "SetUserOofSettings",
    "GetServerTimeZones",
    "GetRoomLists",
    "GetRooms",
    "FindPeople",
    "GetInboxRules",
    "UpdateInboxRules",
];

/// Answers one EWS request from an authenticated caller.
pub(crate) fn handle(tenant: &Tenant, settings: &Settings, caller: &Caller, body: &[u8]) -> Answer {
    let started = Instant::now();
    let mut operation = String::new();
    let mut acting_as = None;
    let result = answer(tenant, settings, caller, body, &mut operation, &mut acting_as);
    let (status, body_out, code) = match result {
        Ok((bytes, code)) => (200, bytes, code.as_str().to_string()),
        Err(fault) => {
            let code = fault.response_code().map_or("VersionMismatch", |c| c.as_str()).to_string();
            (500, fault.to_xml(), code)
        }
    };
    tenant.journal.record(JournalEntry {
        seq: 0,
        operation,
        caller: caller.name(&tenant.dir),
        acting_as: acting_as.map(|mb| tenant.dir.mailbox(mb).smtp.clone()),
        status,
        response_code: code,
        duration: started.elapsed(),
        request_xml: String::from_utf8_lossy(body).into_owned(),
        response_xml: String::from_utf8_lossy(&body_out).into_owned(),
    });
    Answer { status, body: body_out }
}

fn answer(
    tenant: &Tenant,
    settings: &Settings,
    caller: &Caller,
    body: &[u8],
    operation: &mut String,
    acting_as: &mut Option<u32>,
) -> Result<(Vec<u8>, ResponseCode), Fault> {
    let text = std::str::from_utf8(body).map_err(|e| {
        let (line, col) = line_col(body, e.valid_up_to());
        Fault::schema(line, col, format!("Invalid character in the given encoding. Line {line}, position {col}."))
    })?;
    let options = ParsingOptions { allow_dtd: false, nodes_limit: NODES_LIMIT };
    let doc = Document::parse_with_options(text, options).map_err(xml_fault)?;
    let env = soap::parse(&doc, tenant.dir.profile)?;
    let op = env.operation;
    *operation = op.tag_name().name().to_string();
    if op.tag_name().namespace() != Some(ns::MESSAGES) {
        return Err(schema_error(
            op,
            format!(
                "The element '{}' in namespace '{}' is not an EWS operation; operations are in namespace '{}'.{}",
                op.tag_name().name(),
                op.tag_name().namespace().unwrap_or(""),
                ns::MESSAGES,
                namespace_hint(op)
            ),
        ));
    }
    let run = Runner { tenant, settings, caller, header: env.headers.impersonation.as_ref() };
    match op.tag_name().name() {
        CreateItem::NAME => run.op::<CreateItem>(op, acting_as),
        UpdateItem::NAME => run.op::<UpdateItem>(op, acting_as),
        DeleteItem::NAME => run.op::<DeleteItem>(op, acting_as),
        name if KNOWN_UNSUPPORTED.contains(&name) => Err(Fault::with_text(
            ResponseCode::ErrorInvalidRequest,
            format!("The request is invalid: ews-mock does not implement the EWS operation '{name}'."),
        )),
        name => Err(Fault::with_text(
            ResponseCode::ErrorInvalidRequest,
            format!("The request is invalid: '{name}' is not an EWS operation."),
        )),
    }
}

struct Runner<'a> {
    tenant: &'a Tenant,
    settings: &'a Settings,
    caller: &'a Caller,
    header: Option<&'a soap::ConnectingSid>,
}

impl Runner<'_> {
    fn op<O: Operation>(
        &self,
        node: roxmltree::Node,
        acting_as: &mut Option<u32>,
    ) -> Result<(Vec<u8>, ResponseCode), Fault> {
        // Exchange validates the whole request before it acts on any of it.
        let request = O::parse(node)?;
        let dir = &self.tenant.dir;
        let acting: Acting = acting::resolve(dir, self.caller, self.header)?;
        *acting_as = acting.mailbox;
        let now = self.settings.clock.now().timestamp();
        let response = {
            let mut state = self.tenant.store.lock();
            let mut ctx = Ctx { dir, state: &mut state, acting, now, seed: self.tenant.seed };
            request.apply(&mut ctx)?
        };
        let code = O::summary(&response);
        let ctx = WriteCtx { dir, seed: self.tenant.seed };
        let bytes = envelope(Some(dir.profile.server_version_info()), |out| O::write(&response, ctx, out));
        Ok((bytes, code))
    }
}

/// A malformed document, as .NET's XmlReader words it, inside ErrorSchemaValidation.
fn xml_fault(e: roxmltree::Error) -> Fault {
    let pos = e.pos();
    let violation = match e {
        roxmltree::Error::DtdDetected => format!(
            "For security reasons DTD is prohibited in this XML document. Line {}, position {}.",
            pos.row, pos.col
        ),
        roxmltree::Error::NodesLimitReached => format!("The request has more than {NODES_LIMIT} XML nodes."),
        other => format!("{other}"),
    };
    Fault::schema(pos.row, pos.col, violation)
}

fn line_col(bytes: &[u8], offset: usize) -> (u32, u32) {
    let before = &bytes[..offset.min(bytes.len())];
    let line = before.iter().filter(|b| **b == b'\n').count() as u32 + 1;
    let col = before.iter().rev().take_while(|b| **b != b'\n').count() as u32 + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_count_from_one() {
        assert_eq!(line_col(b"ab\ncd", 4), (2, 2));
        assert_eq!(line_col(b"x", 0), (1, 1));
    }
}
