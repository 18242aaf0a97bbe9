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
    // The UI task's share of an autosave at this history size: a new call and the head
    // serialised and handed to the writer thread (median of 21). For comparison, the whole-file
    // serialisation every save used to do on the UI task (now only at start and quit).
    let mut app = app;
    let mut journal = Vec::with_capacity(21);
    let mut whole = Vec::with_capacity(5);
    for i in 0..21 {
        let call = app.history()[i].clone();
        app.record_call(call);
        let t = std::time::Instant::now();
        app.autosave_in_background();
        journal.push(t.elapsed().as_micros());
    }
    for _ in 0..5 {
        let t = std::time::Instant::now();
        let text = segscope::console::autosave::serialise(app.model());
        whole.push(t.elapsed().as_micros());
        std::hint::black_box(text);
    }
    journal.sort_unstable();
    whole.sort_unstable();
    println!(
        "autosave at {} calls: {} µs on the UI task (journal: new call + head); a whole-file save: {} µs",
        app.history().len(),
        journal[journal.len() / 2],
        whole[whole.len() / 2]
    );
    let app = app;
    anyhow::ensure!(
        app.history().len() == calls + 21,
        "every call is kept in the history"
    );
    Ok(())
}
