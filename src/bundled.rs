//! What the binary carries with it: the demo workspace and the example sessions of `fixtures/`,
//! embedded at build time so an installed `segscope` works wherever its checkout went.
//!
//! A bundled session is named `bundled:NAME` (e.g. `bundled:01-football-fan`) wherever a session
//! file is expected: `segscope replay`, `segscope --session`, the console's F7 list. A real file
//! of that name, if there is one, wins.

use std::path::Path;

use include_dir::{Dir, include_dir};

// Only these two folders: the rest of `fixtures/` (reference copies for the tests) stays out.
static WORKSPACE: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/fixtures/workspace");
static SESSIONS: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/fixtures/sessions");

/// How a bundled session's name starts.
pub const SESSION_PREFIX: &str = "bundled:";

/// A file of the demo workspace (`cohorts.json`, `schemas/Pageview.json`), by its path inside it.
pub fn workspace_file(path: &str) -> Option<&'static str> {
    WORKSPACE.get_file(path).and_then(|f| f.contents_utf8())
}

/// The demo workspace's event schemas: `(event name, schema text)`, by name.
pub fn workspace_schemas() -> Vec<(&'static str, &'static str)> {
    let mut schemas: Vec<_> = WORKSPACE
        .get_dir("schemas")
        .map(|dir| {
            dir.files()
                .filter(|f| f.path().extension().is_some_and(|e| e == "json"))
                .filter_map(|f| Some((f.path().file_stem()?.to_str()?, f.contents_utf8()?)))
                .collect()
        })
        .unwrap_or_default();
    schemas.sort();
    schemas
}

/// The bundled sessions: `(bundled:NAME, text)`, by name.
pub fn sessions() -> Vec<(String, &'static str)> {
    let mut sessions: Vec<_> = SESSIONS
        .files()
        .filter(|f| f.path().extension().is_some_and(|e| e == "json"))
        .filter_map(|f| {
            let stem = f.path().file_stem()?.to_str()?;
            Some((format!("{SESSION_PREFIX}{stem}"), f.contents_utf8()?))
        })
        .collect();
    sessions.sort();
    sessions
}

/// The text of the bundled session `path` names (`bundled:NAME`, with or without `.json`), unless
/// a real file of that name exists.
pub fn session_text(path: &Path) -> Option<&'static str> {
    let name = path.to_str()?.strip_prefix(SESSION_PREFIX)?;
    if path.exists() {
        return None;
    }
    let stem = name.strip_suffix(".json").unwrap_or(name);
    SESSIONS
        .get_file(format!("{stem}.json"))
        .and_then(|f| f.contents_utf8())
}

/// Whether `path` names a bundled session (read-only: it cannot be updated in place).
pub fn is_session(path: &Path) -> bool {
    session_text(path).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_workspace_and_sessions_are_embedded() {
        assert!(workspace_file("cohorts.json").is_some());
        assert!(
            workspace_schemas()
                .iter()
                .any(|(name, _)| *name == "Pageview")
        );
        let sessions = sessions();
        assert!(
            sessions
                .iter()
                .any(|(name, _)| name == "bundled:01-football-fan")
        );
        assert!(session_text(Path::new("bundled:01-football-fan")).is_some());
        assert!(session_text(Path::new("bundled:01-football-fan.json")).is_some());
        assert!(session_text(Path::new("bundled:no-such-session")).is_none());
        assert!(session_text(Path::new("01-football-fan")).is_none());
    }
}
