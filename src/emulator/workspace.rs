//! A workspace on disk: `cohorts.json` (Cohorts API v2 cohorts) and `schemas/<Event>.json`
//! (one JSON Schema per event name, applied to the event's `properties`).
//!
//! The cohorts file is an array of cohort records in the *workspace format*: `id`, `code`,
//! `name`, `description`, `tags`, `state`, `segmentType` and `query` (other keys are kept as
//! they are). A record without an `id` gets a stable one derived from its code, so the Cohorts
//! API can serve the demo workspace. A lookalike (`"segmentType": "lookalike"`) may have no
//! query: the Cohorts API serves it, the engine never evaluates it.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::api::cohort_order;
use crate::api::cohorts::CohortCode;
use crate::engine;

/// The demo workspace bundled with the crate (used when no `--workspace` is given): what its
/// files are called in messages. Its files are embedded in the binary (see [`crate::bundled`]).
pub fn demo_dir() -> PathBuf {
    PathBuf::from("bundled:workspace")
}

/// A loaded workspace: the cohort records as written, their compiled form, and event schemas.
pub struct Workspace {
    pub dir: PathBuf,
    pub cohorts: engine::Workspace,
    /// The records of `cohorts.json` in file order, every one with an id.
    pub records: Vec<CohortRecord>,
    /// Shared between the versions of a workspace the Cohorts API makes (schemas never change).
    pub schemas: Arc<BTreeMap<String, EventSchema>>,
    /// What windows are measured against (`--clock`).
    pub clock: engine::Clock,
    /// The engine's cohorts as answers list them: worked out once, not sorted again for every
    /// answer.
    answer_codes: AnswerCodes,
}

/// One cohort in the workspace format.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CohortRecord {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub code: CohortCode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// `Enabled` (also when absent) or `Disabled`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(
        default,
        rename = "segmentType",
        skip_serializing_if = "Option::is_none"
    )]
    pub segment_type: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<Value>,
    /// Keys the workspace format does not name, kept as written.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The segment type of a cohort defined by a model rather than a query.
pub const LOOKALIKE: &str = "lookalike";

impl CohortRecord {
    /// The name, or the code when the record has none (as the engine shows it).
    pub fn display_name(&self) -> String {
        self.name.clone().unwrap_or_else(|| self.code.key())
    }

    /// A lookalike: evaluated by no query, served by the Cohorts API only.
    pub fn is_lookalike(&self) -> bool {
        self.segment_type.as_ref().and_then(Value::as_str) == Some(LOOKALIKE)
    }

    /// `Enabled` unless the record says `Disabled`.
    pub fn state_or_default(&self) -> &str {
        self.state.as_deref().unwrap_or("Enabled")
    }
}

/// The stable id a record without one gets: a UUID v5 of its code.
pub fn derived_id(code: &CohortCode) -> String {
    uuid::Uuid::new_v5(
        &uuid::Uuid::NAMESPACE_URL,
        format!("https://segscope.invalid/cohorts/{}", code.key()).as_bytes(),
    )
    .to_string()
}

/// Parses the text of a `cohorts.json` into records (ids not yet assigned).
pub fn parse_records(text: &str) -> Result<Vec<CohortRecord>, engine::LoadError> {
    let value: Value = serde_json::from_str(text).map_err(|e| engine::LoadError::Syntax {
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    let Value::Array(items) = value else {
        return Err(engine::LoadError::Workspace(
            "expected a JSON array of cohorts".into(),
        ));
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let Some(map) = item.as_object() else {
                return Err(engine::LoadError::Workspace(format!(
                    "cohort [{i}] is not an object"
                )));
            };
            match map.get("code") {
                Some(Value::Number(n)) if n.is_u64() => {}
                Some(Value::String(s)) if !s.is_empty() => {}
                _ => {
                    return Err(engine::LoadError::Workspace(format!(
                        "cohort [{i}] has no \"code\" (a non-negative integer or a string)"
                    )));
                }
            }
            serde_json::from_value(item)
                .map_err(|e| engine::LoadError::Workspace(format!("cohort [{i}]: {e}")))
        })
        .collect()
}

/// Gives every record without an id its derived one; two records with one id are an error.
pub fn assign_ids(records: &mut [CohortRecord]) -> Result<(), engine::LoadError> {
    let mut seen = HashSet::with_capacity(records.len());
    for record in records.iter_mut() {
        let id = record
            .id
            .get_or_insert_with(|| derived_id(&record.code))
            .clone();
        if !seen.insert(id.clone()) {
            return Err(engine::LoadError::Workspace(format!(
                "cohort id {id} is used more than once (cohort {})",
                record.code
            )));
        }
    }
    Ok(())
}

/// Compiles the records the engine evaluates (all but query-less lookalikes).
pub fn compile_records(records: &[CohortRecord]) -> Result<engine::Workspace, engine::LoadError> {
    let evaluated: Vec<&CohortRecord> = records
        .iter()
        .filter(|r| !(r.query.is_none() && r.is_lookalike()))
        .collect();
    let text = serde_json::to_string(&evaluated)
        .map_err(|e| engine::LoadError::Workspace(format!("cannot write the cohorts: {e}")))?;
    engine::Workspace::from_cohorts_json(&text)
}

/// The text of a `cohorts.json` as segscope writes it: sorted by code, pretty-printed (one key
/// per line, two-space indent, a final newline), so that it diffs well in git.
pub fn cohorts_file_text(records: &[CohortRecord]) -> String {
    let mut sorted: Vec<&CohortRecord> = records.iter().collect();
    sorted.sort_by(|a, b| a.code.cmp(&b.code));
    let mut text = serde_json::to_string_pretty(&sorted).unwrap_or_else(|_| "[]".into());
    text.push('\n');
    text
}

/// The engine's cohorts as answers list them: in [`cohort_order`] of their codes, each code
/// already written as a JSON string. Also the list of cohorts it was worked out for (where it
/// is, and how long): [`Workspace::cohorts`] is a public field that can be replaced, and codes
/// worked out for other cohorts are not used.
#[derive(Clone)]
pub struct AnswerCodes {
    cohorts_at: usize,
    /// Workspace indices, in answer order.
    pub order: Vec<usize>,
    /// By workspace index: the code as a JSON string.
    pub quoted: Vec<String>,
}

impl AnswerCodes {
    fn of(cohorts: &engine::Workspace) -> AnswerCodes {
        let codes = cohorts.cohorts();
        let mut order: Vec<usize> = (0..codes.len()).collect();
        order.sort_by(|&a, &b| cohort_order(&codes[a].code, &codes[b].code));
        AnswerCodes {
            cohorts_at: codes.as_ptr() as usize,
            order,
            quoted: codes
                .iter()
                .map(|c| Value::String(c.code.clone()).to_string())
                .collect(),
        }
    }

    fn is_for(&self, cohorts: &engine::Workspace) -> bool {
        let codes = cohorts.cohorts();
        self.cohorts_at == codes.as_ptr() as usize && self.order.len() == codes.len()
    }
}

/// The workspace an emulator serves now; the Cohorts API replaces it as a whole, so that every
/// segmentation call sees one consistent version (the one current when it started).
pub struct LiveWorkspace(RwLock<Arc<Workspace>>);

impl LiveWorkspace {
    pub fn new(workspace: Workspace) -> LiveWorkspace {
        LiveWorkspace(RwLock::new(Arc::new(workspace)))
    }

    /// The current version (calls in flight keep the version they started with).
    pub fn current(&self) -> Arc<Workspace> {
        // A poisoned lock still holds a whole workspace: it is only ever replaced, never edited.
        self.0.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Makes `workspace` the version every later call sees.
    pub fn replace(&self, workspace: Workspace) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(workspace);
    }
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

/// The event schemas of a `schemas/` directory: `(event name, file)` for every `*.json`, sorted
/// by file name (the emulator and `workspace check` read the same files in the same order).
pub(crate) fn schema_files(schema_dir: &Path) -> std::io::Result<Vec<(String, PathBuf)>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(schema_dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    Ok(files
        .into_iter()
        .filter_map(|file| {
            let name = file.file_stem()?.to_str()?.to_string();
            Some((name, file))
        })
        .collect())
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
        let (records, cohorts) = load_cohorts(&text).map_err(|e| WorkspaceError {
            file: cohorts_file.clone(),
            message: e.to_string(),
        })?;
        let mut schemas = BTreeMap::new();
        let schema_dir = dir.join("schemas");
        if schema_dir.is_dir() {
            let files = schema_files(&schema_dir).map_err(|e| WorkspaceError {
                file: schema_dir.clone(),
                message: e.to_string(),
            })?;
            for (name, file) in files {
                schemas.insert(name, load_schema(&file)?);
            }
        }
        Ok(Workspace {
            dir: dir.to_path_buf(),
            answer_codes: AnswerCodes::of(&cohorts),
            cohorts,
            records,
            clock: engine::Clock::Event,
            schemas: Arc::new(schemas),
        })
    }

    /// This workspace with other cohorts (same directory and schemas), compiled.
    pub fn with_records(
        &self,
        mut records: Vec<CohortRecord>,
    ) -> Result<Workspace, engine::LoadError> {
        assign_ids(&mut records)?;
        let cohorts = compile_records(&records)?;
        Ok(Workspace {
            dir: self.dir.clone(),
            answer_codes: AnswerCodes::of(&cohorts),
            cohorts,
            records,
            clock: self.clock,
            schemas: self.schemas.clone(),
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
        let (records, cohorts) = load_cohorts(&scaled).map_err(|e| WorkspaceError {
            file,
            message: e.to_string(),
        })?;
        workspace.records = records;
        workspace.answer_codes = AnswerCodes::of(&cohorts);
        workspace.cohorts = cohorts;
        Ok(workspace)
    }

    /// The demo workspace. Panics only if the bundled files are broken, which a test guards.
    pub fn demo() -> Result<Workspace, WorkspaceError> {
        let dir = demo_dir();
        let cohorts_file = dir.join("cohorts.json");
        let text = bundled_file("cohorts.json")?;
        let (records, cohorts) = load_cohorts(text).map_err(|e| WorkspaceError {
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
            answer_codes: AnswerCodes::of(&cohorts),
            cohorts,
            records,
            clock: engine::Clock::Event,
            schemas: Arc::new(schemas),
        })
    }

    /// The engine's cohorts as answers list them.
    pub fn answer_codes(&self) -> Cow<'_, AnswerCodes> {
        if self.answer_codes.is_for(&self.cohorts) {
            Cow::Borrowed(&self.answer_codes)
        } else {
            Cow::Owned(AnswerCodes::of(&self.cohorts))
        }
    }

    /// Cohorts that load but would surprise their author in Permutive (e.g. logic beyond an AND
    /// of ORs): for `serve` to print and the console to show.
    pub fn warnings(&self) -> &[engine::LoadWarning] {
        self.cohorts.warnings()
    }

    /// What the console needs to know: cohort names, event schemas and load warnings (read
    /// back as a [`WorkspaceDescription`]).
    pub fn describe(&self) -> Value {
        serde_json::json!({
            "warnings": self.cohorts.warnings(),
            "cohorts": self.cohorts.cohorts(),
            "events": self.schemas.iter().map(|(k, v)| (k.clone(), v.json.clone())).collect::<serde_json::Map<_, _>>(),
        })
    }
}

/// What `GET /_segscope/workspace` answers ([`Workspace::describe`]), as a client reads it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WorkspaceDescription {
    #[serde(default)]
    pub warnings: Vec<engine::LoadWarning>,
    #[serde(default)]
    pub cohorts: Vec<engine::CohortInfo>,
    /// Event schemas by event name.
    #[serde(default)]
    pub events: BTreeMap<String, Value>,
}

/// Records (ids assigned) and their compiled form, from the text of a `cohorts.json`.
fn load_cohorts(text: &str) -> Result<(Vec<CohortRecord>, engine::Workspace), engine::LoadError> {
    let mut records = parse_records(text)?;
    assign_ids(&mut records)?;
    let cohorts = compile_records(&records)?;
    Ok((records, cohorts))
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

/// The event schemas of a directory (`--schemas DIR`: a workspace with `schemas/`, or the
/// `schemas/` directory itself), as written, each checked to be a JSON Schema: for a console
/// against a target that does not describe its workspace (the real API).
pub fn read_schema_dir(dir: &Path) -> Result<BTreeMap<String, Value>, WorkspaceError> {
    let inner = dir.join("schemas");
    let dir = if inner.is_dir() {
        inner
    } else {
        dir.to_path_buf()
    };
    let files = schema_files(&dir).map_err(|e| WorkspaceError {
        file: dir.clone(),
        message: format!("cannot read the event schemas: {e}"),
    })?;
    let mut schemas = BTreeMap::new();
    for (name, file) in files {
        schemas.insert(name, load_schema(&file)?.json);
    }
    Ok(schemas)
}

pub(crate) fn load_schema(file: &Path) -> Result<EventSchema, WorkspaceError> {
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
                    // Each copy is a cohort of its own: it gets the id of its new code.
                    ("id", _) => *v = Value::Null,
                    _ => shift_codes(v, by),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| shift_codes(v, by)),
        _ => {}
    }
}
