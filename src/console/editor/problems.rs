//! The editor's problems that do not stop F5 (the server's answer is the truth): schema
//! violations found as you type, `<placeholders>` Ctrl+N left to fill in, and a 400's
//! violations, each on the line it is about.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;

use super::check::{Problem, problem_at};
use super::locate::{event_offsets, locate_in};
use crate::api::event_shape::{Violation, schema_violations};

/// The workspace's event schemas, compiled once per workspace description.
pub type Schemas = Arc<BTreeMap<String, jsonschema::Validator>>;

/// Compiles the event schemas of a workspace description; a schema that does not compile is
/// left out (its events are then not checked here: the server still checks them).
pub fn compile(events: &BTreeMap<String, Value>) -> Schemas {
    Arc::new(
        events
            .iter()
            .filter_map(|(name, schema)| {
                Some((name.clone(), jsonschema::validator_for(schema).ok()?))
            })
            .collect(),
    )
}

/// A violation a 400 listed, with the event as it was sent: it marks the editor while that
/// event is unchanged.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerViolation {
    /// The 1-based number of the call that was refused.
    pub call: usize,
    pub violation: Violation,
    pub sent: Value,
}

/// How a placeholder's problem ends: what [`is_placeholder_problem`] knows it by.
const PLACEHOLDER_NOTE: &str = "is a placeholder: replace it";

/// Is this problem a `<placeholder>` still to replace (not a schema violation or a 400's)?
pub fn is_placeholder_problem(problem: &Problem) -> bool {
    problem.message.ends_with(PLACEHOLDER_NOTE)
}

/// Is `s` a placeholder Ctrl+N wrote (`<url>`), still to be replaced?
pub fn is_placeholder(s: &str) -> bool {
    s.len() > 2
        && s.starts_with('<')
        && s.ends_with('>')
        && !s[1..s.len() - 1].contains(['<', '>', '"'])
        && !s[1..s.len() - 1].trim().is_empty()
}

/// Every string placeholder in `value`, as JSON pointers below `prefix`, in document order.
fn placeholders(value: &Value, prefix: &str, out: &mut Vec<(String, String)>) {
    match value {
        Value::String(s) if is_placeholder(s) => out.push((prefix.to_string(), s.clone())),
        Value::Object(map) => {
            for (k, v) in map {
                let key = k.replace('~', "~0").replace('/', "~1");
                placeholders(v, &format!("{prefix}/{key}"), out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                placeholders(v, &format!("{prefix}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// The byte offset of the first placeholder of event `event` (inside its quotes), and its length.
pub fn first_placeholder(text: &str, event: usize) -> Option<(usize, usize)> {
    let events = event_offsets(text)?;
    let (_, raw) = *events.get(event)?;
    let value: Value = serde_json::from_str(raw.get()).ok()?;
    let mut found = Vec::new();
    placeholders(&value, "", &mut found);
    let (pointer, placeholder) = found.into_iter().next()?;
    let at = locate_in(text, raw, &pointer);
    Some((at + 1, placeholder.len()))
}

/// The problems of the events in `text` that do not stop F5, sorted by line: schema
/// violations (with the emulator's own words), placeholders, and a 400's violations for the
/// events still as they were sent.
pub fn problems(text: &str, schemas: Option<&Schemas>, server: &[ServerViolation]) -> Vec<Problem> {
    let Some(events) = event_offsets(text) else {
        return Vec::new();
    };
    let mut out: Vec<Problem> = Vec::new();
    let mut values = Vec::with_capacity(events.len());
    for (i, &(_, raw)) in events.iter().enumerate() {
        let value: Option<Value> = serde_json::from_str(raw.get()).ok();
        if let Some(whole @ Value::Object(event)) = &value {
            if let (Some(schemas), Some(Value::String(name))) = (schemas, event.get("name")) {
                // No properties, or not an object: the blocking check says so already.
                if let Some(properties @ Value::Object(_)) = event.get("properties") {
                    for v in schema_violations(i, name, properties, schemas.get(name)) {
                        let at = locate_in(text, raw, &v.pointer);
                        out.push(problem_at(text, at, v.to_string()));
                    }
                }
            }
            let mut found = Vec::new();
            placeholders(whole, "", &mut found);
            for (pointer, placeholder) in found {
                out.push(problem_at(
                    text,
                    locate_in(text, raw, &pointer),
                    format!("events[{i}]: {pointer}: {placeholder} {PLACEHOLDER_NOTE}"),
                ));
            }
        }
        values.push(value);
    }
    for s in server {
        let v = &s.violation;
        if values.get(v.event).and_then(Option::as_ref) != Some(&s.sent) {
            continue;
        }
        let Some((_, raw)) = events.get(v.event) else {
            continue;
        };
        let problem = problem_at(text, locate_in(text, raw, &v.pointer), v.to_string());
        if out
            .iter()
            .any(|p| p.line == problem.line && p.message == problem.message)
        {
            continue;
        }
        out.push(Problem {
            message: format!("{} (call {}'s 400)", problem.message, s.call),
            ..problem
        });
    }
    out.sort_by_key(|p| (p.line, p.column));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schemas() -> Schemas {
        let mut events = BTreeMap::new();
        events.insert(
            "Pageview".to_string(),
            json!({"type": "object", "required": ["client"], "properties": {
                "client": {"type": "object", "required": ["url"], "properties": {"url": {"type": "string", "format": "uri"}}}
            }}),
        );
        compile(&events)
    }

    const TEXT: &str = r#"[
  {
    "name": "Pageview",
    "time": "2026-01-01T00:00:00Z",
    "properties": {
      "client": {
        "title": "<title>"
      }
    }
  },
  {
    "name": "Nope",
    "time": "2026-01-01T00:00:00Z",
    "properties": {}
  }
]"#;

    #[test]
    fn schema_violations_and_placeholders_mark_their_lines() {
        let found = problems(TEXT, Some(&schemas()), &[]);
        let lines: Vec<(usize, &str)> =
            found.iter().map(|p| (p.line, p.message.as_str())).collect();
        assert_eq!(
            lines,
            vec![
                (
                    6,
                    "events[0]: /properties/client: \"url\" is a required property"
                ),
                (
                    7,
                    "events[0]: /properties/client/title: <title> is a placeholder: replace it"
                ),
                (
                    12,
                    "events[1]: /name: unknown event name \"Nope\" (the workspace has no schema for it)"
                ),
            ]
        );
        assert_eq!(
            first_placeholder(TEXT, 0).map(|(at, len)| (&TEXT[at..at + len], len)),
            Some(("<title>", 7))
        );
    }

    #[test]
    fn a_400s_violation_marks_its_event_while_it_is_unchanged() {
        let violation =
            Violation::parse("events[1]: /properties: \"x\" is a required property").unwrap();
        let sent: Vec<Value> = serde_json::from_str(TEXT).unwrap();
        let server = [ServerViolation {
            call: 3,
            violation,
            sent: sent[1].clone(),
        }];
        let found = problems(TEXT, None, &server);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[1].line, 14);
        assert_eq!(
            found[1].message,
            "events[1]: /properties: \"x\" is a required property (call 3's 400)"
        );
        let edited = TEXT.replace("\"properties\": {}", "\"properties\": {\"x\": 1}");
        assert_eq!(
            problems(&edited, None, &server).len(),
            1,
            "the edited event is not marked"
        );
    }
}
