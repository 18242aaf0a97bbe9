//! Loading a `cohorts.json`: cohort metadata, compiled queries, checksums and the dependency
//! order in which cohorts must be evaluated.

use std::collections::HashMap;

use serde_json::Value;

use super::checksum::checksum;
use super::query::{Catalog, CompiledQuery, Source, compile};
use super::query::{Clause, ClauseKind};
use super::{CohortInfo, LoadError, LoadWarning};

/// Everything the engine keeps about one cohort besides its display fields.
#[derive(Debug, Clone)]
pub(crate) struct CompiledCohort {
    /// The query as written, for display.
    pub query_json: Value,
    pub checksum: String,
    pub query: CompiledQuery,
}

#[derive(Debug, Clone)]
pub(crate) struct Loaded {
    pub cohorts: Vec<CohortInfo>,
    pub compiled: Vec<CompiledCohort>,
    pub catalog: Catalog,
    /// Cohort indices, each after every cohort it depends on.
    pub order: Vec<usize>,
    pub warnings: Vec<LoadWarning>,
}

pub(crate) fn load(text: &str) -> Result<Loaded, LoadError> {
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

    let mut cohorts = Vec::with_capacity(items.len());
    let mut queries = Vec::with_capacity(items.len());
    let mut codes = HashMap::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let (info, query) = describe(i, item)?;
        if codes.insert(info.code.clone(), i).is_some() {
            return Err(LoadError::Workspace(format!(
                "cohort code {} is defined more than once",
                info.code
            )));
        }
        cohorts.push(info);
        queries.push(query);
    }

    let mut catalog = Catalog::default();
    let compiled = cohorts
        .iter()
        .zip(&queries)
        .map(|(info, query)| {
            let compiled = compile(query, &codes, &mut catalog).map_err(|e| LoadError::Query {
                code: info.code.clone(),
                path: e.path,
                message: e.message,
            })?;
            Ok(CompiledCohort {
                query_json: (*query).clone(),
                checksum: checksum(query),
                query: compiled,
            })
        })
        .collect::<Result<Vec<_>, LoadError>>()?;

    let order = dependency_order(&compiled, &cohorts)?;
    let mut warnings = Vec::new();
    for (info, cohort) in cohorts.iter().zip(&compiled) {
        beyond_and_of_ors(&cohort.query.root, Level::Top, &info.code, &mut warnings);
    }
    catalog.readers = vec![Vec::new(); catalog.events.len()];
    for (c, cohort) in compiled.iter().enumerate() {
        for (l, leaf) in cohort.query.leaves.iter().enumerate() {
            if let Source::Events { event_id, .. } = leaf.source {
                catalog.readers[event_id].push((c, l));
            }
            if leaf.window == super::window::Window::ThisSession {
                catalog.sessions.push((c, l));
            }
        }
    }
    Ok(Loaded {
        cohorts,
        compiled,
        catalog,
        order,
        warnings,
    })
}

/// Where a clause sits in Permutive's most complex supported logic, an AND of ORs (CNF).
#[derive(Clone, Copy, PartialEq)]
enum Level {
    Top,
    InAnd,
    InOr,
    InNot,
}

/// Warns at the first node of each branch that is not an AND of ORs of (negated) conditions:
/// an `and` inside an `or`, an `and`/`or` inside a `not`. `and` in `and` and `or` in `or`
/// flatten, so they are fine.
fn beyond_and_of_ors(clause: &Clause, level: Level, code: &str, out: &mut Vec<LoadWarning>) {
    let warn = |out: &mut Vec<LoadWarning>, message: &str| {
        out.push(LoadWarning {
            code: code.to_string(),
            path: clause.path.clone(),
            message: message.to_string(),
        })
    };
    match &clause.kind {
        ClauseKind::And(items) => match level {
            Level::InOr => warn(
                out,
                "an \"and\" inside an \"or\": Permutive supports at most an AND of ORs",
            ),
            Level::InNot => warn(
                out,
                "\"not\" around an \"and\": Permutive supports at most an AND of ORs of (negated) conditions",
            ),
            Level::Top | Level::InAnd => items
                .iter()
                .for_each(|c| beyond_and_of_ors(c, Level::InAnd, code, out)),
        },
        ClauseKind::Or(items) => match level {
            Level::InNot => warn(
                out,
                "\"not\" around an \"or\": Permutive supports at most an AND of ORs of (negated) conditions",
            ),
            _ => items
                .iter()
                .for_each(|c| beyond_and_of_ors(c, Level::InOr, code, out)),
        },
        ClauseKind::Not(inner) => beyond_and_of_ors(inner, Level::InNot, code, out),
        _ => {}
    }
}

/// The display fields and the query of the `i`th cohort.
fn describe(i: usize, item: &Value) -> Result<(CohortInfo, &Value), LoadError> {
    let Some(map) = item.as_object() else {
        return Err(LoadError::Workspace(format!(
            "cohort [{i}] is not an object"
        )));
    };
    let code = match map.get("code") {
        Some(Value::Number(n)) if n.is_u64() || n.is_i64() => n.to_string(),
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        _ => {
            return Err(LoadError::Workspace(format!(
                "cohort [{i}] has no \"code\" (an integer or a string)"
            )));
        }
    };
    let Some(query) = map.get("query") else {
        return Err(LoadError::Query {
            code,
            path: "query".into(),
            message: "missing \"query\"".into(),
        });
    };
    // Cohorts API v2 `state`: `Enabled` or `Disabled`.
    let enabled = !map
        .get("state")
        .and_then(Value::as_str)
        .is_some_and(|s| s.eq_ignore_ascii_case("disabled"));
    let info = CohortInfo {
        enabled,
        name: map
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or(&code)
            .to_string(),
        description: map
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_string),
        tags: map
            .get("tags")
            .and_then(Value::as_array)
            .map(|tags| {
                tags.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default(),
        code,
    };
    Ok((info, query))
}

/// A topological order of the cohorts, or an error naming the cohorts of a cycle.
fn dependency_order(
    compiled: &[CompiledCohort],
    cohorts: &[CohortInfo],
) -> Result<Vec<usize>, LoadError> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        InProgress,
        Done,
    }
    let mut marks = vec![Mark::New; compiled.len()];
    let mut order = Vec::with_capacity(compiled.len());
    for start in 0..compiled.len() {
        if marks[start] != Mark::New {
            continue;
        }
        // Iterative depth-first search; `stack` is the current path with the next dependency
        // to visit for each cohort on it.
        let mut stack = vec![(start, 0usize)];
        marks[start] = Mark::InProgress;
        while let Some(&mut (cohort, ref mut next)) = stack.last_mut() {
            let dependencies = &compiled[cohort].query.dependencies;
            if let Some(&dependency) = dependencies.get(*next) {
                *next += 1;
                match marks[dependency] {
                    Mark::Done => {}
                    Mark::New => {
                        marks[dependency] = Mark::InProgress;
                        stack.push((dependency, 0));
                    }
                    Mark::InProgress => {
                        let from = stack
                            .iter()
                            .position(|&(c, _)| c == dependency)
                            .unwrap_or(0);
                        let mut cycle: Vec<&str> = stack[from..]
                            .iter()
                            .map(|&(c, _)| cohorts[c].code.as_str())
                            .collect();
                        cycle.push(cohorts[dependency].code.as_str());
                        return Err(LoadError::Workspace(format!(
                            "cohorts depend on each other in a cycle: {}",
                            cycle.join(" -> ")
                        )));
                    }
                }
            } else {
                marks[cohort] = Mark::Done;
                order.push(cohort);
                stack.pop();
            }
        }
    }
    Ok(order)
}
