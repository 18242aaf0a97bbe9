//! The live workspace (issue 12): the console watches `--workspace DIR`; an edit that loads is
//! swapped into the embedded emulator and the history is decided again (≠ marks, `d` compares);
//! an edit that does not load is named with file, line and column, and the previous workspace
//! stays. The watch is tested by writing the file and waiting for the app's state to say so.

mod common;
use common::*;

use std::path::Path;
use std::time::Duration;

use crossterm::event::KeyCode;
use segscope::console::model::live::LiveSetup;
use segscope::console::{App, AppOptions};
use segscope::emulator::{self, EmulatorConfig, RunningEmulator, Workspace};
use segscope::engine::Clock;

/// How long a file change may take to be noticed, loaded and re-decided (a deadline, not a
/// sleep: the wait ends as soon as the app's state says so).
const WITHIN: Duration = Duration::from_secs(20);

async fn live_setup(dir: &Path) -> (RunningEmulator, App) {
    live_setup_with_clock(dir, Clock::Event).await
}

async fn live_setup_with_clock(dir: &Path, clock: Clock) -> (RunningEmulator, App) {
    let mut workspace = Workspace::load(dir).expect("the copy loads");
    workspace.clock = clock;
    let config = EmulatorConfig::new(workspace);
    let running = emulator::spawn(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let app = app_with(
        &running.base_url(),
        AppOptions {
            live_workspace: Some(LiveSetup {
                dir: dir.to_path_buf(),
                emulator: running.config().clone(),
            }),
            ..options()
        },
    );
    (running, app)
}

fn threshold_in_use(running: &RunningEmulator) -> serde_json::Value {
    let workspace = running.config().workspace.current();
    let fans = workspace
        .records
        .iter()
        .find(|r| r.code.to_string() == "1001")
        .unwrap();
    fans.query.as_ref().unwrap()["frequency"]["greater_than_or_equal_to"].clone()
}

#[tokio::test]
async fn an_edit_of_cohorts_json_re_decides_the_history_and_d_compares_before_and_after() {
    let dir = state_dir();
    copy_demo_workspace(dir.path());
    let (running, mut app) = live_setup(dir.path()).await;
    let mut term = wide_terminal();
    app.set_editor_text(&football_pageviews(3, 1));
    let mut app = drive(app, &mut term, vec![key(F5)]).await;
    let first = app.history()[0].clone();
    assert!(first.delta.entered.contains(&"1001".to_string()));
    app.set_editor_text(&football_pageviews(1, 4));
    let mut app = drive(app, &mut term, vec![key(F5)]).await;
    assert_eq!(app.history().len(), 2);
    assert!(app.redecision(first.id).is_none(), "no edit yet");

    // Football fans now need 4 page views: call 1 no longer enters 1001; call 2 (the 4th
    // page view, continuing call 1's re-decided state) now does.
    set_football_threshold(dir.path(), 4);
    let settled = app
        .settle_until(WITHIN, |a| {
            a.workspace_edits() >= 1 && a.redecision(a.history()[1].id).is_some()
        })
        .await;
    assert!(settled, "the edit was not picked up: {}", app.status().text);
    assert_eq!(
        threshold_in_use(&running),
        serde_json::json!(4),
        "swapped in"
    );
    let one = app.redecision(app.history()[0].id).unwrap().clone();
    assert!(one.changed());
    assert!(one.before.entered.contains(&"1001".to_string()));
    assert!(!one.after.cohorts.contains(&"1001".to_string()), "{one:?}");
    let two = app.redecision(app.history()[1].id).unwrap().clone();
    assert!(two.continued, "call 2 continues call 1's re-decided state");
    assert!(two.after.entered.contains(&"1001".to_string()), "{two:?}");
    assert!(
        app.status()
            .text
            .starts_with("Workspace edit loaded: 2 of 2 calls decide differently"),
        "{}",
        app.status().text
    );

    // The History marks both; `d` on call 1 shows before and after.
    let app = drive(app, &mut term, vec![key(KeyCode::Tab), key(KeyCode::Up)]).await;
    let text = screen(&term);
    assert!(text.contains("≠ +2 -0"), "call 1: {text}");
    assert!(text.contains("≠ +0 -0"), "call 2: {text}");
    let app = drive(app, &mut term, vec![ch('d')]).await;
    let text = screen(&term);
    assert!(
        text.contains("Call 1: before vs after the workspace edit"),
        "{text}"
    );
    assert!(
        text.contains("Before the edit (as the call was made) · status 200"),
        "{text}"
    );
    assert!(text.contains("entered  1001 Football fans"), "{text}");
    assert!(text.contains("After the edit · status 200"), "{text}");
    assert!(
        text.contains("Call 1 decides differently after the edit: cohorts -1001"),
        "{text}"
    );
    // …and why: the changed clause, with its value and both thresholds, under each workspace.
    assert!(text.contains("Why 1001 Football fans differs"), "{text}");
    assert!(
        text.contains("before  ✓ a member (before the call: ✗)"),
        "{text}"
    );
    assert!(text.contains("✓ Pageview: count = 3, needs ≥ 3"), "{text}");
    assert!(
        text.contains("after   ✗ not a member (before the call: ✗)"),
        "{text}"
    );
    assert!(text.contains("✗ Pageview: count = 3, needs ≥ 4"), "{text}");
    let app = drive(app, &mut term, vec![key(KeyCode::Esc)]).await;
    assert!(!screen(&term).contains("before vs after"));
    drop(app);
    running.stop().await;
}

#[tokio::test]
async fn a_broken_edit_names_file_line_and_column_and_the_previous_workspace_stays() {
    let dir = state_dir();
    copy_demo_workspace(dir.path());
    let (running, app) = live_setup(dir.path()).await;
    let mut term = wide_terminal();
    let mut app = drive(app, &mut term, Vec::new()).await;

    set_football_threshold(dir.path(), 5);
    assert!(
        app.settle_until(WITHIN, |a| a.workspace_edits() == 1).await,
        "{}",
        app.status().text
    );
    assert_eq!(threshold_in_use(&running), serde_json::json!(5));

    write_atomically(
        &dir.path().join("cohorts.json"),
        "[\n  {\"code\": 1001,\n  oops\n]",
    );
    assert!(
        app.settle_until(WITHIN, |a| a.status().text.contains("not loaded"))
            .await,
        "{}",
        app.status().text
    );
    let status = app.status().text.clone();
    assert!(status.contains("cohorts.json"), "{status}");
    assert!(status.contains("line 3 column 3"), "{status}");
    assert!(
        status.ends_with("The previous workspace stays in use."),
        "{status}"
    );
    assert_eq!(threshold_in_use(&running), serde_json::json!(5), "kept");
    assert_eq!(app.workspace_edits(), 1);
    running.stop().await;
}

#[tokio::test]
async fn d_without_a_live_workspace_says_what_it_needs() {
    let emu = emulator().await;
    let mut term = wide_terminal();
    let mut app = app_for(&emu.base_url());
    app.set_editor_text(&football_pageviews(1, 1));
    let app = drive(app, &mut term, vec![key(F5)]).await;
    let app = drive(app, &mut term, vec![key(KeyCode::Tab), ch('d')]).await;
    assert!(
        app.status()
            .text
            .contains("needs the embedded emulator with --workspace DIR"),
        "{}",
        app.status().text
    );
}

#[tokio::test]
async fn a_schema_edit_is_picked_up_too_and_keeps_the_emulators_clock() {
    let dir = state_dir();
    copy_demo_workspace(dir.path());
    let (running, app) = live_setup_with_clock(dir.path(), Clock::Wall).await;
    let mut term = wide_terminal();
    let mut app = drive(app, &mut term, Vec::new()).await;

    // A broken schema: named with its line and column; nothing swapped.
    let schema = dir.path().join("schemas").join("Pageview.json");
    let good = std::fs::read_to_string(&schema).unwrap();
    write_atomically(&schema, "{\n  \"type\": \"object\",\n  ]");
    assert!(
        app.settle_until(WITHIN, |a| a.status().text.contains("not loaded"))
            .await,
        "{}",
        app.status().text
    );
    let status = app.status().text.clone();
    assert!(status.contains("Pageview.json"), "{status}");
    assert!(status.contains("line 3 column 3"), "{status}");
    assert_eq!(app.workspace_edits(), 0);

    // Fixed again: swapped in, with the clock the emulator was started with.
    write_atomically(&schema, &good);
    assert!(
        app.settle_until(WITHIN, |a| a.workspace_edits() >= 1).await,
        "{}",
        app.status().text
    );
    assert_eq!(running.config().workspace.current().clock, Clock::Wall);
    running.stop().await;
}

/// Against a target that cannot explain (as the real API; here an emulator the console is not
/// told is one), `--cohort-definitions DIR` puts the pulled cohort's name and query beside the
/// raw state in the explanation view.
#[tokio::test]
async fn without_explanations_the_pulled_definition_shows_beside_the_raw_state() {
    let pulled = state_dir();
    copy_demo_workspace(pulled.path());
    set_football_threshold(pulled.path(), 4);
    let definitions =
        segscope::console::terminal::read_cohort_definitions(pulled.path()).expect("pulled");
    let emu = emulator().await;
    let mut term = wide_terminal();
    let mut app = app_with(
        &emu.base_url(),
        AppOptions {
            emulator_endpoints: false,
            cohort_definitions: definitions,
            ..options()
        },
    );
    app.set_editor_text(&football_pageviews(3, 1));
    let app = drive(app, &mut term, vec![key(F5)]).await;
    let app = drive(app, &mut term, vec![key(KeyCode::Tab), ch('e')]).await;
    let text = screen(&term);
    assert!(
        text.contains("Explanations need the segscope emulator"),
        "{text}"
    );
    let popup = app.explanation().expect("the explanation view is open");
    assert_eq!(popup.selected().unwrap().code, "1001", "{text}");
    assert!(
        text.contains("Definition (pulled): 1001 Football fans"),
        "{text}"
    );
    // The pulled query (threshold 4), not the emulator's own (3).
    assert!(text.contains("\"greater_than_or_equal_to\": 4"), "{text}");
    assert!(text.contains("\"event\": \"Pageview\""), "{text}");
    // …beside the raw state, which is still there.
    assert!(text.contains("internal_state[\"1001\"]"), "{text}");
}

#[test]
fn cohort_definitions_that_do_not_load_say_file_line_and_column() {
    let pulled = state_dir();
    std::fs::write(
        pulled.path().join("cohorts.json"),
        "[\n  {\"code\": 1001,\n  oops\n]",
    )
    .unwrap();
    let err = segscope::console::terminal::read_cohort_definitions(pulled.path())
        .unwrap_err()
        .chain();
    assert!(err.contains("cohorts.json"), "{err}");
    assert!(err.contains("line 3 column 3"), "{err}");
    let missing = state_dir();
    let err = segscope::console::terminal::read_cohort_definitions(missing.path())
        .unwrap_err()
        .to_string();
    assert!(err.contains("cannot read the cohort definitions"), "{err}");
}

/// Two edits in a row: the "before" of `d` is the workspace the call was made under (≥ 3), not
/// the one the last edit replaced (≥ 4).
#[tokio::test]
async fn after_two_edits_d_explains_against_the_workspace_the_call_was_made_under() {
    let dir = state_dir();
    copy_demo_workspace(dir.path());
    let (running, mut app) = live_setup(dir.path()).await;
    let mut term = wide_terminal();
    app.set_editor_text(&football_pageviews(3, 1));
    let mut app = drive(app, &mut term, vec![key(F5)]).await;
    set_football_threshold(dir.path(), 4);
    assert!(
        app.settle_until(WITHIN, |a| a.workspace_edits() >= 1).await,
        "{}",
        app.status().text
    );
    set_football_threshold(dir.path(), 5);
    // The second edit is in use, and its re-decision has reached the app (the swap happens
    // only inside a reload, which ends with the app's reloading flag down).
    let running_ref = &running;
    assert!(
        app.settle_until(WITHIN, |a| {
            threshold_in_use(running_ref) == serde_json::json!(5)
                && !a.workspace_reloading()
                && a.workspace_edits() >= 2
        })
        .await,
        "{}",
        app.status().text
    );
    let app = drive(app, &mut term, vec![key(KeyCode::Tab), ch('d')]).await;
    let text = screen(&term);
    assert!(text.contains("✓ Pageview: count = 3, needs ≥ 3"), "{text}");
    assert!(text.contains("✗ Pageview: count = 3, needs ≥ 5"), "{text}");
    assert!(!text.contains("needs ≥ 4"), "{text}");
    drop(app);
    running.stop().await;
}
