//! Reading a stateless segmentation request the way the endpoint's contract says: every shape
//! error becomes a 400 that names the field. No HTTP here: bytes in, a checked request out.

use indexmap::IndexMap;
use serde_json::Value;

use super::body::{BodyShape, StateShape};
use super::failure::{Failure, quote};
use super::workspace::Workspace;
use crate::api::MAX_EVENTS;
use crate::api::event_shape::{self, Fault, check_event};
use crate::engine;

/// A request that passed the contract's checks, borrowing the state from the body.
#[derive(Debug)]
pub struct CheckedRequest<'a> {
    pub user_id: String,
    pub events: Vec<engine::Event>,
    pub state: StateShape<'a>,
}

impl CheckedRequest<'_> {
    /// What the engine reads of this request: its events and the state's entries as slices of
    /// the body (entries left unchecked as JSON say so: the engine's reader checks them).
    pub fn engine_input(&self) -> engine::SegmentInput<'_> {
        let internal = &self.state.internal.0;
        engine::SegmentInput {
            events: &self.events,
            internal: if self.state.unchecked.is_empty() {
                engine::StateEntries::Slices(internal)
            } else {
                engine::StateEntries::Unchecked(internal)
            },
            external: engine::StateEntries::Slices(&self.state.external_entries.0),
            cohorts: &self.state.cohorts,
        }
    }
}

/// Namespace for UUID v5 user ids derived from aliases (so the same alias is the same user).
const ALIAS_NAMESPACE: uuid::Uuid =
    uuid::Uuid::from_u128(0x5e65_c0be_7a11_4a5e_9d3b_51de_c0de_0001);

/// The user id an alias resolves to: UUID v5 of the JSON array `["tag","id"]`. An encoding
/// with a separator (`tag:id`) would make `{"tag":"a:b","id":"c"}` and `{"tag":"a","id":"b:c"}`
/// one user; the JSON text of the pair cannot collide. (An assumption: Permutive does not
/// document how it derives a user from an alias, only that the same alias is the same user.)
pub fn alias_user_id(tag: &str, id: &str) -> String {
    let pair = serde_json::to_string(&[tag, id]).unwrap_or_default();
    uuid::Uuid::new_v5(&ALIAS_NAMESPACE, pair.as_bytes()).to_string()
}

/// Checks a body against the contract (shape, identity, events, state).
pub fn check_request(body: &[u8]) -> Result<CheckedRequest<'_>, Failure> {
    check_request_with(body, BodyShape::read)
}

/// [`check_request`], leaving the `internal_state` entries of a plain body unchecked as JSON
/// ([`BodyShape::read_leaving_entries`]): the caller checks them before it answers.
pub fn check_request_leaving_entries(body: &[u8]) -> Result<CheckedRequest<'_>, Failure> {
    check_request_with(body, BodyShape::read_leaving_entries)
}

/// [`check_request`] with the given body reader.
pub(super) fn check_request_with<'a>(
    body: &'a [u8],
    read: fn(&'a str) -> Result<BodyShape<'a>, serde_json::Error>,
) -> Result<CheckedRequest<'a>, Failure> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(Failure::new(400, 1003, "The request body is missing."));
    }
    let text = std::str::from_utf8(body).map_err(|e| {
        Failure::bad_body(format!(
            "the request body is not UTF-8 (invalid byte at offset {})",
            e.valid_up_to()
        ))
    })?;
    if !text.trim_start().starts_with('{') {
        // serde would read an array as the struct's fields in order: refuse anything but an object.
        return Err(match serde_json::from_str::<serde::de::IgnoredAny>(text) {
            Err(e) => json_failure("the request body", &e),
            Ok(_) => Failure::bad_body(
                "the request body is not structured as expected: it must be a JSON object",
            ),
        });
    }
    let shape = read(text).map_err(|e| json_failure("the request body", &e))?;
    let user_id = resolve_identity(shape.user_id, shape.alias, shape.aliases)?;
    let events = match (shape.read_events, shape.events) {
        (Some(events), _) => events,
        (None, None) => Vec::new(),
        (None, Some(raw)) => check_events(raw)?,
    };
    Ok(CheckedRequest {
        user_id,
        events,
        state: shape.state.unwrap_or_default(),
    })
}

/// Checks each event against its schema; one line per violation, `events[i]: <pointer>: <reason>`
/// (the rule and its words are `api::event_shape::schema_violations`, the console's editor's too).
pub fn schema_violations(workspace: &Workspace, events: &[engine::Event]) -> Vec<String> {
    let mut lines = Vec::new();
    for (
        i,
        engine::Event {
            name, properties, ..
        },
    ) in events.iter().enumerate()
    {
        let schema = workspace.schemas.get(name).map(|s| &s.validator);
        for violation in event_shape::schema_violations(i, name, &properties.to_value(), schema) {
            lines.push(format!(
                "events[{i}]: {}: {}",
                quote(&violation.pointer),
                quote(&violation.reason)
            ));
        }
    }
    lines
}

fn json_failure(what: &str, e: &serde_json::Error) -> Failure {
    let detail = format!(
        "{} at line {} column {}",
        crate::json::describe_error(e),
        e.line(),
        e.column()
    );
    let reason = match e.classify() {
        serde_json::error::Category::Data => {
            format!("{what} is not structured as expected: {detail}")
        }
        serde_json::error::Category::Eof => format!("{what} ends too early: {detail}"),
        _ => format!("{what} is not valid JSON: {detail}"),
    };
    Failure::bad_body(reason)
}

fn parse<T: serde::de::DeserializeOwned>(raw: &str, what: &str) -> Result<T, Failure> {
    serde_json::from_str(raw).map_err(|e| {
        Failure::bad_body(format!(
            "{what} is not structured as expected: {}",
            strip_position(&e)
        ))
    })
}

/// serde's position is relative to the field's own text, which would mislead; drop it.
fn strip_position(e: &serde_json::Error) -> String {
    crate::json::describe_error(e)
}

fn resolve_identity(
    user_id: Option<&str>,
    alias: Option<&str>,
    aliases: Option<&str>,
) -> Result<String, Failure> {
    let given = [user_id.is_some(), alias.is_some(), aliases.is_some()]
        .iter()
        .filter(|b| **b)
        .count();
    if given != 1 {
        return Err(Failure::bad_body(format!(
            "exactly one of \"user_id\", \"alias\" or \"aliases\" must be given ({given} were)"
        )));
    }
    if let Some(raw) = user_id {
        let text: String = parse(raw, "\"user_id\"")?;
        let id = uuid::Uuid::parse_str(&text).map_err(|_| {
            Failure::bad_body(format!(
                "\"user_id\" is not a valid UUID: \"{}\"",
                quote(&text)
            ))
        })?;
        return Ok(id.hyphenated().to_string());
    }
    if let Some(raw) = alias {
        let alias: crate::api::Alias = parse(raw, "\"alias\"")?;
        check_alias_parts("alias", &alias.tag, &alias.id)?;
        return Ok(alias_user_id(&alias.tag, &alias.id));
    }
    let list: Vec<crate::api::PrioritisedAlias> = match aliases {
        Some(raw) => parse(raw, "\"aliases\"")?,
        None => Vec::new(),
    };
    for (i, a) in list.iter().enumerate() {
        check_alias_parts(&format!("aliases[{i}]"), &a.tag, &a.id)?;
    }
    // Priority 0 is the highest. Equal priorities are broken by tag, then id (not by the order
    // of the list, which a client may not keep stable): an assumption, Permutive's docs do not
    // say.
    let best = list
        .iter()
        .min_by(|a, b| (a.priority, &a.tag, &a.id).cmp(&(b.priority, &b.tag, &b.id)))
        .ok_or_else(|| Failure::bad_body("\"aliases\" must not be empty"))?;
    Ok(alias_user_id(&best.tag, &best.id))
}

/// An alias names a tag and an id: neither may be empty.
fn check_alias_parts(what: &str, tag: &str, id: &str) -> Result<(), Failure> {
    for (field, value) in [("tag", tag), ("id", id)] {
        if value.is_empty() {
            return Err(Failure::bad_body(format!(
                "{what}.{field} must not be empty"
            )));
        }
    }
    Ok(())
}

fn check_events(raw: &str) -> Result<Vec<engine::Event>, Failure> {
    match super::events_scan::read(raw) {
        Some(events) => Ok(events),
        None => check_events_with_serde(raw),
    }
}

/// The events read with serde, which words every error (the fast path's reference).
pub(super) fn check_events_with_serde(raw: &str) -> Result<Vec<engine::Event>, Failure> {
    let list: Vec<IndexMap<String, Value>> = parse(raw, "\"events\"")?;
    if list.len() > MAX_EVENTS {
        return Err(Failure::bad_body(format!(
            "\"events\" has {} events; at most {MAX_EVENTS} are allowed in one request",
            list.len()
        )));
    }
    let mut events = Vec::with_capacity(list.len());
    for (i, mut event) in list.into_iter().enumerate() {
        let time = check_event(|key| event.get(key)).map_err(|(field, fault)| {
            let what = match fault {
                Fault::Missing => "is missing".to_string(),
                Fault::NotNonEmptyString => "must be a non-empty string".to_string(),
                Fault::NotTimeString => "must be an RFC 3339 string".to_string(),
                Fault::BadTime(s, e) => {
                    format!("is not an RFC 3339 date-time (\"{}\"): {e}", quote(&s))
                }
                Fault::NotUuid => "must be a UUID string".to_string(),
                Fault::NotObject => "must be an object".to_string(),
            };
            field_error(i, field, &what)
        })?;
        // Checked above: a non-empty name and an object of properties.
        let (Some(Value::String(name)), Some(properties)) =
            (event.get("name").cloned(), event.swap_remove("properties"))
        else {
            return Err(field_error(i, "name", "is missing"));
        };
        let id = |field: &str| event.get(field).and_then(Value::as_str).map(str::to_string);
        events.push(engine::Event {
            view_id: id("view_id"),
            session_id: id("session_id"),
            name,
            time,
            properties: engine::Properties::from_value(&properties),
        });
    }
    Ok(events)
}

fn field_error(index: usize, field: &str, what: &str) -> Failure {
    Failure::bad_body(format!("events[{index}].{field} {what}"))
}
