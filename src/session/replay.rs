//! Replaying a session against a target: send each step's events with the state threaded from
//! the live responses, and compare what comes back with the recording.

use serde_json::value::RawValue;

use super::file::{RecordedState, Recording, Session, Step};
use crate::api::{CallOutcome, Client, Identity, OpaqueState, SegmentationRequest, cohort_order};

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
    /// The target could not be used (no answer, a refused key, a wrong URL, 408/429, a 5xx — unless
    /// the recording expects that status): not a mismatch, and `--update` writes nothing.
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

/// The cohorts of a state (sorted as the API sorts them), or none for no state. Reads only
/// `cohorts`: the rest of a state (which may hold 100,000 entries) is skipped, not parsed.
pub fn cohorts_of(state: Option<&OpaqueState>) -> Vec<String> {
    let listed = state
        .and_then(|s| crate::api::state::listed_cohorts(s.as_str()).ok())
        .flatten()
        .unwrap_or_default();
    sorted_cohorts(listed)
}

/// Sorts cohort codes by [`cohort_order`] and drops repeats. Each code is read as a number once
/// (not once per comparison).
pub fn sorted_cohorts(codes: Vec<String>) -> Vec<String> {
    let mut keyed: Vec<(bool, u128, String)> = codes
        .into_iter()
        .map(|code| match code.parse::<u128>() {
            Ok(n) => (false, n, code),
            Err(_) => (true, 0, code),
        })
        .collect();
    // (numeric first, by value, then by text), as `cohort_order` orders them.
    keyed.sort_unstable();
    keyed.dedup_by(|a, b| a.2 == b.2);
    keyed.into_iter().map(|(_, _, code)| code).collect()
}

/// Entered and left between two memberships: `(after − before, before − after)`.
pub fn entered_and_left(before: &[String], after: &[String]) -> (Vec<String>, Vec<String>) {
    (difference(after, before), difference(before, after))
}

impl Recording {
    /// What a call came to, given the cohorts the user was in before it. `None` for a call
    /// that got no HTTP answer.
    pub fn from_outcome(outcome: &CallOutcome, before: &[String]) -> Option<Recording> {
        Recording::from_outcome_digesting(outcome, before, true)
    }

    /// As [`Recording::from_outcome`]; without `digest`, the response state is not hashed (a
    /// replay that neither records nor compares states byte for byte never reads the digest).
    pub fn from_outcome_digesting(
        outcome: &CallOutcome,
        before: &[String],
        digest: bool,
    ) -> Option<Recording> {
        match outcome {
            CallOutcome::Success {
                status, response, ..
            } => {
                let after = sorted_cohorts(response.listed_cohorts.clone());
                let (entered, left) = entered_and_left(before, &after);
                Some(Recording {
                    status: *status,
                    entered,
                    left,
                    cohorts: after,
                    error_code: None,
                    state: digest.then(|| {
                        RecordedState::Digest(RecordedState::digest_of(response.state.as_str()))
                    }),
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

/// Items of `a` not in `b`, in `a`'s order, in linear time: a merge when both are sorted by
/// [`cohort_order`] (as every list this crate makes is), a hash lookup otherwise (a hand-edited
/// recording). Never a scan of `b` per item: with 100,000 cohorts that took minutes.
pub fn difference(a: &[String], b: &[String]) -> Vec<String> {
    let sorted = |list: &[String]| list.is_sorted_by(|x, y| cohort_order(x, y).is_le());
    if sorted(a) && sorted(b) {
        let mut out = Vec::new();
        let mut rest = b.iter().peekable();
        for x in a {
            while rest
                .next_if(|y| cohort_order(y, x) == std::cmp::Ordering::Less)
                .is_some()
            {}
            if rest.peek().is_none_or(|y| *y != x) {
                out.push(x.clone());
            }
        }
        out
    } else {
        let b: std::collections::HashSet<&str> = b.iter().map(String::as_str).collect();
        a.iter()
            .filter(|x| !b.contains(x.as_str()))
            .cloned()
            .collect()
    }
}

/// Replays every step in order. Stops at the first target error (the state thread is broken).
/// Every step's recording is complete (state digests included), as `--update` writes them.
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
    let mut replayer = Replayer::new(identity, session.initial_opaque_state(), shift, options);
    replayer.digests = true;
    let mut results = Vec::with_capacity(session.steps.len());
    for (index, step) in session.steps.iter().enumerate() {
        let result = replayer.step(client, index, step).await;
        let stop = matches!(result.verdict, Verdict::TargetError(_));
        results.push(result);
        if stop {
            break;
        }
    }
    results
}

/// One replay in progress: the state threaded from response to request, and the cohorts it
/// lists. Holds one state, whatever the length of the session.
pub struct Replayer {
    identity: Identity,
    shift: Option<jiff::SignedDuration>,
    options: ReplayOptions,
    state: Option<OpaqueState>,
    /// The cohorts of `state`: read once per state (a step's "after" is the next one's "before").
    before: Vec<String>,
    /// Digest every response state (for `--update` and `--strict-state`); otherwise only the
    /// steps that keep their state are digested: the report never shows one.
    pub digests: bool,
}

impl Replayer {
    /// `shift` moves every event time (`--retime`).
    pub fn new(
        identity: Identity,
        initial_state: Option<OpaqueState>,
        shift: Option<jiff::SignedDuration>,
        options: ReplayOptions,
    ) -> Replayer {
        Replayer {
            before: cohorts_of(initial_state.as_ref()),
            identity,
            shift,
            digests: options.strict_state,
            options,
            state: initial_state,
        }
    }

    /// Sends `step` with the current state, judges the answer, and threads the new state on.
    pub async fn step(&mut self, client: &Client, index: usize, step: &Step) -> StepResult {
        let events = match self.shift {
            Some(by) => retimed(&step.events, by),
            None => step.events.clone(),
        };
        let request = SegmentationRequest {
            identity: self.identity.clone(),
            events,
            state: self.state.take(),
        };
        let outcome = client.segment(&request, step.synchronous_validation).await;
        // The request (and the state it carried) is done with.
        let sent_state = request.state;
        let digest = self.digests || step.keep_state;
        let mut actual = Recording::from_outcome_digesting(&outcome, &self.before, digest);
        if step.keep_state
            && let (Some(actual), CallOutcome::Success { response, .. }) = (&mut actual, &outcome)
        {
            actual.state = Some(RecordedState::Whole(response.state.to_raw()));
        }
        let verdict = judge(
            step.expect.as_ref(),
            actual.as_ref(),
            &outcome,
            self.options,
        );
        match (outcome, &actual) {
            (CallOutcome::Success { response, .. }, Some(actual)) => {
                self.state = Some(response.state);
                self.before.clone_from(&actual.cohorts);
            }
            // No new state: the next step sends this one again.
            _ => self.state = sent_state,
        }
        StepResult {
            index,
            note: step.note.clone(),
            verdict,
            actual,
        }
    }
}

/// Compares what came back with the recording, as `segscope replay` does: a pass, the list of
/// differences, no recording yet, or a target error (no answer, or an unrecorded 401, 403, 404,
/// 405, 408, 429 or 5xx). Also used by
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
    if recorded_status != Some(actual.status)
        && let Some(why) = target_failure(actual.status)
    {
        return Verdict::TargetError(format!("{why}: {}", outcome.summary()));
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
        let e = expected.state.as_ref().map(RecordedState::digest);
        let a = actual.state.as_ref().map(RecordedState::digest);
        if e != a {
            let show = |d: Option<&String>| {
                d.map_or("no state".to_string(), |d| d.chars().take(19).collect())
            };
            diffs.push(format!(
                "state: the response state differs from the recording byte for byte (recorded {}…, got {}…)",
                show(e.as_ref()),
                show(a.as_ref())
            ));
        }
    }
    if diffs.is_empty() {
        Verdict::Passed
    } else {
        Verdict::Mismatch(diffs)
    }
}

/// Statuses that say the target cannot be used as it is (a refused key, a wrong URL, a busy or
/// broken server), not that the session behaves differently: recording them as the truth would
/// overwrite a good session with a broken target's answers.
fn target_failure(status: u16) -> Option<&'static str> {
    match status {
        401 | 403 => Some("the target refused the key"),
        404 | 405 => Some("the target has no segmentation endpoint there (check --base-url)"),
        408 | 429 => Some("the target is too busy to answer"),
        500.. => Some("the target failed"),
        _ => None,
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
        .filter_map(|s| latest_time(&s.events))
        .max()
}

/// The latest readable event time of one step's events.
pub(crate) fn latest_time(events: &RawValue) -> Option<jiff::Timestamp> {
    event_times(events)
        .into_iter()
        .filter_map(|(_, time)| time)
        .max()
}

/// Each event's raw `time` value and what it reads as (events that are not objects, or have no
/// readable `time`, are skipped or read as `None`).
fn event_times(events: &RawValue) -> Vec<(&RawValue, Option<jiff::Timestamp>)> {
    #[derive(serde::Deserialize)]
    struct TimeOf<'a> {
        #[serde(borrow, default)]
        time: Option<&'a RawValue>,
    }
    let Ok(raw_events) = serde_json::from_str::<Vec<&RawValue>>(events.get()) else {
        return Vec::new();
    };
    raw_events
        .into_iter()
        .filter_map(|event| serde_json::from_str::<TimeOf<'_>>(event.get()).ok()?.time)
        .map(|raw| {
            let time = serde_json::from_str::<String>(raw.get())
                .ok()
                .and_then(|t| t.parse::<jiff::Timestamp>().ok());
            (raw, time)
        })
        .collect()
}

/// The events with every parseable `time` moved by `by`. Only those strings change: every other
/// byte (numbers, spacing, key order) stays as written.
pub fn retimed(events: &RawValue, by: jiff::SignedDuration) -> Box<RawValue> {
    let text = events.get();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for (raw, time) in event_times(events) {
        let Some(moved) = time.and_then(|t| t.checked_add(by).ok()) else {
            continue;
        };
        // `raw` is a slice of `text` (borrowed by the parse): splice the new value in its place.
        let start = raw.get().as_ptr() as usize - text.as_ptr() as usize;
        out.push_str(&text[copied..start]);
        out.push_str(&serde_json::Value::String(moved.to_string()).to_string());
        copied = start + raw.get().len();
    }
    out.push_str(&text[copied..]);
    RawValue::from_string(out).unwrap_or_else(|_| events.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn naive(a: &[String], b: &[String]) -> Vec<String> {
        a.iter().filter(|x| !b.contains(x)).cloned().collect()
    }

    fn codes() -> impl Strategy<Value = Vec<String>> {
        prop::collection::vec(
            prop_oneof![
                (0u32..40).prop_map(|n| n.to_string()),
                "[a-c0]{1,3}",
                Just("007".to_string()),
                Just("7".to_string()),
            ],
            0..30,
        )
    }

    proptest! {
        #[test]
        fn the_merge_agrees_with_the_definition(a in codes(), b in codes()) {
            // Sorted (the merge) and as given (the hash lookup).
            let (sa, sb) = (sorted_cohorts(a.clone()), sorted_cohorts(b.clone()));
            prop_assert_eq!(difference(&sa, &sb), naive(&sa, &sb));
            prop_assert_eq!(difference(&a, &b), naive(&a, &b));
            let mut by_order = a.clone();
            by_order.sort_by(|x, y| cohort_order(x, y));
            by_order.dedup();
            prop_assert_eq!(sa, by_order);
        }
    }

    #[test]
    fn a_hundred_thousand_unknown_cohorts_are_a_linear_delta() {
        let before: Vec<String> = (0..100_000).map(|i| (500_000 + i).to_string()).collect();
        let mut after = before.clone();
        after.retain(|c| !c.ends_with("00"));
        after.push("1001".into());
        let after = sorted_cohorts(after);
        let (entered, left) = entered_and_left(&before, &after);
        assert_eq!(entered, vec!["1001".to_string()]);
        assert_eq!(left.len(), 1000);
    }
}
