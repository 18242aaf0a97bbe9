//! The editor's live check: is the text a JSON array of events the endpoint takes, and if not,
//! where (line and column) and why.

use serde_json::Value;
use serde_json::value::RawValue;

use crate::api::MAX_EVENTS;

/// Where the editor's text is wrong, in the words the status line uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line and column.
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.message
        )
    }
}

/// The live check of the editor's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    Valid { events: usize },
    Invalid(Problem),
}

impl Check {
    pub fn is_valid(&self) -> bool {
        matches!(self, Check::Valid { .. })
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub(super) fn position(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

pub(super) fn problem_at(text: &str, offset: usize, message: impl Into<String>) -> Problem {
    let (line, column) = position(text, offset);
    Problem {
        line,
        column,
        message: message.into(),
    }
}

/// serde_json's message without its own " at line L column C" (the position is given apart).
pub(super) fn serde_message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let text = match text.rfind(" at line ") {
        Some(i) => text[..i].to_string(),
        None => text,
    };
    text.replace('`', "'")
}

/// Checks that `text` is what the endpoint takes as `events`: a JSON array of at most
/// [`MAX_EVENTS`] objects, each with a non-empty `name`, an RFC 3339 `time`, an object
/// `properties`, and UUIDs in `view_id`/`session_id` when present.
pub fn check_events(text: &str) -> Check {
    if text.trim().is_empty() {
        return Check::Invalid(Problem {
            line: 1,
            column: 1,
            message: "the editor is empty: write a JSON array of events, [ {…} ]".into(),
        });
    }
    let items: Vec<&RawValue> = match serde_json::from_str(text) {
        Ok(items) => items,
        Err(e) => {
            let message = if e.is_data() {
                "the events must be a JSON array: [ {…}, {…} ]".to_string()
            } else {
                serde_message(&e)
            };
            return Check::Invalid(Problem {
                line: e.line().max(1),
                column: e.column().max(1),
                message,
            });
        }
    };
    let offset_of = |raw: &RawValue| raw.get().as_ptr() as usize - text.as_ptr() as usize;
    if items.len() > MAX_EVENTS {
        return Check::Invalid(problem_at(
            text,
            offset_of(items[MAX_EVENTS]),
            format!(
                "{} events: at most {MAX_EVENTS} are allowed in one request",
                items.len()
            ),
        ));
    }
    for (i, raw) in items.iter().enumerate() {
        let start = offset_of(raw);
        let n = i + 1;
        let key_at = |key: &str| {
            raw.get()
                .find(&format!("\"{key}\""))
                .map_or(start, |k| start + k)
        };
        let Ok(Value::Object(event)) = serde_json::from_str::<Value>(raw.get()) else {
            return Check::Invalid(problem_at(
                text,
                start,
                format!("event {n} is not an object {{…}}"),
            ));
        };
        match event.get("name") {
            Some(Value::String(s)) if !s.is_empty() => {}
            Some(_) => {
                return Check::Invalid(problem_at(
                    text,
                    key_at("name"),
                    format!("event {n}: \"name\" must be a non-empty string"),
                ));
            }
            None => {
                return Check::Invalid(problem_at(
                    text,
                    start,
                    format!("event {n}: \"name\" is missing"),
                ));
            }
        }
        match event.get("time") {
            Some(Value::String(s)) => {
                if let Err(e) = s.parse::<jiff::Timestamp>() {
                    return Check::Invalid(problem_at(
                        text,
                        key_at("time"),
                        format!("event {n}: \"time\" is not an RFC 3339 date-time ({e})"),
                    ));
                }
            }
            Some(_) => {
                return Check::Invalid(problem_at(
                    text,
                    key_at("time"),
                    format!("event {n}: \"time\" must be an RFC 3339 string"),
                ));
            }
            None => {
                return Check::Invalid(problem_at(
                    text,
                    start,
                    format!("event {n}: \"time\" is missing"),
                ));
            }
        }
        match event.get("properties") {
            Some(Value::Object(_)) => {}
            Some(_) => {
                return Check::Invalid(problem_at(
                    text,
                    key_at("properties"),
                    format!("event {n}: \"properties\" must be an object"),
                ));
            }
            None => {
                return Check::Invalid(problem_at(
                    text,
                    start,
                    format!("event {n}: \"properties\" is missing"),
                ));
            }
        }
        for id in ["view_id", "session_id"] {
            match event.get(id) {
                None | Some(Value::Null) => {}
                Some(Value::String(s)) if uuid::Uuid::parse_str(s).is_ok() => {}
                Some(_) => {
                    return Check::Invalid(problem_at(
                        text,
                        key_at(id),
                        format!("event {n}: \"{id}\" must be a UUID"),
                    ));
                }
            }
        }
    }
    Check::Valid {
        events: items.len(),
    }
}
