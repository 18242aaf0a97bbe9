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
