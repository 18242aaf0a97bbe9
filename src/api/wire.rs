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
}

impl SegmentationResponse {
    /// Parses a 200 body, keeping `state` byte for byte (as a slice of the body, not a copy).
    pub fn parse(body: &Arc<str>) -> Result<SegmentationResponse, serde_json::Error> {
        #[derive(Deserialize)]
        struct Borrowed<'a> {
            user_id: String,
            #[serde(borrow)]
            state: &'a RawValue,
        }
        let parsed: Borrowed<'_> = serde_json::from_str(body)?;
        Ok(SegmentationResponse {
            user_id: parsed.user_id,
            state: OpaqueState::within(body, parsed.state),
        })
    }
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
