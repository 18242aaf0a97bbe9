//! Sessions: the bundled fixtures replay cleanly, and `segscope replay` / `send` behave as a
//! test runner should (exit codes, JUnit, --update, --retime), never recording the key.

use std::path::{Path, PathBuf};
use std::process::Command;

use segscope::api::{ApiKey, Client, Identity, OpaqueState, SegmentationRequest, Target};
use segscope::launch::{TargetChoice, connect};
use segscope::session::{self, ReplayOptions, RunOptions, Session, Tally, Verdict};
use serde_json::{Value, json};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_segscope"))
}

fn bundled_sessions() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sessions");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("segscope-test-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn options() -> RunOptions {
    RunOptions {
        replay: ReplayOptions::default(),
        update: false,
        jobs: 2,
    }
}

#[tokio::test]
async fn every_bundled_session_replays_against_the_emulator() {
    let files = bundled_sessions();
    assert!(
        files.len() >= 6,
        "at least 6 bundled sessions, found {}",
        files.len()
    );
    let connection = connect(&TargetChoice::default()).await.unwrap();
    let strict = RunOptions {
        replay: ReplayOptions {
            strict_state: true,
            retime_to: None,
        },
        ..options()
    };
    let reports = session::run_files(&connection.client, &files, strict).await;
    for report in &reports {
        assert!(report.error.is_none(), "{}", session::report::text(report));
        assert_eq!(
            report.steps.len(),
            report.total_steps,
            "{}",
            session::report::text(report)
        );
        for step in &report.steps {
            assert_eq!(
                step.verdict,
                Verdict::Passed,
                "{}",
                session::report::text(report)
            );
        }
    }
    assert_eq!(Tally::of(&reports).exit_code(), 0);
}

#[test]
fn exit_codes_tell_pass_mismatch_and_error_apart() {
    let dir = temp_dir();
    let good = bundled_sessions()[0].clone();

    let out = bin().arg("replay").arg(&good).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("✓ step 1"), "{stdout}");
    assert!(
        stdout.lines().any(|l| l.ends_with(" passed, 0 failed")),
        "{stdout}"
    );

    // A recording that no longer matches: exit 1, naming the step and the cohorts.
    let mut session: Value =
        serde_json::from_str(&std::fs::read_to_string(&good).unwrap()).unwrap();
    let last = session["steps"].as_array().unwrap().len() - 1;
    session["steps"][last]["expect"]["cohorts"] = json!(["4242"]);
    let tampered = dir.join("tampered.json");
    std::fs::write(&tampered, serde_json::to_string_pretty(&session).unwrap()).unwrap();
    let out = bin().arg("replay").arg(&tampered).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains(&format!("✗ step {}", last + 1)), "{stdout}");
    assert!(stdout.contains("cohorts: expected [4242]"), "{stdout}");
    assert!(stdout.contains("1 failed"), "{stdout}");

    // Bad JSON: exit 2 with line and column.
    let broken = dir.join("broken.json");
    std::fs::write(
        &broken,
        "{\n  \"format\": \"segscope-session/1\",\n  \"name\": oops\n}",
    )
    .unwrap();
    let out = bin().arg("replay").arg(&broken).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    assert!(stdout.contains("broken.json: line 3, column"), "{stdout}");

    // Unreadable file: exit 2.
    let out = bin()
        .arg("replay")
        .arg(dir.join("missing.json"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stdout).contains("cannot read"));

    // Unreachable target: exit 2, not a mismatch.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let out = bin()
        .args(["replay", "--base-url", &format!("http://127.0.0.1:{port}")])
        .arg(&good)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    assert!(
        stdout.contains("target error: could not connect"),
        "{stdout}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn junit_report_is_well_formed_with_one_testcase_per_step() {
    let dir = temp_dir();
    let junit = dir.join("report.xml");
    let files = bundled_sessions();
    let out = bin()
        .arg("replay")
        .args(&files)
        .args(["--jobs", "3", "--report-junit"])
        .arg(&junit)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let suites: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect();
    assert_eq!(suites.len(), files.len());
    let steps: usize = files
        .iter()
        .map(|f| Session::load(f).unwrap().steps.len())
        .sum();
    let cases = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .count();
    assert_eq!(cases, steps);
    assert_eq!(doc.root_element().attribute("failures"), Some("0"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn update_records_then_replay_passes() {
    let dir = temp_dir();
    let mut session: Value =
        serde_json::from_str(&std::fs::read_to_string(&bundled_sessions()[0]).unwrap()).unwrap();
    for step in session["steps"].as_array_mut().unwrap() {
        step.as_object_mut().unwrap().remove("expect");
    }
    session["description"] = json!("kept as written");
    let path = dir.join("fresh.json");
    std::fs::write(&path, serde_json::to_string_pretty(&session).unwrap()).unwrap();

    let out = bin().arg("replay").arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "unrecorded steps fail");
    assert!(String::from_utf8_lossy(&out.stdout).contains("no recording"));

    let out = bin()
        .args(["replay", "--update"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let updated = Session::load(&path).unwrap();
    assert_eq!(updated.description, "kept as written");
    assert!(updated.steps.iter().all(|s| s.expect.is_some()));

    let out = bin()
        .args(["replay", "--strict-state"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn retime_moves_the_last_event_to_now_and_keeps_the_gaps() {
    let path = &bundled_sessions()[0];
    let session = Session::load(path).unwrap();
    let last = session::replay::last_event_time(&session).unwrap();
    let now = jiff::Timestamp::now();
    let shift = now.duration_since(last);
    let first_events: Value = serde_json::from_str(session.steps[0].events.get()).unwrap();
    let moved: Value =
        serde_json::from_str(session::replay::retimed(&session.steps[0].events, shift).get())
            .unwrap();
    let before: jiff::Timestamp = first_events[0]["time"].as_str().unwrap().parse().unwrap();
    let after: jiff::Timestamp = moved[0]["time"].as_str().unwrap().parse().unwrap();
    assert_eq!(after.duration_since(before), shift);
    assert_eq!(last.checked_add(shift).unwrap(), now);

    // The emulator's clock is event time: a retimed replay gives the same cohorts.
    let connection = connect(&TargetChoice::default()).await.unwrap();
    let options = RunOptions {
        replay: ReplayOptions {
            strict_state: false,
            retime_to: Some(now),
        },
        ..options()
    };
    let report = session::run_file(&connection.client, path, options).await;
    assert!(
        report.steps.iter().all(|s| s.verdict == Verdict::Passed),
        "{}",
        session::report::text(&report)
    );
}

#[tokio::test]
async fn a_recorded_session_never_holds_the_key() {
    let key = "pk_live_TOPSECRET_998877";
    let connection = connect(&TargetChoice::default()).await.unwrap();
    let base = connection.client.target().base_url.clone();
    // The key configured both as the key and (carelessly) inside the URL.
    let target = Target::new(format!("{base}/?k={key}"), Some(ApiKey::new(key)));
    let client = Client::new(Target::new(base, Some(ApiKey::new(key))));
    let identity = Identity::UserId("6f1c2a8e-3b5d-4c7e-9a10-1b2c3d4e5f09".into());
    let mut session = Session::new("with a key", &identity);
    session.set_recorded_against(&target);
    let events = json!([{"name": "NewsletterSignup", "time": "2026-01-01T00:00:00Z", "properties": {"newsletter": "daily"}}]);
    let request = SegmentationRequest {
        identity,
        events: serde_json::value::RawValue::from_string(events.to_string()).unwrap(),
        state: None::<OpaqueState>,
    };
    let outcome = client.segment(&request, true).await;
    session.record_step("signup", events, true, &outcome, &[]);
    assert_eq!(session.steps.len(), 1);
    let dir = temp_dir();
    let path = dir.join("keyed.json");
    session.save(&path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains(key) && !text.contains("TOPSECRET"), "{text}");
    assert!(text.contains("\"recorded_against\""));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn send_prints_the_response_and_the_delta() {
    let dir = temp_dir();
    let events = dir.join("events.json");
    std::fs::write(
        &events,
        json!({"name": "NewsletterSignup", "time": "2026-01-01T00:00:00Z", "properties": {"newsletter": "daily"}}).to_string(),
    )
    .unwrap();
    let out = bin()
        .args(["send", "--user-id", "6f1c2a8e-3b5d-4c7e-9a10-1b2c3d4e5f10"])
        .arg(&events)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let body: Value = serde_json::from_slice(&out.stdout).expect("stdout is the response JSON");
    assert_eq!(body["user_id"], "6f1c2a8e-3b5d-4c7e-9a10-1b2c3d4e5f10");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("+1006"), "{stderr}");

    // The state of that response, sent back from a file, byte for byte.
    let state_file = dir.join("state.json");
    let raw = String::from_utf8_lossy(&out.stdout).to_string();
    let state = &raw[raw.find("\"state\":").unwrap() + 8..raw.trim_end().len() - 1];
    std::fs::write(&state_file, state).unwrap();
    std::fs::write(&events, "[]").unwrap();
    let out = bin()
        .args([
            "send",
            "--user-id",
            "6f1c2a8e-3b5d-4c7e-9a10-1b2c3d4e5f10",
            "--state",
        ])
        .arg(&state_file)
        .arg(&events)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("1006"));

    // A rejected call: the envelope on stdout, exit 1.
    std::fs::write(
        &events,
        r#"[{"name": "Pageview", "time": "2026-01-01T00:00:00Z", "properties": {"nope": 1}}]"#,
    )
    .unwrap();
    let out = bin().arg("send").arg(&events).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let body: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(body["error"]["code"], 1002);
    std::fs::remove_dir_all(&dir).ok();
}

/// Starts `segscope serve --fault SPEC` in-process on 127.0.0.1:0.
async fn faulty_emulator(spec: &str) -> segscope::emulator::RunningEmulator {
    let mut config =
        segscope::emulator::EmulatorConfig::new(segscope::emulator::Workspace::demo().unwrap());
    config.fault = segscope::emulator::Fault::parse(spec).unwrap();
    segscope::emulator::spawn(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_faulty_target_is_a_target_error_not_a_mismatch() {
    let path = &bundled_sessions()[0];
    for spec in ["error_rate=1,status=503", "drop_rate=1", "panic_rate=1"] {
        let emu = faulty_emulator(spec).await;
        let client = Client::new(Target::new(
            emu.base_url(),
            Some(ApiKey::new("fault-key-1234")),
        ));
        let report = session::run_file(&client, path, options()).await;
        assert_eq!(
            report.steps.len(),
            1,
            "{spec}: stops at the first target error"
        );
        assert!(
            matches!(report.steps[0].verdict, Verdict::TargetError(_)),
            "{spec}: {}",
            session::report::text(&report)
        );
        let tally = Tally::of(std::slice::from_ref(&report));
        assert_eq!(tally.exit_code(), 2, "{spec}");
        let text = session::report::text(&report);
        assert!(
            text.contains("! step 1") && text.contains("not run"),
            "{text}"
        );
    }
}

#[test]
fn replay_against_a_faulty_server_exits_2_naming_the_step() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let emu = runtime.block_on(faulty_emulator("error_rate=1,status=503"));
    let out = bin()
        .args([
            "replay",
            "--base-url",
            &emu.base_url(),
            "--api-key",
            "fault-key-1234",
        ])
        .arg(&bundled_sessions()[1])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    assert!(
        stdout.contains("! step 1") && stdout.contains("503"),
        "{stdout}"
    );
    assert!(!stdout.contains("fault-key-1234"), "{stdout}");
}

#[test]
fn help_never_shows_the_key_from_the_environment() {
    for args in [
        vec!["--help"],
        vec!["replay", "--help"],
        vec!["send", "--help"],
    ] {
        let out = bin()
            .args(&args)
            .env("PERMUTIVE_API_KEY", "sk_env_SECRET_5150")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("--api-key"), "{args:?}: {text}");
        assert!(!text.contains("SECRET"), "{args:?} shows the key: {text}");
    }
}

/// `segscope replay … | head` closes the pipe early: the command stops quietly, like any Unix
/// filter, instead of panicking with "failed printing to stdout: Broken pipe".
#[cfg(unix)]
#[test]
fn a_closed_stdout_stops_replay_without_a_panic() {
    let mut child = bin()
        .args(["replay", "bundled:01-football-fan"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The reading end goes before the replay has printed anything.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!stderr.contains("Broken pipe"), "{stderr}");
}

/// `replay` (without `--update`) reads a file a step at a time and prints each step as it is
/// judged, keeping nothing that grows with the session; what it prints, counts and writes as
/// JUnit is what the collected report says, line for line, whatever the files and options.
#[tokio::test]
async fn the_streamed_replay_reports_exactly_what_the_collected_one_does() {
    let dir = temp_dir();
    let good = bundled_sessions()[0].clone();
    let mut session: Value =
        serde_json::from_str(&std::fs::read_to_string(&good).unwrap()).unwrap();
    let last = session["steps"].as_array().unwrap().len() - 1;
    session["steps"][last]["expect"]["cohorts"] = json!(["4242"]);
    session["steps"][0]["note"] = json!("a note & <markup>");
    let tampered = dir.join("tampered.json");
    std::fs::write(&tampered, serde_json::to_string_pretty(&session).unwrap()).unwrap();
    session["steps"][1]
        .as_object_mut()
        .unwrap()
        .remove("expect");
    let unrecorded = dir.join("unrecorded.json");
    std::fs::write(&unrecorded, serde_json::to_string(&session).unwrap()).unwrap();
    let broken = dir.join("broken.json");
    std::fs::write(
        &broken,
        "{\"format\": \"segscope-session/1\", \"name\": oops}",
    )
    .unwrap();
    let mut files = bundled_sessions();
    files.extend([
        tampered,
        unrecorded,
        broken,
        dir.join("missing.json"),
        PathBuf::from("bundled:01-football-fan"),
    ]);

    let embedded = connect(&TargetChoice::default()).await.unwrap();
    let failing = faulty_emulator("error_rate=1,status=503").await;
    let failing = Client::new(Target::new(failing.base_url(), Some(ApiKey::new("k"))));
    let retime: jiff::Timestamp = "2031-05-01T09:00:00Z".parse().unwrap();
    for (client, jobs, strict_state, retime_to) in [
        (&embedded.client, 1, false, None),
        (&embedded.client, 3, true, None),
        (&embedded.client, 2, false, Some(retime)),
        (&failing, 2, false, None),
    ] {
        let replay = ReplayOptions {
            strict_state,
            retime_to,
        };
        let run = RunOptions {
            replay,
            update: false,
            jobs,
        };
        let collected = session::run_files(client, &files, run).await;
        let expected: String = collected.iter().map(session::report::text).collect();
        let mut printed = String::new();
        let streamed =
            session::stream::run_files(client, &files, replay, jobs, true, |t| printed.push_str(t))
                .await;
        assert_eq!(printed, expected, "jobs {jobs}, strict {strict_state}");
        assert_eq!(streamed.tally, Tally::of(&collected));
        assert_eq!(
            streamed.steps_run,
            collected.iter().map(|r| r.steps.len()).sum::<usize>()
        );
        assert_eq!(
            session::report::junit(&streamed.reports),
            session::report::junit(&collected)
        );
    }
    // Without a JUnit report, no step is kept.
    let streamed = session::stream::run_files(
        &embedded.client,
        &files,
        ReplayOptions::default(),
        1,
        false,
        |_| {},
    )
    .await;
    assert!(streamed.reports.iter().all(|r| r.steps.is_empty()));
    assert!(streamed.steps_run > 0);
    std::fs::remove_dir_all(&dir).ok();
}

/// A session read a step at a time is refused exactly as a whole one is: the same message for
/// the same fault, and the same fault first when there are several.
#[test]
fn a_session_read_step_by_step_is_refused_as_a_whole_one_is() {
    let dir = temp_dir();
    let head = r#""format": "segscope-session/1", "name": "n", "identity": {"user_id": "u"}"#;
    let step =
        r#"{"events": [{"name": "Pageview", "time": "2026-01-01T00:00:00Z", "properties": {}}]}"#;
    let cases = [
        format!("{{{head}, \"steps\": [{step}], \"extra\": 1}}"),
        format!("{{{head}}}"),
        format!("{{{head}, \"name\": \"again\", \"steps\": []}}"),
        format!("{{{head}, \"description\": 5, \"steps\": []}}"),
        format!("{{{head}, \"steps\": {{}}}}"),
        format!("{{{head}, \"steps\": [{step}, {{\"events\": {{}}}}]}}"),
        format!("{{{head}, \"steps\": [{{\"events\": [\"\\ud800\"]}}]}}"),
        format!("{{{head}, \"steps\": [{step}, {{\"events\": [], \"nope\": 1}}]}}"),
        format!("{{{head}, \"initial_state\": [], \"steps\": [{step}]}}"),
        format!("{{{head}, \"steps\": [{step}]}} trailing"),
        format!("{{{head}, \"steps\": [{step}, {step}, {{\"events\": [1,]}}]}}"),
        // Several faults: the whole-file reader's precedence (JSON, format, identity, steps).
        format!("{{{head}, \"steps\": [{{\"events\": {{}}}}], \"format\": \"other/2\"}}"),
        format!("{{{head}, \"steps\": [{{\"events\": {{}}}}, {{\"events\": ]}}"),
        r#"{"format": "other", "name": "n", "identity": {}, "steps": [{"events": {}}]}"#.into(),
        r#"{"format": "segscope-session/1", "name": "n", "identity": {}, "steps": [{"events": {}}]}"#
            .into(),
        String::new(),
    ];
    let path = dir.join("case.json");
    for text in &cases {
        std::fs::write(&path, text).unwrap();
        let whole = Session::load(&path).unwrap_err().to_string();
        let outline = Session::outline(&path, true).unwrap_err().to_string();
        assert_eq!(outline, whole, "{text}");
    }
    // A good one: the same name, identity, step count and latest event time; the steps in order.
    for good in bundled_sessions() {
        let whole = Session::load(&good).unwrap();
        let outline = Session::outline(&good, true).unwrap();
        assert_eq!(outline.name, whole.name);
        assert_eq!(Ok(outline.identity), whole.identity.to_identity());
        assert_eq!(outline.step_count, whole.steps.len());
        assert_eq!(
            outline.last_event_time,
            session::replay::last_event_time(&whole)
        );
        assert_eq!(
            outline.initial_state.map(|s| s.get().to_string()),
            whole.initial_state.map(|s| s.get().to_string())
        );
        let mut seen = Vec::new();
        Session::each_step(&good, |index, step| {
            seen.push((index, step.events.get().to_string()));
            std::ops::ControlFlow::Continue(())
        })
        .unwrap();
        let expected: Vec<(usize, String)> = whole
            .steps
            .iter()
            .enumerate()
            .map(|(i, s)| (i, s.events.get().to_string()))
            .collect();
        assert_eq!(seen, expected);
    }
    std::fs::remove_dir_all(&dir).ok();
}
