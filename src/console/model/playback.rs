//! The session opened for step-by-step replay (F8), and how a step's answer compares with its
//! recording (the verdict itself is `session::replay`'s).

use std::path::PathBuf;

use crate::api::{Identity, OpaqueState, cohort_order};
use crate::console::words::count;
use crate::session::replay::Verdict;
use crate::session::{Recording, Session, Tally};

/// An opened session being replayed step by step.
#[derive(Debug)]
pub struct Playback {
    pub path: PathBuf,
    pub session: Session,
    pub(crate) identity: Identity,
    /// The next step to send.
    pub next: usize,
    /// The state the next step sends: threaded from the live responses.
    pub(crate) state: Option<OpaqueState>,
    /// The steps sent in this pass, in order.
    pub runs: Vec<StepRun>,
    /// The steps of earlier passes (F8 after the last step starts again): their History rows
    /// keep their marks, though the tally counts this pass only.
    pub earlier: Vec<StepRun>,
    /// (task, step) of the step in flight.
    pub(crate) awaiting: Option<(u64, usize)>,
}

/// One replayed step: the recording, what came back, and the verdict.
#[derive(Debug, Clone)]
pub struct StepRun {
    pub step: usize,
    /// The history call it became.
    pub call_id: u64,
    pub expected: Option<Recording>,
    pub actual: Option<Recording>,
    pub verdict: Verdict,
}

impl Playback {
    pub fn total(&self) -> usize {
        self.session.steps.len()
    }

    pub fn is_done(&self) -> bool {
        self.next >= self.total()
    }

    /// The replayed step a history call was, if any.
    pub fn run_for(&self, call_id: u64) -> Option<&StepRun> {
        self.runs
            .iter()
            .chain(&self.earlier)
            .find(|r| r.call_id == call_id)
    }

    pub(crate) fn note_for(&self, call_id: u64) -> Option<String> {
        let run = self.run_for(call_id)?;
        Some(self.session.steps.get(run.step)?.note.clone())
    }

    /// `2 passed, 1 failed` over the steps sent so far.
    pub fn tally(&self) -> Tally {
        let mut tally = Tally::default();
        for run in &self.runs {
            tally.count(&run.verdict);
        }
        tally
    }

    /// `step 2/3 of "name"`.
    pub fn step_label(&self, step: usize) -> String {
        format!(
            "step {}/{} of \"{}\"",
            step + 1,
            self.total(),
            self.session.name
        )
    }

    /// `step 2/3 of "name" (note)`.
    pub(crate) fn step_label_with_note(&self, step: usize) -> String {
        let mut label = self.step_label(step);
        if let Some(step) = self.session.steps.get(step)
            && !step.note.is_empty()
        {
            label.push_str(&format!(" ({})", step.note));
        }
        label
    }

    /// What F8 does next, in words; `keys` are F8's (`F8 or Alt+R`, from the keymap).
    pub fn next_text(&self, keys: &str) -> String {
        if self.is_done() {
            format!(
                "All {} done: {}. {keys} replays it again.",
                count(self.total(), "step"),
                self.tally().summary()
            )
        } else {
            let mut next = format!("Next: step {}/{}", self.next + 1, self.total());
            if let Some(step) = self.session.steps.get(self.next)
                && !step.note.is_empty()
            {
                next.push_str(&format!(" ({})", step.note));
            }
            next.push_str(&format!(": {keys} sends it."));
            next
        }
    }
}

// ------------------------------------------------------------------ comparison

/// Where a cohort stands after a call, as a recording tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    Entered,
    In,
    Left,
    Out,
}

impl Mark {
    pub fn of(recording: &Recording, code: &str) -> Mark {
        let has = |list: &[String]| list.iter().any(|c| c == code);
        if has(&recording.entered) {
            Mark::Entered
        } else if has(&recording.cohorts) {
            Mark::In
        } else if has(&recording.left) {
            Mark::Left
        } else {
            Mark::Out
        }
    }

    /// The cell of the recorded/actual columns.
    pub fn cell(self) -> &'static str {
        match self {
            Mark::Entered => "+ entered",
            Mark::In => "  in",
            Mark::Left => "- left",
            Mark::Out => "  ·",
        }
    }

    fn words(self) -> &'static str {
        match self {
            Mark::Entered => "entered",
            Mark::In => "in (unchanged)",
            Mark::Left => "left",
            Mark::Out => "not in",
        }
    }
}

/// One cohort in the recorded-vs-actual view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CohortRow {
    pub code: String,
    pub recorded: Option<Mark>,
    pub actual: Option<Mark>,
}

impl CohortRow {
    pub fn differs(&self) -> bool {
        self.recorded.is_some() && self.actual.is_some() && self.recorded != self.actual
    }
}

/// Every cohort either side mentions (members, entered, left), in the API's order.
pub fn comparison_rows(expected: Option<&Recording>, actual: Option<&Recording>) -> Vec<CohortRow> {
    let mut codes: Vec<String> = Vec::new();
    for r in [expected, actual].into_iter().flatten() {
        for code in r.cohorts.iter().chain(&r.entered).chain(&r.left) {
            if !codes.contains(code) {
                codes.push(code.clone());
            }
        }
    }
    codes.sort_by(|a, b| cohort_order(a, b));
    codes
        .into_iter()
        .map(|code| CohortRow {
            recorded: expected.map(|r| Mark::of(r, &code)),
            actual: actual.map(|r| Mark::of(r, &code)),
            code,
        })
        .collect()
}

fn show_code(code: Option<i64>) -> String {
    code.map_or_else(|| "none".into(), |c| c.to_string())
}

/// The differences of a step in words, one per line
/// (`recorded 1001 entered; actually not entered`). Empty when it went as recorded.
pub fn explain(run: &StepRun) -> Vec<String> {
    let diffs = match &run.verdict {
        Verdict::Passed => return Vec::new(),
        Verdict::Unrecorded => {
            return vec!["this step has no recording (segscope replay --update records it)".into()];
        }
        Verdict::TargetError(message) => return vec![format!("target error: {message}")],
        Verdict::Mismatch(diffs) => diffs,
    };
    let (Some(expected), Some(actual)) = (&run.expected, &run.actual) else {
        return diffs.clone();
    };
    let mut out = Vec::new();
    if expected.status != actual.status {
        out.push(format!(
            "recorded status {}; actually {}",
            expected.status, actual.status
        ));
    }
    if expected.error_code != actual.error_code {
        out.push(format!(
            "recorded error code {}; actually {}",
            show_code(expected.error_code),
            show_code(actual.error_code)
        ));
    }
    for row in comparison_rows(Some(expected), Some(actual)) {
        let (Some(r), Some(a)) = (row.recorded, row.actual) else {
            continue;
        };
        if r == a {
            continue;
        }
        let code = &row.code;
        out.push(match (r, a) {
            (Mark::Entered, Mark::Out) => format!("recorded {code} entered; actually not entered"),
            (Mark::Out, Mark::Entered) => format!("recorded {code} not entered; actually entered"),
            (Mark::Left, Mark::In) => format!("recorded {code} left; actually stayed in"),
            (Mark::In, Mark::Left) => format!("recorded {code} stayed in; actually left"),
            (r, a) => format!("recorded {code} {}; actually {}", r.words(), a.words()),
        });
    }
    if out.is_empty() {
        // A difference the marks do not show (e.g. the order of a list): say it as replay does.
        return diffs.clone();
    }
    out
}
