//! Choosing the target a command talks to: the embedded emulator (the default), the real API
//! (`--api-key`), or any other endpoint (`--base-url`). Every command gets an `api::Client`.

use std::path::PathBuf;

use crate::api::{ApiKey, Client, DEFAULT_BASE_URL, Target};
use crate::emulator::{self, EmulatorConfig, RunningEmulator, Workspace, WorkspaceError};

/// What the user asked for on the command line.
#[derive(Debug, Clone, Default)]
pub struct TargetChoice {
    pub api_key: Option<ApiKey>,
    pub base_url: Option<String>,
    pub workspace: Option<PathBuf>,
    /// The embedded emulator's clock (`--clock`).
    pub clock: crate::engine::Clock,
    /// How long a call may take before it is given up (`--timeout`; `None`: the client's
    /// default, 10 s).
    pub timeout: Option<std::time::Duration>,
}

/// A client, and the embedded emulator behind it when there is one (dropping it stops it).
pub struct Connection {
    pub client: Client,
    pub emulator: Option<RunningEmulator>,
}

impl Connection {
    pub fn is_embedded(&self) -> bool {
        self.emulator.is_some()
    }
}

/// Why a target could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    #[error(
        "--workspace configures the embedded emulator; it cannot be combined with --api-key or --base-url"
    )]
    WorkspaceWithRemote,
    /// The workspace directory (or the bundled demo) does not load.
    #[error(transparent)]
    Workspace(#[from] WorkspaceError),
    /// The embedded emulator could not bind its loopback port.
    #[error("cannot start the embedded emulator")]
    Start(#[source] std::io::Error),
}

/// Loads a workspace directory, or the bundled demo.
pub fn load_workspace(dir: Option<&PathBuf>) -> Result<Workspace, WorkspaceError> {
    match dir {
        Some(dir) => Workspace::load(dir),
        None => Workspace::demo(),
    }
}

/// Opens the chosen target; for the embedded emulator, starts it on `127.0.0.1:0`.
pub async fn connect(choice: &TargetChoice) -> Result<Connection, LaunchError> {
    if choice.workspace.is_some() && (choice.api_key.is_some() || choice.base_url.is_some()) {
        return Err(LaunchError::WorkspaceWithRemote);
    }
    if choice.api_key.is_some() || choice.base_url.is_some() {
        let base = choice
            .base_url
            .clone()
            .unwrap_or_else(|| DEFAULT_BASE_URL.to_string());
        let target = Target::new(base, choice.api_key.clone());
        return Ok(Connection {
            client: with_timeout(Client::new(target), choice.timeout),
            emulator: None,
        });
    }
    let mut workspace = load_workspace(choice.workspace.as_ref())?;
    workspace.clock = choice.clock;
    let running = emulator::spawn(
        EmulatorConfig::new(workspace),
        "127.0.0.1:0".parse().expect("a literal address"),
    )
    .await
    .map_err(LaunchError::Start)?;
    let target = Target::new(
        running.base_url(),
        Some(ApiKey::new(emulator::EMBEDDED_KEY)),
    );
    Ok(Connection {
        client: with_timeout(Client::new(target), choice.timeout),
        emulator: Some(running),
    })
}

fn with_timeout(client: Client, timeout: Option<std::time::Duration>) -> Client {
    match timeout {
        Some(timeout) => client.with_timeout(timeout),
        None => client,
    }
}

/// A duration flag in seconds (`serve --header-timeout`, the load generator's `--seconds`):
/// finite, more than 0 and at most a day, so that `Duration::from_secs_f64` can never panic.
pub fn parse_seconds(text: &str) -> Result<f64, String> {
    let seconds: f64 = text
        .parse()
        .map_err(|_| format!("\"{text}\" is not a number of seconds"))?;
    if seconds.is_finite() && seconds > 0.0 && seconds <= 86_400.0 {
        Ok(seconds)
    } else {
        Err(format!(
            "{text} seconds: expected more than 0 and at most 86400"
        ))
    }
}
