//! The binary stands alone: copied away from its checkout and run from another directory, it
//! still serves the demo workspace and replays its bundled sessions.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

/// The built binary, copied into a fresh directory (the checkout is not where it runs from).
fn moved_binary(dir: &Path) -> PathBuf {
    let copy = dir.join("segscope");
    std::fs::copy(env!("CARGO_BIN_EXE_segscope"), &copy).unwrap();
    copy
}

fn run(binary: &Path, cwd: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut command = Command::new(binary);
    command
        .args(args)
        .current_dir(cwd)
        .env_remove("PERMUTIVE_API_KEY")
        .env("HOME", cwd)
        .env("XDG_DATA_HOME", cwd)
        .env("XDG_STATE_HOME", cwd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    if let Some(text) = stdin {
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    } else {
        drop(child.stdin.take());
    }
    child.wait_with_output().unwrap()
}

/// `segscope serve` on port 0; its base URL read from the first line it prints.
struct Served {
    child: Child,
    base_url: String,
}

impl Served {
    fn start(binary: &Path, cwd: &Path) -> Served {
        let mut child = Command::new(binary)
            .args(["serve", "--addr", "127.0.0.1:0"])
            .current_dir(cwd)
            .env_remove("PERMUTIVE_API_KEY")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = lines.next().unwrap().unwrap();
        assert!(
            first.contains("12 cohorts, 5 event schemas"),
            "the bundled demo workspace is served: {first}"
        );
        let base_url = first
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap()
            .to_string();
        // Keep reading (and discarding) the log so the server never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Served { child, base_url }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_moved_binary_serves_sends_and_replays_its_bundled_sessions_from_another_directory() {
    let home = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let binary = moved_binary(home.path());

    let served = Served::start(&binary, elsewhere.path());

    let events = r#"[{"name": "Pageview", "time": "2026-03-06T12:00:00Z",
        "properties": {"article": {"title": "Derby", "category": "football"},
                       "client": {"url": "https://www.dailycourier.example/football/x",
                                  "domain": "www.dailycourier.example", "type": "web"}}}]"#;
    let sent = run(
        &binary,
        elsewhere.path(),
        &["send", "--base-url", &served.base_url, "--api-key", "k"],
        Some(events),
    );
    assert!(
        sent.status.success(),
        "send: {}",
        String::from_utf8_lossy(&sent.stderr)
    );
    assert!(String::from_utf8_lossy(&sent.stdout).contains("\"cohorts\""));

    // A bundled session, replayed against the served emulator and against the embedded one.
    for target in [
        vec!["--base-url", served.base_url.as_str(), "--api-key", "k"],
        vec![],
    ] {
        let mut args = vec!["replay", "bundled:01-football-fan"];
        args.extend(target);
        let replayed = run(&binary, elsewhere.path(), &args, None);
        let out = String::from_utf8_lossy(&replayed.stdout);
        assert!(
            replayed.status.success(),
            "replay {args:?}: {out}{}",
            String::from_utf8_lossy(&replayed.stderr)
        );
        assert!(out.contains("3 passed"), "{out}");
    }

    // A bundled session is read-only.
    let update = run(
        &binary,
        elsewhere.path(),
        &["replay", "--update", "bundled:01-football-fan"],
        None,
    );
    assert_eq!(update.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&update.stderr).contains("cannot be updated"));
    assert!(!elsewhere.path().join("bundled:01-football-fan").exists());
}
