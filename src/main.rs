//! The `segscope` command: parse arguments, pick a subcommand, call into the library.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use segscope::api::{Alias, ApiKey, CallOutcome, Identity, OpaqueState, SegmentationRequest};
use segscope::emulator::{self, EmulatorConfig};
use segscope::exit::Exit;
use segscope::launch::{TargetChoice, connect, load_workspace};
use segscope::session::{self, ReplayOptions, RunOptions, Tally};

/// A terminal console for Permutive's stateless segmentation API, with a local emulator.
#[derive(Parser)]
#[command(version, about, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    console: ConsoleArgs,
}

/// Where the console (and `send`/`replay`) send calls.
#[derive(Args, Clone)]
struct TargetArgs {
    /// Talk to the real API with this key (never shown, logged or saved).
    #[arg(long, env = "PERMUTIVE_API_KEY", hide_env_values = true, value_parser = parse_key)]
    api_key: Option<ApiKey>,
    /// Talk to another endpoint (e.g. a `segscope serve` elsewhere).
    #[arg(long)]
    base_url: Option<String>,
    /// The embedded emulator's workspace (default: the bundled demo).
    #[arg(long)]
    workspace: Option<PathBuf>,
    /// The embedded emulator's clock: `event` (the latest event time) or `wall` (this machine's).
    /// A remote target keeps its own clock, so it is refused with --api-key or --base-url.
    #[arg(long, default_value = "event", conflicts_with_all = ["api_key", "base_url"])]
    clock: segscope::engine::Clock,
}

#[derive(Args)]
struct ConsoleArgs {
    #[command(flatten)]
    target: TargetArgs,
    /// Cohort names for targets that do not describe their workspace (the real API):
    /// a JSON file `{"code": "name", ...}`.
    #[arg(long, value_name = "FILE")]
    cohort_names: Option<PathBuf>,
    /// Cohort definitions for targets that cannot explain (the real API): a directory written
    /// by `segscope workspace pull` (its `cohorts.json`); the explanation view shows the
    /// cohort's query beside the raw state.
    #[arg(long, value_name = "DIR")]
    cohort_definitions: Option<PathBuf>,
    /// Event schemas for targets that do not describe their workspace (the real API): a
    /// directory of `<Event>.json` JSON Schemas (or a workspace with `schemas/`). The editor
    /// checks the events against them as you type; Ctrl+N fills in what they require.
    #[arg(long, value_name = "DIR")]
    schemas: Option<PathBuf>,
    /// Start clean instead of restoring the autosave (the old file is kept as a `.bak`).
    #[arg(long)]
    fresh: bool,
    /// Open this session file (`segscope-session/1`) to replay it step by step with F8.
    #[arg(long, value_name = "FILE")]
    session: Option<PathBuf>,
    /// Seconds each call may take before it is given up (its History row says `timeout`).
    #[arg(long, default_value_t = 10.0, value_parser = segscope::launch::parse_seconds, value_name = "SECONDS")]
    timeout: f64,
}

impl TargetArgs {
    /// The target these flags name, each call given up after `timeout` seconds (`--timeout`).
    fn choice(&self, timeout: f64) -> TargetChoice {
        TargetChoice {
            api_key: self.api_key.clone(),
            base_url: self.base_url.clone(),
            workspace: self.workspace.clone(),
            clock: self.clock,
            timeout: Some(std::time::Duration::from_secs_f64(timeout)),
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Run the emulator as an HTTP server until Ctrl+C.
    Serve(ServeArgs),
    /// Replay session files and compare with their recordings (exit 0 passed, 1 mismatch, 2 error).
    Replay(ReplayArgs),
    /// Make one call: print the response (or error envelope) to stdout, the cohort delta to stderr.
    Send(SendArgs),
    /// Cohorts as code: pull a workspace's cohorts into a directory, check, diff and push them.
    #[command(subcommand)]
    Workspace(WorkspaceCommand),
}

/// Where the Cohorts API is: the real one (with a key), or another host such as a `segscope serve`.
#[derive(Args, Clone)]
struct RemoteArgs {
    /// The API key (never shown, logged or saved).
    #[arg(long, env = "PERMUTIVE_API_KEY", hide_env_values = true, value_parser = parse_key)]
    api_key: Option<ApiKey>,
    /// The host root of both APIs (default: the real API), e.g. http://127.0.0.1:8787.
    #[arg(long)]
    base_url: Option<String>,
    /// Cohorts fetched at once.
    #[arg(long, default_value_t = segscope::workspace::pull::DEFAULT_CONCURRENCY)]
    concurrency: usize,
}

#[derive(Subcommand)]
enum WorkspaceCommand {
    /// Write the remote cohorts, with their queries, to DIR/cohorts.json (schemas/ is kept).
    Pull {
        dir: PathBuf,
        #[command(flatten)]
        remote: RemoteArgs,
    },
    /// Load DIR as the emulator would: exit 0 clean, 1 warnings (with --strict), 2 errors.
    Check {
        dir: PathBuf,
        /// Warnings fail the check too (exit 1).
        #[arg(long)]
        strict: bool,
        #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
        format: CheckFormat,
    },
    /// DIR/cohorts.json against the remote cohorts: exit 0 the same, 1 different, 2 error.
    Diff {
        dir: PathBuf,
        #[command(flatten)]
        remote: RemoteArgs,
    },
    /// Create and update remote cohorts to match DIR/cohorts.json (matched by id, else code).
    Push {
        dir: PathBuf,
        #[command(flatten)]
        remote: RemoteArgs,
        /// Print what would be done; change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Also delete remote cohorts that DIR/cohorts.json does not have.
        #[arg(long)]
        prune: bool,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum CheckFormat {
    Text,
    Json,
}

#[derive(Args)]
struct ReplayArgs {
    /// Session files (`segscope-session/1`); `bundled:NAME` (e.g. `bundled:01-football-fan`) is
    /// one of the sessions bundled in the binary.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    #[command(flatten)]
    target: TargetArgs,
    /// Also compare response states byte for byte.
    #[arg(long)]
    strict_state: bool,
    /// Rewrite the recordings from the live responses (accept the new behaviour).
    #[arg(long)]
    update: bool,
    /// Shift all event times so the session's last event is now (for the real API's clock).
    #[arg(long)]
    retime: bool,
    /// Files replayed in parallel.
    #[arg(long, default_value_t = 1)]
    jobs: usize,
    /// Write a JUnit XML report (one testcase per step).
    #[arg(long, value_name = "FILE")]
    report_junit: Option<PathBuf>,
    /// Seconds each call may take before it is given up (a target error).
    #[arg(long, default_value_t = 10.0, value_parser = segscope::launch::parse_seconds, value_name = "SECONDS")]
    timeout: f64,
}

#[derive(Args)]
struct SendArgs {
    /// A JSON array of events (or one event object); `-` or nothing reads stdin.
    events: Option<PathBuf>,
    /// The user id (default: a fresh UUID, printed to stderr).
    #[arg(long, conflicts_with = "alias")]
    user_id: Option<String>,
    /// An alias as TAG:ID instead of a user id.
    #[arg(long)]
    alias: Option<String>,
    /// A file holding the state to send, byte for byte (as a previous response returned it).
    #[arg(long)]
    state: Option<PathBuf>,
    /// Turn synchronous validation off (it is on by default).
    #[arg(long)]
    no_sync_validation: bool,
    /// Seconds the call may take before it is given up (exit 2).
    #[arg(long, default_value_t = 10.0, value_parser = segscope::launch::parse_seconds, value_name = "SECONDS")]
    timeout: f64,
    #[command(flatten)]
    target: TargetArgs,
}

#[derive(Args)]
struct ServeArgs {
    /// Address to bind.
    #[arg(long, default_value = "127.0.0.1:8787")]
    addr: SocketAddr,
    /// Workspace directory (cohorts.json and schemas/); default: the bundled demo.
    #[arg(long)]
    workspace: Option<PathBuf>,
    /// Accept only these keys. Prefer SEGSCOPE_API_KEYS=k1,k2 (comma-separated) or
    /// --api-key-file: a key on the command line shows in `ps`. Without any, every non-empty key
    /// is accepted.
    #[arg(
        long = "api-key",
        env = "SEGSCOPE_API_KEYS",
        hide_env_values = true,
        value_delimiter = ',',
        value_parser = parse_key
    )]
    api_keys: Vec<ApiKey>,
    /// Measure windows against `event` time (the latest event the user has) or the `wall` clock.
    #[arg(long, default_value = "event")]
    clock: segscope::engine::Clock,
    /// Accept the keys in this file, one per line (blank lines and `#` comments skipped).
    #[arg(long, value_name = "FILE")]
    api_key_file: Option<PathBuf>,
    /// Answer with the request's own state, segmenting nothing: the load-test baseline.
    #[arg(long)]
    echo: bool,
    /// Inject faults, e.g. `latency=300ms,error_rate=0.2,status=503,drop_rate=0.05,panic_rate=0`.
    #[arg(long, value_parser = emulator::Fault::parse)]
    fault: Option<emulator::Fault>,
    /// Seconds a client has to send a request's head (from connecting, or its first byte).
    #[arg(long, default_value_t = 10.0, value_parser = segscope::launch::parse_seconds, value_name = "SECONDS")]
    header_timeout: f64,
    /// Seconds a client has to send a request's body.
    #[arg(long, default_value_t = 30.0, value_parser = segscope::launch::parse_seconds, value_name = "SECONDS")]
    body_timeout: f64,
    /// Seconds a kept-alive connection may sit idle between requests.
    #[arg(long, default_value_t = 60.0, value_parser = segscope::launch::parse_seconds, value_name = "SECONDS")]
    idle_timeout: f64,
    /// Connections served at once; more are answered 503 and closed.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    max_connections: u32,
    /// Write the Cohorts API's changes back to the workspace's cohorts.json (atomically).
    #[arg(long, requires = "workspace")]
    persist: bool,
    /// Write no access log (one line per request on stderr); panics and warnings still are.
    /// RUST_LOG filters the log further (e.g. `RUST_LOG=warn`: 5xx answers and warnings only).
    #[arg(long)]
    quiet: bool,
    /// Serve the demo workspace scaled to this many cohorts (for load figures on large states).
    #[arg(long, hide = true, conflicts_with = "workspace", value_name = "N")]
    scale_cohorts: Option<usize>,
}

fn parse_key(text: &str) -> Result<ApiKey, String> {
    if text.trim().is_empty() {
        return Err("the API key is empty".into());
    }
    Ok(ApiKey::new(text.trim()))
}

fn main() -> ExitCode {
    restore_sigpipe();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("segscope: cannot start the async runtime: {e}");
            return Exit::CouldNotRun.into();
        }
    };
    let result = match cli.command {
        Some(Command::Serve(args)) => runtime.block_on(serve(args)),
        Some(Command::Replay(args)) => runtime.block_on(replay(args)),
        Some(Command::Send(args)) => runtime.block_on(send(args)),
        Some(Command::Workspace(command)) => runtime.block_on(workspace(command)),

        None => {
            let options = segscope::console::LaunchOptions {
                target: cli.console.target.choice(cli.console.timeout),
                cohort_names: cli.console.cohort_names.clone(),
                cohort_definitions: cli.console.cohort_definitions.clone(),
                schemas: cli.console.schemas.clone(),
                fresh: cli.console.fresh,
                session: cli.console.session.clone(),
            };
            runtime
                .block_on(segscope::console::launch(options))
                .map(|()| Exit::Passed.into())
                .map_err(anyhow::Error::from)
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("segscope: {e:#}");
            Exit::CouldNotRun.into()
        }
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let workspace = match args.scale_cohorts {
        Some(count) => emulator::Workspace::demo_scaled(count)?,
        None => load_workspace(args.workspace.as_ref())?,
    };
    let cohorts = workspace.cohorts.cohorts().len();
    let schemas = workspace.schemas.len();
    let dir = workspace.dir.display().to_string();
    let mut workspace = workspace;
    workspace.clock = args.clock;
    // Printed after the address, which stays the first line (scripts and tests read it).
    let warnings: Vec<String> = workspace.warnings().iter().map(|w| w.to_string()).collect();
    let mut config = EmulatorConfig::new(workspace);
    config.api_keys = args
        .api_keys
        .iter()
        .map(|k| k.expose().to_string())
        .collect();
    if let Some(path) = &args.api_key_file {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("{}: cannot read the key file: {e}", path.display()))?;
        let keys: Vec<String> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_string)
            .collect();
        if keys.is_empty() {
            anyhow::bail!("{}: the key file holds no key", path.display());
        }
        config.api_keys.extend(keys);
    }
    let log = emulator::log::init(args.quiet, std::env::var("RUST_LOG").ok().as_deref())?;
    config.log = !args.echo && log.access;
    config.echo = args.echo;
    config.limits = emulator::Limits {
        header: std::time::Duration::from_secs_f64(args.header_timeout),
        body: std::time::Duration::from_secs_f64(args.body_timeout),
        idle: std::time::Duration::from_secs_f64(args.idle_timeout),
        max_connections: args.max_connections as usize,
    };
    config.cohorts_api.persist = args.persist;
    if let Some(fault) = args.fault {
        println!("injecting faults: {fault:?}");
        config.fault = fault;
    }
    let running_keys = config.api_keys.len();
    let running = emulator::spawn(config, args.addr).await?;
    println!(
        "segscope emulator listening on {} (workspace {dir}: {cohorts} cohorts, {schemas} event schemas)",
        running.base_url()
    );
    println!(
        "POST {}/ccs/v1/segmentation/stateless — Ctrl+C to stop",
        running.base_url()
    );
    println!(
        "Cohorts API: {}{} ({})",
        running.base_url(),
        segscope::api::cohorts::COHORTS_PATH,
        if args.persist {
            "changes are written to cohorts.json"
        } else {
            "changes live in memory; --persist writes them to cohorts.json"
        }
    );
    println!("clock: {}", args.clock.name());
    for warning in warnings {
        println!("warning: {warning}");
    }
    match running_keys {
        0 => println!("any non-empty key is accepted"),
        n => println!("{n} key(s) accepted (not shown)"),
    }
    tokio::signal::ctrl_c().await?;
    running.stop().await;
    drop(log);
    Ok(Exit::Passed.into())
}

async fn replay(args: ReplayArgs) -> anyhow::Result<ExitCode> {
    if args.update
        && let Some(file) = args.files.iter().find(|f| segscope::bundled::is_session(f))
    {
        anyhow::bail!(
            "{} is bundled in the binary and cannot be updated: replay a copy of it",
            file.display()
        );
    }
    let connection = connect(&args.target.choice(args.timeout)).await?;
    let options = RunOptions {
        replay: ReplayOptions {
            strict_state: args.strict_state,
            retime_to: args.retime.then(jiff::Timestamp::now),
        },
        update: args.update,
        jobs: args.jobs,
    };
    let started = std::time::Instant::now();
    let (tally, reports, steps) = if args.update {
        // Recordings are rewritten whole: the sessions are held, and printed once written.
        let reports = session::run_files(&connection.client, &args.files, options).await;
        for report in &reports {
            print!("{}", session::report::text(report));
        }
        let steps: usize = reports.iter().map(|r| r.steps.len()).sum();
        (Tally::of(&reports), reports, steps)
    } else {
        // A step at a time, each line printed as it is judged: memory stays flat.
        let streamed = session::stream::run_files(
            &connection.client,
            &args.files,
            options.replay,
            options.jobs,
            args.report_junit.is_some(),
            |text| print!("{text}"),
        )
        .await;
        (streamed.tally, streamed.reports, streamed.steps_run)
    };
    if let Some(path) = &args.report_junit {
        session::write_atomically(path, session::report::junit(&reports).as_bytes()).map_err(
            |e| anyhow::anyhow!("{}: cannot write the JUnit report: {e}", path.display()),
        )?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let against = if connection.is_embedded() {
        "the embedded emulator".to_string()
    } else {
        connection.client.target().describe()
    };
    println!(
        "replayed {steps} steps of {} file(s) against {against} in {elapsed:.2} s",
        reports.len()
    );
    println!("{}", tally.summary());
    Ok(tally.exit().into())
}

async fn send(args: SendArgs) -> anyhow::Result<ExitCode> {
    let events_text = match args.events.as_deref() {
        None => read_stdin()?,
        Some(p) if p.as_os_str() == "-" => read_stdin()?,
        Some(p) => std::fs::read_to_string(p)
            .map_err(|e| anyhow::anyhow!("{}: cannot read: {e}", p.display()))?,
    };
    // Checked as JSON, but sent as written: numbers keep their spelling (`1.0e2`, `-0`).
    let events_value: serde_json::Value = serde_json::from_str(&events_text).map_err(|e| {
        anyhow::anyhow!(
            "the events are not JSON: line {}, column {}: {}",
            e.line(),
            e.column(),
            segscope::json::describe_error(&e)
        )
    })?;
    let events_text = match events_value {
        serde_json::Value::Array(_) => events_text.trim().to_string(),
        serde_json::Value::Object(_) => format!("[{}]", events_text.trim()),
        _ => anyhow::bail!("the events must be a JSON array of events (or one event object)"),
    };
    let identity = match (&args.user_id, &args.alias) {
        (Some(id), _) => Identity::UserId(id.clone()),
        (None, Some(alias)) => {
            let (tag, id) = alias
                .split_once(':')
                .ok_or_else(|| anyhow::anyhow!("--alias must be TAG:ID, e.g. email_sha256:ab12"))?;
            Identity::Alias(Alias {
                tag: tag.to_string(),
                id: id.to_string(),
            })
        }
        (None, None) => Identity::UserId(uuid::Uuid::new_v4().to_string()),
    };
    let new_user = args.user_id.is_none() && args.alias.is_none();
    // The state is checked and its cohorts read in one pass (a state may be a megabyte).
    let (state, before) = match &args.state {
        None => (None, Vec::new()),
        Some(path) => {
            let mut text = std::fs::read_to_string(path)
                .map_err(|e| anyhow::anyhow!("{}: cannot read: {e}", path.display()))?;
            if text.trim().len() != text.len() {
                text = text.trim().to_string();
            }
            let (state, listed) = OpaqueState::from_json_reading_cohorts(text).map_err(|e| {
                anyhow::anyhow!(
                    "{}: the state is not JSON: line {}, column {}: {}",
                    path.display(),
                    e.line(),
                    e.column(),
                    segscope::json::describe_error(&e)
                )
            })?;
            (Some(state), session::replay::sorted_cohorts(listed))
        }
    };
    let request = SegmentationRequest {
        identity: identity.clone(),
        events: serde_json::value::RawValue::from_string(events_text)?,
        state,
    };
    let connection = connect(&args.target.choice(args.timeout)).await?;
    let outcome = connection
        .client
        .segment(&request, !args.no_sync_validation)
        .await;
    match &outcome {
        CallOutcome::Success { raw_body, .. } | CallOutcome::ApiError { raw_body, .. } => {
            if new_user {
                eprintln!("user_id {} (a new user)", identity.describe());
            }
            println!("{raw_body}")
        }
        CallOutcome::Transport { .. } => {}
    }
    // With no answer at all, this is the one line `send` prints.
    eprintln!("{}", outcome.summary());
    // A refused request: every violation, one a line (the summary shows the first line only).
    if let CallOutcome::ApiError {
        envelope: Some(envelope),
        ..
    } = &outcome
    {
        for violation in envelope.violations() {
            eprintln!("  {violation}");
        }
    }
    // Only the state's `cohorts` are read (not the rest, and no digest: nothing is recorded).
    if let CallOutcome::Success { response, .. } = &outcome {
        let after = session::replay::sorted_cohorts(response.listed_cohorts.clone());
        let (entered, left) = session::replay::entered_and_left(&before, &after);
        let mut line = format!("cohorts [{}]", after.join(", "));
        for c in &entered {
            line.push_str(&format!(" +{c}"));
        }
        for c in &left {
            line.push_str(&format!(" -{c}"));
        }
        eprintln!("{line}");
    }
    Ok(match outcome {
        CallOutcome::Success { .. } => Exit::Passed,
        // An answer, but not a 2xx one.
        CallOutcome::ApiError { .. } => Exit::Mismatch,
        // Nothing reached the server (refused, timed out, no such host, a key that cannot be
        // sent in a header): the call could not be made.
        CallOutcome::Transport { .. } => Exit::CouldNotRun,
    }
    .into())
}

fn read_stdin() -> anyhow::Result<String> {
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() {
        // Otherwise a `send` without a file just sits there, looking hung.
        eprintln!(
            "segscope send: reading the events (a JSON array) from the terminal; end with Ctrl+D, or pass a file"
        );
    }
    let mut text = String::new();
    std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)?;
    Ok(text)
}

fn cohorts_client(remote: &RemoteArgs) -> anyhow::Result<segscope::workspace::CohortsClient> {
    if remote.api_key.is_none() && remote.base_url.is_none() {
        anyhow::bail!(
            "the Cohorts API needs a key: --api-key or PERMUTIVE_API_KEY (or --base-url for a segscope serve)"
        );
    }
    let base = remote
        .base_url
        .clone()
        .unwrap_or_else(|| segscope::api::DEFAULT_BASE_URL.to_string());
    Ok(segscope::workspace::CohortsClient::new(
        segscope::api::Target::new(base, remote.api_key.clone()),
    ))
}

async fn workspace(command: WorkspaceCommand) -> anyhow::Result<ExitCode> {
    use segscope::workspace::{check, diff, pull, push};
    let progress = pull::Progress::for_stderr();
    match command {
        WorkspaceCommand::Pull { dir, remote } => {
            let client = cohorts_client(&remote)?;
            let started = std::time::Instant::now();
            let report = pull::pull(&client, &dir, remote.concurrency, progress).await?;
            println!(
                "wrote {} cohorts to {} in {:.2} s",
                report.written,
                report.file.display(),
                started.elapsed().as_secs_f64()
            );
            for skipped in &report.skipped {
                println!("skipped {}", skipped.line());
            }
            if let Some(error) = &report.load_error {
                println!(
                    "warning: the pulled cohorts do not load in the emulator: {error} (see `segscope workspace check`)"
                );
            }
            Ok(Exit::Passed.into())
        }
        WorkspaceCommand::Check {
            dir,
            strict,
            format,
        } => {
            let report = check::check(&dir);
            match format {
                CheckFormat::Text => print!("{}", report.text()),
                CheckFormat::Json => println!("{}", report.json()),
            }
            Ok(report.exit(strict).into())
        }
        WorkspaceCommand::Diff { dir, remote } => {
            let client = cohorts_client(&remote)?;
            let local = segscope::workspace::read_local_records(&dir)?;
            let fetched = pull::fetch_all(&client, remote.concurrency, progress).await?;
            let comparison = diff::compare(&local, &fetched);
            print!("{}", comparison.text());
            Ok(Exit::of(false, !comparison.is_same()).into())
        }
        WorkspaceCommand::Push {
            dir,
            remote,
            dry_run,
            prune,
        } => {
            let client = cohorts_client(&remote)?;
            let options = push::PushOptions {
                dry_run,
                prune,
                concurrency: remote.concurrency,
                progress,
            };
            let report = push::push(&client, &dir, options, &mut |line| println!("{line}")).await?;
            print!("{}", report.text());
            Ok(Exit::of(report.error.is_some(), false).into())
        }
    }
}

/// Rust ignores SIGPIPE, so a `println!` into a closed pipe (`segscope replay … | head`)
/// panics with "failed printing to stdout". A command-line filter should stop quietly instead,
/// as Unix tools do: give SIGPIPE back its default action.
fn restore_sigpipe() {
    #[cfg(unix)]
    // SAFETY: called first thing in `main`, before any thread exists; setting a signal's
    // disposition to the default has no other effect on the process.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
