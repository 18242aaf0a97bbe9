//! Autosave and recovery. The editor text, identity, state (byte for byte), synchronous
//! validation flag and the whole history are written to `autosave.json` in the user's state
//! directory after every call, 1.5 s after typing stops, and on exit; the next start restores
//! them (`--fresh` starts clean, keeping the old file as a `.bak`). Writes are atomic. A file
//! that cannot be read is set aside (`.corrupt-<time>`) and the console starts clean. The API
//! key is never written; the target's URL is, scrubbed of it.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
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
    let var = |name: &str| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(dir) = var(STATE_DIR_ENV) {
        return Some(dir.join(FILE_NAME));
    }
    if let Some(dir) = var("XDG_STATE_HOME").filter(|d| d.is_absolute()) {
        return Some(dir.join("segscope").join(FILE_NAME));
    }
    var("HOME").map(|home| {
        home.join(".local")
            .join("state")
            .join("segscope")
            .join(FILE_NAME)
    })
}

/// The autosave's bookkeeping in the app.
#[derive(Debug, Default)]
pub struct Autosave {
    /// Something changed since the last write.
    dirty: bool,
    last_input: Option<Instant>,
    timer_pending: bool,
    seq: u64,
    /// The sequence number last written: a slow, older write never overwrites a newer one.
    written: Arc<Mutex<u64>>,
}

/// A write to perform: the serialised file and where it goes.
pub struct Write {
    pub task: u64,
    pub path: PathBuf,
    pub json: String,
    seq: u64,
    written: Arc<Mutex<u64>>,
}

impl std::fmt::Debug for Write {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Write")
            .field("path", &self.path)
            .field("bytes", &self.json.len())
            .finish()
    }
}

impl Write {
    fn run(&self) -> Result<(), String> {
        let mut last = self.written.lock().unwrap_or_else(|e| e.into_inner());
        if self.seq <= *last {
            return Ok(());
        }
        write_atomically(&self.path, self.json.as_bytes())
            .map_err(|e| format!("cannot write {}: {e}", self.path.display()))?;
        *last = self.seq;
        Ok(())
    }
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
    history: Vec<SavedCall>,
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

/// The file's text for the app as it is now.
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
        history: app.history.iter().map(saved_call).collect(),
        lineage: app.lineage.clone(),
        selected: app.selected,
    };
    // The key has no field here and lives only in the client: the text is written as it is,
    // never searched for the key and rewritten (that changed events that contain its text).
    serde_json::to_string_pretty(&file).unwrap_or_default()
}

fn rebuild(saved: SavedCall, id: u64) -> Result<Call, String> {
    let identity = saved.identity.to_identity()?;
    let state_before = saved.state_before.as_deref().map(OpaqueState::from_raw);
    let events = RawValue::from_string(saved.events.trim().to_string())
        .map_err(|e| format!("a call's events are not JSON: {e}"))?;
    let latency = |ms: f64| Duration::from_secs_f64((ms / 1000.0).max(0.0));
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
                latency: latency(latency_ms),
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
            latency: latency(latency_ms),
            envelope: ErrorEnvelope::parse(&body),
            raw_body: body.into(),
        },
        SavedOutcome::Transport {
            latency_ms,
            transport,
            message,
        } => CallOutcome::Transport {
            latency: latency(latency_ms),
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
    pub target: Option<String>,
    pub saved_at: jiff::Timestamp,
}

/// Reads an autosave file into the app (replacing its editor, identity, state and history).
pub fn restore(app: &mut App, text: &str) -> Result<Restored, String> {
    let file: File = serde_json::from_str(text).map_err(|e| e.to_string())?;
    if file.format != FORMAT {
        return Err(format!(
            "format \"{}\" is not \"{FORMAT}\"",
            file.format.chars().take(40).collect::<String>()
        ));
    }
    let identity = file.identity.to_identity()?;
    let mut history = Vec::with_capacity(file.history.len());
    for saved in file.history {
        let id = app.next_task();
        history.push(rebuild(saved, id)?);
    }
    let calls = history.len();
    app.editor.set_text(&file.editor);
    app.identity = identity;
    app.sync_validation = file.sync_validation;
    app.state = file.state.as_deref().map(OpaqueState::from_raw);
    app.session_id = file.session_id;
    app.history = history;
    app.lineage = file.lineage;
    app.selected = file
        .selected
        .filter(|i| *i < calls)
        .or(calls.checked_sub(1));
    Ok(Restored {
        calls,
        target: file.target,
        saved_at: file.saved_at,
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

/// At start: restore the autosave (or, with `--fresh`, move it aside).
pub(crate) fn on_start(app: &mut App) {
    let Some(path) = app.options.autosave.clone() else {
        return;
    };
    if app.options.fresh {
        if path.exists() {
            match set_aside(&path, &format!("{}.bak", stamp())) {
                Ok(aside) => app.set_status(
                    StatusKind::Info,
                    format!(
                        "Started fresh (--fresh): the previous autosave is kept as {}.",
                        aside.display()
                    ),
                ),
                Err(e) => app.set_status(
                    StatusKind::Warning,
                    format!(
                        "Started fresh (--fresh), but could not move {} aside: {e}. It will be overwritten.",
                        path.display()
                    ),
                ),
            }
        }
        return;
    }
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => Ok(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
        Err(e) => Err(e.to_string()),
    };
    let restored = text.and_then(|text| restore(app, &text));
    match restored {
        Ok(r) => {
            let what = match r.calls {
                0 => "the editor and state".to_string(),
                1 => "1 call".to_string(),
                n => format!("{n} calls"),
            };
            let target = app.client.target();
            let here = target.scrub(&target.base_url);
            let elsewhere = match r.target {
                Some(there) if there != here => format!(" (they went to {there})"),
                _ => String::new(),
            };
            app.set_status(
                StatusKind::Info,
                format!(
                    "Restored {what} from autosave{elsewhere}, saved {}. --fresh starts clean.",
                    r.saved_at.strftime("%Y-%m-%d %H:%M:%S UTC")
                ),
            );
        }
        Err(why) => {
            let aside = match set_aside(&path, &format!("corrupt-{}", stamp())) {
                Ok(aside) => format!("set aside as {}", aside.display()),
                Err(e) => format!("could not be moved aside ({e})"),
            };
            let why: String = why.chars().take(160).collect();
            app.set_status(
                StatusKind::Error,
                format!(
                    "The autosave {} is unreadable ({why}); {aside}. Starting clean.",
                    path.display()
                ),
            );
        }
    }
}

/// After a key or a paste: write once typing has stopped for [`IDLE`].
pub(crate) fn after_input(app: &mut App) -> Vec<Effect> {
    if app.options.autosave.is_none() {
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

/// Asks for a write now (after a call, after the idle timer).
pub(crate) fn save(app: &mut App) -> Vec<Effect> {
    let Some(path) = app.options.autosave.clone() else {
        return Vec::new();
    };
    let json = serialise(app);
    let task = app.next_task();
    let state = &mut app.autosave;
    state.dirty = false;
    state.seq += 1;
    vec![Effect::Autosave(Box::new(Write {
        task,
        path,
        json,
        seq: state.seq,
        written: state.written.clone(),
    }))]
}

/// Writes now, on this thread (on exit).
pub(crate) fn save_now(app: &mut App) -> Result<(), String> {
    for effect in save(app) {
        if let Effect::Autosave(write) = effect {
            write.run()?;
        }
    }
    Ok(())
}

/// Performs [`Effect::Autosave`] off the UI task; answers with `Message::Autosaved`.
pub(crate) fn spawn_write(app: &mut App, write: Box<Write>) {
    let tx = app.runtime.tx.clone();
    let task = write.task;
    let handle = tokio::task::spawn_blocking(move || {
        let result = write.run();
        let _ = tx.send(Message::Autosaved { task, result });
    });
    app.runtime.tasks.insert(task, handle);
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
    /// Writes the autosave file now (if autosave is on).
    pub fn autosave_now(&mut self) -> Result<(), String> {
        save_now(self)
    }
}
