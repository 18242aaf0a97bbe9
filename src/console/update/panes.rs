//! Moving around the panes: focus, selection, scrolling, the mouse.

use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::Rect;
use ratatui_textarea::Scrolling;

use crate::console::history::{HistoryRow, cohort_entries, history_window};
use crate::console::model::{DetailView, DiffMode, Focus, Model};
use crate::console::view::layout::Panes;

pub(super) fn set_focus(app: &mut Model, focus: Focus) {
    app.focus = focus;
    app.editor.set_focused(focus == Focus::Editor);
}

pub(super) fn panes(app: &Model) -> Option<Panes> {
    Panes::new(Rect::new(0, 0, app.size.0, app.size.1))
}

pub(super) fn page(app: &Model, focus: Focus) -> usize {
    panes(app).map_or(10, |p| p.inner_height(focus)).max(1)
}

pub(super) fn step(current: usize, delta: isize, len: usize) -> usize {
    if len == 0 {
        return 0;
    }
    current.saturating_add_signed(delta).min(len - 1)
}

/// Moves the selection or scroll position of a pane.
pub(super) fn move_in_pane(app: &mut Model, focus: Focus, delta: isize) {
    match focus {
        Focus::History => {
            let len = app.history.len();
            if len > 0 {
                let current = app.selected.unwrap_or(len - 1);
                let next = step(current, delta, len);
                if Some(next) != app.selected {
                    app.selected = Some(next);
                    app.detail_scroll = 0;
                    app.cohort_cursor = 0;
                }
            }
        }
        Focus::Cohorts => {
            let len = cohort_entries(app).len();
            app.cohort_cursor = step(app.cohort_cursor, delta, len);
        }
        Focus::Detail => {
            let len = detail_len(app);
            let visible = page(app, Focus::Detail);
            let max = len.saturating_sub(visible);
            app.detail_scroll = app.detail_scroll.saturating_add_signed(delta).min(max);
        }
        Focus::Editor => {
            let rows = i16::try_from(delta.clamp(-1000, 1000)).unwrap_or(0);
            app.editor.area.scroll(Scrolling::Delta { rows, cols: 0 });
        }
    }
}

/// Lines in the right-hand pane for the selected call.
pub(crate) fn detail_len(app: &Model) -> usize {
    let Some(size) = app.selected_call().and_then(|c| app.rendered.get(&c.id)) else {
        return 0;
    };
    match (app.detail_view, app.diff_mode) {
        (DetailView::Diff, DiffMode::Full) => size.diff_full,
        (DetailView::Diff, DiffMode::Changes) => size.diff_changes,
        (DetailView::Request, _) => size.request,
        (DetailView::Response, _) => size.response,
    }
}

pub(super) fn on_mouse(app: &mut Model, mouse: MouseEvent) {
    if app.popup.is_some() {
        return;
    }
    let Some(panes) = panes(app) else {
        return;
    };
    let Some(pane) = panes.pane_at(mouse.column, mouse.row) else {
        return;
    };
    match mouse.kind {
        MouseEventKind::Down(MouseButton::Left) => {
            set_focus(app, pane);
            let rect = panes.rect(pane);
            // Rows inside the border (the History's first is its header).
            let row = usize::from(mouse.row.saturating_sub(rect.y + 1));
            let inner_height = panes.inner_height(pane);
            match pane {
                Focus::History => click_history(app, row, inner_height),
                Focus::Cohorts => click_cohort(app, row, inner_height),
                _ => {}
            }
        }
        MouseEventKind::ScrollUp => move_in_pane(app, pane, -wheel_step(pane)),
        MouseEventKind::ScrollDown => move_in_pane(app, pane, wheel_step(pane)),
        _ => {}
    }
}

/// What a notch of the wheel moves: one row in a list (History, Cohorts: as the arrow keys
/// do), three lines of text (editor, detail).
fn wheel_step(pane: Focus) -> isize {
    match pane {
        Focus::History | Focus::Cohorts => 1,
        Focus::Editor | Focus::Detail => 3,
    }
}

/// A click on the History's `row` (0: its header) selects the call drawn there, as the pane
/// draws its window (a separator row selects nothing).
fn click_history(app: &mut Model, row: usize, inner_height: usize) {
    let Some(row) = row.checked_sub(1) else {
        return;
    };
    let visible = inner_height.saturating_sub(1).max(1);
    let window = history_window(&app.history, app.selected, visible);
    if let Some(HistoryRow::Call(index)) = window.get(row).copied()
        && app.selected != Some(index)
    {
        app.selected = Some(index);
        app.detail_scroll = 0;
        app.cohort_cursor = 0;
    }
}

/// A click on the Cohorts pane's `row` selects the cohort drawn there (the list keeps its
/// cursor in view, scrolled no further than needed).
fn click_cohort(app: &mut Model, row: usize, inner_height: usize) {
    let len = cohort_entries(app).len();
    let offset = app
        .cohort_cursor
        .saturating_sub(inner_height.saturating_sub(1));
    let index = offset + row;
    if index < len {
        app.cohort_cursor = index;
    }
}
