//! Replaying a session against a target: send each step's events with the state threaded from
//! the live responses, and compare what comes back with the recording.

use serde_json::Value;
use serde_json::value::RawValue;

use super::file::{Recording, Session};
use crate::api::{CallOutcome, Client, OpaqueState, SegmentationRequest, StateView, cohort_order};

/// How to replay.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReplayOptions {
    /// Also compare the response state byte for byte.
    pub strict_state: bool,
    /// Shift event times so that the session's last event is at this instant.
    pub retime_to: Option<jiff::Timestamp>,
}

/// What became of one step.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Passed,
    /// The target answered, but not as recorded: one line per difference.
    Mismatch(Vec<String>),
    /// The step has no recording yet (`--update` records it).
    Unrecorded,
    /// The target could not be used (no answer, a 5xx that was not recorded): not a mismatch.
    TargetError(String),
}

#[derive(Debug, Clone)]
pub struct StepResult {
    pub index: usize,
    pub note: String,
    pub verdict: Verdict,
    /// What came back (absent when the target did not answer).
    pub actual: Option<Recording>,
}

/// The cohorts of a state (sorted as the API sorts them), or none for no state.
pub fn cohorts_of(state: Option<&OpaqueState>) -> Vec<String> {
    let mut cohorts = state
        .and_then(|s| s.view().ok())
        .map(|v: StateView| v.cohorts)
        .unwrap_or_default();
    cohorts.sort_by(|a, b| cohort_order(a, b));
    cohorts.dedup();
    cohorts
}

impl Recording {
    /// What a call came to, given the cohorts the user was in before it. `None` for a call
    /// that got no HTTP answer.
    pub fn from_outcome(outcome: &CallOutcome, before: &[String]) -> Option<Recording> {
        match outcome {
            CallOutcome::Success {
                status, response, ..
            } => {
                let after = cohorts_of(Some(&response.state));
                Some(Recording {
                    status: *status,
                    entered: difference(&after, before),
                    left: difference(before, &after),
                    cohorts: after,
                    error_code: None,
                    state: Some(response.state.to_raw()),
                })
            }
            CallOutcome::ApiError {
                status, envelope, ..
            } => Some(Recording {
                status: *status,
                cohorts: before.to_vec(),
                entered: Vec::new(),
                left: Vec::new(),
                error_code: envelope.as_ref().map(|e| e.error.code),
                state: None,
            }),
            CallOutcome::Transport { .. } => None,
        }
    }
}

/// Items of `a` not in `b`, in `a`'s order.
pub fn difference(a: &[String], b: &[String]) -> Vec<String> {
    a.iter().filter(|x| !b.contains(x)).cloned().collect()
}

/// Replays every step in order. Stops at the first target error (the state thread is broken).
pub async fn replay(client: &Client, session: &Session, options: ReplayOptions) -> Vec<StepResult> {
    let identity = match session.identity.to_identity() {
        Ok(identity) => identity,
        Err(e) => {
            return vec![StepResult {
                index: 0,
                note: String::new(),
                verdict: Verdict::TargetError(e),
                actual: None,
            }];
        }
    };
    let shift = options
        .retime_to
        .and_then(|to| last_event_time(session).map(|last| to.duration_since(last)));
    let mut state = session.initial_opaque_state();
    let mut results = Vec::with_capacity(session.steps.len());
    for (index, step) in session.steps.iter().enumerate() {
        let events = match shift {
            Some(by) => retimed(&step.events, by),
            None => step.events.clone(),
        };
        let events = RawValue::from_string(events.to_string())
            .unwrap_or_else(|_| RawValue::from_string("[]".into()).expect("literal JSON"));
        let request = SegmentationRequest {
            identity: identity.clone(),
            events,
            state: state.clone(),
        };
        let before = cohorts_of(state.as_ref());
        let outcome = client.segment(&request, step.synchronous_validation).await;
        let actual = Recording::from_outcome(&outcome, &before);
        let verdict = judge(step.expect.as_ref(), actual.as_ref(), &outcome, options);
        if let CallOutcome::Success { response, .. } = &outcome {
            state = Some(response.state.clone());
        }
        let stop = matches!(verdict, Verdict::TargetError(_));
        results.push(StepResult {
            index,
            note: step.note.clone(),
            verdict,
            actual,
        });
        if stop {
            break;
        }
    }
    results
}

/// Compares what came back with the recording, as `segscope replay` does: a pass, the list of
/// differences, no recording yet, or a target error (no answer, an unrecorded 5xx). Also used by
/// the console's step-by-step replay.
pub fn judge(
    expected: Option<&Recording>,
    actual: Option<&Recording>,
    outcome: &CallOutcome,
    options: ReplayOptions,
) -> Verdict {
    let Some(actual) = actual else {
        return Verdict::TargetError(outcome.summary());
    };
    let recorded_status = expected.map(|e| e.status);
    if actual.status >= 500 && recorded_status.is_none_or(|s| s < 500) {
        return Verdict::TargetError(format!("the target failed: {}", outcome.summary()));
    }
    let Some(expected) = expected else {
        return Verdict::Unrecorded;
    };
    let mut diffs = Vec::new();
    if expected.status != actual.status {
        let detail = match outcome {
            CallOutcome::ApiError { .. } => format!(" ({})", outcome.summary()),
            _ => String::new(),
        };
        diffs.push(format!(
            "status: expected {}, got {}{detail}",
            expected.status, actual.status
        ));
    }
    if expected.error_code != actual.error_code {
        diffs.push(format!(
            "error code: expected {}, got {}",
            show_code(expected.error_code),
            show_code(actual.error_code)
        ));
    }
    compare_list("cohorts", &expected.cohorts, &actual.cohorts, &mut diffs);
    compare_list("entered", &expected.entered, &actual.entered, &mut diffs);
    compare_list("left", &expected.left, &actual.left, &mut diffs);
    if options.strict_state {
        let e = expected.state.as_ref().map(|s| s.get());
        let a = actual.state.as_ref().map(|s| s.get());
        if e != a {
            diffs.push(format!(
                "state: the response state differs from the recording byte for byte (recorded {} bytes, got {} bytes)",
                e.map_or(0, str::len),
                a.map_or(0, str::len)
            ));
        }
    }
    if diffs.is_empty() {
        Verdict::Passed
    } else {
        Verdict::Mismatch(diffs)
    }
}

fn show_code(code: Option<i64>) -> String {
    code.map_or_else(|| "none".into(), |c| c.to_string())
}

fn compare_list(what: &str, expected: &[String], actual: &[String], diffs: &mut Vec<String>) {
    if expected == actual {
        return;
    }
    let mut line = format!(
        "{what}: expected [{}], got [{}]",
        expected.join(", "),
        actual.join(", ")
    );
    let missing = difference(expected, actual);
    let extra = difference(actual, expected);
    if !missing.is_empty() {
        line.push_str(&format!("; missing {}", missing.join(", ")));
    }
    if !extra.is_empty() {
        line.push_str(&format!("; unexpected {}", extra.join(", ")));
    }
    diffs.push(line);
}

/// The latest event time in the session.
pub fn last_event_time(session: &Session) -> Option<jiff::Timestamp> {
    session
        .steps
        .iter()
        .filter_map(|s| s.events.as_array())
        .flatten()
        .filter_map(|e| e.get("time")?.as_str()?.parse::<jiff::Timestamp>().ok())
        .max()
}

/// The events with every parseable `time` moved by `by` (others left as they are).
pub fn retimed(events: &Value, by: jiff::SignedDuration) -> Value {
    let mut events = events.clone();
    if let Some(list) = events.as_array_mut() {
        for event in list {
            let Some(time) = event.get("time").and_then(Value::as_str) else {
                continue;
            };
            if let Ok(t) = time.parse::<jiff::Timestamp>()
                && let Ok(moved) = t.checked_add(by)
            {
                event["time"] = Value::String(moved.to_string());
            }
        }
    }
    events
}
