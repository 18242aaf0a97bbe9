//! Rewind and branch: go back to just before a call to try another next step. Nothing is
//! deleted: the calls after it stay in the history as a dimmed, abandoned branch, and the next
//! send starts a new branch from the state the rewound call had sent, byte for byte.

use crate::console::message::Effect;
use crate::console::model::{Model, StatusKind};

/// `r`: rewinds to just before the selected call.
pub(crate) fn rewind(app: &mut Model) -> Vec<Effect> {
    let Some(index) = app.selected.filter(|i| *i < app.history.len()) else {
        app.set_status(
            StatusKind::Info,
            "Nothing to rewind: no call yet. Select a call in the History pane, then r.",
        );
        return Vec::new();
    };
    if app.in_flight.is_some() {
        app.set_status(
            StatusKind::Warning,
            "A request is in flight: wait for it (or Esc to cancel it) before rewinding.",
        );
        return Vec::new();
    }
    let call = &app.history[index];
    let events = call.events_text();
    let identity = call.identity().clone();
    let sync = call.sync_validation;
    let state = call.state_before().cloned();
    let len = app.history.len();
    app.lineage.rewind(index, len);
    app.editor.set_text(&events);
    app.identity = identity;
    app.sync_validation = sync;
    let size = state.as_ref().map_or(0, |s| s.as_str().len());
    app.state = state;
    let number = index + 1;
    let branch = if number == len {
        format!("Call {number} stays, dimmed")
    } else {
        format!("Calls {number}–{len} stay, dimmed")
    };
    let sends = if size == 0 {
        "an empty state".to_string()
    } else {
        format!("the state it sent ({size} bytes)")
    };
    app.set_status(
        StatusKind::Info,
        format!(
            "Rewound to before call {number}: its events are back; the next call sends {sends}. {branch}."
        ),
    );
    Vec::new()
}
