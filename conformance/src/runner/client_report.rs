//! `client-report`: the requests in the mock's journal that broke a rule, so users can run
//! their own client's tests against `ews-mock --strict` and get a report on their client.
//!
//! Reads `GET {base}/_mock/requests` (or `{base}/t/{tenant}/_mock/requests`). An entry broke a
//! rule when its `violations` list is non-empty (recorded by `ews-mock --strict`: schema
//! violations and soft protocol mistakes) or when it was answered with `ErrorSchemaValidation`.
//! A journal without `violations` keys (a mock without `--strict` support) reads as none.

use std::fmt::Write as _;

use serde::Deserialize;

/// One journal entry, as far as the report needs it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Entry {
    /// Sequence number within the tenant.
    pub seq: u64,
    /// The EWS operation, or `""`.
    #[serde(default)]
    pub operation: String,
    /// Who authenticated.
    #[serde(default)]
    pub caller: String,
    /// The mailbox acted as.
    #[serde(default)]
    pub acting_as: Option<String>,
    /// The HTTP status.
    #[serde(default)]
    pub status: u16,
    /// `NoError`, the first per-message error, or the fault's code.
    #[serde(default)]
    pub response_code: String,
    /// The rules the request broke (missing before `--strict` existed: empty).
    #[serde(default)]
    pub violations: Vec<String>,
}

impl Entry {
    /// Whether the request broke a rule.
    pub fn broke_a_rule(&self) -> bool {
        !self.violations.is_empty() || self.response_code == "ErrorSchemaValidation"
    }
}

/// The journal URL for an endpoint's base (`http://host:port`, with or without
/// `/EWS/Exchange.asmx`) and an optional tenant.
///
/// ```
/// use ews_conformance::runner::client_report::journal_url;
/// assert_eq!(journal_url("http://h:8080/EWS/Exchange.asmx", None), "http://h:8080/_mock/requests");
/// assert_eq!(journal_url("http://h:8080/", Some("job-1")), "http://h:8080/t/job-1/_mock/requests");
/// ```
pub fn journal_url(endpoint: &str, tenant: Option<&str>) -> String {
    let mut base = endpoint.trim_end_matches('/');
    if let Some(cut) = base.len().checked_sub("/ews/exchange.asmx".len()) {
        if base.get(cut..).is_some_and(|t| t.eq_ignore_ascii_case("/ews/exchange.asmx")) {
            base = &base[..cut];
        }
    }
    match tenant {
        Some(t) => format!("{base}/t/{t}/_mock/requests"),
        None => format!("{base}/_mock/requests"),
    }
}

/// Parses the journal JSON.
pub fn parse_journal(json: &str) -> Result<Vec<Entry>, String> {
    serde_json::from_str(json).map_err(|e| format!("the journal is not the JSON ews-mock writes: {e}"))
}

/// The report text (one block per request that broke a rule, then `N requests, M with
/// violations`) and the number of such requests.
pub fn render(entries: &[Entry]) -> (String, usize) {
    let mut out = String::new();
    let bad: Vec<&Entry> = entries.iter().filter(|e| e.broke_a_rule()).collect();
    for e in &bad {
        let caller = if e.caller.is_empty() { "(unauthenticated)" } else { &e.caller };
        let op = if e.operation.is_empty() { "(no operation)" } else { &e.operation };
        let _ = write!(out, "#{} {op}  caller {caller}", e.seq);
        if let Some(a) = &e.acting_as {
            let _ = write!(out, " acting as {a}");
        }
        let _ = writeln!(out, "  HTTP {} {}", e.status, e.response_code);
        for v in &e.violations {
            let _ = writeln!(out, "    - {v}");
        }
        if e.violations.is_empty() {
            let _ = writeln!(out, "    - answered ErrorSchemaValidation (see the response in the journal)");
        }
    }
    let _ = writeln!(out, "{} requests, {} with violations", entries.len(), bad.len());
    (out, bad.len())
}

/// Fetches the journal and renders the report.
pub async fn fetch(endpoint: &str, tenant: Option<&str>) -> Result<(String, usize), String> {
    let url = journal_url(endpoint, tenant);
    let resp = reqwest::get(&url).await.map_err(|e| format!("GET {url}: {e}"))?;
    let status = resp.status();
    let body = resp.text().await.map_err(|e| format!("GET {url}: {e}"))?;
    if !status.is_success() {
        return Err(format!("GET {url}: HTTP {status}: {}", body.trim()));
    }
    Ok(render(&parse_journal(&body)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_without_violations_key_read_as_clean_unless_a_schema_fault() {
        let json = r#"[
          {"seq":1,"operation":"CreateItem","caller":"svc@x","acting_as":"a@x","status":200,"response_code":"NoError","duration":5,"request_xml":"","response_xml":""},
          {"seq":2,"operation":"CreateItem","caller":"svc@x","acting_as":null,"status":500,"response_code":"ErrorSchemaValidation"},
          {"seq":3,"operation":"GetItem","caller":"svc@x","status":200,"response_code":"NoError","violations":["missing X-AnchorMailbox under impersonation"]}
        ]"#;
        let entries = parse_journal(json).expect("parses");
        let (text, bad) = render(&entries);
        assert_eq!(bad, 2);
        assert!(!text.contains("#1 "), "{text}");
        assert!(text.contains("#2 CreateItem  caller svc@x  HTTP 500 ErrorSchemaValidation"), "{text}");
        assert!(text.contains("#3 GetItem  caller svc@x  HTTP 200 NoError\n    - missing X-AnchorMailbox"), "{text}");
        assert!(text.ends_with("3 requests, 2 with violations\n"), "{text}");
    }
}
