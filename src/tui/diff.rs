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
    /// A tree of keys: (parent, key).
    nodes: Vec<(u32, String)>,
}

impl PrettyJson {
    pub fn new(value: &Value) -> PrettyJson {
        let mut out = PrettyJson {
            lines: Vec::new(),
            line_node: Vec::new(),
            nodes: vec![(0, String::new())],
        };
        out.write(None, value, 0, 0, false);
        out
    }

    /// The path of a line: keys from the top, e.g. `["internal_state", "1001"]`.
    pub fn path(&self, line: usize) -> Vec<&str> {
        let mut keys = Vec::new();
        let mut node = self.line_node.get(line).copied().unwrap_or(0);
        while node != 0 {
            let (parent, key) = &self.nodes[node as usize];
            keys.push(key.as_str());
            node = *parent;
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
            Some(k) => {
                self.nodes.push((parent, k.to_string()));
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
    if items
        .iter()
        .any(|v| matches!(v, Value::Object(m) if !m.is_empty()) || matches!(v, Value::Array(a) if !a.is_empty()))
    {
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
            let lines: Vec<String> = text.unwrap_or_default().lines().map(str::to_string).collect();
            PrettyJson {
                line_node: vec![0; lines.len()],
                lines,
                nodes: vec![(0, String::new())],
            }
        }
    }
}

/// A call's state diff, ready to draw.
#[derive(Debug, Default, Clone)]
pub struct StateDiff {
    /// Hunks with a header naming the JSON path, changed lines and some context.
    pub changes: Vec<Line<'static>>,
    /// The whole after-state, changed lines marked.
    pub full: Vec<Line<'static>>,
    pub added: usize,
    pub removed: usize,
}

impl StateDiff {
    pub fn is_empty(&self) -> bool {
        self.added == 0 && self.removed == 0
    }
}

/// Diffs two states (JSON text; `None` = no state yet).
pub fn state_diff(before: Option<&str>, after: Option<&str>, theme: Theme) -> StateDiff {
    let old = pretty_state(before);
    let new = pretty_state(after);
    let deadline = Instant::now() + DIFF_TIME_LIMIT;
    let ops = capture_diff_slices_deadline(
        Algorithm::Myers,
        &old.lines,
        &new.lines,
        Some(deadline.into()),
    );
    let (mut added, mut removed) = (0, 0);
    for op in &ops {
        let (tag, o, n) = op.as_tag_tuple();
        match tag {
            DiffTag::Equal => {}
            DiffTag::Delete => removed += o.len(),
            DiffTag::Insert => added += n.len(),
            DiffTag::Replace => {
                removed += o.len();
                added += n.len();
            }
        }
    }
    let full = full_lines(&ops, &new, theme);
    let changes = change_lines(ops, &old, &new, theme);
    StateDiff {
        changes,
        full,
        added,
        removed,
    }
}

fn line(marker: &'static str, text: &str, style: ratatui::style::Style) -> Line<'static> {
    Line::from(vec![
        Span::styled(marker, style),
        Span::styled(text.to_string(), style),
    ])
}

fn full_lines(ops: &[DiffOp], new: &PrettyJson, theme: Theme) -> Vec<Line<'static>> {
    let mut out = Vec::with_capacity(new.lines.len());
    for op in ops {
        let (tag, _, n) = op.as_tag_tuple();
        match tag {
            DiffTag::Equal => {
                out.extend(new.lines[n].iter().map(|l| line("  ", l, theme.plain())));
            }
            DiffTag::Insert | DiffTag::Replace => {
                out.extend(new.lines[n].iter().map(|l| line("+ ", l, theme.added())));
            }
            DiffTag::Delete => {}
        }
    }
    out
}

fn change_lines(
    ops: Vec<DiffOp>,
    old: &PrettyJson,
    new: &PrettyJson,
    theme: Theme,
) -> Vec<Line<'static>> {
    let mut out = Vec::new();
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
        out.push(Line::from(Span::styled(format!("@@ {label} @@"), theme.hunk())));
        for op in &group {
            let (tag, o, n) = op.as_tag_tuple();
            match tag {
                DiffTag::Equal => {
                    out.extend(new.lines[n].iter().map(|l| line("  ", l, theme.muted())));
                }
                DiffTag::Delete => {
                    out.extend(old.lines[o].iter().map(|l| line("- ", l, theme.removed())));
                }
                DiffTag::Insert => {
                    out.extend(new.lines[n].iter().map(|l| line("+ ", l, theme.added())));
                }
                DiffTag::Replace => {
                    out.extend(old.lines[o].iter().map(|l| line("- ", l, theme.removed())));
                    out.extend(new.lines[n].iter().map(|l| line("+ ", l, theme.added())));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(lines: &[Line<'_>]) -> Vec<String> {
        lines.iter().map(|l| l.to_string()).collect()
    }

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
        let before = r#"{"internal_state":{"1001":{"c":["p",2]}},"external_state":{},"cohorts":[]}"#;
        let after = r#"{"internal_state":{"1001":{"c":["p",3]}},"external_state":{},"cohorts":["1001"]}"#;
        let diff = state_diff(Some(before), Some(after), Theme::default());
        let lines = text(&diff.changes);
        assert!(lines.contains(&"@@ cohorts @@".to_string()), "{lines:#?}");
        assert!(lines.contains(&"-   \"cohorts\": [],".to_string()), "{lines:#?}");
        assert!(lines.contains(&"+   \"cohorts\": [\"1001\"],".to_string()), "{lines:#?}");
        assert_eq!((diff.added, diff.removed), (2, 2));
        assert_eq!(diff.full.len(), 9);
    }

    #[test]
    fn no_state_before_means_all_added() {
        let diff = state_diff(None, Some(r#"{"cohorts":[]}"#), Theme::default());
        assert_eq!(diff.added, 3);
        assert_eq!(text(&diff.changes)[0], "@@ state @@");
    }
}
