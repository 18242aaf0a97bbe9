//! A thread of the history as a `segscope-session/1` session (what F6 saves), and what of the
//! history a save keeps, in words, before it is made.

use serde_json::Value;

use crate::api::{Identity, OpaqueState};
use crate::console::call::Call;
use crate::console::words::count;
use crate::session::Session;
use crate::session::replay::cohorts_of;

/// What F6 saves: the user's whole thread, or the thread up to the selected call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveScope {
    /// Every call of the selected call's identity that threads into its last call.
    AllOfUser,
    /// The thread that leads to the selected call, and no further.
    UpToSelected,
}

/// What of the history a save keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedCalls {
    /// The calls saved, by index in the history, oldest first (answered or not).
    pub calls: Vec<usize>,
    /// Steps written (calls that got an HTTP answer).
    pub steps: usize,
    /// Calls up to the last saved one that are not in it: another identity, or a state the
    /// thread does not lead to (an abandoned branch).
    pub left_out: usize,
    /// Calls after the last saved one (not saved).
    pub later: usize,
    /// Whose calls they are (`user_id`, or `alias tag:id`).
    pub who: String,
}

impl SavedCalls {
    /// `#2–#4, #7` for the calls saved.
    pub fn numbers(&self) -> String {
        let mut runs: Vec<(usize, usize)> = Vec::new();
        for &i in &self.calls {
            match runs.last_mut() {
                Some((_, end)) if *end + 1 == i => *end = i,
                _ => runs.push((i, i)),
            }
        }
        runs.iter()
            .map(|&(a, b)| {
                if a == b {
                    format!("#{}", a + 1)
                } else {
                    format!("#{}–#{}", a + 1, b + 1)
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// `3 calls of user … (#2–#4)`: exactly what a save writes.
    pub fn summary(&self) -> String {
        format!(
            "{} of {} ({})",
            count(self.steps, "call"),
            self.who,
            self.numbers()
        )
    }

    /// The calls of the history the save leaves out, in words, if any: `3 earlier calls
    /// (another identity or state thread); 2 calls after it`.
    pub fn not_saved(&self) -> Option<String> {
        let mut parts = Vec::new();
        let unanswered = self.calls.len() - self.steps;
        if unanswered > 0 {
            parts.push(format!(
                "{} without an HTTP answer",
                count(unanswered, "call")
            ));
        }
        if self.left_out > 0 {
            parts.push(format!(
                "{} before (another identity or state thread)",
                count(self.left_out, "call")
            ));
        }
        if self.later > 0 {
            parts.push(format!("{} after", count(self.later, "call")));
        }
        (!parts.is_empty()).then(|| parts.join("; "))
    }

    /// [`SavedCalls::summary`], then what is not saved: `3 calls of user … (#2–#4). Not saved:
    /// 1 call before (another identity or state thread).`
    pub fn describe(&self) -> String {
        match self.not_saved() {
            Some(rest) => format!("{}. Not saved: {rest}", self.summary()),
            None => self.summary(),
        }
    }
}

/// The state a call leaves for the next: its answer's, or (failed) the one it sent.
fn left_by(call: &Call) -> Option<&str> {
    if call.succeeded() {
        call.state_after.as_ref().map(OpaqueState::as_str)
    } else {
        call.state_before().map(OpaqueState::as_str)
    }
}

/// The calls a session ending at `end` holds: `end`, then, going back, each earlier call of the
/// same identity that left the state the one after it sent. A session has one identity and
/// threads the state itself, so only such a thread replays as it happened; calls of another
/// identity or of an abandoned branch in between are stepped over.
fn thread_to(history: &[Call], end: usize) -> Vec<usize> {
    let Some(last) = history.get(end) else {
        return Vec::new();
    };
    let mut calls = vec![end];
    let mut sent = last.state_before().map(OpaqueState::as_str);
    for i in (0..end).rev() {
        let call = &history[i];
        if call.identity() == last.identity() && left_by(call) == sent {
            calls.push(i);
            sent = call.state_before().map(OpaqueState::as_str);
        }
    }
    calls.reverse();
    calls
}

/// What a save of `scope` keeps, the selected call being `selected`.
pub fn plan(history: &[Call], selected: usize, scope: SaveScope) -> Option<SavedCalls> {
    let chosen = history.get(selected)?;
    let end = match scope {
        SaveScope::UpToSelected => selected,
        SaveScope::AllOfUser => history
            .iter()
            .rposition(|c| c.identity() == chosen.identity())
            .unwrap_or(selected),
    };
    let calls = thread_to(history, end);
    let steps = calls
        .iter()
        .filter(|&&i| events_of(&history[i]).is_some() && answered(&history[i]))
        .count();
    Some(SavedCalls {
        left_out: end + 1 - calls.len(),
        later: history.len() - end - 1,
        steps,
        who: who(chosen.identity()),
        calls,
    })
}

fn who(identity: &Identity) -> String {
    match identity {
        Identity::UserId(id) => format!("user {id}"),
        other => other.describe(),
    }
}

fn answered(call: &Call) -> bool {
    !matches!(call.outcome, crate::api::CallOutcome::Transport { .. })
}

/// The events a call sent, as JSON.
fn events_of(call: &Call) -> Option<Value> {
    serde_json::from_str::<Value>(call.request.events.get()).ok()
}

/// The session of the calls `saved` (see [`plan`]): their identity, the state the first sent,
/// and one step per call that got an HTTP answer. `notes` names steps by call id (calls that
/// were themselves replayed steps keep their notes).
pub fn session_of(
    history: &[Call],
    saved: &SavedCalls,
    name: &str,
    description: &str,
    target: &crate::api::Target,
    note_of: impl Fn(u64) -> Option<String>,
) -> Option<Session> {
    let first = history.get(*saved.calls.first()?)?;
    let mut session = Session::new(name, first.identity());
    session.description = description.to_string();
    session.set_recorded_against(target);
    session.initial_state = first.state_before().map(|s| s.to_raw());
    for &i in &saved.calls {
        let call = &history[i];
        let Some(events) = events_of(call) else {
            continue;
        };
        let before = cohorts_of(call.state_before());
        session.record_step(
            note_of(call.id).unwrap_or_default(),
            events,
            call.sync_validation,
            &call.outcome,
            &before,
        );
    }
    (!session.steps.is_empty()).then_some(session)
}
