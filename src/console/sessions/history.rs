//! The history's last thread as a `segscope-session/1` session (what F6 saves).

use serde_json::Value;

use crate::api::OpaqueState;
use crate::console::call::Call;
use crate::session::Session;
use crate::session::replay::cohorts_of;

/// What of the history a save keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SavedCalls {
    /// Calls in the saved thread (answered or not).
    pub thread: usize,
    /// Steps written (calls that got an HTTP answer).
    pub steps: usize,
    /// Earlier calls left out: another identity, or a state the thread does not lead to.
    pub left_out: usize,
}

/// The index where the saved thread starts: the longest run of calls at the end of the history
/// with one identity in which each call sent the state the one before it left. A session has
/// one identity and threads the state itself, so only such a run replays as it happened.
fn thread_start(history: &[Call]) -> Option<usize> {
    let last = history.last()?;
    let mut start = history.len() - 1;
    let mut sent = last.state_before.as_ref().map(OpaqueState::as_str);
    for i in (0..history.len() - 1).rev() {
        let call = &history[i];
        let left = if call.succeeded() {
            call.state_after.as_ref()
        } else {
            call.state_before.as_ref()
        };
        if call.identity != last.identity || left.map(OpaqueState::as_str) != sent {
            break;
        }
        start = i;
        sent = call.state_before.as_ref().map(OpaqueState::as_str);
    }
    Some(start)
}

/// The events a call sent, as JSON.
fn events_of(call: &Call) -> Option<Value> {
    serde_json::from_str::<Value>(call.request.events.get()).ok()
}

/// A session of the history's last thread (see [`thread_start`]): its identity, the state its
/// first call sent, and one step per call that got an HTTP answer. `notes` names steps by call
/// id (calls that were themselves replayed steps keep their notes).
pub fn session_from_history(
    history: &[Call],
    name: &str,
    description: &str,
    target: &crate::api::Target,
    note_of: impl Fn(u64) -> Option<String>,
) -> Option<(Session, SavedCalls)> {
    let start = thread_start(history)?;
    let thread = &history[start..];
    let first = thread.first()?;
    let mut session = Session::new(name, &first.identity);
    session.description = description.to_string();
    session.set_recorded_against(target);
    session.initial_state = first.state_before.as_ref().map(|s| s.to_raw());
    for call in thread {
        let Some(events) = events_of(call) else {
            continue;
        };
        let before = cohorts_of(call.state_before.as_ref());
        session.record_step(
            note_of(call.id).unwrap_or_default(),
            events,
            call.sync_validation,
            &call.outcome,
            &before,
        );
    }
    let saved = SavedCalls {
        thread: thread.len(),
        steps: session.steps.len(),
        left_out: start,
    };
    (saved.steps > 0).then_some((session, saved))
}
