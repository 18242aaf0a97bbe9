//! Moving around the panes: focus, selection, scrolling, the mouse.

use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::Rect;
use ratatui_textarea::Scrolling;

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
            let len = app
                .selected_call()
                .map_or(0, |c| c.delta.members.len() + c.delta.left.len());
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
        MouseEventKind::Down(MouseButton::Left) => set_focus(app, pane),
        MouseEventKind::ScrollUp => move_in_pane(app, pane, -3),
        MouseEventKind::ScrollDown => move_in_pane(app, pane, 3),
        _ => {}
    }
}
