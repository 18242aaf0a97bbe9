//! F8: the open session's steps sent one by one, each live answer compared with its recording.

use std::path::PathBuf;

use serde_json::value::RawValue;

use crate::api::{CallOutcome, Identity, OpaqueState, SegmentationRequest, cohort_order};
use crate::console::app::{App, InFlight, StatusKind};
use crate::console::call::PendingCall;
use crate::console::message::Effect;
use crate::session::replay::{ReplayOptions, Verdict, cohorts_of, judge};
use crate::session::{Recording, Session, Tally};

use super::files::steps_word;

/// An opened session being replayed step by step.
#[derive(Debug)]
pub struct Playback {
    pub path: PathBuf,
    pub session: Session,
    pub(super) identity: Identity,
    /// The next step to send.
    pub next: usize,
    /// The state the next step sends: threaded from the live responses.
    pub(super) state: Option<OpaqueState>,
    /// The steps sent in this pass, in order.
    pub runs: Vec<StepRun>,
    /// (task, step) of the step in flight.
    pub(super) awaiting: Option<(u64, usize)>,
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
        self.runs.iter().find(|r| r.call_id == call_id)
    }

    pub(super) fn note_for(&self, call_id: u64) -> Option<String> {
        let run = self.run_for(call_id)?;
        Some(self.session.steps.get(run.step)?.note.clone())
    }

    /// `2 passed, 1 failed` over the steps sent so far.
    pub fn tally(&self) -> Tally {
        let mut tally = Tally::default();
        for run in &self.runs {
            match run.verdict {
                Verdict::Passed => tally.passed += 1,
                Verdict::Mismatch(_) | Verdict::Unrecorded => tally.failed += 1,
                Verdict::TargetError(_) => tally.errors += 1,
            }
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
    fn step_label_with_note(&self, step: usize) -> String {
        let mut label = self.step_label(step);
        if let Some(step) = self.session.steps.get(step)
            && !step.note.is_empty()
        {
            label.push_str(&format!(" ({})", step.note));
        }
        label
    }

    /// What F8 does next, in words.
    pub fn next_text(&self) -> String {
        if self.is_done() {
            format!(
                "All {} done: {}. F8 replays it again.",
                steps_word(self.total()),
                self.tally().summary()
            )
        } else {
            let mut next = format!("Next: step {}/{}", self.next + 1, self.total());
            if let Some(step) = self.session.steps.get(self.next)
                && !step.note.is_empty()
            {
                next.push_str(&format!(" ({})", step.note));
            }
            next.push_str(": F8 sends it.");
            next
        }
    }
}

/// F8: send the open session's next step (or start it again once all are done).
pub(crate) fn next_step(app: &mut App) -> Vec<Effect> {
    if app.in_flight.is_some() {
        app.set_status(
            StatusKind::Warning,
            "A request is already in flight: wait for it, or press Esc to cancel it.",
        );
        return Vec::new();
    }
    let Some(playback) = app.playback.as_mut() else {
        app.set_status(
            StatusKind::Warning,
            "No session open: F7 picks one (or start with segscope --session FILE).",
        );
        return Vec::new();
    };
    if playback.total() == 0 {
        app.set_status(StatusKind::Warning, "The open session has no steps.");
        return Vec::new();
    }
    if playback.is_done() {
        playback.next = 0;
        playback.runs.clear();
        playback.state = playback.session.initial_opaque_state();
    }
    let index = playback.next;
    let step = &playback.session.steps[index];
    let pretty = step.events_pretty();
    let events = match RawValue::from_string(step.events.to_string()) {
        Ok(raw) => raw,
        Err(e) => {
            app.set_status(StatusKind::Error, format!("Not sent: {e}"));
            return Vec::new();
        }
    };
    let event_count = step.event_count();
    let sync = step.synchronous_validation;
    let identity = playback.identity.clone();
    let state = playback.state.clone();
    let label = playback.step_label_with_note(index);
    // The console follows the session: its identity, the threaded state, the step's events and
    // validation flag, so what is on screen is what is sent.
    app.identity = identity.clone();
    app.state = state.clone();
    app.sync_validation = sync;
    app.editor.set_text(&pretty);
    let task = app.next_task();
    if let Some(playback) = app.playback.as_mut() {
        playback.awaiting = Some((task, index));
    }
    let pending = PendingCall {
        id: task,
        events_text: pretty,
        event_count,
        identity: identity.clone(),
        sync_validation: sync,
        state_before: state.clone(),
        sent_at: jiff::Timestamp::now(),
        request: SegmentationRequest {
            identity,
            events,
            state,
        },
    };
    app.in_flight = Some(InFlight {
        task,
        events: event_count,
        started: std::time::Instant::now(),
    });
    app.set_status(StatusKind::Info, format!("Sending {label}… Esc cancels."));
    vec![Effect::Send(Box::new(pending))]
}

/// After a call is in the history: if it was the step in flight, compare it with its recording.
pub(crate) fn after_call(app: &mut App, task: u64) {
    let Some(playback) = app.playback.as_mut() else {
        return;
    };
    let Some((_, index)) = playback.awaiting.filter(|(t, _)| *t == task) else {
        return;
    };
    playback.awaiting = None;
    let Some(call) = app.history.iter().rev().find(|c| c.id == task) else {
        return;
    };
    let before = cohorts_of(call.state_before.as_ref());
    let actual = Recording::from_outcome(&call.outcome, &before);
    let expected = playback.session.steps[index].expect.clone();
    let verdict = judge(
        expected.as_ref(),
        actual.as_ref(),
        &call.outcome,
        ReplayOptions::default(),
    );
    if let CallOutcome::Success { response, .. } = &call.outcome {
        playback.state = Some(response.state.clone());
    }
    let (kind, what) = match &verdict {
        Verdict::Passed => (StatusKind::Success, "as recorded".to_string()),
        Verdict::Mismatch(_) => (StatusKind::Error, String::new()),
        Verdict::Unrecorded => (
            StatusKind::Warning,
            "no recording to compare with".to_string(),
        ),
        Verdict::TargetError(message) => (StatusKind::Error, format!("target error: {message}")),
    };
    let run = StepRun {
        step: index,
        call_id: task,
        expected,
        actual,
        verdict,
    };
    let what = if let Verdict::Mismatch(_) = run.verdict {
        format!("≠ not as recorded: {}", explain(&run).join("; also "))
    } else {
        what
    };
    playback.runs.push(run);
    playback.next = index + 1;
    let kind = if playback.is_done() && kind == StatusKind::Success {
        if playback.tally().exit_code() == 0 {
            StatusKind::Success
        } else {
            StatusKind::Error
        }
    } else {
        kind
    };
    let text = format!(
        "{}: {what}. {}",
        playback.step_label(index),
        playback.next_text()
    );
    app.set_status(kind, text);
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
