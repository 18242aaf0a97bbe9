//! What Ctrl+N and a new console put in the editor: events with placeholders for what their
//! schema requires (times and ids from the injected clock and id source).

use serde_json::{Map, Value, json};

use crate::console::env::IdSource;

/// The most items Ctrl+N writes for an array, whatever its `minItems` asks.
pub(super) const MAX_PLACEHOLDER_ITEMS: u64 = 16;

/// A placeholder value for a JSON schema: the first enum value, a `const`, the minimum of a
/// number, an object of its required properties, `"<name>"` for a string, `now` for a time,
/// a new id for a UUID.
pub fn placeholder(name: &str, schema: &Value, now: jiff::Timestamp, ids: &mut IdSource) -> Value {
    if let Some(first) = schema
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|a| a.first())
    {
        return first.clone();
    }
    if let Some(c) = schema.get("const") {
        return c.clone();
    }
    let ty = match schema.get("type") {
        Some(Value::String(t)) => t.as_str(),
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("null"),
        _ if schema.get("properties").is_some() => "object",
        _ => "string",
    };
    match ty {
        "object" => {
            let mut out = Map::new();
            let props = schema.get("properties");
            if let Some(required) = schema.get("required").and_then(Value::as_array) {
                for key in required.iter().filter_map(Value::as_str) {
                    let sub = props.and_then(|p| p.get(key)).unwrap_or(&Value::Null);
                    out.insert(key.to_string(), placeholder(key, sub, now, ids));
                }
            }
            Value::Object(out)
        }
        "array" => {
            // A schema may ask for any number; the editor fills in a readable few.
            let min = schema
                .get("minItems")
                .and_then(Value::as_u64)
                .unwrap_or(0)
                .min(MAX_PLACEHOLDER_ITEMS);
            let items = schema.get("items").unwrap_or(&Value::Null);
            Value::Array(
                (0..min)
                    .map(|_| placeholder(name, items, now, ids))
                    .collect(),
            )
        }
        "integer" | "number" => {
            let min = schema
                .get("minimum")
                .or_else(|| schema.get("exclusiveMinimum"))
                .and_then(Value::as_f64);
            match min {
                Some(m) if ty == "integer" || m.fract() == 0.0 => {
                    json!((m as i64).saturating_add(1))
                }
                Some(m) => json!(m + 1.0),
                None => json!(0),
            }
        }
        "boolean" => json!(false),
        "null" => Value::Null,
        _ => match schema.get("format").and_then(Value::as_str) {
            Some("date-time") => json!(now.to_string()),
            Some("uri" | "url") => json!("https://example.com/"),
            Some("uuid") => json!(ids.next_uuid()),
            _ => json!(format!("<{name}>")),
        },
    }
}

/// An RFC 3339 time to the second (no fraction), as a person would type it.
pub fn rfc3339(time: jiff::Timestamp) -> String {
    jiff::Timestamp::from_second(time.as_second())
        .unwrap_or(time)
        .to_string()
}

/// A new event: name, time, session and view ids, and the properties its schema requires.
pub fn new_event(
    name: &str,
    schema: Option<&Value>,
    time: jiff::Timestamp,
    ids: &mut IdSource,
    session_id: &str,
    view_id: &str,
) -> Value {
    let properties = schema
        .map(|s| placeholder("properties", s, time, ids))
        .filter(Value::is_object)
        .unwrap_or_else(|| json!({}));
    json!({
        "name": name,
        "time": rfc3339(time),
        "session_id": session_id,
        "view_id": view_id,
        "properties": properties,
    })
}

/// The editor's opening text: one Pageview valid against the demo workspace's schema.
pub fn example_events(time: jiff::Timestamp, session_id: &str, view_id: &str) -> String {
    let events = json!([{
        "name": "Pageview",
        "time": rfc3339(time),
        "session_id": session_id,
        "view_id": view_id,
        "properties": {
            "article": {
                "title": "Late winner seals the derby",
                "category": "football"
            },
            "client": {
                "url": "https://www.dailycourier.example/football/derby-report",
                "domain": "www.dailycourier.example",
                "type": "web"
            }
        }
    }]);
    serde_json::to_string_pretty(&events).unwrap_or_default()
}
