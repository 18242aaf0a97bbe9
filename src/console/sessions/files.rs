//! Where session files live, and the words and names used for them.

use std::path::{Path, PathBuf};

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

/// The file F6 offers for a session named `name`, in `dir` (see [`save_dir`]).
pub fn default_file(dir: &Path, name: &str) -> String {
    dir.join(format!("{}.json", slug(name)))
        .display()
        .to_string()
}
