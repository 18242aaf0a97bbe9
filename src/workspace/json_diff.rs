//! A line diff of two JSON values whose hunks are headed by the JSON path they change, as the
//! console's state diff does: both values pretty-printed with sorted keys (so key order is no
//! change), one line per scalar or container edge, each line knowing its path; `similar` diffs
//! the lines and groups the changes with some context.

use std::fmt::Write as _;

use serde_json::Value;
use similar::{Algorithm, DiffTag, capture_diff_slices, group_diff_ops};

/// Lines of context around each change.
const CONTEXT: usize = 2;

/// A value as lines, each with the JSON path of the node it belongs to.
struct Lines {
    text: Vec<String>,
    paths: Vec<String>,
}

impl Lines {
    fn of(value: &Value, root: &str) -> Lines {
        let mut lines = Lines {
            text: Vec::new(),
            paths: Vec::new(),
        };
        lines.write(None, value, root, 0, false);
        lines
    }

    fn push(&mut self, text: String, path: &str) {
        self.text.push(text);
        self.paths.push(path.to_string());
    }

    fn write(&mut self, key: Option<&str>, value: &Value, path: &str, indent: usize, comma: bool) {
        let pad = "  ".repeat(indent);
        let label = key.map_or(String::new(), |k| format!("{}: ", quote(k)));
        let tail = if comma { "," } else { "" };
        match value {
            Value::Object(map) if !map.is_empty() => {
                self.push(format!("{pad}{label}{{"), path);
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                let last = keys.len() - 1;
                for (i, k) in keys.into_iter().enumerate() {
                    let child = format!("{path}.{k}");
                    self.write(Some(k), &map[k], &child, indent + 1, i < last);
                }
                self.push(format!("{pad}}}{tail}"), path);
            }
            Value::Array(items) if !items.is_empty() => {
                self.push(format!("{pad}{label}["), path);
                let last = items.len() - 1;
                for (i, item) in items.iter().enumerate() {
                    let child = format!("{path}[{i}]");
                    self.write(None, item, &child, indent + 1, i < last);
                }
                self.push(format!("{pad}]{tail}"), path);
            }
            scalar => self.push(format!("{pad}{label}{scalar}{tail}"), path),
        }
    }
}

fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\""))
}

/// One hunk: the path of its first change, and its lines (` `, `-` or `+` first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hunk {
    pub path: String,
    pub lines: Vec<String>,
}

/// The hunks that turn `old` into `new`; none when they are equal (key order aside).
pub fn json_diff(old: &Value, new: &Value, root: &str) -> Vec<Hunk> {
    let old = Lines::of(old, root);
    let new = Lines::of(new, root);
    let ops = capture_diff_slices(Algorithm::Myers, &old.text, &new.text);
    let mut hunks = Vec::new();
    for group in group_diff_ops(ops, CONTEXT) {
        let Some(first) = group.iter().find(|op| op.tag() != DiffTag::Equal) else {
            continue;
        };
        let (tag, o, n) = first.as_tag_tuple();
        let path = match tag {
            DiffTag::Delete => old.paths[o.start].clone(),
            _ => new.paths[n.start].clone(),
        };
        let mut lines = Vec::new();
        for op in &group {
            let (tag, o, n) = op.as_tag_tuple();
            match tag {
                DiffTag::Equal => lines.extend(n.map(|i| format!("  {}", new.text[i]))),
                DiffTag::Delete => lines.extend(o.map(|i| format!("- {}", old.text[i]))),
                DiffTag::Insert => lines.extend(n.map(|i| format!("+ {}", new.text[i]))),
                DiffTag::Replace => {
                    lines.extend(o.map(|i| format!("- {}", old.text[i])));
                    lines.extend(n.map(|i| format!("+ {}", new.text[i])));
                }
            }
        }
        hunks.push(Hunk { path, lines });
    }
    hunks
}

/// Hunks as text, each line indented by `indent`.
pub fn hunks_text(hunks: &[Hunk], indent: &str) -> String {
    let mut out = String::new();
    for hunk in hunks {
        let _ = writeln!(out, "{indent}@@ {} @@", hunk.path);
        for line in &hunk.lines {
            let _ = writeln!(out, "{indent}{line}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hunks_name_the_changed_path() {
        let old = json!({"event": "Pageview", "frequency": {"greater_than_or_equal_to": 3},
                         "where": {"property": "properties.article.category", "condition": {"equal_to": "football"}}});
        let new = json!({"where": {"condition": {"equal_to": "football"}, "property": "properties.article.category"},
                         "event": "Pageview", "frequency": {"greater_than_or_equal_to": 2}});
        let hunks = json_diff(&old, &new, "query");
        assert_eq!(hunks.len(), 1, "{hunks:#?}");
        assert_eq!(hunks[0].path, "query.frequency.greater_than_or_equal_to");
        assert!(
            hunks[0]
                .lines
                .contains(&"-     \"greater_than_or_equal_to\": 3".to_string())
        );
        assert!(
            hunks[0]
                .lines
                .contains(&"+     \"greater_than_or_equal_to\": 2".to_string())
        );
    }

    #[test]
    fn equal_up_to_key_order_is_no_diff() {
        let a = json!({"a": 1, "b": [1, {"c": 2, "d": 3}]});
        let b = json!({"b": [1, {"d": 3, "c": 2}], "a": 1});
        assert!(json_diff(&a, &b, "query").is_empty());
    }

    #[test]
    fn array_elements_have_indexed_paths() {
        let old = json!({"and": [{"event": "A"}, {"event": "B"}]});
        let new = json!({"and": [{"event": "A"}, {"event": "C"}]});
        let hunks = json_diff(&old, &new, "query");
        assert_eq!(hunks[0].path, "query.and[1].event");
    }
}
