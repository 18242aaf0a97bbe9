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

use super::app::{App, Popup, StatusKind};
use super::call::Call;
use super::message::{Effect, Message};
use super::theme::Theme;
use crate::emulator::{EmulatorConfig, Workspace};
use crate::session::Recording;
use crate::session::replay::cohorts_of;
use crate::workspace::redecide::{PastCall, Redecision, redecide};

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
        result: Result<Vec<(u64, Redecision)>, String>,
    },
}

impl LiveEvent {
    pub fn task(&self) -> Option<u64> {
        match self {
            LiveEvent::Reloaded { task, .. } => Some(*task),
            LiveEvent::Changed => None,
        }
    }
}

/// A reload to run in the background: the calls to decide again, by call id.
#[derive(Debug)]
pub struct Reload {
    task: u64,
    calls: Vec<(u64, PastCall)>,
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
                Ok(redecided) => {
                    app.live.edits += 1;
                    let total = redecided.len();
                    app.live.redecided = redecided.into_iter().collect();
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
    vec![Effect::Live(Box::new(Reload {
        task,
        calls: past_calls(&app.history),
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
            workspace.clock = setup.emulator.workspace.current().clock;
            setup.emulator.workspace.replace(workspace);
            let current = setup.emulator.workspace.current();
            let (ids, calls): (Vec<u64>, Vec<PastCall>) = reload.calls.into_iter().unzip();
            let decided = redecide(&calls, &current);
            Ok(ids.into_iter().zip(decided).collect())
        })
        .await;
        let result = work.unwrap_or_else(|e| Err(format!("the reload failed: {e}")));
        let _ = tx.send(Message::Live(LiveEvent::Reloaded { task, result }));
    });
    app.runtime.tasks.insert(task, handle);
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

/// The before/after comparison popup of one call.
#[derive(Debug, Clone)]
pub struct EditComparison {
    pub title: String,
    pub lines: Vec<Line<'static>>,
}

fn list(codes: &[String], app: &App) -> String {
    if codes.is_empty() {
        return "none".into();
    }
    codes
        .iter()
        .map(|c| match app.cohort_name(c) {
            Some(name) => format!("{c} {name}"),
            None => c.clone(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn outcome_lines(label: &str, r: &Recording, app: &App, theme: Theme) -> Vec<Line<'static>> {
    let status = match r.error_code {
        Some(code) => format!("{} (code {code})", r.status),
        None => r.status.to_string(),
    };
    vec![
        Line::from(Span::styled(
            format!("{label} · status {status}"),
            theme.title(),
        )),
        Line::from(format!("  cohorts  {}", list(&r.cohorts, app))),
        Line::from(vec![
            Span::raw("  entered  "),
            Span::styled(list(&r.entered, app), theme.added()),
        ]),
        Line::from(vec![
            Span::raw("  left     "),
            Span::styled(list(&r.left, app), theme.removed()),
        ]),
    ]
}

/// `d`: the selected call before the workspace edit (as it was made) and after it.
pub(crate) fn compare(app: &mut App) {
    let Some(index) = app.selected.filter(|i| *i < app.history.len()) else {
        app.set_status(
            StatusKind::Info,
            "No call selected: d compares a call before and after a workspace edit.",
        );
        return;
    };
    let number = index + 1;
    let Some(r) = app.live.redecided.get(&app.history[index].id).cloned() else {
        let why = if app.options.live_workspace.is_none() {
            "d compares a call before and after an edit of the workspace: it needs the embedded emulator with --workspace DIR."
                .to_string()
        } else if app.live.edits == 0 {
            "No workspace edit yet: change cohorts.json or a schema, and every call is decided again.".to_string()
        } else {
            format!(
                "Call {number} was made after the last workspace edit (or never got an answer): nothing to compare."
            )
        };
        app.set_status(StatusKind::Info, why);
        return;
    };
    let theme = app.theme;
    let mut lines = vec![
        Line::from(Span::styled(
            if r.changed() {
                format!(
                    "Call {number} decides differently after the edit: {}",
                    r.summary()
                )
            } else {
                format!("Call {number} decides as before the edit.")
            },
            if r.changed() {
                theme.warning()
            } else {
                theme.ok()
            },
        )),
        Line::default(),
    ];
    lines.extend(outcome_lines(
        "Before the edit (as the call was made)",
        &r.before,
        app,
        theme,
    ));
    lines.push(Line::default());
    lines.extend(outcome_lines("After the edit", &r.after, app, theme));
    lines.push(Line::default());
    lines.push(Line::from(Span::styled(
        if r.continued {
            "Decided from the re-decided state of the previous call of this user."
        } else {
            "Decided from the state the call sent."
        },
        theme.muted(),
    )));
    lines.push(Line::from(Span::styled(
        "e (Enter on a cohort) explains the call under the edited workspace.",
        theme.muted(),
    )));
    app.popup = Some(Popup::EditComparison(Box::new(EditComparison {
        title: format!("Call {number}: before vs after the workspace edit"),
        lines,
    })));
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
