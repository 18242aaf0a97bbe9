//! The live workspace's state (see `update/live.rs`): the edits swapped in, the history
//! re-decided under the latest, and the before/after comparison popup.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use crate::emulator::{EmulatorConfig, Workspace};
use crate::engine::CohortExplanation;
use crate::workspace::redecide::Redecision;

/// What the console needs to run a live workspace: the directory and the emulator serving it.
#[derive(Clone)]
pub struct LiveSetup {
    pub dir: PathBuf,
    pub emulator: Arc<EmulatorConfig>,
}

impl std::fmt::Debug for LiveSetup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveSetup").field("dir", &self.dir).finish()
    }
}

/// The live workspace's state in the app.
#[derive(Default)]
pub struct Live {
    pub(crate) reloading: bool,
    pub(crate) again: bool,
    /// How many edits were swapped in.
    pub(crate) edits: usize,
    /// The latest re-decision of each call, by call id.
    pub(crate) redecided: HashMap<u64, Redecision>,
    /// For the calls that changed: why, cohort by cohort (by call id).
    pub(crate) differences: HashMap<u64, Vec<Difference>>,
    /// Which workspace the calls were made under: from a task id (call ids are task ids) on,
    /// in order. The "before" of an explanation is the workspace the call was really made
    /// under, not merely the one the last reload replaced (an editor's save can fire several
    /// reloads of the same edit). A call in flight while an edit is swapped in is counted as
    /// made under the older one.
    pub(crate) made_under: Vec<(u64, Arc<Workspace>)>,
}

impl Live {
    pub(crate) fn made_under(&self, call_id: u64) -> Option<Arc<Workspace>> {
        self.made_under
            .iter()
            .rev()
            .find(|(from, _)| *from <= call_id)
            .map(|(_, w)| w.clone())
    }
}

/// A cohort whose membership (or entry, or exit) differs after an edit, explained by the engine
/// under the workspace before the edit and under the one after it.
#[derive(Debug, Clone)]
pub struct Difference {
    pub code: String,
    /// `None`: no explanation there (the call failed, or the cohort is not in that workspace).
    pub before: Option<CohortExplanation>,
    pub after: Option<CohortExplanation>,
}

impl std::fmt::Debug for Live {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Live")
            .field("edits", &self.edits)
            .field("redecided", &self.redecided.len())
            .finish()
    }
}

/// The before/after comparison popup of one call, as it stood when `d` opened it (a later edit
/// does not change an open popup). The view writes its lines (`live::comparison`).
#[derive(Debug, Clone)]
pub struct EditComparison {
    pub title: String,
    /// The call's index in the history.
    pub call: usize,
    pub redecision: Redecision,
    /// Why the cohorts that changed did, if they did.
    pub differences: Vec<Difference>,
}
