//! Sessions in the console: save the history as a `segscope-session/1` file (F6), open one
//! (`--session FILE` or the picker, F7), and replay it step by step (F8), each step's live
//! answer compared with its recording the way `segscope replay` compares them.
//!
//! The files are small and local, so reading and writing them happens in the update step
//! itself: the screen never shows half a save, and nothing here talks to the network except
//! through [`Effect::Send`].

use std::path::{Path, PathBuf};

use crossterm::event::{KeyCode, KeyEvent};
use ratatui_textarea::{CursorMove, TextArea};
use serde_json::Value;
use serde_json::value::RawValue;

use super::app::{App, InFlight, Popup, StatusKind};
use super::call::{Call, PendingCall};
use super::message::Effect;
use super::theme::Theme;
use crate::api::{CallOutcome, Identity, OpaqueState, SegmentationRequest, cohort_order};
use crate::session::replay::{ReplayOptions, Verdict, cohorts_of, judge};
use crate::session::{Recording, Session, Tally};

/// Where the picker looks for session files (relative to the current directory).
/// The current directory's session folder: F6 saves there when it exists.
pub const LOCAL_SESSIONS: &str = "sessions";

/// `$XDG_DATA_HOME/segscope/sessions` (`~/.local/share/segscope/sessions`): where F6 saves when
/// the current directory has no `sessions/`.
pub fn data_sessions_dir() -> Option<PathBuf> {
    use etcetera::BaseStrategy;
    etcetera::choose_base_strategy()
        .ok()
        .map(|dirs| dirs.data_dir().join("segscope").join("sessions"))
}

/// Where F6 saves: `./sessions/` if it exists, else [`data_sessions_dir`].
pub fn save_dir() -> PathBuf {
    let local = Path::new(LOCAL_SESSIONS);
    if local.is_dir() {
        return local.to_path_buf();
    }
    data_sessions_dir().unwrap_or_else(|| local.to_path_buf())
}

/// What F7 lists, after the bundled sessions: `./sessions/`, the data directory, and `.`.
pub fn session_dirs() -> Vec<PathBuf> {
    let mut dirs = vec![PathBuf::from(LOCAL_SESSIONS)];
    dirs.extend(data_sessions_dir());
    dirs.push(PathBuf::from("."));
    dirs
}

// ------------------------------------------------------------------ popups

/// The popups of this module (one variant of [`Popup`], so the shared code stays small).
#[derive(Debug)]
pub enum SessionPopup {
    Save(Box<SaveForm>),
    Open(SessionPicker),
}

/// The save form (F6): name, description and file, all editable.
#[derive(Debug)]
pub struct SaveForm {
    /// name, description, file.
    pub fields: [TextArea<'static>; 3],
    pub field: usize,
    /// The file name was typed by hand: a new name no longer renames it.
    pub file_edited: bool,
    /// The file that exists and that a second Enter will overwrite.
    pub confirm_overwrite: Option<PathBuf>,
    pub error: Option<String>,
    /// Calls the session will hold (shown in the form).
    pub calls: usize,
}

pub const SAVE_LABELS: [&str; 3] = ["name", "description", "file"];

fn one_line(text: &str, theme: Theme) -> TextArea<'static> {
    let mut area = TextArea::new(vec![text.to_string()]);
    area.set_cursor_line_style(ratatui::style::Style::new());
    area.set_cursor_style(theme.cursor());
    area.move_cursor(CursorMove::End);
    area
}

impl SaveForm {
    pub fn new(name: &str, calls: usize, theme: Theme) -> SaveForm {
        let mut form = SaveForm {
            fields: [
                one_line(name, theme),
                one_line("", theme),
                one_line(&default_file(name), theme),
            ],
            field: 0,
            file_edited: false,
            confirm_overwrite: None,
            error: None,
            calls,
        };
        form.set_field(0, theme);
        form
    }

    pub fn value(&self, field: usize) -> String {
        self.fields[field].lines().concat().trim().to_string()
    }

    pub fn set_field(&mut self, field: usize, theme: Theme) {
        self.field = field % self.fields.len();
        for (i, area) in self.fields.iter_mut().enumerate() {
            area.set_cursor_style(if i == self.field {
                theme.cursor()
            } else {
                ratatui::style::Style::new()
            });
        }
    }
}

/// The session picker (F7): the session files found, with their names.
#[derive(Debug)]
pub struct SessionPicker {
    pub entries: Vec<SessionEntry>,
    pub selected: usize,
    /// `.json` files that are not sessions (not listed).
    pub skipped: usize,
}

#[derive(Debug, Clone)]
pub struct SessionEntry {
    pub path: PathBuf,
    pub name: String,
    pub steps: usize,
}

/// The `.json` files of `dirs` that parse as sessions, in path order per directory.
pub fn list_sessions(dirs: &[&Path]) -> (Vec<SessionEntry>, usize) {
    let mut entries = Vec::new();
    let mut skipped = 0;
    for (name, _) in crate::bundled::sessions() {
        let path = PathBuf::from(name);
        if let Ok(session) = Session::load(&path) {
            entries.push(SessionEntry {
                name: session.name,
                steps: session.steps.len(),
                path,
            });
        }
    }
    for dir in dirs {
        let Ok(read) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut paths: Vec<PathBuf> = read
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "json"))
            .collect();
        paths.sort();
        for path in paths {
            // `./x.json` reads better as `x.json`.
            let path = path
                .strip_prefix(".")
                .map(Path::to_path_buf)
                .unwrap_or(path);
            match Session::load(&path) {
                Ok(session) => entries.push(SessionEntry {
                    name: session.name,
                    steps: session.steps.len(),
                    path,
                }),
                Err(_) => skipped += 1,
            }
        }
    }
    (entries, skipped)
}

// ------------------------------------------------------------------ saving

/// `console session 2026-03-06 14:02` (no clock in stable mode).
pub fn default_name(stable: bool) -> String {
    if stable {
        return "console session".into();
    }
    let now = jiff::Timestamp::now().to_zoned_datetime(jiff::tz::TimeZone::system());
    format!("console session {}", now.strftime("%Y-%m-%d %H:%M"))
}

/// `Console session 2026-03-06 14:02` → `console-session-2026-03-06-14-02`.
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_matches('-').to_string();
    if out.is_empty() {
        "session".into()
    } else {
        out
    }
}

pub fn default_file(name: &str) -> String {
    save_dir()
        .join(format!("{}.json", slug(name)))
        .display()
        .to_string()
}

/// What of the history a save keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SavedCalls {
    /// Calls in the saved thread (answered or not).
    pub thread: usize,
    /// Steps written (calls that got an HTTP answer).
    pub steps: usize,
    /// Earlier calls left out: another identity, or a state the thread does not lead to.
    pub left_out: usize,
}

/// The index where the saved thread starts: the longest run of calls at the end of the history
/// with one identity in which each call sent the state the one before it left. A session has
/// one identity and threads the state itself, so only such a run replays as it happened.
fn thread_start(history: &[Call]) -> Option<usize> {
    let last = history.last()?;
    let mut start = history.len() - 1;
    let mut sent = last.state_before.as_ref().map(OpaqueState::as_str);
    for i in (0..history.len() - 1).rev() {
        let call = &history[i];
        let left = if call.succeeded() {
            call.state_after.as_ref()
        } else {
            call.state_before.as_ref()
        };
        if call.identity != last.identity || left.map(OpaqueState::as_str) != sent {
            break;
        }
        start = i;
        sent = call.state_before.as_ref().map(OpaqueState::as_str);
    }
    Some(start)
}

/// The events a call sent, as JSON.
fn events_of(call: &Call) -> Option<Value> {
    serde_json::from_str::<Value>(call.request.events.get()).ok()
}

/// A session of the history's last thread (see [`thread_start`]): its identity, the state its
/// first call sent, and one step per call that got an HTTP answer. `notes` names steps by call
/// id (calls that were themselves replayed steps keep their notes).
pub fn session_from_history(
    history: &[Call],
    name: &str,
    description: &str,
    target: &crate::api::Target,
    note_of: impl Fn(u64) -> Option<String>,
) -> Option<(Session, SavedCalls)> {
    let start = thread_start(history)?;
    let thread = &history[start..];
    let first = thread.first()?;
    let mut session = Session::new(name, &first.identity);
    session.description = description.to_string();
    session.set_recorded_against(target);
    session.initial_state = first.state_before.as_ref().map(|s| s.to_raw());
    for call in thread {
        let Some(events) = events_of(call) else {
            continue;
        };
        let before = cohorts_of(call.state_before.as_ref());
        session.record_step(
            note_of(call.id).unwrap_or_default(),
            events,
            call.sync_validation,
            &call.outcome,
            &before,
        );
    }
    let saved = SavedCalls {
        thread: thread.len(),
        steps: session.steps.len(),
        left_out: start,
    };
    (saved.steps > 0).then_some((session, saved))
}

/// F6: the save form, or why there is nothing to save.
pub(crate) fn open_save_form(app: &mut App) {
    let steps = app
        .history
        .iter()
        .filter(|c| !matches!(c.outcome, CallOutcome::Transport { .. }))
        .count();
    if steps == 0 {
        app.set_status(
            StatusKind::Warning,
            "Nothing to save yet: no call got an HTTP answer. F5 sends the events.",
        );
        return;
    }
    let name = default_name(app.options.stable);
    app.popup = Some(Popup::Session(Box::new(SessionPopup::Save(Box::new(
        SaveForm::new(&name, steps, app.theme),
    )))));
}

/// Enter in the save form: write the file, unless it exists and the overwrite is not confirmed.
fn save(app: &mut App, form: &mut SaveForm) -> bool {
    let name = form.value(0);
    let description = form.value(1);
    let file = form.value(2);
    if name.is_empty() || file.is_empty() {
        form.error = Some("A session needs a name and a file.".into());
        return false;
    }
    let path = PathBuf::from(&file);
    if path.is_dir() {
        form.error = Some(format!("{file} is a directory: name a .json file."));
        return false;
    }
    if path.exists() && form.confirm_overwrite.as_ref() != Some(&path) {
        form.confirm_overwrite = Some(path);
        form.error =
            Some("This file exists: Enter again overwrites it, or edit the file name.".into());
        return false;
    }
    let notes = app.playback.as_ref();
    let built = session_from_history(
        &app.history,
        &name,
        &description,
        app.client.target(),
        |id| notes.and_then(|p| p.note_for(id)),
    );
    let Some((session, saved)) = built else {
        form.error = Some("Nothing to save: no call of this identity got an HTTP answer.".into());
        return false;
    };
    if let Err(e) = session.save(&path) {
        form.error = Some(e.to_string());
        return false;
    }
    let mut text = format!(
        "Saved \"{name}\" to {file}: {} (segscope replay {file} replays it; F7 opens it).",
        steps_word(saved.steps)
    );
    if saved.left_out > 0 {
        text.push_str(&format!(
            " {} earlier call(s) left out: another identity or state thread.",
            saved.left_out
        ));
    }
    app.set_status(StatusKind::Success, text);
    true
}

fn steps_word(n: usize) -> String {
    if n == 1 {
        "1 step".into()
    } else {
        format!("{n} steps")
    }
}

// ------------------------------------------------------------------ opening

/// F7: the picker over the bundled sessions and [`session_dirs`].
pub(crate) fn open_picker(app: &mut App) {
    let dirs = session_dirs();
    let dirs: Vec<&Path> = dirs.iter().map(PathBuf::as_path).collect();
    let (entries, skipped) = list_sessions(&dirs);
    if entries.is_empty() {
        app.set_status(
            StatusKind::Warning,
            "No session files in sessions/, the data directory or the current directory (segscope --session FILE opens one elsewhere).",
        );
        return;
    }
    app.popup = Some(Popup::Session(Box::new(SessionPopup::Open(
        SessionPicker {
            entries,
            selected: 0,
            skipped,
        },
    ))));
}

impl App {
    /// Opens a session for step-by-step replay (F8). A file that cannot be used changes nothing
    /// but the status line, which says why (file, line and column). Returns whether it opened.
    pub fn open_session(&mut self, path: &Path) -> bool {
        let session = match Session::load(path) {
            Ok(s) => s,
            Err(e) => {
                self.set_status(
                    StatusKind::Error,
                    format!("Cannot open the session {e}. Nothing changed."),
                );
                return false;
            }
        };
        let identity = match session.identity.to_identity() {
            Ok(identity) => identity,
            Err(e) => {
                self.set_status(
                    StatusKind::Error,
                    format!("Cannot open the session {}: {e}", path.display()),
                );
                return false;
            }
        };
        let playback = Playback {
            path: path.to_path_buf(),
            state: session.initial_opaque_state(),
            identity,
            session,
            next: 0,
            runs: Vec::new(),
            awaiting: None,
        };
        let text = if playback.session.steps.is_empty() {
            format!(
                "Opened \"{}\" from {}: it has no steps.",
                playback.session.name,
                path.display()
            )
        } else {
            format!(
                "Opened \"{}\" ({}) from {}. {}",
                playback.session.name,
                steps_word(playback.session.steps.len()),
                path.display(),
                playback.next_text()
            )
        };
        self.playback = Some(playback);
        self.set_status(StatusKind::Info, text);
        true
    }

    /// The session opened for step-by-step replay, if any.
    pub fn playback(&self) -> Option<&Playback> {
        self.playback.as_ref()
    }
}

// ------------------------------------------------------------------ playback

/// An opened session being replayed step by step.
#[derive(Debug)]
pub struct Playback {
    pub path: PathBuf,
    pub session: Session,
    identity: Identity,
    /// The next step to send.
    pub next: usize,
    /// The state the next step sends: threaded from the live responses.
    state: Option<OpaqueState>,
    /// The steps sent in this pass, in order.
    pub runs: Vec<StepRun>,
    /// (task, step) of the step in flight.
    awaiting: Option<(u64, usize)>,
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

    fn note_for(&self, call_id: u64) -> Option<String> {
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

// ------------------------------------------------------------------ keys

/// Keys while one of this module's popups is open.
pub(crate) fn on_popup_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    let Some(Popup::Session(popup)) = app.popup.take() else {
        return Vec::new();
    };
    let mut popup = *popup;
    let keep = match &mut popup {
        SessionPopup::Save(form) => save_form_key(app, form, key),
        SessionPopup::Open(picker) => picker_key(app, picker, key),
    };
    if keep {
        app.popup = Some(Popup::Session(Box::new(popup)));
    }
    Vec::new()
}

/// Returns whether the form stays open.
fn save_form_key(app: &mut App, form: &mut SaveForm, key: KeyEvent) -> bool {
    match key.code {
        KeyCode::Esc => {
            app.set_status(StatusKind::Info, "Not saved.");
            false
        }
        KeyCode::Tab | KeyCode::Down => {
            form.set_field(form.field + 1, app.theme);
            true
        }
        KeyCode::BackTab | KeyCode::Up => {
            form.set_field(form.field + form.fields.len() - 1, app.theme);
            true
        }
        KeyCode::Enter => !save(app, form),
        _ => {
            let field = form.field;
            if form.fields[field].input(key) {
                form.error = None;
                form.confirm_overwrite = None;
                if field == 2 {
                    form.file_edited = true;
                } else if field == 0 && !form.file_edited {
                    let file = default_file(&form.value(0));
                    form.fields[2] = one_line(&file, app.theme);
                    form.set_field(field, app.theme);
                }
            }
            true
        }
    }
}

fn picker_key(app: &mut App, picker: &mut SessionPicker, key: KeyEvent) -> bool {
    match key.code {
        KeyCode::Esc => false,
        KeyCode::Up | KeyCode::Char('k') => {
            picker.selected = picker.selected.saturating_sub(1);
            true
        }
        KeyCode::Down | KeyCode::Char('j') => {
            picker.selected = (picker.selected + 1).min(picker.entries.len().saturating_sub(1));
            true
        }
        KeyCode::Home => {
            picker.selected = 0;
            true
        }
        KeyCode::End => {
            picker.selected = picker.entries.len().saturating_sub(1);
            true
        }
        KeyCode::Enter => {
            if let Some(entry) = picker.entries.get(picker.selected) {
                let path = entry.path.clone();
                app.open_session(&path);
            }
            false
        }
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(cohorts: &[&str], entered: &[&str], left: &[&str]) -> Recording {
        let v = |l: &[&str]| l.iter().map(|s| s.to_string()).collect();
        Recording {
            status: 200,
            cohorts: v(cohorts),
            entered: v(entered),
            left: v(left),
            error_code: None,
            state: None,
        }
    }

    #[test]
    fn slugs_and_default_files() {
        assert_eq!(
            slug("Console session 2026-03-06 14:02"),
            "console-session-2026-03-06-14-02"
        );
        assert_eq!(slug("  ??? "), "session");
        assert!(default_file("A reader").ends_with("sessions/a-reader.json"));
    }

    #[test]
    fn differences_in_words() {
        let expected = rec(&["1001", "1009"], &["1001", "1009"], &[]);
        let actual = rec(&["1009"], &["1009"], &["1002"]);
        let verdict = judge(
            Some(&expected),
            Some(&actual),
            &CallOutcome::Transport {
                kind: crate::api::TransportKind::Other,
                message: String::new(),
                latency: std::time::Duration::ZERO,
            },
            ReplayOptions::default(),
        );
        assert!(matches!(verdict, Verdict::Mismatch(_)));
        let run = StepRun {
            step: 0,
            call_id: 1,
            expected: Some(expected.clone()),
            actual: Some(actual.clone()),
            verdict,
        };
        let words = explain(&run);
        assert_eq!(
            words,
            vec![
                "recorded 1001 entered; actually not entered".to_string(),
                "recorded 1002 not in; actually left".to_string(),
            ]
        );
        let rows = comparison_rows(Some(&expected), Some(&actual));
        assert_eq!(
            rows.iter().map(|r| r.code.as_str()).collect::<Vec<_>>(),
            vec!["1001", "1002", "1009"]
        );
        assert!(rows[0].differs() && !rows[2].differs());
    }
}
