//! The console, driven through its real loop: key events in, a `TestBackend` screen out, against
//! an in-process emulator (or tiny misbehaving servers) on 127.0.0.1. No timing anywhere: each
//! batch of keys runs until the input ends and every request in flight has answered.

mod common;
use common::*;

use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{Event, KeyCode, KeyModifiers, MouseEvent, MouseEventKind};
use futures_util::{StreamExt, stream};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;
use segscope::api::{ApiKey, Client, Identity, Target};
use segscope::console::{self, App, Focus};
use segscope::emulator::EMBEDDED_KEY;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio::sync::Notify;

// ---------------------------------------------------------------- harness

fn terminal(width: u16, height: u16) -> Terminal<TestBackend> {
    Terminal::new(TestBackend::new(width, height)).unwrap()
}

/// Volatile values made stable for snapshots: RFC 3339 times, epoch milliseconds (the engine's
/// state), and random UUIDs (the console's own ids are counters in stable mode), each replaced
/// by a placeholder of the same width.
fn redact(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let digit = |c: char| c.is_ascii_digit();
    let hex = |c: char| c.is_ascii_hexdigit();
    let fits = |at: usize, pattern: &str, class: &dyn Fn(char) -> bool| {
        pattern.chars().enumerate().all(|(k, p)| {
            chars
                .get(at + k)
                .is_some_and(|c| if p == '#' { class(*c) } else { *c == p })
        })
    };
    while i < chars.len() {
        if fits(i, "####-##-##T##:##:##", &digit) {
            let mut end = i + 19;
            if chars.get(end) == Some(&'.') {
                end += 1;
                while chars.get(end).is_some_and(|c| c.is_ascii_digit()) {
                    end += 1;
                }
            }
            if chars.get(end) == Some(&'Z') {
                end += 1;
            }
            out.push_str("YYYY-MM-DDTHH:MM:SSZ");
            out.extend(std::iter::repeat_n(' ', (end - i).saturating_sub(20)));
            i = end;
        } else if fits(i, "####-##-## ##:##:##", &digit) {
            // The state diff's dates beside its epoch times (`← 2026-03-02 15:27:00 UTC`).
            out.push_str("YYYY-MM-DD HH:MM:SS");
            i += 19;
        } else if fits(i, "#############", &digit)
            && !chars.get(i + 13).is_some_and(|c| c.is_ascii_digit())
            && !(i > 0 && chars[i - 1].is_ascii_alphanumeric())
        {
            out.push_str("<epoch-ms--->");
            i += 13;
        } else if fits(i, "########-####-####-####-############", &hex) {
            let id: String = chars[i..i + 36].iter().collect();
            if id.starts_with("00000000-0000-4000-8000-") {
                out.push_str(&id);
            } else {
                out.push_str("xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx");
            }
            i += 36;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// `n` football Pageviews, a minute apart, ending now.
fn football_pageviews(n: usize) -> String {
    let now = jiff::Timestamp::now().as_second();
    let events: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            let time = jiff::Timestamp::from_second(now - 60 * (n - i) as i64).unwrap();
            serde_json::json!({
                "name": "Pageview",
                "time": time.to_string(),
                "session_id": "00000000-0000-4000-8000-0000000000aa",
                "view_id": format!("00000000-0000-4000-8000-0000000001{i:02}"),
                "properties": {
                    "article": {"title": format!("Match report {}", i + 1), "category": "football"},
                    "client": {
                        "url": format!("https://www.dailycourier.example/football/report-{}", i + 1),
                        "domain": "www.dailycourier.example"
                    }
                }
            })
        })
        .collect();
    serde_json::to_string_pretty(&events).unwrap()
}

fn invalid_key_event() -> String {
    let time = jiff::Timestamp::from_second(jiff::Timestamp::now().as_second()).unwrap();
    serde_json::to_string_pretty(&serde_json::json!([{
        "name": "Pageview",
        "time": time.to_string(),
        "properties": {
            "article": {"title": "Budget day", "category": "politics"},
            "client": {"url": "https://www.dailycourier.example/politics/budget", "domain": "www.dailycourier.example"},
            "invalid_key": true
        }
    }]))
    .unwrap()
}

/// A server that accepts connections and never answers; `accepted` fires on each connection.
async fn silent_server() -> (String, Arc<Notify>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(Notify::new());
    let signal = accepted.clone();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            signal.notify_one();
            held.push(socket);
        }
    });
    (format!("http://{addr}"), accepted)
}

/// A server that answers every connection with the same raw HTTP response.
async fn canned_server(response: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 64 * 1024];
                // Read the request head and body (one read is enough for these small requests).
                let _ = tokio::io::AsyncReadExt::read(&mut socket, &mut buf).await;
                let _ = socket.write_all(response.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    format!("http://{addr}")
}

// ---------------------------------------------------------------- tests

#[tokio::test]
async fn opens_with_a_valid_example_event_and_the_target() {
    let emu = emulator().await;
    let mut term = terminal(140, 40);
    let app = drive(app_for(&emu.base_url()), &mut term, vec![]).await;
    let text = screen(&term);
    assert!(text.contains(LABEL), "{text}");
    assert!(text.contains("Synchronous validation ON"), "{text}");
    assert!(text.contains("\"name\": \"Pageview\""), "{text}");
    assert!(text.contains("✓ 1 event · valid"), "{text}");
    assert!(text.contains("12 cohorts · 5 event schemas"), "{text}");
    assert!(matches!(app.identity(), Identity::UserId(_)));
    assert!(app.sync_validation());
}

#[tokio::test]
async fn a_call_shows_its_history_row_diff_and_entered_cohort() {
    let emu = emulator().await;
    let mut term = terminal(140, 40);
    let mut app = app_for(&emu.base_url());
    app.set_editor_text(&football_pageviews(3));
    let app = drive(app, &mut term, vec![key(F5)]).await;
    let text = screen(&term);

    assert_eq!(app.history().len(), 1);
    assert!(app.history()[0].succeeded(), "{}", app.status().text);
    assert!(app.state().is_some());
    assert!(text.contains("History (1 call)"), "{text}");
    assert!(text.contains("> 1   --:--:-- 200"), "{text}");
    assert!(text.contains("3 ev"), "{text}");
    assert!(text.contains("@@ "), "a hunk header: {text}");
    assert!(text.contains("+   \"cohorts\""), "a diff line: {text}");
    assert!(text.contains("200 OK"), "{text}");

    // Needs the cohort engine: three football Pageviews in 7 days make a football fan.
    assert!(text.contains("+ 1001"), "the + marker: {text}");
    assert!(text.contains("Football fans"), "{text}");
    assert!(text.contains("Cohorts ("), "{text}");
    assert!(app.history()[0].delta.entered.contains(&"1001".to_string()));
    insta::assert_snapshot!("after_a_call", redact(&text));
}

#[tokio::test]
async fn the_state_is_threaded_byte_for_byte() {
    let emu = emulator().await;
    let mut term = terminal(140, 40);
    let mut app = app_for(&emu.base_url());
    app.set_editor_text(&football_pageviews(1));
    let app = drive(app, &mut term, vec![key(F5)]).await;
    // The same events again: the first F5 warns that they count again, the second sends.
    let app = drive(app, &mut term, vec![key(F5), key(F5)]).await;
    let app = drive(app, &mut term, vec![key(F5), key(F5)]).await;
    let calls = app.history();
    assert_eq!(calls.len(), 3);
    for pair in calls.windows(2) {
        let returned = pair[0].state_after.as_ref().expect("a state came back");
        let sent = pair[1].state_before().expect("the state was sent");
        assert_eq!(returned.as_str(), sent.as_str());
        assert!(pair[1].request_body().contains(returned.as_str()));
    }
    assert_eq!(
        app.state().map(|s| s.as_str().to_string()),
        calls[2]
            .state_after
            .as_ref()
            .map(|s| s.as_str().to_string())
    );
    // Needs the cohort engine: the third football Pageview in 7 days.
    assert!(
        calls[2].delta.entered.contains(&"1001".to_string()),
        "{:?}",
        calls.iter().map(|c| &c.delta).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn invalid_json_shows_where_and_sends_nothing() {
    let emu = emulator().await;
    let mut term = terminal(140, 40);
    let app = app_for(&emu.base_url());
    let before = app.editor_text();
    // Line 2 is "  {": delete the brace, then try to send.
    let keys = vec![
        key(KeyCode::Down),
        key(KeyCode::End),
        key(KeyCode::Backspace),
        key(F5),
    ];
    let app = drive(app, &mut term, keys).await;
    let text = screen(&term);
    assert!(app.history().is_empty());
    assert!(!app.is_sending());
    assert_eq!(app.pending_tasks(), 0);
    assert_ne!(app.editor_text(), before);
    assert!(
        text.contains("✗ line 3: a \"key\": value outside an object: a '{' is missing"),
        "{text}"
    );
    assert!(
        text.contains("Not sent: the events are not valid: line 3: a \"key\""),
        "{text}"
    );
    // The editor's border turns red.
    let buf = term.backend().buffer();
    assert_eq!(buf[(0, 3)].fg, Color::LightRed, "{:?}", buf[(0, 3)]);
}

#[tokio::test]
async fn field_problems_are_flagged_before_sending() {
    let emu = emulator().await;
    let mut term = terminal(140, 40);
    let mut app = app_for(&emu.base_url());
    app.set_editor_text(r#"[{"name": "Pageview", "time": "last tuesday", "properties": {}}]"#);
    let app = drive(app, &mut term, vec![key(F5)]).await;
    assert!(app.history().is_empty());
    let text = screen(&term);
    assert!(
        text.contains("\"time\" is not an RFC 3339 date-time"),
        "{text}"
    );

    let mut app = app;
    let eleven: Vec<String> = (0..11)
        .map(|_| {
            r#"{"name": "Pageview", "time": "2026-01-01T00:00:00Z", "properties": {}}"#.to_string()
        })
        .collect();
    app.set_editor_text(&format!("[{}]", eleven.join(",\n")));
    let app = drive(app, &mut term, vec![key(F5)]).await;
    assert!(app.history().is_empty());
    assert!(
        screen(&term).contains("11 events: at most 10"),
        "{}",
        screen(&term)
    );
}

#[tokio::test]
async fn a_validation_error_keeps_the_editor_and_the_state() {
    let emu = emulator().await;
    let mut term = terminal(140, 40);
    let mut app = app_for(&emu.base_url());
    app.set_editor_text(&football_pageviews(1));
    let mut app = drive(app, &mut term, vec![key(F5)]).await;
    let state = app
        .state()
        .expect("first call succeeded")
        .as_str()
        .to_string();

    let bad = invalid_key_event();
    app.set_editor_text(&bad);
    let app = drive(app, &mut term, vec![key(F5)]).await;
    let text = screen(&term);

    assert_eq!(app.history().len(), 2);
    assert!(!app.history()[1].succeeded());
    assert_eq!(app.editor_text(), bad);
    assert_eq!(app.state().map(|s| s.as_str()), Some(state.as_str()));
    assert!(
        app.status().text.starts_with("400 Bad Request (code 1002)"),
        "{}",
        app.status().text
    );
    assert!(app.status().text.contains("Editor and state unchanged"));
    // The response view opens on the envelope's fields and one line per violation.
    assert!(text.contains("[Response]"), "{text}");
    for field in [
        "status",
        "code",
        "message",
        "cause",
        "request_id",
        "Violations (1):",
    ] {
        assert!(text.contains(field), "{field}: {text}");
    }
    assert!(text.contains("✗ events[0]: /properties"), "{text}");
    assert!(text.contains("invalid_key"), "{text}");
    assert!(text.contains("unchanged"), "{text}");
    insta::assert_snapshot!("validation_error", redact(&text));
}

#[tokio::test]
async fn esc_cancels_a_slow_request() {
    let (url, accepted) = silent_server().await;
    let mut term = terminal(140, 40);
    let mut options = options();
    options.emulator_endpoints = false;
    let app = App::new(
        Client::new(Target::new(&url, Some(ApiKey::new(EMBEDDED_KEY)))),
        options,
    );
    let before = app.editor_text();
    // Keys keep working while the request is in flight (Tab moves the focus).
    let input = stream::iter(vec![key(F5), key(KeyCode::Tab)]).chain(stream::once(async move {
        // Esc once the server holds the request: the call is truly in flight.
        accepted.notified().await;
        key(KeyCode::Esc)
    }));
    let app = console::run_app(app, &mut term, input).await.unwrap();
    assert!(!app.is_sending());
    assert_eq!(app.pending_tasks(), 0);
    // The cancelled call keeps its row (marked cancelled); it changed nothing.
    assert_eq!(app.history().len(), 1);
    assert!(!app.history()[0].succeeded());
    assert!(app.state().is_none());
    assert_eq!(app.editor_text(), before);
    assert!(
        app.status().text.starts_with("Cancelled"),
        "{}",
        app.status().text
    );
    assert!(screen(&term).contains("Cancelled"));
}

#[tokio::test]
async fn a_timeout_says_so() {
    let (url, _accepted) = silent_server().await;
    let mut term = terminal(140, 40);
    let mut options = options();
    options.emulator_endpoints = false;
    let mut target = Target::new(&url, Some(ApiKey::new(EMBEDDED_KEY)));
    target.timeout = Duration::from_millis(200);
    let app = App::new(Client::new(target), options);
    let app = drive(app, &mut term, vec![key(F5)]).await;
    let text = screen(&term);
    assert_eq!(app.history().len(), 1);
    assert!(
        app.status().text.starts_with("Timed out"),
        "{}",
        app.status().text
    );
    assert!(text.contains("timeout"), "history row: {text}");
    assert!(app.state().is_none());
}

#[tokio::test]
async fn a_non_json_500_and_a_refused_connection_are_explained() {
    let url = canned_server(
        "HTTP/1.1 500 Internal Server Error\r\ncontent-type: text/plain\r\ncontent-length: 19\r\nconnection: close\r\n\r\nupstream went away\n",
    )
    .await;
    let mut term = terminal(140, 40);
    let mut options = options();
    options.emulator_endpoints = false;
    let app = App::new(
        Client::new(Target::new(&url, Some(ApiKey::new(EMBEDDED_KEY)))),
        options.clone(),
    );
    let app = drive(app, &mut term, vec![key(F5)]).await;
    let text = screen(&term);
    assert!(
        app.status()
            .text
            .starts_with("500 with a body that is not JSON"),
        "{}",
        app.status().text
    );
    assert!(text.contains("upstream went away"), "{text}");

    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let app = App::new(
        Client::new(Target::new(
            format!("http://127.0.0.1:{port}"),
            Some(ApiKey::new(EMBEDDED_KEY)),
        )),
        options,
    );
    let app = drive(app, &mut term, vec![key(F5)]).await;
    assert!(
        app.status()
            .text
            .starts_with("Could not connect to http://127.0.0.1:"),
        "{}",
        app.status().text
    );
    assert!(screen(&term).contains("refused"));
}

#[tokio::test]
async fn the_key_is_masked_on_screen_and_absent_everywhere() {
    const SECRET: &str = "sk-live-0123456789abcdef";
    let emu = emulator_with_keys(&[SECRET]).await;
    let mut term = terminal(140, 40);
    let mut options = options();
    options.target_label = None;
    let app = App::new(
        Client::new(Target::new(emu.base_url(), Some(ApiKey::new(SECRET)))),
        options.clone(),
    );
    let mut seen = String::new();
    let app = drive(app, &mut term, vec![key(F5)]).await;
    seen.push_str(&screen(&term));
    assert!(app.history()[0].succeeded(), "{}", app.status().text);
    // Every view of the call.
    let app = drive(
        app,
        &mut term,
        vec![key(KeyCode::Tab), key(KeyCode::Char('v'))],
    )
    .await;
    seen.push_str(&screen(&term));
    let app = drive(app, &mut term, vec![key(KeyCode::Char('v'))]).await;
    seen.push_str(&screen(&term));
    assert!(seen.contains("(key ****cdef)"), "{seen}");
    assert!(!seen.contains(SECRET));
    assert!(!seen.contains("0123456789abcdef"));
    assert!(!format!("{app:?}").contains(SECRET));
    assert!(!app.history()[0].request_body().contains(SECRET));

    // A wrong key: 401 in words, pointing at the key.
    let app = App::new(
        Client::new(Target::new(
            emu.base_url(),
            Some(ApiKey::new("wrong-key-0000000000")),
        )),
        options,
    );
    let app = drive(app, &mut term, vec![key(F5)]).await;
    assert!(
        app.status()
            .text
            .starts_with("401 Unauthorized (code 2000)"),
        "{}",
        app.status().text
    );
    assert!(app.status().text.contains("API key"));
    assert!(!screen(&term).contains("wrong-key-0000000000"));
}

#[tokio::test]
async fn f2_f3_f4_change_validation_and_identity() {
    let emu = emulator().await;
    let mut term = terminal(140, 40);
    let app = app_for(&emu.base_url());
    let first_user = app.identity().clone();
    let app = drive(app, &mut term, vec![key(KeyCode::F(2)), key(F5)]).await;
    assert!(!app.sync_validation());
    assert!(screen(&term).contains("Synchronous validation OFF"));
    assert!(!app.history()[0].sync_validation);
    assert!(app.state().is_some());

    let app = drive(app, &mut term, vec![key(KeyCode::F(3))]).await;
    assert_ne!(app.identity(), &first_user);
    assert!(
        app.state().is_none(),
        "a new user starts from an empty state"
    );

    let mut keys = vec![key(KeyCode::F(4))];
    keys.extend(typed("email_sha256"));
    keys.push(key(KeyCode::Tab));
    keys.extend(typed("abc123"));
    keys.push(key(KeyCode::Enter));
    keys.push(key(F5));
    let app = drive(app, &mut term, keys).await;
    assert_eq!(
        app.identity(),
        &Identity::Alias(segscope::api::Alias {
            tag: "email_sha256".into(),
            id: "abc123".into()
        })
    );
    assert!(
        screen(&term).contains("Alias email_sha256:abc123"),
        "{}",
        screen(&term)
    );
    let last = app.history().last().unwrap();
    assert!(last.succeeded(), "{}", app.status().text);
    assert!(
        last.request_body()
            .contains(r#""alias":{"tag":"email_sha256","id":"abc123"}"#)
    );
}

#[tokio::test]
async fn ctrl_n_inserts_a_schema_valid_event() {
    let emu = emulator().await;
    let mut term = terminal(140, 40);
    // The first run loads the workspace (event schemas) before any key.
    let app = drive(app_for(&emu.base_url()), &mut term, vec![]).await;
    let app = drive(app, &mut term, vec![ctrl('n')]).await;
    let text = screen(&term);
    assert!(text.contains("New event"), "{text}");
    assert!(text.contains("> Pageview"), "{text}");
    let app = drive(
        app,
        &mut term,
        vec![key(KeyCode::Down), key(KeyCode::Enter), key(F5)],
    )
    .await;
    assert!(
        app.editor_text()
            .contains("\"name\": \"PageviewEngagement\"")
    );
    assert!(app.editor_text().contains("\"engaged_time\""));
    let last = app.history().last().expect("sent");
    assert_eq!(last.event_count, 2);
    assert!(last.succeeded(), "{}", app.status().text);
}

#[tokio::test]
async fn ctrl_f_pretty_prints() {
    let emu = emulator().await;
    let mut term = terminal(140, 40);
    let mut app = app_for(&emu.base_url());
    app.set_editor_text(r#"[{"name":"Pageview","time":"2026-01-01T00:00:00Z","properties":{}}]"#);
    let app = drive(app, &mut term, vec![ctrl('f')]).await;
    assert!(
        app.editor_text()
            .starts_with("[\n  {\n    \"name\": \"Pageview\",")
    );
}

#[tokio::test]
async fn history_selection_and_views() {
    let emu = emulator().await;
    let mut term = terminal(140, 40);
    let mut app = app_for(&emu.base_url());
    app.set_editor_text(&football_pageviews(1));
    let app = drive(app, &mut term, vec![key(F5)]).await;
    let app = drive(app, &mut term, vec![key(F5)]).await;
    let app = drive(
        app,
        &mut term,
        vec![key(KeyCode::Tab), key(KeyCode::Up), key(KeyCode::Char('v'))],
    )
    .await;
    assert_eq!(app.focus(), Focus::History);
    assert_eq!(app.selected_call().map(|c| c.id), Some(app.history()[0].id));
    let text = screen(&term);
    assert!(text.contains("> 1"), "{text}");
    assert!(text.contains("[Request]"), "{text}");
    assert!(text.contains("POST /ccs/v1/segmentation/stateless?synchronous-validation=true"));

    // `f` shows the full after-state; mouse: click focuses, wheel scrolls.
    let app = drive(app, &mut term, vec![key(KeyCode::Char('f'))]).await;
    assert!(screen(&term).contains("full after-state"));
    let click = |column, row| {
        Event::Mouse(MouseEvent {
            kind: MouseEventKind::Down(crossterm::event::MouseButton::Left),
            column,
            row,
            modifiers: KeyModifiers::NONE,
        })
    };
    let app = drive(app, &mut term, vec![click(100, 30)]).await;
    assert_eq!(app.focus(), Focus::Detail);
    let wheel = Event::Mouse(MouseEvent {
        kind: MouseEventKind::ScrollDown,
        column: 100,
        row: 30,
        modifiers: KeyModifiers::NONE,
    });
    let app = drive(app, &mut term, vec![wheel]).await;
    assert_eq!(app.detail_scroll(), 3);
    let app = drive(app, &mut term, vec![click(5, 5)]).await;
    assert_eq!(app.focus(), Focus::Editor);
}

#[tokio::test]
async fn help_lists_the_keys() {
    let emu = emulator().await;
    let mut term = terminal(140, 40);
    let app = drive(
        app_for(&emu.base_url()),
        &mut term,
        vec![key(KeyCode::F(1))],
    )
    .await;
    let text = screen(&term);
    for keys in [
        "F5 / Ctrl+S",
        "Esc",
        "F2",
        "Tab",
        "Shift+Tab",
        "Ctrl+Q",
        "Ctrl+N",
        "Ctrl+F",
    ] {
        assert!(text.contains(keys), "{keys}: {text}");
    }
    insta::assert_snapshot!("help", redact(&text));
    let app = drive(
        app,
        &mut term,
        vec![
            key(KeyCode::Esc),
            key(KeyCode::Tab),
            key(KeyCode::Char('?')),
        ],
    )
    .await;
    assert!(screen(&term).contains("Keys"));
    let app = drive(app, &mut term, vec![ctrl('q')]).await;
    assert!(app.should_quit());
}

#[tokio::test]
async fn a_small_terminal_says_so() {
    let emu = emulator().await;
    let mut term = terminal(60, 16);
    let _app = drive(app_for(&emu.base_url()), &mut term, vec![key(F5)]).await;
    let text = screen(&term);
    assert!(text.contains("terminal too small (need 80×24)"), "{text}");
    insta::assert_snapshot!("too_small", text);
}

#[tokio::test]
async fn resizing_keeps_working() {
    let emu = emulator().await;
    let mut term = terminal(140, 40);
    let app = drive(app_for(&emu.base_url()), &mut term, vec![]).await;
    term.backend_mut().resize(70, 20);
    let app = drive(app, &mut term, vec![Event::Resize(70, 20)]).await;
    assert!(screen(&term).contains("terminal too small (need 80×24)"));
    term.backend_mut().resize(100, 30);
    let _app = drive(app, &mut term, vec![Event::Resize(100, 30), key(F5)]).await;
    let text = screen(&term);
    assert!(text.contains("History (1 call)"), "{text}");
}

#[tokio::test]
async fn the_docs_table_matches_the_keymap() {
    for file in ["docs/console.md", "README.md"] {
        let path = format!("{}/{file}", env!("CARGO_MANIFEST_DIR"));
        let docs = std::fs::read_to_string(&path).expect("the file exists");
        assert!(
            docs.contains(&console::keymap::markdown_table()),
            "{file}'s keys table is stale; paste console::keymap::markdown_table():\n{}",
            console::keymap::markdown_table()
        );
    }
    let path = format!("{}/docs/console.md", env!("CARGO_MANIFEST_DIR"));
    let docs = std::fs::read_to_string(&path).expect("the file exists");
    assert!(
        docs.contains(&console::keymap::popup_markdown_table()),
        "docs/console.md's popup keys table is stale; paste console::keymap::popup_markdown_table():\n{}",
        console::keymap::popup_markdown_table()
    );
}

/// Under NO_COLOR crossterm turns every colour into "reset all attributes"; the console asks
/// for no colour then, so the selection's reverse video survives, and it carries a `>` marker.
#[tokio::test]
async fn no_color_keeps_the_selection_visible() {
    use ratatui::backend::CrosstermBackend;
    use ratatui::layout::Rect;
    use ratatui::{TerminalOptions, Viewport};

    let emu = emulator().await;
    let mut options = options();
    options.no_color = true;
    let app = App::new(
        Client::new(Target::new(emu.base_url(), Some(ApiKey::new(EMBEDDED_KEY)))),
        options,
    );
    let mut term = terminal(140, 40);
    let app = drive(app, &mut term, vec![key(F5), key(KeyCode::Tab)]).await;
    assert_eq!(app.focus(), Focus::History);

    // What crossterm writes with NO_COLOR in force.
    crossterm::style::force_color_output(false);
    #[derive(Clone, Default)]
    struct Shared(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);
    impl std::io::Write for Shared {
        fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(data);
            Ok(data.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let written = Shared::default();
    let backend = CrosstermBackend::new(written.clone());
    let mut real = Terminal::with_options(
        backend,
        TerminalOptions {
            viewport: Viewport::Fixed(Rect::new(0, 0, 140, 40)),
        },
    )
    .unwrap();
    real.draw(|frame| console::draw(&app, frame)).unwrap();
    let bytes = String::from_utf8_lossy(&written.0.borrow()).to_string();
    crossterm::style::force_color_output(true);

    // Follow the SGR state: the history's "> " marker must be printed in reverse video.
    let mut reverse = false;
    let mut marker_reversed = false;
    let mut colours = Vec::new();
    let mut rest = bytes.as_str();
    while let Some(c) = rest.chars().next() {
        if let Some(seq) = rest.strip_prefix("\u{1b}[") {
            let end = seq
                .find(|c: char| c.is_ascii_alphabetic())
                .unwrap_or(seq.len() - 1);
            if seq.as_bytes()[end] == b'm' {
                let params = &seq[..end];
                let first: u16 = params
                    .split(';')
                    .next()
                    .and_then(|p| p.parse().ok())
                    .unwrap_or(0);
                if matches!(first, 30..=38 | 40..=48 | 90..=97 | 100..=107) {
                    colours.push(params.to_string());
                }
                for p in params.split(';') {
                    match p {
                        "" | "0" => reverse = false,
                        "7" => reverse = true,
                        "27" => reverse = false,
                        _ => {}
                    }
                }
            }
            rest = &seq[end + 1..];
            continue;
        }
        if c == '>' && reverse {
            marker_reversed = true;
        }
        rest = &rest[c.len_utf8()..];
    }
    assert!(
        colours.is_empty(),
        "colour codes under NO_COLOR: {colours:?}"
    );
    assert!(
        marker_reversed,
        "the selected row keeps reverse video and its marker"
    );
}

/// The side channel is typed: what the emulator describes, the console reads into the
/// emulator's own `WorkspaceDescription` (cohort names and event schemas included).
#[test]
fn the_workspace_description_reads_into_the_emulators_type() {
    let workspace = segscope::emulator::Workspace::demo().unwrap();
    let description: segscope::emulator::workspace::WorkspaceDescription =
        serde_json::from_value(workspace.describe()).expect("the description is typed");
    assert!(description.cohorts.iter().any(|c| !c.name.is_empty()));
    assert!(description.events.contains_key("Pageview"));
}
