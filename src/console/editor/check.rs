//! The editor's live check: is the text a JSON array of events the endpoint takes, and if not,
//! where (line and column) and why.

use serde_json::Value;
use serde_json::value::RawValue;

use crate::api::MAX_EVENTS;
use crate::api::event_shape::{Fault, check_event};

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
/// [`MAX_EVENTS`] objects, each of the shape [`check_event`] takes (a non-empty `name`, an
/// RFC 3339 `time`, UUIDs in `view_id`/`session_id` when present, an object `properties`).
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
        // The contract's own check (`api::event_shape`, the emulator's too), in the editor's
        // words and at the offending key.
        if let Err((field, fault)) = check_event(|key| event.get(key)) {
            let (at, what) = match fault {
                Fault::Missing => (start, "is missing".to_string()),
                Fault::NotNonEmptyString => (key_at(field), "must be a non-empty string".into()),
                Fault::NotTimeString => (key_at(field), "must be an RFC 3339 string".into()),
                Fault::BadTime(_, e) => {
                    (key_at(field), format!("is not an RFC 3339 date-time ({e})"))
                }
                Fault::NotUuid => (key_at(field), "must be a UUID".into()),
                Fault::NotObject => (key_at(field), "must be an object".into()),
            };
            return Check::Invalid(problem_at(
                text,
                at,
                format!("event {n}: \"{field}\" {what}"),
            ));
        }
    }
    Check::Valid {
        events: items.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The editor reads an event with the contract's own check: with a bad `view_id` and no
    /// `properties`, it names the `view_id`, as the emulator's 400 does (`events[0].view_id`).
    #[test]
    fn the_editor_names_the_field_the_emulator_names() {
        let text = "[{\"name\": \"a\", \"time\": \"2026-01-01T00:00:00Z\",\n \"view_id\": \"v\"}]";
        let Check::Invalid(problem) = check_events(text) else {
            panic!("{text} is not valid");
        };
        assert_eq!(problem.message, "event 1: \"view_id\" must be a UUID");
        assert_eq!((problem.line, problem.column), (2, 2));
        assert_eq!(
            check_event(|_| None).err().map(|(field, _)| field),
            Some("name")
        );
    }
}
