//! The state diff: both states pretty-printed with sorted keys, diffed line by line with
//! `similar`, and turned into styled lines once per call, so drawing only slices them.

use std::time::{Duration, Instant};

use ratatui::text::{Line, Span};
use serde_json::Value;
use similar::{Algorithm, DiffOp, DiffTag, capture_diff_slices_deadline, group_diff_ops};

use super::theme::Theme;
use crate::api::cohort_order;

/// Arrays of scalars shorter than this are written on one line (e.g. `["p", 3]`).
const INLINE_ARRAY_WIDTH: usize = 60;
/// Lines of context around each change.
const CONTEXT: usize = 3;
/// A diff that takes longer than this falls back to a coarser (still correct) answer.
const DIFF_TIME_LIMIT: Duration = Duration::from_millis(300);

/// JSON pretty-printed for diffing: one line per scalar or container edge, object keys in
/// cohort order (numeric codes by value), and for each line the JSON path it belongs to.
#[derive(Debug, Default, Clone)]
pub struct PrettyJson {
    pub lines: Vec<String>,
    /// For each line, its node in `nodes` (0 = the top level).
    line_node: Vec<u32>,
    /// A tree of keys: (parent node, the line whose key it is). Keys are read back from the
    /// line only when a path is asked for (hunk headers), which keeps printing cheap.
    nodes: Vec<(u32, u32)>,
}

impl PrettyJson {
    pub fn new(value: &Value) -> PrettyJson {
        let mut out = PrettyJson {
            lines: Vec::new(),
            line_node: Vec::new(),
            nodes: vec![(0, 0)],
        };
        out.write(None, value, 0, 0, false);
        out
    }

    /// The path of a line: keys from the top, e.g. `["internal_state", "1001"]`.
    pub fn path(&self, line: usize) -> Vec<String> {
        let mut keys = Vec::new();
        let mut node = self.line_node.get(line).copied().unwrap_or(0);
        while node != 0 {
            let (parent, key_line) = self.nodes[node as usize];
            keys.push(key_of(&self.lines[key_line as usize]));
            node = parent;
        }
        keys.reverse();
        keys
    }

    fn push(&mut self, text: String, node: u32) {
        self.lines.push(text);
        self.line_node.push(node);
    }

    fn write(&mut self, key: Option<&str>, value: &Value, indent: usize, parent: u32, comma: bool) {
        let node = match key {
            Some(_) => {
                self.nodes.push((parent, self.lines.len() as u32));
                (self.nodes.len() - 1) as u32
            }
            None => parent,
        };
        let pad = "  ".repeat(indent);
        let label = key.map_or(String::new(), |k| format!("{}: ", quote(k)));
        let tail = if comma { "," } else { "" };
        match value {
            Value::Object(map) if !map.is_empty() => {
                self.push(format!("{pad}{label}{{"), node);
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort_by(|a, b| cohort_order(a, b));
                let last = keys.len() - 1;
                for (i, k) in keys.into_iter().enumerate() {
                    self.write(Some(k), &map[k], indent + 1, node, i < last);
                }
                self.push(format!("{pad}}}{tail}"), node);
            }
            Value::Array(items) if !items.is_empty() => {
                if let Some(inline) = inline_array(items) {
                    self.push(format!("{pad}{label}{inline}{tail}"), node);
                    return;
                }
                self.push(format!("{pad}{label}["), node);
                let last = items.len() - 1;
                for (i, item) in items.iter().enumerate() {
                    self.write(None, item, indent + 1, node, i < last);
                }
                self.push(format!("{pad}]{tail}"), node);
            }
            scalar => self.push(format!("{pad}{label}{}{tail}", scalar_text(scalar)), node),
        }
    }
}

/// The key a `"key": …` line starts with.
fn key_of(line: &str) -> String {
    serde_json::Deserializer::from_str(line.trim_start())
        .into_iter::<String>()
        .next()
        .and_then(Result::ok)
        .unwrap_or_default()
}

fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\""))
}

fn scalar_text(value: &Value) -> String {
    match value {
        Value::Object(_) => "{}".into(),
        Value::Array(_) => "[]".into(),
        Value::String(s) => quote(s),
        other => other.to_string(),
    }
}

fn inline_array(items: &[Value]) -> Option<String> {
    if items.iter().any(|v| {
        matches!(v, Value::Object(m) if !m.is_empty())
            || matches!(v, Value::Array(a) if !a.is_empty())
    }) {
        return None;
    }
    let parts: Vec<String> = items.iter().map(scalar_text).collect();
    let text = format!("[{}]", parts.join(", "));
    (text.chars().count() <= INLINE_ARRAY_WIDTH).then_some(text)
}

/// The pretty lines of a state's JSON text; text that is not JSON is shown as it is.
pub fn pretty_state(text: Option<&str>) -> PrettyJson {
    match text.map(serde_json::from_str::<Value>) {
        None => PrettyJson::default(),
        Some(Ok(value)) => PrettyJson::new(&value),
        Some(Err(_)) => {
            let lines: Vec<String> = text
                .unwrap_or_default()
                .lines()
                .map(str::to_string)
                .collect();
            PrettyJson {
                line_node: vec![0; lines.len()],
                lines,
                nodes: vec![(0, 0)],
            }
        }
    }
}

/// One row of a diff view: an index into the old or new lines, or a hunk header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Row {
    Header(u32),
    Context(u32),
    Removed(u32),
    Added(u32),
    /// An unchanged line of the full after-state.
    Same(u32),
}

/// A call's state diff. Lines are kept as text plus rows of indices, and styled only when drawn
/// (only the visible rows), so neither computing nor drawing allocates per line more than once.
#[derive(Debug, Default, Clone)]
pub struct StateDiff {
    old: Vec<String>,
    new: Vec<String>,
    headers: Vec<String>,
    /// Hunks with a header naming the JSON path, changed lines and some context.
    changes: Vec<Row>,
    /// The whole after-state, changed lines marked.
    full: Vec<Row>,
    pub added: usize,
    pub removed: usize,
}

impl StateDiff {
    pub fn is_empty(&self) -> bool {
        self.added == 0 && self.removed == 0
    }

    /// Rows in the changes-only view (`full = false`) or the full after-state.
    pub fn len(&self, full: bool) -> usize {
        if full {
            self.full.len()
        } else {
            self.changes.len()
        }
    }

    /// One row, styled, borrowing its text.
    pub fn line(&self, full: bool, row: usize, theme: Theme) -> Line<'_> {
        let rows = if full { &self.full } else { &self.changes };
        let Some(row) = rows.get(row) else {
            return Line::default();
        };
        match *row {
            Row::Header(i) => Line::from(Span::styled(
                self.headers[i as usize].as_str(),
                theme.hunk(),
            )),
            Row::Context(i) => styled("  ", &self.new[i as usize], theme.muted()),
            Row::Same(i) => styled("  ", &self.new[i as usize], theme.plain()),
            Row::Removed(i) => styled("- ", &self.old[i as usize], theme.removed()),
            Row::Added(i) => styled("+ ", &self.new[i as usize], theme.added()),
        }
    }

    /// [`StateDiff::line`], with the epoch times on it as dates after it (muted, after `←`:
    /// visibly not part of the state, whose text stays as it is) when they fit in `width`.
    pub fn line_with_dates(&self, full: bool, row: usize, theme: Theme, width: usize) -> Line<'_> {
        let mut line = self.line(full, row, theme);
        let rows = if full { &self.full } else { &self.changes };
        let text = match rows.get(row) {
            Some(Row::Context(i) | Row::Same(i) | Row::Added(i)) => &self.new[*i as usize],
            Some(Row::Removed(i)) => &self.old[*i as usize],
            Some(Row::Header(_)) | None => return line,
        };
        if let Some(dates) = time_annotation(text) {
            let note = format!("  ← {dates}");
            if line.width() + note.chars().count() <= width {
                line.spans.push(Span::styled(note, theme.muted()));
            }
        }
        line
    }

    /// The rows as plain text (tests, screenshots).
    pub fn text(&self, full: bool) -> Vec<String> {
        (0..self.len(full))
            .map(|i| self.line(full, i, Theme::default()).to_string())
            .collect()
    }
}

/// The epoch times written on a line of state, as dates: `2026-03-02 08:15:00 UTC`, or several
/// in the order they appear (`2026-03-02 08:15:00, 2026-03-03 09:00:30 UTC`). A time is a whole
/// number outside any string, in seconds or milliseconds since 1970, between 2000 and 2100:
/// the emulator's state keeps its times in milliseconds (an assumption for other states: the
/// real API's state is opaque and undocumented, so this only annotates, never changes it).
pub fn time_annotation(text: &str) -> Option<String> {
    const FROM_S: i64 = 946_684_800; // 2000-01-01
    const TO_S: i64 = 4_102_444_800; // 2100-01-01
    let mut dates: Vec<String> = Vec::new();
    let bytes = text.as_bytes();
    let (mut i, mut in_string) = (0, false);
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            match b {
                b'\\' => i += 1,
                b'"' => in_string = false,
                _ => {}
            }
            i += 1;
            continue;
        }
        if b == b'"' {
            in_string = true;
            i += 1;
            continue;
        }
        // A number token: digits, and what else a JSON number may hold.
        let start = i;
        while i < bytes.len() && matches!(bytes[i], b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-')
        {
            i += 1;
        }
        if i == start {
            i += 1;
            continue;
        }
        let Ok(n) = text[start..i].parse::<i64>() else {
            continue;
        };
        let ms = if (FROM_S..TO_S).contains(&n) {
            n * 1000
        } else if (FROM_S * 1000..TO_S * 1000).contains(&n) {
            n
        } else {
            continue;
        };
        let Ok(time) = jiff::Timestamp::from_millisecond(ms) else {
            continue;
        };
        let date = time.strftime("%Y-%m-%d %H:%M:%S").to_string();
        if !dates.contains(&date) {
            dates.push(date);
        }
    }
    (!dates.is_empty()).then(|| format!("{} UTC", dates.join(", ")))
}

fn styled<'a>(marker: &'static str, text: &'a str, style: ratatui::style::Style) -> Line<'a> {
    Line::from(vec![Span::styled(marker, style), Span::styled(text, style)])
}

/// Diffs two states (JSON text; `None` = no state yet).
pub fn state_diff(before: Option<&str>, after: Option<&str>) -> StateDiff {
    let old = pretty_state(before);
    let new = pretty_state(after);
    let deadline = Instant::now() + DIFF_TIME_LIMIT;
    let ops =
        capture_diff_slices_deadline(Algorithm::Myers, &old.lines, &new.lines, Some(deadline));
    let (mut added, mut removed) = (0, 0);
    let mut full = Vec::with_capacity(new.lines.len());
    for op in &ops {
        let (tag, o, n) = op.as_tag_tuple();
        let n32 = n.start as u32..n.end as u32;
        match tag {
            DiffTag::Equal => full.extend(n32.map(Row::Same)),
            DiffTag::Delete => removed += o.len(),
            DiffTag::Insert => {
                added += n.len();
                full.extend(n32.map(Row::Added));
            }
            DiffTag::Replace => {
                removed += o.len();
                added += n.len();
                full.extend(n32.map(Row::Added));
            }
        }
    }
    let mut headers = Vec::new();
    let mut changes = Vec::new();
    for group in group_diff_ops(ops, CONTEXT) {
        let first_change = group.iter().find(|op| op.tag() != DiffTag::Equal);
        let path = match first_change.map(DiffOp::as_tag_tuple) {
            Some((DiffTag::Delete, o, _)) => old.path(o.start),
            Some((_, _, n)) => new.path(n.start),
            None => Vec::new(),
        };
        let label = if path.is_empty() {
            "state".to_string()
        } else {
            path.join(" › ")
        };
        changes.push(Row::Header(headers.len() as u32));
        headers.push(format!("@@ {label} @@"));
        for op in &group {
            let (tag, o, n) = op.as_tag_tuple();
            let (o, n) = (o.start as u32..o.end as u32, n.start as u32..n.end as u32);
            match tag {
                DiffTag::Equal => changes.extend(n.map(Row::Context)),
                DiffTag::Delete => changes.extend(o.map(Row::Removed)),
                DiffTag::Insert => changes.extend(n.map(Row::Added)),
                DiffTag::Replace => {
                    changes.extend(o.map(Row::Removed));
                    changes.extend(n.map(Row::Added));
                }
            }
        }
    }
    StateDiff {
        old: old.lines,
        new: new.lines,
        headers,
        changes,
        full,
        added,
        removed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_keys_and_paths() {
        let value: Value = serde_json::from_str(
            r#"{"internal_state": {"1010": {"x": ["p", 1]}, "1001": {"c": ["p", 2]}}, "cohorts": ["1001"], "external_state": {}}"#,
        )
        .unwrap();
        let pretty = PrettyJson::new(&value);
        assert_eq!(
            pretty.lines,
            vec![
                "{",
                "  \"cohorts\": [\"1001\"],",
                "  \"external_state\": {},",
                "  \"internal_state\": {",
                "    \"1001\": {",
                "      \"c\": [\"p\", 2]",
                "    },",
                "    \"1010\": {",
                "      \"x\": [\"p\", 1]",
                "    }",
                "  }",
                "}",
            ]
        );
        assert_eq!(pretty.path(5), vec!["internal_state", "1001", "c"]);
        assert_eq!(pretty.path(4), vec!["internal_state", "1001"]);
        assert_eq!(pretty.path(1), vec!["cohorts"]);
    }

    #[test]
    fn hunks_name_the_path() {
        let before =
            r#"{"internal_state":{"1001":{"c":["p",2]}},"external_state":{},"cohorts":[]}"#;
        let after =
            r#"{"internal_state":{"1001":{"c":["p",3]}},"external_state":{},"cohorts":["1001"]}"#;
        let diff = state_diff(Some(before), Some(after));
        let lines = diff.text(false);
        assert!(lines.contains(&"@@ cohorts @@".to_string()), "{lines:#?}");
        assert!(
            lines.contains(&"-   \"cohorts\": [],".to_string()),
            "{lines:#?}"
        );
        assert!(
            lines.contains(&"+   \"cohorts\": [\"1001\"],".to_string()),
            "{lines:#?}"
        );
        assert_eq!((diff.added, diff.removed), (2, 2));
        assert_eq!(diff.len(true), 9);
    }

    /// Issue 13: the epoch times of a state line read as dates, beside it; the line itself is
    /// unchanged; strings (cohort codes, checksums) and other numbers are left alone.
    #[test]
    fn times_in_the_diff_are_annotated_as_dates() {
        assert_eq!(
            time_annotation(r#"  "51cfb9e373": [1772439300000, ["wp", 1772439300000, 1]]"#),
            Some("2026-03-02 08:15:00 UTC".into())
        );
        assert_eq!(
            time_annotation("[1764250000, 1772439330500, 2, 1.5]"),
            Some("2025-11-27 13:26:40, 2026-03-02 08:15:30 UTC".into())
        );
        assert_eq!(
            time_annotation(r#"  "1772439300000": ["p", 3, -1772439300000.5, 12345]"#),
            None
        );
        let before = r#"{"internal_state":{},"external_state":{},"cohorts":[]}"#;
        let after = r#"{"internal_state":{"1001":{"c":[1772439300000,["wp"]]}},"external_state":{},"cohorts":[]}"#;
        let diff = state_diff(Some(before), Some(after));
        let row = (0..diff.len(false))
            .find(|&i| {
                let line = diff.line(false, i, Theme::default()).to_string();
                line.contains("1772439300000")
            })
            .expect("the time's row");
        let plain = diff.line(false, row, Theme::default()).to_string();
        let dated = diff.line_with_dates(false, row, Theme::default(), 200);
        assert_eq!(
            dated.to_string(),
            format!("{plain}  ← 2026-03-02 08:15:00 UTC"),
            "the line as it was, then the date"
        );
        let note = dated.spans.last().unwrap();
        assert_eq!(note.style, Theme::default().muted());
        // Where it does not fit, the line is drawn alone.
        let width = plain.chars().count() + 5;
        let narrow = diff.line_with_dates(false, row, Theme::default(), width);
        assert_eq!(narrow.to_string(), plain);
    }

    #[test]
    fn no_state_before_means_all_added() {
        let diff = state_diff(None, Some(r#"{"cohorts":[]}"#));
        assert_eq!(diff.added, 3);
        assert_eq!(diff.text(false)[0], "@@ state @@");
    }
}
