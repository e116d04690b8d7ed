//! GetFolder, FindFolder, ConvertId and ResolveNames over real HTTP, as raw SOAP.
//!
//! Each test starts its own mock on port 0 with a fixed clock and id seed, and talks to it with
//! a tiny blocking HTTP/1.1 client, so what is checked is exactly what a client receives.
//! Set `EWS_MOCK_DUMP_DIR` to keep every response body there, e.g. for
//! `validate_ews_xml.py` (the EWS schema check).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ews_mock::{Clock, MockEws, TenantConfig};
use roxmltree::{Document, Node};

const M: &str = "http://schemas.microsoft.com/exchange/services/2006/messages";
const T: &str = "http://schemas.microsoft.com/exchange/services/2006/types";

fn start() -> MockEws {
    start_with(TenantConfig::demo())
}

fn start_with(tenant: TenantConfig) -> MockEws {
    let at = "2026-01-05T09:00:00Z".parse().expect("valid time");
    MockEws::builder().tenant(tenant).clock(Clock::fixed(at)).id_seed(7).start().expect("mock starts")
}

/// An HTTP answer.
struct Reply {
    status: u16,
    body: String,
}

impl Reply {
    fn doc(&self) -> Document<'_> {
        Document::parse(&self.body).unwrap_or_else(|e| panic!("response is not XML ({e}):\n{}", self.body))
    }
}

static DUMPED: AtomicUsize = AtomicUsize::new(0);

/// POSTs a SOAP envelope as `user` (password `password`) and reads the whole answer.
fn post(mock: &MockEws, user: &str, envelope: &str) -> Reply {
    let mut stream = TcpStream::connect(mock.address()).expect("connect");
    let auth = STANDARD.encode(format!("{user}:password"));
    let request = format!(
        "POST /EWS/Exchange.asmx HTTP/1.1\r\nHost: {}\r\nContent-Type: text/xml; charset=utf-8\r\nAuthorization: Basic {auth}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{envelope}",
        mock.address(),
        envelope.len()
    );
    stream.write_all(request.as_bytes()).expect("send");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read");
    let raw = String::from_utf8(raw).expect("UTF-8 answer");
    let (head, body) = raw.split_once("\r\n\r\n").expect("HTTP head and body");
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("status code");
    let body =
        if head.to_ascii_lowercase().contains("transfer-encoding: chunked") { unchunk(body) } else { body.into() };
    if let Ok(dir) = std::env::var("EWS_MOCK_DUMP_DIR") {
        let n = DUMPED.fetch_add(1, Ordering::SeqCst);
        let name = format!("{dir}/{}-{n}.xml", std::thread::current().name().unwrap_or("test").replace("::", "-"));
        std::fs::write(name, &body).expect("dump response");
    }
    Reply { status, body }
}

fn unchunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).expect("chunk size");
        if size == 0 {
            break;
        }
        out.push_str(&rest[..size]);
        body = &rest[size + 2..];
    }
    out
}

/// A SOAP envelope with `RequestServerVersion`, optional impersonation, and `body`.
fn envelope(impersonate: Option<&str>, body: &str) -> String {
    let imp = impersonate.map_or(String::new(), |smtp| {
        format!("<t:ExchangeImpersonation><t:ConnectingSID><t:PrimarySmtpAddress>{smtp}</t:PrimarySmtpAddress></t:ConnectingSID></t:ExchangeImpersonation>")
    });
    format!(
        "<?xml version='1.0' encoding='utf-8'?>\n<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:m=\"{M}\" xmlns:t=\"{T}\"><s:Header><t:RequestServerVersion Version=\"Exchange2016\"/>{imp}</s:Header><s:Body>{body}</s:Body></s:Envelope>"
    )
}

/// exchangelib's folder shape (wire/03): IdOnly plus the folder properties it reads.
const EXCHANGELIB_SHAPE: &str = "<m:FolderShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties><t:FieldURI FieldURI=\"folder:ChildFolderCount\"/><t:FieldURI FieldURI=\"folder:DisplayName\"/><t:FieldURI FieldURI=\"folder:DistinguishedFolderId\"/><t:FieldURI FieldURI=\"folder:EffectiveRights\"/><t:FieldURI FieldURI=\"folder:FolderClass\"/><t:FieldURI FieldURI=\"folder:FolderId\"/><t:FieldURI FieldURI=\"folder:ParentFolderId\"/><t:FieldURI FieldURI=\"folder:PermissionSet\"/><t:FieldURI FieldURI=\"folder:TotalCount\"/><t:FieldURI FieldURI=\"folder:UnreadCount\"/></t:AdditionalProperties></m:FolderShape>";

fn shape(base: &str) -> String {
    format!("<m:FolderShape><t:BaseShape>{base}</t:BaseShape></m:FolderShape>")
}

fn distinguished(id: &str, mailbox: Option<&str>) -> String {
    match mailbox {
        Some(smtp) => format!("<t:DistinguishedFolderId Id=\"{id}\"><t:Mailbox><t:EmailAddress>{smtp}</t:EmailAddress><t:RoutingType>SMTP</t:RoutingType><t:MailboxType>Mailbox</t:MailboxType></t:Mailbox></t:DistinguishedFolderId>"),
        None => format!("<t:DistinguishedFolderId Id=\"{id}\"/>"),
    }
}

fn get_folder(shape: &str, ids: &str) -> String {
    format!("<m:GetFolder>{shape}<m:FolderIds>{ids}</m:FolderIds></m:GetFolder>")
}

fn find(doc: &Document<'_>, local: &str) -> Vec<String> {
    doc.descendants().filter(|n| n.tag_name().name() == local).map(|n| n.text().unwrap_or("").to_string()).collect()
}

fn nodes<'a, 'i>(doc: &'a Document<'i>, local: &str) -> Vec<Node<'a, 'i>> {
    doc.descendants().filter(|n| n.is_element() && n.tag_name().name() == local).collect()
}

fn child_names(node: Node<'_, '_>) -> Vec<String> {
    node.children().filter(Node::is_element).map(|c| c.tag_name().name().to_string()).collect()
}

fn classes(doc: &Document<'_>, message: &str) -> Vec<String> {
    nodes(doc, message).iter().map(|n| n.attribute("ResponseClass").unwrap_or("").to_string()).collect()
}

fn fault_code(reply: &Reply) -> String {
    assert_eq!(reply.status, 500, "{}", reply.body);
    find(&reply.doc(), "ResponseCode").into_iter().next().expect("fault detail has a ResponseCode")
}

fn create_meeting(mock: &MockEws, organizer: &str, attendee: &str) {
    let body = format!("<m:CreateItem SendMeetingInvitations=\"SendToAllAndSaveCopy\"><m:SavedItemFolderId>{}</m:SavedItemFolderId><m:Items><t:CalendarItem><t:Subject>Plan</t:Subject><t:Start>2026-01-06T10:00:00Z</t:Start><t:End>2026-01-06T11:00:00Z</t:End><t:RequiredAttendees><t:Attendee><t:Mailbox><t:EmailAddress>{attendee}</t:EmailAddress></t:Mailbox></t:Attendee></t:RequiredAttendees></t:CalendarItem></m:Items></m:CreateItem>", distinguished("calendar", None));
    let reply = post(mock, organizer, &envelope(None, &body));
    assert_eq!(classes(&reply.doc(), "CreateItemResponseMessage"), ["Success"], "{}", reply.body);
}

// ---- GetFolder -------------------------------------------------------------------------------

#[test]
fn get_folder_root_and_calendar_as_exchangelib_asks_give_folder_and_calendar_folder_in_schema_order() {
    let mock = start();
    let ids =
        distinguished("root", Some("alfred@contoso.com")) + &distinguished("calendar", Some("alfred@contoso.com"));
    let reply = post(
        &mock,
        "svc-calendar@contoso.com",
        &envelope(Some("alfred@contoso.com"), &get_folder(EXCHANGELIB_SHAPE, &ids)),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    let doc = reply.doc();
    assert_eq!(classes(&doc, "GetFolderResponseMessage"), ["Success", "Success"]);
    let root = nodes(&doc, "Folder")[0];
    assert_eq!(
        child_names(root),
        [
            "FolderId",
            "DisplayName",
            "TotalCount",
            "ChildFolderCount",
            "EffectiveRights",
            "DistinguishedFolderId",
            "UnreadCount"
        ],
        "root has no parent and no FolderClass"
    );
    let calendar = nodes(&doc, "CalendarFolder")[0];
    assert_eq!(
        child_names(calendar),
        [
            "FolderId",
            "ParentFolderId",
            "FolderClass",
            "DisplayName",
            "TotalCount",
            "ChildFolderCount",
            "EffectiveRights",
            "DistinguishedFolderId"
        ],
        "CalendarFolderType has no UnreadCount"
    );
    assert_eq!(find(&doc, "FolderClass"), ["IPF.Appointment"]);
    assert_eq!(find(&doc, "DisplayName"), ["", "Calendar"]);
    assert_eq!(find(&doc, "ChildFolderCount"), ["1", "0"]);
    let change_key = nodes(&doc, "FolderId")[0].attribute("ChangeKey").expect("ChangeKey");
    assert!(change_key.starts_with("AQAAA"), "folder ChangeKeys start like Exchange's: {change_key}");
    assert!(reply.body.contains("ServerVersionInfo"));
}

#[test]
fn get_folder_default_shape_without_a_mailbox_child_reads_the_signed_in_users_inbox() {
    let mock = start();
    let reply = post(
        &mock,
        "alfred@contoso.com",
        &envelope(None, &get_folder(&shape("Default"), &distinguished("inbox", None))),
    );
    let doc = reply.doc();
    let folder = nodes(&doc, "Folder")[0];
    assert_eq!(child_names(folder), ["FolderId", "DisplayName", "TotalCount", "ChildFolderCount", "UnreadCount"]);
    assert_eq!(find(&doc, "DisplayName"), ["Inbox"]);
    assert_eq!(find(&doc, "TotalCount"), ["0"]);
}

#[test]
fn get_folder_all_properties_names_the_parent_and_the_folder_class() {
    let mock = start();
    let reply = post(
        &mock,
        "alfred@contoso.com",
        &envelope(None, &get_folder(&shape("AllProperties"), &distinguished("sentitems", None))),
    );
    let doc = reply.doc();
    assert_eq!(
        child_names(nodes(&doc, "Folder")[0]),
        [
            "FolderId",
            "ParentFolderId",
            "FolderClass",
            "DisplayName",
            "TotalCount",
            "ChildFolderCount",
            "EffectiveRights",
            "UnreadCount"
        ]
    );
    assert_eq!(find(&doc, "FolderClass"), ["IPF.Note"]);
    assert_eq!(find(&doc, "DisplayName"), ["Sent Items"]);
    // The parent is msgfolderroot: the same id GetFolder gives for it.
    let parent = nodes(&doc, "ParentFolderId")[0].attribute("Id").expect("Id").to_string();
    let top = post(
        &mock,
        "alfred@contoso.com",
        &envelope(None, &get_folder(&shape("IdOnly"), &distinguished("msgfolderroot", None))),
    );
    assert_eq!(nodes(&top.doc(), "FolderId")[0].attribute("Id"), Some(parent.as_str()));
}

#[test]
fn get_folder_by_the_returned_folder_id_gives_the_same_folder() {
    let mock = start();
    let first = post(
        &mock,
        "chris@contoso.com",
        &envelope(None, &get_folder(&shape("IdOnly"), &distinguished("calendar", None))),
    );
    let id = nodes(&first.doc(), "FolderId")[0].attribute("Id").expect("Id").to_string();
    let again = post(
        &mock,
        "chris@contoso.com",
        &envelope(None, &get_folder(&shape("Default"), &format!("<t:FolderId Id=\"{id}\"/>"))),
    );
    let doc = again.doc();
    assert_eq!(nodes(&doc, "CalendarFolder").len(), 1, "{}", again.body);
    assert_eq!(nodes(&doc, "FolderId")[0].attribute("Id"), Some(id.as_str()));
    assert_eq!(find(&doc, "DisplayName"), ["Calendar"]);
}

#[test]
fn get_folder_answers_each_id_in_order_and_errors_carry_an_empty_folders_element() {
    let mock = start();
    let ids = distinguished("calendar", None)
        + "<t:FolderId Id=\"AAAA\"/>"
        + &distinguished("contacts", None)
        + "<t:FolderId Id=\"\"/>"
        + &distinguished("inbox", None);
    let reply = post(&mock, "alfred@contoso.com", &envelope(None, &get_folder(&shape("IdOnly"), &ids)));
    assert_eq!(reply.status, 200, "{}", reply.body);
    let doc = reply.doc();
    assert_eq!(classes(&doc, "GetFolderResponseMessage"), ["Success", "Error", "Error", "Error", "Success"]);
    assert_eq!(
        find(&doc, "ResponseCode"),
        ["NoError", "ErrorInvalidIdMalformed", "ErrorFolderNotFound", "ErrorInvalidIdEmpty", "NoError"]
    );
    let error = nodes(&doc, "GetFolderResponseMessage")[1];
    assert_eq!(child_names(error), ["MessageText", "ResponseCode", "DescriptiveLinkKey", "Folders"]);
    assert_eq!(error.children().rfind(Node::is_element).map(|f| f.has_children()), Some(false));
}

#[test]
fn get_folder_counts_what_create_item_delivered() {
    let mock = start();
    create_meeting(&mock, "alfred@contoso.com", "sonyaf@contoso.com");
    let ids = distinguished("calendar", None) + &distinguished("inbox", None) + &distinguished("sentitems", None);
    let sonya = post(
        &mock,
        "svc-calendar@contoso.com",
        &envelope(Some("sonyaf@contoso.com"), &get_folder(&shape("Default"), &ids)),
    );
    let doc = sonya.doc();
    assert_eq!(find(&doc, "TotalCount"), ["1", "1", "0"], "tentative copy in calendar, request in inbox");
    assert_eq!(find(&doc, "UnreadCount"), ["1", "0"], "the delivered request is unread");
    let alfred = post(&mock, "alfred@contoso.com", &envelope(None, &get_folder(&shape("Default"), &ids)));
    let doc = alfred.doc();
    assert_eq!(find(&doc, "TotalCount"), ["1", "0", "1"], "organizer's meeting and Sent Items copy");
    assert_eq!(find(&doc, "UnreadCount"), ["0", "0"], "the organizer's own copy is read");
}

#[test]
fn get_folder_impersonating_a_nonexistent_mailbox_is_an_error_non_existent_mailbox_fault() {
    let mock = start();
    let body = get_folder(EXCHANGELIB_SHAPE, &distinguished("root", Some("nobody@contoso.com")));
    let reply = post(&mock, "svc-calendar@contoso.com", &envelope(Some("nobody@contoso.com"), &body));
    assert_eq!(fault_code(&reply), "ErrorNonExistentMailbox");
}

#[test]
fn get_folder_impersonating_outside_the_scope_is_an_error_impersonate_user_denied_fault() {
    let mock = start();
    let body = get_folder(EXCHANGELIB_SHAPE, &distinguished("root", Some("alfred@contoso.com")));
    let reply = post(&mock, "svc-sales@contoso.com", &envelope(Some("alfred@contoso.com"), &body));
    assert_eq!(fault_code(&reply), "ErrorImpersonateUserDenied");
    let allowed = post(
        &mock,
        "svc-sales@contoso.com",
        &envelope(
            Some("sonyaf@contoso.com"),
            &get_folder(EXCHANGELIB_SHAPE, &distinguished("root", Some("sonyaf@contoso.com"))),
        ),
    );
    assert_eq!(classes(&allowed.doc(), "GetFolderResponseMessage"), ["Success"]);
}

#[test]
fn mailbox_less_service_account_without_mailbox_child_gets_error_missing_email_address() {
    let mock = start();
    let reply = post(
        &mock,
        "svc-calendar@contoso.com",
        &envelope(None, &get_folder(&shape("IdOnly"), &distinguished("calendar", None))),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(find(&reply.doc(), "ResponseCode"), ["ErrorMissingEmailAddress"]);
}

#[test]
fn another_users_folder_without_impersonation_is_access_denied() {
    let mock = start();
    let reply = post(
        &mock,
        "alfred@contoso.com",
        &envelope(None, &get_folder(&shape("IdOnly"), &distinguished("calendar", Some("chris@contoso.com")))),
    );
    assert_eq!(find(&reply.doc(), "ResponseCode"), ["ErrorAccessDenied"]);
}

#[test]
fn unknown_distinguished_folder_name_is_a_schema_validation_fault() {
    let mock = start();
    let reply = post(
        &mock,
        "alfred@contoso.com",
        &envelope(None, &get_folder(&shape("IdOnly"), &distinguished("inbox1", None))),
    );
    assert_eq!(fault_code(&reply), "ErrorSchemaValidation");
}

// ---- FindFolder ------------------------------------------------------------------------------

fn find_folder(traversal: &str, view: &str, parent: &str) -> String {
    format!("<m:FindFolder Traversal=\"{traversal}\">{}{view}<m:ParentFolderIds>{parent}</m:ParentFolderIds></m:FindFolder>", shape("Default"))
}

#[test]
fn find_folder_walks_from_root_to_msgfolderroot_to_the_five_mail_and_calendar_folders() {
    let mock = start();
    let reply =
        post(&mock, "alfred@contoso.com", &envelope(None, &find_folder("Shallow", "", &distinguished("root", None))));
    let doc = reply.doc();
    let root_folder = nodes(&doc, "RootFolder")[0];
    assert_eq!(root_folder.attribute("TotalItemsInView"), Some("1"), "{}", reply.body);
    assert_eq!(root_folder.attribute("IncludesLastItemInRange"), Some("true"));
    assert_eq!(find(&doc, "DisplayName"), ["Top of Information Store"]);
    let top = nodes(&doc, "FolderId")[0].attribute("Id").expect("Id").to_string();
    let reply = post(
        &mock,
        "alfred@contoso.com",
        &envelope(None, &find_folder("Shallow", "", &format!("<t:FolderId Id=\"{top}\"/>"))),
    );
    let doc = reply.doc();
    assert_eq!(find(&doc, "DisplayName"), ["Calendar", "Inbox", "Sent Items", "Deleted Items", "Drafts"]);
    assert_eq!(nodes(&doc, "CalendarFolder").len(), 1);
    assert_eq!(nodes(&doc, "Folders")[0].tag_name().namespace(), Some(T), "t:Folders inside m:RootFolder");
}

#[test]
fn find_folder_deep_lists_every_descendant_with_its_counts() {
    let mock = start();
    create_meeting(&mock, "alfred@contoso.com", "chris@contoso.com");
    let reply =
        post(&mock, "alfred@contoso.com", &envelope(None, &find_folder("Deep", "", &distinguished("root", None))));
    let doc = reply.doc();
    assert_eq!(nodes(&doc, "RootFolder")[0].attribute("TotalItemsInView"), Some("6"));
    assert_eq!(find(&doc, "TotalCount"), ["0", "1", "0", "1", "0", "0"]);
    let soft = post(
        &mock,
        "alfred@contoso.com",
        &envelope(None, &find_folder("SoftDeleted", "", &distinguished("root", None))),
    );
    assert_eq!(nodes(&soft.doc(), "RootFolder")[0].attribute("TotalItemsInView"), Some("0"));
}

#[test]
fn find_folder_pages_with_indexed_page_folder_view_until_the_last_folder() {
    let mock = start();
    let mut offset = 0;
    let mut seen = Vec::new();
    for _ in 0..5 {
        let view =
            format!("<m:IndexedPageFolderView MaxEntriesReturned=\"2\" Offset=\"{offset}\" BasePoint=\"Beginning\"/>");
        let reply = post(
            &mock,
            "alfred@contoso.com",
            &envelope(None, &find_folder("Shallow", &view, &distinguished("msgfolderroot", None))),
        );
        let doc = reply.doc();
        let root = nodes(&doc, "RootFolder")[0];
        assert_eq!(root.attribute("TotalItemsInView"), Some("5"));
        seen.extend(find(&doc, "DisplayName"));
        offset = root.attribute("IndexedPagingOffset").and_then(|o| o.parse().ok()).expect("IndexedPagingOffset");
        if root.attribute("IncludesLastItemInRange") == Some("true") {
            break;
        }
    }
    assert_eq!(seen, ["Calendar", "Inbox", "Sent Items", "Deleted Items", "Drafts"]);
    assert_eq!(offset, 5);
}

#[test]
fn find_folder_with_a_restriction_is_refused_with_a_fault_naming_the_gap() {
    let mock = start();
    let body = format!("<m:FindFolder Traversal=\"Shallow\">{}<m:Restriction><t:Exists><t:FieldURI FieldURI=\"folder:DisplayName\"/></t:Exists></m:Restriction><m:ParentFolderIds>{}</m:ParentFolderIds></m:FindFolder>", shape("IdOnly"), distinguished("root", None));
    let reply = post(&mock, "alfred@contoso.com", &envelope(None, &body));
    assert_eq!(fault_code(&reply), "ErrorInvalidOperation");
    assert!(reply.body.contains("Restriction"), "{}", reply.body);
}

#[test]
fn find_folder_answers_each_parent_and_an_unmodelled_parent_is_folder_not_found() {
    let mock = start();
    let parents = distinguished("contacts", None) + &distinguished("inbox", None);
    let reply = post(&mock, "alfred@contoso.com", &envelope(None, &find_folder("Shallow", "", &parents)));
    let doc = reply.doc();
    assert_eq!(classes(&doc, "FindFolderResponseMessage"), ["Error", "Success"]);
    assert_eq!(find(&doc, "ResponseCode"), ["ErrorFolderNotFound", "NoError"]);
    assert_eq!(nodes(&doc, "RootFolder").len(), 1, "no RootFolder in the error message");
}

// ---- ConvertId -------------------------------------------------------------------------------

fn convert(mock: &MockEws, to: &str, ids: &[(&str, &str, &str)]) -> Reply {
    let sources: String = ids
        .iter()
        .map(|(format, id, mailbox)| format!("<t:AlternateId Format=\"{format}\" Id=\"{id}\" Mailbox=\"{mailbox}\"/>"))
        .collect();
    let body = format!("<m:ConvertId DestinationFormat=\"{to}\"><m:SourceIds>{sources}</m:SourceIds></m:ConvertId>");
    post(mock, "svc-calendar@contoso.com", &envelope(None, &body))
}

fn converted(reply: &Reply) -> String {
    let doc = reply.doc();
    let alt = nodes(&doc, "AlternateId");
    assert_eq!(alt.len(), 1, "{}", reply.body);
    alt[0].attribute("Id").expect("Id").to_string()
}

#[test]
fn convert_id_version_probe_with_a_dummy_id_is_malformed_inside_a_versioned_envelope() {
    let mock = start();
    let reply = convert(&mock, "EntryId", &[("EwsId", "DUMMY", "DUMMY")]);
    assert_eq!(reply.status, 200, "{}", reply.body);
    let doc = reply.doc();
    let version = nodes(&doc, "ServerVersionInfo");
    assert_eq!(version.len(), 1, "exchangelib reads the version from the SOAP header");
    for attr in ["MajorVersion", "MinorVersion", "MajorBuildNumber", "MinorBuildNumber"] {
        assert!(version[0].attribute(attr).is_some(), "{attr}");
    }
    assert_eq!(classes(&doc, "ConvertIdResponseMessage"), ["Error"]);
    assert_eq!(find(&doc, "ResponseCode"), ["ErrorInvalidIdMalformed"]);
}

#[test]
fn convert_id_round_trips_an_item_id_through_every_format() {
    let mock = start();
    create_meeting(&mock, "alfred@contoso.com", "chris@contoso.com");
    let item = mock.items("alfred@contoso.com", ews_mock::FolderKind::Calendar)[0].id.clone();
    let alfred = "alfred@contoso.com";
    for format in ["EwsLegacyId", "EntryId", "HexEntryId", "OwaId", "EwsId"] {
        let there = converted(&convert(&mock, format, &[("EwsId", &item, alfred)]));
        let back = convert(&mock, "EwsId", &[(format, &there, alfred)]);
        assert_eq!(converted(&back), item, "{format}: {there}");
        let back_doc = back.doc();
        let alt = nodes(&back_doc, "AlternateId")[0];
        assert_eq!(alt.attribute("Mailbox"), Some(alfred));
        assert_eq!(alt.attribute("Format"), Some("EwsId"));
    }
    let hex = converted(&convert(&mock, "HexEntryId", &[("EwsId", &item, alfred)]));
    let entry = converted(&convert(&mock, "EntryId", &[("EwsId", &item, alfred)]));
    let bytes = STANDARD.decode(&entry).expect("EntryId is base64");
    assert_eq!(hex, bytes.iter().map(|b| format!("{b:02X}")).collect::<String>(), "HexEntryId is the hex of EntryId");
    assert_eq!(bytes.len(), 70, "a message entry id is 70 bytes");
}

#[test]
fn convert_id_of_a_folder_id_gives_ids_that_name_the_same_folder() {
    let mock = start();
    let reply = post(
        &mock,
        "alfred@contoso.com",
        &envelope(None, &get_folder(&shape("IdOnly"), &distinguished("inbox", None))),
    );
    let folder = nodes(&reply.doc(), "FolderId")[0].attribute("Id").expect("Id").to_string();
    let hex = converted(&convert(&mock, "HexEntryId", &[("EwsId", &folder, "alfred@contoso.com")]));
    assert_eq!(hex.len(), 92, "a folder entry id is 46 bytes");
    let back = converted(&convert(&mock, "EwsId", &[("HexEntryId", &hex, "alfred@contoso.com")]));
    assert_eq!(back, folder);
}

#[test]
fn convert_id_answers_each_source_in_order_with_per_id_errors() {
    let mock = start();
    let item = {
        create_meeting(&mock, "alfred@contoso.com", "chris@contoso.com");
        mock.items("alfred@contoso.com", ews_mock::FolderKind::Calendar)[0].id.clone()
    };
    let entry = converted(&convert(&mock, "EntryId", &[("EwsId", &item, "alfred@contoso.com")]));
    let reply = convert(
        &mock,
        "EwsId",
        &[
            ("EwsId", "", "alfred@contoso.com"),
            ("EntryId", &entry, "nobody@contoso.com"),
            ("HexEntryId", "XYZ", "alfred@contoso.com"),
            ("StoreId", &entry, "alfred@contoso.com"),
            ("EntryId", &entry, "alfred@contoso.com"),
        ],
    );
    let doc = reply.doc();
    assert_eq!(classes(&doc, "ConvertIdResponseMessage"), ["Error", "Error", "Error", "Error", "Success"]);
    assert_eq!(
        find(&doc, "ResponseCode"),
        [
            "ErrorInvalidIdEmpty",
            "ErrorNonExistentMailbox",
            "ErrorInvalidIdMalformed",
            "ErrorInvalidOperation",
            "NoError"
        ]
    );
    assert_eq!(nodes(&doc, "AlternateId")[0].attribute("Id"), Some(item.as_str()));
}

#[test]
fn convert_id_of_a_public_folder_id_is_malformed_and_a_missing_format_is_a_schema_fault() {
    let mock = start();
    let body = "<m:ConvertId DestinationFormat=\"EwsId\"><m:SourceIds><t:AlternatePublicFolderId Format=\"EntryId\" FolderId=\"AAAA\"/></m:SourceIds></m:ConvertId>";
    let reply = post(&mock, "alfred@contoso.com", &envelope(None, body));
    assert_eq!(find(&reply.doc(), "ResponseCode"), ["ErrorInvalidIdMalformed"]);
    let body = "<m:ConvertId><m:SourceIds><t:AlternateId Format=\"EwsId\" Id=\"AAAA\" Mailbox=\"a@b.c\"/></m:SourceIds></m:ConvertId>";
    assert_eq!(fault_code(&post(&mock, "alfred@contoso.com", &envelope(None, body))), "ErrorSchemaValidation");
}

// ---- ResolveNames ----------------------------------------------------------------------------

fn resolve_names(mock: &MockEws, user: &str, attrs: &str, entry: &str) -> Reply {
    let body = format!("<m:ResolveNames {attrs}><m:UnresolvedEntry>{entry}</m:UnresolvedEntry></m:ResolveNames>");
    post(mock, user, &envelope(None, &body))
}

fn two_alexes() -> TenantConfig {
    TenantConfig::from_toml(
        "[[mailboxes]]\nsmtp = \"alex.west@contoso.com\"\ndisplay_name = \"Alex West\"\npassword = \"password\"\n\
         [[mailboxes]]\nsmtp = \"ab@contoso.com\"\ndisplay_name = \"Alexandra Bloom\"\npassword = \"password\"\n\
         [[mailboxes]]\nsmtp = \"zoe@contoso.com\"\ndisplay_name = \"Zoe Quinn\"\npassword = \"password\"\naliases = [\"zq@contoso.com\"]\n",
    )
    .expect("valid tenant")
}

#[test]
fn resolve_names_by_display_name_prefix_finds_the_one_mailbox() {
    let mock = start();
    let reply = resolve_names(&mock, "chris@contoso.com", "ReturnFullContactData=\"false\"", "alf");
    let doc = reply.doc();
    assert_eq!(classes(&doc, "ResolveNamesResponseMessage"), ["Success"], "{}", reply.body);
    let set = nodes(&doc, "ResolutionSet")[0];
    assert_eq!(
        (set.attribute("TotalItemsInView"), set.attribute("IncludesLastItemInRange")),
        (Some("1"), Some("true"))
    );
    assert_eq!(child_names(nodes(&doc, "Mailbox")[0]), ["Name", "EmailAddress", "RoutingType", "MailboxType"]);
    assert_eq!(find(&doc, "Name"), ["Alfred Ross"]);
    assert_eq!(find(&doc, "EmailAddress"), ["alfred@contoso.com"]);
    assert_eq!(find(&doc, "RoutingType"), ["SMTP"]);
    assert!(nodes(&doc, "Contact").is_empty());
    for other in ["Ross", "SONYAF", "chris@contoso.com"] {
        let reply = resolve_names(&mock, "chris@contoso.com", "ReturnFullContactData=\"false\"", other);
        assert_eq!(find(&reply.doc(), "ResponseCode"), ["NoError"], "{other}");
    }
}

#[test]
fn resolve_names_ambiguous_name_is_a_warning_listing_every_candidate() {
    let mock = start_with(two_alexes());
    let reply = resolve_names(&mock, "zoe@contoso.com", "ReturnFullContactData=\"true\"", "Alex");
    let doc = reply.doc();
    assert_eq!(classes(&doc, "ResolveNamesResponseMessage"), ["Warning"], "{}", reply.body);
    assert_eq!(find(&doc, "ResponseCode"), ["ErrorNameResolutionMultipleResults"]);
    assert_eq!(find(&doc, "MessageText"), ["Multiple results were found."]);
    assert_eq!(nodes(&doc, "ResolutionSet")[0].attribute("TotalItemsInView"), Some("2"));
    assert_eq!(find(&doc, "EmailAddress"), ["alex.west@contoso.com", "ab@contoso.com"]);
    assert_eq!(find(&doc, "DisplayName"), ["Alex West", "Alexandra Bloom"]);
}

#[test]
fn resolve_names_with_full_contact_data_adds_the_contact() {
    let mock = start();
    let reply = resolve_names(&mock, "alfred@contoso.com", "ReturnFullContactData=\"true\"", "Sonya");
    let doc = reply.doc();
    let contact = nodes(&doc, "Contact")[0];
    assert_eq!(child_names(contact), ["DisplayName", "EmailAddresses", "ContactSource"]);
    assert_eq!(find(&doc, "Entry"), ["SMTP:sonyaf@contoso.com"]);
    assert_eq!(nodes(&doc, "Entry")[0].attribute("Key"), Some("EmailAddress1"));
}

#[test]
fn resolve_names_with_an_smtp_prefix_matches_the_exact_address_only() {
    let mock = start_with(two_alexes());
    let exact = resolve_names(&mock, "zoe@contoso.com", "ReturnFullContactData=\"false\"", "SMTP:ab@contoso.com");
    assert_eq!(find(&exact.doc(), "EmailAddress"), ["ab@contoso.com"]);
    let alias = resolve_names(&mock, "ab@contoso.com", "ReturnFullContactData=\"false\"", "smtp:ZQ@contoso.com");
    assert_eq!(find(&alias.doc(), "EmailAddress"), ["zoe@contoso.com"], "an alias resolves to the primary");
    let prefix = resolve_names(&mock, "zoe@contoso.com", "ReturnFullContactData=\"false\"", "SMTP:alex");
    assert_eq!(find(&prefix.doc(), "ResponseCode"), ["ErrorNameResolutionNoResults"]);
}

#[test]
fn resolve_names_without_a_match_is_error_name_resolution_no_results() {
    let mock = start();
    let reply = resolve_names(&mock, "alfred@contoso.com", "ReturnFullContactData=\"false\"", "Nobody");
    let doc = reply.doc();
    assert_eq!(classes(&doc, "ResolveNamesResponseMessage"), ["Error"]);
    assert_eq!(find(&doc, "ResponseCode"), ["ErrorNameResolutionNoResults"]);
    assert_eq!(find(&doc, "MessageText"), ["No results were found."]);
    assert!(nodes(&doc, "ResolutionSet").is_empty());
    let contacts_only =
        resolve_names(&mock, "alfred@contoso.com", "ReturnFullContactData=\"false\" SearchScope=\"Contacts\"", "Sonya");
    assert_eq!(find(&contacts_only.doc(), "ResponseCode"), ["ErrorNameResolutionNoResults"]);
}

#[test]
fn resolve_names_without_return_full_contact_data_is_a_schema_fault() {
    let mock = start();
    let reply = resolve_names(&mock, "alfred@contoso.com", "", "Sonya");
    assert_eq!(fault_code(&reply), "ErrorSchemaValidation");
    assert!(reply.body.contains("ReturnFullContactData"), "{}", reply.body);
}

#[test]
fn resolve_names_needs_a_mailbox_so_service_accounts_impersonate() {
    let mock = start();
    let alone = resolve_names(&mock, "svc-calendar@contoso.com", "ReturnFullContactData=\"false\"", "Sonya");
    assert_eq!(find(&alone.doc(), "ResponseCode"), ["ErrorNameResolutionNoMailbox"]);
    let body =
        "<m:ResolveNames ReturnFullContactData=\"false\"><m:UnresolvedEntry>Sonya</m:UnresolvedEntry></m:ResolveNames>";
    let impersonating = post(&mock, "svc-calendar@contoso.com", &envelope(Some("chris@contoso.com"), body));
    assert_eq!(find(&impersonating.doc(), "ResponseCode"), ["NoError"]);
    let denied = post(&mock, "svc-sales@contoso.com", &envelope(Some("chris@contoso.com"), body));
    assert_eq!(fault_code(&denied), "ErrorImpersonateUserDenied");
}

#[test]
fn resolve_names_searches_the_directory_with_own_contacts_folder_but_refuses_another_users() {
    let mock = start();
    let body = |mailbox: Option<&str>| {
        format!(
            "<m:ResolveNames ReturnFullContactData=\"false\" SearchScope=\"ActiveDirectoryContacts\"><m:ParentFolderIds>{}</m:ParentFolderIds><m:UnresolvedEntry>Chris</m:UnresolvedEntry></m:ResolveNames>",
            distinguished("contacts", mailbox)
        )
    };
    let own = post(&mock, "alfred@contoso.com", &envelope(None, &body(None)));
    assert_eq!(find(&own.doc(), "EmailAddress"), ["chris@contoso.com"], "{}", own.body);
    let other = post(&mock, "alfred@contoso.com", &envelope(None, &body(Some("sonyaf@contoso.com"))));
    assert_eq!(find(&other.doc(), "ResponseCode"), ["ErrorAccessDenied"]);
}
