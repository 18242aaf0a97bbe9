//! The console left open: 1,000 calls through the real app loop, headless. Prints resident
//! memory and the time to draw a full 200×50 frame as the history grows.
//!
//!     cargo run --release --example console_memory [-- CALLS]

#[path = "../devtools/headless.rs"]
mod headless;
#[path = "../devtools/loadgen.rs"]
#[allow(dead_code)] // shared developer tooling: each user needs part of it
mod loadgen;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let calls: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1000);
    let mut checkpoints = vec![1, 10, 100, 250, 500, 750, 1000, calls];
    checkpoints.sort_unstable();
    checkpoints.dedup();
    let (app, report) = headless::drive(calls, &checkpoints).await?;
    println!("{:>6} {:>10} {:>10}", "calls", "RSS MiB", "frame µs");
    for c in report {
        println!(
            "{:>6} {:>10.1} {:>10}",
            c.calls,
            c.resident_kib as f64 / 1024.0,
            c.frame_micros
        );
    }
    anyhow::ensure!(
        app.history().len() == calls,
        "every call is kept in the history"
    );
    Ok(())
}
