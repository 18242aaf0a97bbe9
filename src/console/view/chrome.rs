//! The frame around the panes: header, identity bar, status line, footer, and the too-small
//! notice.

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::frame::{ellipsised, text_width};
use super::layout::{MIN_HEIGHT, MIN_WIDTH};
use crate::api::Identity;
use crate::console::keymap;
use crate::console::model::{Model, StatusKind};

const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

pub fn header(app: &Model, frame: &mut Frame, area: Rect) {
    let theme = app.theme;
    let width = usize::from(area.width);
    let lead = vec![
        Span::styled(" segscope ", theme.active_tab()),
        Span::raw("  "),
        Span::styled("Target ", theme.muted()),
    ];
    let lead_width: usize = lead.iter().map(Span::width).sum();
    // What follows the target, most telling first: each goes, whole, when the line is full.
    let mut notes: Vec<Span> = Vec::new();
    if !app.options.emulator_endpoints && app.target.api_key.is_some() {
        notes.push(Span::styled(
            "  live API: events are real traffic",
            theme.warning(),
        ));
    }
    notes.extend(crate::console::timeline::header_note(app));
    let right = match (&app.workspace, &app.workspace_error) {
        (Some(w), _) => format!(
            "{} cohorts · {} event schemas ",
            w.cohort_names.len(),
            w.events.len()
        ),
        (None, Some(_)) => "no workspace description ".to_string(),
        (None, None) if !app.options.cohort_names.is_empty() => {
            format!("{} cohort names from file ", app.options.cohort_names.len())
        }
        (None, None) => String::new(),
    };
    let target = app.target_label();
    let target_width = text_width(&target);
    let notes_width = |notes: &[Span]| notes.iter().map(Span::width).sum::<usize>();
    // The right-hand note gives way first, then the notes after the target (last first); a
    // target that still does not fit ends in a visible `…`.
    let right = if lead_width + target_width + notes_width(&notes) + text_width(&right) + 2 > width
    {
        String::new()
    } else {
        right
    };
    while !notes.is_empty() && lead_width + target_width + notes_width(&notes) > width {
        notes.pop();
    }
    let target = ellipsised(
        &target,
        width.saturating_sub(lead_width + notes_width(&notes)),
    )
    .unwrap_or(target);
    let mut left = lead;
    left.push(Span::styled(target, theme.title()));
    left.extend(notes);
    let [l, r] = Layout::horizontal([
        Constraint::Min(10),
        Constraint::Length(right.chars().count() as u16),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(Line::from(left)), l);
    frame.render_widget(
        Paragraph::new(Span::styled(right, theme.muted())).alignment(Alignment::Right),
        r,
    );
}

fn size_text(bytes: usize) -> String {
    if bytes < 1024 {
        format!("{bytes} B")
    } else if bytes < 1024 * 1024 {
        format!("{:.1} kB", bytes as f64 / 1024.0)
    } else {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    }
}

pub fn identity(app: &Model, frame: &mut Frame, area: Rect) {
    let theme = app.theme;
    let (label, who) = match &app.identity {
        Identity::UserId(id) => ("User ", id.clone()),
        Identity::Alias(a) => ("Alias ", format!("{}:{}", a.tag, a.id)),
        other @ Identity::Aliases(_) => ("Aliases ", other.describe()),
    };
    let (sync_word, sync_style) = if app.sync_validation {
        (
            "ON",
            theme.ok().add_modifier(ratatui::style::Modifier::BOLD),
        )
    } else {
        (
            "OFF",
            theme.warning().add_modifier(ratatui::style::Modifier::BOLD),
        )
    };
    let state = match &app.state {
        None => "empty".to_string(),
        Some(s) => {
            let cohorts = app
                .history
                .iter()
                .rev()
                .find(|c| c.state_after.as_ref() == Some(s))
                .map(|c| c.delta.members.len());
            match cohorts {
                Some(1) => format!("1 cohort · {}", size_text(s.as_str().len())),
                Some(n) => format!("{n} cohorts · {}", size_text(s.as_str().len())),
                None => size_text(s.as_str().len()),
            }
        }
    };
    // The whole line where it fits; else shorter words, then a shortened user id: never a
    // word cut at the edge.
    let width = usize::from(area.width);
    let sync_label =
        if 1 + text_width(label) + text_width(&who) + 26 + sync_word.len() + 9 + text_width(&state)
            <= width
        {
            "   Synchronous validation "
        } else {
            "   Sync "
        };
    let fixed =
        1 + text_width(label) + text_width(sync_label) + sync_word.len() + 9 + text_width(&state);
    let who = if fixed + text_width(&who) <= width {
        who
    } else {
        ellipsised(&who, width.saturating_sub(fixed).max(9)).unwrap_or(who)
    };
    let line = Line::from(vec![
        Span::styled(format!(" {label}"), theme.muted()),
        Span::styled(who, theme.title()),
        Span::styled(sync_label, theme.muted()),
        Span::styled(sync_word, sync_style),
        Span::styled("   State ", theme.muted()),
        Span::raw(state),
    ]);
    frame.render_widget(Paragraph::new(line), area);
}

pub fn status(app: &Model, frame: &mut Frame, area: Rect) {
    let theme = app.theme;
    let (lead, text, style) = if let Some(flight) = &app.in_flight {
        let elapsed = match app.options.time.shown_elapsed(flight.started) {
            Some(elapsed) => format!(" {:.1} s", elapsed.as_secs_f32()),
            None => String::new(),
        };
        (
            Span::styled(
                format!(" {} ", SPINNER[app.spinner % SPINNER.len()]),
                theme.accent(),
            ),
            format!("{}{elapsed}", app.status.text),
            theme.plain(),
        )
    } else {
        let (mark, style) = match app.status.kind {
            StatusKind::Info => ("•", theme.plain()),
            StatusKind::Success => ("✓", theme.ok()),
            StatusKind::Warning => ("!", theme.warning()),
            StatusKind::Error => ("✗", theme.error()),
        };
        (
            Span::styled(format!(" {mark} "), style),
            app.status.text.clone(),
            style,
        )
    };
    let room = usize::from(area.width).saturating_sub(lead.width());
    let mut spans = vec![lead];
    // A message too long for the line ends in a visible `…` and names the key of the log, where
    // it is whole.
    let log_key = keymap::first_key(keymap::Action::Messages).unwrap_or_default();
    let more = format!("  {log_key} log");
    match ellipsised(&text, room) {
        None => spans.push(Span::styled(text, style)),
        Some(_) => {
            let cut = ellipsised(&text, room.saturating_sub(text_width(&more)))
                .unwrap_or_else(|| "…".into());
            spans.push(Span::styled(cut, style));
            if room > text_width(&more) + 8 {
                spans.push(Span::styled(format!("  {log_key}"), theme.key()));
                spans.push(Span::styled(" log", theme.muted()));
            }
        }
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The footer: what the focused pane's keys do, then the keys of every pane. Hints that do not
/// fit are left out whole (the pane's last ones first), never cut.
pub fn footer(app: &Model, frame: &mut Frame, area: Rect) {
    let theme = app.theme;
    let (mut pane, mut everywhere) = keymap::hints(app.focus);
    let mut first: Vec<(String, String)> = Vec::new();
    if app.in_flight.is_some() {
        first.push(("Esc".into(), "cancel".into()));
    }
    // The session's next step names both its keys (`F8 or Alt+R`) from 100 columns on, where
    // there is room; the second goes first, whole, when the line is full.
    let mut step_keys = None;
    if let Some(playback) = &app.playback {
        let what = if playback.is_done() {
            "replay again".to_string()
        } else {
            format!("step {}/{}", playback.next + 1, playback.total())
        };
        let short = keymap::first_key(keymap::Action::NextStep).unwrap_or_else(|| "F8".into());
        let both = keymap::keys_in_words(keymap::Action::NextStep);
        let keys = if area.width >= 100 {
            both
        } else {
            short.clone()
        };
        step_keys = Some((first.len(), short));
        first.push((keys, what));
    }
    let width = |items: &[(String, String)]| -> usize {
        1 + items
            .iter()
            .map(|(k, h)| text_width(k) + 1 + text_width(h))
            .sum::<usize>()
            + 3 * items.len().saturating_sub(1)
    };
    let all =
        |first: &[(String, String)], pane: &[(String, &str)], everywhere: &[(String, &str)]| {
            let mut items = first.to_vec();
            items.extend(pane.iter().map(|(k, h)| (k.clone(), h.to_string())));
            items.extend(everywhere.iter().map(|(k, h)| (k.clone(), h.to_string())));
            items
        };
    let fits = usize::from(area.width);
    while width(&all(&first, &pane, &everywhere)) > fits {
        if let Some((index, short)) = step_keys.take() {
            first[index].0 = short;
            continue;
        }
        if pane.pop().is_some() {
            continue;
        }
        if !everywhere.is_empty() {
            everywhere.remove(0);
            continue;
        }
        if first.pop().is_none() {
            break;
        }
    }
    let mut spans = vec![Span::raw(" ")];
    for (i, (keys, hint)) in all(&first, &pane, &everywhere).into_iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(" · ", theme.muted()));
        }
        // `F8 or Alt+R`: the keys stand out, the word between them does not.
        for (j, one) in keys.split(" or ").enumerate() {
            if j > 0 {
                spans.push(Span::styled(" or ", theme.muted()));
            }
            spans.push(Span::styled(one.to_string(), theme.key()));
        }
        spans.push(Span::styled(format!(" {hint}"), theme.muted()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

pub fn too_small(app: &Model, frame: &mut Frame, area: Rect) {
    let text = vec![
        Line::from(Span::styled(
            format!("terminal too small (need {MIN_WIDTH}×{MIN_HEIGHT})"),
            app.theme.error(),
        )),
        Line::from(format!(
            "now {}×{}: enlarge the window, or Ctrl+Q to quit",
            area.width, area.height
        )),
    ];
    let top = area.height.saturating_sub(2) / 2;
    let rect = Rect::new(area.x, area.y + top, area.width, area.height - top);
    frame.render_widget(
        Paragraph::new(text)
            .alignment(Alignment::Center)
            .wrap(Wrap { trim: true }),
        rect,
    );
}
