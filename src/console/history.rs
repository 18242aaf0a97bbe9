//! What the History and Cohorts panes list, shared by their drawing and by the mouse (a click
//! selects the row under it): the History's rows — the calls, with a separator where the
//! identity changes — and the window of them that keeps the selection in view; the Cohorts
//! pane's entries — the selected call's, or, right after a rewind, the state the next call
//! sends.

use super::call::Call;
use super::model::Model;
use crate::api::Identity;

/// A row of the History pane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryRow {
    /// The identity changes before this call (F3, F4, a rewind onto another user).
    NewIdentity(usize),
    Call(usize),
}

/// Whether a separator goes above call `index`.
fn identity_changes(history: &[Call], index: usize) -> bool {
    index > 0 && index < history.len() && history[index].identity() != history[index - 1].identity()
}

/// The rows a History pane with room for `visible` rows shows: from the top while the selected
/// call fits, else ending at it (as a table scrolled to keep its selection visible would). Only
/// these rows are looked at, so a history of thousands of calls costs what one of ten does.
pub fn history_window(
    history: &[Call],
    selected: Option<usize>,
    visible: usize,
) -> Vec<HistoryRow> {
    let visible = visible.max(1);
    let len = history.len();
    if len == 0 {
        return Vec::new();
    }
    let anchor = selected.unwrap_or(0).min(len - 1);
    // Rows from the top down to the selected call, counted only as far as a screenful.
    let mut rows = 0;
    let mut fits = true;
    for i in 0..=anchor {
        rows += 1 + usize::from(identity_changes(history, i));
        if rows > visible {
            fits = false;
            break;
        }
    }
    let mut window = Vec::with_capacity(visible);
    if fits {
        for i in 0..len {
            if identity_changes(history, i) {
                window.push(HistoryRow::NewIdentity(i));
            }
            window.push(HistoryRow::Call(i));
            if window.len() >= visible {
                break;
            }
        }
        window.truncate(visible);
    } else {
        let mut i = anchor + 1;
        while i > 0 && window.len() < visible {
            i -= 1;
            window.push(HistoryRow::Call(i));
            if window.len() < visible && identity_changes(history, i) {
                window.push(HistoryRow::NewIdentity(i));
            }
        }
        window.reverse();
    }
    window
}

/// The separator's words: who the calls below it are for.
pub fn identity_words(identity: &Identity) -> String {
    match identity {
        Identity::UserId(id) => format!("user {id}"),
        Identity::Alias(alias) => format!("alias {}:{}", alias.tag, alias.id),
        Identity::Aliases(aliases) => {
            let all: Vec<String> = aliases
                .iter()
                .map(|a| format!("{}:{}", a.tag, a.id))
                .collect();
            format!("aliases {}", all.join(", "))
        }
    }
}

/// One entry of the Cohorts pane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CohortMark {
    /// Entered in the call.
    Entered,
    /// A member (before and after).
    Member,
    /// Left in the call.
    Left,
}

/// What the Cohorts pane lists for the selected call: its cohorts after the call (entered
/// marked, then those it left); after a rewind (until the selection moves or a call is sent),
/// the cohorts of the state the next call sends — the rewound call's before-state.
pub fn cohort_entries(app: &Model) -> Vec<(CohortMark, &str)> {
    let Some(call) = app.selected_call() else {
        return Vec::new();
    };
    let delta = &call.delta;
    if shows_next_state(app) {
        // Before a successful call: after it, less what it entered, plus what it left. A failed
        // call's members are the state it sent already.
        let mut before: Vec<&str> = delta
            .members
            .iter()
            .filter(|c| !call.succeeded() || !delta.entered.contains(c))
            .map(String::as_str)
            .collect();
        if call.succeeded() {
            before.extend(delta.left.iter().map(String::as_str));
            before.sort_unstable();
        }
        return before
            .into_iter()
            .map(|c| (CohortMark::Member, c))
            .collect();
    }
    let mut entries: Vec<(CohortMark, &str)> = delta
        .members
        .iter()
        .map(|c| {
            let mark = if delta.entered.contains(c) {
                CohortMark::Entered
            } else {
                CohortMark::Member
            };
            (mark, c.as_str())
        })
        .collect();
    entries.extend(delta.left.iter().map(|c| (CohortMark::Left, c.as_str())));
    entries
}

/// The Cohorts pane shows the state the next call sends (just after `r`), not the selected
/// call's after-state.
pub fn shows_next_state(app: &Model) -> bool {
    app.lineage.rewound_to().is_some() && app.lineage.rewound_to() == app.selected
}
