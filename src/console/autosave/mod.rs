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

mod format;
mod journal;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::console::app::{App, StatusKind};
use crate::console::message::{Effect, Message};
use crate::session::write_atomically;

pub use format::{FORMAT, Restored, restore, serialise};
use format::{Record, head, line, saved_call};
pub use journal::{FILE_NAME, Write, journal_path};
use journal::{JournalWriter, with_suffix};

/// Overrides the state directory (tests, portable set-ups).
pub const STATE_DIR_ENV: &str = "SEGSCOPE_STATE_DIR";
/// How long after the last keystroke the autosave is written.
pub const IDLE: Duration = Duration::from_millis(1500);

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

/// The autosave's bookkeeping in the app.
#[derive(Debug, Default)]
pub struct Autosave {
    /// Something changed since the last write.
    dirty: bool,
    last_input: Option<Instant>,
    timer_pending: bool,
    /// The file this console writes (the configured one, or its own when another console holds
    /// that); `None` until started, or with autosave off.
    path: Option<PathBuf>,
    /// Calls of the history already in the snapshot or the journal.
    saved_calls: usize,
    /// The advisory lock on `path`, held while the console runs.
    lock: Option<std::fs::File>,
    /// The thread that appends to the journal (started with the first record).
    journal: Option<JournalWriter>,
    /// Why the save at exit failed: `launch` reports it and exits non-zero.
    exit_error: Option<String>,
}

/// `autosave.json` → `autosave.json.<suffix>` (not overwriting anything already there).
fn set_aside(path: &Path, suffix: &str) -> std::io::Result<PathBuf> {
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

/// At start: claim the autosave, restore it (or, with `--fresh`, move it aside) and compact it.
pub(crate) fn on_start(app: &mut App) {
    let Some(configured) = app.options.autosave.clone() else {
        return;
    };
    if app.autosave.path.is_some() {
        // Started already (the loop runs again on the same app, as tests do).
        return;
    }
    let (path, held) = claim(&configured);
    app.autosave.lock = held;
    app.autosave.path = Some(path.clone());
    let elsewhere = if path != configured {
        format!(
            "Another segscope console is using {}: this one autosaves to {}. ",
            configured.display(),
            path.display()
        )
    } else {
        String::new()
    };
    let journal = journal_path(&path);
    if app.options.fresh {
        let mut kept = Vec::new();
        for file in [&path, &journal] {
            if file.exists() {
                match set_aside(file, &format!("{}.bak", stamp())) {
                    Ok(aside) => kept.push(aside.display().to_string()),
                    Err(e) => {
                        app.set_status(
                            StatusKind::Warning,
                            format!(
                                "{elsewhere}Started fresh (--fresh), but could not move {} aside: {e}. It will be overwritten.",
                                file.display()
                            ),
                        );
                        return;
                    }
                }
            }
        }
        if !kept.is_empty() || !elsewhere.is_empty() {
            let what = if kept.is_empty() {
                String::new()
            } else {
                format!(" the previous autosave is kept as {}.", kept.join(" and "))
            };
            app.set_status(
                StatusKind::Info,
                format!("{elsewhere}Started fresh (--fresh):{what}"),
            );
        }
        return;
    }
    let texts = read_if_there(&path).and_then(|s| Ok((s, read_if_there(&journal)?)));
    let (snapshot, journal_text) = match texts {
        Ok((None, None)) => {
            if !elsewhere.is_empty() {
                app.set_status(StatusKind::Warning, elsewhere.trim_end().to_string());
            }
            return;
        }
        Ok(texts) => texts,
        Err(why) => {
            app.set_status(
                StatusKind::Error,
                format!("{elsewhere}{why}. Starting clean."),
            );
            return;
        }
    };
    match restore(app, snapshot.as_deref(), journal_text.as_deref()) {
        Ok(r) => {
            let what = match r.calls {
                0 => "the editor and state".to_string(),
                1 => "1 call".to_string(),
                n => format!("{n} calls"),
            };
            let target = app.client.target();
            let here = target.display_url();
            let went = match r.target {
                Some(there) if there != here => format!(" (they went to {there})"),
                _ => String::new(),
            };
            let mut notes = String::new();
            if r.dropped > 0 {
                notes.push_str(&format!(" {} unreadable record(s) dropped.", r.dropped));
            }
            if r.torn {
                notes.push_str(" The journal's last line was cut short (the console was killed mid-write) and was dropped.");
            }
            let when = r
                .saved_at
                .map(|t| format!(", saved {}", t.strftime("%Y-%m-%d %H:%M:%S UTC")))
                .unwrap_or_default();
            let kind = if notes.is_empty() {
                StatusKind::Info
            } else {
                StatusKind::Warning
            };
            app.set_status(
                kind,
                format!("{elsewhere}Restored {what} from autosave{went}{when}.{notes} --fresh starts clean."),
            );
            // Compact now: one snapshot, an empty journal.
            if let Err(e) = compact(app) {
                app.set_status(StatusKind::Warning, format!("Autosave failed: {e}"));
            }
        }
        Err(why) => {
            let mut asides = Vec::new();
            for file in [&path, &journal] {
                if file.exists() {
                    asides.push(match set_aside(file, &format!("corrupt-{}", stamp())) {
                        Ok(aside) => format!("set aside as {}", aside.display()),
                        Err(e) => format!("{} could not be moved aside ({e})", file.display()),
                    });
                }
            }
            let why: String = why.chars().take(160).collect();
            app.set_status(
                StatusKind::Error,
                format!(
                    "{elsewhere}The autosave {} is unreadable ({why}); {}. Starting clean.",
                    path.display(),
                    asides.join(", ")
                ),
            );
        }
    }
}

/// Everything into a fresh snapshot (atomically), then an empty journal. Only after the snapshot
/// is written is the journal removed, so a failure loses nothing.
fn compact(app: &mut App) -> Result<(), String> {
    let Some(path) = app.autosave.path.clone() else {
        return Ok(());
    };
    if let Some(writer) = app.autosave.journal.take() {
        writer.finish();
    }
    let json = serialise(app);
    write_atomically(&path, json.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    let journal = journal_path(&path);
    match std::fs::remove_file(&journal) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("cannot empty {}: {e}", journal.display())),
    }
    app.autosave.saved_calls = app.history.len();
    app.autosave.dirty = false;
    Ok(())
}

/// After a key or a paste: write once typing has stopped for [`IDLE`].
pub(crate) fn after_input(app: &mut App) -> Vec<Effect> {
    if app.autosave.path.is_none() {
        return Vec::new();
    }
    let state = &mut app.autosave;
    state.dirty = true;
    state.last_input = Some(Instant::now());
    if state.timer_pending {
        return Vec::new();
    }
    state.timer_pending = true;
    vec![Effect::AutosaveTimer { after: IDLE }]
}

/// The idle timer went off: write if typing has stopped, else wait for the rest.
pub(crate) fn on_due(app: &mut App) -> Vec<Effect> {
    let state = &mut app.autosave;
    state.timer_pending = false;
    if !state.dirty {
        return Vec::new();
    }
    let idle = state.last_input.map_or(IDLE, |t| t.elapsed());
    if idle < IDLE {
        state.timer_pending = true;
        return vec![Effect::AutosaveTimer { after: IDLE - idle }];
    }
    save(app)
}

/// Asks for a write now (after a call, after the idle timer): the calls not yet saved and the
/// head, serialised here (their size does not grow with the history) and appended by the writer.
pub(crate) fn save(app: &mut App) -> Vec<Effect> {
    let Some(path) = app.autosave.path.clone() else {
        return Vec::new();
    };
    let mut lines = String::new();
    for call in &app.history[app.autosave.saved_calls.min(app.history.len())..] {
        lines.push_str(&line(&Record::Call(saved_call(call))));
    }
    lines.push_str(&line(&Record::Head(head(app))));
    app.autosave.saved_calls = app.history.len();
    app.autosave.dirty = false;
    let task = app.next_task();
    vec![Effect::Autosave(Box::new(Write {
        task,
        path: journal_path(&path),
        lines,
    }))]
}

/// On exit: the journal's last records written, then compacted into the snapshot. A failure is
/// kept for `launch` to report (stderr, non-zero exit).
pub(crate) fn save_now(app: &mut App) -> Result<(), String> {
    let result = compact(app);
    if let Err(e) = &result {
        app.autosave.exit_error = Some(e.clone());
    }
    result
}

/// Appends what is not saved yet and waits until the writer has written everything.
pub(crate) fn flush(app: &mut App) {
    if app.autosave.path.is_none() {
        return;
    }
    if app.autosave.dirty || app.autosave.saved_calls < app.history.len() {
        for effect in save(app) {
            app.perform(effect);
        }
    }
    if let Some(writer) = app.autosave.journal.take() {
        writer.finish();
    }
}

/// Performs [`Effect::Autosave`]: hands the records to the journal's writer thread, which
/// answers with `Message::Autosaved`.
pub(crate) fn spawn_write(app: &mut App, write: Write) {
    let writer = app
        .autosave
        .journal
        .take()
        .filter(|w| w.path == write.path)
        .unwrap_or_else(|| JournalWriter::start(write.path.clone(), app.runtime.tx.clone()));
    if let Err(e) = writer.send(write) {
        app.set_status(StatusKind::Warning, format!("Autosave failed: {e}"));
    }
    app.autosave.journal = Some(writer);
}

/// Performs [`Effect::AutosaveTimer`]: one sleeping task (not waited for by tests).
pub(crate) fn spawn_timer(app: &mut App, after: Duration) {
    let tx = app.runtime.tx.clone();
    tokio::spawn(async move {
        tokio::time::sleep(after).await;
        let _ = tx.send(Message::AutosaveDue);
    });
}

/// `Message::Autosaved`: only a failure is worth a word.
pub(crate) fn on_written(app: &mut App, result: Result<(), String>) {
    if let Err(e) = result {
        app.set_status(StatusKind::Warning, format!("Autosave failed: {e}"));
    }
}

impl App {
    /// Writes the autosave now, compacted (if autosave is on).
    pub fn autosave_now(&mut self) -> Result<(), String> {
        save_now(self)
    }

    /// Closes the autosave as quitting does: everything written, the lock released (another
    /// console may take the file now). Autosave is off for this app afterwards.
    pub fn close_autosave(&mut self) -> Result<(), String> {
        let result = save_now(self);
        self.autosave.path = None;
        self.autosave.lock = None;
        result
    }

    /// Why the autosave could not be written at exit, if it could not.
    pub fn autosave_exit_error(&self) -> Option<&str> {
        self.autosave.exit_error.as_deref()
    }

    /// The file this console autosaves to (after start; `None` with autosave off).
    pub fn autosave_path(&self) -> Option<&Path> {
        self.autosave.path.as_deref()
    }

    /// What an autosave costs the UI task: the new calls and the head serialised and handed to
    /// the writer thread (for the benchmark; the loop does this after each call).
    pub fn autosave_in_background(&mut self) {
        for effect in save(self) {
            self.perform(effect);
        }
    }
}
