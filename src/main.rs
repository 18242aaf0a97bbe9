//! The `segscope` command: parse arguments, pick a subcommand, call into the library.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use segscope::api::ApiKey;
use segscope::emulator::{self, EmulatorConfig, Workspace};

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
}

#[derive(Args)]
struct ConsoleArgs {
    #[command(flatten)]
    target: TargetArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Run the emulator as an HTTP server until Ctrl+C.
    Serve(ServeArgs),
}

#[derive(Args)]
struct ServeArgs {
    /// Address to bind.
    #[arg(long, default_value = "127.0.0.1:8787")]
    addr: SocketAddr,
    /// Workspace directory (cohorts.json and schemas/); default: the bundled demo.
    #[arg(long)]
    workspace: Option<PathBuf>,
    /// Accept only these keys (repeatable); without it any non-empty key is accepted.
    #[arg(long = "api-key", value_parser = parse_key)]
    api_keys: Vec<ApiKey>,
    /// Inject faults, e.g. `latency=300ms,error_rate=0.2,status=503,drop_rate=0.05,panic_rate=0`.
    #[arg(long, value_parser = emulator::Fault::parse)]
    fault: Option<emulator::Fault>,
}

fn parse_key(text: &str) -> Result<ApiKey, String> {
    if text.trim().is_empty() {
        return Err("the API key is empty".into());
    }
    Ok(ApiKey::new(text.trim()))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("segscope: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let result = match cli.command {
        Some(Command::Serve(args)) => runtime.block_on(serve(args)),
        None => {
            let args = ServeArgs {
                addr: "127.0.0.1:8787".parse().expect("a literal address"),
                workspace: cli.console.target.workspace.clone(),
                api_keys: Vec::new(),
                fault: None,
            };
            eprintln!("segscope: the console is not built yet; serving the emulator instead.");
            runtime.block_on(serve(args))
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("segscope: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn load_workspace(dir: Option<&PathBuf>) -> anyhow::Result<Workspace> {
    let workspace = match dir {
        Some(dir) => Workspace::load(dir)?,
        None => Workspace::demo()?,
    };
    Ok(workspace)
}

async fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let workspace = load_workspace(args.workspace.as_ref())?;
    let cohorts = workspace.cohorts.cohorts().len();
    let schemas = workspace.schemas.len();
    let dir = workspace.dir.display().to_string();
    let mut config = EmulatorConfig::new(workspace);
    config.api_keys = args
        .api_keys
        .iter()
        .map(|k| k.expose().to_string())
        .collect();
    config.log = true;
    if let Some(fault) = args.fault {
        println!("injecting faults: {fault:?}");
        config.fault = fault;
    }
    let running = emulator::spawn(config, args.addr).await?;
    println!(
        "segscope emulator listening on {} (workspace {dir}: {cohorts} cohorts, {schemas} event schemas)",
        running.base_url()
    );
    println!(
        "POST {}/ccs/v1/segmentation/stateless — Ctrl+C to stop",
        running.base_url()
    );
    tokio::signal::ctrl_c().await?;
    running.stop().await;
    Ok(ExitCode::SUCCESS)
}
