//! A headless driver of the console: the real app loop (keys → update → requests → draw into
//! a `TestBackend`) against an in-process emulator, making many calls. It measures what a
//! console left open all day costs: the process's resident memory and the time to draw one
//! full frame, as the history grows.

use std::time::Instant;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use futures_util::stream;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::loadgen::{reader_event, resident_kib};
use segscope::api::{ApiKey, Client, Target};
use segscope::console::{App, AppOptions, draw, run_app};
use segscope::emulator::{self, EMBEDDED_KEY, EmulatorConfig, Workspace};

/// One checkpoint of a drive.
#[derive(Debug, Clone, Copy)]
pub struct Checkpoint {
    pub calls: usize,
    pub resident_kib: u64,
    /// The median time to draw one full 200×50 frame.
    pub frame_micros: u128,
}

/// Makes `calls` calls, one Pageview each, ten minutes apart (so windows fill and prune as in
/// a long session), and reports at each of `checkpoints`.
///
/// The autosave is on (in a fresh directory under the system's temp dir, removed at the end), as
/// in a real console: each call is journaled, so its cost is in the figures.
pub async fn drive(calls: usize, checkpoints: &[usize]) -> anyhow::Result<(App, Vec<Checkpoint>)> {
    let state = std::env::temp_dir().join(format!("segscope-headless-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&state);
    let running = emulator::spawn(
        EmulatorConfig::new(Workspace::demo()?),
        "127.0.0.1:0".parse()?,
    )
    .await?;
    let options = AppOptions {
        target_label: Some("embedded emulator".into()),
        emulator_endpoints: true,
        wait_for_requests: true,
        autosave: Some(state.join("autosave.json")),
        ..AppOptions::default()
    };
    let target = Target::new(running.base_url(), Some(ApiKey::new(EMBEDDED_KEY)));
    let mut app = App::new(Client::new(target), options);
    let mut terminal = Terminal::new(TestBackend::new(200, 50))?;
    let start: jiff::Timestamp = "2026-01-01T08:00:00Z".parse()?;
    let mut report = Vec::new();
    let mut made = 0;
    for &checkpoint in checkpoints.iter().filter(|c| **c <= calls) {
        while made < checkpoint {
            let time = start + jiff::SignedDuration::from_mins(10 * made as i64);
            let events = serde_json::Value::Array(vec![reader_event(time, made)]);
            app.set_editor_text(&serde_json::to_string_pretty(&events)?);
            let send = Event::Key(KeyEvent::new(KeyCode::F(5), KeyModifiers::NONE));
            app = run_app(app, &mut terminal, stream::iter(vec![send])).await?;
            made += 1;
        }
        let mut samples = Vec::with_capacity(21);
        for _ in 0..21 {
            let t = Instant::now();
            terminal.draw(|frame| draw(&app, frame))?;
            samples.push(t.elapsed().as_micros());
        }
        samples.sort_unstable();
        report.push(Checkpoint {
            calls: app.history().len(),
            resident_kib: resident_kib(std::process::id()).unwrap_or(0),
            frame_micros: samples[samples.len() / 2],
        });
    }
    running.stop().await;
    let _ = std::fs::remove_dir_all(&state);
    Ok((app, report))
}
