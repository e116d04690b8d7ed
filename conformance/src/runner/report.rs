//! Results: one line per scenario (`PASS|FAIL|SKIP  id  (duration)`, the failure indented
//! below), and the summary line `N passed, M failed, K skipped`.

use std::fmt::Write as _;
use std::time::Duration;

/// A scenario's verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// It passed.
    Pass,
    /// It failed; the text is the diff, fault or code.
    Fail(String),
    /// It did not run; the text says why.
    Skip(String),
}

/// One scenario's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioResult {
    /// The scenario id.
    pub id: String,
    /// Its area (the id up to the first dot).
    pub area: String,
    /// The spec section it checks.
    pub spec: String,
    /// Pass, fail or skip.
    pub status: Status,
    /// How long it took, cleanup excluded.
    pub duration: Duration,
    /// Remarks that do not change the verdict (e.g. cleanup problems).
    pub notes: Vec<String>,
}

/// Formats a duration as `12 ms` or `1.25 s`.
pub fn format_duration(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{} ms", d.as_millis())
    } else {
        format!("{:.2} s", d.as_secs_f64())
    }
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("      {l}\n")).collect()
}

impl ScenarioResult {
    /// The word of the verdict.
    pub fn word(&self) -> &'static str {
        match self.status {
            Status::Pass => "PASS",
            Status::Fail(_) => "FAIL",
            Status::Skip(_) => "SKIP",
        }
    }

    /// The result as printed: the line, then the failure or skip reason and notes, indented.
    pub fn render(&self) -> String {
        let mut out = format!("{}  {}  ({})\n", self.word(), self.id, format_duration(self.duration));
        match &self.status {
            Status::Pass => {}
            Status::Fail(m) => {
                let _ = writeln!(out, "      checks {}", self.spec);
                out.push_str(&indent(m));
            }
            Status::Skip(m) => out.push_str(&indent(&format!("skipped: {m}"))),
        }
        for n in &self.notes {
            out.push_str(&indent(n));
        }
        out
    }
}

/// All results of a run.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Report {
    /// In run order.
    pub results: Vec<ScenarioResult>,
}

impl Report {
    /// How many passed, failed and were skipped.
    pub fn counts(&self) -> (usize, usize, usize) {
        let count = |f: fn(&Status) -> bool| self.results.iter().filter(|r| f(&r.status)).count();
        (
            count(|s| matches!(s, Status::Pass)),
            count(|s| matches!(s, Status::Fail(_))),
            count(|s| matches!(s, Status::Skip(_))),
        )
    }

    /// `N passed, M failed, K skipped`.
    pub fn summary(&self) -> String {
        let (p, f, s) = self.counts();
        format!("{p} passed, {f} failed, {s} skipped")
    }

    /// True when nothing failed.
    pub fn ok(&self) -> bool {
        self.counts().1 == 0
    }

    /// The result of one scenario.
    pub fn get(&self, id: &str) -> Option<&ScenarioResult> {
        self.results.iter().find(|r| r.id == id)
    }

    /// Every line, then the summary.
    pub fn render(&self) -> String {
        let mut out: String = self.results.iter().map(ScenarioResult::render).collect();
        out.push_str(&self.summary());
        out.push('\n');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(id: &str, status: Status) -> ScenarioResult {
        ScenarioResult {
            id: id.into(),
            area: "a".into(),
            spec: "[MS-X] §1".into(),
            status,
            duration: Duration::from_millis(7),
            notes: vec![],
        }
    }

    #[test]
    fn a_report_prints_one_line_per_scenario_the_failure_indented_and_the_summary() {
        let report = Report {
            results: vec![
                result("a.one", Status::Pass),
                result("a.two", Status::Fail("expected X\ngot Y".into())),
                result("a.three", Status::Skip("no admin API".into())),
            ],
        };
        assert_eq!(
            report.render(),
            "PASS  a.one  (7 ms)\nFAIL  a.two  (7 ms)\n      checks [MS-X] §1\n      expected X\n      got Y\n\
             SKIP  a.three  (7 ms)\n      skipped: no admin API\n1 passed, 1 failed, 1 skipped\n"
        );
        assert!(!report.ok());
    }
}
