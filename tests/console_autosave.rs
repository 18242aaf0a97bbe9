//! The autosave never blocks and never loses a call: a journal of calls compacted on start and
//! exit, one bad call dropped alone, a torn journal tail dropped with a note, one console per
//! file, and a failed save at exit that is said, not swallowed.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use crossterm::event::KeyCode;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use segscope::console::App;

fn app_saving_to(base_url: &str, path: &Path) -> App {
    let mut options = options();
    options.autosave = Some(path.to_path_buf());
    app_with(base_url, options)
}

fn terminal() -> Terminal<TestBackend> {
    Terminal::new(TestBackend::new(120, 40)).unwrap()
}

fn pageview(n: usize) -> String {
    format!(
        r#"[{{"name": "Pageview", "time": "2026-03-06T12:0{n}:00Z", "properties": {{"article": {{"title": "Report {n}", "category": "football"}}}}}}]"#
    )
}

/// A console that made `calls` calls and closed: its snapshot on disk.
async fn snapshot_with_calls(base_url: &str, path: &Path, calls: usize) -> serde_json::Value {
    let mut term = terminal();
    let mut app = app_saving_to(base_url, path);
    for n in 0..calls {
        app.set_editor_text(&pageview(n));
        app = drive(app, &mut term, vec![key(F5)]).await;
    }
    assert_eq!(app.history().len(), calls);
    app.close_autosave().unwrap();
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn journal_of(path: &Path) -> PathBuf {
    segscope::console::autosave::journal_path(path)
}

#[tokio::test]
async fn calls_go_to_the_journal_and_a_restart_compacts_them() {
    let emu = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("autosave.json");
    let mut term = terminal();
    let mut app = app_saving_to(&emu.base_url(), &path);
    app.set_editor_text(&pageview(1));
    let mut app = drive(app, &mut term, vec![key(F5)]).await;
    // Compact once (as a start or a quit does), so the snapshot has the first call.
    app.close_autosave().unwrap();
    assert!(!journal_of(&path).exists());
    // A restart restores it and compacts again (an empty journal).
    let mut app = drive(app_saving_to(&emu.base_url(), &path), &mut term, vec![]).await;
    assert_eq!(app.history().len(), 1);
    let _ = std::fs::remove_file(journal_of(&path)); // the loop's end appended the head
    let snapshot = std::fs::read_to_string(&path).unwrap();

    // While the console runs, an autosave appends the new call and the head to the journal
    // (the writer thread does; the snapshot is not rewritten).
    let call = app.history()[0].clone();
    app.record_call(call);
    app.autosave_in_background();
    let journal = journal_of(&path);
    let mut waited = 0;
    while std::fs::read_to_string(&journal)
        .map(|t| !t.contains("\"head\""))
        .unwrap_or(true)
    {
        assert!(waited < 200, "the writer thread appends within 10 s");
        std::thread::sleep(std::time::Duration::from_millis(50));
        waited += 1;
    }
    let records = std::fs::read_to_string(&journal).unwrap();
    let kinds: Vec<String> = records
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v.as_object().unwrap().keys().next().unwrap().clone()
        })
        .collect();
    assert_eq!(kinds, ["call", "head"]);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), snapshot);

    // Closing compacts both calls into the snapshot and empties the journal.
    app.close_autosave().unwrap();
    let compacted: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(compacted["history"].as_array().map(Vec::len), Some(2));
    assert!(!journal.exists());
    emu.stop().await;
}

/// A kill -9 after two calls: the snapshot has the first, the journal the second and a record
/// cut short. The restart restores both calls and says the torn tail was dropped.
#[tokio::test]
async fn a_torn_journal_tail_is_dropped_with_a_note_and_every_call_restored() {
    let emu = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("autosave.json");
    let mut snapshot = snapshot_with_calls(&emu.base_url(), &path, 2).await;
    let second = snapshot["history"].as_array_mut().unwrap().pop().unwrap();
    std::fs::write(&path, serde_json::to_string(&snapshot).unwrap()).unwrap();
    let journal = format!(
        "{}\n{{\"head\": {{\"saved_at\": \"2026-03-06T12:00:00Z\", \"editor\": \"typed before the kill\", \"identity\": {{\"user_id\": \"u-1\"}}, \"sync_validation\": true, \"session_id\": \"s\"}}}}\n{{\"call\": {{\"events\": \"[",
        serde_json::json!({ "call": second })
    );
    std::fs::write(journal_of(&path), journal).unwrap();

    let mut term = terminal();
    let app = drive(app_saving_to(&emu.base_url(), &path), &mut term, vec![]).await;
    assert_eq!(app.history().len(), 2, "{}", app.status().text);
    assert_eq!(app.editor_text(), "typed before the kill");
    let status = &app.status().text;
    assert!(status.starts_with("Restored 2 calls"), "{status}");
    assert!(status.contains("cut short"), "{status}");
    // Compacted: one snapshot with both calls, no journal.
    let compacted: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(compacted["history"].as_array().map(Vec::len), Some(2));
    assert!(!journal_of(&path).exists());
    emu.stop().await;
}

/// `latency_ms: 1e308` used to panic on every start (`Duration::from_secs_f64`); one unreadable
/// call drops that call only.
#[tokio::test]
async fn an_absurd_call_is_dropped_alone_and_never_panics() {
    let emu = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("autosave.json");
    let mut snapshot = snapshot_with_calls(&emu.base_url(), &path, 3).await;
    snapshot["history"][0]["outcome"]["latency_ms"] = serde_json::json!(1e308);
    snapshot["history"][2]["sent_at"] = serde_json::json!("not a time");
    std::fs::write(&path, serde_json::to_string(&snapshot).unwrap()).unwrap();

    let mut term = terminal();
    let app = drive(app_saving_to(&emu.base_url(), &path), &mut term, vec![]).await;
    assert_eq!(app.history().len(), 1, "{}", app.status().text);
    assert!(app.history()[0].request_body().contains("Report 1"));
    let status = &app.status().text;
    assert!(
        status.contains("2 unreadable record(s) dropped"),
        "{status}"
    );
    emu.stop().await;
}

/// Two consoles on one state directory: the second says so and keeps its own file; nothing of
/// the first is lost.
#[tokio::test]
async fn a_second_console_says_so_and_uses_its_own_file() {
    let emu = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("autosave.json");
    let mut term = terminal();
    let mut first = app_saving_to(&emu.base_url(), &path);
    first.set_editor_text(&pageview(1));
    let first = drive(first, &mut term, vec![key(F5)]).await;

    let mut second = app_saving_to(&emu.base_url(), &path);
    second.set_editor_text(&pageview(2));
    let second = drive(second, &mut term, vec![key(F5)]).await;
    let mut second = drive(second, &mut term, vec![key(F5)]).await;
    assert!(
        second.status().text.contains("Another segscope console") || {
            // The status line moved on after the calls; the screen said it at start.
            second.autosave_path() == Some(&dir.path().join("autosave.2.json"))
        },
        "{}",
        second.status().text
    );
    assert_eq!(
        second.autosave_path(),
        Some(dir.path().join("autosave.2.json").as_path())
    );
    second.close_autosave().unwrap();
    let mut first = first;
    first.close_autosave().unwrap();

    let read = |p: PathBuf| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
    };
    let mine = read(path.clone());
    let theirs = read(dir.path().join("autosave.2.json"));
    assert_eq!(mine["history"].as_array().map(Vec::len), Some(1));
    assert!(mine["history"][0].to_string().contains("Report 1"));
    assert_eq!(theirs["history"].as_array().map(Vec::len), Some(2));
    emu.stop().await;
}

#[tokio::test]
async fn the_second_console_is_told_at_start() {
    let emu = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("autosave.json");
    let mut term = terminal();
    let _first = drive(app_saving_to(&emu.base_url(), &path), &mut term, vec![]).await;
    let second = drive(app_saving_to(&emu.base_url(), &path), &mut term, vec![]).await;
    let status = &second.status().text;
    assert!(
        status.starts_with("Another segscope console is using"),
        "{status}"
    );
    assert!(status.contains("autosave.2.json"), "{status}");
    emu.stop().await;
}

/// A state directory that cannot be written: the save at exit fails, and that is kept for the
/// terminal entry point to say on stderr and exit non-zero (see `console_input.rs` for the
/// binary's exit code).
#[tokio::test]
async fn a_failed_save_at_exit_is_kept_to_be_reported() {
    let emu = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let not_a_dir = dir.path().join("file");
    std::fs::write(&not_a_dir, "a file, not a directory").unwrap();
    let path = not_a_dir.join("autosave.json");
    let mut term = terminal();
    let mut app = app_saving_to(&emu.base_url(), &path);
    app.set_editor_text(&pageview(1));
    let mut app = drive(app, &mut term, vec![key(F5)]).await;
    // Ctrl+Q: the save at exit.
    let error = app.close_autosave().expect_err("the exit save fails");
    assert_eq!(app.autosave_exit_error(), Some(error.as_str()));
    assert!(error.contains("autosave.json"), "{error}");
    emu.stop().await;
}

#[tokio::test]
async fn the_autosave_round_trips() {
    let emu = emulator().await;
    let dir = state_dir();
    let path = dir.path().join("autosave.json");
    let mut options = options();
    options.autosave = Some(path.clone());
    let mut term = wide_terminal();
    let mut app = app_with(&emu.base_url(), options.clone());
    app.set_editor_text(&football_pageviews(2, 1));
    let app = drive(app, &mut term, vec![key(F5)]).await;
    // The same events again: F5 warns that they count again, a second F5 sends.
    let app = drive(app, &mut term, vec![key(F5), key(F5)]).await;
    // Written after each call: the journal already has both.
    let journal =
        std::fs::read_to_string(segscope::console::autosave::journal_path(&path)).unwrap();
    assert_eq!(
        journal
            .lines()
            .filter(|l| l.starts_with("{\"call\""))
            .count(),
        2
    );
    // Change the flag and the editor, then leave (the exit writes it).
    let mut app = drive(app, &mut term, vec![key(KeyCode::F(2)), ch(' ')]).await;
    assert!(!app.sync_validation());
    // The first console closes (while it runs, a second one would get a file of its own).
    app.close_autosave().unwrap();

    let restored = drive(app_with(&emu.base_url(), options), &mut term, vec![]).await;
    assert_eq!(restored.editor_text(), app.editor_text());
    assert_eq!(restored.identity(), app.identity());
    assert_eq!(restored.sync_validation(), app.sync_validation());
    assert_eq!(
        restored.state().map(|s| s.as_str()),
        app.state().map(|s| s.as_str()),
        "the state, byte for byte"
    );
    assert_eq!(restored.history().len(), 2);
    for (a, b) in restored.history().iter().zip(app.history()) {
        assert_eq!(a.request_body(), b.request_body());
        assert_eq!(a.delta, b.delta);
    }
    assert!(
        restored
            .status()
            .text
            .starts_with("Restored 2 calls from autosave"),
        "{}",
        restored.status().text
    );
    assert!(screen(&term).contains("History (2 calls)"));
}

#[tokio::test]
async fn a_corrupt_autosave_is_set_aside_and_the_console_starts_clean() {
    let emu = emulator().await;
    let dir = state_dir();
    let path = dir.path().join("autosave.json");
    std::fs::write(&path, "{\"format\": \"segscope-autosave/1\", trunc").unwrap();
    let mut options = options();
    options.autosave = Some(path.clone());
    let mut term = wide_terminal();
    let app = drive(
        app_with(&emu.base_url(), options.clone()),
        &mut term,
        vec![],
    )
    .await;
    assert!(app.history().is_empty());
    assert!(app.state().is_none());
    let status = &app.status().text;
    assert!(status.contains("is unreadable"), "{status}");
    assert!(status.contains("Starting clean"), "{status}");
    let names = files_in(dir.path());
    let aside = names
        .iter()
        .find(|n| n.starts_with("autosave.json.corrupt-"))
        .unwrap_or_else(|| panic!("set aside: {names:?}"));
    assert!(
        std::fs::read_to_string(dir.path().join(aside))
            .unwrap()
            .ends_with("trunc"),
        "kept as it was"
    );
    assert!(screen(&term).contains("is unreadable"));
    drop(app);

    // --fresh keeps the (now valid) autosave as a .bak and starts clean.
    let mut app = app_with(&emu.base_url(), options.clone());
    app.set_editor_text(&football_pageviews(1, 1));
    drive(app, &mut term, vec![key(F5)]).await;
    options.fresh = true;
    let app = drive(app_with(&emu.base_url(), options), &mut term, vec![]).await;
    assert!(app.history().is_empty());
    assert!(
        app.status().text.starts_with("Started fresh"),
        "{}",
        app.status().text
    );
    assert!(
        files_in(dir.path())
            .iter()
            .any(|n| n.starts_with("autosave.json.") && n.ends_with(".bak"))
    );
}

/// An embedded console (what `launch` sets for the embedded emulator only: its clock).
fn embedded_saving_to(base_url: &str, path: &Path) -> App {
    let mut options = options();
    options.autosave = Some(path.to_path_buf());
    options.clock = Some(segscope::engine::Clock::Event);
    app_with(base_url, options)
}

/// Calls made on the embedded emulator, restored into a console on another target (here a
/// `--base-url`, standing in for the real API): the restored state is not sent there silently.
/// A new user starts, and the status line says so. The embedded emulator on another port is
/// the same target: the user and state carry on, with no word about another target.
#[tokio::test]
async fn a_restored_autosave_from_another_target_is_never_sent_silently() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("autosave.json");
    let mut term = terminal();
    let first = emulator().await;
    let mut app = embedded_saving_to(&first.base_url(), &path);
    app.set_editor_text(&football_pageviews(1, 1));
    let mut app = drive(app, &mut term, vec![key(F5)]).await;
    assert!(app.history()[0].succeeded(), "{}", app.status().text);
    let user = app.identity().clone();
    let state = app.state().cloned().unwrap();
    app.close_autosave().unwrap();
    drop(app);
    first.stop().await;

    // The embedded emulator again, on another port: the same target.
    let second = emulator().await;
    let mut app = drive(
        embedded_saving_to(&second.base_url(), &path),
        &mut term,
        vec![],
    )
    .await;
    assert!(
        app.status().text.starts_with("Restored 1 call"),
        "{}",
        app.status().text
    );
    assert!(
        !app.status().text.contains("went to"),
        "{}",
        app.status().text
    );
    assert_eq!(app.identity(), &user);
    assert_eq!(app.state().map(|s| s.as_str()), Some(state.as_str()));
    app.close_autosave().unwrap();
    drop(app);

    // Another target: a new user, said in the status line; the next call sends no state.
    let app = drive(app_saving_to(&second.base_url(), &path), &mut term, vec![]).await;
    let status = app.status().text.clone();
    assert!(
        status.contains("they went to embedded emulator"),
        "{status}"
    );
    assert!(status.contains("new user"), "{status}");
    assert_ne!(app.identity(), &user);
    assert!(app.state().is_none());
    assert_eq!(app.history().len(), 1, "the restored calls stay");
    let app = drive(app, &mut term, vec![key(F5)]).await;
    let last = app.history().last().unwrap();
    assert!(last.state_before().is_none(), "no restored state was sent");
    assert_ne!(last.identity(), &user);
    second.stop().await;
}
