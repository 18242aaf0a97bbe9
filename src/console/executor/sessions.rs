//! Session files, read and written by the executor: the picker's listing (F7), opening one
//! (F7, `--session`), saving the history (F6).

use std::path::{Path, PathBuf};

use crate::console::model::forms::SessionEntry;
use crate::session::Session;

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

/// Why a save did not happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaveRefused {
    /// The name is a directory.
    IsDirectory,
    /// The file exists and overwriting it was not confirmed.
    Exists,
    /// The write failed (why).
    Failed(String),
}

/// Writes `session` to `path`, unless `path` is a directory, or exists and `overwrite` is not
/// this path.
pub fn save(session: &Session, path: &Path, overwrite: Option<&Path>) -> Result<(), SaveRefused> {
    if path.is_dir() {
        return Err(SaveRefused::IsDirectory);
    }
    if path.exists() && overwrite != Some(path) {
        return Err(SaveRefused::Exists);
    }
    session
        .save(path)
        .map_err(|e| SaveRefused::Failed(e.to_string()))
}

/// Reads a session file (a bundled story by its name too).
pub fn load(path: &Path) -> Result<Session, String> {
    Session::load(path).map_err(|e| e.to_string())
}

/// Where the picker looks.
pub(super) fn dirs() -> Vec<PathBuf> {
    crate::console::sessions::session_dirs()
}
