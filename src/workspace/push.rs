//! `workspace push`: create and update remote cohorts so that they match the local file
//! (matched by `id`, else by `code`), and with `prune` delete remote cohorts the file does not
//! have. Actions run one at a time — creates (cohorts another new cohort refers to first), then
//! updates, then deletes — and the first failure (after its retries) stops the push, with what
//! was done and what was not listed.
//!
//! A created cohort gets its id and code from the service; they are written back into the local
//! file (and every local query that referred to the cohort by its local code is rewritten to the
//! new code), so that the next push matches it instead of creating it again. That write-back
//! also happens when a later action fails.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use serde_json::Value;

use super::diff::{Entry, compare};
use super::pull::{Progress, fetch_all};
use super::remote::{CohortsClient, RemoteError};
use super::{Error, Skipped, read_local_records};
use crate::api::cohorts::{CohortCode, CreateCohort, UpdateCohort};
use crate::emulator::workspace::{CohortRecord, cohorts_file_text, compile_records};

/// Segment types a cohort can be created with (others are left to the service's default).
const CREATABLE_TYPES: [&str; 2] = ["real_time", "offline"];

#[derive(Debug, Clone, Copy)]
pub struct PushOptions {
    /// Say what would be done, change nothing.
    pub dry_run: bool,
    /// Also delete remote cohorts the local file does not have.
    pub prune: bool,
    /// Cohorts fetched at once while reading the remote workspace.
    pub concurrency: usize,
    pub progress: Progress,
}

/// One change to the remote workspace.
#[derive(Debug, Clone)]
enum Action {
    /// Create the local record at this index.
    Create(usize),
    Update {
        index: usize,
        id: String,
        patch: UpdateCohort,
    },
    Delete {
        id: String,
        code: CohortCode,
        name: String,
    },
}

/// What a push did, or with `dry_run` would do.
#[derive(Debug, Clone, Default)]
pub struct PushReport {
    pub dry_run: bool,
    /// Every action, in order, in words (`create …`, `update … : query, name`, `delete …`).
    pub planned: Vec<String>,
    /// Actions done (all of them unless `error`).
    pub done: Vec<String>,
    /// Actions not done because of `error`.
    pub not_done: Vec<String>,
    pub error: Option<RemoteError>,
    /// Remote cohorts only the service can change, or the file cannot hold.
    pub skipped: Vec<Skipped>,
    /// Differences push cannot make (codes, segment types).
    pub notes: Vec<String>,
    /// Remote cohorts the file does not have, left alone without `prune`.
    pub kept: Vec<String>,
    pub unchanged: usize,
    /// The local file got the ids and codes of created cohorts.
    pub file_updated: bool,
}

impl PushReport {
    /// The push as text: what was done (or would be), what was not, and why.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let mut line = |s: String| {
            out.push_str(&s);
            out.push('\n');
        };
        if self.dry_run {
            for action in &self.planned {
                line(format!("would {action}"));
            }
        }
        for note in &self.notes {
            line(format!("note: {note}"));
        }
        for kept in &self.kept {
            line(format!("kept {kept} (only remote; --prune deletes it)"));
        }
        for s in &self.skipped {
            line(format!("skipped {}", s.line()));
        }
        if let Some(error) = &self.error {
            line(format!("error: {error}"));
            line(format!(
                "stopped: {} of {} action(s) done{}",
                self.done.len(),
                self.planned.len(),
                if self.done.is_empty() { "" } else { ":" }
            ));
            for done in &self.done {
                line(format!("  done: {done}"));
            }
            for not_done in &self.not_done {
                line(format!("  not done: {not_done}"));
            }
        } else if self.dry_run {
            line(format!(
                "dry run: {} action(s) would be done, {} cohort(s) unchanged; nothing was changed",
                self.planned.len(),
                self.unchanged
            ));
        } else {
            line(format!(
                "{} action(s) done, {} cohort(s) unchanged",
                self.done.len(),
                self.unchanged
            ));
        }
        if self.file_updated {
            line("cohorts.json now holds the ids and codes of the created cohorts".into());
        }
        out
    }
}

/// Pushes `dir/cohorts.json`. `on_done` hears each action as it is done. Fails before changing
/// anything when the local workspace does not load or the remote cannot be read.
pub async fn push(
    client: &CohortsClient,
    dir: &Path,
    options: PushOptions,
    on_done: &mut (dyn FnMut(&str) + Send),
) -> Result<PushReport, Error> {
    let mut local = read_local_records(dir)?;
    if let Err(source) = compile_records(&local) {
        return Err(Error::DoesNotLoad {
            file: dir.join("cohorts.json"),
            source,
        });
    }
    let remote = fetch_all(client, options.concurrency, options.progress).await?;
    let comparison = compare(&local, &remote);
    let mut report = PushReport {
        dry_run: options.dry_run,
        skipped: comparison.skipped.clone(),
        ..PushReport::default()
    };
    let index_of = |record: &CohortRecord| {
        local
            .iter()
            .position(|r| r.code == record.code && r.id == record.id)
            .unwrap_or(0)
    };
    let mut creates = Vec::new();
    let mut actions = Vec::new();
    for entry in &comparison.entries {
        match entry {
            Entry::Added { local: record } => creates.push(index_of(record)),
            Entry::Changed {
                local: record,
                remote,
                patch,
                notes,
                ..
            } => {
                report.notes.extend(
                    notes
                        .iter()
                        .map(|n| format!("{} \"{}\": {n}", remote.code, remote.name)),
                );
                if !patch.is_empty() {
                    actions.push(Action::Update {
                        index: index_of(record),
                        id: remote.id.clone(),
                        patch: patch.clone(),
                    });
                }
            }
            Entry::Removed { remote } if options.prune => actions.push(Action::Delete {
                id: remote.id.clone(),
                code: remote.code.clone(),
                name: remote.name.clone(),
            }),
            Entry::Removed { remote } => report
                .kept
                .push(format!("{} \"{}\"", remote.code, remote.name)),
            Entry::Unchanged { .. } => report.unchanged += 1,
        }
    }
    let mut plan: Vec<Action> = creation_order(&local, creates)
        .into_iter()
        .map(Action::Create)
        .collect();
    plan.extend(actions);
    report.planned = plan.iter().map(|a| describe(a, &local)).collect();
    if options.dry_run {
        return Ok(report);
    }

    // Local codes of created cohorts → the codes the service gave them.
    let mut new_codes: HashMap<String, CohortCode> = HashMap::new();
    for (step, action) in plan.iter().enumerate() {
        let result = run(client, action, &mut local, &mut new_codes).await;
        match result {
            Ok(line) => {
                on_done(&line);
                report.done.push(line);
            }
            Err(error) => {
                report.error = Some(error);
                report.not_done = report.planned[step..].to_vec();
                break;
            }
        }
    }
    if !new_codes.is_empty() {
        for record in &mut local {
            if let Some(query) = &mut record.query {
                remap(query, &new_codes);
            }
        }
        let file = dir.join("cohorts.json");
        crate::session::write_atomically(&file, cohorts_file_text(&local).as_bytes()).map_err(
            |source| Error::WriteIds {
                file: file.clone(),
                source,
            },
        )?;
        report.file_updated = true;
    }
    Ok(report)
}

/// Does one action; the line that says what was done.
async fn run(
    client: &CohortsClient,
    action: &Action,
    local: &mut [CohortRecord],
    new_codes: &mut HashMap<String, CohortCode>,
) -> Result<String, RemoteError> {
    match action {
        Action::Create(index) => {
            let record = &mut local[*index];
            let mut query = record.query.clone().unwrap_or(Value::Null);
            remap(&mut query, new_codes);
            let body = CreateCohort {
                name: record.display_name(),
                description: record.description.clone(),
                query: query.clone(),
                tags: (!record.tags.is_empty()).then(|| record.tags.clone()),
                segment_type: record
                    .segment_type
                    .clone()
                    .filter(|t| t.as_str().is_some_and(|t| CREATABLE_TYPES.contains(&t))),
            };
            let created = client.create(&body).await?;
            let local_code = record.code.clone();
            new_codes.insert(local_code.key(), created.code.clone());
            record.id = Some(created.id.clone());
            record.code = created.code.clone();
            record.query = Some(query);
            // Filled in as a pull would write them, so the next pull changes no byte.
            record.state.get_or_insert_with(|| created.state.clone());
            if record.segment_type.is_none() {
                record.segment_type = created.segment_type.clone();
            }
            let mut line = format!(
                "created {} \"{}\" (id {}",
                created.code, created.name, created.id
            );
            if local_code != created.code {
                line.push_str(&format!(", was {local_code} in the file"));
            }
            line.push(')');
            // A new cohort is Enabled; the file may say otherwise.
            if record.state_or_default() != created.state {
                let patch = UpdateCohort {
                    state: Some(record.state_or_default().to_string()),
                    ..UpdateCohort::default()
                };
                client.update(&created.id, &patch).await?;
                line.push_str(&format!(", then set {}", record.state_or_default()));
            }
            Ok(line)
        }
        Action::Update { id, patch, .. } => {
            let mut patch = patch.clone();
            if let Some(query) = &mut patch.query {
                remap(query, new_codes);
            }
            let updated = client.update(id, &patch).await?;
            Ok(format!(
                "updated {} \"{}\": {}",
                updated.code,
                updated.name,
                patch.fields().join(", ")
            ))
        }
        Action::Delete { id, code, name } => {
            client.delete(id).await?;
            Ok(format!("deleted {code} \"{name}\""))
        }
    }
}

fn describe(action: &Action, local: &[CohortRecord]) -> String {
    match action {
        Action::Create(index) => {
            let record = &local[*index];
            format!(
                "create {} \"{}\" (the service assigns its id and code)",
                record.code,
                record.display_name()
            )
        }
        Action::Update { index, patch, .. } => {
            let record = &local[*index];
            format!(
                "update {} \"{}\": {}",
                record.code,
                record.display_name(),
                patch.fields().join(", ")
            )
        }
        Action::Delete { code, name, .. } => format!("delete {code} \"{name}\""),
    }
}

/// The records to create, each after the new cohorts its query refers to (a cycle, which
/// `check` reports, keeps the file order).
fn creation_order(local: &[CohortRecord], mut pending: Vec<usize>) -> Vec<usize> {
    let mut order = Vec::with_capacity(pending.len());
    while !pending.is_empty() {
        let waiting: HashSet<String> = pending.iter().map(|&i| local[i].code.key()).collect();
        let ready = pending.iter().position(|&i| {
            let mut query = local[i].query.clone().unwrap_or(Value::Null);
            let mut refers_to_waiting = false;
            let own = local[i].code.key();
            for_each_reference(&mut query, &mut |code| {
                let key = code_key(code);
                refers_to_waiting |= key != own && waiting.contains(&key);
            });
            !refers_to_waiting
        });
        order.push(pending.remove(ready.unwrap_or(0)));
    }
    order
}

/// Rewrites references to cohorts created under another code.
fn remap(query: &mut Value, new_codes: &HashMap<String, CohortCode>) {
    for_each_reference(query, &mut |code| {
        if let Some(new) = new_codes.get(&code_key(code)) {
            *code = serde_json::to_value(new).unwrap_or(Value::Null);
        }
    });
}

fn code_key(code: &Value) -> String {
    match code {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Calls `f` on every value in a query that names another cohort: `has_entered.segment`,
/// `has_exited.segment`, `in_segment` (a code, or `{"segment": code}`).
fn for_each_reference(value: &mut Value, f: &mut dyn FnMut(&mut Value)) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map.iter_mut() {
                match key.as_str() {
                    "has_entered" | "has_exited" => {
                        if let Some(code) = inner.get_mut("segment") {
                            f(code);
                        }
                    }
                    "in_segment" => match inner {
                        Value::Object(_) => {
                            if let Some(code) = inner.get_mut("segment") {
                                f(code);
                            }
                        }
                        code => f(code),
                    },
                    _ => for_each_reference(inner, f),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| for_each_reference(v, f)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(code: u64, query: Value) -> CohortRecord {
        serde_json::from_value(json!({"code": code, "name": format!("c{code}"), "query": query}))
            .unwrap()
    }

    #[test]
    fn new_cohorts_are_created_after_the_new_cohorts_they_read() {
        let local = vec![
            record(1, json!({"in_segment": 3})),
            record(2, json!({"has_entered": {"segment": 1}})),
            record(3, json!({"event": "Pageview"})),
        ];
        assert_eq!(creation_order(&local, vec![0, 1, 2]), vec![2, 0, 1]);
    }

    #[test]
    fn references_are_rewritten_to_the_assigned_codes() {
        let mut query = json!({"and": [{"in_segment": 2000}, {"in_segment": {"segment": "2000"}},
                                       {"has_exited": {"segment": 2000}}, {"in_segment": 1001}]});
        let codes = HashMap::from([("2000".to_string(), CohortCode::Number(1013))]);
        remap(&mut query, &codes);
        assert_eq!(
            query,
            json!({"and": [{"in_segment": 1013}, {"in_segment": {"segment": 1013}},
                           {"has_exited": {"segment": 1013}}, {"in_segment": 1001}]})
        );
    }
}
