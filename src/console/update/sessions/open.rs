//! F7 and `--session FILE`: pick a session file, open it for step-by-step replay. The executor
//! lists and reads the files; the keys wait for its answer.

use std::path::{Path, PathBuf};

use crate::console::keymap::{self, Action, PopupAction, PopupKey};
use crate::console::message::Effect;
use crate::console::model::forms::{SessionEntry, SessionPicker, SessionPopup};
use crate::console::model::playback::Playback;
use crate::console::model::{Model, Popup, StatusKind};
use crate::console::words::count;
use crate::session::Session;

/// F7: ask for the picker's list (the bundled sessions and `session_dirs`).
pub(crate) fn open_picker(app: &mut Model) -> Vec<Effect> {
    vec![Effect::ListSessions {
        task: app.next_holding_task(),
    }]
}

/// `Message::SessionsListed`: the picker, or why there is nothing to pick.
pub(crate) fn on_listed(app: &mut Model, entries: Vec<SessionEntry>, skipped: usize) {
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

/// `--session FILE`: read it (once; the keys wait for it). Called when the autosave's start has
/// answered (or when there is none), so the two messages come in this order.
pub(crate) fn open_at_start(app: &mut Model) -> Vec<Effect> {
    let Some(path) = app.options.session.take() else {
        return Vec::new();
    };
    let task = app.next_holding_task();
    app.session_at_start = Some(task);
    vec![Effect::OpenSession { task, path }]
}

/// `Message::SessionOpened`. The session read at start says what it did and keeps what the
/// start said before it (the autosave's restore): both on the status line, each in the log.
pub(crate) fn on_opened(
    app: &mut Model,
    task: u64,
    path: PathBuf,
    loaded: Result<Session, String>,
) {
    let before = (!app.messages.is_empty()).then(|| app.status.clone());
    opened(app, &path, loaded);
    if app.session_at_start != Some(task) {
        return;
    }
    app.session_at_start = None;
    if let Some(before) = before {
        let rank = |kind: StatusKind| match kind {
            StatusKind::Error => 3,
            StatusKind::Warning => 2,
            StatusKind::Success => 1,
            StatusKind::Info => 0,
        };
        if rank(before.kind) > rank(app.status.kind) {
            app.status.kind = before.kind;
        }
        app.status.text = format!("{} Before that: {}", app.status.text, before.text);
    }
}

/// A session file was read (`loaded`): open it for step-by-step replay (F8). A file that cannot
/// be used changes nothing but the status line, which says why (file, line and column).
/// Returns whether it opened.
pub(crate) fn opened(app: &mut Model, path: &Path, loaded: Result<Session, String>) -> bool {
    let session = match loaded {
        Ok(s) => s,
        Err(e) => {
            let e = e.trim_end_matches('.');
            app.set_status(
                StatusKind::Error,
                format!("Cannot open the session {e}. Nothing changed."),
            );
            return false;
        }
    };
    let identity = match session.identity.to_identity() {
        Ok(identity) => identity,
        Err(e) => {
            app.set_status(
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
        earlier: Vec::new(),
        awaiting: None,
    };
    let text = if playback.session.steps.is_empty() {
        format!(
            "Opened {} (\"{}\"): it has no steps to replay.",
            path.display(),
            playback.session.name,
        )
    } else {
        format!(
            "Opened {} ({}): \"{}\". {}",
            path.display(),
            count(playback.session.steps.len(), "step"),
            playback.session.name,
            playback.next_text(&keymap::keys_in_words(Action::NextStep))
        )
    };
    app.playback = Some(playback);
    app.set_status(StatusKind::Info, text);
    true
}

/// Keys in the session picker (its rows of the keymap). Returns whether it stays open.
pub(super) fn picker_key(
    app: &mut Model,
    picker: &mut SessionPicker,
    key: PopupKey,
    effects: &mut Vec<Effect>,
) -> bool {
    let PopupKey::Action(action) = key else {
        return true;
    };
    let last = picker.entries.len().saturating_sub(1);
    match action {
        PopupAction::Close => return false,
        PopupAction::Up => picker.selected = picker.selected.saturating_sub(1),
        PopupAction::Down => picker.selected = (picker.selected + 1).min(last),
        PopupAction::Top => picker.selected = 0,
        PopupAction::Bottom => picker.selected = last,
        PopupAction::Confirm => {
            if let Some(entry) = picker.entries.get(picker.selected) {
                effects.push(Effect::OpenSession {
                    task: app.next_holding_task(),
                    path: entry.path.clone(),
                });
            }
            return false;
        }
        PopupAction::PageUp
        | PopupAction::PageDown
        | PopupAction::NextField
        | PopupAction::PrevField => {}
    }
    true
}
