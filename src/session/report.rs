//! What a replay prints: one line per step like a test runner, a summary, and JUnit XML.

use std::io;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

use super::replay::{StepResult, Verdict};

/// The replay of one file.
#[derive(Debug, Clone)]
pub struct FileReport {
    pub file: String,
    pub name: String,
    pub total_steps: usize,
    pub steps: Vec<StepResult>,
    /// The file could not be used at all (unreadable, bad JSON, not a session).
    pub error: Option<String>,
    /// Written back with the live recordings (`--update`).
    pub updated: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub passed: usize,
    pub failed: usize,
    pub errors: usize,
    pub skipped: usize,
}

impl Tally {
    pub fn of(reports: &[FileReport]) -> Tally {
        let mut t = Tally::default();
        for r in reports {
            if r.error.is_some() {
                t.errors += 1;
                continue;
            }
            for s in &r.steps {
                t.count(&s.verdict);
            }
            t.skipped += r.total_steps - r.steps.len();
        }
        t
    }

    /// Counts one step's verdict.
    pub fn count(&mut self, verdict: &Verdict) {
        match verdict {
            Verdict::Passed => self.passed += 1,
            Verdict::Mismatch(_) | Verdict::Unrecorded => self.failed += 1,
            Verdict::TargetError(_) => self.errors += 1,
        }
    }

    /// Passed, a mismatch, or a file or target error (which outweighs a mismatch).
    pub fn exit(&self) -> crate::exit::Exit {
        crate::exit::Exit::of(self.errors > 0, self.failed > 0)
    }

    /// 0 all passed, 1 a mismatch, 2 a file or target error.
    pub fn exit_code(&self) -> u8 {
        self.exit().code()
    }

    /// `N passed, M failed` (errors count as failed), alone on a line as test runners print it.
    pub fn summary(&self) -> String {
        let mut line = format!(
            "{} passed, {} failed",
            self.passed,
            self.failed + self.errors
        );
        if self.skipped > 0 {
            line.push_str(&format!(", {} skipped", self.skipped));
        }
        line
    }
}

/// The human report of one file.
pub fn text(report: &FileReport) -> String {
    let mut out = text_head(report);
    if report.error.is_some() {
        return out;
    }
    for step in &report.steps {
        out.push_str(&step_text(step));
    }
    out.push_str(&text_tail(report, report.steps.len()));
    out
}

/// The first line of a file's report (or its only one: why the file could not be used).
pub fn text_head(report: &FileReport) -> String {
    match &report.error {
        Some(error) => format!("✗ {error}\n"),
        None => format!(
            "{} — {} ({} steps)\n",
            report.file, report.name, report.total_steps
        ),
    }
}

/// One step's lines of the report (printed as the step finishes by a streamed replay).
pub fn step_text(step: &StepResult) -> String {
    let mut out = String::new();
    let label = step_label(step);
    match &step.verdict {
        Verdict::Passed => {
            let status = step.actual.as_ref().map(|a| a.status).unwrap_or_default();
            let mut line = format!("  ✓ {label} — {status}");
            if let Some(code) = step.actual.as_ref().and_then(|a| a.error_code) {
                line.push_str(&format!(" (code {code})"));
            }
            if let Some(a) = &step.actual {
                line.push_str(&format!(", cohorts [{}]", a.cohorts.join(", ")));
                for c in &a.entered {
                    line.push_str(&format!(" +{c}"));
                }
                for c in &a.left {
                    line.push_str(&format!(" -{c}"));
                }
            }
            out.push_str(&line);
            out.push('\n');
        }
        Verdict::Mismatch(diffs) => {
            out.push_str(&format!("  ✗ {label} — not as recorded\n"));
            for d in diffs {
                out.push_str(&format!("      {d}\n"));
            }
        }
        Verdict::Unrecorded => {
            out.push_str(&format!(
                "  ✗ {label} — no recording (run `segscope replay --update` to record it)\n"
            ));
        }
        Verdict::TargetError(message) => {
            out.push_str(&format!("  ! {label} — target error: {message}\n"));
        }
    }
    out
}

/// The lines after a file's steps, once `steps_run` of them have run.
pub fn text_tail(report: &FileReport, steps_run: usize) -> String {
    let mut out = String::new();
    let skipped = report.total_steps.saturating_sub(steps_run);
    if skipped > 0 {
        out.push_str(&format!(
            "  - {skipped} later step(s) not run: the state thread broke\n"
        ));
    }
    if report.updated {
        out.push_str("  recordings updated from the live responses\n");
    }
    out
}

fn step_label(step: &StepResult) -> String {
    if step.note.is_empty() {
        format!("step {}", step.index + 1)
    } else {
        format!("step {}: {}", step.index + 1, step.note)
    }
}

/// JUnit XML: one testsuite per file, one testcase per step.
pub fn junit(reports: &[FileReport]) -> String {
    let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
    write_junit(&mut writer, reports).expect("writing to memory cannot fail");
    let mut out =
        String::from_utf8(writer.into_inner()).expect("quick-xml writes the UTF-8 it is given");
    out.push('\n');
    out
}

fn write_junit(out: &mut Writer<Vec<u8>>, reports: &[FileReport]) -> io::Result<()> {
    let tally = Tally::of(reports);
    out.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let counts = |tests: usize, t: &Tally| {
        [
            ("tests", tests.to_string()),
            ("failures", t.failed.to_string()),
            ("errors", t.errors.to_string()),
            ("skipped", t.skipped.to_string()),
        ]
    };
    let total = tally.passed + tally.failed + tally.errors + tally.skipped;
    let mut suites = BytesStart::new("testsuites");
    suites.push_attribute(("name", "segscope replay"));
    for (name, value) in counts(total, &tally) {
        suites.push_attribute((name, value.as_str()));
    }
    out.write_event(Event::Start(suites))?;
    for report in reports {
        let file = carried(&report.file);
        if let Some(error) = &report.error {
            out.create_element("testsuite")
                .with_attributes([
                    ("name", file.as_str()),
                    ("file", file.as_str()),
                    ("tests", "1"),
                    ("failures", "0"),
                    ("errors", "1"),
                ])
                .write_inner_content(|out| {
                    out.create_element("testcase")
                        .with_attributes([("classname", file.as_str()), ("name", "load")])
                        .write_inner_content(|out| {
                            out.create_element("error")
                                .with_attribute(("message", carried(error).as_str()))
                                .write_empty()?;
                            Ok(())
                        })?;
                    Ok(())
                })?;
            continue;
        }
        let one = Tally::of(std::slice::from_ref(report));
        let mut suite = BytesStart::new("testsuite");
        suite.push_attribute(("name", carried(&report.name).as_str()));
        suite.push_attribute(("file", file.as_str()));
        for (name, value) in counts(report.total_steps, &one) {
            suite.push_attribute((name, value.as_str()));
        }
        out.write_event(Event::Start(suite))?;
        for step in &report.steps {
            let name = carried(&step_label(step));
            let case = out
                .create_element("testcase")
                .with_attributes([("classname", file.as_str()), ("name", name.as_str())]);
            match &step.verdict {
                Verdict::Passed => {
                    case.write_empty()?;
                }
                Verdict::Mismatch(diffs) => {
                    case.write_inner_content(|out| {
                        out.create_element("failure")
                            .with_attribute(("message", "not as recorded"))
                            .write_text_content(BytesText::new(&carried(&diffs.join("\n"))))?;
                        Ok(())
                    })?;
                }
                Verdict::Unrecorded => {
                    case.write_inner_content(|out| {
                        out.create_element("failure")
                            .with_attribute(("message", "no recording"))
                            .write_text_content(BytesText::new(
                                "run segscope replay --update to record it",
                            ))?;
                        Ok(())
                    })?;
                }
                Verdict::TargetError(message) => {
                    case.write_inner_content(|out| {
                        out.create_element("error")
                            .with_attribute(("message", carried(message).as_str()))
                            .write_empty()?;
                        Ok(())
                    })?;
                }
            }
        }
        for index in report.steps.len()..report.total_steps {
            out.create_element("testcase")
                .with_attributes([
                    ("classname", file.as_str()),
                    ("name", format!("step {}", index + 1).as_str()),
                ])
                .write_inner_content(|out| {
                    out.create_element("skipped")
                        .with_attribute((
                            "message",
                            "not run: an earlier step failed to reach the target",
                        ))
                        .write_empty()?;
                    Ok(())
                })?;
        }
        out.write_event(Event::End(BytesEnd::new("testsuite")))?;
    }
    out.write_event(Event::End(BytesEnd::new("testsuites")))?;
    Ok(())
}

/// Text as XML 1.0 can carry it (quick-xml escapes the rest): tabs and carriage returns become
/// spaces, other control characters but the line break are dropped.
fn carried(raw: &str) -> String {
    raw.chars()
        .filter_map(|c| match c {
            '\t' | '\r' => Some(' '),
            '\n' => Some('\n'),
            c if (c as u32) < 0x20 => None,
            c => Some(c),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(index: usize, note: &str, verdict: Verdict) -> StepResult {
        StepResult {
            index,
            note: note.to_string(),
            verdict,
            actual: None,
        }
    }

    /// Every verdict, with text XML must escape (and characters it cannot carry), read back by
    /// an XML parser: the report says what happened, character for character.
    #[test]
    fn junit_holds_every_verdict_and_any_text() {
        let nasty = "a <b> & \"c\" 'd'\u{1}\tend";
        let reports = vec![
            FileReport {
                file: "sessions/x&y.json".into(),
                name: format!("name {nasty}"),
                total_steps: 5,
                steps: vec![
                    step(0, "", Verdict::Passed),
                    step(
                        1,
                        nasty,
                        Verdict::Mismatch(vec!["cohorts: [1] → [2]".into(), nasty.into()]),
                    ),
                    step(2, "", Verdict::Unrecorded),
                    step(3, "", Verdict::TargetError(format!("no answer\n{nasty}"))),
                ],
                error: None,
                updated: false,
            },
            FileReport {
                file: "broken.json".into(),
                name: String::new(),
                total_steps: 0,
                steps: Vec::new(),
                error: Some(format!("broken.json: not JSON: {nasty}")),
                updated: false,
            },
        ];
        let xml = junit(&reports);
        assert!(
            xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"),
            "{xml}"
        );
        let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "testsuites");
        let attrs = |n: roxmltree::Node, names: &[&str]| -> Vec<String> {
            names
                .iter()
                .map(|a| n.attribute(*a).unwrap_or("-").to_string())
                .collect()
        };
        assert_eq!(
            attrs(root, &["name", "tests", "failures", "errors", "skipped"]),
            ["segscope replay", "6", "2", "2", "1"]
        );
        let clean = "a <b> & \"c\" 'd' end";
        let suites: Vec<_> = root.children().filter(|n| n.is_element()).collect();
        assert_eq!(suites.len(), 2);
        assert_eq!(
            attrs(
                suites[0],
                &["name", "file", "tests", "failures", "errors", "skipped"]
            ),
            [
                format!("name {clean}"),
                "sessions/x&y.json".into(),
                "5".into(),
                "2".into(),
                "1".into(),
                "1".into()
            ]
        );
        let cases: Vec<_> = suites[0].children().filter(|n| n.is_element()).collect();
        assert_eq!(cases.len(), 5);
        for case in &cases {
            assert_eq!(case.attribute("classname"), Some("sessions/x&y.json"));
        }
        let names: Vec<_> = cases.iter().map(|c| c.attribute("name").unwrap()).collect();
        assert_eq!(
            names,
            [
                "step 1".to_string(),
                format!("step 2: {clean}"),
                "step 3".into(),
                "step 4".into(),
                "step 5".into()
            ]
        );
        let inner = |case: &roxmltree::Node| -> Option<(String, String, String)> {
            let child = case.children().find(|n| n.is_element())?;
            Some((
                child.tag_name().name().to_string(),
                child.attribute("message").unwrap_or("").to_string(),
                child.text().unwrap_or("").to_string(),
            ))
        };
        assert_eq!(inner(&cases[0]), None);
        assert_eq!(
            inner(&cases[1]),
            Some((
                "failure".into(),
                "not as recorded".into(),
                format!("cohorts: [1] → [2]\n{clean}")
            ))
        );
        assert_eq!(
            inner(&cases[2]),
            Some((
                "failure".into(),
                "no recording".into(),
                "run segscope replay --update to record it".into()
            ))
        );
        assert_eq!(
            inner(&cases[3]),
            Some(("error".into(), format!("no answer\n{clean}"), String::new()))
        );
        assert_eq!(
            inner(&cases[4]),
            Some((
                "skipped".into(),
                "not run: an earlier step failed to reach the target".into(),
                String::new()
            ))
        );
        assert_eq!(
            attrs(suites[1], &["name", "file", "tests", "failures", "errors"]),
            ["broken.json", "broken.json", "1", "0", "1"]
        );
        let load: Vec<_> = suites[1].children().filter(|n| n.is_element()).collect();
        assert_eq!(load[0].attribute("name"), Some("load"));
        assert_eq!(
            inner(&load[0]),
            Some((
                "error".into(),
                format!("broken.json: not JSON: {clean}"),
                String::new()
            ))
        );
    }
}
