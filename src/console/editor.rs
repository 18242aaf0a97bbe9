//! The events editor: a text area holding the request's `events` array, checked as it is typed,
//! plus the text operations the console offers on it (insert an event, pretty-print).

use ratatui::style::Style;
use ratatui_textarea::{CursorMove, TextArea};
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

use super::env::IdSource;
use super::theme::Theme;
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
fn position(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

fn problem_at(text: &str, offset: usize, message: impl Into<String>) -> Problem {
    let (line, column) = position(text, offset);
    Problem {
        line,
        column,
        message: message.into(),
    }
}

/// serde_json's message without its own " at line L column C" (the position is given apart).
fn serde_message(e: &serde_json::Error) -> String {
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

/// The text pretty-printed (keys in the order written), or where it is not JSON.
pub fn pretty(text: &str) -> Result<String, Problem> {
    let value: Value = serde_json::from_str(text).map_err(|e| Problem {
        line: e.line().max(1),
        column: e.column().max(1),
        message: serde_message(&e),
    })?;
    Ok(serde_json::to_string_pretty(&value).unwrap_or_default())
}

/// Where and what to insert so that a new event lands at the cursor and the array stays valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Insertion {
    /// Replace the whole text (it was empty).
    pub replace_all: bool,
    /// Byte offset in the old text.
    pub at: usize,
    pub text: String,
    /// Byte offset, within `text`, of the new event's `{`.
    pub event_start: usize,
}

fn indent_of_line(text: &str, offset: usize) -> String {
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    text[line_start..]
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect()
}

fn indented(event: &str, indent: &str) -> String {
    event.replace('\n', &format!("\n{indent}"))
}

/// Plans inserting `event` (pretty JSON) as a new array element after the element the cursor is
/// in or after (before the first one if the cursor is before it). If the text is not a JSON
/// array, the event goes in at the cursor as it is.
pub fn plan_insertion(text: &str, cursor: usize, event: &str) -> Insertion {
    if text.trim().is_empty() {
        let text = format!("[\n  {}\n]", indented(event, "  "));
        return Insertion {
            replace_all: true,
            at: 0,
            text,
            event_start: 4,
        };
    }
    let Ok(items) = serde_json::from_str::<Vec<&RawValue>>(text) else {
        return Insertion {
            replace_all: false,
            at: cursor.min(text.len()),
            text: event.to_string(),
            event_start: 0,
        };
    };
    let span = |raw: &RawValue| {
        let start = raw.get().as_ptr() as usize - text.as_ptr() as usize;
        (start, start + raw.get().len())
    };
    if items.is_empty() {
        let open = text.find('[').map_or(0, |i| i + 1);
        let base = indent_of_line(text, open);
        let inner = format!("{base}  ");
        return Insertion {
            replace_all: false,
            at: open,
            text: format!("\n{inner}{}\n{base}", indented(event, &inner)),
            event_start: 1 + inner.len(),
        };
    }
    let after = items
        .iter()
        .rev()
        .map(|r| span(r))
        .find(|(s, _)| *s <= cursor);
    match after {
        Some((start, end)) => {
            let indent = indent_of_line(text, start);
            Insertion {
                replace_all: false,
                at: end,
                text: format!(",\n{indent}{}", indented(event, &indent)),
                event_start: 2 + indent.len(),
            }
        }
        None => {
            let (start, _) = span(items[0]);
            let indent = indent_of_line(text, start);
            Insertion {
                replace_all: false,
                at: start,
                text: format!("{},\n{indent}", indented(event, &indent)),
                event_start: 0,
            }
        }
    }
}

/// The most items Ctrl+N writes for an array, whatever its `minItems` asks.
const MAX_PLACEHOLDER_ITEMS: u64 = 16;

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

/// The text area and its live check.
pub struct Editor {
    pub(crate) area: TextArea<'static>,
    pub(crate) check: Check,
    theme: Theme,
}

impl std::fmt::Debug for Editor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Editor")
            .field("lines", &self.area.lines().len())
            .field("check", &self.check)
            .finish()
    }
}

impl Editor {
    pub fn new(text: &str, theme: Theme) -> Editor {
        let mut editor = Editor {
            area: TextArea::default(),
            check: Check::Valid { events: 0 },
            theme,
        };
        editor.set_text(text);
        editor
    }

    fn styled(text: &str, theme: Theme) -> TextArea<'static> {
        let lines: Vec<String> = text.split('\n').map(str::to_string).collect();
        let mut area = TextArea::new(lines);
        area.set_line_number_style(theme.line_number());
        area.set_cursor_line_style(Style::new());
        area.set_cursor_style(theme.cursor());
        area.set_selection_style(theme.editor_selection());
        area.set_tab_length(2);
        area.set_max_histories(200);
        area
    }

    pub fn text(&self) -> String {
        self.area.lines().join("\n")
    }

    /// Replaces the whole text (undo history starts afresh).
    pub fn set_text(&mut self, text: &str) {
        let focused = self.area.cursor_style() != Style::new();
        self.area = Editor::styled(text, self.theme);
        self.set_focused(focused);
        self.recheck();
    }

    pub fn check(&self) -> &Check {
        &self.check
    }

    pub fn recheck(&mut self) {
        self.check = check_events(&self.text());
    }

    pub fn set_focused(&mut self, focused: bool) {
        self.area.set_cursor_style(if focused {
            self.theme.cursor()
        } else {
            Style::new()
        });
    }

    /// Byte offset of the cursor in [`Editor::text`].
    fn cursor_offset(&self) -> usize {
        let cursor = self.area.cursor();
        let (row, col) = (cursor.0, cursor.1);
        let lines = self.area.lines();
        let before: usize = lines.iter().take(row).map(|l| l.len() + 1).sum();
        let in_line = lines
            .get(row)
            .map(|l| l.char_indices().nth(col).map_or(l.len(), |(i, _)| i))
            .unwrap_or(0);
        before + in_line
    }

    fn jump_to_offset(&mut self, text: &str, offset: usize) {
        let (line, column) = position(text, offset);
        let row = u16::try_from(line - 1).unwrap_or(u16::MAX);
        let col = u16::try_from(column - 1).unwrap_or(u16::MAX);
        self.area.move_cursor(CursorMove::Jump(row, col));
    }

    /// Inserts an event (pretty JSON) at the cursor as a new array element; the cursor ends on
    /// the new event's first line. Undoable.
    pub fn insert_event(&mut self, event: &str) {
        let text = self.text();
        let plan = plan_insertion(&text, self.cursor_offset(), event);
        if plan.replace_all {
            self.area.select_all();
            self.area.insert_str(&plan.text);
            let new_text = self.text();
            self.jump_to_offset(&new_text, plan.event_start);
        } else {
            self.jump_to_offset(&text, plan.at);
            self.area.insert_str(&plan.text);
            let new_text = self.text();
            self.jump_to_offset(&new_text, plan.at + plan.event_start);
        }
        self.recheck();
    }

    /// Pretty-prints the text in place (undoable), or says where it is not JSON.
    pub fn format(&mut self) -> Result<(), Problem> {
        let pretty = pretty(&self.text())?;
        if pretty != self.text() {
            self.area.select_all();
            self.area.insert_str(&pretty);
            self.area.move_cursor(CursorMove::Top);
            self.area.move_cursor(CursorMove::Head);
        }
        self.recheck();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(text: &str) -> Problem {
        match check_events(text) {
            Check::Invalid(p) => p,
            Check::Valid { .. } => panic!("expected a problem in {text}"),
        }
    }

    const EVENT: &str = r#"{"name": "Pageview", "time": "2026-01-01T00:00:00Z", "properties": {}}"#;

    #[test]
    fn valid_events() {
        assert_eq!(
            check_events(&format!("[{EVENT}, {EVENT}]")),
            Check::Valid { events: 2 }
        );
        assert_eq!(check_events("[]"), Check::Valid { events: 0 });
        let example = example_events(jiff::Timestamp::now(), "a", "b");
        assert!(matches!(check_events(&example), Check::Invalid(_)));
        let ok = example_events(
            jiff::Timestamp::now(),
            &uuid::Uuid::new_v4().to_string(),
            &uuid::Uuid::new_v4().to_string(),
        );
        assert_eq!(check_events(&ok), Check::Valid { events: 1 });
    }

    #[test]
    fn syntax_error_has_a_position() {
        let p = problem("[\n  {\"name\": \"a\"\n   \"time\": 1}\n]");
        assert_eq!((p.line, p.column), (3, 4));
        assert_eq!(p.to_string(), "line 3, column 4: expected ',' or '}'");
    }

    #[test]
    fn field_problems() {
        let p = problem(r#"[{"time": "2026-01-01T00:00:00Z", "properties": {}}]"#);
        assert!(p.message.contains("\"name\" is missing"), "{p}");
        let p = problem("[\n{\"name\": \"a\",\n \"time\": \"yesterday\", \"properties\": {}}]");
        assert_eq!(p.line, 3);
        assert!(p.message.contains("RFC 3339"), "{p}");
        let p = problem(r#"[{"name": "a", "time": "2026-01-01T00:00:00Z"}]"#);
        assert!(p.message.contains("\"properties\" is missing"), "{p}");
        let many = [EVENT; 11].join(",\n");
        let p = problem(&format!("[{many}]"));
        assert!(p.message.contains("11 events"), "{p}");
        assert_eq!(p.line, 11);
        let p = problem(r#"{"name": "a"}"#);
        assert!(p.message.contains("JSON array"), "{p}");
    }

    #[test]
    fn insertion_after_the_cursor_element() {
        let text = format!("[\n  {EVENT}\n]");
        let plan = plan_insertion(&text, 5, "{\n  \"x\": 1\n}");
        let mut new = text.clone();
        new.insert_str(plan.at, &plan.text);
        assert!(!check_events(&new).is_valid());
        assert!(new.contains("},\n  {\n    \"x\": 1\n  }\n]"), "{new}");
        assert_eq!(&new[plan.at + plan.event_start..][..1], "{");
    }

    #[test]
    fn insertion_into_empty_and_before_first() {
        let plan = plan_insertion("[]", 0, EVENT);
        let mut new = "[]".to_string();
        new.insert_str(plan.at, &plan.text);
        assert_eq!(check_events(&new), Check::Valid { events: 1 });
        let text = format!("[ {EVENT} ]");
        let plan = plan_insertion(&text, 0, EVENT);
        let mut new = text.clone();
        new.insert_str(plan.at, &plan.text);
        assert_eq!(check_events(&new), Check::Valid { events: 2 });
    }

    #[test]
    fn placeholders_follow_the_schema() {
        let schema = json!({
            "type": "object",
            "properties": {
                "a": {"type": "object", "properties": {"t": {"type": "string"}}, "required": ["t"]},
                "n": {"type": "number", "minimum": 0},
                "k": {"type": "string", "enum": ["web", "amp"]},
                "o": {"type": "string"}
            },
            "required": ["a", "n", "k"]
        });
        assert_eq!(
            placeholder(
                "properties",
                &schema,
                jiff::Timestamp::now(),
                &mut IdSource::counter()
            ),
            json!({"a": {"t": "<t>"}, "n": 1, "k": "web"})
        );
    }

    #[test]
    fn absurd_schemas_give_small_placeholders_and_never_overflow() {
        let huge_min = json!({"type": "integer", "minimum": 9.3e18});
        assert_eq!(
            placeholder(
                "n",
                &huge_min,
                jiff::Timestamp::now(),
                &mut IdSource::counter()
            ),
            json!(i64::MAX)
        );
        let many =
            json!({"type": "array", "minItems": 4_000_000_000u64, "items": {"type": "string"}});
        assert_eq!(
            placeholder(
                "tags",
                &many,
                jiff::Timestamp::now(),
                &mut IdSource::counter()
            )
            .as_array()
            .map(Vec::len),
            Some(MAX_PLACEHOLDER_ITEMS as usize)
        );
    }

    #[test]
    fn editor_inserts_and_formats() {
        let mut editor = Editor::new("[]", Theme::default());
        let event = new_event(
            "Pageview",
            None,
            jiff::Timestamp::now(),
            &mut IdSource::Random,
            &uuid::Uuid::new_v4().to_string(),
            &uuid::Uuid::new_v4().to_string(),
        );
        editor.insert_event(&serde_json::to_string_pretty(&event).unwrap());
        assert_eq!(editor.check, Check::Valid { events: 1 });
        editor.insert_event(&serde_json::to_string_pretty(&event).unwrap());
        assert_eq!(editor.check, Check::Valid { events: 2 });
        editor.set_text(&format!("[{EVENT}]"));
        editor.format().unwrap();
        assert!(editor.text().starts_with("[\n  {\n    \"name\""));
    }
}
