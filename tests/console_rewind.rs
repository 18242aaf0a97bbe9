//! Rewind and branch (Ctrl+Z / the history), driven through the real loop against an in-process
//! emulator. No timing: each batch of keys runs until every background task has answered.

mod common;
use common::*;

use crossterm::event::KeyCode;
use ratatui::style::Modifier;

#[tokio::test]
async fn rewind_restores_the_earlier_state_and_the_next_send_branches_from_it() {
    let emu = emulator().await;
    let mut term = wide_terminal();
    let mut app = app_for(&emu.base_url());
    for n in 1..=3 {
        app.set_editor_text(&football_pageviews(1, n));
        app = drive(app, &mut term, vec![key(F5)]).await;
    }
    assert_eq!(app.history().len(), 3);
    assert!(app.history().iter().all(|c| c.succeeded()));
    let earlier = app.history()[1]
        .state_before()
        .cloned()
        .expect("call 2 sent a state");
    let abandoned_future = app.history()[2].state_after.clone().unwrap();
    assert_ne!(earlier.as_str(), abandoned_future.as_str());
    let call2_events = app.history()[1].events_text();

    // History pane, call 2, rewind.
    let app = drive(
        app,
        &mut term,
        vec![key(KeyCode::Tab), key(KeyCode::Up), ch('r')],
    )
    .await;
    assert_eq!(app.state().map(|s| s.as_str()), Some(earlier.as_str()));
    assert_eq!(app.editor_text(), call2_events);
    assert!(
        app.status().text.starts_with("Rewound to before call 2"),
        "{}",
        app.status().text
    );
    assert_eq!(app.history().len(), 3, "nothing is deleted");

    // The next send starts a new branch from the rewound state, byte for byte.
    let app = drive(app, &mut term, vec![key(F5)]).await;
    let calls = app.history();
    assert_eq!(calls.len(), 4);
    let sent = calls[3].state_before().expect("a state was sent");
    assert_eq!(sent.as_str(), earlier.as_str());
    assert!(calls[3].request_body().contains(earlier.as_str()));
    assert!(!calls[3].request_body().contains(abandoned_future.as_str()));

    let text = screen(&term);
    assert!(
        text.contains("History (4 calls, 2 on abandoned branches)"),
        "{text}"
    );
    // Calls 2 and 3 are drawn dimmed; 1 and the new 4 are not.
    assert!(modifiers_at(&term, "2   --:--:--").contains(Modifier::DIM));
    assert!(modifiers_at(&term, "3   --:--:--").contains(Modifier::DIM));
    assert!(!modifiers_at(&term, "1   --:--:--").contains(Modifier::DIM));
    assert!(!modifiers_at(&term, "4   --:--:--").contains(Modifier::DIM));
}
