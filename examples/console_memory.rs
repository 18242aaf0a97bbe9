//! Headless console driver: the real app loop (keys → update → requests → draw into a
//! `TestBackend`) against the in-process emulator, making 1,000 calls. Prints the process's
//! resident memory and the time to draw one full frame as the history grows.
//!
//!     cargo run --release --example console_memory [-- CALLS]

use std::time::Instant;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use futures_util::stream;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use segscope::api::{ApiKey, Client, Target};
use segscope::emulator::{self, EMBEDDED_KEY, EmulatorConfig, Workspace};
use segscope::loadgen::{reader_event, resident_kib};
use segscope::tui::{self, App, AppOptions};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let calls: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1000);
    let running = emulator::spawn(
        EmulatorConfig::new(Workspace::demo()?),
        "127.0.0.1:0".parse()?,
    )
    .await?;
    let options = AppOptions {
        target_label: Some("embedded emulator".into()),
        emulator_endpoints: true,
        wait_for_requests: true,
        ..AppOptions::default()
    };
    let target = Target::new(running.base_url(), Some(ApiKey::new(EMBEDDED_KEY)));
    let mut app = App::new(Client::new(target), options);
    let mut terminal = Terminal::new(TestBackend::new(200, 50))?;
    let pid = std::process::id();
    let start: jiff::Timestamp = "2026-01-01T08:00:00Z".parse()?;
    println!("{:>6} {:>10} {:>14}", "calls", "RSS MiB", "frame µs");
    let mut made = 0;
    for checkpoint in [1usize, 10, 100, 250, 500, 750, 1000]
        .into_iter()
        .filter(|c| *c <= calls)
    {
        while made < checkpoint {
            // Ten minutes between calls: windows fill and prune as they would in a long session.
            let time = start + jiff::SignedDuration::from_mins(10 * made as i64);
            let events = serde_json::Value::Array(vec![reader_event(time, made)]);
            app.set_editor_text(&serde_json::to_string_pretty(&events)?);
            let send = Event::Key(KeyEvent::new(KeyCode::F(5), KeyModifiers::NONE));
            app = tui::run_app(app, &mut terminal, stream::iter(vec![send])).await?;
            made += 1;
        }
        // One full frame, drawn from the current state (the median of 21 draws).
        let mut samples: Vec<u128> = (0..21)
            .map(|_| {
                let t = Instant::now();
                terminal
                    .draw(|frame| tui::draw(&app, frame))
                    .map(|_| t.elapsed().as_micros())
            })
            .collect::<Result<_, _>>()?;
        samples.sort_unstable();
        let rss = resident_kib(pid).unwrap_or(0) as f64 / 1024.0;
        println!(
            "{:>6} {:>10.1} {:>14}",
            app.history().len(),
            rss,
            samples[10]
        );
    }
    assert_eq!(
        app.history().len(),
        calls,
        "every call is kept in the history"
    );
    running.stop().await;
    Ok(())
}
