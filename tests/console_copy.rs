//! Copies (y, c, C) and the key: the key is in no saved or copied text, and nothing is searched
//! for its text and rewritten.

mod common;
use common::*;

use crossterm::event::KeyCode;
use segscope::api::{ApiKey, Client, Target};
use segscope::console::App;

#[tokio::test]
async fn the_key_is_absent_from_the_autosave_and_the_copied_commands() {
    const SECRET: &str = "sk-live-console5-0123456789";
    let emu = emulator_with_keys(&[SECRET]).await;
    let dir = state_dir();
    let path = dir.path().join("autosave.json");
    let mut options = options();
    options.autosave = Some(path.clone());
    let mut app = App::new(
        Client::new(Target::new(emu.base_url(), Some(ApiKey::new(SECRET)))),
        options,
    );
    let sink = Sink::default();
    app.set_clipboard_sink(Box::new(sink.clone()));
    app.set_editor_text(&football_pageviews(2, 1));
    let mut term = wide_terminal();
    let app = drive(app, &mut term, vec![key(F5)]).await;
    // The same events again: F5 warns that they count again, a second F5 sends.
    let app = drive(app, &mut term, vec![key(F5), key(F5)]).await;
    let app = drive(app, &mut term, vec![key(KeyCode::Tab), ch('c')]).await;
    assert_eq!(app.history().len(), 2);
    assert!(app.history()[1].succeeded(), "{}", app.status().text);
    let state = app.history()[1].state_before().cloned().unwrap();

    let curl = app
        .last_copied()
        .expect("a curl command was copied")
        .to_string();
    assert!(curl.starts_with("curl "), "{curl}");
    assert!(curl.contains("$PERMUTIVE_API_KEY"), "{curl}");
    assert!(curl.contains("synchronous-validation=true"), "{curl}");
    assert!(
        curl.contains(state.as_str()),
        "the state's exact bytes: {curl}"
    );
    assert!(!curl.contains(SECRET));
    // It went to the terminal as OSC 52.
    let written = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
    assert!(written.starts_with("\x1b]52;c;") && written.ends_with("\x1b\\"));
    assert!(
        app.status()
            .text
            .starts_with("Copied a curl command for call 2")
    );

    let app = drive(app, &mut term, vec![ch('y')]).await;
    let body = app.last_copied().unwrap().to_string();
    let value: serde_json::Value = serde_json::from_str(&body).expect("the response JSON");
    assert!(value.get("state").is_some());
    let mut app = drive(app, &mut term, vec![ch('C')]).await;
    let send = app.last_copied().unwrap().to_string();
    assert!(send.contains("segscope send -"), "{send}");
    assert!(send.contains(state.as_str()), "{send}");
    assert!(!send.contains(SECRET));

    app.close_autosave().unwrap();
    let saved = std::fs::read_to_string(&path).unwrap();
    assert!(saved.contains(state.as_str()));
    assert!(!saved.contains(SECRET), "the key is never autosaved");
    assert!(!saved.contains("0123456789"));
}

/// The key lives in the client and the header it writes, so it cannot reach saved or copied text:
/// nothing is searched for the key's text and rewritten (a key that is also a word of the events
/// used to turn `"category": "football"` into `"category": "****"`).
#[tokio::test]
async fn a_key_that_is_also_a_word_of_the_events_never_rewrites_them() {
    let emu = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("autosave.json");
    let keyed = |key: &str| {
        let mut options = options();
        options.autosave = Some(path.clone());
        App::new(
            Client::new(Target::new(emu.base_url(), Some(ApiKey::new(key)))),
            options,
        )
    };
    let mut term = wide_terminal();

    // --api-key football: the editor's "category": "football" survives the autosave and restore.
    let mut app = keyed("football");
    let text = football_pageviews(1, 1);
    app.set_editor_text(&text);
    let mut app = drive(app, &mut term, vec![key(F5)]).await;
    assert!(app.history()[0].succeeded(), "{}", app.status().text);
    app.close_autosave().unwrap();
    drop(app);
    let saved = std::fs::read_to_string(&path).unwrap();
    assert!(!saved.contains("****"), "nothing was masked: {saved}");
    let restored = drive(keyed("football"), &mut term, vec![]).await;
    assert_eq!(restored.editor_text(), text);
    assert_eq!(restored.history().len(), 1);

    // --api-key web: the copied curl's body keeps "type": "web".
    std::fs::remove_file(&path).unwrap();
    let mut app = keyed("web");
    app.set_clipboard_sink(Box::new(Sink::default()));
    app.set_editor_text(
        r#"[{"name": "Pageview", "time": "2026-03-06T12:00:00Z", "properties": {"client": {"type": "web", "domain": "x.example"}}}]"#,
    );
    let app = drive(app, &mut term, vec![key(F5)]).await;
    let app = drive(app, &mut term, vec![key(KeyCode::Tab), ch('c')]).await;
    let curl = app
        .last_copied()
        .unwrap_or_else(|| panic!("a curl command: {:?} {}", app.status(), screen(&term)))
        .to_string();
    assert!(curl.contains(r#""type": "web""#), "{curl}");
    assert!(curl.contains("$PERMUTIVE_API_KEY"), "{curl}");
    let app = drive(app, &mut term, vec![ch('C')]).await;
    let send = app.last_copied().expect("a send command").to_string();
    assert!(send.contains(r#""type": "web""#), "{send}");
    emu.stop().await;
}

/// Only a secret in the URL is masked: a key whose text also occurs in the URL (`127`, in
/// `http://127.0.0.1:…`) leaves the copied URL and the autosaved target as they are, and a key
/// carried in the URL itself (`?k=sk%2Dlive…`, no `--api-key`) is masked in both.
#[tokio::test]
async fn copied_and_saved_urls_mask_the_key_and_nothing_else() {
    let emu = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("autosave.json");
    let mut term = wide_terminal();
    for (base_url, api_key, hidden) in [
        (emu.base_url(), Some("127"), None),
        (
            format!("{}?k=sk%2Dlive%2D0123456789", emu.base_url()),
            None,
            Some("0123456789"),
        ),
    ] {
        let _ = std::fs::remove_file(&path);
        let mut options = options();
        options.autosave = Some(path.clone());
        let target = Target::new(base_url.clone(), api_key.map(ApiKey::new));
        let mut app = App::new(Client::new(target), options);
        app.set_clipboard_sink(Box::new(Sink::default()));
        app.set_editor_text(&football_pageviews(1, 1));
        let app = drive(app, &mut term, vec![key(F5)]).await;
        let mut app = drive(app, &mut term, vec![key(KeyCode::Tab), ch('c')]).await;
        let curl = app.last_copied().expect("a curl command").to_string();
        app.close_autosave().unwrap();
        let saved = std::fs::read_to_string(&path).unwrap();
        match hidden {
            None => {
                assert!(curl.contains(&emu.base_url()), "{curl}");
                assert!(saved.contains(&emu.base_url()), "{saved}");
            }
            Some(secret) => {
                assert!(!curl.contains(secret), "{curl}");
                assert!(!saved.contains(secret), "{saved}");
                assert!(curl.contains(&emu.base_url()), "{curl}");
            }
        }
    }
    emu.stop().await;
}

/// The copied commands against the embedded emulator, run as a user would: `C`'s `segscope send`
/// (no `--base-url`: the same embedded default) and `c`'s curl against the `segscope serve` its
/// first lines start, with the key that serve accepts. Both answer 200 (they answered 401: the
/// console's port and no key). Each copy is also written to the state directory, and the status
/// line says where.
#[tokio::test]
async fn copied_commands_from_the_embedded_emulator_answer_200_when_run() {
    use std::io::BufRead;
    use std::process::{Command, Stdio};

    let emu = emulator().await;
    let dir = state_dir();
    let mut options = options();
    options.autosave = Some(dir.path().join("autosave.json"));
    // What `launch` sets for the embedded emulator only.
    options.clock = Some(segscope::engine::Clock::Event);
    let mut app = app_with(&emu.base_url(), options);
    app.set_clipboard_sink(Box::new(Sink::default()));
    app.set_editor_text(&football_pageviews(2, 1));
    let mut term = wide_terminal();
    let app = drive(app, &mut term, vec![key(F5)]).await;
    let app = drive(app, &mut term, vec![key(F5), key(F5)]).await;
    assert!(app.history()[1].succeeded(), "{}", app.status().text);
    let state = app.history()[1].state_before().cloned().unwrap();
    emu.stop().await;
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_segscope"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );

    // C: the `segscope send`, run by bash with the built binary first on the PATH.
    let app = drive(app, &mut term, vec![key(KeyCode::Tab), ch('C')]).await;
    let send = app.last_copied().expect("a send command").to_string();
    assert!(!send.contains("--base-url"), "{send}");
    assert!(send.contains(state.as_str()), "{send}");
    let saved = dir.path().join("last-copy.send.sh");
    assert!(
        app.status().text.contains(&saved.display().to_string()),
        "{}",
        app.status().text
    );
    let out = Command::new("bash")
        .args(["-c", &send])
        .env("PATH", &path)
        .env("PERMUTIVE_API_KEY", "sk-live-must-not-be-used")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{send}\n{stderr}");
    assert!(stderr.starts_with("200 "), "{stderr}");
    let body: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(body.get("state").is_some(), "{body}");
    // The copy was written where the status line says.
    assert_eq!(std::fs::read_to_string(&saved).unwrap(), send);

    // c: the curl names a `segscope serve`; start it as its first lines say (on a free port).
    let app = drive(app, &mut term, vec![ch('c')]).await;
    let curl = app.last_copied().expect("a curl command").to_string();
    assert!(!curl.contains("PERMUTIVE_API_KEY"), "{curl}");
    let serve_line = curl
        .lines()
        .find(|l| l.starts_with("segscope serve "))
        .unwrap_or_else(|| panic!("the curl names a serve: {curl}"));
    let args: Vec<&str> = serve_line
        .trim_end_matches('&')
        .split_whitespace()
        .skip(1)
        .map(|a| {
            if a == "127.0.0.1:8787" {
                "127.0.0.1:0"
            } else {
                a
            }
        })
        .collect();
    /// Stops the server however the test ends.
    struct Stop(std::process::Child);
    impl Drop for Stop {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut serve = Stop(
        Command::new(bin)
            .args(&args)
            .env_remove("SEGSCOPE_API_KEYS")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut printed = std::io::BufReader::new(serve.0.stdout.take().unwrap()).lines();
    let first = printed.next().unwrap().unwrap();
    // Keep reading what it prints: a closed pipe would kill it at its next line.
    std::thread::spawn(move || printed.for_each(drop));
    let addr = first
        .split_whitespace()
        .find_map(|w| w.strip_prefix("http://"))
        .unwrap_or_else(|| panic!("{first}"))
        .to_string();
    let command = curl
        .lines()
        .skip_while(|l| !l.starts_with("curl "))
        .collect::<Vec<_>>()
        .join("\n")
        .replace("127.0.0.1:8787", &addr);
    let out = Command::new("bash")
        .args(["-c", &format!("{command} -o /dev/null -w '%{{http_code}}'")])
        .output()
        .unwrap();
    drop(serve);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "200",
        "{command}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.path().join("last-copy.curl.sh").exists());
}
