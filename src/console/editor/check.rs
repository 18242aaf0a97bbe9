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
        write!(f, "line {}: {}", self.line, self.message)
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

/// The byte offset of serde_json's (line, byte column) position in `text`, on a char boundary.
fn offset_of_position(text: &str, line: usize, column: usize) -> usize {
    let line_start: usize = text
        .split('\n')
        .take(line.saturating_sub(1))
        .map(|l| l.len() + 1)
        .sum();
    let mut offset = (line_start + column.saturating_sub(1)).min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// A JSON syntax error in words a person reads, marked on the line to fix: a missing `,` is
/// reported after the value that needs it (serde_json reports the token after it, often on
/// the next line), a trailing `,` at the comma.
pub(super) fn syntax_problem(text: &str, e: &serde_json::Error) -> Problem {
    let at = offset_of_position(text, e.line().max(1), e.column());
    let found = text[at..].chars().next();
    // The last character before the error that is not white space, and where it is.
    let before = text[..at].trim_end();
    let previous = before.chars().next_back();
    let previous_at = before
        .len()
        .saturating_sub(previous.map_or(0, char::len_utf8));
    let here = |message: &str| problem_at(text, at, message);
    let after_previous = |message: &str| problem_at(text, previous_at, message);
    let serde = serde_message(e);
    match serde.as_str() {
        "expected ',' or '}'" | "expected ',' or ']'" => {
            let closing = if serde.ends_with('}') { '}' } else { ']' };
            match found {
                Some(c @ (']' | '}')) => here(&format!(
                    "this '{c}' closes nothing open here: the {} needs its '{closing}' first",
                    if closing == '}' { "object" } else { "array" }
                )),
                Some(':') => here("a \"key\": value outside an object: a '{' is missing before it"),
                _ => after_previous("missing ',' after this value"),
            }
        }
        "trailing comma" | "key must be a string"
            if previous == Some(',') && matches!(found, Some(']' | '}')) =>
        {
            after_previous("a ',' with no value after it: remove it")
        }
        "trailing comma" => after_previous("a ',' with no value after it: remove it"),
        "expected value" if previous == Some(',') && matches!(found, Some(']' | '}')) => {
            after_previous("a ',' with no value after it: remove it")
        }
        "expected value" | "expected ident" => here(
            "not a JSON value: text needs double quotes (\"…\"); true, false and null are written in full",
        ),
        "key must be a string" => here("a key needs double quotes: \"key\": value"),
        "expected ':'" => after_previous("missing ':' after this key"),
        "trailing characters" => here("text after the end of the events array: remove it"),
        "EOF while parsing a list" => {
            after_previous("the text ends before the array is closed: a ']' is missing")
        }
        "EOF while parsing an object" => {
            after_previous("the text ends before an object is closed: a '}' is missing")
        }
        "EOF while parsing a string" => {
            after_previous("the text ends inside a string: a closing '\"' is missing")
        }
        "EOF while parsing a value" => after_previous("the text ends where a value should be"),
        s if s.starts_with("control character") => {
            after_previous("a string runs past the end of its line: a closing '\"' is missing")
        }
        _ => here(&serde),
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
            if e.is_data() {
                return Check::Invalid(Problem {
                    line: e.line().max(1),
                    column: e.column().max(1),
                    message: "the events must be a JSON array: [ {…}, {…} ]".to_string(),
                });
            }
            return Check::Invalid(syntax_problem(text, &e));
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
            problem.to_string(),
            "line 2: event 1: \"view_id\" must be a UUID"
        );
        assert_eq!(
            check_event(|_| None).err().map(|(field, _)| field),
            Some("name")
        );
    }
}

#[cfg(test)]
mod syntax_tests {
    use super::*;

    fn problem(text: &str) -> Problem {
        match check_events(text) {
            Check::Invalid(p) => p,
            Check::Valid { .. } => panic!("{text} is valid"),
        }
    }

    /// Issue 13: a comma missing at the end of line 13 was `line 14, column 9: expected ',' or
    /// '}'`; it is the value on line 13 that needs it.
    #[test]
    fn a_missing_comma_is_reported_after_the_value_that_needs_it() {
        let mut lines: Vec<String> = vec!["[".into(), "  {".into()];
        lines.push("    \"name\": \"Pageview\",".into());
        lines.push("    \"time\": \"2026-01-01T00:00:00Z\",".into());
        lines.push("    \"properties\": {".into());
        for i in 0..7 {
            lines.push(format!("      \"k{i}\": {i},"));
        }
        lines.push("      \"url\": \"https://example.com/\"".into()); // line 13: no comma
        lines.push("        \"more\": 1".into());
        lines.push("    }".into());
        lines.push("  }".into());
        lines.push("]".into());
        let p = problem(&lines.join("\n"));
        assert_eq!(p.to_string(), "line 13: missing ',' after this value");
    }

    #[test]
    fn other_syntax_errors_in_words() {
        let p = problem("[\n  {\"a\": 1,\n  }\n]");
        assert_eq!(
            p.to_string(),
            "line 2: a ',' with no value after it: remove it"
        );
        let p = problem("[{\"a\": 1]");
        assert!(p.message.contains("closes nothing"), "{p}");
        let p = problem("[{\"a\": tru}]");
        assert!(p.message.starts_with("not a JSON value"), "{p}");
        let p = problem("[{a: 1}]");
        assert!(p.message.contains("double quotes"), "{p}");
        let p = problem("[\n {\"a\": \"x\n\"}]");
        assert_eq!(p.line, 2, "{p}");
        assert!(p.message.contains("closing '\"'"), "{p}");
        let p = problem("[\n {\"a\": 1}");
        assert!(p.message.contains("']' is missing"), "{p}");
        let p = problem("[{\"é\": \"é\" \"b\": 1}]");
        assert_eq!(p.message, "missing ',' after this value");
        assert_eq!(p.column, 10, "the column of the value's last character");
    }
}
