//! Autosave and recovery. The editor text, identity, state (byte for byte), synchronous
//! validation flag and the whole history survive a restart (`--fresh` starts clean, keeping the
//! old files as `.bak`).
//!
//! Two files in the user's state directory: `autosave.json`, a snapshot of everything, and
//! `autosave.json.journal`, an append-only log of what happened since (one JSON record a line:
//! each finished call once, and the "head": editor, identity, state, lineage). After a call and
//! 1.5 s after typing stops, the update step serialises only the new calls and the head (its cost
//! does not grow with the history) and a writer thread appends them, off the UI task. On start
//! and on exit the two are compacted into a fresh snapshot (written atomically) and the journal
//! is emptied. A kill -9 loses at most the typing of the last 1.5 s, never a finished call; a torn
//! last journal line is dropped with a note, and a call that cannot be read (e.g. an absurd
//! latency) is dropped alone, the rest restored.
//!
//! One console owns the files at a time (an advisory lock on `autosave.json.lock`): a second
//! console says so and autosaves to its own `autosave.2.json`. The API key is never written; the
//! target's URL is, with any key in it masked.

pub mod format;
pub mod target;

use std::path::{Path, PathBuf};
use std::time::Duration;

pub use format::{FORMAT, Restored, restore, serialise};

/// Overrides the state directory (tests, portable set-ups).
pub const STATE_DIR_ENV: &str = "SEGSCOPE_STATE_DIR";
/// How long after the last keystroke the autosave is written.
pub const IDLE: Duration = Duration::from_millis(1500);
/// The file's name in the state directory.
pub const FILE_NAME: &str = "autosave.json";

/// `$SEGSCOPE_STATE_DIR/autosave.json`, else `$XDG_STATE_HOME/segscope/autosave.json`, else
/// `~/.local/state/segscope/autosave.json`.
pub fn default_path() -> Option<PathBuf> {
    use etcetera::BaseStrategy;
    if let Some(dir) = std::env::var_os(STATE_DIR_ENV).filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(dir).join(FILE_NAME));
    }
    // XDG on Linux (an absolute `$XDG_STATE_HOME`, else `~/.local/state`).
    let dirs = etcetera::choose_base_strategy().ok()?;
    let state = dirs
        .state_dir()
        .unwrap_or_else(|| dirs.home_dir().join(".local").join("state"));
    Some(state.join("segscope").join(FILE_NAME))
}

/// `autosave.json` → `autosave.json.journal`.
pub fn journal_path(path: &Path) -> PathBuf {
    with_suffix(path, "journal")
}

pub(crate) fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| FILE_NAME.into());
    path.with_file_name(format!("{name}.{suffix}"))
}
