//! Limits and hostile XML: every limit is answered with a clear fault or HTTP status, the
//! process stays up, other clients are served, and nothing is stored.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::*;
use ews_mock::{FolderKind, MockEws};

const MAILBOXES: [&str; 3] = ["alfred@contoso.com", "sonyaf@contoso.com", "chris@contoso.com"];

fn nothing_stored(mock: &MockEws) {
    for mb in MAILBOXES {
        for folder in FolderKind::ALL {
            assert!(mock.items(mb, folder).is_empty(), "{mb} {folder:?} must stay empty");
        }
    }
}

/// The connection still answers a good request, and the item lands in alfred's calendar.
fn assert_usable(conn: &mut Conn, mock: &MockEws) {
    let before = mock.items("alfred@contoso.com", FolderKind::Calendar).len();
    let resp = conn.post(Some(&svc_calendar()), &seed_request("alfred@contoso.com"));
    assert_eq!(resp.response_codes(), ["NoError"], "{}", resp.body);
    assert_eq!(mock.items("alfred@contoso.com", FolderKind::Calendar).len(), before + 1);
}

/// Posts `body` and expects a SOAP fault with this code whose text contains `needle`.
fn assert_fault(conn: &mut Conn, body: &[u8], code: &str, needle: &str) -> Resp {
    let auth = svc_calendar();
    let resp = conn.send(
        "POST",
        "/EWS/Exchange.asmx",
        &[("Content-Type", "text/xml; charset=utf-8"), ("Authorization", &auth)],
        body,
    );
    assert_eq!(resp.status, 500, "{}", resp.body);
    assert_eq!(resp.fault_code().as_deref(), Some(code), "{}", resp.body);
    assert!(resp.body.contains(needle), "expected {needle:?} in {}", resp.body);
    resp
}

/// A CreateItem for alfred whose subject is wrapped in `depth` levels of `<t:x>`.
fn nested(depth: usize) -> String {
    let open = "<t:x>".repeat(depth);
    let close = "</t:x>".repeat(depth);
    envelope(
        &format!("{VERSION_2013}{}", impersonate("SmtpAddress", "alfred@contoso.com")),
        &create_item(
            "SendMeetingInvitations=\"SendToNone\"",
            &format!("<t:CalendarItem>{open}{close}</t:CalendarItem>"),
        ),
    )
}

#[test]
fn nesting_past_the_default_depth_is_a_schema_fault_naming_the_limit() {
    let mock = MockEws::start();
    let mut conn = Conn::open(mock.address());
    // The envelope, body, CreateItem, Items and CalendarItem are 5 levels.
    assert_fault(&mut conn, nested(124).as_bytes(), "ErrorSchemaValidation", "deeper than the limit of 128");
    nothing_stored(&mock);
    assert_usable(&mut conn, &mock);
}

#[test]
fn a_hundred_thousand_levels_of_nesting_are_refused_without_a_stack_overflow() {
    let mock = MockEws::start();
    let mut conn = Conn::open(mock.address());
    assert_fault(&mut conn, nested(100_000).as_bytes(), "ErrorSchemaValidation", "--max-xml-depth");
    // Deep nesting inside a restriction, and deep nesting of the envelope itself.
    let deep_not = format!(
        "<m:FindItem Traversal=\"Shallow\"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:Restriction>{}<t:Exists><t:FieldURI FieldURI=\"item:Subject\"/></t:Exists>{}</m:Restriction><m:ParentFolderIds><t:DistinguishedFolderId Id=\"calendar\"/></m:ParentFolderIds></m:FindItem>",
        "<t:Not>".repeat(100_000),
        "</t:Not>".repeat(100_000)
    );
    assert_fault(&mut conn, envelope(VERSION_2013, &deep_not).as_bytes(), "ErrorSchemaValidation", "--max-xml-depth");
    let deep_root = format!("{}{}", "<a>".repeat(100_000), "</a>".repeat(100_000));
    assert_fault(&mut conn, deep_root.as_bytes(), "ErrorSchemaValidation", "--max-xml-depth");
    nothing_stored(&mock);
    assert_usable(&mut conn, &mock);
}

#[test]
fn a_restriction_nested_deeper_than_its_own_bound_is_refused_even_with_a_high_xml_depth_limit() {
    let mock = MockEws::builder().max_xml_depth(1_000_000).start().expect("start");
    let mut conn = Conn::open(mock.address());
    // The depth limit is capped at 1024, which the parser's recursion fits on any server thread.
    assert_fault(&mut conn, nested(100_000).as_bytes(), "ErrorSchemaValidation", "deeper than the limit of 1024");
    let within = conn.post(Some(&svc_calendar()), &nested(1000));
    assert_eq!(within.fault_code().as_deref(), Some("ErrorSchemaValidation"), "an unknown element, parsed fine");
    let deep_not = format!(
        "<m:FindItem Traversal=\"Shallow\"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:Restriction>{}<t:Exists><t:FieldURI FieldURI=\"item:Subject\"/></t:Exists>{}</m:Restriction><m:ParentFolderIds><t:DistinguishedFolderId Id=\"calendar\"/></m:ParentFolderIds></m:FindItem>",
        "<t:Not>".repeat(1000),
        "</t:Not>".repeat(1000)
    );
    let body = envelope(&format!("{VERSION_2013}{}", impersonate("SmtpAddress", "alfred@contoso.com")), &deep_not);
    assert_fault(&mut conn, body.as_bytes(), "ErrorSchemaValidation", "deeper than 64 levels");
    assert_usable(&mut conn, &mock);
}

#[test]
fn the_depth_node_and_attribute_limits_are_configurable() {
    let mock = MockEws::builder().max_xml_depth(20).max_xml_nodes(500).max_xml_attributes(3).start().expect("start");
    let mut conn = Conn::open(mock.address());
    // 5 envelope levels + 15 = 20: at the limit, so only the unknown element is refused.
    let at_limit = conn.post(Some(&svc_calendar()), &nested(15));
    assert_eq!(at_limit.fault_code().as_deref(), Some("ErrorSchemaValidation"));
    assert!(!at_limit.body.contains("--max-xml-depth"), "{}", at_limit.body);
    assert_fault(&mut conn, nested(16).as_bytes(), "ErrorSchemaValidation", "deeper than the limit of 20");
    let many = nested(1).replace("<t:x></t:x>", &"<t:Categories/>".repeat(600));
    assert_fault(&mut conn, many.as_bytes(), "ErrorSchemaValidation", "more than 500 XML nodes");
    let attrs = nested(1).replace("<t:x>", "<t:x a='1' b='2' c='3' d='4'>");
    assert_fault(&mut conn, attrs.as_bytes(), "ErrorSchemaValidation", "4 attributes, more than the limit of 3");
    nothing_stored(&mock);
    assert_usable(&mut conn, &mock);
}

#[test]
fn more_than_64_attributes_on_one_element_are_refused_by_default() {
    let mock = MockEws::start();
    let mut conn = Conn::open(mock.address());
    let many: String = (0..65).map(|i| format!(" a{i}='v'")).collect();
    let body = nested(1).replace("<t:x>", &format!("<t:x{many}>"));
    assert_fault(&mut conn, body.as_bytes(), "ErrorSchemaValidation", "--max-xml-attributes");
    nothing_stored(&mock);
}

#[test]
fn every_dtd_trick_is_refused_before_expansion_and_reads_no_file() {
    let mock = MockEws::start();
    let mut conn = Conn::open(mock.address());
    let env_open =
        format!("<soap:Envelope xmlns:soap=\"{SOAP}\" xmlns:t=\"{TYPES}\" xmlns:m=\"{MESSAGES}\"><soap:Body>");
    let env_close = "</soap:Body></soap:Envelope>";
    let laughs: String =
        (1..10).map(|i| format!("<!ENTITY lol{i} \"{}\">", format!("&lol{};", i - 1).repeat(10))).collect();
    for (name, doctype, reference) in [
        ("billion laughs", format!("<!DOCTYPE lolz [<!ENTITY lol0 \"lol\">{laughs}]>"), "&lol9;"),
        ("external file", "<!DOCTYPE x [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>".to_string(), "&xxe;"),
        ("external DTD", "<!DOCTYPE x SYSTEM \"file:///etc/passwd\">".to_string(), ""),
        ("parameter entity", "<!DOCTYPE x [<!ENTITY % p SYSTEM \"file:///etc/passwd\"> %p;]>".to_string(), ""),
        ("parameter in parameter", "<!DOCTYPE x [<!ENTITY % a \"<!ENTITY b 'x'>\"> %a;]>".to_string(), "&b;"),
        ("public id", "<!DOCTYPE x PUBLIC \"-//x//x\" \"http://127.0.0.1:1/x.dtd\">".to_string(), ""),
    ] {
        let body = format!("<?xml version=\"1.0\"?>{doctype}{env_open}{reference}{env_close}");
        let resp = assert_fault(&mut conn, body.as_bytes(), "ErrorSchemaValidation", "DTD is prohibited");
        assert!(!resp.body.contains("root:"), "{name}: file content leaked: {}", resp.body);
        assert!(!resp.body.contains("lollol"), "{name}: an entity was expanded");
        assert!(resp.body.len() < 4096, "{name}: answer of {} bytes", resp.body.len());
    }
    // An entity reference without a DTD is an undeclared entity, not a file read.
    let bare = format!("{env_open}&xxe;{env_close}");
    assert_fault(&mut conn, bare.as_bytes(), "ErrorSchemaValidation", "undeclared entity 'xxe'");
    nothing_stored(&mock);
    assert_usable(&mut conn, &mock);
}

#[test]
fn invalid_utf8_anywhere_is_a_fault() {
    let mock = MockEws::start();
    let mut conn = Conn::open(mock.address());
    let good = seed_request("alfred@contoso.com");
    for bad in [&b"\xff\xfe"[..], b"\xc3\x28", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xc0\xaf"] {
        let mut body = good.clone().into_bytes();
        let at = good.find("Tennis").expect("subject");
        body.splice(at..at, bad.iter().copied());
        assert_fault(&mut conn, &body, "ErrorSchemaValidation", "Invalid character in the given encoding");
    }
    nothing_stored(&mock);
    assert_usable(&mut conn, &mock);
}

#[test]
fn a_huge_attribute_value_is_answered_and_memory_stays_bounded_by_the_body_limit() {
    let mock = MockEws::builder().max_body_bytes(4 << 20).start().expect("start");
    let mut conn = Conn::open(mock.address());
    let huge = "A".repeat(3 << 20);
    let get = format!(
        "<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:ItemIds><t:ItemId Id=\"{huge}\"/></m:ItemIds></m:GetItem>"
    );
    let body = envelope(&format!("{VERSION_2013}{}", impersonate("SmtpAddress", "alfred@contoso.com")), &get);
    let resp = conn.post(Some(&svc_calendar()), &body);
    assert_eq!(resp.response_codes(), ["ErrorInvalidIdMalformed"], "{}", &resp.body[..resp.body.len().min(500)]);
    assert!(resp.body.len() < 64 << 10, "the id is not echoed: {} bytes", resp.body.len());
    let over = body.replace(&huge, &"A".repeat(5 << 20));
    let resp = conn.post(Some(&svc_calendar()), &over);
    assert_eq!(resp.status, 413);
    assert_usable(&mut conn, &mock);
}

#[test]
fn namespace_tricks_are_faults_and_store_nothing() {
    let mock = MockEws::start();
    let mut conn = Conn::open(mock.address());
    let header = format!("{VERSION_2013}{}", impersonate("SmtpAddress", "alfred@contoso.com"));
    let good = create_item("SendMeetingInvitations=\"SendToNone\"", SEED_ITEM);
    let tricks = [
        // m: rebound to the types namespace on the operation element.
        ("prefix rebinding", good.replacen("<m:CreateItem ", &format!("<m:CreateItem xmlns:m=\"{TYPES}\" "), 1)),
        // t: rebound to the messages namespace on the item.
        ("item in messages namespace", good.replacen("<t:CalendarItem>", &format!("<t:CalendarItem xmlns:t=\"{MESSAGES}\">"), 1)),
        // A default namespace that puts the unprefixed item in the messages namespace.
        (
            "default namespace",
            format!(
                "<CreateItem xmlns=\"{MESSAGES}\" SendMeetingInvitations=\"SendToNone\"><Items><CalendarItem><Subject>x</Subject></CalendarItem></Items></CreateItem>"
            ),
        ),
        // The https spelling of the EWS namespaces.
        ("https messages", good.replacen("<m:CreateItem ", "<m:CreateItem xmlns:m=\"https://schemas.microsoft.com/exchange/services/2006/messages\" ", 1)),
        ("https types", good.replacen("<t:CalendarItem>", "<t:CalendarItem xmlns:t=\"https://schemas.microsoft.com/exchange/services/2006/types\">", 1)),
        // An EWS operation in the SOAP namespace.
        ("operation in soap namespace", good.replace("m:CreateItem", "soap:CreateItem").replace("m:Items", "soap:Items")),
        // A namespace undeclared on the way.
        ("undeclared prefix", good.replace("t:CalendarItem", "q:CalendarItem")),
    ];
    for (name, body) in tricks {
        let resp = conn.post(Some(&svc_calendar()), &envelope(&header, &body));
        assert_eq!(resp.status, 500, "{name}: {}", resp.body);
        assert!(resp.fault_code().is_some(), "{name}: a fault: {}", resp.body);
        nothing_stored(&mock);
    }
    // The envelope in the wrong namespace is a SOAP VersionMismatch, not an EWS answer.
    let wrong_env = envelope(&header, &good).replace(SOAP, "http://www.w3.org/2003/05/soap-envelope");
    let resp = conn.post(Some(&svc_calendar()), &wrong_env);
    assert_eq!(resp.status, 500);
    assert!(resp.body.contains("VersionMismatch"), "{}", resp.body);
    nothing_stored(&mock);
    assert_usable(&mut conn, &mock);
}

/// Reads everything until the server closes (or 5 s pass).
fn read_all(stream: &mut TcpStream) -> String {
    stream.set_read_timeout(Some(Duration::from_secs(5))).expect("timeout");
    let mut out = Vec::new();
    let _ = stream.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn a_request_head_over_the_limit_is_answered_431() {
    let mock = MockEws::builder().max_header_bytes(16 << 10).start().expect("start");
    let mut stream = TcpStream::connect(mock.address()).expect("connect");
    let big = "x".repeat(32 << 10);
    let head = format!("POST /EWS/Exchange.asmx HTTP/1.1\r\nHost: a\r\nX-Big: {big}\r\nContent-Length: 0\r\n\r\n");
    stream.write_all(head.as_bytes()).expect("write");
    let answer = read_all(&mut stream);
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer:?}");
    // Just under the limit is fine.
    let mut conn = Conn::open(mock.address());
    let auth = svc_calendar();
    let ok_header = "y".repeat(12 << 10);
    let resp = conn.send(
        "POST",
        "/EWS/Exchange.asmx",
        &[("Authorization", &auth), ("X-Ok", &ok_header)],
        seed_request("alfred@contoso.com").as_bytes(),
    );
    assert_eq!(resp.response_codes(), ["NoError"]);
}

#[test]
fn a_body_that_arrives_too_slowly_is_answered_408_and_others_are_served_meanwhile() {
    let mock = MockEws::builder().body_read_timeout(Duration::from_millis(500)).start().expect("start");
    let mut slow = TcpStream::connect(mock.address()).expect("connect");
    let auth = svc_calendar();
    let head = format!(
        "POST /EWS/Exchange.asmx HTTP/1.1\r\nHost: a\r\nAuthorization: {auth}\r\nContent-Length: 1000\r\n\r\n<soap:"
    );
    slow.write_all(head.as_bytes()).expect("write");
    let started = Instant::now();
    // Another client is served while the slow one holds its connection.
    let mut conn = Conn::open(mock.address());
    assert_usable(&mut conn, &mock);
    assert!(started.elapsed() < Duration::from_millis(400), "served at once");
    let answer = read_all(&mut slow);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer:?}");
    assert!(answer.contains("did not arrive within 500 ms"), "{answer:?}");
    assert!(started.elapsed() < Duration::from_secs(3));
    // The admin API, wrong paths and wrong methods read bodies under the same limit.
    for (method, path) in [("POST", "/_mock/faults"), ("POST", "/nowhere"), ("PUT", "/EWS/Exchange.asmx")] {
        let mut slow = TcpStream::connect(mock.address()).expect("connect");
        let head = format!("{method} {path} HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\n{{");
        slow.write_all(head.as_bytes()).expect("write");
        let answer = read_all(&mut slow);
        assert!(answer.starts_with("HTTP/1.1 408"), "{method} {path}: {answer:?}");
    }
}

#[test]
fn a_slow_loris_head_is_cut_off_and_never_blocks_other_clients() {
    let mock = MockEws::builder().header_read_timeout(Duration::from_millis(600)).start().expect("start");
    let addr = mock.address();
    let mut loris = TcpStream::connect(addr).expect("connect");
    let mut writer = loris.try_clone().expect("clone");
    let connected = Instant::now();
    // One byte every 50 ms: the head is never complete.
    std::thread::spawn(move || {
        for b in b"POST /EWS/Exchange.asmx HTTP/1.1\r\nHost: a\r\nX-Slow: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        {
            if writer.write_all(&[*b]).is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    });
    std::thread::sleep(Duration::from_millis(100));
    let mut conn = Conn::open(addr);
    let started = Instant::now();
    assert_usable(&mut conn, &mock);
    assert!(started.elapsed() < Duration::from_millis(300), "served at once");
    loris.set_read_timeout(Some(Duration::from_secs(3))).expect("timeout");
    let mut buf = [0u8; 256];
    match loris.read(&mut buf) {
        Ok(0) | Err(_) => {}
        Ok(n) => {
            let text = String::from_utf8_lossy(&buf[..n]).into_owned();
            assert!(text.starts_with("HTTP/1.1 408"), "only a timeout answer is acceptable: {text:?}");
        }
    }
    let cut_after = connected.elapsed();
    assert!(cut_after >= Duration::from_millis(550), "cut off early, after {cut_after:?}");
    assert!(cut_after < Duration::from_millis(2500), "cut off after {cut_after:?}");
}

#[test]
fn connections_over_the_limit_get_503_and_are_closed_and_slots_come_back() {
    let mock = MockEws::builder().max_connections(2).start().expect("start");
    let mut a = Conn::open(mock.address());
    let mut b = Conn::open(mock.address());
    assert_usable(&mut a, &mock);
    assert_usable(&mut b, &mock);
    let started = Instant::now();
    let mut third = TcpStream::connect(mock.address()).expect("connect");
    let _ = third.write_all(b"POST /EWS/Exchange.asmx HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n");
    let answer = read_all(&mut third);
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer:?}");
    assert!(answer.contains("--max-connections"), "{answer:?}");
    assert!(started.elapsed() < Duration::from_secs(2), "never hangs");
    // The first two are unharmed; closing one frees its slot.
    assert_usable(&mut a, &mock);
    drop(b);
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let mut s = TcpStream::connect(mock.address()).expect("connect");
        let auth = svc_calendar();
        let body = seed_request("alfred@contoso.com");
        let req = format!(
            "POST /EWS/Exchange.asmx HTTP/1.1\r\nHost: a\r\nAuthorization: {auth}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let _ = s.write_all(req.as_bytes());
        let answer = read_all(&mut s);
        if answer.starts_with("HTTP/1.1 200") {
            break;
        }
        assert!(Instant::now() < deadline, "the slot never came back: {answer:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn the_binary_applies_its_limit_flags() {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ews-mock"))
        .args(["--listen", "127.0.0.1:0", "--max-xml-depth", "10", "--max-xml-attributes", "4"])
        .args(["--max-xml-nodes", "300", "--max-body-bytes", "20000", "--max-header-bytes", "9000"])
        .args(["--body-read-timeout-ms", "300", "--header-read-timeout-ms", "5000", "--max-connections", "8"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn ews-mock");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("ready line");
    let addr: std::net::SocketAddr = line
        .trim()
        .trim_start_matches("ews-mock listening on http://")
        .trim_end_matches("/EWS/Exchange.asmx")
        .parse()
        .expect("address");
    let mut conn = Conn::open(addr);
    assert_fault(&mut conn, nested(6).as_bytes(), "ErrorSchemaValidation", "deeper than the limit of 10");
    // Namespace declarations count: the envelope's three and two more are five.
    let attrs = envelope("", "").replacen("<soap:Envelope ", "<soap:Envelope a='1' b='2' ", 1);
    assert_fault(&mut conn, attrs.as_bytes(), "ErrorSchemaValidation", "5 attributes, more than the limit of 4");
    let many = nested(1).replace("<t:x></t:x>", &"<t:Categories/>".repeat(400));
    assert_fault(&mut conn, many.as_bytes(), "ErrorSchemaValidation", "more than 300 XML nodes");
    let big = nested(1).replace("<t:x></t:x>", &" ".repeat(30_000));
    assert_eq!(conn.post(Some(&svc_calendar()), &big).status, 413);
    let mut stream = TcpStream::connect(addr).expect("connect");
    let head = format!("GET /_mock/health HTTP/1.1\r\nHost: a\r\nX-Big: {}\r\n\r\n", "x".repeat(10_000));
    stream.write_all(head.as_bytes()).expect("write");
    assert!(read_all(&mut stream).starts_with("HTTP/1.1 431"));
    let mut slow = TcpStream::connect(addr).expect("connect");
    slow.write_all(b"POST /EWS/Exchange.asmx HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n<").expect("write");
    assert!(read_all(&mut slow).contains("within 300 ms"));
    let _ = child.kill();
    let _ = child.wait();
}
