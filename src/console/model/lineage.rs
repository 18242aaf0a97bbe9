//! Which call led to which: the state thread of the history, and the branches abandoned by a
//! rewind (see `update/rewind.rs`).

use serde::{Deserialize, Serialize};

/// Which call led to which, and which calls are abandoned. Kept beside `App::history`, one entry
/// per call.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lineage {
    /// For each call: the call whose returned state it sent (`None`: an empty state).
    parents: Vec<Option<usize>>,
    /// For each call: left behind by a rewind (drawn dimmed).
    abandoned: Vec<bool>,
    /// The call whose state the next call sends (`None`: an empty state).
    head: Option<usize>,
    /// For each call: the first call sent after a rewind, the start of a new branch. (Written
    /// only when there is one, so files without branches read as they did.)
    #[serde(default, skip_serializing_if = "no_branch")]
    branches: Vec<bool>,
    /// The call rewound to, until the next call is sent (or the identity changes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rewound: Option<usize>,
}

fn no_branch(branches: &[bool]) -> bool {
    !branches.contains(&true)
}

impl Lineage {
    /// Keeps one entry per call even if the history was replaced wholesale (e.g. a loaded
    /// session): unknown calls count as live, with no known parent.
    fn fit(&mut self, len: usize) {
        if self.branches.len() != len {
            self.branches.resize(len, false);
        }
        if self.parents.len() != len {
            self.parents.resize(len, None);
            self.abandoned.resize(len, false);
            if self.head.is_some_and(|h| h >= len) {
                self.head = None;
            }
        }
    }

    /// A call was added to a history of `len_before` calls; `state_used` when its state is
    /// what the next call sends.
    pub fn record(&mut self, len_before: usize, state_used: bool) {
        self.fit(len_before);
        self.parents.push(self.head);
        self.abandoned.push(false);
        self.branches.push(self.rewound.take().is_some());
        if state_used {
            self.head = Some(len_before);
        }
    }

    /// The next call starts from an empty state (new user, alias).
    pub fn reset(&mut self) {
        self.head = None;
        self.rewound = None;
    }

    /// Rewinds to just before call `index`: it and every later call are abandoned, and the line
    /// that led to it is live again. Returns how many calls are newly abandoned.
    pub fn rewind(&mut self, index: usize, len: usize) -> usize {
        self.fit(len);
        if index >= len {
            return 0;
        }
        let mut newly = 0;
        for flag in &mut self.abandoned[index..] {
            if !*flag {
                newly += 1;
            }
            *flag = true;
        }
        let mut parent = self.parents[index];
        let mut steps = 0;
        while let Some(p) = parent {
            if p >= len || steps > len {
                break;
            }
            self.abandoned[p] = false;
            parent = self.parents[p];
            steps += 1;
        }
        self.head = self.parents[index];
        self.rewound = Some(index);
        newly
    }

    /// The call rewound to, while nothing has been sent since.
    pub fn rewound_to(&self) -> Option<usize> {
        self.rewound
    }

    /// For the first call of a branch started by a rewind: the call whose state it continued
    /// (`Some(None)`: it started from an empty state).
    pub fn branched_from(&self, index: usize) -> Option<Option<usize>> {
        if self.branches.get(index).copied().unwrap_or(false) {
            Some(self.parents.get(index).copied().flatten())
        } else {
            None
        }
    }

    pub fn is_abandoned(&self, index: usize) -> bool {
        self.abandoned.get(index).copied().unwrap_or(false)
    }

    pub fn abandoned_count(&self) -> usize {
        self.abandoned.iter().filter(|a| **a).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewinding_abandons_the_later_calls_and_revives_the_line() {
        let mut l = Lineage::default();
        for n in 0..3 {
            l.record(n, true);
        }
        assert_eq!(l.rewind(1, 3), 2);
        assert!(!l.is_abandoned(0) && l.is_abandoned(1) && l.is_abandoned(2));
        // A new branch from call 1's state (that of call 0).
        assert_eq!(l.rewound_to(), Some(1));
        l.record(3, true);
        assert_eq!(l.parents[3], Some(0));
        assert_eq!(l.branched_from(3), Some(Some(0)));
        assert_eq!(l.branched_from(2), None);
        assert_eq!(l.rewound_to(), None);
        // Back onto the old branch: call 2 (parent 1) revives 1 and abandons 2 and 3.
        l.rewind(2, 4);
        assert!(!l.is_abandoned(0) && !l.is_abandoned(1));
        assert!(l.is_abandoned(2) && l.is_abandoned(3));
        assert_eq!(l.head, Some(1));
        assert_eq!(l.abandoned_count(), 2);
    }

    #[test]
    fn a_replaced_history_is_fitted() {
        let mut l = Lineage::default();
        l.record(5, true);
        assert_eq!(l.parents.len(), 6);
        assert!(!l.is_abandoned(99));
        l.reset();
        l.record(6, false);
        assert_eq!(l.parents[6], None);
    }
}
