//! F7 and `--session FILE`: pick a session file, open it for step-by-step replay.

use std::path::{Path, PathBuf};

use crossterm::event::{KeyCode, KeyEvent};

use crate::console::model::{Model, Popup, StatusKind};
use crate::session::Session;

use super::files::{session_dirs, steps_word};
use crate::console::model::forms::{SessionEntry, SessionPicker, SessionPopup};
use crate::console::model::playback::Playback;

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

/// F7: the picker over the bundled sessions and [`session_dirs`].
pub(crate) fn open_picker(app: &mut Model) {
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

/// A session file was read (`loaded`): open it for step-by-step replay (F8). A file that cannot
/// be used changes nothing but the status line, which says why (file, line and column).
/// Returns whether it opened.
pub(crate) fn opened(app: &mut Model, path: &Path, loaded: Result<Session, String>) -> bool {
    let session = match loaded {
        Ok(s) => s,
        Err(e) => {
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
    app.playback = Some(playback);
    app.set_status(StatusKind::Info, text);
    true
}

pub(super) fn picker_key(app: &mut Model, picker: &mut SessionPicker, key: KeyEvent) -> bool {
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
                opened(app, &path, Session::load(&path).map_err(|e| e.to_string()));
            }
            false
        }
        _ => true,
    }
}
