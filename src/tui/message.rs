//! What flows into the update step (messages) and what it asks the loop to do (effects).

use crossterm::event::Event;
use serde_json::Value;

use super::call::{Call, PendingCall};

/// Everything the app reacts to: terminal input, answers of background tasks, timer ticks.
#[derive(Debug)]
pub enum Message {
    /// A terminal event (key, mouse, resize, paste).
    Input(Event),
    /// The emulator's workspace description (cohort names, event schemas).
    WorkspaceLoaded {
        task: u64,
        result: Result<Value, String>,
    },
    /// A segmentation call came back (or failed to).
    CallFinished { task: u64, call: Box<Call> },
    /// The spinner moves on while a request is in flight.
    Tick,
    /// Leave now (a signal, or the embedding program asks).
    Quit { reason: String },
}

impl Message {
    /// The background task this message ends, if any.
    pub fn task(&self) -> Option<u64> {
        match self {
            Message::WorkspaceLoaded { task, .. } | Message::CallFinished { task, .. } => {
                Some(*task)
            }
            _ => None,
        }
    }
}

/// Work the update step asks for; the loop performs it (spawning tasks that answer with a
/// [`Message`]), so `update` itself never waits.
#[derive(Debug)]
pub enum Effect {
    LoadWorkspace { task: u64 },
    Send(Box<PendingCall>),
    Cancel { task: u64 },
}
