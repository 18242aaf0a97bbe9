//! Permutive's Cohorts API v2 over the emulator's workspace: list, read, create, update and
//! delete cohorts, so that `segscope workspace pull/diff/push` can be rehearsed offline.
//!
//! Every change builds a new version of the workspace (records recompiled, schemas shared) and
//! swaps it in whole: the next segmentation call evaluates it, calls in flight finish on the
//! version they started with. A change the engine cannot load (a query it rejects, a deletion
//! that leaves another cohort pointing at nothing) is refused and changes nothing. With
//! `persist`, every change is first written to `cohorts.json` (atomically); if that fails, the
//! change is refused too, so memory and file never disagree.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use jiff::Timestamp;
use serde_json::Value;

use super::failure::Failure;
use super::server::{Shared, authenticate, failure_response, json_response};
use super::workspace::{CohortRecord, Workspace, cohorts_file_text};
use crate::api::cohorts::{COHORTS_PATH, CohortCode, CreateCohort, RemoteCohort, UpdateCohort};

/// The segment types a created cohort may have (lookalikes are made elsewhere in Permutive).
const CREATABLE_TYPES: [&str; 2] = ["real_time", "offline"];

/// The Cohorts API's state besides the workspace itself.
#[derive(Debug, Default)]
pub struct CohortsApi {
    /// Write every change to `<workspace dir>/cohorts.json` before it takes effect.
    pub persist: bool,
    /// Held for the whole of a change, so changes happen one after another.
    ledger: Mutex<Ledger>,
}

/// What the workspace format does not keep: timestamps, and the highest code ever handed out
/// (a deleted cohort's code is not given to the next one).
#[derive(Debug, Default)]
struct Ledger {
    /// `(created_at, last_updated_at)` by cohort id, for cohorts made or changed here.
    times: HashMap<String, (Timestamp, Timestamp)>,
    highest_code: u64,
    /// When the emulator started: the creation time of the cohorts it loaded.
    started: Option<Timestamp>,
}

impl Ledger {
    fn times(&mut self, id: &str) -> (Timestamp, Timestamp) {
        let started = *self.started.get_or_insert_with(Timestamp::now);
        self.times.get(id).copied().unwrap_or((started, started))
    }

    /// Like Permutive: the next integer after every code in use (or ever handed out).
    /// `None` once the codes have reached `u64::MAX` (a workspace can hold any code).
    fn next_code(&mut self, records: &[CohortRecord]) -> Option<u64> {
        let in_use = records
            .iter()
            .filter_map(|r| r.code.number())
            .max()
            .unwrap_or(0);
        self.highest_code = self.highest_code.max(in_use).checked_add(1)?;
        Some(self.highest_code)
    }
}

/// The routes, merged into the emulator's router.
pub(super) fn routes() -> Router<Shared> {
    Router::new()
        .route(COHORTS_PATH, get(list).post(create))
        .route(
            &format!("{COHORTS_PATH}/{{id}}"),
            get(read).patch(update).delete(remove),
        )
}

type Params = Result<Query<HashMap<String, String>>, QueryRejection>;
type Body = Result<Bytes, BytesRejection>;
type Id = Result<Path<String>, PathRejection>;

async fn list(State(config): State<Shared>, query: Params, headers: HeaderMap) -> Response {
    let answer = admit(&config, query, &headers).and_then(|params| {
        match params.get("include-child-workspaces").map(String::as_str) {
            None | Some("true" | "false") => {}
            Some(other) => {
                return Err(Failure::new(
                    400,
                    1000,
                    format!(
                        "invalid query parameter include-child-workspaces=\"{other}\": expected true or false"
                    ),
                ));
            }
        }
        let workspace = config.workspace.current();
        let mut records: Vec<&CohortRecord> = workspace.records.iter().collect();
        records.sort_by(|a, b| a.code.cmp(&b.code));
        let mut ledger = config.cohorts_api.lock();
        let summaries: Vec<RemoteCohort> = records
            .into_iter()
            .map(|r| remote(r, &workspace, &mut ledger, false))
            .collect();
        Ok((StatusCode::OK, to_json(&summaries)))
    });
    finish(&config, "GET", COHORTS_PATH, answer)
}

async fn read(State(config): State<Shared>, id: Id, query: Params, headers: HeaderMap) -> Response {
    let answer = admit(&config, query, &headers).and_then(|_| {
        let id = path_id(id)?;
        let workspace = config.workspace.current();
        let record = find(&workspace, &id)?;
        let mut ledger = config.cohorts_api.lock();
        Ok((
            StatusCode::OK,
            to_json(&remote(record, &workspace, &mut ledger, true)),
        ))
    });
    finish(&config, "GET", COHORTS_PATH, answer)
}

async fn create(
    State(config): State<Shared>,
    query: Params,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let answer = admit(&config, query, &headers).and_then(|_| {
        let request: CreateCohort = parse_body(body)?;
        if request.name.trim().is_empty() {
            return Err(Failure::bad_body("\"name\" must not be empty."));
        }
        let segment_type = match request.segment_type {
            None => Value::from("real_time"),
            Some(Value::String(t)) if CREATABLE_TYPES.contains(&t.as_str()) => Value::String(t),
            Some(other) => {
                return Err(Failure::bad_body(format!(
                    "\"segment_type\" must be one of {}, not {other}.",
                    CREATABLE_TYPES.join(", ")
                )));
            }
        };
        let mut ledger = config.cohorts_api.lock();
        let workspace = config.workspace.current();
        let mut records = workspace.records.clone();
        let now = Timestamp::now();
        let id = uuid::Uuid::new_v4().to_string();
        let Some(code) = ledger.next_code(&records) else {
            return Err(Failure::bad_body(
                "No cohort code is left: the workspace already uses the largest one.",
            ));
        };
        records.push(CohortRecord {
            id: Some(id.clone()),
            code: CohortCode::Number(code),
            name: Some(request.name),
            description: request.description,
            tags: request.tags.unwrap_or_default(),
            state: Some("Enabled".into()),
            segment_type: Some(segment_type),
            query: Some(request.query),
            extra: Default::default(),
        });
        let next = change(&config, &workspace, records)?;
        ledger.times.insert(id.clone(), (now, now));
        let created = find(&next, &id)?;
        let body = to_json(&remote(created, &next, &mut ledger, true));
        config.workspace.replace(next);
        Ok((StatusCode::CREATED, body))
    });
    finish(&config, "POST", COHORTS_PATH, answer)
}

async fn update(
    State(config): State<Shared>,
    id: Id,
    query: Params,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let answer = admit(&config, query, &headers).and_then(|_| {
        let id = path_id(id)?;
        let patch: UpdateCohort = parse_body(body)?;
        let mut ledger = config.cohorts_api.lock();
        let workspace = config.workspace.current();
        let index = position(&workspace, &id)?;
        let mut records = workspace.records.clone();
        let record = &mut records[index];
        if record.is_lookalike() {
            return Err(Failure::new(
                400,
                1000,
                "Lookalike-based cohorts cannot be updated via the Cohort API.",
            ));
        }
        if let Some(name) = patch.name {
            if name.trim().is_empty() {
                return Err(Failure::bad_body("\"name\" must not be empty."));
            }
            record.name = Some(name);
        }
        if let Some(description) = patch.description {
            record.description = description;
        }
        if let Some(query) = patch.query {
            record.query = Some(query);
        }
        if let Some(tags) = patch.tags {
            record.tags = tags;
        }
        if let Some(state) = patch.state {
            if state != "Enabled" && state != "Disabled" {
                return Err(Failure::bad_body(format!(
                    "\"state\" must be Enabled or Disabled, not \"{state}\"."
                )));
            }
            record.state = Some(state);
        }
        let next = change(&config, &workspace, records)?;
        let (created, _) = ledger.times(&id);
        ledger.times.insert(id.clone(), (created, Timestamp::now()));
        let body = to_json(&remote(&next.records[index], &next, &mut ledger, true));
        config.workspace.replace(next);
        Ok((StatusCode::OK, body))
    });
    finish(&config, "PATCH", COHORTS_PATH, answer)
}

async fn remove(
    State(config): State<Shared>,
    id: Id,
    query: Params,
    headers: HeaderMap,
) -> Response {
    let answer = admit(&config, query, &headers).and_then(|_| {
        let id = path_id(id)?;
        let mut ledger = config.cohorts_api.lock();
        let workspace = config.workspace.current();
        let index = position(&workspace, &id)?;
        if workspace.records[index].is_lookalike() {
            return Err(Failure::new(
                400,
                1000,
                "Lookalike-based cohorts cannot be deleted via the Cohort API.",
            ));
        }
        let mut records = workspace.records.clone();
        records.remove(index);
        let next = change(&config, &workspace, records)?;
        ledger.times.remove(&id);
        config.workspace.replace(next);
        Ok((StatusCode::OK, String::new()))
    });
    finish(&config, "DELETE", COHORTS_PATH, answer)
}

impl CohortsApi {
    fn lock(&self) -> std::sync::MutexGuard<'_, Ledger> {
        // The ledger holds only timestamps and a counter: usable even after a panic.
        self.ledger.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Key and query-string checks shared by every route.
fn admit(
    config: &super::EmulatorConfig,
    query: Params,
    headers: &HeaderMap,
) -> Result<HashMap<String, String>, Failure> {
    let Query(params) =
        query.map_err(|e| Failure::new(400, 1000, format!("invalid query parameters: {e}")))?;
    authenticate(config, &params, headers)?;
    Ok(params)
}

fn path_id(id: Id) -> Result<String, Failure> {
    id.map(|Path(id)| id)
        .map_err(|e| Failure::new(400, 1000, format!("invalid cohort id: {e}")))
}

fn position(workspace: &Workspace, id: &str) -> Result<usize, Failure> {
    workspace
        .records
        .iter()
        .position(|r| r.id.as_deref() == Some(id))
        .ok_or_else(|| {
            Failure::new(404, 3000, "The requested resource does not exist.")
                .with_cause(format!("No cohort has the id {id}."))
        })
}

fn find<'w>(workspace: &'w Workspace, id: &str) -> Result<&'w CohortRecord, Failure> {
    position(workspace, id).map(|i| &workspace.records[i])
}

fn parse_body<T: serde::de::DeserializeOwned>(body: Body) -> Result<T, Failure> {
    let bytes = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Failure::new(413, 1002, "The request body is too large.")
        } else {
            Failure::bad_body(format!("the request body could not be read: {e}"))
        }
    })?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Failure::new(400, 1003, "The request body is missing."));
    }
    serde_json::from_slice(&bytes).map_err(|e| {
        Failure::bad_body("The provided request body was not structured as expected.")
            .with_cause(e.to_string())
    })
}

/// The next version of the workspace with `records`, written to disk first when persisting.
fn change(
    config: &super::EmulatorConfig,
    workspace: &Workspace,
    records: Vec<CohortRecord>,
) -> Result<Workspace, Failure> {
    let next = workspace.with_records(records).map_err(|e| {
        Failure::bad_body("The cohorts would not load: the change was not made.")
            .with_cause(e.to_string())
    })?;
    if config.cohorts_api.persist {
        let file = next.dir.join("cohorts.json");
        crate::session::write_atomically(&file, cohorts_file_text(&next.records).as_bytes())
            .map_err(|e| {
                Failure::new(500, 5000, "The change could not be saved: it was not made.")
                    .with_cause(format!("{}: {e}", file.display()))
            })?;
    }
    Ok(next)
}

/// A record as the API shows it, with or without its query.
fn remote(
    record: &CohortRecord,
    workspace: &Workspace,
    ledger: &mut Ledger,
    with_query: bool,
) -> RemoteCohort {
    let id = record.id.clone().unwrap_or_default();
    let (created, updated) = ledger.times(&id);
    RemoteCohort {
        code: record.code.clone(),
        name: record.display_name(),
        description: record.description.clone(),
        query: if with_query {
            record.query.clone()
        } else {
            None
        },
        tags: record.tags.clone(),
        state: record.state_or_default().to_string(),
        workspace_id: Some(workspace_id(workspace)),
        segment_type: Some(
            record
                .segment_type
                .clone()
                .unwrap_or_else(|| Value::from("real_time")),
        ),
        live_audience_size: None,
        created_at: Some(created.to_string()),
        last_updated_at: Some(updated.to_string()),
        id,
    }
}

/// A stable id for the workspace directory.
fn workspace_id(workspace: &Workspace) -> String {
    uuid::Uuid::new_v5(
        &uuid::Uuid::NAMESPACE_URL,
        format!("file://{}", workspace.dir.display()).as_bytes(),
    )
    .to_string()
}

fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

fn finish(
    config: &super::EmulatorConfig,
    method: &str,
    path: &str,
    answer: Result<(StatusCode, String), Failure>,
) -> Response {
    match answer {
        Ok((status, body)) => {
            if config.log {
                super::log::request(
                    status.as_u16(),
                    &format!("{method} {path} {}", status.as_u16()),
                );
            }
            if body.is_empty() {
                status.into_response()
            } else {
                json_response(status, body)
            }
        }
        Err(failure) => {
            if config.log {
                super::log::request(
                    failure.status,
                    &format!(
                        "{method} {path} {} code {}: {}",
                        failure.status, failure.code, failure.message
                    ),
                );
            }
            failure_response(&failure)
        }
    }
}
