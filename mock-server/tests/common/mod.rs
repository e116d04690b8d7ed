//! Test helpers: a raw HTTP/1.1 client over a kept-alive TCP connection, and SOAP builders.
//!
//! The client is deliberately minimal and blocking: tests see exactly the bytes and headers the
//! mock sends, and can check that a connection stays usable after any answer.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

pub const SOAP: &str = "http://schemas.xmlsoap.org/soap/envelope/";
pub const TYPES: &str = "http://schemas.microsoft.com/exchange/services/2006/types";
pub const MESSAGES: &str = "http://schemas.microsoft.com/exchange/services/2006/messages";

/// An HTTP response.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn headers_named(&self, name: &str) -> Vec<&str> {
        self.headers.iter().filter(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str()).collect()
    }

    /// The body parsed as XML (panics with the body if it is not well-formed).
    pub fn doc(&self) -> roxmltree::Document<'_> {
        roxmltree::Document::parse(&self.body).unwrap_or_else(|e| panic!("response is not XML ({e}): {}", self.body))
    }

    /// The fault's `e:ResponseCode`, if this is an EWS fault.
    pub fn fault_code(&self) -> Option<String> {
        let doc = self.doc();
        let code = doc
            .descendants()
            .find(|n| n.has_tag_name(("http://schemas.microsoft.com/exchange/services/2006/errors", "ResponseCode")))?;
        code.text().map(str::to_string)
    }

    /// Every `m:ResponseCode` in order.
    pub fn response_codes(&self) -> Vec<String> {
        let doc = self.doc();
        doc.descendants()
            .filter(|n| n.has_tag_name((MESSAGES, "ResponseCode")))
            .map(|n| n.text().unwrap_or("").to_string())
            .collect()
    }

    /// Every `t:ItemId/@Id` in order.
    pub fn item_ids(&self) -> Vec<String> {
        let doc = self.doc();
        doc.descendants()
            .filter(|n| n.has_tag_name((TYPES, "ItemId")))
            .filter_map(|n| n.attribute("Id").map(str::to_string))
            .collect()
    }
}

/// A kept-alive connection to the mock.
pub struct Conn {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Conn {
    pub fn open(addr: SocketAddr) -> Conn {
        let stream = TcpStream::connect(addr).expect("connect to the mock");
        stream.set_read_timeout(Some(Duration::from_secs(10))).expect("set timeout");
        let writer = stream.try_clone().expect("clone stream");
        Conn { reader: BufReader::new(stream), writer }
    }

    /// Sends a request with the given extra headers and body; reads the whole response.
    pub fn send(&mut self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Resp {
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {}\r\n", body.len());
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        self.writer.write_all(head.as_bytes()).expect("write head");
        self.writer.write_all(body).expect("write body");
        self.read_response()
    }

    /// POSTs SOAP to /EWS/Exchange.asmx with an Authorization header value.
    pub fn post(&mut self, authorization: Option<&str>, body: &str) -> Resp {
        let mut headers = vec![("Content-Type", "text/xml; charset=utf-8")];
        if let Some(a) = authorization {
            headers.push(("Authorization", a));
        }
        self.send("POST", "/EWS/Exchange.asmx", &headers, body.as_bytes())
    }

    fn read_response(&mut self) -> Resp {
        let mut status_line = String::new();
        self.reader.read_line(&mut status_line).expect("read status line");
        assert!(!status_line.is_empty(), "the mock closed the connection instead of answering");
        let status: u16 = status_line.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("status code");
        let mut headers = Vec::new();
        loop {
            let mut line = String::new();
            self.reader.read_line(&mut line).expect("read header");
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            let (k, v) = line.split_once(':').expect("header line");
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
        let len: usize = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
            .map(|(_, v)| v.parse().expect("content-length"))
            .expect("the mock always sends Content-Length");
        let mut body = vec![0u8; len];
        self.reader.read_exact(&mut body).expect("read body");
        Resp { status, headers, body: String::from_utf8(body).expect("UTF-8 body") }
    }
}

/// `Basic base64(user:password)`.
pub fn basic(user: &str, password: &str) -> String {
    use base64::Engine;
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}")))
}

pub fn svc_calendar() -> String {
    basic("svc-calendar@contoso.com", "password")
}

/// A SOAP envelope with these header children and this body.
pub fn envelope(headers: &str, body: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<soap:Envelope xmlns:soap=\"{SOAP}\" xmlns:t=\"{TYPES}\" xmlns:m=\"{MESSAGES}\">\n<soap:Header>{headers}</soap:Header>\n<soap:Body>{body}</soap:Body>\n</soap:Envelope>"
    )
}

/// The ExchangeImpersonation header naming `value` with ConnectingSID child `kind`.
pub fn impersonate(kind: &str, value: &str) -> String {
    format!("<t:ExchangeImpersonation><t:ConnectingSID><t:{kind}>{value}</t:{kind}></t:ConnectingSID></t:ExchangeImpersonation>")
}

pub const VERSION_2013: &str = "<t:RequestServerVersion Version=\"Exchange2013\"/>";

/// The seed's calendar item.
pub const SEED_ITEM: &str = "<t:CalendarItem><t:Subject>Tennis lesson</t:Subject><t:Body BodyType=\"HTML\">Focus on backhand this week.</t:Body><t:ReminderDueBy>2013-09-19T14:37:10.732-07:00</t:ReminderDueBy><t:Start>2013-09-21T19:00:00.000Z</t:Start><t:End>2013-09-21T20:00:00.000Z</t:End><t:Location>Tennis club</t:Location><t:MeetingTimeZone TimeZoneName=\"Pacific Standard Time\"/></t:CalendarItem>";

/// A CreateItem with these attributes and items.
pub fn create_item(attrs: &str, items: &str) -> String {
    format!("<m:CreateItem {attrs}><m:Items>{items}</m:Items></m:CreateItem>")
}

/// The seed request acting as `mailbox` through SmtpAddress.
pub fn seed_request(mailbox: &str) -> String {
    envelope(
        &format!("{VERSION_2013}{}", impersonate("SmtpAddress", mailbox)),
        &create_item("SendMeetingInvitations=\"SendToNone\"", SEED_ITEM),
    )
}

/// Reads a file from ../shared/protocol, where the protocol examples live.
pub fn shared_example(rel: &str) -> Option<String> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/protocol").join(rel);
    std::fs::read_to_string(path).ok()
}
