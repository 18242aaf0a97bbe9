//! The console test harness shared by the console test binaries: an in-process emulator, an
//! app in stable mode, keys, the real loop, and the screen as text.
#![allow(dead_code)] // each test binary uses its own part of it

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use futures_util::stream;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use segscope::api::{ApiKey, Client, Target};
use segscope::emulator::{self, EMBEDDED_KEY, EmulatorConfig, RunningEmulator, Workspace};
use segscope::tui::{self, App, AppOptions};

pub const LABEL: &str = "embedded emulator (demo workspace)";
pub const F5: KeyCode = KeyCode::F(5);

pub async fn emulator_with_keys(keys: &[&str]) -> RunningEmulator {
    let mut config = EmulatorConfig::new(Workspace::demo().expect("the demo workspace loads"));
    config.api_keys = keys.iter().map(|k| k.to_string()).collect();
    emulator::spawn(config, "127.0.0.1:0".parse().unwrap())
        .await
        .expect("the emulator starts")
}

pub async fn emulator() -> RunningEmulator {
    emulator_with_keys(&[]).await
}

/// Deterministic screens, and the loop waits for requests in flight when the input ends.
pub fn options() -> AppOptions {
    AppOptions {
        target_label: Some(LABEL.to_string()),
        emulator_endpoints: true,
        stable: true,
        wait_for_requests: true,
        ..AppOptions::default()
    }
}

pub fn app_with_key(base_url: &str, key: &str) -> App {
    App::new(
        Client::new(Target::new(base_url, Some(ApiKey::new(key)))),
        options(),
    )
}

pub fn app_for(base_url: &str) -> App {
    app_with_key(base_url, EMBEDDED_KEY)
}

pub fn key(code: KeyCode) -> Event {
    Event::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

pub fn ctrl(c: char) -> Event {
    Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

pub fn typed(text: &str) -> Vec<Event> {
    text.chars().map(|c| key(KeyCode::Char(c))).collect()
}

/// Runs the real loop over `events`, then until every request has answered.
pub async fn drive(app: App, term: &mut Terminal<TestBackend>, events: Vec<Event>) -> App {
    tui::run_app(app, term, stream::iter(events))
        .await
        .expect("the loop runs")
}

/// The screen as text, trailing spaces trimmed.
pub fn screen(term: &Terminal<TestBackend>) -> String {
    let buf = term.backend().buffer();
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut line = String::new();
        for x in 0..buf.area.width {
            line.push_str(buf[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
