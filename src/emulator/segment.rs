//! One stateless segmentation, start to finish, without HTTP: check the body, validate events,
//! run the engine, and write the new state — passing through byte for byte what the workspace
//! does not own.

use std::collections::BTreeMap;

use serde_json::Value;
use serde_json::value::RawValue;

use std::borrow::Cow;

use super::body::RawEntries;
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

/// Runs the endpoint's logic on a request body.
pub fn segment(
    workspace: &Workspace,
    body: &[u8],
    sync_validation: bool,
) -> Result<Segmentation, Failure> {
    let request = check_request(body)?;
    let violations = schema_violations(workspace, &request.events);
    if sync_validation && !violations.is_empty() {
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
    let (internal, external) = engine_views(workspace, &request);
    let outcome = workspace.cohorts.segment(engine::SegmentInput {
        events: &request.events,
        internal: &internal,
        external: &external,
        cohorts: &request.state.cohorts,
    });
    let state = write_state(workspace, &request, &outcome);
    let body = format!(
        "{{\"user_id\":{},\"state\":{state}}}",
        Value::String(request.user_id.clone())
    );
    Ok(Segmentation {
        body,
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
    let (internal, external) = engine_views(workspace, &request);
    let tree = workspace.cohorts.explain(engine::SegmentInput {
        events: &request.events,
        internal: &internal,
        external: &external,
        cohorts: &request.state.cohorts,
    });
    Ok(serde_json::json!({ "user_id": request.user_id, "cohorts": tree }))
}

type StateMap = BTreeMap<String, Value>;

/// What the engine reads: the internal entries of workspace cohorts and the external entries,
/// parsed. Other internal entries are never parsed: they go back as the bytes they came as.
fn engine_views(workspace: &Workspace, request: &CheckedRequest<'_>) -> (StateMap, StateMap) {
    let parse = |raw: &RawValue| serde_json::from_str::<Value>(raw.get()).unwrap_or(Value::Null);
    let internal = request
        .state
        .internal
        .0
        .iter()
        .filter(|(code, _)| workspace.cohorts.defines(code))
        .map(|(code, raw)| (code.to_string(), parse(raw)))
        .collect();
    // Already checked to be an object when the body was read.
    let external = request
        .state
        .external
        .and_then(|raw| RawEntries::parse(raw, "state.external_state").ok())
        .map(|entries| {
            entries
                .0
                .iter()
                .map(|(code, raw)| (code.to_string(), parse(raw)))
                .collect()
        })
        .unwrap_or_default();
    (internal, external)
}

/// The response state: unknown cohorts' entries raw, workspace cohorts' entries from the engine,
/// external state as it came, cohorts sorted and unique.
fn write_state(
    workspace: &Workspace,
    request: &CheckedRequest<'_>,
    outcome: &engine::Segmented,
) -> String {
    let mut internal: Vec<(&str, Cow<'_, str>)> = request
        .state
        .internal
        .0
        .iter()
        .filter(|(code, _)| !workspace.cohorts.defines(code))
        .map(|(code, raw)| (code.as_ref(), Cow::Borrowed(raw.get())))
        .chain(
            outcome
                .internal
                .iter()
                .map(|(code, value)| (code.as_str(), Cow::Owned(value.to_string()))),
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

    let mut out = String::with_capacity(256);
    out.push_str("{\"internal_state\":{");
    for (i, (code, entry)) in internal.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&Value::String((*code).to_string()).to_string());
        out.push(':');
        out.push_str(entry.as_ref());
    }
    out.push_str("},\"external_state\":");
    match &request.state.external {
        Some(raw) => out.push_str(raw.get()),
        None => out.push_str("{}"),
    }
    out.push_str(",\"cohorts\":");
    out.push_str(&serde_json::to_string(&cohorts).unwrap_or_else(|_| "[]".into()));
    for (name, raw) in &request.state.other_fields {
        out.push(',');
        out.push_str(&Value::String(name.to_string()).to_string());
        out.push(':');
        out.push_str(raw.get());
    }
    out.push('}');
    out
}
