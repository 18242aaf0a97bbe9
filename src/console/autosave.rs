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

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::app::{App, StatusKind};
use super::call::{Call, PendingCall};
use super::message::{Effect, Message};
use super::rewind::Lineage;
use crate::api::{
    CallOutcome, ErrorEnvelope, OpaqueState, SegmentationRequest, SegmentationResponse,
    TransportKind,
};
use crate::session::{SessionIdentity, write_atomically};

/// The format tag of the file.
pub const FORMAT: &str = "segscope-autosave/1";
/// The file's name in the state directory.
pub const FILE_NAME: &str = "autosave.json";
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

/// Records to append to the journal: serialised on the UI task (small), written by the thread.
pub struct Write {
    pub task: u64,
    pub path: PathBuf,
    lines: String,
}

impl std::fmt::Debug for Write {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Write")
            .field("path", &self.path)
            .field("bytes", &self.lines.len())
            .finish()
    }
}

/// The journal's writer: one thread, so records land in the order they were made.
struct JournalWriter {
    path: PathBuf,
    tx: Option<std::sync::mpsc::Sender<Write>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for JournalWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JournalWriter")
            .field("path", &self.path)
            .finish()
    }
}

impl JournalWriter {
    fn start(path: PathBuf, answer: tokio::sync::mpsc::UnboundedSender<Message>) -> JournalWriter {
        let (tx, rx) = std::sync::mpsc::channel::<Write>();
        let journal = path.clone();
        let thread = std::thread::Builder::new()
            .name("segscope-autosave".into())
            .spawn(move || {
                for write in rx {
                    let result = append(&journal, write.lines.as_bytes())
                        .map_err(|e| format!("cannot write {}: {e}", journal.display()));
                    let _ = answer.send(Message::Autosaved {
                        task: write.task,
                        result,
                    });
                }
            })
            .ok();
        JournalWriter {
            path,
            tx: Some(tx),
            thread,
        }
    }

    fn send(&self, write: Write) -> Result<(), String> {
        match &self.tx {
            Some(tx) => tx
                .send(write)
                .map_err(|_| "the autosave writer stopped".to_string()),
            None => Err("the autosave writer stopped".into()),
        }
    }

    /// Waits until every record sent has been written.
    fn finish(mut self) {
        drop(self.tx.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn append(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    file.write_all(bytes)
}

/// `autosave.json` → `autosave.json.journal`.
pub fn journal_path(path: &Path) -> PathBuf {
    with_suffix(path, "journal")
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| FILE_NAME.into());
    path.with_file_name(format!("{name}.{suffix}"))
}

/// One line of the journal.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Record {
    /// A finished call, appended once.
    Call(SavedCall),
    /// Everything but the history, as it is now (the last one wins).
    Head(Head),
}

#[derive(Serialize, Deserialize)]
struct Head {
    saved_at: jiff::Timestamp,
    editor: String,
    identity: SessionIdentity,
    sync_validation: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    state: Option<Box<RawValue>>,
    session_id: String,
    #[serde(default)]
    lineage: Lineage,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    selected: Option<usize>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    format: String,
    saved_at: jiff::Timestamp,
    /// Where the calls went (scrubbed of the key); informational.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    target: Option<String>,
    editor: String,
    identity: SessionIdentity,
    sync_validation: bool,
    /// The state the next call sends, exactly as the API returned it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    state: Option<Box<RawValue>>,
    session_id: String,
    /// Read one by one: a call that cannot be read is dropped alone.
    history: Vec<Box<RawValue>>,
    #[serde(default)]
    lineage: Lineage,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    selected: Option<usize>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedCall {
    /// The editor's text as sent (the request's `events`).
    events: String,
    event_count: usize,
    identity: SessionIdentity,
    sync_validation: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    state_before: Option<Box<RawValue>>,
    sent_at: jiff::Timestamp,
    outcome: SavedOutcome,
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
enum SavedOutcome {
    Success {
        status: u16,
        latency_ms: f64,
        body: String,
    },
    ApiError {
        status: u16,
        latency_ms: f64,
        body: String,
    },
    Transport {
        latency_ms: f64,
        transport: String,
        message: String,
    },
}

fn raw(state: Option<&OpaqueState>) -> Option<Box<RawValue>> {
    state.map(|s| s.to_raw())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn saved_call(call: &Call) -> SavedCall {
    let outcome = match &call.outcome {
        CallOutcome::Success {
            status,
            latency,
            raw_body,
            ..
        } => SavedOutcome::Success {
            status: *status,
            latency_ms: ms(*latency),
            body: raw_body.to_string(),
        },
        CallOutcome::ApiError {
            status,
            latency,
            raw_body,
            ..
        } => SavedOutcome::ApiError {
            status: *status,
            latency_ms: ms(*latency),
            body: raw_body.to_string(),
        },
        CallOutcome::Transport {
            latency,
            kind,
            message,
        } => SavedOutcome::Transport {
            latency_ms: ms(*latency),
            transport: match kind {
                TransportKind::Timeout => "timeout",
                TransportKind::Connect => "connect",
                TransportKind::Body => "body",
                TransportKind::Other => "other",
            }
            .into(),
            message: message.clone(),
        },
    };
    SavedCall {
        events: call.events_text.clone(),
        event_count: call.event_count,
        identity: SessionIdentity::from_identity(&call.identity),
        sync_validation: call.sync_validation,
        state_before: raw(call.state_before.as_ref()),
        sent_at: call.sent_at,
        outcome,
    }
}

/// The snapshot's text for the app as it is now (everything: for the compaction on start and
/// exit, never on every change).
pub fn serialise(app: &App) -> String {
    let target = app.client.target();
    let file = File {
        format: FORMAT.into(),
        saved_at: jiff::Timestamp::now(),
        target: Some(target.scrub(&target.base_url)),
        editor: app.editor.text(),
        identity: SessionIdentity::from_identity(&app.identity),
        sync_validation: app.sync_validation,
        state: raw(app.state.as_ref()),
        session_id: app.session_id.clone(),
        history: app
            .history
            .iter()
            .filter_map(|c| serde_json::value::to_raw_value(&saved_call(c)).ok())
            .collect(),
        lineage: app.lineage.clone(),
        selected: app.selected,
    };
    // The key has no field here and lives only in the client: the text is written as it is,
    // never searched for the key and rewritten (that changed events that contain its text).
    serde_json::to_string_pretty(&file).unwrap_or_default()
}

fn head(app: &App) -> Head {
    Head {
        saved_at: jiff::Timestamp::now(),
        editor: app.editor.text(),
        identity: SessionIdentity::from_identity(&app.identity),
        sync_validation: app.sync_validation,
        state: raw(app.state.as_ref()),
        session_id: app.session_id.clone(),
        lineage: app.lineage.clone(),
        selected: app.selected,
    }
}

/// One journal line (with its newline).
fn line(record: &Record) -> String {
    let mut text = serde_json::to_string(record).unwrap_or_default();
    text.push('\n');
    text
}

fn rebuild(saved: SavedCall, id: u64) -> Result<Call, String> {
    let identity = saved.identity.to_identity()?;
    let state_before = saved.state_before.as_deref().map(OpaqueState::from_raw);
    let events = RawValue::from_string(saved.events.trim().to_string())
        .map_err(|e| format!("a call's events are not JSON: {e}"))?;
    // An absurd latency (1e308 ms, NaN) makes the call unreadable, not the console panic.
    let latency = |ms: f64| {
        Duration::try_from_secs_f64((ms / 1000.0).max(0.0))
            .map_err(|_| format!("a call's latency_ms {ms} is not a duration"))
    };
    let outcome = match saved.outcome {
        SavedOutcome::Success {
            status,
            latency_ms,
            body,
        } => {
            let body: std::sync::Arc<str> = body.into();
            let response = SegmentationResponse::parse(&body)
                .map_err(|e| format!("a saved response is not a segmentation response: {e}"))?;
            CallOutcome::Success {
                status,
                latency: latency(latency_ms)?,
                response,
                raw_body: body,
            }
        }
        SavedOutcome::ApiError {
            status,
            latency_ms,
            body,
        } => CallOutcome::ApiError {
            status,
            latency: latency(latency_ms)?,
            envelope: ErrorEnvelope::parse(&body),
            raw_body: body.into(),
        },
        SavedOutcome::Transport {
            latency_ms,
            transport,
            message,
        } => CallOutcome::Transport {
            latency: latency(latency_ms)?,
            kind: match transport.as_str() {
                "timeout" => TransportKind::Timeout,
                "connect" => TransportKind::Connect,
                "body" => TransportKind::Body,
                _ => TransportKind::Other,
            },
            message,
        },
    };
    let pending = PendingCall {
        id,
        events_text: saved.events,
        event_count: saved.event_count,
        identity: identity.clone(),
        sync_validation: saved.sync_validation,
        state_before: state_before.clone(),
        sent_at: saved.sent_at,
        request: SegmentationRequest {
            identity,
            events,
            state: state_before,
        },
    };
    // Rendered when selected (see `detail.rs`): a restore of thousands of calls stays fast.
    Ok(Call::complete(pending, outcome))
}

/// What a restore found.
pub struct Restored {
    pub calls: usize,
    /// Calls (or journal records) that could not be read and were dropped.
    pub dropped: usize,
    /// The journal's last line was cut short (a kill mid-write) and was dropped.
    pub torn: bool,
    pub target: Option<String>,
    pub saved_at: Option<jiff::Timestamp>,
}

/// Reads a snapshot (if any) and a journal (if any) into the app, replacing its editor, identity,
/// state and history. Fails only when the snapshot as a whole cannot be read; a call that cannot
/// be read is dropped alone.
pub fn restore(
    app: &mut App,
    snapshot: Option<&str>,
    journal: Option<&str>,
) -> Result<Restored, String> {
    let mut history = Vec::new();
    let mut dropped = 0;
    let mut latest: Option<Head> = None;
    let mut target = None;
    if let Some(text) = snapshot {
        let file: File = serde_json::from_str(text).map_err(|e| e.to_string())?;
        if file.format != FORMAT {
            return Err(format!(
                "format \"{}\" is not \"{FORMAT}\"",
                file.format.chars().take(40).collect::<String>()
            ));
        }
        for saved in &file.history {
            let call = serde_json::from_str::<SavedCall>(saved.get())
                .map_err(|e| e.to_string())
                .and_then(|saved| rebuild(saved, app.next_task()));
            match call {
                Ok(call) => history.push(call),
                Err(_) => dropped += 1,
            }
        }
        target = file.target;
        latest = Some(Head {
            saved_at: file.saved_at,
            editor: file.editor,
            identity: file.identity,
            sync_validation: file.sync_validation,
            state: file.state,
            session_id: file.session_id,
            lineage: file.lineage,
            selected: file.selected,
        });
    }
    let mut torn = false;
    if let Some(text) = journal {
        let mut lines: Vec<&str> = text.split('\n').collect();
        // Text after the last newline is a record cut short by a kill mid-write.
        if lines.pop().is_some_and(|tail| !tail.trim().is_empty()) {
            torn = true;
        }
        for record in lines.iter().filter(|l| !l.trim().is_empty()) {
            match serde_json::from_str::<Record>(record) {
                Ok(Record::Call(saved)) => match rebuild(saved, app.next_task()) {
                    Ok(call) => history.push(call),
                    Err(_) => dropped += 1,
                },
                Ok(Record::Head(head)) => latest = Some(head),
                Err(_) => dropped += 1,
            }
        }
    }
    let calls = history.len();
    let saved_at = latest.as_ref().map(|h| h.saved_at);
    if let Some(head) = latest {
        match head.identity.to_identity() {
            Ok(identity) => app.identity = identity,
            Err(_) => dropped += 1,
        }
        app.editor.set_text(&head.editor);
        app.sync_validation = head.sync_validation;
        app.state = head.state.as_deref().map(OpaqueState::from_raw);
        app.session_id = head.session_id;
        app.lineage = head.lineage;
        app.selected = head
            .selected
            .filter(|i| *i < calls)
            .or(calls.checked_sub(1));
    } else {
        app.selected = calls.checked_sub(1);
    }
    app.history = history;
    Ok(Restored {
        calls,
        dropped,
        torn,
        target,
        saved_at,
    })
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
            let here = target.scrub(&target.base_url);
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
