//! What flows into the update step (messages) and what it asks the loop to do (effects).

use crossterm::event::Event;

use super::call::{Call, PendingCall};
use crate::api::SegmentationRequest;

/// Everything the app reacts to: terminal input, answers of background tasks, timer ticks.
#[derive(Debug)]
pub enum Message {
    /// A terminal event (key, mouse, resize, paste).
    Input(Event),
    /// The emulator's workspace description (cohort names, event schemas).
    WorkspaceLoaded {
        task: u64,
        result: Result<crate::emulator::workspace::WorkspaceDescription, String>,
    },
    /// A segmentation call came back (or failed to).
    /// A call came back, with its detail rendered (for the view's cache).
    CallFinished {
        task: u64,
        call: Box<Call>,
        detail: super::detail::Rendered,
    },
    /// The spinner moves on while a request is in flight.
    Tick,
    /// Leave now (a signal, or the embedding program asks).
    Quit { reason: String },
    /// The emulator's explanation of a call came back (or could not be had).
    Explained {
        task: u64,
        result: Result<crate::engine::Explanation, String>,
    },
    /// An autosave write finished.
    Autosaved {
        task: u64,
        result: Result<(), String>,
    },
    /// The idle timer of the autosave went off (set after this input).
    AutosaveDue { input: u64 },
    /// The autosave's start: claimed, restored (or set aside) and compacted.
    AutosaveStarted {
        task: u64,
        started: Box<super::executor::autosave::Started>,
    },
    /// The session files the picker lists (F7).
    SessionsListed {
        task: u64,
        entries: Vec<super::model::forms::SessionEntry>,
        skipped: usize,
    },
    /// A session file was read (F7, `--session`).
    SessionOpened {
        task: u64,
        path: std::path::PathBuf,
        result: Result<crate::session::Session, String>,
    },
    /// A session file was written (F6), or why not; `done` is the status line for success.
    SessionSaved {
        task: u64,
        path: std::path::PathBuf,
        result: Result<(), super::executor::sessions::SaveRefused>,
        done: String,
    },
    /// A background task ended without its answer (it panicked): said on the status line, and
    /// keys that waited for it go on.
    TaskFailed { task: u64, why: String },
    /// The clipboard could not be written.
    CopyFailed { why: String },
    /// A copy's file was written (or why not).
    CopyWritten {
        task: u64,
        path: std::path::PathBuf,
        result: Result<(), String>,
    },
    /// The live workspace: a file changed, or a reload finished (see `live.rs`).
    Live(super::live::LiveEvent),
    /// An older call's detail was rendered again (see `detail.rs`).
    DetailRendered {
        task: u64,
        call_id: u64,
        detail: super::detail::Rendered,
    },
}

impl Message {
    /// The background task this message ends, if any.
    pub fn task(&self) -> Option<u64> {
        match self {
            Message::WorkspaceLoaded { task, .. }
            | Message::CallFinished { task, .. }
            | Message::Explained { task, .. }
            | Message::Autosaved { task, .. }
            | Message::DetailRendered { task, .. }
            | Message::AutosaveStarted { task, .. }
            | Message::SessionsListed { task, .. }
            | Message::SessionOpened { task, .. }
            | Message::SessionSaved { task, .. }
            | Message::CopyWritten { task, .. }
            | Message::TaskFailed { task, .. } => Some(*task),
            Message::Live(event) => event.task(),
            _ => None,
        }
    }
}

/// Work the update step asks for; the executor performs it (tasks that answer with a
/// [`Message`]), so `update` itself never waits and never does I/O.
#[derive(Debug)]
pub enum Effect {
    LoadWorkspace {
        task: u64,
    },
    Send(Box<PendingCall>),
    Cancel {
        task: u64,
    },
    /// Ask the emulator why (not) for a call's request (`/_segscope/explain`).
    Explain {
        task: u64,
        request: Box<SegmentationRequest>,
    },
    /// Claim the autosave file, restore it (or set it aside) and compact it.
    StartAutosave {
        task: u64,
        request: Box<super::executor::autosave::StartRequest>,
    },
    /// Append records (already serialised: the new calls and the head) to the journal.
    AppendJournal {
        task: u64,
        path: std::path::PathBuf,
        lines: String,
    },
    /// Wake the update step up in a while to autosave after typing stops (every key sets the
    /// one timer again).
    AutosaveTimer {
        after: std::time::Duration,
        input: u64,
    },
    /// List the session files the picker offers (F7).
    ListSessions {
        task: u64,
    },
    /// Read a session file (F7, `--session`).
    OpenSession {
        task: u64,
        path: std::path::PathBuf,
    },
    /// Write a session file (F6), unless it is a directory or exists and `overwrite` is not it.
    SaveSession {
        task: u64,
        session: Box<crate::session::Session>,
        path: std::path::PathBuf,
        overwrite: Option<std::path::PathBuf>,
        /// The status line when it is written.
        done: String,
    },
    /// Put text on the clipboard (OSC 52 on the terminal), and in `file` when there is one.
    Copy {
        task: u64,
        text: String,
        file: Option<std::path::PathBuf>,
    },
    /// Watch the live workspace's directory (see `live.rs`).
    WatchWorkspace(super::model::live::LiveSetup),
    /// Load the edited workspace, swap it in and decide the history again (see `live.rs`).
    Live {
        setup: super::model::live::LiveSetup,
        reload: Box<super::live::Reload>,
    },
    /// Render a call's detail again, off the UI task.
    RenderDetail {
        task: u64,
        call: Box<Call>,
    },
}
