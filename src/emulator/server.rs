//! The emulator's HTTP server: the stateless endpoint's contract over real HTTP (axum), plus two
//! emulator-only endpoints for the console (`/_segscope/explain`, `/_segscope/workspace`).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::sync::oneshot;

use super::cohorts_api::CohortsApi;
use super::failure::{Failure, clip, quote};
use super::fault::{Fault, Mishap};
use super::listener::{GuardedListener, Limits};
use super::log;
use super::segment;
use super::workspace::{LiveWorkspace, Workspace};
use crate::api::wire::{EXPLAIN_PATH, STATELESS_PATH, WORKSPACE_PATH};

/// Bodies larger than this are refused with 413.
pub const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;

/// The longest log line, in characters (a request's error may list many violations).
const LOG_LINE: usize = 1000;
/// The most detail lines logged under one request.
const LOG_LINES: usize = 10;

/// How an emulator behaves.
pub struct EmulatorConfig {
    /// Swapped whole when the Cohorts API changes a cohort.
    pub workspace: LiveWorkspace,
    /// The keys it accepts; empty means any non-empty key.
    pub api_keys: Vec<String>,
    /// Log each request (see [`super::log`]; off when embedded in the console).
    pub log: bool,
    /// Injected faults on the segmentation endpoint (none by default).
    pub fault: Fault,
    /// Answer with the request's own state instead of segmenting: the baseline a load test
    /// compares the emulator with (parse the body, write the state back, nothing more).
    pub echo: bool,
    /// Read deadlines and the connection limit.
    pub limits: Limits,
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
            limits: Limits::default(),
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
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(on_panic))
        .with_state(config)
}

/// A running emulator; dropping it stops the server.
pub struct RunningEmulator {
    pub addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    /// Cuts the connections still open when the grace period is over.
    cut: tokio_util::sync::CancellationToken,
    task: Option<tokio::task::JoinHandle<()>>,
    /// What it serves, shared with its routes (e.g. for the console to swap the workspace).
    config: Shared,
}

/// How long `stop` lets requests in flight finish before it cuts their connections.
pub const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

impl RunningEmulator {
    /// `http://127.0.0.1:PORT`
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The configuration it serves: its `workspace` can be replaced while it runs.
    pub fn config(&self) -> &Arc<EmulatorConfig> {
        &self.config
    }

    /// Stops accepting connections, lets requests in flight finish for [`SHUTDOWN_GRACE`], then
    /// cuts whatever is still open (a client half-way through a request, an idle keep-alive),
    /// so a stop never waits on a client.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(SHUTDOWN_GRACE, &mut task)
                .await
                .is_err()
        {
            self.cut.cancel();
            if tokio::time::timeout(SHUTDOWN_GRACE, &mut task)
                .await
                .is_err()
            {
                task.abort();
            }
        }
    }
}

impl Drop for RunningEmulator {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.cut.cancel();
    }
}

/// Binds `addr` (port 0 picks a free port) and serves in a background task.
pub async fn spawn(config: EmulatorConfig, addr: SocketAddr) -> std::io::Result<RunningEmulator> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let (tx, rx) = oneshot::channel::<()>();
    let cut = tokio_util::sync::CancellationToken::new();
    let listener = GuardedListener::new(listener, config.limits, cut.clone());
    let config = Arc::new(config);
    let app = router(config.clone());
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
        cut,
        task: Some(task),
        config,
    })
}

async fn stateless(
    State(config): State<Shared>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
    headers: HeaderMap,
    body: Body,
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
            .await
            .and_then(|(_, body)| segment::echo(&body))
        {
            Ok(body) => json_response(StatusCode::OK, body),
            Err(failure) => failure_response(&failure),
        };
    }
    let result = admit(&config, query, &headers, body)
        .await
        .and_then(|(sync, body)| {
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
                let mut entry = format!(
                    "POST {STATELESS_PATH} 200 in {:.2} ms (sync validation {})",
                    started.elapsed().as_secs_f64() * 1000.0,
                    if sync { "on" } else { "off" }
                );
                for code in &seg.entered {
                    entry.push_str(&format!(" +{code}"));
                }
                for code in &seg.exited {
                    entry.push_str(&format!(" -{code}"));
                }
                for v in seg.late_violations.iter().take(LOG_LINES) {
                    entry.push_str(&format!(
                        "\n  schema violation (not enforced): {}",
                        quote(v)
                    ));
                }
                for w in seg.warnings.iter().take(LOG_LINES) {
                    entry.push_str(&format!("\n  note: {}", quote(w)));
                }
                log::request(200, &entry);
            }
            json_response(StatusCode::OK, seg.body)
        }
        Err(failure) => {
            if config.log {
                log::request(
                    failure.status,
                    &format!(
                        "POST {STATELESS_PATH} {} code {}: {}",
                        failure.status,
                        failure.code,
                        clip(&failure.message.replace('\n', "; "), LOG_LINE)
                    ),
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
    body: Body,
) -> Response {
    match admit(&config, query, &headers, body)
        .await
        .and_then(|(_, body)| segment::explain(&config.workspace.current(), &body))
    {
        Ok(tree) => json_response(StatusCode::OK, tree.to_string()),
        Err(failure) => failure_response(&failure),
    }
}

async fn workspace(
    State(config): State<Shared>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
    headers: HeaderMap,
) -> Response {
    // Open without a key list (as before); with `--api-key`, the emulator's own endpoints need a
    // listed key like the API's.
    let k = query
        .ok()
        .and_then(|Query(params)| params.get("k").cloned());
    if !config.api_keys.is_empty()
        && let Err(failure) = check_key(&config, &headers, k.as_ref())
    {
        return failure_response(&failure);
    }
    json_response(
        StatusCode::OK,
        config.workspace.current().describe().to_string(),
    )
}

/// The key check every endpoint but the fallbacks passes: `X-Api-Key` (or `?k=`) present and,
/// with a key list, on it. A header that is not visible ASCII is a key, just not a valid one.
fn check_key(
    config: &EmulatorConfig,
    headers: &HeaderMap,
    k: Option<&String>,
) -> Result<(), Failure> {
    let key = match headers.get("x-api-key") {
        Some(value) => match value.to_str() {
            Ok(text) => Some(text.to_string()),
            Err(_) => {
                return Err(Failure::new(401, 2000, "The API key provided is invalid.")
                    .with_cause("The X-Api-Key header holds characters no key has."));
            }
        },
        None => k.cloned(),
    }
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

/// The checks every segmentation call passes: key, query, then the body, read within the body
/// deadline and the size limit.
async fn admit(
    config: &EmulatorConfig,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
    headers: &HeaderMap,
    body: Body,
) -> Result<(bool, Bytes), Failure> {
    let Query(params) = query.map_err(|e| {
        Failure::new(
            400,
            1000,
            format!("invalid query parameters: {}", quote(&e.to_string())),
        )
    })?;
    check_key(config, headers, params.get("k"))?;
    let sync = match params.get("synchronous-validation").map(String::as_str) {
        None => false,
        Some("true") => true,
        Some("false") => false,
        Some(other) => {
            return Err(Failure::new(
                400,
                1000,
                format!(
                    "invalid query parameter synchronous-validation=\"{}\": expected true or false",
                    quote(other)
                ),
            ));
        }
    };
    let body = tokio::time::timeout(config.limits.body, read_body(headers, body))
        .await
        .map_err(|_| {
            Failure::new(
                408,
                1002,
                format!(
                    "The request body did not arrive within {} s.",
                    config.limits.body.as_secs_f64()
                ),
            )
            .with_cause("The client sent the head of a request and then too little of its body.")
        })??;
    Ok((sync, body))
}

/// The body, refused with 413 past [`MAX_BODY_BYTES`] (announced or sent).
async fn read_body(headers: &HeaderMap, body: Body) -> Result<Bytes, Failure> {
    use futures_util::StreamExt;
    let too_large = || {
        Failure::new(
            413,
            1002,
            format!(
                "The request body is larger than {} MiB.",
                MAX_BODY_BYTES >> 20
            ),
        )
    };
    let announced = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return Err(too_large());
    }
    let mut stream = body.into_data_stream();
    let mut first: Option<Bytes> = None;
    let mut all: Vec<u8> = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            Failure::bad_body(format!(
                "the request body could not be read: {}",
                quote(&e.to_string())
            ))
        })?;
        let so_far = first.as_ref().map_or(0, Bytes::len) + all.len();
        if so_far + chunk.len() > MAX_BODY_BYTES {
            return Err(too_large());
        }
        // One chunk (the usual case) is kept as it came; more are joined.
        match first.take() {
            None if all.is_empty() => first = Some(chunk),
            None => all.extend_from_slice(&chunk),
            Some(head) => {
                all.reserve(announced.unwrap_or(0) as usize);
                all.extend_from_slice(&head);
                all.extend_from_slice(&chunk);
            }
        }
    }
    Ok(first.unwrap_or_else(|| Bytes::from(all)))
}

/// The key rule of every endpoint: in the `X-Api-Key` header or the `k` parameter, not empty,
/// and one of the configured keys when there are any.
pub(super) fn authenticate(
    config: &EmulatorConfig,
    params: &HashMap<String, String>,
    headers: &HeaderMap,
) -> Result<(), Failure> {
    check_key(config, headers, params.get("k"))
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
