//! The live workspace's side of the executor: the file watcher, and the reload (load, swap in,
//! decide the history again) off the UI task.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use tokio::sync::mpsc::UnboundedSender;

use super::Executor;
use crate::api::{OpaqueState, SegmentationRequest};
use crate::console::live::{LiveEvent, Reload, Swapped};
use crate::console::message::Message;
use crate::console::model::live::{Difference, LiveSetup};
use crate::emulator::Workspace;
use crate::emulator::segment;
use crate::engine::{CohortExplanation, Explanation};
use crate::session::file::RecordedState;
use crate::session::replay::difference;
use crate::workspace::redecide::{PastCall, Redecision, redecide};

/// Whether a changed path is one the workspace is loaded from.
fn is_workspace_file(dir: &Path, path: &Path) -> bool {
    let json = path.extension().is_some_and(|x| x == "json");
    let Ok(inside) = path.strip_prefix(dir) else {
        return false;
    };
    inside == Path::new("cohorts.json") || (json && inside.starts_with("schemas"))
}

/// Starts watching the workspace's directory: a change of one of its files answers with
/// `LiveEvent::Changed`.
pub(super) fn watch(
    setup: &LiveSetup,
    tx: UnboundedSender<Message>,
) -> Result<notify::RecommendedWatcher, String> {
    use notify::Watcher;
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
    notify::recommended_watcher(handler)
        .and_then(|mut w| w.watch(&dir, notify::RecursiveMode::Recursive).map(|()| w))
        .map_err(|e| e.to_string())
}

/// Performs a [`Reload`]: load, swap in, decide the history again — off the UI task.
pub(super) fn reload(executor: &mut Executor, setup: LiveSetup, reload: Reload) {
    let tx = executor.tx.clone();
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
    executor.tasks.insert(task, handle);
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
