//! The cohort engine: Permutive cohort queries over a user's events and state.
//!
//! It knows nothing of HTTP or files: the emulator hands it parsed events and the state entries
//! of the cohorts the workspace defines, and gets back the new state entries and membership.
//!
//! This file is the public surface the emulator depends on; the work is done in:
//! - [`load`]: `cohorts.json` → compiled cohorts in dependency order ([`query`] compiles one
//!   query, with [`condition`], [`compare`] and [`window`] for its parts, [`syntax`] for errors),
//! - [`checksum`]: the stable key of a query's state,
//! - [`accumulator`]: what is remembered per clause and its JSON form,
//! - [`evaluate`]: one request (state in, events folded, cohorts evaluated, state out),
//! - [`explain`]: the decision tree of every cohort, for the console.
//!
//! `docs/engine.md` describes the query language and the semantics.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

mod accumulator;
mod checksum;
mod compare;
mod condition;
mod evaluate;
mod explain;
mod load;
mod query;
mod syntax;
mod window;

pub use explain::{CohortExplanation, ExplanationNode, WindowExplanation};

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
    compiled: Vec<load::CompiledCohort>,
    catalog: query::Catalog,
    /// Cohort indices in evaluation order (every cohort after those it reads).
    order: Vec<usize>,
    /// Cohort index by code: the emulator asks for every state entry of every request.
    by_code: std::collections::HashMap<String, usize>,
}

impl Workspace {
    /// Parses the text of a `cohorts.json` (an array of Cohorts API v2 cohorts) and compiles
    /// every query once.
    pub fn from_cohorts_json(text: &str) -> Result<Workspace, LoadError> {
        let loaded = load::load(text)?;
        let by_code = loaded
            .cohorts
            .iter()
            .enumerate()
            .map(|(i, c)| (c.code.clone(), i))
            .collect();
        Ok(Workspace {
            by_code,
            cohorts: loaded.cohorts,
            compiled: loaded.compiled,
            catalog: loaded.catalog,
            order: loaded.order,
        })
    }

    pub fn cohorts(&self) -> &[CohortInfo] {
        &self.cohorts
    }

    pub fn defines(&self, code: &str) -> bool {
        self.index(code).is_some()
    }

    /// A cohort's descriptive fields, by code.
    pub fn cohort(&self, code: &str) -> Option<&CohortInfo> {
        self.index(code).map(|i| &self.cohorts[i])
    }

    /// A cohort's `query` as written in `cohorts.json`.
    pub fn query(&self, code: &str) -> Option<&Value> {
        self.index(code).map(|i| &self.compiled[i].query_json)
    }

    /// The checksum that keys a cohort's state (`internal_state[code][checksum]`).
    pub fn checksum(&self, code: &str) -> Option<&str> {
        self.index(code).map(|i| self.compiled[i].checksum.as_str())
    }

    /// Folds the request's events into the state and evaluates every workspace cohort.
    pub fn segment(&self, input: SegmentInput<'_>) -> Segmented {
        self.evaluate(&input).segmented
    }

    /// The decision tree of every workspace cohort for this request (emulator-only endpoint):
    /// a JSON array of [`CohortExplanation`], in workspace order.
    pub fn explain(&self, input: SegmentInput<'_>) -> Value {
        serde_json::to_value(self.explain_cohorts(input)).unwrap_or(Value::Array(Vec::new()))
    }

    /// [`Workspace::explain`], typed.
    pub fn explain_cohorts(&self, input: SegmentInput<'_>) -> Vec<CohortExplanation> {
        let evaluation = self.evaluate(&input);
        explain::explain(&self.cohorts, &self.compiled, &evaluation, input.external)
    }

    fn evaluate(&self, input: &SegmentInput<'_>) -> evaluate::Evaluation {
        evaluate::evaluate(
            &self.cohorts,
            &self.compiled,
            &self.catalog,
            &self.order,
            input,
        )
    }

    fn index(&self, code: &str) -> Option<usize> {
        self.by_code.get(code).copied()
    }
}
