//! From request bytes to response bytes: parse the envelope, pick the operation, apply the
//! impersonation rules, run it, write the answer. Every input gets an answer: malformed XML, a
//! DTD, a wrong namespace or an unknown operation is a SOAP fault, never a hang-up or a panic.

use std::time::{Duration, Instant};

use roxmltree::{Document, ParsingOptions};

use crate::acting::{self, Acting};
use crate::auth::Caller;
use crate::control::RequestFacts;
use crate::fault::{Fault, MessageXml};
use crate::faults::FaultAction;
use crate::journal::JournalEntry;
use crate::ns;
use crate::ops::{
    convert_id::ConvertId, create_item::CreateItem, delete_item::DeleteItem, find_folder::FindFolder,
    find_item::FindItem, get_folder::GetFolder, get_item::GetItem, resolve_names::ResolveNames,
    update_item::UpdateItem, Ctx, Operation, WriteCtx,
};
use crate::response_code::ResponseCode;
use crate::runtime::{Settings, Tenant};
use crate::soap;
use crate::strict;
use crate::xml::read::{namespace_hint, schema_error};
use crate::xml::write::envelope;

/// What to send back.
#[derive(Debug)]
pub(crate) struct Answer {
    /// 200, 500 or 503.
    pub(crate) status: u16,
    /// The SOAP envelope (empty for 503 and resets).
    pub(crate) body: Vec<u8>,
    /// Wait this long before answering (injected latency).
    pub(crate) delay: Option<Duration>,
    /// Close the connection instead of answering (injected reset).
    pub(crate) reset: bool,
}

/// What an injected fault changes about the answer, beyond its body.
#[derive(Debug, Default)]
struct Injected {
    delay: Option<Duration>,
    http503: bool,
    reset: bool,
}

/// What answering a request found out, for the journal, expectations and strict mode.
#[derive(Debug, Default)]
struct Trace {
    /// The operation's element name, once known.
    operation: String,
    /// The mailbox acted as, once resolved.
    acting_as: Option<u32>,
    /// What an injected fault changes.
    injected: Injected,
    /// Whether the request had a RequestServerVersion header.
    had_version: bool,
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
///
/// `meta` carries the HTTP headers strict mode checks; it is `None` unless the mock runs with
/// `--strict`, so the ordinary path does no extra work.
pub(crate) fn handle(
    tenant: &Tenant,
    settings: &Settings,
    caller: &Caller,
    body: &[u8],
    meta: Option<&strict::HttpMeta>,
) -> Answer {
    let started = Instant::now();
    let caller_name = caller.name(&tenant.dir);
    let mut trace = Trace::default();
    let result = match tenant.throttle.enter(&caller_name) {
        Err(back_off_ms) => Err(server_busy_fault(back_off_ms)),
        Ok(_permit) => answer(tenant, settings, caller, &caller_name, body, &mut trace),
    };
    let violations = match meta {
        Some(meta) => strict::violations(
            meta,
            &tenant.dir,
            trace.operation.as_str(),
            trace.acting_as,
            trace.had_version,
            result.as_ref().err(),
        ),
        None => Vec::new(),
    };
    let Trace { operation, acting_as, injected, .. } = trace;
    let (mut status, mut body_out, mut code) = match result {
        Ok((bytes, code)) => (200, bytes, code.as_str().to_string()),
        Err(fault) => {
            let code = fault.response_code().map_or("VersionMismatch", |c| c.as_str()).to_string();
            (500, fault.to_xml(), code)
        }
    };
    if injected.http503 {
        (status, body_out, code) = (503, Vec::new(), "Http503".to_string());
    } else if injected.reset {
        (status, body_out, code) = (0, Vec::new(), "ConnectionReset".to_string());
    }
    let acting_as = acting_as.map(|mb| tenant.dir.mailbox(mb).smtp.clone());
    tenant.expectations.observe(&RequestFacts {
        operation: &operation,
        acting_as: acting_as.as_deref(),
        caller: &caller_name,
    });
    tenant.journal.record(
        JournalEntry {
            seq: 0,
            operation,
            caller: caller_name,
            acting_as,
            status,
            response_code: code,
            duration: started.elapsed() + injected.delay.unwrap_or_default(),
            request_xml: String::new(),
            response_xml: String::new(),
            violations,
        },
        // Copies, not text: turned into text only when the journal is read.
        crate::journal::clip(body),
        crate::journal::clip(&body_out),
    );
    Answer { status, body: body_out, delay: injected.delay, reset: injected.reset }
}

/// ErrorServerBusy as Exchange sends it when throttled: a fault with BackOffMilliseconds.
fn server_busy_fault(back_off_ms: u64) -> Fault {
    Fault::new(ResponseCode::ErrorServerBusy)
        .message_xml(MessageXml::Values(vec![("BackOffMilliseconds".into(), back_off_ms.to_string())]))
}

fn answer(
    tenant: &Tenant,
    settings: &Settings,
    caller: &Caller,
    caller_name: &str,
    body: &[u8],
    trace: &mut Trace,
) -> Result<(Vec<u8>, ResponseCode), Fault> {
    let text = std::str::from_utf8(body).map_err(|e| {
        let (line, col) = line_col(body, e.valid_up_to());
        Fault::schema(line, col, format!("Invalid character in the given encoding. Line {line}, position {col}."))
    })?;
    crate::limits::check_shape(body, &settings.limits)?;
    let nodes_limit = settings.limits.max_xml_nodes;
    let options = ParsingOptions { allow_dtd: false, nodes_limit, ..ParsingOptions::default() };
    let doc = Document::parse_with_options(text, options).map_err(|e| {
        let (line, col, violation) = crate::xml::diagnose::describe(&e, text, nodes_limit);
        Fault::schema(line, col, violation)
    })?;
    let env = soap::parse(&doc, tenant.dir.profile)?;
    let op = env.operation;
    trace.operation = op.tag_name().name().to_string();
    trace.had_version = env.headers.version.is_some();
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
    let run = Runner { tenant, settings, caller, caller_name, header: env.headers.impersonation.as_ref() };
    match op.tag_name().name() {
        CreateItem::NAME => run.op::<CreateItem>(op, trace),
        GetFolder::NAME => run.op::<GetFolder>(op, trace),
        FindFolder::NAME => run.op::<FindFolder>(op, trace),
        ConvertId::NAME => run.op::<ConvertId>(op, trace),
        ResolveNames::NAME => run.op::<ResolveNames>(op, trace),
        GetItem::NAME => run.op::<GetItem>(op, trace),
        FindItem::NAME => run.op::<FindItem>(op, trace),
        UpdateItem::NAME => run.op::<UpdateItem>(op, trace),
        DeleteItem::NAME => run.op::<DeleteItem>(op, trace),
        // Not ErrorInvalidRequest: exchangelib reads that as "wrong API version" and retries every
        // version, losing the message. ErrorInvalidOperation reaches the user as it is.
        name if KNOWN_UNSUPPORTED.contains(&name) => Err(Fault::with_text(
            ResponseCode::ErrorInvalidOperation,
            format!("ews-mock does not implement the EWS operation '{name}'."),
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
    caller_name: &'a str,
    header: Option<&'a soap::ConnectingSid>,
}

impl Runner<'_> {
    fn op<O: Operation>(&self, node: roxmltree::Node, trace: &mut Trace) -> Result<(Vec<u8>, ResponseCode), Fault> {
        let injected = &mut trace.injected;
        // Exchange validates the whole request before it acts on any of it.
        let request = O::parse(node)?;
        let dir = &self.tenant.dir;
        let acting: Acting = acting::resolve(dir, self.caller, self.header)?;
        trace.acting_as = acting.mailbox;
        let facts = RequestFacts {
            operation: O::NAME,
            acting_as: acting.mailbox.map(|mb| dir.mailbox(mb).smtp.as_str()),
            caller: self.caller_name,
        };
        if let Some(action) = self.tenant.faults.fire(&facts) {
            match action {
                FaultAction::ServerBusyFault { back_off_ms } => return Err(server_busy_fault(back_off_ms)),
                FaultAction::Fault { code, message } => {
                    let code = response_code(&code);
                    return Err(Fault::with_text(code, message.unwrap_or_else(|| code.default_message().to_string())));
                }
                FaultAction::ServerBusyMessage { back_off_ms } => {
                    let xml = MessageXml::Values(vec![("BackOffMilliseconds".into(), back_off_ms.to_string())]);
                    let text = ResponseCode::ErrorServerBusy.default_message();
                    return Ok(crate::ops::injected_error::<O>(dir.profile, ResponseCode::ErrorServerBusy, text, xml));
                }
                FaultAction::MessageError { code, message } => {
                    let code = response_code(&code);
                    let text = message.unwrap_or_else(|| code.default_message().to_string());
                    return Ok(crate::ops::injected_error::<O>(dir.profile, code, &text, MessageXml::None));
                }
                FaultAction::Http503 => {
                    injected.http503 = true;
                    return Ok((Vec::new(), ResponseCode::ErrorServerBusy));
                }
                FaultAction::Reset => {
                    injected.reset = true;
                    return Ok((Vec::new(), ResponseCode::ErrorServerBusy));
                }
                FaultAction::Latency { ms } => injected.delay = Some(Duration::from_millis(ms)),
            }
        }
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

/// A configured response code; unknown names were refused when the rule was added.
fn response_code(name: &str) -> ResponseCode {
    ResponseCode::from_name(name).unwrap_or(ResponseCode::ErrorInternalServerError)
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
