//! The emulator's HTTP server: the stateless endpoint's contract over real HTTP (axum), plus two
//! emulator-only endpoints for the console (`/_segscope/explain`, `/_segscope/workspace`).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::sync::oneshot;

use super::cohorts_api::CohortsApi;
use super::failure::Failure;
use super::fault::{Fault, Mishap};
use super::segment;
use super::workspace::{LiveWorkspace, Workspace};
use crate::api::wire::{EXPLAIN_PATH, STATELESS_PATH, WORKSPACE_PATH};

/// Bodies larger than this are refused with 413.
pub const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;

/// How an emulator behaves.
pub struct EmulatorConfig {
    /// Swapped whole when the Cohorts API changes a cohort.
    pub workspace: LiveWorkspace,
    /// The keys it accepts; empty means any non-empty key.
    pub api_keys: Vec<String>,
    /// Write one line per request to stderr (off when embedded in the console).
    pub log: bool,
    /// Injected faults on the segmentation endpoint (none by default).
    pub fault: Fault,
    /// Answer with the request's own state instead of segmenting: the baseline a load test
    /// compares the emulator with (parse the body, write the state back, nothing more).
    pub echo: bool,
    /// The Cohorts API's own state (and whether it writes changes back to `cohorts.json`).
    pub cohorts_api: CohortsApi,
}

impl EmulatorConfig {
    pub fn new(workspace: Workspace) -> EmulatorConfig {
        EmulatorConfig {
            workspace: LiveWorkspace::new(workspace),
            api_keys: Vec::new(),
            log: false,
            fault: Fault::default(),
            echo: false,
            cohorts_api: CohortsApi::default(),
        }
    }
}

pub(super) type Shared = Arc<EmulatorConfig>;

/// The emulator's routes, with the envelope for 404, 405, 413 and panics.
pub fn router(config: Shared) -> Router {
    Router::new()
        .route(STATELESS_PATH, post(stateless))
        .route(EXPLAIN_PATH, post(explain))
        .route(WORKSPACE_PATH, get(workspace))
        .merge(super::cohorts_api::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(on_panic))
        .with_state(config)
}

/// A running emulator; dropping it stops the server.
pub struct RunningEmulator {
    pub addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl RunningEmulator {
    /// `http://127.0.0.1:PORT`
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting connections and waits for the server task to end.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for RunningEmulator {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Binds `addr` (port 0 picks a free port) and serves in a background task.
pub async fn spawn(config: EmulatorConfig, addr: SocketAddr) -> std::io::Result<RunningEmulator> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let (tx, rx) = oneshot::channel::<()>();
    let app = router(Arc::new(config));
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await;
    });
    Ok(RunningEmulator {
        addr,
        shutdown: Some(tx),
        task: Some(task),
    })
}

async fn stateless(
    State(config): State<Shared>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let started = Instant::now();
    if !config.fault.latency.is_zero() {
        tokio::time::sleep(config.fault.latency).await;
    }
    match config.fault.roll() {
        Mishap::None => {}
        Mishap::Panic => panic!("injected fault: handler panic"),
        Mishap::Drop => return cut_off_response(),
        Mishap::Error(status) => {
            return failure_response(
                &Failure::new(status, 5000, "Injected fault.")
                    .with_cause("segscope serve --fault answered this request with an error."),
            );
        }
    }
    if config.echo {
        return match admit(&config, query, &headers, body)
            .and_then(|(_, body)| segment::echo(&body))
        {
            Ok(body) => json_response(StatusCode::OK, body),
            Err(failure) => failure_response(&failure),
        };
    }
    let result = admit(&config, query, &headers, body).and_then(|(sync, body)| {
        segment::segment(
            &config.workspace.current(),
            &body,
            segment::Validation::new(sync, config.log),
        )
        .map(|s| (sync, s))
    });
    match result {
        Ok((sync, seg)) => {
            if config.log {
                let mut line = format!(
                    "POST {STATELESS_PATH} 200 in {:.2} ms (sync validation {})",
                    started.elapsed().as_secs_f64() * 1000.0,
                    if sync { "on" } else { "off" }
                );
                for code in &seg.entered {
                    line.push_str(&format!(" +{code}"));
                }
                for code in &seg.exited {
                    line.push_str(&format!(" -{code}"));
                }
                eprintln!("{line}");
                for v in &seg.late_violations {
                    eprintln!("  schema violation (not enforced): {v}");
                }
                for w in &seg.warnings {
                    eprintln!("  note: {w}");
                }
            }
            json_response(StatusCode::OK, seg.body)
        }
        Err(failure) => {
            if config.log {
                eprintln!(
                    "POST {STATELESS_PATH} {} code {}: {}",
                    failure.status,
                    failure.code,
                    failure.message.replace('\n', "; ")
                );
            }
            failure_response(&failure)
        }
    }
}

async fn explain(
    State(config): State<Shared>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    match admit(&config, query, &headers, body)
        .and_then(|(_, body)| segment::explain(&config.workspace.current(), &body))
    {
        Ok(tree) => json_response(StatusCode::OK, tree.to_string()),
        Err(failure) => failure_response(&failure),
    }
}

async fn workspace(State(config): State<Shared>) -> Response {
    json_response(
        StatusCode::OK,
        config.workspace.current().describe().to_string(),
    )
}

/// The checks every segmentation call passes before its body is read: key, query, body size.
fn admit(
    config: &EmulatorConfig,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(bool, Bytes), Failure> {
    let Query(params) =
        query.map_err(|e| Failure::new(400, 1000, format!("invalid query parameters: {e}")))?;
    authenticate(config, &params, headers)?;
    let sync = match params.get("synchronous-validation").map(String::as_str) {
        None => false,
        Some("true") => true,
        Some("false") => false,
        Some(other) => {
            return Err(Failure::new(
                400,
                1000,
                format!(
                    "invalid query parameter synchronous-validation=\"{other}\": expected true or false"
                ),
            ));
        }
    };
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Failure::new(
                413,
                1002,
                format!(
                    "The request body is larger than {} MiB.",
                    MAX_BODY_BYTES >> 20
                ),
            )
        } else {
            Failure::bad_body(format!("the request body could not be read: {rejection}"))
        }
    })?;
    Ok((sync, body))
}

/// The key rule of every endpoint: in the `X-Api-Key` header or the `k` parameter, not empty,
/// and one of the configured keys when there are any.
pub(super) fn authenticate(
    config: &EmulatorConfig,
    params: &HashMap<String, String>,
    headers: &HeaderMap,
) -> Result<(), Failure> {
    let key = headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| params.get("k").cloned())
        .filter(|k| !k.is_empty());
    let Some(key) = key else {
        return Err(Failure::new(401, 2004, "No API key was provided.")
            .with_cause("Send the key in the X-Api-Key header or the k query parameter."));
    };
    if !config.api_keys.is_empty() && !config.api_keys.iter().any(|k| k == &key) {
        return Err(Failure::new(401, 2000, "The API key provided is invalid.")
            .with_cause("This key does not exist."));
    }
    Ok(())
}

async fn not_found() -> Response {
    failure_response(
        &Failure::new(404, 3000, "No such endpoint.")
            .with_cause(format!("This emulator serves POST {STATELESS_PATH}.")),
    )
}

async fn method_not_allowed() -> Response {
    failure_response(&Failure::new(
        405,
        1000,
        "This method is not allowed on this path.",
    ))
}

fn on_panic(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    failure_response(
        &Failure::new(
            500,
            5000,
            "The emulator failed while handling this request.",
        )
        .with_cause("An internal error (a bug in segscope); the server is still running."),
    )
}

/// A 200 whose body breaks off: the connection is cut after the first bytes.
fn cut_off_response() -> Response {
    let chunks = futures_util::stream::iter([
        Ok::<_, std::io::Error>(Bytes::from_static(b"{\"user_id\":")),
        Err(std::io::Error::other("injected fault: connection dropped")),
    ]);
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        axum::body::Body::from_stream(chunks),
    )
        .into_response()
}

pub(super) fn failure_response(failure: &Failure) -> Response {
    let envelope = failure.envelope(uuid::Uuid::new_v4().to_string());
    let status = StatusCode::from_u16(failure.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    json_response(status, serde_json::to_string(&envelope).unwrap_or_default())
}

pub(super) fn json_response(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}
