//! One call of the history: what was sent, what came back, and what it did to the user's
//! cohorts and state. Plain data: what the detail pane draws of it (the diff, the request and
//! response text) is rendered off the UI task into the view's cache (`detail.rs`).

use crate::api::{CallOutcome, Identity, OpaqueState, SegmentationRequest};
use crate::session::replay::{cohorts_of, entered_and_left};

/// How the editor showed the events a call sent: the one thing the sent bytes do not say.
///
/// The request's `events` are the call's only copy of its events (sent byte for byte); the
/// editor's text is derived from them ([`Call::events_text`]): F5 sends the editor's text itself
/// (trimmed), so the text *is* the events; an F8 step sends its recording's bytes while the
/// editor shows them pretty-printed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventsLayout {
    /// Typed in the editor and sent as they were typed (F5).
    #[default]
    AsTyped,
    /// Sent as recorded, shown pretty-printed (an F8 step of a session).
    Pretty,
}

impl EventsLayout {
    /// The editor's text for events sent as `events`.
    pub fn editor_text(self, events: &str) -> String {
        match self {
            EventsLayout::AsTyped => events.to_string(),
            EventsLayout::Pretty => crate::json::pretty(events),
        }
    }
}

/// A call about to be sent: everything but its outcome.
#[derive(Debug, Clone)]
pub struct PendingCall {
    pub id: u64,
    /// How the editor showed the request's `events` (see [`Call::events_text`]).
    pub events_layout: EventsLayout,
    pub event_count: usize,
    pub sync_validation: bool,
    pub sent_at: jiff::Timestamp,
    /// What is sent: the identity, the events byte for byte, and the state as the API returned
    /// it (held here only: [`Call::identity`] and [`Call::state_before`] read it).
    pub request: SegmentationRequest,
}

/// Entered and left cohorts of a call, and the membership after it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CohortDelta {
    /// The user's cohorts after the call (before it, when the call failed).
    pub members: Vec<String>,
    pub entered: Vec<String>,
    pub left: Vec<String>,
}

impl CohortDelta {
    /// Entered and left as a replay reads them (`session::replay`): the same cohort order, the
    /// same reading of a state's `cohorts`, one version of the logic.
    pub fn between(before: Option<&OpaqueState>, after: Option<&OpaqueState>) -> CohortDelta {
        let old = cohorts_of(before);
        let members = cohorts_of(after);
        let (entered, left) = entered_and_left(&old, &members);
        CohortDelta {
            members,
            entered,
            left,
        }
    }

    /// `+1 -0`
    pub fn counts(&self) -> String {
        format!("+{} -{}", self.entered.len(), self.left.len())
    }
}

/// A finished call.
#[derive(Debug, Clone)]
pub struct Call {
    pub id: u64,
    /// How the editor showed the request's `events` (see [`Call::events_text`]).
    pub events_layout: EventsLayout,
    pub event_count: usize,
    pub sync_validation: bool,
    pub outcome: CallOutcome,
    /// The state the call returned (only on success; a failed call changes nothing).
    pub state_after: Option<OpaqueState>,
    pub sent_at: jiff::Timestamp,
    /// The request as sent (its state shared with the history, not copied): the one copy of the
    /// call's identity and of the state it sent; [`Call::request_body`] writes the exact bytes
    /// again.
    pub request: SegmentationRequest,
    pub delta: CohortDelta,
}

impl Call {
    /// Who the call was for (the request's identity).
    pub fn identity(&self) -> &Identity {
        &self.request.identity
    }

    /// The state the call sent (the request's, byte for byte), if any.
    pub fn state_before(&self) -> Option<&OpaqueState> {
        self.request.state.as_ref()
    }

    /// The events exactly as they were sent.
    pub fn events(&self) -> &str {
        self.request.events.get()
    }

    /// The editor's text for this call's events (what rewind puts back): derived from the
    /// events as sent, the call's one copy of them. For F5 it is the text that was typed, less
    /// the blank space around it (which was never sent); for an F8 step, the recording pretty.
    pub fn events_text(&self) -> String {
        self.events_layout.editor_text(self.events())
    }

    /// The request body exactly as it was sent.
    pub fn request_body(&self) -> String {
        self.request.to_body()
    }

    /// Completes a pending call with its outcome: the new state and the cohort delta. (What the
    /// detail pane draws of it is the view's: `detail.rs`, kept in `view::Cache`.)
    pub fn complete(pending: PendingCall, outcome: CallOutcome) -> Call {
        let state_after = match &outcome {
            CallOutcome::Success { response, .. } => Some(response.state.clone()),
            _ => None,
        };
        let delta = match &state_after {
            Some(after) => CohortDelta::between(pending.request.state.as_ref(), Some(after)),
            None => {
                let mut unchanged = CohortDelta::between(None, pending.request.state.as_ref());
                unchanged.entered.clear();
                unchanged
            }
        };
        Call {
            id: pending.id,
            events_layout: pending.events_layout,
            event_count: pending.event_count,
            sync_validation: pending.sync_validation,
            outcome,
            state_after,
            sent_at: pending.sent_at,
            request: pending.request,
            delta,
        }
    }

    pub fn succeeded(&self) -> bool {
        matches!(self.outcome, CallOutcome::Success { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(cohorts: &[&str]) -> OpaqueState {
        OpaqueState::from_json(&format!(
            r#"{{"internal_state":{{}},"external_state":{{}},"cohorts":{}}}"#,
            serde_json::to_string(cohorts).unwrap()
        ))
        .unwrap()
    }

    #[test]
    fn delta_between_states() {
        let d = CohortDelta::between(
            Some(&state(&["1002", "1001"])),
            Some(&state(&["1001", "1010", "1003"])),
        );
        assert_eq!(d.members, vec!["1001", "1003", "1010"]);
        assert_eq!(d.entered, vec!["1003", "1010"]);
        assert_eq!(d.left, vec!["1002"]);
        assert_eq!(d.counts(), "+2 -1");
        let first = CohortDelta::between(None, Some(&state(&["1001"])));
        assert_eq!(first.entered, vec!["1001"]);
    }

    /// The console's entered/left is a replay's: the same codes in the same order, repeats and
    /// codes that are not numbers included.
    #[test]
    fn delta_is_what_a_replay_records() {
        let before = state(&["b", "20", "3", "20"]);
        let after = state(&["a", "3", "100", "100", "b"]);
        let d = CohortDelta::between(Some(&before), Some(&after));
        assert_eq!(d.members, vec!["3", "100", "a", "b"]);
        assert_eq!(d.entered, vec!["100", "a"]);
        assert_eq!(d.left, vec!["20"]);
        let before_codes = crate::session::replay::cohorts_of(Some(&before));
        let (entered, left) = crate::session::replay::entered_and_left(
            &before_codes,
            &crate::session::replay::cohorts_of(Some(&after)),
        );
        assert_eq!((d.entered, d.left), (entered, left));
    }
}
