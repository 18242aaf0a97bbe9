//! F6: the history's last thread saved as a `segscope-session/1` file.

use std::path::PathBuf;

use crossterm::event::{KeyCode, KeyEvent};
use serde_json::Value;

use crate::api::{CallOutcome, OpaqueState};
use crate::console::call::Call;
use crate::console::model::{Model, Popup, StatusKind};
use crate::session::Session;
use crate::session::replay::cohorts_of;

use super::files::{default_file, steps_word};
use crate::console::model::forms::{SaveForm, SessionPopup, one_line};

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
pub(crate) fn open_save_form(app: &mut Model) {
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
    let name = app.options.time.session_name();
    app.popup = Some(Popup::Session(Box::new(SessionPopup::Save(Box::new(
        SaveForm::new(&name, steps, app.theme),
    )))));
}

/// Enter in the save form: write the file, unless it exists and the overwrite is not confirmed.
fn save(app: &mut Model, form: &mut SaveForm) -> bool {
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
    let built = session_from_history(&app.history, &name, &description, &app.target, |id| {
        notes.and_then(|p| p.note_for(id))
    });
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

/// Keys in the save form. Returns whether the form stays open.
pub(super) fn save_form_key(app: &mut Model, form: &mut SaveForm, key: KeyEvent) -> bool {
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
