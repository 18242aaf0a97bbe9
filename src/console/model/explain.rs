//! The explanation popup's data (see `update/explain.rs`): the cohorts, and the emulator's
//! answer as the engine's own type. Its lines are the view's: made when drawn, from this
//! (`console/explain.rs`), never kept here.

use std::sync::Arc;

use crate::engine::Explanation;

/// One cohort in the popup's list.
#[derive(Debug, Clone)]
pub struct Entry {
    pub code: String,
    pub name: String,
    /// Membership after the call (`None`: not known yet).
    pub member: Option<bool>,
    /// Entered (`Some(true)`) or left (`Some(false)`) in this call.
    pub changed: Option<bool>,
}

/// Where the explanation stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stage {
    /// Asked the emulator; this task answers.
    Loading {
        task: u64,
    },
    Ready,
    /// No explanation: why (the cohorts' raw state entries are shown instead).
    Unavailable(String),
}

/// The popup's state.
#[derive(Debug, Clone)]
pub struct ExplainPopup {
    /// The history index of the call explained.
    pub call: usize,
    pub stage: Stage,
    pub entries: Vec<Entry>,
    /// The emulator's answer, once it is in (`Stage::Ready`).
    pub explanation: Option<Arc<Explanation>>,
    pub cursor: usize,
    pub scroll: usize,
}

impl ExplainPopup {
    pub fn selected(&self) -> Option<&Entry> {
        self.entries.get(self.cursor)
    }
}
