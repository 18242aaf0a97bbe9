//! The fast path of reading a request's `events`: one pass over their text, straight into the
//! engine's events, properties included ([`engine::Properties::read`]).
//!
//! It takes only what it can accept without a word to say: the plain form a client sends (no
//! escapes in the fields it reads, no field given twice) of events that pass every check of the
//! contract. Anything else gives `None`, and the serde path reads the events and decides, so an
//! error is always worded by that one path. Reading the events into `serde_json::Value` trees
//! cost more than the echo baseline's whole request (issue 15).

use crate::api::MAX_EVENTS;
use crate::engine::{self, Properties};
use crate::json::Cursor;

/// The events of `text` (the JSON text of `events`), if they are in the plain form and all pass
/// the contract's checks.
pub(super) fn read(text: &str) -> Option<Vec<engine::Event>> {
    let (events, end) = read_at(text, text.len() - text.trim_start().len())?;
    text[end..]
        .bytes()
        .all(|b| matches!(b, b' ' | b'\n' | b'\t' | b'\r'))
        .then_some(events)
}

/// [`read`] for the array at `text[start..]` (the request body, in its one pass), with the
/// position after it. What it reads is checked to be JSON as it goes.
pub(super) fn read_at(text: &str, start: usize) -> Option<(Vec<engine::Event>, usize)> {
    let mut r = Reader(Cursor::new(text, start));
    r.expect(b'[')?;
    r.ws();
    // An event of a plain request is a few hundred bytes.
    let mut events = Vec::with_capacity((text.len() / 200).clamp(1, MAX_EVENTS));
    if r.peek()? == b']' {
        r.pos += 1;
    } else {
        loop {
            events.push(r.event()?);
            if events.len() > MAX_EVENTS {
                return None;
            }
            if !r.next_member(b']')? {
                break;
            }
        }
    }
    Some((events, r.pos))
}

/// The events' grammar over a [`Cursor`] (its steps are the cursor's).
struct Reader<'t>(Cursor<'t>);

impl<'t> std::ops::Deref for Reader<'t> {
    type Target = Cursor<'t>;
    fn deref(&self) -> &Cursor<'t> {
        &self.0
    }
}

impl std::ops::DerefMut for Reader<'_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

/// The fields of an event the contract reads, as found.
#[derive(Default)]
struct Fields<'t> {
    name: Option<&'t str>,
    time: Option<&'t str>,
    /// `Some(None)` for an explicit `null`.
    view_id: Option<Option<&'t str>>,
    session_id: Option<Option<&'t str>>,
    properties: Option<Properties>,
}

impl<'t> Reader<'t> {
    /// A string, or `null` (`None`).
    fn string_or_null(&mut self) -> Option<Option<&'t str>> {
        if self.bytes[self.pos..].starts_with(b"null") {
            self.pos += 4;
            return Some(None);
        }
        self.plain_string().map(Some)
    }

    /// One event object, if it is plain and passes the contract's checks.
    fn event(&mut self) -> Option<engine::Event> {
        self.ws();
        self.expect(b'{')?;
        self.ws();
        let mut fields = Fields::default();
        loop {
            let key = self.plain_string()?;
            self.ws();
            self.expect(b':')?;
            self.ws();
            // A field given twice is left to serde (which keeps the last).
            match key {
                "name" if fields.name.is_none() => fields.name = Some(self.plain_string()?),
                "time" if fields.time.is_none() => fields.time = Some(self.plain_string()?),
                "view_id" if fields.view_id.is_none() => {
                    fields.view_id = Some(self.string_or_null()?);
                }
                "session_id" if fields.session_id.is_none() => {
                    fields.session_id = Some(self.string_or_null()?);
                }
                "properties" if fields.properties.is_none() => {
                    let (properties, end) = Properties::read(self.text, self.pos)?;
                    fields.properties = Some(properties);
                    self.pos = end;
                }
                "name" | "time" | "view_id" | "session_id" | "properties" => return None,
                // Checked to be JSON as the body's pass checks any value (an event is at depth 2).
                _ => self.pos = super::body_scan::skip_value(self.text, self.pos, 3)?,
            }
            if !self.next_member(b'}')? {
                break;
            }
        }
        fields.checked()
    }
}

impl Fields<'_> {
    /// The event, if it passes every check of `api::event_shape::check_event`.
    fn checked(self) -> Option<engine::Event> {
        let name = self.name.filter(|name| !name.is_empty())?;
        let time = self.time?.parse::<jiff::Timestamp>().ok()?;
        let id = |field: Option<Option<&str>>| match field.flatten() {
            None => Some(None),
            Some(id) => uuid::Uuid::parse_str(id)
                .is_ok()
                .then(|| Some(id.to_string())),
        };
        Some(engine::Event {
            view_id: id(self.view_id)?,
            session_id: id(self.session_id)?,
            name: name.to_string(),
            time,
            properties: self.properties?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::{Value, json};

    /// What the serde path gives for the same text, as JSON with times in milliseconds.
    fn by_serde(text: &str) -> Value {
        let mut events: Vec<Value> = serde_json::from_str(text).unwrap();
        for event in &mut events {
            let time: jiff::Timestamp = event["time"].as_str().unwrap().parse().unwrap();
            event["time"] = json!(time.as_millisecond());
            // Fields the engine does not read are not kept.
            event.as_object_mut().unwrap().retain(|key, _| {
                ["name", "time", "properties", "view_id", "session_id"].contains(&key.as_str())
            });
        }
        Value::Array(events)
    }

    fn as_json(events: &[engine::Event]) -> Value {
        Value::Array(
            events
                .iter()
                .map(|e| {
                    let mut event = json!({
                        "name": e.name,
                        "time": e.time.as_millisecond(),
                        "properties": e.properties.to_value(),
                    });
                    if let Some(id) = &e.view_id {
                        event["view_id"] = json!(id);
                    }
                    if let Some(id) = &e.session_id {
                        event["session_id"] = json!(id);
                    }
                    event
                })
                .collect(),
        )
    }

    #[test]
    fn plain_events_are_read_with_their_properties() {
        let text = r#"[
          {"name": "Pageview", "time": "2026-03-01T12:21:00Z", "extra": {"a": ["x y", 1]},
           "view_id": "6f1c1b7e-1d2a-4c3b-9e8f-0a1b2c3d4e5f", "session_id": null,
           "properties": {"article": {"category": "culture", "tags": ["a", "b"]}, "n": 1.5}},
          {"name":"Click","time":"2026-03-01T12:22:00.250Z","properties":{}}
        ]"#;
        let events = read(text).expect("plain events");
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].name, "Pageview");
        assert_eq!(
            events[0].view_id.as_deref(),
            Some("6f1c1b7e-1d2a-4c3b-9e8f-0a1b2c3d4e5f")
        );
        assert_eq!(events[0].session_id, None);
        assert_eq!(events[1].time.as_millisecond(), 1_772_367_720_250);
        let serde = by_serde(text);
        assert_eq!(
            events[0].properties.to_value(),
            serde[0]["properties"].clone()
        );
        assert_eq!(as_json(&events)[1], serde[1]);
        assert_eq!(read("[]").map(|e| e.len()), Some(0));
    }

    #[test]
    fn anything_the_contract_would_word_is_left_to_serde() {
        for text in [
            r#"[{"name": "", "time": "2026-03-01T12:21:00Z", "properties": {}}]"#,
            r#"[{"name": 1, "time": "2026-03-01T12:21:00Z", "properties": {}}]"#,
            r#"[{"name": "A", "time": "yesterday", "properties": {}}]"#,
            r#"[{"name": "A", "properties": {}}]"#,
            r#"[{"name": "A", "time": "2026-03-01T12:21:00Z"}]"#,
            r#"[{"name": "A", "time": "2026-03-01T12:21:00Z", "properties": []}]"#,
            r#"[{"name": "A", "time": "2026-03-01T12:21:00Z", "properties": {}, "view_id": "x"}]"#,
            r#"[{"name": "A", "time": "2026-03-01T12:21:00Z", "properties": {}, "name": "B"}]"#,
            r#"[{"name": "\u0041", "time": "2026-03-01T12:21:00Z", "properties": {}}]"#,
            r#"[{"name": "A", "time": "2026-03-01T12:21:00Z", "properties": {"a": "\n"}}]"#,
            r#"[{"name": "A", "time": "2026-03-01T12:21:00Z", "properties": {}, "x": "\""}]"#,
            r#"[{"name": "A", "time": "2026-03-01T12:21:00Z", "properties": {"a": 1,}}]"#,
            r#"[{"name": "A", "time": "2026-03-01T12:21:00Z", "properties": {"a": tru}}]"#,
            r#"[1]"#,
            r#"{}"#,
        ] {
            assert!(read(text).is_none(), "{text}");
        }
        let too_many = format!(
            "[{}]",
            [r#"{"name":"A","time":"2026-03-01T12:21:00Z","properties":{}}"#; MAX_EVENTS + 1]
                .join(",")
        );
        assert!(read(&too_many).is_none());
    }

    fn properties() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            (-1.0e9f64..1.0e9).prop_map(Value::from),
            "[a-zA-Z0-9 _./:-]{0,16}".prop_map(Value::String),
        ];
        let value = leaf.prop_recursive(3, 32, 5, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                prop::collection::btree_map("[a-z_]{1,8}", inner, 0..5)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        });
        prop::collection::btree_map("[a-z_]{1,8}", value, 0..6)
            .prop_map(|m| Value::Object(m.into_iter().collect()))
    }

    fn event() -> impl Strategy<Value = Value> {
        (
            "[A-Za-z]{1,10}",
            0i64..4_000_000_000_000,
            properties(),
            proptest::option::of(any::<u128>()),
            any::<bool>(),
        )
            .prop_map(|(name, ms, properties, view, extra)| {
                let time = jiff::Timestamp::from_millisecond(ms).unwrap().to_string();
                let mut event = json!({"name": name, "time": time, "properties": properties});
                if let Some(view) = view {
                    event["view_id"] = json!(uuid::Uuid::from_u128(view).to_string());
                }
                if extra {
                    event["context"] = json!({"note": "a word", "n": [1, {"x": null}]});
                }
                event
            })
    }

    proptest! {
        #[test]
        fn plain_events_read_as_the_serde_path_reads_them(
            events in prop::collection::vec(event(), 0..6),
            pretty in any::<bool>(),
        ) {
            let events = Value::Array(events);
            let text = if pretty {
                serde_json::to_string_pretty(&events).unwrap()
            } else {
                serde_json::to_string(&events).unwrap()
            };
            let read = read(&text).expect("a client's plain events are read");
            prop_assert_eq!(as_json(&read), by_serde(&text));
            let contract = super::super::contract::check_events_with_serde(&text).unwrap();
            prop_assert_eq!(format!("{read:?}"), format!("{contract:?}"));
        }
    }
}
