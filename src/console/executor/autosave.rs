//! The autosave's files, run by the executor (off the UI task): the lock, the start (restore,
//! or with `--fresh` set aside, then compaction into one snapshot) and the compaction at exit.
//! The journal's writer thread is in `journal.rs`.

use std::path::{Path, PathBuf};

use crate::console::autosave::format::{Head, Restored, restore, snapshot};
use crate::console::autosave::{FILE_NAME, journal_path, with_suffix};
use crate::session::write_atomically;

/// `autosave.json` → `autosave.json.<suffix>` (not overwriting anything already there).
pub(super) fn set_aside(path: &Path, suffix: &str) -> std::io::Result<PathBuf> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| FILE_NAME.into());
    let mut aside = path.with_file_name(format!("{name}.{suffix}"));
    let mut n = 1;
    while aside.exists() {
        aside = path.with_file_name(format!("{name}.{suffix}-{n}"));
        n += 1;
    }
    std::fs::rename(path, &aside)?;
    Ok(aside)
}

fn stamp() -> String {
    jiff::Timestamp::now()
        .strftime("%Y%m%dT%H%M%SZ")
        .to_string()
}

/// Takes the advisory lock of `path` (held as long as the returned file is open).
fn lock(path: &Path) -> Result<std::fs::File, std::io::Error> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(with_suffix(path, "lock"))?;
    file.try_lock().map_err(std::io::Error::from)?;
    Ok(file)
}

/// The first of `autosave.json`, `autosave.2.json`, … that no other console holds, with its lock.
/// A directory that cannot be written is no reason to give up the autosave silently: the file
/// is then used without a lock, and the writes (at the latest, the one at exit) report the error.
fn claim(path: &Path) -> (PathBuf, Option<std::fs::File>) {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "autosave".into());
    for n in 1..100 {
        let candidate = if n == 1 {
            path.to_path_buf()
        } else {
            path.with_file_name(format!("{stem}.{n}.json"))
        };
        match lock(&candidate) {
            Ok(file) => return (candidate, Some(file)),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(_) => return (path.to_path_buf(), None),
        }
    }
    (path.to_path_buf(), None)
}

fn read_if_there(path: &Path) -> Result<Option<String>, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

/// What the autosave's start asks for (`Effect::StartAutosave`).
#[derive(Debug, Clone)]
pub struct StartRequest {
    /// The configured file.
    pub configured: PathBuf,
    /// `--fresh`: set the files aside instead of restoring them.
    pub fresh: bool,
    /// Where the calls go now (for the snapshot written by the compaction).
    pub target: String,
    /// The console's head now: kept when the files hold none.
    pub current: Head,
}

/// What the start found (`Message::AutosaveStarted`).
#[derive(Debug)]
pub struct Started {
    /// The file this console autosaves to.
    pub path: PathBuf,
    /// Another console holds the configured file: this one uses `path` instead.
    pub elsewhere: Option<PathBuf>,
    pub outcome: StartOutcome,
    /// The advisory lock on `path` (taken by the executor when the message arrives).
    pub(crate) lock: Option<std::fs::File>,
}

#[derive(Debug)]
pub enum StartOutcome {
    /// Nothing there.
    Empty,
    /// `--fresh`: the files kept aside as these (or one could not be moved: why).
    SetAside(Result<Vec<PathBuf>, String>),
    /// The files could not be read (why).
    Unreadable(String),
    /// The files were read; then compacted into one snapshot (or not: why).
    Restored(Box<Restored>, Result<(), String>),
    /// The snapshot as a whole cannot be read (why); the files set aside as these words say.
    Corrupt { why: String, asides: Vec<String> },
}

/// Claims the autosave, restores it (or, with `--fresh`, moves it aside) and compacts it.
pub(super) fn start(request: StartRequest) -> Started {
    let configured = request.configured;
    let (path, lock) = claim(&configured);
    let elsewhere = (path != configured).then(|| configured.clone());
    let journal = journal_path(&path);
    let outcome = if request.fresh {
        let mut kept = Vec::new();
        let mut failed = None;
        for file in [&path, &journal] {
            if file.exists() {
                match set_aside(file, &format!("{}.bak", stamp())) {
                    Ok(aside) => kept.push(aside),
                    Err(e) => {
                        failed = Some(format!("could not move {} aside: {e}", file.display()));
                        break;
                    }
                }
            }
        }
        StartOutcome::SetAside(match failed {
            Some(why) => Err(why),
            None => Ok(kept),
        })
    } else {
        let texts = read_if_there(&path).and_then(|s| Ok((s, read_if_there(&journal)?)));
        match texts {
            Ok((None, None)) => StartOutcome::Empty,
            Err(why) => StartOutcome::Unreadable(why),
            Ok((snapshot_text, journal_text)) => {
                match restore(snapshot_text.as_deref(), journal_text.as_deref()) {
                    Ok(restored) => {
                        // Compact now: one snapshot, an empty journal.
                        let mut head = restored.head.clone().unwrap_or(request.current);
                        head.selected = head
                            .selected
                            .filter(|i| *i < restored.history.len())
                            .or(restored.history.len().checked_sub(1));
                        let text = snapshot(request.target, head, &restored.history);
                        let compacted = compact(&path, &text);
                        StartOutcome::Restored(Box::new(restored), compacted)
                    }
                    Err(why) => {
                        let mut asides = Vec::new();
                        for file in [&path, &journal] {
                            if file.exists() {
                                asides.push(
                                    match set_aside(file, &format!("corrupt-{}", stamp())) {
                                        Ok(aside) => format!("set aside as {}", aside.display()),
                                        Err(e) => format!(
                                            "{} could not be moved aside ({e})",
                                            file.display()
                                        ),
                                    },
                                );
                            }
                        }
                        StartOutcome::Corrupt { why, asides }
                    }
                }
            }
        }
    };
    Started {
        path,
        elsewhere,
        outcome,
        lock,
    }
}

/// A fresh snapshot (written atomically), then an empty journal. Only after the snapshot is
/// written is the journal removed, so a failure loses nothing.
pub(super) fn compact(path: &Path, snapshot: &str) -> Result<(), String> {
    write_atomically(path, snapshot.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    let journal = journal_path(path);
    match std::fs::remove_file(&journal) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(format!("cannot empty {}: {e}", journal.display())),
    }
}
