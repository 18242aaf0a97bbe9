//! The History and Cohorts panes: selecting with the mouse, branch and identity markers, the
//! state after a rewind, and colours that can be read. Driven through the real loop against an
//! in-process emulator.

mod common;
use common::*;

use crossterm::event::KeyCode;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;
use segscope::console::theme::{contrast, xterm_rgb};

/// The colours of the screen cell where `needle` starts.
fn colours_at(term: &Terminal<TestBackend>, needle: &str) -> (Color, Color) {
    let buf = term.backend().buffer();
    for y in 0..buf.area.height {
        let mut line = String::new();
        let mut columns = Vec::new();
        for x in 0..buf.area.width {
            columns.push((line.len(), x));
            line.push_str(buf[(x, y)].symbol());
        }
        if let Some(at) = line.find(needle) {
            let x = columns
                .iter()
                .rev()
                .find(|(byte, _)| *byte <= at)
                .map_or(0, |(_, x)| *x);
            return (buf[(x, y)].fg, buf[(x, y)].bg);
        }
    }
    panic!("{needle:?} is not on the screen:\n{}", screen(term));
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

async fn slow_emulator() -> segscope::emulator::RunningEmulator {
    let mut config =
        segscope::emulator::EmulatorConfig::new(segscope::emulator::Workspace::demo().unwrap());
    config.fault = segscope::emulator::Fault::parse("latency=5s").unwrap();
    segscope::emulator::spawn(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

/// Esc on a call in flight leaves its row, marked cancelled (it used to vanish).
#[tokio::test]
async fn a_cancelled_call_stays_in_the_history() {
    let emu = slow_emulator().await;
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
    let emu = emulator().await;
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
