//! `segscope serve`'s log (issue 10 §5): an access line per request by default, none with
//! `--quiet`, `RUST_LOG` honoured, no key in any line, and a stderr nobody reads never stalls a
//! worker. Each test runs the built binary on 127.0.0.1:0.
#![cfg(unix)]

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::json;

const PATH: &str = "/ccs/v1/segmentation/stateless";
const USER: &str = "2008c38f-dece-4570-976d-87593ed001c3";

/// `segscope serve --addr 127.0.0.1:0 ARGS` with `env`, stderr to `stderr`; returns it, its
/// address and the lines it printed on stdout up to the key count (its last start-up line).
fn serve(args: &[&str], env: &[(&str, &str)], stderr: Stdio) -> (Child, String, Vec<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_segscope"))
        .args(["serve", "--addr", "127.0.0.1:0"])
        .args(args)
        .env_remove("RUST_LOG")
        .env_remove("SEGSCOPE_API_KEYS")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let mut printed = Vec::new();
    loop {
        let line = lines.next().unwrap().unwrap();
        let last = line.contains("key");
        printed.push(line);
        if last {
            break;
        }
    }
    let addr = printed
        .iter()
        .find_map(|l| l.split_whitespace().find_map(|w| w.strip_prefix("http://")))
        .unwrap()
        .to_string();
    // Keep reading what it prints: a closed pipe would kill it at its next line.
    std::thread::spawn(move || lines.for_each(drop));
    (child, format!("http://{addr}"), printed)
}

fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn log_to(path: &Path) -> Stdio {
    Stdio::from(std::fs::File::create(path).unwrap())
}

/// Posts `body` with `key` (none: no key); the status.
fn post(base: &str, key: Option<&str>, query: &str, body: &serde_json::Value) -> u16 {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut request = reqwest::Client::new()
            .post(format!("{base}{PATH}{query}"))
            .body(body.to_string());
        if let Some(key) = key {
            request = request.header("x-api-key", key);
        }
        request.send().await.unwrap().status().as_u16()
    })
}

fn get(url: &str, key: &str) -> u16 {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        reqwest::Client::new()
            .get(url)
            .header("x-api-key", key)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    })
}

fn events() -> serde_json::Value {
    json!({"user_id": USER, "events": [
        {"name": "Pageview", "time": "2026-01-01T00:00:00Z", "properties": {}}
    ]})
}

/// The log's request lines (not the notes under them).
fn requests(log: &str) -> Vec<&str> {
    log.lines().filter(|l| !l.starts_with("  ")).collect()
}

/// Stops `child` with Ctrl+C (so the log is written out) and returns the log.
fn stop(mut child: Child, log: &PathBuf) -> String {
    let interrupted = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupted.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    std::fs::read_to_string(log).unwrap()
}

#[test]
fn by_default_each_request_is_logged_and_the_start_up_lines_are_unchanged() {
    let dir = temp_dir();
    let log = dir.path().join("serve.log");
    let (child, base, printed) = serve(&[], &[], log_to(&log));
    assert!(printed[0].starts_with("segscope emulator listening on http://"));
    assert!(printed[1].starts_with("POST http://"), "{printed:?}");
    assert!(
        printed[2].starts_with("Cohorts API: http://"),
        "{printed:?}"
    );
    assert_eq!(printed[3], "clock: event");
    assert_eq!(printed.last().unwrap(), "any non-empty key is accepted");
    assert_eq!(post(&base, Some("k-1"), "", &events()), 200);
    assert_eq!(post(&base, None, "", &events()), 401);
    let text = stop(child, &log);
    let lines = requests(&text);
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines[0].starts_with(&format!("POST {PATH} 200 in ")),
        "{text}"
    );
    assert_eq!(
        lines[1],
        format!("POST {PATH} 401 code 2004: No API key was provided.")
    );
}

#[test]
fn quiet_writes_no_access_line_and_rust_log_filters() {
    let dir = temp_dir();
    let log = dir.path().join("serve.log");
    for (args, env) in [
        (&["--quiet"][..], &[][..]),
        (&[][..], &[("RUST_LOG", "off")][..]),
        (&[][..], &[("RUST_LOG", "warn")][..]),
    ] {
        let (child, base, _) = serve(args, env, log_to(&log));
        assert_eq!(post(&base, Some("k-1"), "", &events()), 200);
        assert_eq!(post(&base, None, "", &events()), 401);
        let text = stop(child, &log);
        assert_eq!(text, "", "{args:?} {env:?}");
    }

    // Under RUST_LOG=warn, a panic (an error) is still logged; a 200 of the Cohorts API is not.
    let (child, base, _) = serve(
        &["--fault", "panic_rate=1"],
        &[("RUST_LOG", "warn")],
        log_to(&log),
    );
    assert_eq!(get(&format!("{base}/cohorts-api/v2/cohorts"), "k-1"), 200);
    assert_eq!(post(&base, Some("k-1"), "", &events()), 500);
    let text = stop(child, &log);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "{text}");
    assert!(lines[0].starts_with("panic at "), "{text}");
    assert!(lines[0].contains("injected fault"), "{text}");

    // --quiet keeps the panic line too: it only silences the access log.
    let (child, base, _) = serve(&["--quiet", "--fault", "panic_rate=1"], &[], log_to(&log));
    assert_eq!(post(&base, Some("k-1"), "", &events()), 500);
    let text = stop(child, &log);
    assert_eq!(text.lines().count(), 1, "{text}");

    // RUST_LOG=debug does not bring in other crates' lines: only segscope logs.
    let (child, base, _) = serve(&[], &[("RUST_LOG", "segscope=debug")], log_to(&log));
    assert_eq!(post(&base, Some("k-1"), "", &events()), 200);
    let text = stop(child, &log);
    assert_eq!(requests(&text).len(), 1, "{text}");
}

#[test]
fn a_rust_log_that_is_not_a_filter_is_refused_by_name() {
    let dir = temp_dir();
    let out = Command::new(env!("CARGO_BIN_EXE_segscope"))
        .args(["serve", "--addr", "127.0.0.1:0"])
        .env("RUST_LOG", "segscope=loudest")
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("RUST_LOG=\"segscope=loudest\" is not a log filter"),
        "{stderr}"
    );
}

/// The key, right or wrong, in the header or in `?k=`, appears in no log line.
#[test]
fn no_log_line_names_a_key() {
    let dir = temp_dir();
    let log = dir.path().join("serve.log");
    let keys = dir.path().join("keys.txt");
    std::fs::write(&keys, "right-key-5f3a9c\n").unwrap();
    let (child, base, printed) = serve(
        &["--api-key-file", keys.to_str().unwrap()],
        &[],
        log_to(&log),
    );
    assert_eq!(post(&base, Some("right-key-5f3a9c"), "", &events()), 200);
    assert_eq!(post(&base, Some("wrong-key-77e1d0"), "", &events()), 401);
    assert_eq!(post(&base, None, "?k=right-key-5f3a9c", &events()), 200);
    assert_eq!(post(&base, None, "?k=wrong-key-77e1d0", &events()), 401);
    assert_eq!(
        get(
            &format!("{base}/cohorts-api/v2/cohorts"),
            "wrong-key-77e1d0"
        ),
        401
    );
    let text = stop(child, &log);
    assert_eq!(requests(&text).len(), 5, "{text}");
    for key in ["right-key-5f3a9c", "wrong-key-77e1d0"] {
        assert!(!text.contains(key), "{key}: {text}");
        assert!(
            !printed.iter().any(|l| l.contains(key)),
            "{key}: {printed:?}"
        );
    }
}

/// Sends `count` requests one after another, each answered 400 with a ~250-byte log line (the
/// quoted user id); fails if one is not answered within 10 s.
fn bad_requests(base: &str, count: usize) {
    let body = json!({"user_id": "x".repeat(2000), "events": []}).to_string();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let answered = runtime.block_on(async {
        let http = reqwest::Client::new();
        let mut answered = 0;
        for _ in 0..count {
            let status = http
                .post(format!("{base}{PATH}"))
                .header("x-api-key", "k-1")
                .body(body.clone())
                .timeout(Duration::from_secs(10))
                .send()
                .await
                .map(|r| r.status().as_u16());
            match status {
                Ok(400) => answered += 1,
                other => panic!("after {answered} answers: {other:?}"),
            }
        }
        answered
    });
    assert_eq!(answered, count);
}

/// A reader of stderr that stops reading (a full pipe) costs log lines, never answers: on the
/// code before the non-blocking writer, each worker blocked in `eprintln!` once the pipe's 64 KiB
/// were full, and every request after that hung (after ~220 requests here).
#[test]
fn a_stderr_nobody_reads_never_stalls_a_worker() {
    let (mut child, base, _) = serve(&[], &[], Stdio::piped());
    // Held open and never read.
    let _stderr = child.stderr.take().unwrap();
    // ~6 pipes' worth of log.
    bad_requests(&base, 1_500);
    let _ = child.kill();
    let _ = child.wait();
}

/// When the queue to the writer is full, entries are dropped, and counted: every request is
/// either in the log or in the count printed on exit.
#[test]
fn entries_that_cannot_be_queued_are_dropped_and_counted() {
    use std::io::Read;
    let (mut child, base, _) = serve(&[], &[], Stdio::piped());
    let mut stderr = child.stderr.take().unwrap();
    // Unread: the pipe fills, the writer blocks, the queue fills, then entries are dropped.
    let requests = segscope::emulator::log::QUEUED_ENTRIES + 2_000;
    bad_requests(&base, requests);
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        stderr.read_to_string(&mut text).unwrap();
        text
    });
    // Let the writer empty the queue into the reader, then stop.
    std::thread::sleep(Duration::from_secs(1));
    let interrupted = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupted.success());
    assert!(child.wait().unwrap().success());
    let text = reader.join().unwrap();
    let logged = text.lines().filter(|l| l.starts_with("POST ")).count();
    let last = text.lines().last().unwrap_or_default();
    let dropped: usize = last
        .strip_prefix("segscope: ")
        .and_then(|l| {
            l.strip_suffix(" log line(s) dropped: stderr was read more slowly than requests came")
        })
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count of dropped lines: {last}"));
    assert!(dropped > 0, "{last}");
    assert_eq!(logged + dropped, requests, "{last}");
}

/// Connections refused over the limit are logged as warnings, at most one line a second (with a
/// count), so that a flood of connections cannot flood the log; `RUST_LOG=warn` keeps them.
#[test]
fn refused_connections_are_logged_at_most_once_a_second() {
    use std::io::{Read, Write};
    let dir = temp_dir();
    let log = dir.path().join("serve.log");
    let (child, base, _) = serve(
        &["--max-connections", "1"],
        &[("RUST_LOG", "warn")],
        log_to(&log),
    );
    let addr = base.trim_start_matches("http://").to_string();
    // Holds the one connection allowed (a request head half sent keeps it busy).
    let mut held = std::net::TcpStream::connect(&addr).unwrap();
    held.write_all(b"POST / HTTP/1.1\r\n").unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let started = std::time::Instant::now();
    let refusals = 20;
    for _ in 0..refusals {
        let mut stream = std::net::TcpStream::connect(&addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    }
    let seconds = started.elapsed().as_secs();
    drop(held);
    let text = stop(child, &log);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0], "refused 1 connection(s) with a 503: all 1 allowed were open",
        "{text}"
    );
    assert!(lines.len() as u64 <= 2 + seconds, "{text}");
    let counted: u64 = lines
        .iter()
        .map(|l| {
            l.strip_prefix("refused ")
                .and_then(|l| l.split(' ').next())
                .and_then(|n| n.parse::<u64>().ok())
                .unwrap_or_else(|| panic!("{l}"))
        })
        .sum();
    assert!(counted <= refusals, "{text}");
}
