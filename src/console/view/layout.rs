//! Where each pane goes: one function, used by drawing and by mouse/page handling alike.

use ratatui::layout::{Constraint, Layout, Position, Rect};

use crate::console::model::Focus;

/// The smallest terminal the layout fits in.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Panes {
    pub header: Rect,
    pub identity: Rect,
    pub editor: Rect,
    pub history: Rect,
    pub cohorts: Rect,
    pub detail: Rect,
    pub status: Rect,
    pub footer: Rect,
}

impl Panes {
    /// The layout of `area`, or `None` when it is too small.
    pub fn new(area: Rect) -> Option<Panes> {
        if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
            return None;
        }
        let [header, identity, body, status, footer] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Min(10),
            Constraint::Length(1),
            Constraint::Length(1),
        ])
        .areas(area);
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
                .areas(body);
        let [editor, history] =
            Layout::vertical([Constraint::Percentage(62), Constraint::Min(5)]).areas(left);
        let [cohorts, detail] =
            Layout::vertical([Constraint::Percentage(36), Constraint::Min(6)]).areas(right);
        Some(Panes {
            header,
            identity,
            editor,
            history,
            cohorts,
            detail,
            status,
            footer,
        })
    }

    pub fn rect(&self, focus: Focus) -> Rect {
        match focus {
            Focus::Editor => self.editor,
            Focus::History => self.history,
            Focus::Cohorts => self.cohorts,
            Focus::Detail => self.detail,
        }
    }

    /// The pane under a terminal cell.
    pub fn pane_at(&self, column: u16, row: u16) -> Option<Focus> {
        let p = Position::new(column, row);
        [Focus::Editor, Focus::History, Focus::Cohorts, Focus::Detail]
            .into_iter()
            .find(|f| self.rect(*f).contains(p))
    }

    /// Rows inside a pane's border.
    pub fn inner_height(&self, focus: Focus) -> usize {
        usize::from(self.rect(focus).height.saturating_sub(2))
    }
}
