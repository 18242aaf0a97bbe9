//! The shape one event must have to be sent (the endpoint's contract): a non-empty `name`, an
//! RFC 3339 `time`, UUIDs in `view_id`/`session_id` when present, an object `properties`. One
//! version of the rule, read by the emulator (its 400s) and by the console's editor (its live
//! check); each says it in its own words.

use serde_json::Value;

/// What is wrong with one field of an event.
#[derive(Debug)]
pub enum Fault {
    Missing,
    /// `name` is not a non-empty string.
    NotNonEmptyString,
    /// `time` is not a string.
    NotTimeString,
    /// `time` is a string that is not an RFC 3339 date-time.
    BadTime(String, jiff::Error),
    /// `view_id`/`session_id` is neither null nor a UUID string.
    NotUuid,
    /// `properties` is not an object.
    NotObject,
}

/// Checks an event (read with `get`) and gives its time; or the first field that breaks the
/// contract, in the order the emulator checks them: `name`, `time`, `view_id`, `session_id`,
/// `properties`.
pub fn check_event<'a>(
    get: impl Fn(&str) -> Option<&'a Value>,
) -> Result<jiff::Timestamp, (&'static str, Fault)> {
    match get("name") {
        Some(Value::String(s)) if !s.is_empty() => {}
        Some(_) => return Err(("name", Fault::NotNonEmptyString)),
        None => return Err(("name", Fault::Missing)),
    }
    let time = match get("time") {
        Some(Value::String(s)) => s
            .parse::<jiff::Timestamp>()
            .map_err(|e| ("time", Fault::BadTime(s.clone(), e)))?,
        Some(_) => return Err(("time", Fault::NotTimeString)),
        None => return Err(("time", Fault::Missing)),
    };
    for id in ["view_id", "session_id"] {
        match get(id) {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) if uuid::Uuid::parse_str(s).is_ok() => {}
            Some(_) => return Err((id, Fault::NotUuid)),
        }
    }
    match get("properties") {
        Some(Value::Object(_)) => Ok(time),
        Some(_) => Err(("properties", Fault::NotObject)),
        None => Err(("properties", Fault::Missing)),
    }
}

/// One schema violation of one event: the line of a 400 (`events[i]: <pointer>: <reason>`),
/// written by the emulator, read back by the console to mark the editor's line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The event's index in the request's `events`.
    pub event: usize,
    /// A JSON pointer into the event (`/properties/client/url`, `/name`).
    pub pointer: String,
    pub reason: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "events[{}]: {}: {}",
            self.event, self.pointer, self.reason
        )
    }
}

impl Violation {
    /// Reads a line written by [`Violation`]'s `Display` back (`None` for any other line).
    pub fn parse(line: &str) -> Option<Violation> {
        let rest = line.trim().strip_prefix("events[")?;
        let (index, rest) = rest.split_once("]: ")?;
        let event = index.parse().ok()?;
        // A pointer has no ": " of its own unless a key does; the reason follows the first.
        let (pointer, reason) = rest.split_once(": ")?;
        if !pointer.starts_with('/') {
            return None;
        }
        Some(Violation {
            event,
            pointer: pointer.to_string(),
            reason: reason.to_string(),
        })
    }
}

/// Checks event `index` (its `name` and `properties`) against the workspace's schema for that
/// name (`schema`, `None` when the workspace has none): every violation, in the validator's
/// order. The one version used by the emulator's 400s and the console's editor.
pub fn schema_violations(
    index: usize,
    name: &str,
    properties: &Value,
    schema: Option<&jsonschema::Validator>,
) -> Vec<Violation> {
    let Some(validator) = schema else {
        return vec![Violation {
            event: index,
            pointer: "/name".into(),
            reason: format!("unknown event name \"{name}\" (the workspace has no schema for it)"),
        }];
    };
    validator
        .iter_errors(properties)
        .map(|error| Violation {
            event: index,
            pointer: format!("/properties{}", error.instance_path()),
            reason: error.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fault_of(event: &str) -> Option<(&'static str, String)> {
        let event: serde_json::Map<String, Value> = serde_json::from_str(event).unwrap();
        check_event(|k| event.get(k))
            .err()
            .map(|(field, fault)| (field, format!("{fault:?}")))
    }

    #[test]
    fn each_field_is_checked_in_order() {
        let ok = r#"{"name":"Pageview","time":"2026-11-27T10:00:00Z","properties":{},"view_id":null,"session_id":"8f9c2b1e-2d7c-4f7e-9b55-0e2b1f3c4d5a"}"#;
        assert_eq!(fault_of(ok), None);
        let event: serde_json::Map<String, Value> = serde_json::from_str(ok).unwrap();
        assert_eq!(
            check_event(|k| event.get(k)).unwrap(),
            "2026-11-27T10:00:00Z".parse::<jiff::Timestamp>().unwrap()
        );
        let cases = [
            (r#"{"time":"x"}"#, "name", "Missing"),
            (r#"{"name":""}"#, "name", "NotNonEmptyString"),
            (r#"{"name":"a"}"#, "time", "Missing"),
            (r#"{"name":"a","time":3}"#, "time", "NotTimeString"),
            (r#"{"name":"a","time":"yesterday"}"#, "time", "BadTime"),
            // Both `view_id` and `properties` are wrong: the id is reported first.
            (
                r#"{"name":"a","time":"2026-11-27T10:00:00Z","view_id":"v"}"#,
                "view_id",
                "NotUuid",
            ),
            (
                r#"{"name":"a","time":"2026-11-27T10:00:00Z","session_id":1,"properties":{}}"#,
                "session_id",
                "NotUuid",
            ),
            (
                r#"{"name":"a","time":"2026-11-27T10:00:00Z","properties":[]}"#,
                "properties",
                "NotObject",
            ),
            (
                r#"{"name":"a","time":"2026-11-27T10:00:00Z"}"#,
                "properties",
                "Missing",
            ),
        ];
        for (event, field, fault) in cases {
            let (got_field, got) = fault_of(event).expect(event);
            assert_eq!(got_field, field, "{event}");
            assert!(got.starts_with(fault), "{event}: {got}");
        }
    }
}
