//! Issue 13, "Errors point into the editor" and "Time under control": the editor marks the lines
//! that are wrong (schema violations as you type, a 400's violations, JSON syntax, placeholders),
//! and new or advanced events land where the user's clock is.

mod common;

use common::*;

use crossterm::event::KeyCode;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

/// The screen rows of the editor pane whose gutter is marked (`●`), as the line numbers shown.
fn marked_lines(term: &Terminal<TestBackend>) -> Vec<usize> {
    screen(term)
        .lines()
        .filter_map(|row| {
            let after = row
                .strip_prefix(['│', '┃'])?
                .trim_start_matches(' ')
                .strip_prefix('●')?;
            after.split_whitespace().next()?.parse().ok()
        })
        .collect()
}

/// One Pageview whose `client` lacks its `domain` (line 12) and whose category is empty
/// (line 8): two violations of the demo workspace's schema, neither of the contract's shape.
fn pageview_with_two_violations(time: &str) -> String {
    format!(
        r#"[
  {{
    "name": "Pageview",
    "time": "{time}",
    "session_id": "00000000-0000-4000-8000-0000000000aa",
    "properties": {{
      "article": {{
        "category": "",
        "title": "Derby"
      }},
      "client": {{
        "url": "https://www.dailycourier.example/"
      }}
    }}
  }}
]"#
    )
}

fn now() -> String {
    jiff::Timestamp::from_second(jiff::Timestamp::now().as_second())
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn schema_violations_are_marked_as_you_type_in_the_emulators_words_and_f5_still_sends() {
    let emu = emulator().await;
    let mut term = wide_terminal();
    // The first run loads the workspace description (its event schemas).
    let mut app = drive(app_for(&emu.base_url()), &mut term, vec![]).await;
    app.set_editor_text(&pageview_with_two_violations(&now()));
    // An edit (a space typed at the end of the last line) runs the live check.
    let keys = vec![ctrl('e'), key(KeyCode::End), ch(' ')];
    let app = drive(app, &mut term, keys).await;
    let text = screen(&term);
    assert!(text.contains("! 1 event · 2 problems"), "{text}");
    assert_eq!(marked_lines(&term), vec![8, 11], "{text}");
    assert!(
        app.status().text.contains("2 problems"),
        "{}",
        app.status().text
    );

    // The cursor on a marked line: the status line says that line's problem.
    // (The space went after line 1's `[`; ten lines down is line 11.)
    let down = std::iter::repeat_n(key(KeyCode::Down), 10).collect();
    let app = drive(app, &mut term, down).await;
    let status = app.status().text.clone();
    assert!(
        status.starts_with(
            "Editor line 11: events[0]: /properties/client: \"domain\" is a required property"
        ),
        "{status}"
    );

    // F5 sends all the same; the emulator's 400 lists the very same lines.
    let app = drive(app, &mut term, vec![key(F5)]).await;
    let call = app.history().last().expect("F5 sent the events");
    assert!(!call.succeeded());
    let segscope::api::CallOutcome::ApiError {
        envelope: Some(env),
        ..
    } = &call.outcome
    else {
        panic!("a 400 with its envelope: {:?}", call.outcome);
    };
    let violations = env.violations();
    assert_eq!(
        violations,
        vec![
            "events[0]: /properties/article/category: \"\" is shorter than 1 character",
            "events[0]: /properties/client: \"domain\" is a required property",
        ]
    );
    // Those lines are the editor's own: marked once, not twice.
    assert_eq!(marked_lines(&term), vec![8, 11], "{}", screen(&term));
    assert!(screen(&term).contains("2 problems"), "{}", screen(&term));
}

#[tokio::test]
async fn a_400s_violations_mark_the_lines_they_name() {
    let emu = emulator().await;
    let mut term = wide_terminal();
    // A target that does not describe its workspace: the editor knows no schema, only the 400.
    let mut options = options();
    options.emulator_endpoints = false;
    let mut app = app_with(&emu.base_url(), options);
    app.set_editor_text(&pageview_with_two_violations(&now()));
    let app = drive(app, &mut term, vec![]).await;
    assert!(
        screen(&term).contains("✓ 1 event · valid"),
        "{}",
        screen(&term)
    );
    assert_eq!(marked_lines(&term), Vec::<usize>::new());

    let app = drive(app, &mut term, vec![key(F5)]).await;
    assert!(!app.history()[0].succeeded());
    let text = screen(&term);
    assert_eq!(marked_lines(&term), vec![8, 11], "{text}");
    assert!(text.contains("! 1 event · 2 problems"), "{text}");
    assert!(
        app.status().text.contains("marks the 2 violations"),
        "{}",
        app.status().text
    );

    // Fixing the event (a domain added) takes its marks away.
    let fixed = pageview_with_two_violations(&now()).replace(
        "\"url\": \"https://www.dailycourier.example/\"",
        "\"url\": \"https://www.dailycourier.example/\", \"domain\": \"d\"",
    );
    let mut app = app;
    app.set_editor_text(&fixed);
    let _app = drive(app, &mut term, vec![ctrl('e'), ch(' ')]).await;
    assert_eq!(
        marked_lines(&term),
        Vec::<usize>::new(),
        "{}",
        screen(&term)
    );
}

#[tokio::test]
async fn a_missing_comma_is_reported_and_marked_on_the_line_that_needs_it() {
    let emu = emulator().await;
    let mut term = wide_terminal();
    let mut app = app_for(&emu.base_url());
    // Line 13 (`"domain": …` in the opening Pageview) loses its comma.
    let text = app.editor_text();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[12].ends_with(','), "{}", lines[12]);
    let mut broken: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    broken[12].pop();
    app.set_editor_text(&broken.join("\n"));
    let app = drive(app, &mut term, vec![ctrl('e'), ch(' ')]).await;
    let text = screen(&term);
    assert!(
        text.contains("✗ line 13: missing ',' after this value"),
        "{text}"
    );
    assert_eq!(marked_lines(&term), vec![13], "{text}");
    assert!(app.history().is_empty());
}

#[tokio::test]
async fn ctrl_n_placeholders_are_problems_until_replaced_and_the_first_is_selected() {
    let emu = emulator().await;
    let mut term = wide_terminal();
    let app = drive(app_for(&emu.base_url()), &mut term, vec![]).await;
    // Ctrl+N, Enter: a Pageview (the picker's default) with `<title>`, `<category>`, `<url>`,
    // `<domain>` for the properties its schema requires.
    let app = drive(app, &mut term, vec![ctrl('n'), key(KeyCode::Enter)]).await;
    let text = screen(&term);
    assert!(text.contains("! 2 events · 4 problems"), "{text}");
    assert!(app.editor_text().contains("\"title\": \"<title>\""));
    // Typing replaces the selected first placeholder.
    let app = drive(app, &mut term, typed("Derby")).await;
    assert!(
        app.editor_text().contains("\"title\": \"Derby\""),
        "{}",
        app.editor_text()
    );
    assert!(screen(&term).contains("! 2 events · 3 problems"));
    assert_eq!(marked_lines(&term).len(), 3, "{}", screen(&term));
}

#[tokio::test]
async fn ctrl_n_stamps_the_users_clock_when_it_is_later_than_now() {
    let emu = emulator().await;
    let mut term = wide_terminal();
    let app = drive(app_for(&emu.base_url()), &mut term, vec![]).await;
    // The user's latest event is two hours ahead of now.
    let ahead = jiff::Timestamp::from_second(jiff::Timestamp::now().as_second() + 7200).unwrap();
    let mut app = app;
    let text = app
        .editor_text()
        .lines()
        .map(|l| {
            if l.trim_start().starts_with("\"time\"") {
                format!("    \"time\": \"{ahead}\",")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    app.set_editor_text(&text);
    let app = drive(app, &mut term, vec![key(F5)]).await;
    assert!(app.history()[0].succeeded(), "{}", app.status().text);
    let app = drive(app, &mut term, vec![ctrl('n'), key(KeyCode::Enter)]).await;
    let events: Vec<serde_json::Value> = serde_json::from_str(&app.editor_text()).unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(
        events[1]["time"],
        ahead.to_string(),
        "{}",
        app.editor_text()
    );
    assert!(
        app.status().text.contains("at the user's clock"),
        "{}",
        app.status().text
    );
}

/// The events' times, in order.
fn times(text: &str) -> Vec<jiff::Timestamp> {
    let events: Vec<serde_json::Value> = serde_json::from_str(text).unwrap();
    events
        .iter()
        .map(|e| e["time"].as_str().unwrap().parse().unwrap())
        .collect()
}

fn view_ids(text: &str) -> Vec<String> {
    let events: Vec<serde_json::Value> = serde_json::from_str(text).unwrap();
    events
        .iter()
        .map(|e| e["view_id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn ctrl_t_moves_every_time_by_a_typed_step_and_then_by_the_same_step_again() {
    let emu = emulator().await;
    let mut term = wide_terminal();
    let mut app = app_for(&emu.base_url());
    app.set_editor_text(&football_pageviews(3, 1));
    let before = app.editor_text();
    // Ctrl+T, type 45m over the offered +30m, Enter.
    let mut keys = vec![ctrl('t')];
    keys.extend(typed("45m"));
    let app = drive(app, &mut term, keys).await;
    assert!(
        screen(&term).contains("Move every time by 45m"),
        "{}",
        screen(&term)
    );
    let app = drive(app, &mut term, vec![key(KeyCode::Enter)]).await;
    let after = app.editor_text();
    let moved: Vec<i64> = times(&before)
        .iter()
        .zip(times(&after))
        .map(|(a, b)| b.as_second() - a.as_second())
        .collect();
    assert_eq!(moved, vec![2700, 2700, 2700], "{after}");
    let (old_ids, new_ids) = (view_ids(&before), view_ids(&after));
    assert!(
        old_ids.iter().all(|id| !new_ids.contains(id)),
        "fresh view_ids: {new_ids:?}"
    );
    assert_eq!(
        new_ids
            .iter()
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        3
    );
    assert!(app.status().text.starts_with("Moved 3 events by +45m"));
    assert!(app.editor_check().is_valid());
    // "The same again" is Ctrl+T, Enter: the last step is offered.
    let app = drive(app, &mut term, vec![ctrl('t'), key(KeyCode::Enter)]).await;
    assert_eq!(
        times(&app.editor_text())[0].as_second() - times(&before)[0].as_second(),
        5400
    );
    // A step that is not one says so and moves nothing.
    let kept = app.editor_text();
    let mut keys = vec![ctrl('t')];
    keys.extend(typed("soon"));
    keys.push(key(KeyCode::Enter));
    let app = drive(app, &mut term, keys).await;
    assert_eq!(app.editor_text(), kept);
    assert!(
        app.status().text.starts_with("Not moved:"),
        "{}",
        app.status().text
    );
}

#[tokio::test]
async fn sending_the_same_events_again_says_so_first_and_a_second_f5_sends() {
    let emu = emulator().await;
    let mut term = wide_terminal();
    let mut app = app_for(&emu.base_url());
    app.set_editor_text(&football_pageviews(2, 1));
    let app = drive(app, &mut term, vec![key(F5)]).await;
    assert_eq!(app.history().len(), 1);
    let app = drive(app, &mut term, vec![key(F5)]).await;
    assert_eq!(app.history().len(), 1, "the first F5 only warns");
    assert!(
        app.status()
            .text
            .contains("Same events as call 1: they count again"),
        "{}",
        app.status().text
    );
    let app = drive(app, &mut term, vec![key(F5)]).await;
    assert_eq!(app.history().len(), 2, "the second F5 sends");
    assert!(app.history()[1].succeeded());
    // Moved in time, they are new events: F5 sends at once.
    let app = drive(
        app,
        &mut term,
        vec![ctrl('t'), key(KeyCode::Enter), key(F5)],
    )
    .await;
    assert_eq!(app.history().len(), 3, "{}", app.status().text);
}

#[tokio::test]
async fn schemas_from_a_directory_check_the_editor_where_the_target_describes_nothing() {
    let emu = emulator().await;
    let mut term = wide_terminal();
    // `--schemas DIR` (a workspace with schemas/, or the schemas/ directory itself).
    let workspace = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/workspace");
    let schemas = segscope::emulator::workspace::read_schema_dir(&workspace).unwrap();
    assert_eq!(
        segscope::emulator::workspace::read_schema_dir(&workspace.join("schemas")).unwrap(),
        schemas
    );
    assert!(schemas.contains_key("Pageview"));
    let mut options = options();
    options.emulator_endpoints = false;
    options.event_schemas = schemas;
    let mut app = app_with(&emu.base_url(), options);
    app.set_editor_text(&pageview_with_two_violations(&now()));
    let app = drive(app, &mut term, vec![ctrl('e'), ch(' ')]).await;
    assert_eq!(marked_lines(&term), vec![8, 11], "{}", screen(&term));
    assert!(app.history().is_empty());
}

/// The editor's bottom border: the row of the screen just under its text.
fn editor_bottom_border(term: &Terminal<TestBackend>) -> String {
    let area = term.backend().buffer().area;
    let editor = segscope::console::view::layout::Panes::new(area)
        .expect("big enough")
        .editor;
    screen(term)
        .lines()
        .nth(usize::from(editor.bottom() - 1))
        .unwrap_or_default()
        .chars()
        .skip(usize::from(editor.x))
        .take(usize::from(editor.width))
        .collect()
}

#[tokio::test]
async fn ctrl_ts_prompt_fits_the_editors_border_at_80x24_in_whole_words() {
    let emu = emulator().await;
    let mut app = app_for(&emu.base_url());
    app.set_editor_text(&football_pageviews(2, 1));
    let mut wide = wide_terminal();
    let app = drive(app, &mut wide, vec![ctrl('t')]).await;
    let words = |row: &str| -> Vec<String> {
        row.split(|c: char| c.is_whitespace() || ('\u{2500}'..='\u{259F}').contains(&c))
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect()
    };
    let full = words(&editor_bottom_border(&wide));
    assert!(full.contains(&"+30m".to_string()), "{full:?}");
    // The status line says the same at 80 columns (its marker takes 3), uncut.
    let status = app.status().text.clone();
    assert!(status.contains("Enter shifts, Esc cancels"), "{status}");
    assert!(
        status.chars().count() <= 77,
        "{status:?} is cut at 80 columns"
    );
    let mut small = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let _app = drive(app, &mut small, vec![]).await;
    let border = editor_bottom_border(&small);
    // The step typed, the key that shifts and the key that cancels, each whole, and the
    // border's corner after them.
    for needed in ["+30m", "Enter", "Esc"] {
        assert!(
            words(&border).contains(&needed.to_string()),
            "{needed} missing from {border:?}"
        );
    }
    for word in words(&border) {
        assert!(full.contains(&word), "{word:?} is cut in {border:?}");
    }
    assert!(border.ends_with('┛') || border.ends_with('┘'), "{border:?}");
}
