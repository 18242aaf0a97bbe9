//! One stateless segmentation, start to finish, without HTTP: check the body, validate events,
//! run the engine, and write the new state — passing through byte for byte what the workspace
//! does not own.

use serde_json::Value;
use serde_json::value::RawValue;

use super::contract::{
    CheckedRequest, check_request, check_request_leaving_entries, schema_violations,
};
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
    /// The `internal_state` entries the engine's reader read whole (see
    /// [`engine::Segmented::scanned_entries`]).
    pub scanned_entries: Vec<usize>,
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
    // The state is read once: the body pass only delimits the `internal_state` entries, the
    // engine's reader checks those it reads, and the rest are checked before answering. If one
    // is not JSON (or on any error), the body is read again, checked whole, so that the answer
    // is the one a body pass that checks everything gives, error wording included.
    match check_request_leaving_entries(body) {
        Ok(request) if request.state.unchecked.is_empty() => {
            return segment_request(workspace, &request, validation);
        }
        Ok(request) => {
            if let Ok(segmentation) = segment_request(workspace, &request, validation)
                && request
                    .state
                    .entries_are_json(&segmentation.scanned_entries)
            {
                return Ok(segmentation);
            }
        }
        Err(_) => {}
    }
    segment_request(workspace, &check_request(body)?, validation)
}

/// [`segment`] on a request read from `body`.
fn segment_request(
    workspace: &Workspace,
    request: &CheckedRequest<'_>,
    validation: Validation,
) -> Result<Segmentation, Failure> {
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
    let mut decision = workspace
        .cohorts
        .decide(request.engine_input(), now(workspace));
    Ok(Segmentation {
        body: write_answer(workspace, request, &decision),
        entered: decision.changed(true),
        exited: decision.changed(false),
        late_violations: violations,
        warnings: decision.take_warnings(),
        scanned_entries: decision.take_scanned_entries(),
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
    let explanation = serde_json::to_value(
        workspace
            .cohorts
            .explanation_with(request.engine_input(), now(workspace)),
    )
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

/// The response body `{user_id, state}`: the state's entries of cohorts the engine does not
/// evaluate raw, the engine's entries written by it, external state as it came, cohorts sorted
/// by [`cohort_order`] and unique. Written into one string, allocated once, at a length worked
/// out before writing (the engine's entries at their longest).
fn write_answer(
    workspace: &Workspace,
    request: &CheckedRequest<'_>,
    decision: &engine::Decision<'_>,
) -> String {
    let state = &request.state;
    // What the engine does not own (disabled cohorts' entries included) goes back byte for
    // byte, duplicates too: usually nothing. Stable sorts keep duplicates in the order given.
    let mut cursor = 0;
    let mut foreign: Vec<(&str, &str)> = state
        .internal
        .0
        .iter()
        .filter(|(code, _)| !decision.evaluates(code, &mut cursor))
        .map(|(code, raw)| (code.as_ref(), *raw))
        .collect();
    foreign.sort_by(|a, b| cohort_order(a.0, b.0));
    let mut cursor = 0;
    let mut listed: Vec<&str> = state
        .cohorts
        .iter()
        .map(String::as_str)
        .filter(|code| !decision.defines(code, &mut cursor))
        .collect();
    listed.sort_by(|a, b| cohort_order(a, b));
    listed.dedup();
    // The engine's cohorts are already in that order; theirs and the others' codes differ.
    let codes = workspace.answer_codes();
    let kept = || {
        codes
            .order
            .iter()
            .copied()
            .filter(|&i| decision.keeps_entry(i))
    };
    let members = || {
        codes
            .order
            .iter()
            .copied()
            .filter(|&i| decision.is_member(i))
    };

    let mut len = ANSWER_START.len()
        + string_len_bound(&request.user_id)
        + STATE_START.len()
        + EXTERNAL_START.len()
        + state.external.map_or(EMPTY_OBJECT.len(), str::len)
        + COHORTS_START.len()
        + COHORTS_END.len()
        + ANSWER_END.len();
    for i in kept() {
        len += codes.quoted[i].len() + 2 + decision.entry_len_bound(i);
    }
    for (code, raw) in &foreign {
        len += string_len_bound(code) + 2 + raw.len();
    }
    for i in members() {
        len += codes.quoted[i].len() + 1;
    }
    for code in &listed {
        len += string_len_bound(code) + 1;
    }
    for (name, raw) in &state.other_fields {
        len += 2 + string_len_bound(name) + raw.len();
    }

    let mut out = String::with_capacity(len);
    out.push_str(ANSWER_START);
    push_json_string(&mut out, &request.user_id);
    out.push_str(STATE_START);
    let mut first = true;
    let mut separate = |out: &mut String| {
        if !std::mem::take(&mut first) {
            out.push(',');
        }
    };
    let mut foreign = foreign.into_iter().peekable();
    for i in kept() {
        let code = decision.code(i);
        while let Some((other, raw)) =
            foreign.next_if(|(other, _)| cohort_order(other, code).is_lt())
        {
            separate(&mut out);
            push_json_string(&mut out, other);
            out.push(':');
            out.push_str(raw);
        }
        separate(&mut out);
        out.push_str(&codes.quoted[i]);
        out.push(':');
        decision.write_entry(i, &mut out);
    }
    for (other, raw) in foreign {
        separate(&mut out);
        push_json_string(&mut out, other);
        out.push(':');
        out.push_str(raw);
    }
    out.push_str(EXTERNAL_START);
    out.push_str(state.external.unwrap_or(EMPTY_OBJECT));
    out.push_str(COHORTS_START);
    let mut first = true;
    let mut separate = |out: &mut String| {
        if !std::mem::take(&mut first) {
            out.push(',');
        }
    };
    let mut listed = listed.into_iter().peekable();
    for i in members() {
        let code = decision.code(i);
        while let Some(other) = listed.next_if(|other| cohort_order(other, code).is_lt()) {
            separate(&mut out);
            push_json_string(&mut out, other);
        }
        separate(&mut out);
        out.push_str(&codes.quoted[i]);
    }
    for other in listed {
        separate(&mut out);
        push_json_string(&mut out, other);
    }
    out.push_str(COHORTS_END);
    for (name, raw) in &state.other_fields {
        out.push(',');
        push_json_string(&mut out, name);
        out.push(':');
        out.push_str(raw);
    }
    out.push_str(ANSWER_END);
    debug_assert!(out.len() <= len, "the answer is longer than its bound");
    out
}

const ANSWER_START: &str = "{\"user_id\":";
const STATE_START: &str = ",\"state\":{\"internal_state\":{";
const EXTERNAL_START: &str = "},\"external_state\":";
const EMPTY_OBJECT: &str = "{}";
const COHORTS_START: &str = ",\"cohorts\":[";
const COHORTS_END: &str = "]";
/// After any other fields of the state: its `}` and the body's.
const ANSWER_END: &str = "}}";

/// The longest `s` is as a JSON string (each character escaped as `\u00XX` at worst).
fn string_len_bound(s: &str) -> usize {
    2 + 6 * s.len()
}

/// Appends `s` as a JSON string, escaped exactly as serde_json escapes it.
fn push_json_string(out: &mut String, s: &str) {
    if !crate::json::is_plain_string(s) {
        out.push_str(&Value::String(s.to_string()).to_string());
    } else {
        out.push('"');
        out.push_str(s);
        out.push('"');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A body of `days` days of reading (ten Pageviews a day), the state as the emulator left it.
    fn body_after(workspace: &Workspace, days: i64) -> String {
        let categories = ["culture", "business", "football", "politics", "technology"];
        let events = |day: i64| {
            let list: Vec<Value> = (0..10)
                .map(|i| {
                    let minute = day * 1440 + i * 7;
                    let category = categories[(day + i) as usize % categories.len()];
                    serde_json::json!({
                        "name": "Pageview",
                        "time": (jiff::Timestamp::from_second(1_771_000_000).unwrap()
                            + jiff::SignedDuration::from_mins(minute))
                        .to_string(),
                        "properties": {
                            "article": {"title": format!("Story {i}"), "category": category,
                                        "tags": ["economy", "news"]},
                            "client": {"url": format!("https://news.example/{category}/{i}"),
                                       "domain": "news.example", "type": "web"},
                        },
                    })
                })
                .collect();
            Value::Array(list)
        };
        let user = "0b5e5c3e-1d7a-4f3b-8e7e-5a1e0c0ffee0";
        let mut state: Option<Value> = None;
        for day in 0..days {
            let mut body = serde_json::json!({"user_id": user, "events": events(day)});
            if let Some(s) = &state {
                body["state"] = s.clone();
            }
            let out = segment(workspace, body.to_string().as_bytes(), Validation::Skip).unwrap();
            let answer: Value = serde_json::from_str(&out.body).unwrap();
            state = Some(answer["state"].clone());
        }
        let mut state = state.unwrap();
        // An entry of a cohort the workspace does not define: passed through, never read.
        state["internal_state"]["999999"] = serde_json::json!({"x": [1, ["wp", 2, 3]]});
        serde_json::json!({"user_id": user, "events": events(days), "state": state}).to_string()
    }

    /// The answer when the whole body is read by serde, checked whole before anything else.
    fn checked(workspace: &Workspace, body: &[u8], validation: Validation) -> String {
        let read = super::super::body::BodyShape::read_with_serde;
        let answer = super::super::contract::check_request_with(body, read)
            .and_then(|request| segment_request(workspace, &request, validation));
        format!(
            "{:?}",
            answer.map(|s| (s.body, s.entered, s.exited, s.warnings))
        )
    }

    fn fast(workspace: &Workspace, body: &[u8], validation: Validation) -> String {
        let answer = segment(workspace, body, validation);
        format!(
            "{:?}",
            answer.map(|s| (s.body, s.entered, s.exited, s.warnings))
        )
    }

    /// The answer as it was written before the engine wrote entries into it: every entry and
    /// code collected, then sorted by `cohort_order`.
    fn answer_by_sorting(workspace: &Workspace, body: &[u8]) -> String {
        let request = check_request(body).unwrap();
        let outcome = workspace
            .cohorts
            .segment_with(request.engine_input(), now(workspace));
        let mut internal: Vec<(&str, &str)> = request
            .state
            .internal
            .0
            .iter()
            .filter(|(code, _)| !workspace.cohorts.evaluates(code))
            .map(|(code, raw)| (code.as_ref(), *raw))
            .chain(outcome.internal.iter().map(|(c, e)| (c.as_str(), e.get())))
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
        let string = |s: &str| Value::String(s.to_string()).to_string();
        let entries: Vec<String> = internal
            .iter()
            .map(|(code, entry)| format!("{}:{entry}", string(code)))
            .collect();
        let codes: Vec<String> = cohorts.iter().map(|c| string(c)).collect();
        let others: String = request
            .state
            .other_fields
            .iter()
            .map(|(name, raw)| format!(",{}:{raw}", string(name)))
            .collect();
        format!(
            r#"{{"user_id":{},"state":{{"internal_state":{{{}}},"external_state":{},"cohorts":[{}]{others}}}}}"#,
            string(&request.user_id),
            entries.join(","),
            request.state.external.unwrap_or("{}"),
            codes.join(","),
        )
    }

    #[test]
    fn entries_written_in_answer_order_are_the_entries_sorted() {
        // Codes whose numeric order is not their text order, a disabled cohort, and codes the
        // workspace does not define (numeric, zero-padded, text, escaped, repeated) around them.
        let demo = Workspace::demo().unwrap();
        let mut records = demo.records.clone();
        for (code, from) in [(serde_json::json!(20), 0), (serde_json::json!("news"), 2)] {
            let mut record = records[from].clone();
            record.id = None;
            record.code = serde_json::from_value(code).unwrap();
            records.push(record);
        }
        records[3].state = Some("Disabled".into());
        let workspace = demo.with_records(records).unwrap();
        let body = body_after(&workspace, 4);
        assert!(
            body.contains(r#""20":{"#) && body.contains(r#""news":{"#),
            "{body}"
        );
        let foreign = r#""internal_state":{"7":[1],"abc":{"x":1},"8":[2],"007":0,"\u0001x":1,"1004":{"a":[1]},"300000000000000000000000000000000000000000":2,"#;
        let listed = r#""cohorts":["zzz","7","1004","007","7","\"q","1001","#;
        let body = body
            .replacen(r#""internal_state":{"#, foreign, 1)
            .replacen(r#""cohorts":["#, listed, 1)
            .replacen(
                r#""external_state":{"#,
                r#""extra":{"n":[1,2]},"external_state":{"#,
                1,
            );
        let answer = segment(&workspace, body.as_bytes(), Validation::Skip).unwrap();
        assert_eq!(answer.body, answer_by_sorting(&workspace, body.as_bytes()));
        for code in ["\"007\":0", "\"1004\":{\"a\"", "\"news\":{", "\"\\\"q\""] {
            assert!(answer.body.contains(code), "{code} in {}", answer.body);
        }
        // Without any of them, and with the workspace's own state only.
        let plain = body_after(&workspace, 2);
        let answer = segment(&workspace, plain.as_bytes(), Validation::Skip).unwrap();
        assert_eq!(answer.body, answer_by_sorting(&workspace, plain.as_bytes()));
        // Cohorts put in place of others: the order worked out for the others is not used.
        let mut replaced = Workspace::demo().unwrap();
        replaced.cohorts = workspace.cohorts.clone();
        let answer = segment(&replaced, body.as_bytes(), Validation::Skip).unwrap();
        assert_eq!(answer.body, answer_by_sorting(&replaced, body.as_bytes()));
    }

    #[test]
    fn the_state_read_once_answers_as_the_body_checked_whole() {
        let workspace = Workspace::demo_scaled(20).unwrap();
        let body = body_after(&workspace, 6);
        let request = check_request_leaving_entries(body.as_bytes()).unwrap();
        assert!(
            request.state.unchecked.len() > 5,
            "the body pass left the entries to the engine"
        );
        for validation in [Validation::Skip, Validation::Reject] {
            assert_eq!(
                fast(&workspace, body.as_bytes(), validation),
                checked(&workspace, body.as_bytes(), validation)
            );
        }
        // Every byte of `internal_state` broken in turn (JSON or not, an entry of a cohort the
        // engine reads or not): the same answer, error wording included, as checking it whole.
        let start = body.find("\"internal_state\"").unwrap();
        let end = body.find("\"external_state\"").unwrap();
        let mut broken = 0;
        for at in (start..end).step_by(7) {
            for replacement in [b'}', b']', b'x', b'0', b',', b'"', b'\\', b'{', b' '] {
                let mut bytes = body.clone().into_bytes();
                bytes[at] = replacement;
                let expected = checked(&workspace, &bytes, Validation::Skip);
                broken += usize::from(expected.starts_with("Err"));
                assert_eq!(
                    fast(&workspace, &bytes, Validation::Skip),
                    expected,
                    "byte {at} replaced by {:?}",
                    replacement as char
                );
            }
        }
        assert!(broken > 100, "only {broken} broken bodies");
    }

    #[test]
    fn a_broken_entry_is_reported_before_the_errors_found_after_the_body() {
        let workspace = Workspace::demo_scaled(20).unwrap();
        let body = body_after(&workspace, 3)
            .replacen("\"wp\",", "\"wp\",01,", 1)
            .replace("0b5e5c3e-1d7a-4f3b-8e7e-5a1e0c0ffee0", "not-a-uuid");
        let answer = fast(&workspace, body.as_bytes(), Validation::Reject);
        assert!(answer.contains("not valid JSON"), "{answer}");
        assert_eq!(
            answer,
            checked(&workspace, body.as_bytes(), Validation::Reject)
        );
    }
}
