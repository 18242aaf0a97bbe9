//! The explanation popup's data (see `update/explain.rs`): the cohorts, each with its lines.

use ratatui::text::Line;

/// One cohort in the popup's list, with its explanation (or raw state entries) as lines.
#[derive(Debug, Clone)]
pub struct Entry {
    pub code: String,
    pub name: String,
    /// Membership after the call (`None`: not known yet).
    pub member: Option<bool>,
    /// Entered (`Some(true)`) or left (`Some(false)`) in this call.
    pub changed: Option<bool>,
    pub lines: Vec<Line<'static>>,
}

/// Where the explanation stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stage {
    /// Asked the emulator; this task answers.
    Loading {
        task: u64,
    },
    Ready,
    /// No explanation: why (the lines show the raw state entries instead).
    Unavailable(String),
}

/// The popup's state.
#[derive(Debug, Clone)]
pub struct ExplainPopup {
    /// The history index of the call explained.
    pub call: usize,
    pub stage: Stage,
    pub entries: Vec<Entry>,
    pub cursor: usize,
    pub scroll: usize,
}

impl ExplainPopup {
    pub fn selected(&self) -> Option<&Entry> {
        self.entries.get(self.cursor)
    }
}
