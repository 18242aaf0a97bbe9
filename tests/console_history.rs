//! The History and Cohorts panes: selecting with the mouse, branch and identity markers, the
//! state after a rewind, and colours that can be read. Driven through the real loop against an
//! in-process emulator.

mod common;
use common::*;

use crossterm::event::{Event, KeyCode, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;
use segscope::console::Focus;
use segscope::console::theme::{contrast, xterm_rgb};

/// The colours of the screen cell where `needle` starts.
fn colours_at(term: &Terminal<TestBackend>, needle: &str) -> (Color, Color) {
    let cell = cell_at(term, needle);
    (cell.fg, cell.bg)
}

/// `n` calls of one football Pageview each.
async fn calls(
    app: segscope::console::App,
    term: &mut Terminal<TestBackend>,
    n: usize,
) -> segscope::console::App {
    let mut app = app;
    for i in 1..=n {
        app.set_editor_text(&football_pageviews(1, i));
        app = drive(app, term, vec![key(F5)]).await;
    }
    app
}

/// The selected row of an abandoned branch was grey on grey (`ESC[38;5;8m` on `ESC[48;5;8m`).
#[tokio::test]
async fn the_selected_row_of_an_abandoned_branch_can_be_read() {
    let emu = emulator().await;
    let mut term = wide_terminal();
    let app = calls(app_for(&emu.base_url()), &mut term, 3).await;
    let app = drive(
        app,
        &mut term,
        vec![key(KeyCode::Tab), key(KeyCode::Up), ch('r')],
    )
    .await;
    assert!(
        app.status().text.starts_with("Rewound"),
        "{}",
        app.status().text
    );
    let (fg, bg) = colours_at(&term, "> 2 ");
    let (fg, bg) = (
        xterm_rgb(fg).expect("the selection sets its text colour"),
        xterm_rgb(bg).expect("and its background"),
    );
    assert_ne!(fg, bg);
    assert!(contrast(fg, bg) >= 3.0, "{fg:?} on {bg:?}");
    emu.stop().await;
}

/// An emulator that answers after `latency` (e.g. `5s`): a call is still in flight when the
/// next key of the same batch is handled.
async fn slow_emulator_after(latency: &str) -> segscope::emulator::RunningEmulator {
    let mut config =
        segscope::emulator::EmulatorConfig::new(segscope::emulator::Workspace::demo().unwrap());
    config.fault = segscope::emulator::Fault::parse(&format!("latency={latency}")).unwrap();
    segscope::emulator::spawn(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

/// Esc on a call in flight leaves its row, marked cancelled (it used to vanish).
#[tokio::test]
async fn a_cancelled_call_stays_in_the_history() {
    let emu = slow_emulator_after("5s").await;
    let mut term = wide_terminal();
    let mut app = app_for(&emu.base_url());
    app.set_editor_text(&football_pageviews(1, 1));
    let app = drive(app, &mut term, vec![key(F5), key(KeyCode::Esc)]).await;
    assert_eq!(app.history().len(), 1, "{}", app.status().text);
    assert!(
        matches!(
            app.history()[0].outcome,
            segscope::api::CallOutcome::Transport {
                kind: segscope::api::TransportKind::Cancelled,
                ..
            }
        ),
        "{:?}",
        app.history()[0].outcome
    );
    assert!(app.state().is_none(), "a cancelled call changes no state");
    assert!(
        app.status().text.starts_with("Cancelled call 1"),
        "{}",
        app.status().text
    );
    let text = screen(&term);
    assert!(text.contains("cancelled"), "{text}");
    emu.stop().await;
}

/// `R` retries the selected call: its events again, byte for byte, as the next call. A call
/// cancelled with Esc goes through on the retry; the editor is left as it is.
#[tokio::test]
async fn r_retries_the_selected_call() {
    let emu = slow_emulator_after("300ms").await;
    let mut term = wide_terminal();
    let mut app = app_for(&emu.base_url());
    let events = football_pageviews(2, 1);
    app.set_editor_text(&events);
    // Esc in the same batch as F5: cancelled before the answer is read.
    let mut app = drive(app, &mut term, vec![key(F5), key(KeyCode::Esc)]).await;
    assert!(!app.history()[0].succeeded());
    app.set_editor_text("[]");
    let app = drive(app, &mut term, vec![key(KeyCode::Tab), ch('R')]).await;
    assert_eq!(app.history().len(), 2, "{}", app.status().text);
    let (first, retry) = (&app.history()[0], &app.history()[1]);
    assert!(retry.succeeded(), "{}", app.status().text);
    assert_eq!(retry.request.events.get(), first.request.events.get());
    assert_eq!(retry.identity(), first.identity());
    assert!(retry.state_before().is_none());
    assert_eq!(app.editor_text(), "[]", "the editor is left alone");

    // Retrying a successful call sends its events with the state it left.
    let app = drive(app, &mut term, vec![ch('R')]).await;
    assert_eq!(app.history().len(), 3);
    let (second, third) = (&app.history()[1], &app.history()[2]);
    assert_eq!(
        third.state_before().map(|s| s.as_str()),
        second.state_after.as_ref().map(|s| s.as_str())
    );
    assert_eq!(third.request.events.get(), second.request.events.get());
    emu.stop().await;
}

fn mouse(kind: MouseEventKind, (column, row): (u16, u16)) -> Event {
    Event::Mouse(MouseEvent {
        kind,
        column,
        row,
        modifiers: KeyModifiers::NONE,
    })
}

fn click(at: (u16, u16)) -> Event {
    mouse(MouseEventKind::Down(MouseButton::Left), at)
}

/// A click on a History row selects its call; on a cohort, selects the cohort; the wheel moves
/// one row a notch.
#[tokio::test]
async fn a_click_selects_a_call_or_a_cohort_and_the_wheel_moves_one_row() {
    let emu = emulator().await;
    let mut term = wide_terminal();
    let mut app = app_for(&emu.base_url());
    // Three football Pageviews in one call: the user enters several cohorts.
    app.set_editor_text(&football_pageviews(3, 1));
    let app = drive(app, &mut term, vec![key(F5)]).await;
    let app = calls(app, &mut term, 3).await;
    assert_eq!(app.selected_call().map(|c| c.id), Some(app.history()[3].id));

    let row_of_call_2 = position_of(&term, "2   --:--:--");
    let app = drive(app, &mut term, vec![click(row_of_call_2)]).await;
    assert_eq!(app.focus(), Focus::History);
    assert_eq!(app.selected_call().map(|c| c.id), Some(app.history()[1].id));
    assert!(screen(&term).contains("> 2"), "{}", screen(&term));

    // The wheel over the History: one call a notch.
    let app = drive(
        app,
        &mut term,
        vec![mouse(MouseEventKind::ScrollUp, row_of_call_2)],
    )
    .await;
    assert_eq!(app.selected_call().map(|c| c.id), Some(app.history()[0].id));
    let app = drive(
        app,
        &mut term,
        vec![mouse(MouseEventKind::ScrollDown, row_of_call_2)],
    )
    .await;
    assert_eq!(app.selected_call().map(|c| c.id), Some(app.history()[1].id));

    // A click on the second cohort listed selects it (Enter would explain that one).
    let members = app.selected_call().unwrap().delta.members.clone();
    assert!(members.len() >= 2, "{members:?}");
    let second = position_of(&term, &members[1]);
    let app = drive(app, &mut term, vec![click(second)]).await;
    assert_eq!(app.focus(), Focus::Cohorts);
    let app = drive(app, &mut term, vec![key(KeyCode::Enter)]).await;
    let explained = app
        .explanation()
        .expect("Enter explains the selected cohort");
    assert_eq!(
        explained.selected().map(|e| e.code.as_str()),
        Some(members[1].as_str())
    );
    emu.stop().await;
}

/// The first call after a rewind says which call's state its branch continues (`from #1`), and
/// a separator row names the new user where the identity changes (F3).
#[tokio::test]
async fn history_marks_branches_and_identity_changes() {
    let emu = emulator().await;
    let mut term = wide_terminal();
    let app = calls(app_for(&emu.base_url()), &mut term, 3).await;
    let app = drive(
        app,
        &mut term,
        vec![key(KeyCode::Tab), key(KeyCode::Up), ch('r'), key(F5)],
    )
    .await;
    assert_eq!(app.history().len(), 4, "{}", app.status().text);
    let text = screen(&term);
    let row = text
        .lines()
        .find(|l| l.contains("4   --:--:--"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(row.contains("from #1"), "{row}");
    let later = text.lines().find(|l| l.contains("3   --:--:--")).unwrap();
    assert!(!later.contains("from #"), "{later}");

    // F3: a new user; its first call comes under a separator naming it.
    let app = drive(app, &mut term, vec![key(KeyCode::F(3)), key(F5)]).await;
    assert_eq!(app.history().len(), 5);
    let user = match app.identity() {
        segscope::api::Identity::UserId(id) => id.clone(),
        other => panic!("{other:?}"),
    };
    let text = screen(&term);
    let lines: Vec<&str> = text.lines().collect();
    let separator = lines
        .iter()
        .position(|l| l.contains(&format!("── user {user} ──")))
        .unwrap_or_else(|| panic!("a separator names the new user:\n{text}"));
    assert!(lines[separator + 1].contains("5   --:--:--"), "{text}");
    assert!(lines[separator - 1].contains("4   --:--:--"), "{text}");
    emu.stop().await;
}

/// After `r` the Cohorts pane shows the cohorts of the state the next call sends (the rewound
/// call's before-state) and says so; it showed the rewound call's after-state.
#[tokio::test]
async fn after_a_rewind_the_cohorts_pane_shows_what_the_next_call_sends() {
    let emu = emulator().await;
    let mut term = wide_terminal();
    let app = calls(app_for(&emu.base_url()), &mut term, 3).await;
    let entered = app.history()[2].delta.entered.clone();
    assert!(!entered.is_empty(), "call 3 enters a cohort");
    let before: Vec<String> = app.history()[1].delta.members.clone();
    let app = drive(app, &mut term, vec![key(KeyCode::Tab), ch('r')]).await;
    let text = screen(&term);
    assert!(
        text.contains("the next call sends: before call 3"),
        "{text}"
    );
    for code in &entered {
        assert!(!text.contains(&format!("+ {code}")), "{code}: {text}");
        if !before.contains(code) {
            let shown = text
                .lines()
                .any(|l| l.split_whitespace().any(|w| w == code));
            assert!(!shown, "{code} is not in the state sent next:\n{text}");
        }
    }
    for code in &before {
        assert!(text.contains(code.as_str()), "{code}: {text}");
    }
    // Moving the selection shows that call's cohorts after it again.
    let app = drive(app, &mut term, vec![key(KeyCode::Up)]).await;
    assert!(screen(&term).contains("after call 2"), "{}", screen(&term));
    drop(app);
    emu.stop().await;
}

/// The branch marks are autosaved: after a restart, the first call of a branch still says
/// where it came from.
#[tokio::test]
async fn branch_marks_survive_a_restart() {
    let emu = emulator().await;
    let dir = state_dir();
    let path = dir.path().join("autosave.json");
    let saving = || {
        let mut options = options();
        options.autosave = Some(path.clone());
        app_with(&emu.base_url(), options)
    };
    let mut term = wide_terminal();
    let app = calls(saving(), &mut term, 2).await;
    let mut app = drive(app, &mut term, vec![key(KeyCode::Tab), ch('r'), key(F5)]).await;
    assert_eq!(app.history().len(), 3);
    app.close_autosave().unwrap();
    drop(app);
    let app = drive(saving(), &mut term, vec![]).await;
    assert_eq!(app.history().len(), 3, "{}", app.status().text);
    let text = screen(&term);
    let row = text
        .lines()
        .find(|l| l.contains("3   --:--:--"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(row.contains("from #1"), "{row}");
    emu.stop().await;
}

/// F8 after the last step replays the session again from step 1: the calls of the first pass
/// keep their `✓`/`≠` marks in History (they lost them, as if never compared).
#[tokio::test]
async fn a_second_pass_of_a_session_leaves_the_first_passs_marks_in_history() {
    let emu = emulator().await;
    let mut term = wide_terminal();
    let mut app = app_for(&emu.base_url());
    assert!(app.open_session(std::path::Path::new("bundled:05-external-state")));
    for _ in 0..3 {
        app = drive(app, &mut term, vec![key(KeyCode::F(8))]).await;
    }
    assert_eq!(app.history().len(), 3);
    let text = screen(&term);
    let marked = text
        .lines()
        .filter(|l| l.contains(" ev ") && l.contains('✓'))
        .count();
    assert_eq!(marked, 3, "every replayed call keeps its mark:\n{text}");
}
