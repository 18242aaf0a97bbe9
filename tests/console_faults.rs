//! The console against a faulty emulator (`segscope serve --fault`): every failure says what
//! happened, the editor text and the user's state survive it byte for byte, and a retried call
//! after a dropped connection goes through.

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use futures_util::stream;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use segscope::api::{ApiKey, CallOutcome, Client, Target};
use segscope::console::{self, App, AppOptions};
use segscope::emulator::{self, EMBEDDED_KEY, EmulatorConfig, Fault, RunningEmulator, Workspace};

async fn faulty(spec: &str) -> RunningEmulator {
    let mut config = EmulatorConfig::new(Workspace::demo().unwrap());
    config.fault = Fault::parse(spec).unwrap();
    emulator::spawn(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

fn app_for(base_url: &str) -> App {
    let options = AppOptions {
        target_label: Some("faulty emulator".into()),
        emulator_endpoints: true,
        time: segscope::console::Clock::fixed_now(),
        ids: segscope::console::IdSource::counter(),
        wait_for_requests: true,
        ..AppOptions::default()
    };
    App::new(
        Client::new(Target::new(base_url, Some(ApiKey::new(EMBEDDED_KEY)))),
        options,
    )
}

fn f5() -> Event {
    Event::Key(KeyEvent::new(KeyCode::F(5), KeyModifiers::NONE))
}

async fn send(app: App, term: &mut Terminal<TestBackend>) -> App {
    console::run_app(app, term, stream::iter(vec![f5()]))
        .await
        .unwrap()
}

const EVENTS: &str = r#"[{"name": "Pageview", "time": "2026-03-02T08:15:00Z", "properties": {"article": {"title": "t", "category": "football"}, "client": {"url": "https://www.dailycourier.example/football/x", "domain": "www.dailycourier.example"}}}]"#;

#[tokio::test]
async fn failures_keep_editor_and_state_and_a_retry_after_a_drop_works() {
    let mut term = Terminal::new(TestBackend::new(160, 45)).unwrap();
    for (spec, words) in [
        ("error_rate=1,status=503", "503"),
        ("drop_rate=1", "broke"),
        ("panic_rate=1", "500"),
    ] {
        let emu = faulty(spec).await;
        let mut faulty_app = app_for(&emu.base_url());
        faulty_app.set_editor_text(EVENTS);
        faulty_app = send(faulty_app, &mut term).await;
        let status = faulty_app.status().text.clone();
        assert!(status.contains(words), "{spec}: {status}");
        assert_eq!(
            faulty_app.editor_text(),
            EVENTS,
            "{spec}: the editor text is kept"
        );
        assert!(
            faulty_app.state().is_none(),
            "{spec}: a failed call sets no state"
        );
    }

    // A flaky target: half the answers are cut off. Keep sending until a drop hits a user who
    // already has a state: the failure changes nothing, and the retry goes through with the
    // state threaded on, byte for byte.
    let flaky = faulty("drop_rate=0.5").await;
    let mut app = app_for(&flaky.base_url());
    app.set_editor_text(EVENTS);
    let mut saw_drop = false;
    let mut recovered = false;
    for _ in 0..64 {
        let before = app.state().map(|s| s.as_str().to_string());
        app = send(app, &mut term).await;
        let last = app.history().last().unwrap();
        match &last.outcome {
            CallOutcome::Transport { .. } if before.is_some() => {
                saw_drop = true;
                assert_eq!(app.state().map(|s| s.as_str().to_string()), before);
                assert_eq!(app.editor_text(), EVENTS);
            }
            CallOutcome::Success { .. } if saw_drop => {
                recovered = true;
                assert_eq!(last.state_before().map(|s| s.as_str().to_string()), before);
                break;
            }
            _ => {}
        }
    }
    assert!(
        saw_drop && recovered,
        "a dropped call was followed by a successful retry"
    );
}

/// `segscope --timeout SECONDS` (the console; 10 s by default, like `send` and `replay`): the
/// flag is checked as theirs is, and a call that takes longer is given up and leaves a History
/// row that says `timeout`.
#[tokio::test]
async fn the_console_gives_a_slow_call_up_after_its_timeout() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_segscope"))
        .args(["--timeout", "0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--timeout"), "{stderr}");
    assert!(stderr.contains("expected more than 0"), "{stderr}");

    let slow = faulty("latency=5s").await;
    let choice = segscope::launch::TargetChoice {
        base_url: Some(slow.base_url()),
        api_key: Some(ApiKey::new(EMBEDDED_KEY)),
        timeout: Some(std::time::Duration::from_millis(300)),
        ..Default::default()
    };
    let connection = segscope::launch::connect(&choice).await.unwrap();
    let mut app = app_for(&slow.base_url());
    app = App::new(connection.client, app.options().clone());
    app.set_editor_text(EVENTS);
    let mut term = Terminal::new(TestBackend::new(160, 45)).unwrap();
    let app = send(app, &mut term).await;
    assert!(
        matches!(
            app.history()[0].outcome,
            CallOutcome::Transport {
                kind: segscope::api::TransportKind::Timeout,
                ..
            }
        ),
        "{:?}",
        app.history()[0].outcome
    );
    let screen = format!("{:?}", term.backend().buffer());
    assert!(screen.contains("timeout"), "{screen}");
}
