//! The live workspace (issue 12): on the embedded emulator with `--workspace DIR`, the console
//! watches DIR. When `cohorts.json` or a schema changes and loads cleanly, the emulator serves
//! it from the next call on, and every call of the history is decided again under it in the
//! background ([`crate::workspace::redecide`]); the History pane marks the calls whose outcome
//! changed, and `d` compares the selected call before and after the edit. A file that does not
//! load is named with its line and column, and the previous workspace stays in use.
//!
//! The watcher only posts "something changed"; loading, swapping and re-deciding run off the UI
//! task, one at a time (changes that arrive meanwhile cause one more round at the end).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use ratatui::text::{Line, Span};

use super::app::{App, StatusKind};
use super::call::Call;
use super::message::{Effect, Message};
use crate::api::{OpaqueState, SegmentationRequest};
use crate::emulator::segment;
use crate::emulator::{EmulatorConfig, Workspace};
use crate::engine::{CohortExplanation, Explanation};
use crate::session::Recording;
use crate::session::file::RecordedState;
use crate::session::replay::{cohorts_of, difference};
use crate::workspace::redecide::{PastCall, Redecision, redecide};

mod compare;
pub use compare::EditComparison;
pub(crate) use compare::compare;

/// What the console needs to run a live workspace: the directory and the emulator serving it.
#[derive(Clone)]
pub struct LiveSetup {
    pub dir: PathBuf,
    pub emulator: Arc<EmulatorConfig>,
}

impl std::fmt::Debug for LiveSetup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveSetup").field("dir", &self.dir).finish()
    }
}

/// What the watcher and the reload task tell the update step.
#[derive(Debug)]
pub enum LiveEvent {
    /// A file of the workspace changed on disk.
    Changed,
    /// A reload finished: the history re-decided, or why the files did not load.
    Reloaded {
        task: u64,
        result: Result<Swapped, String>,
    },
}

/// A workspace edit swapped in, and the history decided under it.
#[derive(Debug)]
pub struct Swapped {
    /// By call id: the re-decision, and for a call that changed, why.
    pub calls: Vec<(u64, Redecision, Vec<Difference>)>,
    /// The workspace now in use.
    pub workspace: Arc<Workspace>,
}

impl LiveEvent {
    pub fn task(&self) -> Option<u64> {
        match self {
            LiveEvent::Reloaded { task, .. } => Some(*task),
            LiveEvent::Changed => None,
        }
    }
}

/// A reload to run in the background: the calls to decide again, by call id, each with the
/// workspace it was made under.
pub struct Reload {
    task: u64,
    calls: Vec<(u64, PastCall)>,
    made_under: Vec<Option<Arc<Workspace>>>,
}

impl std::fmt::Debug for Reload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reload")
            .field("task", &self.task)
            .field("calls", &self.calls.len())
            .finish()
    }
}

/// The live workspace's state in the app.
#[derive(Default)]
pub struct Live {
    watcher: Option<notify::RecommendedWatcher>,
    reloading: bool,
    again: bool,
    /// How many edits were swapped in.
    pub(crate) edits: usize,
    /// The latest re-decision of each call, by call id.
    redecided: HashMap<u64, Redecision>,
    /// For the calls that changed: why, cohort by cohort (by call id).
    differences: HashMap<u64, Vec<Difference>>,
    /// Which workspace the calls were made under: from a task id (call ids are task ids) on,
    /// in order. The "before" of an explanation is the workspace the call was really made
    /// under, not merely the one the last reload replaced (an editor's save can fire several
    /// reloads of the same edit). A call in flight while an edit is swapped in is counted as
    /// made under the older one.
    made_under: Vec<(u64, Arc<Workspace>)>,
}

impl Live {
    fn made_under(&self, call_id: u64) -> Option<Arc<Workspace>> {
        self.made_under
            .iter()
            .rev()
            .find(|(from, _)| *from <= call_id)
            .map(|(_, w)| w.clone())
    }
}

/// A cohort whose membership (or entry, or exit) differs after an edit, explained by the engine
/// under the workspace before the edit and under the one after it.
#[derive(Debug, Clone)]
pub struct Difference {
    pub code: String,
    /// `None`: no explanation there (the call failed, or the cohort is not in that workspace).
    pub before: Option<CohortExplanation>,
    pub after: Option<CohortExplanation>,
}

impl std::fmt::Debug for Live {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Live")
            .field("watching", &self.watcher.is_some())
            .field("edits", &self.edits)
            .field("redecided", &self.redecided.len())
            .finish()
    }
}

/// Whether a changed path is one the workspace is loaded from.
fn is_workspace_file(dir: &Path, path: &Path) -> bool {
    let json = path.extension().is_some_and(|x| x == "json");
    let Ok(inside) = path.strip_prefix(dir) else {
        return false;
    };
    inside == Path::new("cohorts.json") || (json && inside.starts_with("schemas"))
}

/// Starts watching, when the console runs a live workspace.
pub(crate) fn start(app: &mut App) {
    let Some(setup) = app.options.live_workspace.clone() else {
        return;
    };
    use notify::Watcher;
    app.live
        .made_under
        .push((0, setup.emulator.workspace.current()));
    let tx = app.runtime.tx.clone();
    // Events name canonical paths on some systems: compare against the canonical directory.
    let dir = std::fs::canonicalize(&setup.dir).unwrap_or(setup.dir.clone());
    let watched = dir.clone();
    let handler = move |event: notify::Result<notify::Event>| {
        let Ok(event) = event else { return };
        if event.kind.is_access() {
            return;
        }
        if event.paths.iter().any(|p| is_workspace_file(&watched, p)) {
            let _ = tx.send(Message::Live(LiveEvent::Changed));
        }
    };
    let watching = notify::recommended_watcher(handler)
        .and_then(|mut w| w.watch(&dir, notify::RecursiveMode::Recursive).map(|()| w));
    match watching {
        Ok(watcher) => app.live.watcher = Some(watcher),
        Err(e) => app.set_status(
            StatusKind::Warning,
            format!(
                "Cannot watch {} ({e}): edits to the workspace are not picked up until restart.",
                setup.dir.display()
            ),
        ),
    }
}

/// The history as the re-decision reads it (calls that never got an answer are left out).
fn past_calls(history: &[Call]) -> Vec<(u64, PastCall)> {
    history
        .iter()
        .filter_map(|call| {
            let before = cohorts_of(call.state_before.as_ref());
            let mut recorded = Recording::from_outcome(&call.outcome, &before)?;
            // The whole state, so that the next call is recognised as continuing this one.
            if let Some(after) = &call.state_after {
                recorded.state = Some(crate::session::file::RecordedState::Whole(after.to_raw()));
            }
            Some((
                call.id,
                PastCall {
                    identity: call.identity.clone(),
                    events: call.request.events.clone(),
                    state: call.state_before.clone(),
                    synchronous_validation: call.sync_validation,
                    recorded,
                },
            ))
        })
        .collect()
}

/// `Message::Live`.
pub(crate) fn on_event(app: &mut App, event: LiveEvent) -> Vec<Effect> {
    match event {
        LiveEvent::Changed => {
            if app.live.reloading {
                app.live.again = true;
                return Vec::new();
            }
            reload(app)
        }
        LiveEvent::Reloaded { result, .. } => {
            app.live.reloading = false;
            let mut effects = Vec::new();
            match result {
                Ok(Swapped {
                    calls: redecided,
                    workspace,
                }) => {
                    app.live.edits += 1;
                    // Calls from the next task id on are made under it.
                    let from = app.next_task();
                    app.live.made_under.push((from, workspace));
                    let total = redecided.len();
                    app.live.differences.clear();
                    app.live.redecided = redecided
                        .into_iter()
                        .map(|(id, r, why)| {
                            if !why.is_empty() {
                                app.live.differences.insert(id, why);
                            }
                            (id, r)
                        })
                        .collect();
                    let changed = app.live.redecided.values().filter(|r| r.changed()).count();
                    let text = match (total, changed) {
                        (0, _) => {
                            "Workspace edit loaded: the emulator uses it from the next call on."
                                .to_string()
                        }
                        (_, 0) => {
                            format!("Workspace edit loaded: all {total} calls decide as before.")
                        }
                        _ => format!(
                            "Workspace edit loaded: {changed} of {total} calls decide differently (≠ in History; d compares before and after)."
                        ),
                    };
                    app.set_status(StatusKind::Success, text);
                    // New cohort names and schemas for the panes and the event picker.
                    effects.push(Effect::LoadWorkspace {
                        task: app.next_task(),
                    });
                }
                Err(why) => app.set_status(
                    StatusKind::Error,
                    format!(
                        "Workspace edit not loaded: {why}. The previous workspace stays in use."
                    ),
                ),
            }
            if std::mem::take(&mut app.live.again) {
                effects.extend(reload(app));
            }
            effects
        }
    }
}

fn reload(app: &mut App) -> Vec<Effect> {
    if app.options.live_workspace.is_none() {
        return Vec::new();
    }
    app.live.reloading = true;
    let task = app.next_task();
    let calls = past_calls(&app.history);
    let made_under = calls
        .iter()
        .map(|(id, _)| app.live.made_under(*id))
        .collect();
    vec![Effect::Live(Box::new(Reload {
        task,
        calls,
        made_under,
    }))]
}

/// Performs a [`Reload`]: load, swap in, decide the history again — off the UI task.
pub(crate) fn spawn(app: &mut App, reload: Reload) {
    let Some(setup) = app.options.live_workspace.clone() else {
        return;
    };
    let tx = app.runtime.tx.clone();
    let task = reload.task;
    let handle = tokio::spawn(async move {
        let work = tokio::task::spawn_blocking(move || {
            let mut workspace = Workspace::load(&setup.dir).map_err(|e| e.to_string())?;
            let previous = setup.emulator.workspace.current();
            workspace.clock = previous.clock;
            setup.emulator.workspace.replace(workspace);
            let current = setup.emulator.workspace.current();
            let (ids, calls): (Vec<u64>, Vec<PastCall>) = reload.calls.into_iter().unzip();
            let decided = redecide(&calls, &current);
            let made_under: Vec<Arc<Workspace>> = reload
                .made_under
                .into_iter()
                .map(|w| w.unwrap_or_else(|| previous.clone()))
                .collect();
            let why = differences(&calls, &decided, &made_under, &current);
            Ok(Swapped {
                calls: ids
                    .into_iter()
                    .zip(decided)
                    .zip(why)
                    .map(|((id, r), why)| (id, r, why))
                    .collect(),
                workspace: current,
            })
        })
        .await;
        let result = work.unwrap_or_else(|e| Err(format!("the reload failed: {e}")));
        let _ = tx.send(Message::Live(LiveEvent::Reloaded { task, result }));
    });
    app.runtime.tasks.insert(task, handle);
}

/// For each call that decides differently, the engine's explanation of each differing cohort
/// under the workspace before the edit (from the state the call sent, as it was made) and after
/// it (from the state the re-decision started from: the re-decided previous call's, when the
/// call continued it). Calls that did not change get nothing: explaining them costs time and
/// says nothing new.
fn differences(
    calls: &[PastCall],
    decided: &[Redecision],
    made_under: &[Arc<Workspace>],
    current: &Workspace,
) -> Vec<Vec<Difference>> {
    // Per identity, the state the next call continues from after the re-decision (as in
    // `redecide`: a failed call leaves the state it started from).
    let mut next: HashMap<String, Option<OpaqueState>> = HashMap::new();
    calls
        .iter()
        .zip(decided)
        .zip(made_under)
        .map(|((call, r), previous)| {
            let who = serde_json::to_string(&call.identity).unwrap_or_default();
            let started = if r.continued {
                next.get(&who).cloned().flatten()
            } else {
                call.state.clone()
            };
            let after_state = match r.after.state.as_ref().and_then(RecordedState::whole) {
                Some(raw) => OpaqueState::from_json(raw.get()).ok(),
                None => started.clone(),
            };
            next.insert(who, after_state);
            if !r.changed() {
                return Vec::new();
            }
            let before = explanation(previous, call, call.state.clone());
            let after = explanation(current, call, started);
            differing(r)
                .into_iter()
                .map(|code| Difference {
                    before: find(&before, &code),
                    after: find(&after, &code),
                    code,
                })
                .collect()
        })
        .collect()
}

/// The cohorts in which a re-decision differs: membership, entry or exit.
fn differing(r: &Redecision) -> Vec<String> {
    let (a, b) = (&r.before, &r.after);
    let mut codes: Vec<String> = [
        (&a.cohorts, &b.cohorts),
        (&a.entered, &b.entered),
        (&a.left, &b.left),
    ]
    .into_iter()
    .flat_map(|(old, new)| {
        let mut d = difference(old, new);
        d.extend(difference(new, old));
        d
    })
    .collect();
    codes.sort_by(|x, y| crate::api::cohort_order(x, y));
    codes.dedup();
    codes
}

fn explanation(
    workspace: &Workspace,
    call: &PastCall,
    state: Option<OpaqueState>,
) -> Option<Explanation> {
    let request = SegmentationRequest {
        identity: call.identity.clone(),
        events: call.events.clone(),
        state,
    };
    let value = segment::explain(workspace, request.to_body().as_bytes()).ok()?;
    serde_json::from_value(value).ok()
}

fn find(explanation: &Option<Explanation>, code: &str) -> Option<CohortExplanation> {
    explanation
        .as_ref()?
        .cohorts
        .iter()
        .find(|c| c.code == code)
        .cloned()
}

/// The History row's cohorts cell, with `≠` first when an edit changed the call's outcome.
pub fn marked<'a>(app: &App, call: &Call, cell: Line<'a>) -> Line<'a> {
    match app.live.redecided.get(&call.id) {
        Some(r) if r.changed() => {
            let mut spans = vec![Span::styled("≠ ", app.theme.warning())];
            spans.extend(cell.spans);
            Line::from(spans)
        }
        _ => cell,
    }
}

impl App {
    /// The latest re-decision of a call after a workspace edit (`None`: no edit since it).
    pub fn redecision(&self, call_id: u64) -> Option<&Redecision> {
        self.live.redecided.get(&call_id)
    }

    /// How many workspace edits were swapped in.
    pub fn workspace_edits(&self) -> usize {
        self.live.edits
    }

    /// A workspace reload (load, swap, re-decide) is under way.
    pub fn workspace_reloading(&self) -> bool {
        self.live.reloading
    }

    /// Handles the messages of background work (no terminal input) until `done` holds or
    /// `within` has passed; `false` on the deadline. For tests and drivers that wait on
    /// something outside the app, such as a file written to a watched workspace.
    pub async fn settle_until(&mut self, within: Duration, done: impl Fn(&App) -> bool) -> bool {
        let deadline = tokio::time::Instant::now() + within;
        while !done(self) {
            let Ok(Some(message)) = tokio::time::timeout_at(deadline, self.runtime.rx.recv()).await
            else {
                return false;
            };
            if let Some(task) = message.task() {
                self.runtime.tasks.remove(&task);
            }
            for effect in super::update::update(self, message) {
                self.perform(effect);
            }
        }
        true
    }
}
