//! `segscope send` and `replay` as a script sees them (issue 13, issue 10 §5): exit 0 for a 2xx
//! answer, 1 for an answer that is not 2xx, 2 when nothing reached the server (refused, timed
//! out, a key no header can carry); a 400's violations listed on stderr; `--timeout`; and a
//! `send` waiting on a terminal says so. Offline: loopback only, port 0.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn bin() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_segscope"));
    command.env_remove("PERMUTIVE_API_KEY");
    command
}

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("segscope-send-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A port nothing listens on: bound, read, and let go.
fn refused_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// A server that accepts connections and never answers (kept open until the test ends).
fn silent_server() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    (listener, url)
}

const EVENT: &str = r#"[{"name": "Pageview", "time": "2026-01-01T00:00:00Z", "properties": {"article": {"title": "t", "category": "football", "tags": []}, "client": {"url": "https://x.example/football/a", "domain": "x.example", "type": "web"}}}]"#;

fn events_file(dir: &std::path::Path, text: &str) -> PathBuf {
    let path = dir.join("events.json");
    std::fs::write(&path, text).unwrap();
    path
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn nothing_reaching_the_server_is_exit_2_an_answer_that_is_not_2xx_exit_1() {
    let dir = temp_dir();
    let events = events_file(&dir, EVENT);

    // Refused: exit 2, one line saying so, nothing on stdout.
    let out = bin()
        .args(["send", "--base-url"])
        .arg(format!("http://127.0.0.1:{}", refused_port()))
        .arg(&events)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("could not connect"),
        "{}",
        stderr(&out)
    );
    assert!(out.stdout.is_empty());

    // A key no HTTP header can carry: nothing is sent, exit 2, and the key is not shown.
    let (_listener, url) = silent_server();
    let out = bin()
        .args([
            "send",
            "--base-url",
            &url,
            "--api-key",
            "sk_live_1\nX-Other: 2",
        ])
        .arg(&events)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("could not be made"),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains("sk_live_1"), "{}", stderr(&out));

    // An answer that is not 2xx (a refused key): exit 1, the envelope on stdout.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let emulator = runtime.block_on(async {
        let mut config =
            segscope::emulator::EmulatorConfig::new(segscope::emulator::Workspace::demo().unwrap());
        config.api_keys = vec!["the-right-key".into()];
        segscope::emulator::spawn(config, "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap()
    });
    let out = bin()
        .args(["send", "--base-url", &emulator.base_url()])
        .args(["--api-key", "a-wrong-key"])
        .arg(&events)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).starts_with("user_id") || stderr(&out).contains("401"));
    let body: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(body["error"]["status_code"], 401);

    // And a 2xx: exit 0.
    let out = bin()
        .args(["send", "--base-url", &emulator.base_url()])
        .args(["--api-key", "the-right-key"])
        .arg(&events)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_400_lists_every_violation_on_stderr() {
    let dir = temp_dir();
    let events = events_file(
        &dir,
        r#"[{"name": "Pageview", "time": "2026-01-01T00:00:00Z", "properties": {"nope": 1}},
            {"name": "Pageview", "time": "2026-01-01T00:00:00Z", "properties": {"client": 3}}]"#,
    );
    let out = bin().arg("send").arg(&events).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    let listed: Vec<&str> = err
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("events["))
        .collect();
    assert!(
        listed.iter().any(|l| l.starts_with("events[0]: "))
            && listed.iter().any(|l| l.starts_with("events[1]: ")),
        "{err}"
    );
    let body: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let message = body["error"]["message"].as_str().unwrap();
    assert_eq!(
        listed.len(),
        message.lines().filter(|l| l.starts_with("events[")).count(),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn timeout_gives_up_on_a_silent_server_for_send_and_replay() {
    let dir = temp_dir();
    let events = events_file(&dir, EVENT);
    let (_listener, url) = silent_server();

    let started = Instant::now();
    let out = bin()
        .args([
            "send",
            "--timeout",
            "0.5",
            "--base-url",
            &url,
            "--api-key",
            "k",
        ])
        .arg(&events)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("timed out after 0.5 s"),
        "{}",
        stderr(&out)
    );
    // Well before the 10 s default (not a timing assert on speed: on what the flag did).
    assert!(started.elapsed() < Duration::from_secs(8));

    let out = bin()
        .args(["replay", "bundled:01-football-fan", "--timeout", "0.5"])
        .args(["--base-url", &url, "--api-key", "k"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    assert!(
        stdout.contains("target error: timed out after 0.5 s"),
        "{stdout}"
    );

    // Not a number of seconds: refused before anything is sent.
    for bad in ["0", "-1", "soon", "1e9"] {
        let out = bin()
            .args(["send", &format!("--timeout={bad}"), "--base-url", &url])
            .arg(&events)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(
            stderr(&out).contains("--timeout"),
            "{bad}: {}",
            stderr(&out)
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// Reading events from a terminal says so (a bare `segscope send` looked hung); from a pipe it
/// says nothing.
#[cfg(unix)]
#[test]
fn send_waiting_on_a_terminal_says_so() {
    use portable_pty::{CommandBuilder, PtySize, native_pty_system};
    let pair = native_pty_system()
        .openpty(PtySize {
            rows: 24,
            cols: 200,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    let mut command = CommandBuilder::new(env!("CARGO_BIN_EXE_segscope"));
    command.args([
        "send",
        "--base-url",
        &format!("http://127.0.0.1:{}", refused_port()),
    ]);
    command.env_remove("PERMUTIVE_API_KEY");
    let mut child = pair.slave.spawn_command(command).unwrap();
    drop(pair.slave);
    let mut reader = pair.master.try_clone_reader().unwrap();
    let mut writer = pair.master.take_writer().unwrap();
    let (seen_tx, seen) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut all = Vec::new();
        let mut buf = [0u8; 1024];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            all.extend_from_slice(&buf[..n]);
            let _ = seen_tx.send(String::from_utf8_lossy(&all).into_owned());
        }
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut text = String::new();
    while !text.contains("Ctrl+D") && Instant::now() < deadline {
        if let Ok(more) = seen.recv_timeout(Duration::from_millis(200)) {
            text = more;
        }
    }
    assert!(text.contains("from the terminal"), "{text:?}");
    // End the input (an empty one: not JSON) and let it go.
    writer.write_all(b"\x04").unwrap();
    let _ = child.wait();

    let mut piped = bin()
        .args(["send", "--base-url"])
        .arg(format!("http://127.0.0.1:{}", refused_port()))
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    piped
        .stdin
        .take()
        .unwrap()
        .write_all(EVENT.as_bytes())
        .unwrap();
    let out = piped.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        !stderr(&out).contains("from the terminal"),
        "{}",
        stderr(&out)
    );
}
