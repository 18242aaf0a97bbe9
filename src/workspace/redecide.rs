//! Re-deciding a history of calls under other cohort definitions: "I changed this cohort —
//! which of the calls I already made would now decide differently?"
//!
//! Each call is run again, in process, through the emulator's own segmentation (the same body
//! checks, schema validation and engine as `POST /ccs/v1/segmentation/stateless`), against the
//! new workspace. A call that continued the previous call of the same identity — the state it
//! sent is, byte for byte, the state that call got back — continues the *re-decided* previous
//! call instead, so a change early in a session carries through the rest of it. A call that
//! started from any other state (a new user, a state pasted or edited by hand) starts from
//! exactly that state again.
//!
//! Nothing here is HTTP or terminal: the console (and anything else) hands in calls and gets
//! back, per call, the recorded and the new outcome.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::value::RawValue;

use crate::api::{Identity, OpaqueState, SegmentationRequest, SegmentationResponse};
use crate::emulator::Workspace;
use crate::emulator::segment::{self, Validation};
use crate::session::Recording;
use crate::session::file::RecordedState;
use crate::session::replay::{cohorts_of, difference};

/// One call of a history: what was sent, and what it came to when it was made.
#[derive(Debug, Clone)]
pub struct PastCall {
    pub identity: Identity,
    /// The events sent: a JSON array, as sent.
    pub events: Box<RawValue>,
    /// The state sent (none for a new user).
    pub state: Option<OpaqueState>,
    pub synchronous_validation: bool,
    /// What came back (its `state` is what lets the next call be recognised as continuing it).
    pub recorded: Recording,
}

/// One call, decided again.
#[derive(Debug, Clone, PartialEq)]
pub struct Redecision {
    pub index: usize,
    /// As recorded.
    pub before: Recording,
    /// Under the new workspace.
    pub after: Recording,
    /// The call started from the re-decided state of the previous call of its identity.
    pub continued: bool,
}

impl Redecision {
    /// The outcome changed: status, error code, cohorts, entered or left (the state's bytes
    /// alone do not count: a new query checksum changes them without changing any decision).
    pub fn changed(&self) -> bool {
        let (a, b) = (&self.before, &self.after);
        a.status != b.status
            || a.error_code != b.error_code
            || a.cohorts != b.cohorts
            || a.entered != b.entered
            || a.left != b.left
    }

    /// One line: what changed, e.g. `cohorts +1001; entered +1001; left -1008`.
    pub fn summary(&self) -> String {
        let (a, b) = (&self.before, &self.after);
        let mut parts = Vec::new();
        if a.status != b.status || a.error_code != b.error_code {
            parts.push(format!(
                "status {}{} → {}{}",
                a.status,
                code(a.error_code),
                b.status,
                code(b.error_code)
            ));
        }
        for (what, old, new) in [
            ("cohorts", &a.cohorts, &b.cohorts),
            ("entered", &a.entered, &b.entered),
            ("left", &a.left, &b.left),
        ] {
            if old != new {
                let mut part = what.to_string();
                for c in difference(new, old) {
                    part.push_str(&format!(" +{c}"));
                }
                for c in difference(old, new) {
                    part.push_str(&format!(" -{c}"));
                }
                parts.push(part);
            }
        }
        if parts.is_empty() {
            "unchanged".into()
        } else {
            parts.join("; ")
        }
    }
}

fn code(code: Option<i64>) -> String {
    code.map_or(String::new(), |c| format!(" (code {c})"))
}

/// Decides every call of `history` again under `workspace`, in order.
pub fn redecide(history: &[PastCall], workspace: &Workspace) -> Vec<Redecision> {
    // Per identity: the recorded state of its last call, and that call's re-decided state.
    let mut last: HashMap<String, (Option<RecordedState>, Option<OpaqueState>)> = HashMap::new();
    history
        .iter()
        .enumerate()
        .map(|(index, call)| {
            let who = serde_json::to_string(&call.identity).unwrap_or_default();
            let continued_from = last.get(&who).and_then(|(recorded, redecided)| {
                let recorded = recorded.as_ref()?;
                let sent = call.state.as_ref()?.as_str();
                let same = match recorded.whole() {
                    Some(raw) => raw.get() == sent,
                    None => RecordedState::digest_of(sent) == recorded.digest(),
                };
                same.then(|| redecided.clone())
            });
            let continued = continued_from.is_some();
            let state = continued_from.unwrap_or_else(|| call.state.clone());
            let after = decide(workspace, call, state.clone());
            let next_state = match after.state.as_ref().and_then(RecordedState::whole) {
                Some(raw) => OpaqueState::from_json(raw.get()).ok(),
                // A failed call changes no state: the next call continues from the same one.
                None => state,
            };
            last.insert(who, (call.recorded.state.clone(), next_state));
            Redecision {
                index,
                before: call.recorded.clone(),
                after,
                continued,
            }
        })
        .collect()
}

/// One call through the emulator's segmentation, as a [`Recording`].
pub fn decide(workspace: &Workspace, call: &PastCall, state: Option<OpaqueState>) -> Recording {
    let before = cohorts_of(state.as_ref());
    let request = SegmentationRequest {
        identity: call.identity.clone(),
        events: call.events.clone(),
        state,
    };
    let body = request.to_body();
    let validation = Validation::new(call.synchronous_validation, false);
    match segment::segment(workspace, body.as_bytes(), validation) {
        Ok(segmentation) => {
            let text: Arc<str> = Arc::from(segmentation.body);
            match SegmentationResponse::parse(&text) {
                Ok(response) => {
                    let after = cohorts_of(Some(&response.state));
                    Recording {
                        status: 200,
                        entered: difference(&after, &before),
                        left: difference(&before, &after),
                        cohorts: after,
                        error_code: None,
                        state: Some(RecordedState::Whole(response.state.to_raw())),
                    }
                }
                // The emulator wrote a body its own client cannot read: say so as a failure.
                Err(_) => failure(before, 500, 5000),
            }
        }
        Err(f) => failure(before, f.status, f.code),
    }
}

fn failure(cohorts: Vec<String>, status: u16, code: i64) -> Recording {
    Recording {
        status,
        cohorts,
        entered: Vec::new(),
        left: Vec::new(),
        error_code: Some(code),
        state: None,
    }
}
