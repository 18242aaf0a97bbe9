//! The README's screenshots, rendered from the real app loop (keys into the real `update`, the
//! real `draw` into a `TestBackend`) against an in-process emulator, then written as SVG.
//! Volatile content is fixed: stable mode (counter ids, no clock times or latencies), event
//! times written into the scenes, and the emulator's random request ids blanked.

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use futures_util::stream;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;

use crate::svg;
use segscope::api::{ApiKey, Client, Target};
use segscope::console::{App, AppOptions, run_app};
use segscope::emulator::{self, EMBEDDED_KEY, EmulatorConfig, Workspace};

/// The size every screenshot is taken at.
pub const WIDTH: u16 = 160;
pub const HEIGHT: u16 = 45;

/// One screenshot: a file stem and its SVG.
pub struct Shot {
    pub name: &'static str,
    pub svg: String,
}

fn press(code: KeyCode) -> Event {
    Event::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn pageview(time: &str, category: &str, slug: &str, title: &str) -> String {
    format!(
        r#"[
  {{
    "name": "Pageview",
    "time": "{time}",
    "properties": {{
      "article": {{
        "title": "{title}",
        "category": "{category}"
      }},
      "client": {{
        "url": "https://www.dailycourier.example/{category}/{slug}",
        "domain": "www.dailycourier.example"
      }}
    }}
  }}
]"#
    )
}

/// A football reader's three Pageviews inside a week (the third enters 1001).
const FOOTBALL_READS: &[(&str, &str, &str)] = &[
    (
        "2026-03-02T08:15:00Z",
        "arsenal-win",
        "Arsenal edge past Spurs",
    ),
    (
        "2026-03-04T19:02:10Z",
        "cup-draw",
        "Cup draw: the full fixtures",
    ),
    (
        "2026-03-06T12:40:00Z",
        "transfer-news",
        "Transfer deadline roundup",
    ),
];

/// A scene: the app, the terminal, and a way to type into the real loop.
struct Scene {
    app: Option<App>,
    terminal: Terminal<TestBackend>,
}

impl Scene {
    fn new(base_url: &str, key: &str, label: Option<&str>) -> anyhow::Result<Scene> {
        let options = AppOptions {
            target_label: label.map(str::to_string),
            emulator_endpoints: true,
            time: segscope::console::Clock::fixed_now(),
            ids: segscope::console::IdSource::counter(),
            wait_for_requests: true,
            ..AppOptions::default()
        };
        let target = Target::new(base_url, Some(ApiKey::new(key)));
        Ok(Scene {
            app: Some(App::new(Client::new(target), options)),
            terminal: Terminal::new(TestBackend::new(WIDTH, HEIGHT))?,
        })
    }

    async fn keys(&mut self, keys: Vec<Event>) -> anyhow::Result<()> {
        let app = self
            .app
            .take()
            .expect("the scene holds its app between runs");
        self.app = Some(run_app(app, &mut self.terminal, stream::iter(keys)).await?);
        Ok(())
    }

    /// Replaces the editor's text and sends it.
    async fn send(&mut self, events: &str) -> anyhow::Result<()> {
        if let Some(app) = self.app.as_mut() {
            app.set_editor_text(events);
        }
        self.keys(vec![press(KeyCode::F(5))]).await
    }

    fn shot(&self, name: &'static str) -> Shot {
        let mut buffer = self.terminal.backend().buffer().clone();
        blank_random_ids(&mut buffer);
        Shot {
            name,
            svg: svg::buffer_to_svg(&buffer),
        }
    }
}

/// Every screenshot of the README, in order. `key` is the key the console is configured with
/// (the screenshots must show it masked, never in full).
pub async fn render_all_with_key(key: &str, label: Option<&str>) -> anyhow::Result<Vec<Shot>> {
    let running = emulator::spawn(
        EmulatorConfig::new(Workspace::demo()?),
        "127.0.0.1:0".parse()?,
    )
    .await?;
    let base = running.base_url();
    let mut shots = Vec::new();

    // A reader becomes a football fan: three calls, the third enters 1001 (and 1009).
    let mut scene = Scene::new(&base, key, label)?;
    scene.keys(Vec::new()).await?;
    for &(time, slug, title) in FOOTBALL_READS {
        scene.send(&pageview(time, "football", slug, title)).await?;
    }
    shots.push(scene.shot("main"));

    // Entered and left: the live blog reader leaves 1002 when the clock moves 45 minutes on.
    let mut scene = Scene::new(&base, key, label)?;
    scene.keys(Vec::new()).await?;
    scene
        .send(&pageview(
            "2026-05-08T21:00:00Z",
            "politics",
            "live/election-night",
            "Election night: live results",
        ))
        .await?;
    scene
        .send(&pageview(
            "2026-05-08T21:20:00Z",
            "politics",
            "analysis",
            "What the exit poll means",
        ))
        .await?;
    scene
        .send(&pageview(
            "2026-05-08T21:45:00Z",
            "culture",
            "review",
            "Theatre review: Hamlet",
        ))
        .await?;
    shots.push(scene.shot("entered-left"));

    // A validation error: an extraneous key and a wrong type, refused with every violation.
    let mut scene = Scene::new(&base, key, label)?;
    scene.keys(Vec::new()).await?;
    let bad = pageview(
        "2026-04-01T10:00:00Z",
        "technology",
        "ai-chips",
        "The AI chip race",
    )
    .replace(r#""category": "technology""#, r#""category": 7"#)
    .replace(
        r#""client": {"#,
        r#""invalid_key": "not in the schema",
      "client": {"#,
    );
    scene.send(&bad).await?;
    shots.push(scene.shot("validation-error"));

    // Why is this reader not (yet) a football fan? Two football Pageviews, then the explanation.
    let mut scene = Scene::new(&base, key, label)?;
    scene.keys(Vec::new()).await?;
    for &(time, slug, title) in &FOOTBALL_READS[..2] {
        scene.send(&pageview(time, "football", slug, title)).await?;
    }
    // Out of the editor (Tab), then `e`: the popup opens on the first workspace cohort, 1001.
    scene
        .keys(vec![press(KeyCode::Tab), press(KeyCode::Char('e'))])
        .await?;
    shots.push(scene.shot("explanation"));

    // A recorded session replayed step by step (F8): recorded | actual, side by side.
    let mut scene = Scene::new(&base, key, label)?;
    scene.keys(Vec::new()).await?;
    let story = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/sessions/02-live-blog-window.json");
    if let Some(app) = scene.app.as_mut() {
        app.open_session(&story);
    }
    for _ in 0..3 {
        scene.keys(vec![press(KeyCode::F(8))]).await?;
    }
    shots.push(scene.shot("session-replay"));

    // Help, over the opening screen (its example event's time fixed).
    let mut scene = Scene::new(&base, key, label)?;
    if let Some(app) = scene.app.as_mut() {
        app.set_editor_text(&pageview(
            "2026-03-02T08:15:00Z",
            "football",
            "derby-report",
            "Late winner seals the derby",
        ));
    }
    scene.keys(vec![press(KeyCode::F(1))]).await?;
    shots.push(scene.shot("help"));

    running.stop().await;
    Ok(shots)
}

/// The committed screenshots: the embedded emulator's label and key.
pub async fn render_all() -> anyhow::Result<Vec<Shot>> {
    render_all_with_key(EMBEDDED_KEY, Some("embedded emulator (demo workspace)")).await
}

/// The emulator answers errors with a random request id (a UUID v4): blank it, keeping widths.
/// Only on lines that name a `request_id`: user ids are fixed by the scenes and stay.
fn blank_random_ids(buffer: &mut Buffer) {
    let area = buffer.area;
    for y in area.top()..area.bottom() {
        let row: Vec<String> = (area.left()..area.right())
            .map(|x| buffer[(x, y)].symbol().to_string())
            .collect();
        if !row.concat().contains("request_id") {
            continue;
        }
        let mut x = 0;
        while x + 36 <= row.len() {
            if is_random_uuid(&row[x..x + 36]) {
                for (k, c) in "00000000-0000-0000-0000-000000000000".chars().enumerate() {
                    buffer[(area.left() + (x + k) as u16, y)].set_char(c);
                }
                x += 36;
            } else {
                x += 1;
            }
        }
    }
}

fn is_random_uuid(cells: &[String]) -> bool {
    let text: String = cells.concat();
    if text.chars().count() != 36 {
        return false;
    }
    // The console's own ids in stable mode are counters (…-4000-8000-…): those stay.
    uuid::Uuid::parse_str(&text).is_ok_and(|u| u.get_version_num() == 4)
        && !text.starts_with("00000000-0000-4000-8000")
}

/// Writes every screenshot to `dir/<name>.svg`.
pub async fn write_all(dir: &std::path::Path) -> anyhow::Result<Vec<std::path::PathBuf>> {
    let mut written = Vec::new();
    for shot in render_all().await? {
        let path = dir.join(format!("{}.svg", shot.name));
        segscope::session::write_atomically(&path, shot.svg.as_bytes())?;
        written.push(path);
    }
    Ok(written)
}
