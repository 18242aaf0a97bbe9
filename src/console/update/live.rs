//! The live workspace in the update step (see `live.rs`): a change reloads (one at a time),
//! a reload's answer marks the re-decided calls, `d` opens the before/after comparison.

use crate::console::call::Call;
use crate::console::live::{LiveEvent, Reload, Swapped};
use crate::console::message::Effect;
use crate::console::model::live::EditComparison;
use crate::console::model::{Model, Popup, StatusKind};
use crate::session::Recording;
use crate::session::replay::cohorts_of;
use crate::workspace::redecide::PastCall;

/// When the loop starts: the workspace in use now is the one the first calls are made under,
/// and its directory is watched.
pub(crate) fn start(app: &mut Model) -> Vec<Effect> {
    let Some(setup) = app.options.live_workspace.clone() else {
        return Vec::new();
    };
    app.live
        .made_under
        .push((0, setup.emulator.workspace.current()));
    vec![Effect::WatchWorkspace(setup)]
}

/// The history as the re-decision reads it (calls that never got an answer are left out).
fn past_calls(history: &[Call]) -> Vec<(u64, PastCall)> {
    history
        .iter()
        .filter_map(|call| {
            let before = cohorts_of(call.state_before());
            let mut recorded = Recording::from_outcome(&call.outcome, &before)?;
            // The whole state, so that the next call is recognised as continuing this one.
            if let Some(after) = &call.state_after {
                recorded.state = Some(crate::session::file::RecordedState::Whole(after.to_raw()));
            }
            Some((
                call.id,
                PastCall {
                    identity: call.identity().clone(),
                    events: call.request.events.clone(),
                    state: call.state_before().cloned(),
                    synchronous_validation: call.sync_validation,
                    recorded,
                },
            ))
        })
        .collect()
}

/// `Message::Live`.
pub(crate) fn on_event(app: &mut Model, event: LiveEvent) -> Vec<Effect> {
    match event {
        LiveEvent::NotWatching(why) => {
            app.set_status(StatusKind::Warning, why);
            Vec::new()
        }
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

fn reload(app: &mut Model) -> Vec<Effect> {
    let Some(setup) = app.options.live_workspace.clone() else {
        return Vec::new();
    };
    app.live.reloading = true;
    let task = app.next_task();
    let calls = past_calls(&app.history);
    let made_under = calls
        .iter()
        .map(|(id, _)| app.live.made_under(*id))
        .collect();
    vec![Effect::Live {
        setup,
        reload: Box::new(Reload {
            task,
            calls,
            made_under,
        }),
    }]
}

/// `d`: the comparison popup of the selected call before and after the last workspace edit.
pub(crate) fn compare(app: &mut Model) {
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
    let differences = app
        .live
        .differences
        .get(&app.history[index].id)
        .cloned()
        .unwrap_or_default();
    app.popup = Some(Popup::EditComparison(Box::new(EditComparison {
        title: format!("Call {number}: before vs after the workspace edit"),
        call: index,
        redecision: r,
        differences,
    })));
}
