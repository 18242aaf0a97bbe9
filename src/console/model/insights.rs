//! What the emulator's explanations said about the history's calls (see `timeline.rs`).

use std::collections::HashMap;

use crate::engine::{Clock, Explanation};

/// What the emulator's explanation said about one call of the history.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CallInsight {
    pub clock: Clock,
    /// Cohorts both entered and left within the call (invisible in its delta).
    pub entered_and_left: Vec<String>,
    /// The explanation's notes (e.g. an event more than a day ahead of the user's clock).
    pub notes: Vec<String>,
}

impl CallInsight {
    pub fn of(explanation: &Explanation) -> CallInsight {
        CallInsight {
            clock: explanation.clock,
            entered_and_left: explanation
                .cohorts
                .iter()
                .filter(|c| c.entered_and_left)
                .map(|c| c.code.clone())
                .collect(),
            notes: explanation.notes.clone(),
        }
    }
}

/// The insights of the history's calls, and the background explanations still on their way.
#[derive(Debug, Default)]
pub struct Insights {
    /// By call id.
    pub(crate) by_call: HashMap<u64, CallInsight>,
    /// Background explanations in flight: task → call id.
    pub(crate) asking: HashMap<u64, u64>,
}
