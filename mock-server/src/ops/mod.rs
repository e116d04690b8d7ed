//! EWS operations, one per file, each with the same three steps (mini-redis `cmd/` style):
//!
//! - `parse`: the operation element → a typed request, or an ErrorSchemaValidation fault;
//! - `apply`: run it against the store under the tenant's lock → a typed response;
//! - `write`: the response → XML, after the lock is released.

pub(crate) mod convert_id;
pub(crate) mod create_item;
pub(crate) mod delete_item;
pub(crate) mod find_folder;
pub(crate) mod find_item;
pub(crate) mod get_folder;
pub(crate) mod get_item;
pub(crate) mod meeting;
pub(crate) mod resolve_names;
pub(crate) mod restriction;
pub(crate) mod update_item;

use roxmltree::Node;

use crate::acting::Acting;
use crate::fault::Fault;
use crate::ids;
use crate::item::{Item, ItemKind};
use crate::response_code::ResponseCode;
use crate::store::State;
use crate::tenant::Directory;
use crate::xml::write::XmlOut;

/// What an operation sees while it runs.
pub(crate) struct Ctx<'a> {
    /// The tenant's directory.
    pub(crate) dir: &'a Directory,
    /// The tenant's items, locked.
    pub(crate) state: &'a mut State,
    /// The mailbox acted as.
    pub(crate) acting: Acting,
    /// "Now", in Unix seconds.
    pub(crate) now: i64,
    /// The tenant's id seed.
    pub(crate) seed: u64,
}

/// What `write` needs: enough to mint ids.
#[derive(Clone, Copy)]
pub(crate) struct WriteCtx<'a> {
    /// The tenant's directory.
    pub(crate) dir: &'a Directory,
    /// The tenant's id seed.
    pub(crate) seed: u64,
}

impl WriteCtx<'_> {
    /// Writes `<t:ItemId Id=… ChangeKey=…/>` for a stored item.
    pub(crate) fn item_id(&self, out: &mut XmlOut, key: u64, item: &Item) {
        let guid = &self.dir.mailbox(item.mailbox).guid;
        out.empty(
            "t:ItemId",
            &[("Id", &ids::item_id(guid, key, self.seed)), ("ChangeKey", &change_key(item, self.seed))],
        );
    }
}

/// The ChangeKey of an item in its current version.
pub(crate) fn change_key(item: &Item, seed: u64) -> String {
    let kind = match item.kind {
        ItemKind::CalendarItem => 0x0F,
        ItemKind::MeetingRequest | ItemKind::MeetingCancellation => 0x0B,
        ItemKind::Message => 0x09,
    };
    ids::change_key(kind, seed, item.change)
}

/// An injected per-message error for any operation: one `ResponseClass="Error"` message, with
/// the empty container the operation's message type requires.
pub(crate) fn injected_error<O: Operation>(
    profile: crate::profile::ServerProfile,
    code: ResponseCode,
    text: &str,
    xml: crate::fault::MessageXml,
) -> (Vec<u8>, ResponseCode) {
    let container = match O::NAME {
        "CreateItem" | "GetItem" | "UpdateItem" => Some("m:Items"),
        "GetFolder" | "FindFolder" => Some("m:Folders"),
        _ => None,
    };
    let error = crate::response::MessageError::with_text(code, text).xml(xml);
    let bytes = crate::xml::write::envelope(Some(profile.server_version_info()), |out| {
        let response = format!("m:{}Response", O::NAME);
        crate::xml::write::start_response(out, &response);
        out.start("m:ResponseMessages", &[]);
        let message: crate::response::Message<()> = Err(error);
        crate::response::write_message(out, &format!("m:{}ResponseMessage", O::NAME), &message, |out, _| {
            if let Some(c) = container {
                out.empty(c, &[]);
            }
        });
        out.end("m:ResponseMessages");
        out.end(&response);
    });
    (bytes, code)
}

/// One EWS operation.
pub(crate) trait Operation: Sized {
    /// The operation's element name, e.g. `CreateItem`.
    const NAME: &'static str;
    /// The typed response.
    type Response;

    /// Reads the operation element.
    fn parse(node: Node) -> Result<Self, Fault>;

    /// Runs the operation.
    fn apply(self, ctx: &mut Ctx<'_>) -> Result<Self::Response, Fault>;

    /// Writes the response element (`m:{NAME}Response`).
    fn write(response: &Self::Response, ctx: WriteCtx<'_>, out: &mut XmlOut);

    /// The response code to record in the journal: the first error, or NoError.
    fn summary(response: &Self::Response) -> ResponseCode;
}
