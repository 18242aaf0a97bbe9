//! Developer tooling, not part of the product: `cargo xtask screenshots` regenerates the README's
//! screenshots (`screenshots/*.svg`) from the real rendering; `cargo xtask bench` load-tests the
//! emulator against its echo baseline (or any endpoint with `--base-url`). `cargo xtask` is an
//! alias (`.cargo/config.toml`) for `cargo run --example xtask --`; for load figures build it
//! optimised: `cargo run --release --example xtask -- bench`.

#[path = "../devtools/loadgen.rs"]
#[allow(dead_code)] // the benches and the console_memory driver use the rest
mod loadgen;
#[path = "../devtools/screenshots.rs"]
mod screenshots;
#[path = "../devtools/svg.rs"]
mod svg;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use segscope::api::ApiKey;
use segscope::emulator::{self, EmulatorConfig};
use segscope::launch::load_workspace;

#[derive(Parser)]
#[command(name = "cargo xtask", about = "segscope's developer tooling")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Regenerate the README's screenshots (`screenshots/*.svg`) from the real rendering.
    Screenshots {
        /// Where to write them.
        #[arg(long, default_value = "screenshots")]
        out: PathBuf,
    },
    /// Load-test the emulator against its echo baseline (or any endpoint with --base-url).
    Bench(BenchArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("xtask: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let result = match cli.command {
        Command::Screenshots { out } => runtime.block_on(async {
            for path in screenshots::write_all(&out).await? {
                println!("wrote {}", path.display());
            }
            Ok(ExitCode::SUCCESS)
        }),
        Command::Bench(args) => runtime.block_on(bench(args)),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("xtask: {e:#}");
            ExitCode::from(2)
        }
    }
}

#[derive(Args)]
struct BenchArgs {
    /// Concurrent keep-alive connections.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    connections: u32,
    /// How long each target is loaded, in seconds (more than 0, at most a day).
    #[arg(long, default_value_t = 10.0, value_parser = segscope::launch::parse_seconds)]
    seconds: f64,
    /// Stop each run after this many requests.
    #[arg(long)]
    requests: Option<u64>,
    /// Cohorts in the (scaled demo) workspace of the in-process emulator.
    #[arg(long, default_value_t = 100)]
    cohorts: usize,
    /// Load this endpoint instead of in-process emulator + echo baseline. With --echo-url, the
    /// emulator (a separate `segscope serve`) in an interleaved comparison.
    #[arg(long)]
    base_url: Option<String>,
    /// The echo baseline (a separate `segscope serve --echo`): measure --base-url and this
    /// interleaved, A B A B …, and report the ratio of each pair and their min/median.
    #[arg(long, requires = "base_url")]
    echo_url: Option<String>,
    /// Pairs of interleaved runs (with --echo-url).
    #[arg(long, default_value_t = 5)]
    pairs: usize,
    /// Write the request body (built through --base-url) to this file and stop: for wrk/oha.
    #[arg(long, requires = "base_url", value_name = "FILE")]
    write_body: Option<PathBuf>,
    /// Report this server process's resident memory after 5 s and at the end (soak test).
    #[arg(long)]
    server_pid: Option<u32>,
}

async fn bench(args: BenchArgs) -> anyhow::Result<ExitCode> {
    use loadgen::LoadPlan;
    let plan = LoadPlan {
        connections: args.connections as usize,
        duration: std::time::Duration::from_secs_f64(args.seconds),
        max_requests: args.requests,
    };
    let key = Some(ApiKey::new(emulator::EMBEDDED_KEY));
    let rss_watch = args.server_pid.map(|pid| {
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_secs(5)).await;
            loadgen::resident_kib(pid)
        })
    });
    let mut failed = false;
    if let (Some(url), Some(path)) = (&args.base_url, &args.write_body) {
        let request = loadgen::realistic_request(url, key.clone())
            .await
            .map_err(anyhow::Error::msg)?;
        let body = request.to_body();
        std::fs::write(path, &body)?;
        println!("wrote {} ({} bytes)", path.display(), body.len());
    } else if let (Some(url), Some(echo)) = (&args.base_url, &args.echo_url) {
        failed = interleaved(url, echo, key, &plan, args.pairs).await?;
    } else if let Some(url) = &args.base_url {
        println!(
            "loading {url} with {} connections for {} s",
            plan.connections, args.seconds
        );
        let request = loadgen::realistic_request(url, key.clone())
            .await
            .map_err(anyhow::Error::msg)?;
        let report = loadgen::run(url, key, &request, &plan)
            .await
            .map_err(anyhow::Error::msg)?;
        println!("target    {}", report.line());
        failed |= report.errors > 0;
        if let Some(e) = &report.first_error {
            println!("first error: {e}");
        }
    } else {
        let workspace = segscope::emulator::Workspace::demo_scaled(args.cohorts)?;
        let emulator =
            emulator::spawn(EmulatorConfig::new(workspace), "127.0.0.1:0".parse()?).await?;
        let mut echo_config = EmulatorConfig::new(load_workspace(None)?);
        echo_config.echo = true;
        let echo = emulator::spawn(echo_config, "127.0.0.1:0".parse()?).await?;
        println!(
            "{} connections, {} s each, 10 events + 4 weeks of state per request, {} cohorts",
            plan.connections, args.seconds, args.cohorts
        );
        // Both servers get the same bodies: a state accumulated by the emulator itself.
        let request = loadgen::realistic_request(&emulator.base_url(), key.clone())
            .await
            .map_err(anyhow::Error::msg)?;
        let baseline = loadgen::run(&echo.base_url(), key.clone(), &request, &plan)
            .await
            .map_err(anyhow::Error::msg)?;
        println!("echo      {}", baseline.line());
        let report = loadgen::run(&emulator.base_url(), key, &request, &plan)
            .await
            .map_err(anyhow::Error::msg)?;
        println!("emulator  {}", report.line());
        println!(
            "ratio     {:.2} of the echo baseline's throughput",
            report.requests_per_second() / baseline.requests_per_second().max(1e-9)
        );
        for e in [&baseline.first_error, &report.first_error]
            .into_iter()
            .flatten()
        {
            println!("first error: {e}");
        }
        failed |= report.errors + baseline.errors > 0;
    }
    if let (Some(watch), Some(pid)) = (rss_watch, args.server_pid) {
        let early = watch.await.ok().flatten();
        let end = loadgen::resident_kib(pid);
        if let (Some(early), Some(end)) = (early, end) {
            println!(
                "server RSS {early} KiB after 5 s, {end} KiB at the end ({:+.1}%)",
                (end as f64 - early as f64) * 100.0 / early as f64
            );
        }
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The emulator at `url` and the echo baseline at `echo`, each a process of its own (so is this
/// generator), loaded in turn: echo, emulator, echo, emulator … with the same body (a state the
/// emulator accumulated). Each pair gives a ratio; the spread shows how noisy the machine was.
/// Returns whether any request failed.
async fn interleaved(
    url: &str,
    echo: &str,
    key: Option<ApiKey>,
    plan: &loadgen::LoadPlan,
    pairs: usize,
) -> anyhow::Result<bool> {
    let request = loadgen::realistic_request(url, key.clone())
        .await
        .map_err(anyhow::Error::msg)?;
    println!(
        "{} pairs, {} connections, {:.1} s per run, state {} bytes",
        pairs,
        plan.connections,
        plan.duration.as_secs_f64(),
        request.state.as_ref().map_or(0, |s| s.as_str().len())
    );
    let (mut ratios, mut echo_rps, mut emu_rps, mut emu_p99) = (vec![], vec![], vec![], vec![]);
    let mut failed = false;
    for pair in 1..=pairs.max(1) {
        let base = loadgen::run(echo, key.clone(), &request, plan)
            .await
            .map_err(anyhow::Error::msg)?;
        let emu = loadgen::run(url, key.clone(), &request, plan)
            .await
            .map_err(anyhow::Error::msg)?;
        let ratio = emu.requests_per_second() / base.requests_per_second().max(1e-9);
        println!("pair {pair} echo      {}", base.line());
        println!("pair {pair} emulator  {}", emu.line());
        println!("pair {pair} ratio     {ratio:.2}");
        for e in [&base.first_error, &emu.first_error].into_iter().flatten() {
            println!("first error: {e}");
        }
        failed |= base.errors + emu.errors > 0;
        ratios.push(ratio);
        echo_rps.push(base.requests_per_second());
        emu_rps.push(emu.requests_per_second());
        emu_p99.push(emu.p99.as_secs_f64() * 1000.0);
    }
    let show = |name: &str, figures: &[f64], unit: &str| {
        let (min, median) = loadgen::min_median(figures);
        println!("{name:<13} min {min:.2}{unit}  median {median:.2}{unit}");
    };
    show("ratio", &ratios, "");
    show("echo req/s", &echo_rps, "");
    show("emulator req/s", &emu_rps, "");
    show("emulator p99", &emu_p99, " ms");
    Ok(failed)
}
