//! One stateless segmentation, start to finish, without HTTP: check the body, validate events,
//! run the engine, and write the new state — passing through byte for byte what the workspace
//! does not own.

use serde_json::Value;
use serde_json::value::RawValue;

use super::contract::{CheckedRequest, check_request, schema_violations};
use super::failure::Failure;
use super::workspace::Workspace;
use crate::api::cohort_order;
use crate::engine;

/// A 200 answer's content, plus what the emulator noticed on the way.
#[derive(Debug)]
pub struct Segmentation {
    /// The response body `{user_id, state}`.
    pub body: String,
    pub entered: Vec<String>,
    pub exited: Vec<String>,
    /// Schema violations found while synchronous validation was off (only logged).
    pub late_violations: Vec<String>,
    /// Engine notes (e.g. a malformed cohort state discarded).
    pub warnings: Vec<String>,
}

/// What to do with the events' schema violations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validation {
    /// Synchronous validation: any violation answers 400.
    Reject,
    /// Validation off, but the violations are wanted (e.g. to log them): they come back in
    /// [`Segmentation::late_violations`].
    Report,
    /// Validation off and nobody looks: events are not checked against the schemas at all.
    Skip,
}

impl Validation {
    /// Synchronous validation on or off; when off, `report` says whether the violations are
    /// still wanted.
    pub fn new(synchronous: bool, report: bool) -> Validation {
        match (synchronous, report) {
            (true, _) => Validation::Reject,
            (false, true) => Validation::Report,
            (false, false) => Validation::Skip,
        }
    }
}

/// Runs the endpoint's logic on a request body.
pub fn segment(
    workspace: &Workspace,
    body: &[u8],
    validation: Validation,
) -> Result<Segmentation, Failure> {
    let request = check_request(body)?;
    let violations = match validation {
        Validation::Skip => Vec::new(),
        Validation::Reject | Validation::Report => schema_violations(workspace, &request.events),
    };
    if validation == Validation::Reject && !violations.is_empty() {
        let mut message = format!(
            "Schema validation failed with {} violation(s):",
            violations.len()
        );
        for line in &violations {
            message.push('\n');
            message.push_str(line);
        }
        return Err(Failure::bad_body(message)
            .with_cause("The events do not match the workspace's event schemas."));
    }
    let outcome = workspace.cohorts.segment_with(
        engine::SegmentInput {
            events: &request.events,
            internal: engine::StateEntries::Slices(&request.state.internal.0),
            external: engine::StateEntries::Slices(&request.state.external_entries.0),
            cohorts: &request.state.cohorts,
        },
        now(workspace),
    );
    // The answer is about as long as the state that came in.
    let mut out = String::with_capacity(body.len() + 256);
    out.push_str("{\"user_id\":");
    push_json_string(&mut out, &request.user_id);
    out.push_str(",\"state\":");
    write_state(&mut out, workspace, &request, &outcome);
    out.push('}');
    Ok(Segmentation {
        body: out,
        entered: outcome.entered,
        exited: outcome.exited,
        late_violations: violations,
        warnings: outcome.warnings,
    })
}

/// The load-test baseline: parse the body as the endpoint must, and write back the state it
/// carried (or an empty one) — the unavoidable work of any implementation, and nothing else.
pub fn echo(body: &[u8]) -> Result<String, Failure> {
    #[derive(serde::Deserialize)]
    struct Body<'a> {
        #[serde(default, borrow)]
        user_id: Option<&'a RawValue>,
        #[serde(default, borrow)]
        state: Option<&'a RawValue>,
        #[serde(default, borrow)]
        #[allow(dead_code)]
        events: Option<Vec<&'a RawValue>>,
    }
    let parsed: Body<'_> = serde_json::from_slice(body)
        .map_err(|e| Failure::bad_body(format!("the request body is not valid JSON: {e}")))?;
    let state = parsed.state.map_or(EMPTY_STATE, RawValue::get);
    let user_id = parsed.user_id.map_or("null", RawValue::get);
    Ok(format!("{{\"user_id\":{user_id},\"state\":{state}}}"))
}

const EMPTY_STATE: &str = r#"{"internal_state":{},"external_state":{},"cohorts":[]}"#;

/// The engine's decision tree for a request body (the `/_segscope/explain` endpoint).
pub fn explain(workspace: &Workspace, body: &[u8]) -> Result<Value, Failure> {
    let request = check_request(body)?;
    let explanation = serde_json::to_value(workspace.cohorts.explanation_with(
        engine::SegmentInput {
            events: &request.events,
            internal: engine::StateEntries::Slices(&request.state.internal.0),
            external: engine::StateEntries::Slices(&request.state.external_entries.0),
            cohorts: &request.state.cohorts,
        },
        now(workspace),
    ))
    .unwrap_or(Value::Null);
    // An `engine::Explanation` object, plus whom it is about.
    let mut answer = serde_json::Map::new();
    answer.insert("user_id".into(), Value::String(request.user_id.clone()));
    if let Value::Object(fields) = explanation {
        answer.extend(fields);
    }
    Ok(Value::Object(answer))
}

/// The request's clock: the machine's, read here (the engine does no IO), or event time.
fn now(workspace: &Workspace) -> engine::Now {
    match workspace.clock {
        engine::Clock::Wall => engine::Now::Wall(jiff::Timestamp::now()),
        engine::Clock::Event => engine::Now::EventTime,
    }
}

/// Writes the response state: unknown cohorts' entries raw, workspace cohorts' entries from the
/// engine, external state as it came, cohorts sorted and unique.
fn write_state(
    out: &mut String,
    workspace: &Workspace,
    request: &CheckedRequest<'_>,
    outcome: &engine::Segmented,
) {
    let mut internal: Vec<(&str, &str)> = request
        .state
        .internal
        .0
        .iter()
        // Entries the engine does not own, disabled cohorts' included, go back byte for byte.
        .filter(|(code, _)| !workspace.cohorts.evaluates(code))
        .map(|(code, raw)| (code.as_ref(), *raw))
        .chain(
            outcome
                .internal
                .iter()
                .map(|(code, entry)| (code.as_str(), entry.get())),
        )
        .collect();
    internal.sort_by(|a, b| cohort_order(a.0, b.0));

    let mut cohorts: Vec<&str> = request
        .state
        .cohorts
        .iter()
        .map(String::as_str)
        .filter(|code| !workspace.cohorts.defines(code))
        .chain(outcome.members.iter().map(String::as_str))
        .collect();
    cohorts.sort_by(|a, b| cohort_order(a, b));
    cohorts.dedup();

    out.push_str("{\"internal_state\":{");
    for (i, (code, entry)) in internal.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_json_string(out, code);
        out.push(':');
        out.push_str(entry);
    }
    out.push_str("},\"external_state\":");
    match &request.state.external {
        Some(raw) => out.push_str(raw),
        None => out.push_str("{}"),
    }
    out.push_str(",\"cohorts\":[");
    for (i, code) in cohorts.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_json_string(out, code);
    }
    out.push(']');
    for (name, raw) in &request.state.other_fields {
        out.push(',');
        push_json_string(out, name);
        out.push(':');
        out.push_str(raw);
    }
    out.push('}');
}

/// Appends `s` as a JSON string, escaped exactly as serde_json escapes it.
fn push_json_string(out: &mut String, s: &str) {
    if s.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
        out.push_str(&Value::String(s.to_string()).to_string());
    } else {
        out.push('"');
        out.push_str(s);
        out.push('"');
    }
}
