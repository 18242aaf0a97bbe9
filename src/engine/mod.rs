//! The cohort engine: Permutive cohort queries over a user's events and state.
//!
//! It knows nothing of HTTP or files: the emulator hands it parsed events and the state entries
//! of the cohorts the workspace defines, and gets back the new state entries and membership.
//!
//! This file is the public surface the emulator depends on. (Skeleton: membership is not yet
//! evaluated; the full engine replaces the internals, keeping these signatures.)

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

/// One event as the engine sees it: already validated for shape by the caller.
#[derive(Debug, Clone)]
pub struct Event {
    pub name: String,
    pub time: jiff::Timestamp,
    pub properties: Value,
}

/// What the engine reads for one request.
#[derive(Debug, Clone, Copy)]
pub struct SegmentInput<'a> {
    pub events: &'a [Event],
    /// `internal_state` entries of cohorts this workspace defines, by cohort code:
    /// each value is that cohort's `{checksum: accumulator}` object as it came in.
    pub internal: &'a BTreeMap<String, Value>,
    /// The whole `external_state`, by cohort code (read, never written).
    pub external: &'a BTreeMap<String, Value>,
    /// The incoming `state.cohorts`.
    pub cohorts: &'a [String],
}

/// What the engine decided for one request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Segmented {
    /// New `internal_state` entries for workspace cohorts (a cohort with nothing to keep is absent).
    pub internal: BTreeMap<String, Value>,
    /// Workspace cohorts the user is in after the request.
    pub members: BTreeSet<String>,
    /// Workspace cohorts entered / exited by this request.
    pub entered: Vec<String>,
    pub exited: Vec<String>,
    /// Human notes (e.g. a malformed state entry that was discarded).
    pub warnings: Vec<String>,
}

/// A cohort's descriptive fields, for display.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CohortInfo {
    pub code: String,
    pub name: String,
    pub description: Option<String>,
    pub tags: Vec<String>,
}

/// Why a `cohorts.json` could not be loaded.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum LoadError {
    #[error("line {line}, column {column}: {message}")]
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("cohort {code}: at {path}: {message}")]
    Query {
        code: String,
        path: String,
        message: String,
    },
    #[error("{0}")]
    Workspace(String),
}

/// The compiled cohorts of a workspace.
#[derive(Debug, Clone)]
pub struct Workspace {
    cohorts: Vec<CohortInfo>,
}

impl Workspace {
    /// Parses the text of a `cohorts.json` (an array of Cohorts API v2 cohorts).
    pub fn from_cohorts_json(text: &str) -> Result<Workspace, LoadError> {
        let value: Value = serde_json::from_str(text).map_err(|e| LoadError::Syntax {
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
        let Some(items) = value.as_array() else {
            return Err(LoadError::Workspace(
                "expected a JSON array of cohorts".into(),
            ));
        };
        let mut cohorts = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let code = match item.get("code") {
                Some(Value::Number(n)) => n.to_string(),
                Some(Value::String(s)) => s.clone(),
                _ => {
                    return Err(LoadError::Workspace(format!(
                        "cohort [{i}] has no \"code\""
                    )));
                }
            };
            cohorts.push(CohortInfo {
                name: item
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or(&code)
                    .to_string(),
                code,
                description: item
                    .get("description")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                tags: Vec::new(),
            });
        }
        Ok(Workspace { cohorts })
    }

    pub fn cohorts(&self) -> &[CohortInfo] {
        &self.cohorts
    }

    pub fn defines(&self, code: &str) -> bool {
        self.cohorts.iter().any(|c| c.code == code)
    }

    /// Folds the request's events into the state and evaluates every workspace cohort.
    pub fn segment(&self, input: SegmentInput<'_>) -> Segmented {
        let _ = input;
        Segmented::default()
    }

    /// The decision tree of every workspace cohort for this request (emulator-only endpoint).
    pub fn explain(&self, input: SegmentInput<'_>) -> Value {
        let _ = input;
        Value::Array(Vec::new())
    }
}
