//! The console test harness shared by the console test binaries: an in-process emulator, an
//! app in stable mode, keys, the real loop, and the screen as text.
#![allow(dead_code)] // each test binary uses its own part of it

use std::sync::{Arc, Mutex};

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use futures_util::stream;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Modifier;
use segscope::api::{ApiKey, Client, Target};
use segscope::console::{self, App, AppOptions};
use segscope::emulator::{self, EMBEDDED_KEY, EmulatorConfig, RunningEmulator, Workspace};

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
        time: segscope::console::Clock::fixed_now(),
        ids: segscope::console::IdSource::counter(),
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
    console::run_app(app, term, stream::iter(events))
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

// ------------------------------------------------ helpers of the feature tests

pub fn app_with(base_url: &str, options: AppOptions) -> App {
    let target = Target::new(base_url, Some(ApiKey::new(EMBEDDED_KEY)));
    App::new(Client::new(target), options)
}

pub fn wide_terminal() -> Terminal<TestBackend> {
    Terminal::new(TestBackend::new(150, 44)).unwrap()
}

pub fn ch(c: char) -> Event {
    key(KeyCode::Char(c))
}

/// Where `needle` starts on the screen (the first row holding it): (column, row).
pub fn position_of(term: &Terminal<TestBackend>, needle: &str) -> (u16, u16) {
    let buf = term.backend().buffer();
    for y in 0..buf.area.height {
        let mut line = String::new();
        let mut columns = Vec::new();
        for x in 0..buf.area.width {
            columns.push((line.len(), x));
            line.push_str(buf[(x, y)].symbol());
        }
        if let Some(at) = line.find(needle) {
            let x = columns
                .iter()
                .rev()
                .find(|(byte, _)| *byte <= at)
                .map_or(0, |(_, x)| *x);
            return (x, y);
        }
    }
    panic!("{needle:?} is not on the screen:\n{}", screen(term));
}

/// The screen cell where `needle` starts.
pub fn cell_at<'a>(term: &'a Terminal<TestBackend>, needle: &str) -> &'a ratatui::buffer::Cell {
    &term.backend().buffer()[position_of(term, needle)]
}

/// The modifiers of the screen cell where `needle` starts.
pub fn modifiers_at(term: &Terminal<TestBackend>, needle: &str) -> Modifier {
    cell_at(term, needle).modifier
}

/// `n` football Pageviews, a minute apart, ending now; view ids start at `first`.
pub fn football_pageviews(n: usize, first: usize) -> String {
    let now = jiff::Timestamp::now().as_second();
    let events: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            let time = jiff::Timestamp::from_second(now - 60 * (n - i) as i64).unwrap();
            serde_json::json!({
                "name": "Pageview",
                "time": time.to_string(),
                "session_id": "00000000-0000-4000-8000-0000000000aa",
                "view_id": format!("00000000-0000-4000-8000-0000000001{:02}", first + i),
                "properties": {
                    "article": {"title": format!("Match report {}", first + i), "category": "football"},
                    "client": {
                        "url": format!("https://www.dailycourier.example/football/report-{}", first + i),
                        "domain": "www.dailycourier.example"
                    }
                }
            })
        })
        .collect();
    serde_json::to_string_pretty(&events).unwrap()
}

/// A fresh, empty directory for one test's files, removed when dropped.
pub fn state_dir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

pub fn files_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A clipboard sink the test can read.
#[derive(Clone, Default)]
pub struct Sink(pub Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Sink {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The demo workspace, copied into `dir` where a test can edit it.
pub fn copy_demo_workspace(dir: &std::path::Path) {
    let from = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/workspace");
    std::fs::copy(from.join("cohorts.json"), dir.join("cohorts.json")).unwrap();
    std::fs::create_dir(dir.join("schemas")).unwrap();
    for entry in std::fs::read_dir(from.join("schemas")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.join("schemas").join(path.file_name().unwrap())).unwrap();
    }
}

/// Football fans (1001) need `threshold` football Pageviews instead of 3: written next to the
/// file and renamed over it, as editors do.
pub fn set_football_threshold(dir: &std::path::Path, threshold: u32) {
    let file = dir.join("cohorts.json");
    let mut cohorts: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let fans = cohorts
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|c| c["code"] == serde_json::json!(1001) || c["code"] == "1001")
        .expect("the demo workspace has 1001");
    fans["query"]["frequency"]["greater_than_or_equal_to"] = threshold.into();
    write_atomically(&file, &serde_json::to_string_pretty(&cohorts).unwrap());
}

/// Written next to the file and renamed over it, so the watcher never reads half a file.
pub fn write_atomically(file: &std::path::Path, text: &str) {
    let tmp = file.with_extension("json.tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, file).unwrap();
}
