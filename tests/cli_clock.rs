//! `--clock` and load warnings from the command line: the wall clock measures windows against
//! the machine's time, a remote target refuses the flag, and `serve` prints what would surprise
//! a cohort's author in Permutive.

use std::io::BufRead;
use std::process::{Command, Stdio};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_segscope"))
}

/// A workspace of one cohort: a Pageview in the last 7 days.
fn recent_readers() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("cohorts.json"),
        r#"[{"code": 1, "name": "Recent readers",
             "query": {"event": "Pageview", "during": {"the_last": {"value": 7, "unit": "days"}}}}]"#,
    )
    .unwrap();
    dir
}

/// `send` one Pageview dated 8 days ago; the cohorts of the answer's state.
fn cohorts_after_an_old_pageview(workspace: &std::path::Path, clock: &str) -> Vec<String> {
    let eight_days_ago = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(8 * 24);
    let events = workspace.join("events.json");
    std::fs::write(
        &events,
        format!(r#"[{{"name": "Pageview", "time": "{eight_days_ago}", "properties": {{}}}}]"#),
    )
    .unwrap();
    let out = bin()
        .args([
            "send",
            "--no-sync-validation",
            "--clock",
            clock,
            "--workspace",
        ])
        .arg(workspace)
        .arg(&events)
        .env_remove("PERMUTIVE_API_KEY")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    answer["state"]["cohorts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_wall_clock_lets_an_old_event_fall_out_of_its_window() {
    let dir = recent_readers();
    // Event time: the event itself is "now", so it is inside its own 7-day window.
    assert_eq!(cohorts_after_an_old_pageview(dir.path(), "event"), ["1"]);
    // The machine's clock: eight days ago is outside the last seven.
    assert!(cohorts_after_an_old_pageview(dir.path(), "wall").is_empty());
}

#[test]
fn a_remote_target_refuses_the_clock_flag() {
    let out = bin()
        .args([
            "send",
            "--clock",
            "wall",
            "--base-url",
            "http://127.0.0.1:9",
            "-",
        ])
        .env_remove("PERMUTIVE_API_KEY")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--clock"), "{stderr}");
}

#[test]
fn serve_prints_the_clock_and_the_load_warnings() {
    let dir = tempfile::tempdir().unwrap();
    // An OR of an AND and a clause: beyond the AND of ORs Permutive's builder accepts.
    std::fs::write(
        dir.path().join("cohorts.json"),
        r#"[{"code": 7, "name": "Nested",
             "query": {"or": [{"and": [{"event": "Pageview"}, {"event": "LinkClick"}]},
                              {"event": "VideoPlay"}]}}]"#,
    )
    .unwrap();
    let mut child = bin()
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--clock",
            "wall",
            "--workspace",
        ])
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let mut seen = Vec::new();
    for line in lines {
        let line = line.unwrap();
        let done = line.starts_with("warning:");
        seen.push(line);
        if done {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let text = seen.join("\n");
    assert!(seen[0].contains("http://127.0.0.1:"), "{text}");
    assert!(text.contains("clock: wall"), "{text}");
    let warning = seen.last().unwrap();
    assert!(warning.contains("7"), "{text}");
    assert!(warning.contains("query"), "{text}");
}
