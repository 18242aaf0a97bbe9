//! The live workspace (issue 12): on the embedded emulator with `--workspace DIR`, the console
//! watches DIR. When `cohorts.json` or a schema changes and loads cleanly, the emulator serves
//! it from the next call on, and every call of the history is decided again under it in the
//! background ([`crate::workspace::redecide`]); the History pane marks the calls whose outcome
//! changed, and `d` compares the selected call before and after the edit. A file that does not
//! load is named with its line and column, and the previous workspace stays in use.
//!
//! The watcher only posts "something changed"; loading, swapping and re-deciding run off the UI
//! task, one at a time (changes that arrive meanwhile cause one more round at the end).

mod compare;

use std::sync::Arc;

use ratatui::text::{Line, Span};

use crate::console::call::Call;
use crate::console::model::Model;
use crate::console::model::live::Difference;
use crate::emulator::Workspace;
use crate::workspace::redecide::{PastCall, Redecision};

pub(crate) use compare::comparison;

/// What the watcher and the reload task tell the update step.
#[derive(Debug)]
pub enum LiveEvent {
    /// A file of the workspace changed on disk.
    Changed,
    /// The directory cannot be watched (why, in words).
    NotWatching(String),
    /// A reload finished: the history re-decided, or why the files did not load.
    Reloaded {
        task: u64,
        result: Result<Swapped, String>,
    },
}

/// A workspace edit swapped in, and the history decided under it.
#[derive(Debug)]
pub struct Swapped {
    /// By call id: the re-decision, and for a call that changed, why.
    pub calls: Vec<(u64, Redecision, Vec<Difference>)>,
    /// The workspace now in use.
    pub workspace: Arc<Workspace>,
}

impl LiveEvent {
    pub fn task(&self) -> Option<u64> {
        match self {
            LiveEvent::Reloaded { task, .. } => Some(*task),
            LiveEvent::Changed | LiveEvent::NotWatching(_) => None,
        }
    }
}

/// A reload to run in the background: the calls to decide again, by call id, each with the
/// workspace it was made under.
pub struct Reload {
    pub(crate) task: u64,
    pub(crate) calls: Vec<(u64, PastCall)>,
    pub(crate) made_under: Vec<Option<Arc<Workspace>>>,
}

impl std::fmt::Debug for Reload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reload")
            .field("task", &self.task)
            .field("calls", &self.calls.len())
            .finish()
    }
}

/// The History row's cohorts cell, with `≠` first when an edit changed the call's outcome.
pub fn marked<'a>(app: &Model, call: &Call, cell: Line<'a>) -> Line<'a> {
    match app.live.redecided.get(&call.id) {
        Some(r) if r.changed() => {
            let mut spans = vec![Span::styled("≠ ", app.theme.warning())];
            spans.extend(cell.spans);
            Line::from(spans)
        }
        _ => cell,
    }
}
