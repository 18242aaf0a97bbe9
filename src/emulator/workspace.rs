//! A workspace on disk: `cohorts.json` (Cohorts API v2 cohorts) and `schemas/<Event>.json`
//! (one JSON Schema per event name, applied to the event's `properties`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::engine;

/// The demo workspace bundled with the crate (used when no `--workspace` is given): what its
/// files are called in messages. Its files are embedded in the binary (see [`crate::bundled`]).
pub fn demo_dir() -> PathBuf {
    PathBuf::from("bundled:workspace")
}

/// A loaded workspace: compiled cohorts and event schemas.
pub struct Workspace {
    pub dir: PathBuf,
    pub cohorts: engine::Workspace,
    pub schemas: BTreeMap<String, EventSchema>,
}

/// One event's schema: the JSON as written (served to the console) and its compiled validator.
pub struct EventSchema {
    pub json: Value,
    pub validator: jsonschema::Validator,
}

impl std::fmt::Debug for Workspace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workspace")
            .field("dir", &self.dir)
            .field("cohorts", &self.cohorts.cohorts().len())
            .field("schemas", &self.schemas.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// Why a workspace could not be loaded: always names the file.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {message}")]
pub struct WorkspaceError {
    pub file: PathBuf,
    pub message: String,
}

impl Workspace {
    pub fn load(dir: &Path) -> Result<Workspace, WorkspaceError> {
        let cohorts_file = dir.join("cohorts.json");
        let text = read(&cohorts_file)?;
        let cohorts = engine::Workspace::from_cohorts_json(&text).map_err(|e| WorkspaceError {
            file: cohorts_file.clone(),
            message: e.to_string(),
        })?;
        let mut schemas = BTreeMap::new();
        let schema_dir = dir.join("schemas");
        if schema_dir.is_dir() {
            let entries = std::fs::read_dir(&schema_dir).map_err(|e| WorkspaceError {
                file: schema_dir.clone(),
                message: e.to_string(),
            })?;
            let mut files: Vec<PathBuf> = entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect();
            files.sort();
            for file in files {
                let Some(name) = file.file_stem().and_then(|s| s.to_str()) else {
                    continue;
                };
                let schema = load_schema(&file)?;
                schemas.insert(name.to_string(), schema);
            }
        }
        Ok(Workspace {
            dir: dir.to_path_buf(),
            cohorts,
            schemas,
        })
    }

    /// The demo workspace with its cohorts copied until there are `count` of them (codes
    /// `1001 + 100·k`, references between cohorts kept within each copy): for load tests.
    pub fn demo_scaled(count: usize) -> Result<Workspace, WorkspaceError> {
        let mut workspace = Workspace::demo()?;
        let file = demo_dir().join("cohorts.json");
        let text = bundled_file("cohorts.json")?;
        let scaled = scale_cohorts(text, count).map_err(|message| WorkspaceError {
            file: file.clone(),
            message,
        })?;
        workspace.cohorts =
            engine::Workspace::from_cohorts_json(&scaled).map_err(|e| WorkspaceError {
                file,
                message: e.to_string(),
            })?;
        Ok(workspace)
    }

    /// The demo workspace. Panics only if the bundled files are broken, which a test guards.
    pub fn demo() -> Result<Workspace, WorkspaceError> {
        let dir = demo_dir();
        let cohorts_file = dir.join("cohorts.json");
        let text = bundled_file("cohorts.json")?;
        let cohorts = engine::Workspace::from_cohorts_json(text).map_err(|e| WorkspaceError {
            file: cohorts_file,
            message: e.to_string(),
        })?;
        let mut schemas = BTreeMap::new();
        for (name, text) in crate::bundled::workspace_schemas() {
            let file = dir.join("schemas").join(format!("{name}.json"));
            schemas.insert(name.to_string(), parse_schema(&file, text)?);
        }
        Ok(Workspace {
            dir,
            cohorts,
            schemas,
        })
    }

    /// What the console needs to know: cohort names and event schemas.
    pub fn describe(&self) -> Value {
        serde_json::json!({
            "cohorts": self.cohorts.cohorts(),
            "events": self.schemas.iter().map(|(k, v)| (k.clone(), v.json.clone())).collect::<serde_json::Map<_, _>>(),
        })
    }
}

fn read(file: &Path) -> Result<String, WorkspaceError> {
    std::fs::read_to_string(file).map_err(|e| WorkspaceError {
        file: file.to_path_buf(),
        message: format!("cannot read: {e}"),
    })
}

fn bundled_file(path: &str) -> Result<&'static str, WorkspaceError> {
    crate::bundled::workspace_file(path).ok_or_else(|| WorkspaceError {
        file: demo_dir().join(path),
        message: "not in the binary".into(),
    })
}

fn load_schema(file: &Path) -> Result<EventSchema, WorkspaceError> {
    parse_schema(file, &read(file)?)
}

fn parse_schema(file: &Path, text: &str) -> Result<EventSchema, WorkspaceError> {
    let json: Value = serde_json::from_str(text).map_err(|e| WorkspaceError {
        file: file.to_path_buf(),
        message: format!("line {}, column {}: {e}", e.line(), e.column()),
    })?;
    let validator = jsonschema::validator_for(&json).map_err(|e| WorkspaceError {
        file: file.to_path_buf(),
        message: format!("not a valid JSON Schema: {e}"),
    })?;
    Ok(EventSchema { json, validator })
}

/// Copies the cohorts of a `cohorts.json` until there are `count`, shifting codes by 100 per copy.
fn scale_cohorts(text: &str, count: usize) -> Result<String, String> {
    let originals: Vec<Value> = serde_json::from_str(text).map_err(|e| e.to_string())?;
    if originals.is_empty() {
        return Err("no cohorts to copy".into());
    }
    let mut out = Vec::with_capacity(count);
    for k in 0.. {
        for cohort in &originals {
            if out.len() == count {
                return serde_json::to_string(&out).map_err(|e| e.to_string());
            }
            let mut copy = cohort.clone();
            shift_codes(&mut copy, 100 * k);
            out.push(copy);
        }
    }
    unreachable!("the loop returns once count cohorts are made")
}

/// Adds `by` to every cohort code in a cohort (its own and those its query refers to).
fn shift_codes(value: &mut Value, by: u64) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                match (key.as_str(), v.as_u64()) {
                    ("code" | "segment" | "in_segment", Some(code)) => *v = Value::from(code + by),
                    _ => shift_codes(v, by),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| shift_codes(v, by)),
        _ => {}
    }
}
