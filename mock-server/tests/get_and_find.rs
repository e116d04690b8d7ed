//! GetItem and FindItem over real HTTP: shapes, AdditionalProperties, CalendarView edges,
//! paging, restrictions, sorting, item ownership and the attendee's MeetingRequest.
//!
//! With `EWS_XSD_DIR` set (e.g. `../shared/protocol/xsd/exo-2018-smartlet`), every successful
//! response is also validated against the schema with `validate_ews_xml.py` (needs python3 + lxml).

use std::io::{Read, Write};
use std::net::TcpStream;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ews_mock::{Clock, MockEws};

const M: &str = "http://schemas.microsoft.com/exchange/services/2006/messages";
const T: &str = "http://schemas.microsoft.com/exchange/services/2006/types";

fn start() -> MockEws {
    MockEws::builder()
        .clock(Clock::fixed("2026-01-05T09:00:00Z".parse().expect("valid date")))
        .id_seed(7)
        .start()
        .expect("mock starts")
}

/// Posts a SOAP body as `user` and returns (status, response body).
fn post(mock: &MockEws, user: &str, body: &str) -> (u16, String) {
    let envelope = format!(
        "<?xml version='1.0' encoding='utf-8'?><s:Envelope xmlns:s='http://schemas.xmlsoap.org/soap/envelope/' \
         xmlns:m='{M}' xmlns:t='{T}'><s:Header><t:RequestServerVersion Version='Exchange2016'/></s:Header>\
         <s:Body>{body}</s:Body></s:Envelope>"
    );
    let auth = STANDARD.encode(format!("{user}:password"));
    let mut stream = TcpStream::connect(mock.address()).expect("connects");
    write!(
        stream,
        "POST /EWS/Exchange.asmx HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/xml; charset=utf-8\r\n\
         Authorization: Basic {auth}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{envelope}",
        envelope.len()
    )
    .expect("sends");
    let mut raw = String::new();
    stream.read_to_string(&mut raw).expect("reads");
    let status = raw[9..12].parse().expect("status code");
    let (head, body) = raw.split_once("\r\n\r\n").expect("headers end");
    let body =
        if head.to_ascii_lowercase().contains("transfer-encoding: chunked") { dechunk(body) } else { body.into() };
    validate(status, &body);
    (status, body)
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).expect("chunk size");
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        s = &rest[n + 2..];
    }
    out
}

/// Validates a successful response against the EWS schema when `EWS_XSD_DIR` is set.
fn validate(status: u16, body: &str) {
    let Ok(dir) = std::env::var("EWS_XSD_DIR") else {
        eprintln!("schema validation skipped: set EWS_XSD_DIR to the EWS schema directory");
        return;
    };
    if status != 200 {
        return;
    }
    let script = std::env::var("EWS_VALIDATOR")
        .unwrap_or_else(|_| "/work/shared/protocol/tools/validate_ews_xml.py".to_string());
    let file =
        std::env::temp_dir().join(format!("ews-mock-{}-{:?}.xml", std::process::id(), std::thread::current().id()));
    std::fs::write(&file, body).expect("temp file");
    let out = std::process::Command::new("python3").arg(&script).arg(&dir).arg(&file).output().expect("python3 runs");
    let report = String::from_utf8_lossy(&out.stdout);
    let _ = std::fs::remove_file(&file);
    assert!(report.contains("=OK") && !report.contains("INVALID"), "schema validation failed: {report}\n{body}");
}

fn create(mock: &MockEws, user: &str, subject: &str, start: &str, end: &str, extra: &str, send: &str) -> String {
    let body = format!(
        "<m:CreateItem SendMeetingInvitations='{send}'><m:Items><t:CalendarItem><t:Subject>{subject}</t:Subject>\
         <t:Body BodyType='Text'>Body of {subject}</t:Body><t:Start>{start}</t:Start><t:End>{end}</t:End>\
         <t:Location>Room 1</t:Location>{extra}</t:CalendarItem></m:Items></m:CreateItem>"
    );
    let (status, xml) = post(mock, user, &body);
    assert_eq!(status, 200, "{xml}");
    let doc = roxmltree::Document::parse(&xml).expect("xml");
    let id = doc.descendants().find(|n| n.has_tag_name((T, "ItemId"))).expect("an ItemId");
    id.attribute("Id").expect("Id").to_string()
}

fn appointment(mock: &MockEws, subject: &str, start: &str, end: &str) -> String {
    create(mock, "alfred@contoso.com", subject, start, end, "", "SendToNone")
}

fn get_item(mock: &MockEws, user: &str, shape: &str, ids: &[&str]) -> (u16, String) {
    let ids: String = ids.iter().map(|id| format!("<t:ItemId Id='{id}'/>")).collect();
    post(mock, user, &format!("<m:GetItem><m:ItemShape>{shape}</m:ItemShape><m:ItemIds>{ids}</m:ItemIds></m:GetItem>"))
}

fn find_item(mock: &MockEws, user: &str, inner: &str, folder: &str) -> String {
    let body = format!(
        "<m:FindItem Traversal='Shallow'>{inner}<m:ParentFolderIds><t:DistinguishedFolderId Id='{folder}'/>\
         </m:ParentFolderIds></m:FindItem>"
    );
    let (status, xml) = post(mock, user, &body);
    assert_eq!(status, 200, "{xml}");
    xml
}

const ID_ONLY: &str = "<m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape>";
const WITH_SUBJECT: &str = "<m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties>\
    <t:FieldURI FieldURI='item:Subject'/></t:AdditionalProperties></m:ItemShape>";

/// The child element names of the first `t:{kind}` item.
fn item_children(xml: &str, kind: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(xml).expect("xml");
    let item = doc.descendants().find(|n| n.has_tag_name((T, kind))).unwrap_or_else(|| panic!("no t:{kind} in {xml}"));
    item.children().filter(|c| c.is_element()).map(|c| c.tag_name().name().to_string()).collect()
}

fn text_of(xml: &str, local: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(xml).expect("xml");
    doc.descendants().filter(|n| n.has_tag_name((T, local))).map(|n| n.text().unwrap_or("").to_string()).collect()
}

fn root_folder(xml: &str) -> (Option<String>, String, String) {
    let doc = roxmltree::Document::parse(xml).expect("xml");
    let r =
        doc.descendants().find(|n| n.has_tag_name((M, "RootFolder"))).unwrap_or_else(|| panic!("no RootFolder: {xml}"));
    let a = |n: &str| r.attribute(n).map(str::to_string);
    (a("IndexedPagingOffset"), a("TotalItemsInView").expect("total"), a("IncludesLastItemInRange").expect("last"))
}

fn response_codes(xml: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(xml).expect("xml");
    doc.descendants().filter(|n| n.has_tag_name((M, "ResponseCode"))).map(|n| n.text().unwrap_or("").into()).collect()
}

#[test]
fn get_item_id_only_returns_the_item_id_alone() {
    let mock = start();
    let id = appointment(&mock, "Tennis", "2026-01-10T10:00:00Z", "2026-01-10T11:00:00Z");
    let (status, xml) = get_item(&mock, "alfred@contoso.com", "<t:BaseShape>IdOnly</t:BaseShape>", &[&id]);
    assert_eq!(status, 200);
    assert_eq!(item_children(&xml, "CalendarItem"), ["ItemId"]);
}

#[test]
fn get_item_default_shape_follows_the_msdocs_sample_plus_subject_and_location() {
    let mock = start();
    let id = appointment(&mock, "Tennis", "2026-01-10T10:00:00Z", "2026-01-10T11:00:00Z");
    let (_, xml) = get_item(&mock, "alfred@contoso.com", "<t:BaseShape>Default</t:BaseShape>", &[&id]);
    let expected = ["ItemId", "Subject", "ResponseObjects", "Start", "End", "LegacyFreeBusyStatus", "Location"];
    let want: Vec<&str> = expected.iter().copied().chain(["CalendarItemType", "Organizer"]).collect();
    assert_eq!(item_children(&xml, "CalendarItem"), want);
    assert!(xml.contains("<t:EmailAddress>alfred@contoso.com</t:EmailAddress><t:RoutingType>SMTP</t:RoutingType>"));
}

#[test]
fn get_item_all_properties_writes_schema_order_whole_second_dates_and_true_false() {
    let mock = start();
    let attendees = "<t:RequiredAttendees><t:Attendee><t:Mailbox><t:EmailAddress>sonyaf@contoso.com</t:EmailAddress>\
        </t:Mailbox></t:Attendee></t:RequiredAttendees>";
    let id = create(
        &mock,
        "alfred@contoso.com",
        "Sync",
        "2026-01-10T10:00:00.000Z",
        "2026-01-10T10:30:00Z",
        attendees,
        "SendToAllAndSaveCopy",
    );
    let (_, xml) = get_item(&mock, "alfred@contoso.com", "<t:BaseShape>AllProperties</t:BaseShape>", &[&id]);
    let children = item_children(&xml, "CalendarItem");
    let order: Vec<&str> = ews_order(&children);
    for must in [
        "ItemId",
        "ParentFolderId",
        "ItemClass",
        "Subject",
        "Sensitivity",
        "Body",
        "DateTimeReceived",
        "Size",
        "Importance",
        "DateTimeCreated",
        "ReminderDueBy",
        "ReminderIsSet",
        "ReminderMinutesBeforeStart",
        "DisplayCc",
        "DisplayTo",
        "HasAttachments",
        "UID",
        "Start",
        "End",
        "IsAllDayEvent",
        "LegacyFreeBusyStatus",
        "Location",
        "IsMeeting",
        "IsCancelled",
        "IsRecurring",
        "MeetingRequestWasSent",
        "CalendarItemType",
        "MyResponseType",
        "Organizer",
        "RequiredAttendees",
        "Duration",
    ] {
        assert!(order.contains(&must), "{must} missing from {order:?}");
    }
    assert_eq!(text_of(&xml, "Start"), ["2026-01-10T10:00:00Z"]);
    assert_eq!(text_of(&xml, "IsMeeting"), ["true"]);
    assert_eq!(text_of(&xml, "MeetingRequestWasSent"), ["true"]);
    assert_eq!(text_of(&xml, "Duration"), ["PT30M"]);
    assert_eq!(text_of(&xml, "ItemClass"), ["IPM.Appointment"]);
    assert!(!xml.contains(".000Z") && !xml.contains(">0</t:IsMeeting>"), "{xml}");
    assert!(xml.contains("<t:Attendee><t:Mailbox><t:Name>"), "attendee names come from the directory? {xml}");
}

/// Returns the names after checking they follow CalendarItemType's schema order.
fn ews_order(children: &[String]) -> Vec<&str> {
    let schema = [
        "ItemId",
        "ParentFolderId",
        "ItemClass",
        "Subject",
        "Sensitivity",
        "Body",
        "DateTimeReceived",
        "Size",
        "Categories",
        "Importance",
        "IsSubmitted",
        "IsDraft",
        "IsFromMe",
        "IsResend",
        "IsUnmodified",
        "DateTimeSent",
        "DateTimeCreated",
        "ResponseObjects",
        "ReminderDueBy",
        "ReminderIsSet",
        "ReminderMinutesBeforeStart",
        "DisplayCc",
        "DisplayTo",
        "HasAttachments",
        "Culture",
        "LastModifiedName",
        "LastModifiedTime",
        "IsAssociated",
        "UID",
        "DateTimeStamp",
        "Start",
        "End",
        "IsAllDayEvent",
        "LegacyFreeBusyStatus",
        "Location",
        "IsMeeting",
        "IsCancelled",
        "IsRecurring",
        "MeetingRequestWasSent",
        "CalendarItemType",
        "MyResponseType",
        "Organizer",
        "RequiredAttendees",
        "OptionalAttendees",
        "Resources",
        "Duration",
        "AppointmentSequenceNumber",
        "AppointmentState",
        "MeetingTimeZone",
        "StartTimeZone",
        "EndTimeZone",
        "AllowNewTimeProposal",
        "IsOnlineMeeting",
        "IsOrganizer",
    ];
    let positions: Vec<usize> = children
        .iter()
        .map(|c| schema.iter().position(|s| s == c).unwrap_or_else(|| panic!("unexpected element {c}")))
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "not in schema order: {children:?}");
    children.iter().map(String::as_str).collect()
}

#[test]
fn get_item_tolerates_the_78_properties_exchangelib_asks_for_and_omits_unmodelled_ones() {
    let mock = start();
    let id = appointment(&mock, "Tennis", "2026-01-10T10:00:00Z", "2026-01-10T11:00:00Z");
    let wire = std::fs::read_to_string(
        "/work/shared/protocol/clients/exchangelib/wire/07-GetItem-after-view-all-calendar-fields.req.xml",
    );
    let Ok(wire) = wire else {
        eprintln!("exchangelib capture not found; skipping");
        return;
    };
    let shape_start = wire.find("<m:ItemShape>").expect("shape") + "<m:ItemShape>".len();
    let shape_end = wire.find("</m:ItemShape>").expect("shape end");
    let (status, xml) = get_item(&mock, "alfred@contoso.com", &wire[shape_start..shape_end], &[&id]);
    assert_eq!(status, 200, "{xml}");
    let children = item_children(&xml, "CalendarItem");
    ews_order(&children);
    for must in ["Subject", "Body", "Start", "End", "Location", "IsMeeting", "MeetingRequestWasSent"] {
        assert!(children.iter().any(|c| c == must), "{must} missing: {children:?}");
    }
    for never in ["MimeContent", "Attachments", "ConflictingMeetings", "Recurrence", "TextBody", "When"] {
        assert!(!children.iter().any(|c| c == never), "{never} is not modelled but was written");
    }
}

#[test]
fn get_item_with_an_invalid_field_uri_is_a_schema_validation_fault() {
    let mock = start();
    let id = appointment(&mock, "Tennis", "2026-01-10T10:00:00Z", "2026-01-10T11:00:00Z");
    let shape = "<t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties><t:FieldURI FieldURI='item:Subjekt'/></t:AdditionalProperties>";
    let (status, xml) = get_item(&mock, "alfred@contoso.com", shape, &[&id]);
    assert_eq!(status, 500);
    assert!(xml.contains("ErrorSchemaValidation") && xml.contains("item:Subjekt"), "{xml}");
}

#[test]
fn get_item_answers_each_id_in_order_and_another_mailboxs_id_is_item_not_found() {
    let mock = start();
    let mine = appointment(&mock, "Mine", "2026-01-10T10:00:00Z", "2026-01-10T11:00:00Z");
    let theirs =
        create(&mock, "sonyaf@contoso.com", "Theirs", "2026-01-10T10:00:00Z", "2026-01-10T11:00:00Z", "", "SendToNone");
    let (status, xml) =
        get_item(&mock, "alfred@contoso.com", "<t:BaseShape>IdOnly</t:BaseShape>", &[&theirs, &mine, "AAAA"]);
    assert_eq!(status, 200);
    assert_eq!(response_codes(&xml), ["ErrorItemNotFound", "NoError", "ErrorInvalidIdMalformed"]);
    assert!(xml.contains("<m:DescriptiveLinkKey>0</m:DescriptiveLinkKey><m:Items/>"), "{xml}");
}

#[test]
fn calendar_view_returns_items_that_overlap_the_window_sorted_by_start() {
    let mock = start();
    appointment(&mock, "ends-at-window-start", "2026-01-10T08:00:00Z", "2026-01-10T09:00:00Z");
    appointment(&mock, "starts-at-window-end", "2026-01-10T12:00:00Z", "2026-01-10T13:00:00Z");
    appointment(&mock, "late-overlap", "2026-01-10T11:30:00Z", "2026-01-10T12:30:00Z");
    appointment(&mock, "early-overlap", "2026-01-10T08:30:00Z", "2026-01-10T09:30:00Z");
    appointment(&mock, "spans-window", "2026-01-09T00:00:00Z", "2026-01-11T00:00:00Z");
    appointment(&mock, "zero-length-at-start", "2026-01-10T09:00:00Z", "2026-01-10T09:00:00Z");
    let view = "<m:CalendarView StartDate='2026-01-10T09:00:00Z' EndDate='2026-01-10T12:00:00Z'/>";
    let xml = find_item(&mock, "alfred@contoso.com", &format!("{WITH_SUBJECT}{view}"), "calendar");
    assert_eq!(text_of(&xml, "Subject"), ["spans-window", "early-overlap", "zero-length-at-start", "late-overlap"]);
    assert_eq!(root_folder(&xml), (None, "4".into(), "true".into()));
    let capped =
        "<m:CalendarView MaxEntriesReturned='2' StartDate='2026-01-10T09:00:00Z' EndDate='2026-01-10T12:00:00Z'/>";
    let xml = find_item(&mock, "alfred@contoso.com", &format!("{WITH_SUBJECT}{capped}"), "calendar");
    assert_eq!(text_of(&xml, "Subject").len(), 2);
    assert_eq!(root_folder(&xml), (None, "4".into(), "false".into()));
}

#[test]
fn calendar_view_refuses_reversed_and_over_two_year_windows_and_non_calendar_folders() {
    let mock = start();
    let reversed = "<m:CalendarView StartDate='2026-01-10T12:00:00Z' EndDate='2026-01-10T09:00:00Z'/>";
    let xml = find_item(&mock, "alfred@contoso.com", &format!("{ID_ONLY}{reversed}"), "calendar");
    assert_eq!(response_codes(&xml), ["ErrorCalendarEndDateIsEarlierThanStartDate"]);
    let wide = "<m:CalendarView StartDate='2026-01-01T00:00:00Z' EndDate='2028-01-02T00:00:00Z'/>";
    let xml = find_item(&mock, "alfred@contoso.com", &format!("{ID_ONLY}{wide}"), "calendar");
    assert_eq!(response_codes(&xml), ["ErrorCalendarViewRangeTooBig"]);
    let ok = "<m:CalendarView StartDate='2026-01-01T00:00:00Z' EndDate='2028-01-01T00:00:00Z'/>";
    let xml = find_item(&mock, "alfred@contoso.com", &format!("{ID_ONLY}{ok}"), "inbox");
    assert_eq!(response_codes(&xml), ["ErrorCalendarFolderIsInvalidForCalendarView"]);
    let xml = find_item(&mock, "alfred@contoso.com", &format!("{ID_ONLY}{ok}"), "calendar");
    assert_eq!(response_codes(&xml), ["NoError"]);
}

#[test]
fn indexed_paging_walks_every_item_and_ends_with_includes_last_item_in_range() {
    let mock = start();
    for i in 0..5 {
        appointment(&mock, &format!("item {i}"), "2026-01-10T10:00:00Z", "2026-01-10T11:00:00Z");
    }
    let mut offset = 0;
    let mut seen = Vec::new();
    for _ in 0..10 {
        let view = format!("<m:IndexedPageItemView MaxEntriesReturned='2' Offset='{offset}' BasePoint='Beginning'/>");
        let xml = find_item(&mock, "alfred@contoso.com", &format!("{WITH_SUBJECT}{view}"), "calendar");
        let (next, total, last) = root_folder(&xml);
        assert_eq!(total, "5");
        seen.extend(text_of(&xml, "Subject"));
        offset = next.expect("IndexedPagingOffset").parse().expect("int");
        if last == "true" {
            break;
        }
    }
    assert_eq!(offset, 5);
    assert_eq!(seen, ["item 4", "item 3", "item 2", "item 1", "item 0"], "newest first, each once");
    let end = "<m:IndexedPageItemView MaxEntriesReturned='2' Offset='0' BasePoint='End'/>";
    let xml = find_item(&mock, "alfred@contoso.com", &format!("{WITH_SUBJECT}{end}"), "calendar");
    assert_eq!(text_of(&xml, "Subject"), ["item 1", "item 0"]);
    let xml = find_item(&mock, "alfred@contoso.com", ID_ONLY, "calendar");
    assert_eq!(root_folder(&xml), (None, "5".into(), "true".into()));
}

fn subjects_matching(mock: &MockEws, restriction: &str) -> Vec<String> {
    let inner = format!("{WITH_SUBJECT}<m:Restriction>{restriction}</m:Restriction><m:SortOrder><t:FieldOrder Order='Ascending'><t:FieldURI FieldURI='item:Subject'/></t:FieldOrder></m:SortOrder>");
    text_of(&find_item(mock, "alfred@contoso.com", &inner, "calendar"), "Subject")
}

fn cmp(op: &str, uri: &str, value: &str) -> String {
    format!("<t:{op}><t:FieldURI FieldURI='{uri}'/><t:FieldURIOrConstant><t:Constant Value='{value}'/></t:FieldURIOrConstant></t:{op}>")
}

#[test]
fn every_restriction_kind_filters_as_exchange_does() {
    let mock = start();
    appointment(&mock, "Alpha standup", "2026-01-10T09:00:00Z", "2026-01-10T09:15:00Z");
    appointment(&mock, "Beta review", "2026-01-11T09:00:00Z", "2026-01-11T10:00:00Z");
    let attendees = "<t:RequiredAttendees><t:Attendee><t:Mailbox><t:EmailAddress>chris@contoso.com</t:EmailAddress>\
        </t:Mailbox></t:Attendee></t:RequiredAttendees>";
    create(
        &mock,
        "alfred@contoso.com",
        "Gamma planning",
        "2026-01-12T09:00:00Z",
        "2026-01-12T10:00:00Z",
        attendees,
        "SendToNone",
    );
    let all = ["Alpha standup", "Beta review", "Gamma planning"];
    assert_eq!(subjects_matching(&mock, &cmp("IsEqualTo", "item:Subject", "beta REVIEW")), ["Beta review"]);
    assert_eq!(
        subjects_matching(&mock, &cmp("IsNotEqualTo", "item:Subject", "Beta review")),
        ["Alpha standup", "Gamma planning"]
    );
    assert_eq!(
        subjects_matching(&mock, &cmp("IsGreaterThan", "calendar:Start", "2026-01-11T09:00:00Z")),
        ["Gamma planning"]
    );
    assert_eq!(
        subjects_matching(&mock, &cmp("IsGreaterThanOrEqualTo", "calendar:Start", "2026-01-11T09:00:00Z")),
        ["Beta review", "Gamma planning"]
    );
    assert_eq!(subjects_matching(&mock, &cmp("IsLessThan", "calendar:End", "2026-01-11T10:00:00Z")), ["Alpha standup"]);
    assert_eq!(
        subjects_matching(&mock, &cmp("IsLessThanOrEqualTo", "calendar:End", "2026-01-11T10:00:00Z")),
        ["Alpha standup", "Beta review"]
    );
    assert_eq!(subjects_matching(&mock, &cmp("IsEqualTo", "calendar:IsMeeting", "true")), ["Gamma planning"]);
    assert_eq!(
        subjects_matching(&mock, &cmp("IsLessThanOrEqualTo", "item:DateTimeCreated", "2026-01-05T09:00:00Z")),
        all
    );
    let contains = |mode: &str, cmp: &str, v: &str| {
        format!("<t:Contains ContainmentMode='{mode}' ContainmentComparison='{cmp}'><t:FieldURI FieldURI='item:Subject'/><t:Constant Value='{v}'/></t:Contains>")
    };
    assert_eq!(subjects_matching(&mock, &contains("Substring", "IgnoreCase", "VIEW")), ["Beta review"]);
    assert!(subjects_matching(&mock, &contains("Substring", "Exact", "VIEW")).is_empty());
    assert_eq!(subjects_matching(&mock, &contains("Prefixed", "IgnoreCase", "gamma")), ["Gamma planning"]);
    assert!(subjects_matching(&mock, &contains("Prefixed", "IgnoreCase", "planning")).is_empty());
    assert_eq!(subjects_matching(&mock, &contains("FullString", "Exact", "Alpha standup")), ["Alpha standup"]);
    assert_eq!(subjects_matching(&mock, "<t:Exists><t:FieldURI FieldURI='item:Subject'/></t:Exists>"), all);
    assert!(subjects_matching(&mock, "<t:Exists><t:FieldURI FieldURI='calendar:Recurrence'/></t:Exists>").is_empty());
    let not = format!("<t:Not>{}</t:Not>", cmp("IsEqualTo", "calendar:IsMeeting", "true"));
    assert_eq!(subjects_matching(&mock, &not), ["Alpha standup", "Beta review"]);
    let and = format!(
        "<t:And>{}{}</t:And>",
        cmp("IsGreaterThan", "calendar:Start", "2026-01-10T12:00:00Z"),
        cmp("IsEqualTo", "calendar:IsMeeting", "false")
    );
    assert_eq!(subjects_matching(&mock, &and), ["Beta review"]);
    let or = format!(
        "<t:Or>{}{}</t:Or>",
        cmp("IsEqualTo", "item:Subject", "Alpha standup"),
        cmp("IsEqualTo", "calendar:IsMeeting", "true")
    );
    assert_eq!(subjects_matching(&mock, &or), ["Alpha standup", "Gamma planning"]);
}

#[test]
fn sort_order_sorts_by_each_field_both_ways() {
    let mock = start();
    appointment(&mock, "b", "2026-01-12T09:00:00Z", "2026-01-12T09:30:00Z");
    appointment(&mock, "c", "2026-01-10T09:00:00Z", "2026-01-10T12:00:00Z");
    appointment(&mock, "a", "2026-01-11T09:00:00Z", "2026-01-11T10:00:00Z");
    let sorted = |uri: &str, order: &str| {
        let inner = format!("{WITH_SUBJECT}<m:SortOrder><t:FieldOrder Order='{order}'><t:FieldURI FieldURI='{uri}'/></t:FieldOrder></m:SortOrder>");
        text_of(&find_item(&mock, "alfred@contoso.com", &inner, "calendar"), "Subject")
    };
    assert_eq!(sorted("item:Subject", "Ascending"), ["a", "b", "c"]);
    assert_eq!(sorted("item:Subject", "Descending"), ["c", "b", "a"]);
    assert_eq!(sorted("calendar:Start", "Ascending"), ["c", "a", "b"]);
    assert_eq!(sorted("calendar:End", "Descending"), ["b", "a", "c"]);
}

#[test]
fn another_mailboxs_folder_is_access_denied_and_a_folder_id_with_mailbox_works() {
    let mock = start();
    appointment(&mock, "Mine", "2026-01-10T10:00:00Z", "2026-01-10T11:00:00Z");
    let body = |mailbox: &str| {
        format!("<m:FindItem Traversal='Shallow'>{WITH_SUBJECT}<m:ParentFolderIds><t:DistinguishedFolderId Id='calendar'>\
                 <t:Mailbox><t:EmailAddress>{mailbox}</t:EmailAddress></t:Mailbox></t:DistinguishedFolderId></m:ParentFolderIds></m:FindItem>")
    };
    let (_, xml) = post(&mock, "alfred@contoso.com", &body("alfred@contoso.com"));
    assert_eq!(text_of(&xml, "Subject"), ["Mine"]);
    let (_, xml) = post(&mock, "alfred@contoso.com", &body("sonyaf@contoso.com"));
    assert_eq!(response_codes(&xml), ["ErrorAccessDenied"]);
}

#[test]
fn the_attendee_finds_the_meeting_request_in_the_inbox_and_reads_it_as_a_meeting_request() {
    let mock = start();
    let attendees = "<t:RequiredAttendees><t:Attendee><t:Mailbox><t:EmailAddress>sonyaf@contoso.com</t:EmailAddress>\
        </t:Mailbox></t:Attendee></t:RequiredAttendees>";
    create(
        &mock,
        "alfred@contoso.com",
        "Project sync",
        "2026-01-10T10:00:00Z",
        "2026-01-10T11:00:00Z",
        attendees,
        "SendToAllAndSaveCopy",
    );
    let restriction = format!("<m:Restriction>{}</m:Restriction>", cmp("IsEqualTo", "item:Subject", "Project sync"));
    let xml = find_item(&mock, "sonyaf@contoso.com", &format!("{ID_ONLY}{restriction}"), "inbox");
    assert_eq!(item_children(&xml, "MeetingRequest"), ["ItemId"]);
    let doc = roxmltree::Document::parse(&xml).expect("xml");
    let id = doc
        .descendants()
        .find(|n| n.has_tag_name((T, "ItemId")))
        .and_then(|n| n.attribute("Id"))
        .expect("id")
        .to_string();
    let (_, xml) = get_item(&mock, "sonyaf@contoso.com", "<t:BaseShape>AllProperties</t:BaseShape>", &[&id]);
    let children = item_children(&xml, "MeetingRequest");
    let pos = |n: &str| children.iter().position(|c| c == n).unwrap_or_else(|| panic!("{n} missing: {children:?}"));
    assert!(pos("Subject") < pos("From") && pos("From") < pos("AssociatedCalendarItemId"));
    assert!(pos("UID") < pos("MeetingRequestType") && pos("MeetingRequestType") < pos("Start"));
    assert!(
        pos("Start") < pos("Location")
            && pos("Location") < pos("IsMeeting")
            && pos("Organizer") < pos("RequiredAttendees")
    );
    assert_eq!(text_of(&xml, "ItemClass"), ["IPM.Schedule.Meeting.Request"]);
    assert_eq!(text_of(&xml, "Body"), ["Body of Project sync"]);
    assert_eq!(text_of(&xml, "IsMeeting"), ["true"]);
    assert_eq!(text_of(&xml, "ResponseType"), ["NoResponseReceived", "Unknown"]);
    // The tentative copy in the attendee's calendar.
    let xml = find_item(
        &mock,
        "sonyaf@contoso.com",
        "<m:ItemShape><t:BaseShape>AllProperties</t:BaseShape></m:ItemShape>",
        "calendar",
    );
    assert_eq!(text_of(&xml, "LegacyFreeBusyStatus"), ["Tentative"]);
    assert_eq!(text_of(&xml, "MyResponseType"), ["NoResponseReceived"]);
    // The organizer's Sent Items copy.
    let xml = find_item(
        &mock,
        "alfred@contoso.com",
        "<m:ItemShape><t:BaseShape>Default</t:BaseShape></m:ItemShape>",
        "sentitems",
    );
    assert_eq!(item_children(&xml, "MeetingRequest")[..2], ["ItemId", "Subject"]);
}
