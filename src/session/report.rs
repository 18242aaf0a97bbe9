//! What a replay prints: one line per step like a test runner, a summary, and JUnit XML.

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

    /// 0 all passed, 1 a mismatch, 2 a file or target error.
    pub fn exit_code(&self) -> u8 {
        if self.errors > 0 {
            2
        } else if self.failed > 0 {
            1
        } else {
            0
        }
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
    let tally = Tally::of(reports);
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"segscope replay\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">\n",
        tally.passed + tally.failed + tally.errors + tally.skipped,
        tally.failed,
        tally.errors,
        tally.skipped
    ));
    for report in reports {
        let file = xml(&report.file);
        if let Some(error) = &report.error {
            out.push_str(&format!(
                "  <testsuite name=\"{file}\" file=\"{file}\" tests=\"1\" failures=\"0\" errors=\"1\">\n    <testcase classname=\"{file}\" name=\"load\">\n      <error message=\"{}\"/>\n    </testcase>\n  </testsuite>\n",
                xml(error)
            ));
            continue;
        }
        let one = Tally::of(std::slice::from_ref(report));
        out.push_str(&format!(
            "  <testsuite name=\"{}\" file=\"{file}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">\n",
            xml(&report.name),
            report.total_steps,
            one.failed,
            one.errors,
            one.skipped
        ));
        for step in &report.steps {
            let name = xml(&step_label(step));
            out.push_str(&format!(
                "    <testcase classname=\"{file}\" name=\"{name}\""
            ));
            match &step.verdict {
                Verdict::Passed => out.push_str("/>\n"),
                Verdict::Mismatch(diffs) => out.push_str(&format!(
                    ">\n      <failure message=\"not as recorded\">{}</failure>\n    </testcase>\n",
                    xml(&diffs.join("\n"))
                )),
                Verdict::Unrecorded => out.push_str(
                    ">\n      <failure message=\"no recording\">run segscope replay --update to record it</failure>\n    </testcase>\n",
                ),
                Verdict::TargetError(message) => out.push_str(&format!(
                    ">\n      <error message=\"{}\"/>\n    </testcase>\n",
                    xml(message)
                )),
            }
        }
        for index in report.steps.len()..report.total_steps {
            out.push_str(&format!(
                "    <testcase classname=\"{file}\" name=\"step {}\">\n      <skipped message=\"not run: an earlier step failed to reach the target\"/>\n    </testcase>\n",
                index + 1
            ));
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

/// Escapes text for an XML attribute or element, dropping characters XML 1.0 cannot carry.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\t' | '\r' => out.push(' '),
            c if (c as u32) < 0x20 => {}
            c => out.push(c),
        }
    }
    out
}
