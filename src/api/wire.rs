//! The wire contract of `POST /ccs/v1/segmentation/stateless`: request, response and error
//! envelope, exactly as Permutive's OpenAPI document describes them.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

use super::state::OpaqueState;

/// The path of the stateless segmentation endpoint.
pub const STATELESS_PATH: &str = "/ccs/v1/segmentation/stateless";
/// The emulator-only explanation endpoint (same body as the stateless endpoint).
pub const EXPLAIN_PATH: &str = "/_segscope/explain";
/// The emulator-only workspace description (cohort names, event schemas).
pub const WORKSPACE_PATH: &str = "/_segscope/workspace";
/// The most events one request may carry.
pub const MAX_EVENTS: usize = 10;

/// `{tag, id}`: an identity known to the publisher.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alias {
    pub tag: String,
    pub id: String,
}

/// `{tag, id, priority}`: one of several aliases; priority 0 is the highest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrioritisedAlias {
    pub tag: String,
    pub id: String,
    pub priority: i32,
}

/// Who the request is about: exactly one of the three forms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Identity {
    UserId(String),
    Alias(Alias),
    Aliases(Vec<PrioritisedAlias>),
}

impl Identity {
    /// A one-line human form: the uuid, `tag:id`, or the aliases by priority.
    pub fn describe(&self) -> String {
        match self {
            Identity::UserId(id) => id.clone(),
            Identity::Alias(a) => format!("alias {}:{}", a.tag, a.id),
            Identity::Aliases(list) => {
                let parts: Vec<String> = list
                    .iter()
                    .map(|a| format!("{}:{}#{}", a.tag, a.id, a.priority))
                    .collect();
                format!("aliases {}", parts.join(", "))
            }
        }
    }
}

/// One event: `name`, `time` (RFC 3339), `properties` (object), optional `view_id`/`session_id`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub name: String,
    pub time: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub view_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    pub properties: Value,
}

/// `SegmentationRequestWithState`, as a client sends it. The events are kept as the JSON the
/// developer wrote (raw), so what was typed is what is sent.
#[derive(Debug, Clone)]
pub struct SegmentationRequest {
    pub identity: Identity,
    /// A JSON array of events, sent verbatim.
    pub events: Box<RawValue>,
    pub state: Option<OpaqueState>,
}

impl SegmentationRequest {
    /// The request body: identity fields, events and state. State and events are written
    /// byte for byte as they are held.
    pub fn to_body(&self) -> String {
        #[derive(Serialize)]
        struct Body<'a> {
            #[serde(skip_serializing_if = "Option::is_none")]
            user_id: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            alias: Option<&'a Alias>,
            #[serde(skip_serializing_if = "Option::is_none")]
            aliases: Option<&'a [PrioritisedAlias]>,
            events: &'a RawValue,
        }
        let (user_id, alias, aliases) = match &self.identity {
            Identity::UserId(id) => (Some(id.as_str()), None, None),
            Identity::Alias(a) => (None, Some(a), None),
            Identity::Aliases(list) => (None, None, Some(list.as_slice())),
        };
        let body = Body {
            user_id,
            alias,
            aliases,
            events: &self.events,
        };
        // Serialising borrowed strings and raw JSON cannot fail.
        let mut text = serde_json::to_string(&body).unwrap_or_default();
        if let Some(state) = &self.state
            && text.ends_with('}')
        {
            // The state is appended as it is: it was checked to be JSON when it was taken, and
            // checking (scanning) tens of kilobytes again for every call is the client's
            // largest cost in a long replay.
            let state = state.as_str();
            text.pop();
            text.reserve(state.len() + 10);
            text.push_str(",\"state\":");
            text.push_str(state);
            text.push('}');
        }
        text
    }
}

/// A 200 answer: `{user_id, state}`, the state kept as the exact bytes received.
#[derive(Debug, Clone)]
pub struct SegmentationResponse {
    pub user_id: String,
    pub state: OpaqueState,
    /// The codes the state's `cohorts` lists, as listed (empty when it lists none), read in the
    /// pass that parsed the body: a client never parses the state again to know them.
    pub listed_cohorts: Vec<String>,
}

impl SegmentationResponse {
    /// Parses a 200 body, keeping `state` byte for byte (as a slice of the body, not a copy),
    /// and reads the state's `cohorts` in the same pass.
    pub fn parse(body: &Arc<str>) -> Result<SegmentationResponse, serde_json::Error> {
        if let Some(one_pass) = parse_in_one_pass(body) {
            return Ok(one_pass);
        }
        // Anything the one pass does not take (another shape, a fault): the plain parse, whose
        // errors are the ones to report, then the cohorts.
        #[derive(Deserialize)]
        struct Borrowed<'a> {
            user_id: String,
            #[serde(borrow)]
            state: &'a RawValue,
        }
        let parsed: Borrowed<'_> = serde_json::from_str(body)?;
        let listed_cohorts = super::state::listed_cohorts(parsed.state.get())
            .ok()
            .flatten()
            .unwrap_or_default();
        Ok(SegmentationResponse {
            user_id: parsed.user_id,
            state: OpaqueState::within(body, parsed.state),
            listed_cohorts,
        })
    }
}

/// The body as an object, read member by member: `user_id`, the state (checked and its
/// `cohorts` read as it is passed over, its span kept) and any other member skipped. `None` for
/// anything else (not an object, a repeated member, a state of another shape, trailing text):
/// the plain parse decides those.
fn parse_in_one_pass(body: &Arc<str>) -> Option<SegmentationResponse> {
    use serde::de::IgnoredAny;
    let text: &str = body;
    let bytes = text.as_bytes();
    let skip_space = |mut at: usize| {
        while bytes
            .get(at)
            .is_some_and(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        {
            at += 1;
        }
        at
    };
    // One JSON value at `at`, and where it ends.
    fn value<'a, T: Deserialize<'a>>(text: &'a str, at: usize) -> Option<(T, usize)> {
        let mut values = serde_json::Deserializer::from_str(text.get(at..)?).into_iter::<T>();
        let parsed = values.next()?.ok()?;
        Some((parsed, at + values.byte_offset()))
    }
    let mut at = skip_space(0);
    if bytes.get(at) != Some(&b'{') {
        return None;
    }
    at = skip_space(at + 1);
    let (mut user_id, mut state) = (None, None);
    loop {
        let (key, after_key) = value::<std::borrow::Cow<'_, str>>(text, at)?;
        at = skip_space(after_key);
        if bytes.get(at) != Some(&b':') {
            return None;
        }
        at = skip_space(at + 1);
        match key.as_ref() {
            "user_id" if user_id.is_none() => {
                let (id, end) = value::<String>(text, at)?;
                user_id = Some(id);
                at = end;
            }
            "state" if state.is_none() => {
                let (only, end) = value::<super::state::CohortsOnly<'_>>(text, at)?;
                state = Some((at..end, only.codes()));
                at = end;
            }
            "user_id" | "state" => return None,
            _ => at = value::<IgnoredAny>(text, at)?.1,
        }
        at = skip_space(at);
        match bytes.get(at) {
            Some(b',') => at = skip_space(at + 1),
            Some(b'}') => break,
            _ => return None,
        }
    }
    if skip_space(at + 1) != bytes.len() {
        return None;
    }
    let (span, listed) = state?;
    Some(SegmentationResponse {
        user_id: user_id?,
        state: OpaqueState::span_of(body, span),
        listed_cohorts: listed.unwrap_or_default(),
    })
}

/// The error envelope every 4xx/5xx of the API uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorEnvelope {
    pub request_id: String,
    pub error: ErrorBody,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    #[serde(rename = "type")]
    pub kind: String,
    pub status_code: u16,
    pub status: String,
    pub code: i64,
    pub message: String,
    pub docs: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
}

impl ErrorEnvelope {
    /// Parses an error body; `None` when the body is not the envelope.
    pub fn parse(body: &str) -> Option<ErrorEnvelope> {
        serde_json::from_str(body).ok()
    }

    /// The individual violations of a schema-validation failure, one per line of the message
    /// (the emulator writes `events[i]: <pointer>: <reason>` lines).
    pub fn violations(&self) -> Vec<&str> {
        self.error
            .message
            .lines()
            .map(str::trim)
            .filter(|l| l.starts_with("events["))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the plain two-pass reading gives (the reference the one pass must agree with).
    fn two_pass(body: &str) -> Option<(String, String, Vec<String>)> {
        #[derive(Deserialize)]
        struct Borrowed<'a> {
            user_id: String,
            #[serde(borrow)]
            state: &'a RawValue,
        }
        let parsed: Borrowed<'_> = serde_json::from_str(body).ok()?;
        let cohorts = crate::api::state::listed_cohorts(parsed.state.get())
            .ok()
            .flatten()
            .unwrap_or_default();
        Some((parsed.user_id, parsed.state.get().to_string(), cohorts))
    }

    #[test]
    fn the_one_pass_reads_what_two_passes_read_or_leaves_it_to_them() {
        let bodies = [
            r#"{"user_id":"u","state":{"internal_state":{"1":[1,2]},"cohorts":["1001","7"]}}"#,
            " \n{ \"state\" : {\"cohorts\": [12, \"a\\\"b\"] } ,\t\"user_id\" : \"u\\u00e9\" } \n",
            r#"{"user_id":"u","extra":[1,{"x":null}],"n":5,"state":{"cohorts":[]}}"#,
            r#"{"user_id":"u","state":{"internal_state":{}}}"#,
            r#"{"user_id":"u","state":{"cohorts":"not a list"}}"#,
            r#"{"user_id":"u","state":[1,2]}"#,
            r#"{"user_id":"u","state":null}"#,
            r#"{"user_id":"u","state":{"cohorts":["1"],"cohorts":["2"]}}"#,
            r#"{"user_id":"u","state":{},"state":{}}"#,
            r#"{"user_id":"u","user_id":"v","state":{}}"#,
            r#"{"user_id":"u","state":{}} trailing"#,
            r#"{"user_id":"u","state":{"a":}}"#,
            r#"{"user_id":5,"state":{}}"#,
            r#"{"state":{}}"#,
            r#"{"user_id":"u"}"#,
            r#"{}"#,
            r#"[]"#,
            "",
        ];
        for body in bodies {
            let shared: Arc<str> = Arc::from(body);
            let parsed = SegmentationResponse::parse(&shared).ok();
            let got = parsed.map(|r| (r.user_id, r.state.as_str().to_string(), r.listed_cohorts));
            assert_eq!(got, two_pass(body), "{body}");
        }
        // The usual shapes take the one pass (the rest go to the plain parse).
        for body in &bodies[..4] {
            assert!(parse_in_one_pass(&Arc::from(*body)).is_some(), "{body}");
        }
        // The state is a slice of the body, never a copy.
        let shared: Arc<str> = Arc::from(bodies[1]);
        let response = SegmentationResponse::parse(&shared).unwrap();
        let offset = response.state.as_str().as_ptr() as usize - shared.as_ptr() as usize;
        assert!(offset < shared.len());
    }
}
