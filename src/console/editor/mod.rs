//! The events editor: a text area holding the request's `events` array, checked as it is typed,
//! plus the text operations the console offers on it (insert an event, pretty-print).

use ratatui::style::Style;
use ratatui_textarea::{CursorMove, TextArea};
use serde_json::Value;
use serde_json::value::RawValue;

mod check;
mod events;
pub mod locate;
mod problems;
pub mod shift;

use super::theme::Theme;
pub use check::{Check, Problem};
use check::{check_events, position, syntax_problem};
pub use events::{example_events, new_event, placeholder};
pub use problems::{Schemas, ServerViolation, compile as compile_schemas, is_placeholder_problem};
pub use shift::{Step, shift_events};

/// Ctrl+T's one-line prompt: the step to move the events by, as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepPrompt {
    pub text: String,
    /// The text is the last step, offered: the first key typed replaces it.
    pub offered: bool,
    /// Why the last Enter did not shift.
    pub error: Option<String>,
}

/// The text pretty-printed (keys in the order written), or where it is not JSON.
pub fn pretty(text: &str) -> Result<String, Problem> {
    let value: Value = serde_json::from_str(text).map_err(|e| syntax_problem(text, &e))?;
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

/// The text area and its live check.
pub struct Editor {
    pub(crate) area: TextArea<'static>,
    pub(crate) check: Check,
    /// What does not stop F5, by line: schema violations, placeholders, a 400's violations.
    pub(crate) problems: Vec<Problem>,
    /// The workspace's event schemas, when the console has them.
    schemas: Option<Schemas>,
    /// The last 400's violations (they mark their events while those are as sent).
    server: Vec<ServerViolation>,
    /// The line whose problems the status line last told (so moving on it says them once).
    pub(crate) told_line: Option<usize>,
    /// How many problems the status line last counted (an edit that changes it says so).
    pub(crate) told_count: usize,
    /// Ctrl+T's prompt, while open (it takes the keys).
    pub(crate) step_prompt: Option<StepPrompt>,
    /// The step Ctrl+T offers: the last one used.
    pub(crate) last_step: Step,
    /// The text F5 was warned about (the same events as a call that counted): a second F5
    /// with the text unchanged sends it.
    pub(crate) resend_warned: Option<String>,
    theme: Theme,
}

impl std::fmt::Debug for Editor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Editor")
            .field("lines", &self.area.lines().len())
            .field("check", &self.check)
            .field("problems", &self.problems.len())
            .finish()
    }
}

impl Editor {
    pub fn new(text: &str, theme: Theme) -> Editor {
        let mut editor = Editor {
            area: TextArea::default(),
            check: Check::Valid { events: 0 },
            problems: Vec::new(),
            schemas: None,
            server: Vec::new(),
            told_line: None,
            told_count: 0,
            step_prompt: None,
            last_step: Step { seconds: 30 * 60 },
            resend_warned: None,
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

    /// Runs the live check on the text: what stops F5 ([`Check`]) and what does not
    /// ([`Editor::problems`]). Microseconds for the ten events a request may carry; a pasted
    /// megabyte costs one parse more than the blocking check already made.
    pub fn recheck(&mut self) {
        let text = self.text();
        self.check = check_events(&text);
        self.problems = problems::problems(&text, self.schemas.as_ref(), &self.server);
    }

    /// The workspace's event schemas changed (or came): check the text against them.
    pub fn set_schemas(&mut self, schemas: Option<Schemas>) {
        self.schemas = schemas;
        self.recheck();
    }

    /// A call's 400 listed these violations (empty: the last call was not refused so).
    pub fn set_server_violations(&mut self, server: Vec<ServerViolation>) {
        self.server = server;
        self.recheck();
    }

    /// Every problem, the blocking one first: what the gutter marks and the border counts.
    pub fn all_problems(&self) -> impl Iterator<Item = &Problem> {
        let blocking = match &self.check {
            Check::Invalid(problem) => Some(problem),
            Check::Valid { .. } => None,
        };
        blocking.into_iter().chain(&self.problems)
    }

    /// The problems of a 1-based line.
    pub fn problems_on(&self, line: usize) -> Vec<&Problem> {
        self.all_problems().filter(|p| p.line == line).collect()
    }

    /// The 1-based line of the cursor.
    pub fn cursor_line(&self) -> usize {
        self.area.cursor().0 + 1
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
        self.select_first_placeholder();
    }

    /// Selects the first `<placeholder>` of the event under the cursor, so that typing replaces
    /// it; leaves the cursor where it is when there is none.
    fn select_first_placeholder(&mut self) {
        let text = self.text();
        let cursor = self.cursor_offset();
        let Some(events) = locate::event_offsets(&text) else {
            return;
        };
        let Some(event) = events.iter().rposition(|(start, _)| *start <= cursor) else {
            return;
        };
        if let Some((at, len)) = problems::first_placeholder(&text, event) {
            self.jump_to_offset(&text, at);
            self.area.start_selection();
            self.jump_to_offset(&text, at + len);
        }
    }

    /// Replaces the whole text as one undoable edit, the cursor kept where it was.
    pub fn replace_text(&mut self, text: &str) {
        let cursor = self.area.cursor();
        let (row, col) = (cursor.0, cursor.1);
        self.area.select_all();
        self.area.insert_str(text);
        let row = u16::try_from(row).unwrap_or(u16::MAX);
        let col = u16::try_from(col).unwrap_or(u16::MAX);
        self.area.move_cursor(CursorMove::Jump(row, col));
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
    use super::events::MAX_PLACEHOLDER_ITEMS;
    use super::*;
    use crate::console::env::IdSource;
    use serde_json::json;

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
        assert_eq!((p.line, p.column), (2, 14));
        assert_eq!(p.to_string(), "line 2: missing ',' after this value");
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
