//! JUnit XML for CI systems: one `testsuite` (tests/failures/skipped/time), one `testcase` per
//! scenario (`name` = id, `classname` = area), `<failure message=…>` with the full text, or
//! `<skipped message=…/>`. Written with quick-xml, so every value is escaped.

use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;

use super::report::{Report, Status};

/// The JUnit document for a report; `suite` names the testsuite.
pub fn to_junit(report: &Report, suite: &str) -> String {
    let (_, failures, skipped) = report.counts();
    let total: f64 = report.results.iter().map(|r| r.duration.as_secs_f64()).sum();
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    // Writing into a Vec cannot fail: every `write_event` below is infallible in practice.
    let mut put = |e: Event| w.write_event(e).expect("writing XML into a Vec cannot fail");
    put(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)));
    let tests = report.results.len().to_string();
    let (failures, skipped, time) = (failures.to_string(), skipped.to_string(), format!("{total:.3}"));
    put(Event::Start(BytesStart::new("testsuites").with_attributes([
        ("name", "ews-conformance"),
        ("tests", tests.as_str()),
        ("failures", failures.as_str()),
        ("skipped", skipped.as_str()),
        ("time", time.as_str()),
    ])));
    put(Event::Start(BytesStart::new("testsuite").with_attributes([
        ("name", suite),
        ("tests", tests.as_str()),
        ("failures", failures.as_str()),
        ("errors", "0"),
        ("skipped", skipped.as_str()),
        ("time", time.as_str()),
    ])));
    for r in &report.results {
        let time = format!("{:.3}", r.duration.as_secs_f64());
        let case = BytesStart::new("testcase").with_attributes([
            ("name", r.id.as_str()),
            ("classname", r.area.as_str()),
            ("time", time.as_str()),
        ]);
        match &r.status {
            Status::Pass if r.notes.is_empty() => put(Event::Empty(case)),
            status => {
                put(Event::Start(case));
                match status {
                    Status::Pass => {}
                    Status::Fail(m) => {
                        let first = m.lines().next().unwrap_or_default();
                        let message = format!("{first} (checks {})", r.spec);
                        put(Event::Start(BytesStart::new("failure").with_attributes([("message", message.as_str())])));
                        put(Event::Text(BytesText::new(m)));
                        put(Event::End(BytesEnd::new("failure")));
                    }
                    Status::Skip(m) => {
                        put(Event::Empty(BytesStart::new("skipped").with_attributes([("message", m.as_str())])))
                    }
                }
                if !r.notes.is_empty() {
                    put(Event::Start(BytesStart::new("system-out")));
                    put(Event::Text(BytesText::new(&r.notes.join("\n"))));
                    put(Event::End(BytesEnd::new("system-out")));
                }
                put(Event::End(BytesEnd::new("testcase")));
            }
        }
    }
    put(Event::End(BytesEnd::new("testsuite")));
    put(Event::End(BytesEnd::new("testsuites")));
    let mut xml = String::from_utf8(w.into_inner()).expect("quick-xml writes the UTF-8 it is given");
    xml.push('\n');
    xml
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::report::ScenarioResult;
    use std::time::Duration;

    #[test]
    fn junit_counts_failures_and_skips_and_escapes_messages() {
        let mk = |id: &str, status| ScenarioResult {
            id: id.into(),
            area: id.split('.').next().unwrap_or_default().into(),
            spec: "[MS-OXWSCORE] §3.1.4.2".into(),
            status,
            duration: Duration::from_millis(1500),
            notes: vec![],
        };
        let report = Report {
            results: vec![
                mk("seed.tennis", Status::Pass),
                mk("faults.x", Status::Fail("got <a> & \"b\"\nline 2".into())),
                mk("faults.y", Status::Skip("no /_mock/".into())),
            ],
        };
        let xml = to_junit(&report, "http://h/EWS/Exchange.asmx");
        let doc = roxmltree::Document::parse(&xml).expect("JUnit XML parses");
        let suite = doc.descendants().find(|n| n.has_tag_name("testsuite")).expect("a testsuite");
        assert_eq!(suite.attribute("tests"), Some("3"));
        assert_eq!(suite.attribute("failures"), Some("1"));
        assert_eq!(suite.attribute("skipped"), Some("1"));
        let failure = doc.descendants().find(|n| n.has_tag_name("failure")).expect("a failure");
        assert_eq!(failure.parent().and_then(|p| p.attribute("name")), Some("faults.x"));
        assert_eq!(failure.parent().and_then(|p| p.attribute("classname")), Some("faults"));
        assert_eq!(failure.attribute("message"), Some("got <a> & \"b\" (checks [MS-OXWSCORE] §3.1.4.2)"));
        assert_eq!(failure.text(), Some("got <a> & \"b\"\nline 2"));
        assert!(doc.descendants().any(|n| n.has_tag_name("skipped")));
    }
}
