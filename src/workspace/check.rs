//! `workspace check`: load a workspace directory as the emulator would and report, per cohort
//! and JSON path, what is wrong (errors: the emulator would refuse the workspace) and what is
//! suspicious (warnings: it loads, but probably does not do what was meant).
//!
//! The engine stops at a workspace's first query error; to report every broken cohort at once,
//! a broken cohort's query is set aside (replaced by one that loads) and the load is retried.
//!
//! Warnings: whatever the engine's loader warns about (logic beyond an AND of ORs, a Disabled
//! cohort, ...), and two of its own: a `where` on an event the workspace has no schema for, and a property
//! path the event's schema does not declare (a typo there is a clause that silently never
//! matches, since events that fail no schema still pass when synchronous validation is off).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;
use serde_json::Value;

use crate::emulator::workspace::{
    CohortRecord, assign_ids, compile_records, load_schema, parse_records, schema_files,
};
use crate::engine::LoadError;
use crate::exit::Exit;

/// The event that engagement clauses (`engaged_time`, …) read.
const ENGAGEMENT_EVENT: &str = "PageviewEngagement";
const ENGAGEMENT_CLAUSES: [&str; 3] = ["engaged_time", "engaged_completion", "engaged_views"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One thing `check` found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    /// The file, relative to the workspace directory (`cohorts.json`, `schemas/Pageview.json`).
    pub file: String,
    /// The cohort it is about, when it is about one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The JSON path in the file, e.g. `$[3].query.and[1].where`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// For a file that is not JSON: where it stops being JSON.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    pub message: String,
}

/// Everything `check` found in one workspace directory.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    pub dir: String,
    pub cohorts: usize,
    pub schemas: usize,
    pub errors: usize,
    pub warnings: usize,
    pub findings: Vec<Finding>,
}

impl CheckReport {
    /// Passed: clean (or warnings only, unless strict); a mismatch: warnings with `strict`;
    /// could not run: errors (the emulator would not load the directory).
    pub fn exit(&self, strict: bool) -> Exit {
        Exit::of(self.errors > 0, strict && self.warnings > 0)
    }

    /// For a terminal: one block per finding, then a summary line.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for f in &self.findings {
            let severity = match f.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            let mut place = f.file.clone();
            if let (Some(line), Some(column)) = (f.line, f.column) {
                let _ = write!(place, ":{line}:{column}");
            }
            if let Some(path) = &f.path {
                let _ = write!(place, " {path}");
            }
            let _ = write!(out, "{severity}: {place}");
            match (&f.code, &f.name) {
                (Some(code), Some(name)) => {
                    let _ = write!(out, " (cohort {code} \"{name}\")");
                }
                (Some(code), None) => {
                    let _ = write!(out, " (cohort {code})");
                }
                _ => {}
            }
            let _ = writeln!(out, "\n  {}", f.message);
        }
        let _ = writeln!(
            out,
            "{}: {} cohorts, {} event schemas: {} error(s), {} warning(s)",
            self.dir, self.cohorts, self.schemas, self.errors, self.warnings
        );
        out
    }

    /// For CI: the whole report as one JSON object.
    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// Checks the workspace in `dir`.
pub fn check(dir: &Path) -> CheckReport {
    let mut findings = Vec::new();
    let schemas = check_schemas(dir, &mut findings);
    let records = check_cohorts(dir, &mut findings);
    if let Some(records) = &records {
        for (i, record) in records.iter().enumerate() {
            if let Some(query) = &record.query {
                let mut walk = Walk {
                    schemas: &schemas,
                    record,
                    index: i,
                    findings: &mut findings,
                };
                walk.clause(query, "query");
            }
        }
    }
    findings.sort_by(|a, b| {
        (a.severity, &a.file, a.path.as_deref().map(path_order)).cmp(&(
            b.severity,
            &b.file,
            b.path.as_deref().map(path_order),
        ))
    });
    let errors = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    CheckReport {
        dir: dir.display().to_string(),
        cohorts: records.as_ref().map_or(0, Vec::len),
        schemas: schemas.len(),
        errors,
        warnings: findings.len() - errors,
        findings,
    }
}

/// `$[12].query` sorts after `$[3].query`: paths compared with their indices as numbers.
fn path_order(path: &str) -> Vec<(String, u64)> {
    path.split(['[', ']', '.'])
        .map(|part| match part.parse::<u64>() {
            Ok(n) => (String::new(), n),
            Err(_) => (part.to_string(), 0),
        })
        .collect()
}

/// Loads every schema file; each that does not load is an error. Returns the schemas that do.
fn check_schemas(dir: &Path, findings: &mut Vec<Finding>) -> BTreeMap<String, Value> {
    let mut schemas = BTreeMap::new();
    let Ok(files) = schema_files(&dir.join("schemas")) else {
        return schemas;
    };
    for (name, file) in files {
        match load_schema(&file) {
            Ok(schema) => {
                schemas.insert(name.clone(), schema.json);
            }
            Err(e) => findings.push(Finding {
                severity: Severity::Error,
                file: format!("schemas/{name}.json"),
                code: None,
                name: None,
                path: None,
                line: None,
                column: None,
                message: e.message,
            }),
        }
    }
    schemas
}

/// Loads `cohorts.json` as the emulator does, collecting every cohort's first error. Returns
/// the records when the file is at least a list of cohorts.
fn check_cohorts(dir: &Path, findings: &mut Vec<Finding>) -> Option<Vec<CohortRecord>> {
    let error = |message: String| Finding {
        severity: Severity::Error,
        file: "cohorts.json".into(),
        code: None,
        name: None,
        path: None,
        line: None,
        column: None,
        message,
    };
    let text = match std::fs::read_to_string(dir.join("cohorts.json")) {
        Ok(text) => text,
        Err(e) => {
            findings.push(error(format!("cannot read: {e}")));
            return None;
        }
    };
    let records = match parse_records(&text) {
        Ok(records) => records,
        Err(LoadError::Syntax {
            line,
            column,
            message,
        }) => {
            findings.push(Finding {
                line: Some(line),
                column: Some(column),
                ..error(message)
            });
            return None;
        }
        Err(e) => {
            findings.push(error(e.to_string()));
            return None;
        }
    };
    let mut trial = records.clone();
    if let Err(e) = assign_ids(&mut trial) {
        findings.push(error(e.to_string()));
    }
    // Each round either loads or sets aside one more broken query, so this ends.
    for _ in 0..=trial.len() {
        match compile_records(&trial) {
            Ok(compiled) => {
                // The loader's own warnings (beyond an AND of ORs, Disabled, ...).
                for warning in compiled.warnings() {
                    let index = trial.iter().position(|r| r.code.key() == warning.code);
                    findings.push(Finding {
                        severity: Severity::Warning,
                        code: Some(warning.code.clone()),
                        name: index.and_then(|i| trial[i].name.clone()),
                        path: Some(match index {
                            Some(i) => format!("$[{i}].{}", warning.path),
                            None => warning.path.clone(),
                        }),
                        ..error(warning.message.clone())
                    });
                }
                // A Disabled cohort loads and is never evaluated, as in Permutive: worth a word.
                for info in compiled.cohorts().iter().filter(|c| !c.enabled) {
                    let index = trial.iter().position(|r| r.code.key() == info.code);
                    findings.push(Finding {
                        severity: Severity::Warning,
                        code: Some(info.code.clone()),
                        name: Some(info.name.clone()),
                        path: index.map(|i| format!("$[{i}].state")),
                        ..error(
                            "Disabled: the emulator loads it but never evaluates it (no user enters it)"
                                .into(),
                        )
                    });
                }
                break;
            }
            Err(LoadError::Query {
                code,
                path,
                message,
            }) => {
                let index = trial.iter().position(|r| r.code.key() == code);
                findings.push(Finding {
                    code: Some(code),
                    name: index.and_then(|i| trial[i].name.clone()),
                    path: Some(match index {
                        Some(i) => format!("$[{i}].{path}"),
                        None => path,
                    }),
                    ..error(message)
                });
                match index {
                    Some(i) if trial[i].query != Some(set_aside()) => {
                        trial[i].query = Some(set_aside())
                    }
                    _ => break,
                }
            }
            Err(e) => {
                findings.push(error(e.to_string()));
                break;
            }
        }
    }
    Some(records)
}

/// The query a broken cohort gets while the others are checked: loads, refers to nothing.
fn set_aside() -> Value {
    serde_json::json!({"event": "segscope: set aside by check"})
}

/// The walk over one cohort's query for the schema warnings.
struct Walk<'a> {
    schemas: &'a BTreeMap<String, Value>,
    record: &'a CohortRecord,
    index: usize,
    findings: &'a mut Vec<Finding>,
}

impl Walk<'_> {
    fn warn(&mut self, path: &str, message: String) {
        self.findings.push(Finding {
            severity: Severity::Warning,
            file: "cohorts.json".into(),
            code: Some(self.record.code.key()),
            name: self.record.name.clone(),
            path: Some(format!("$[{}].{path}", self.index)),
            line: None,
            column: None,
            message,
        });
    }

    /// A clause of the query language: combinators, event clauses, engagement clauses.
    fn clause(&mut self, clause: &Value, path: &str) {
        let Some(map) = clause.as_object() else {
            return;
        };
        for combinator in ["and", "or"] {
            if let Some(Value::Array(items)) = map.get(combinator) {
                for (i, item) in items.iter().enumerate() {
                    self.clause(item, &format!("{path}.{combinator}[{i}]"));
                }
            }
        }
        if let Some(inner) = map.get("not") {
            self.clause(inner, &format!("{path}.not"));
        }
        if let (Some(Value::String(event)), Some(condition)) = (map.get("event"), map.get("where"))
        {
            self.event_condition(event, condition, &format!("{path}.where"));
        }
        for engagement in ENGAGEMENT_CLAUSES {
            if let Some(condition) = map.get(engagement).and_then(|c| c.get("where")) {
                self.event_condition(
                    ENGAGEMENT_EVENT,
                    condition,
                    &format!("{path}.{engagement}.where"),
                );
            }
        }
    }

    fn event_condition(&mut self, event: &str, condition: &Value, path: &str) {
        match self.schemas.get(event) {
            None => self.warn(
                path,
                format!(
                    "a \"where\" on {event} events, but the workspace has no schema for {event} (schemas/{event}.json): its property paths cannot be checked"
                ),
            ),
            Some(schema) => {
                let root = Node { schema, root: schema };
                self.condition(event, root, condition, path, true);
            }
        }
    }

    /// A `where` condition; `top` says paths are event paths (`properties.…`) rather than
    /// paths inside a list element (the `any`/`all` functions).
    fn condition(
        &mut self,
        event: &str,
        scope: Node<'_>,
        condition: &Value,
        path: &str,
        top: bool,
    ) {
        let Some(map) = condition.as_object() else {
            return;
        };
        for combinator in ["and", "or"] {
            if let Some(Value::Array(items)) = map.get(combinator) {
                for (i, item) in items.iter().enumerate() {
                    self.condition(
                        event,
                        scope,
                        item,
                        &format!("{path}.{combinator}[{i}]"),
                        top,
                    );
                }
            }
        }
        if let Some(inner) = map.get("not") {
            self.condition(event, scope, inner, &format!("{path}.not"), top);
        }
        let Some(Value::String(property)) = map.get("property") else {
            return;
        };
        let segments: Vec<&str> = if top {
            match property.strip_prefix("properties.") {
                Some(rest) => rest.split('.').collect(),
                // Not a path into the event's properties: nothing the schema can say.
                None => return,
            }
        } else {
            property.split('.').collect()
        };
        let found = match scope.find(&segments) {
            Lookup::Declared(node) => Some(node),
            Lookup::Unknowable => None,
            Lookup::Missing { at, declared } => {
                let known = if declared.is_empty() {
                    String::new()
                } else {
                    format!(" (declared there: {})", declared.join(", "))
                };
                let prefix = if top { "properties." } else { "" };
                let parent = segments[..at].join(".");
                let parent = if parent.is_empty() && top {
                    "properties".to_string()
                } else if top {
                    format!("{prefix}{parent}")
                } else {
                    parent
                };
                let within = if top {
                    format!("schemas/{event}.json")
                } else {
                    format!("the list elements in schemas/{event}.json")
                };
                self.warn(
                    &format!("{path}.property"),
                    format!(
                        "\"{property}\" is not declared in {within}: \"{}\" is not a property of {parent}{known}",
                        segments[at]
                    ),
                );
                None
            }
        };
        // The function form: inner paths are relative to each element of the list.
        if let Some(function) = map.get("condition").and_then(Value::as_object)
            && function.contains_key("function")
        {
            let Some(element) = found.and_then(|node| node.items()) else {
                return;
            };
            let inner_path = format!("{path}.condition");
            if let Some(Value::String(_)) = function.get("property") {
                self.condition(
                    event,
                    element,
                    &Value::Object(function.clone()),
                    &inner_path,
                    false,
                );
            }
            if let Some(selection) = function.get("where") {
                self.condition(
                    event,
                    element,
                    selection,
                    &format!("{inner_path}.where"),
                    false,
                );
            }
        }
    }
}

/// A place in a JSON Schema, with the document's root for `$ref`s.
#[derive(Clone, Copy)]
struct Node<'s> {
    schema: &'s Value,
    root: &'s Value,
}

enum Lookup<'s> {
    Declared(Node<'s>),
    /// The schema does not say (a `$ref` outside the file, pattern properties, no `properties`).
    Unknowable,
    /// `segments[at]` is not declared where it should be; `declared` are the names that are.
    Missing {
        at: usize,
        declared: Vec<String>,
    },
}

impl<'s> Node<'s> {
    /// Follows local `$ref`s (`#/$defs/x`).
    fn resolved(self) -> Option<Node<'s>> {
        let mut node = self;
        for _ in 0..32 {
            match node.schema.get("$ref").and_then(Value::as_str) {
                None => return Some(node),
                Some(reference) => {
                    let pointer = reference.strip_prefix('#')?;
                    node = Node {
                        schema: node.root.pointer(pointer)?,
                        root: node.root,
                    };
                }
            }
        }
        None
    }

    /// The schema of a list's elements.
    fn items(self) -> Option<Node<'s>> {
        let node = self.resolved()?;
        node.schema.get("items").map(|items| Node {
            schema: items,
            root: node.root,
        })
    }

    fn find(self, segments: &[&str]) -> Lookup<'s> {
        self.find_from(segments, 0)
    }

    fn find_from(self, segments: &[&str], at: usize) -> Lookup<'s> {
        let Some(node) = self.resolved() else {
            return Lookup::Unknowable;
        };
        let Some(segment) = segments.get(at) else {
            return Lookup::Declared(node);
        };
        // A numeric segment indexes a list.
        if segment.parse::<usize>().is_ok()
            && let Some(items) = node.items()
        {
            return items.find_from(segments, at + 1);
        }
        // Any branch of a combination that declares the path will do.
        let mut declared = Vec::new();
        let mut branches = 0;
        for key in ["allOf", "anyOf", "oneOf"] {
            for branch in node
                .schema
                .get(key)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                branches += 1;
                let branch = Node {
                    schema: branch,
                    root: node.root,
                };
                match branch.find_from(segments, at) {
                    Lookup::Missing {
                        at: missing_at,
                        declared: names,
                    } if missing_at == at => declared.extend(names),
                    Lookup::Missing { .. } => {}
                    found => return found,
                }
            }
        }
        if node.schema.get("patternProperties").is_some() {
            return Lookup::Unknowable;
        }
        match node.schema.get("properties").and_then(Value::as_object) {
            Some(properties) => match properties.get(*segment) {
                Some(child) => Node {
                    schema: child,
                    root: node.root,
                }
                .find_from(segments, at + 1),
                None => {
                    declared.extend(properties.keys().cloned());
                    declared.sort();
                    declared.dedup();
                    Lookup::Missing { at, declared }
                }
            },
            None if branches > 0 => {
                declared.sort();
                declared.dedup();
                Lookup::Missing { at, declared }
            }
            // A node that lists no properties says nothing about its keys.
            None => Lookup::Unknowable,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn lookup(schema: &Value, path: &str) -> String {
        let node = Node {
            schema,
            root: schema,
        };
        let segments: Vec<&str> = path.split('.').collect();
        match node.find(&segments) {
            Lookup::Declared(_) => "declared".into(),
            Lookup::Unknowable => "unknowable".into(),
            Lookup::Missing { at, declared } => format!("missing {at} [{}]", declared.join(",")),
        }
    }

    #[test]
    fn schema_paths_follow_properties_refs_items_and_combinations() {
        let schema = json!({
            "type": "object",
            "$defs": {"client": {"type": "object", "properties": {"url": {"type": "string"}}}},
            "properties": {
                "client": {"$ref": "#/$defs/client"},
                "tags": {"type": "array", "items": {"type": "object", "properties": {"key": {}}}},
                "free": {"type": "object"},
                "either": {"anyOf": [
                    {"properties": {"a": {}}},
                    {"properties": {"b": {}}}
                ]}
            }
        });
        assert_eq!(lookup(&schema, "client.url"), "declared");
        assert_eq!(lookup(&schema, "client.uri"), "missing 1 [url]");
        assert_eq!(lookup(&schema, "tags.0.key"), "declared");
        assert_eq!(lookup(&schema, "free.anything"), "unknowable");
        assert_eq!(lookup(&schema, "either.b"), "declared");
        assert_eq!(lookup(&schema, "either.c"), "missing 1 [a,b]");
        assert_eq!(
            lookup(&schema, "nope"),
            "missing 0 [client,either,free,tags]"
        );
    }

    #[test]
    fn paths_sort_by_index_value() {
        let mut paths = vec!["$[12].query", "$[3].query.and[10]", "$[3].query.and[2]"];
        paths.sort_by_key(|p| path_order(p));
        assert_eq!(
            paths,
            ["$[3].query.and[2]", "$[3].query.and[10]", "$[12].query"]
        );
    }
}
