//! What the detail pane draws of a call — its state diff, its request and its response — rendered
//! once, off the UI task (a big state's diff takes a while), and kept on the view side
//! (`view::Cache`), never in the model: the model knows only which calls have one and how long
//! its views are (`DetailSize`), to scroll through them.

use ratatui::text::{Line, Span};
use serde_json::Value;

use super::call::Call;
use super::diff::{StateDiff, state_diff};
use super::theme::Theme;
use crate::api::wire::STATELESS_PATH;
use crate::api::{CallOutcome, OpaqueState, TransportKind};

/// How to render a call's detail.
#[derive(Debug, Clone, Copy, Default)]
pub struct RenderOptions {
    pub theme: Theme,
    /// How times and latencies are shown (a fixed clock hides them: deterministic screens).
    pub clock: crate::console::env::Clock,
}

/// What the right-hand pane shows for a call, rendered once.
#[derive(Debug, Clone, Default)]
pub struct CallDetail {
    pub diff: StateDiff,
    pub request: Vec<Line<'static>>,
    pub response: Vec<Line<'static>>,
}

/// How long each view of a rendered detail is: what the update step needs to scroll it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DetailSize {
    /// Lines of the diff's changes (`f` off) and of the whole after-state (`f` on).
    pub diff_changes: usize,
    pub diff_full: usize,
    pub request: usize,
    pub response: usize,
}

/// A detail the executor rendered, on its way to the view's cache. The cache takes the lines
/// out of the message ([`crate::console::view::Cache::received`]) before the update step sees
/// it; the update step keeps the size.
#[derive(Debug, Default)]
pub struct Rendered {
    pub size: DetailSize,
    pub lines: Option<Box<CallDetail>>,
}

impl Rendered {
    pub fn new(detail: CallDetail) -> Rendered {
        Rendered {
            size: detail.size(),
            lines: Some(Box::new(detail)),
        }
    }
}

impl CallDetail {
    /// Renders the diff, request and response of a call. Can be slow for big states: run it
    /// off the UI task.
    pub fn of(call: &Call, options: RenderOptions) -> CallDetail {
        let diff = match &call.state_after {
            Some(after) => state_diff(
                call.state_before().map(OpaqueState::as_str),
                Some(after.as_str()),
            ),
            None => StateDiff::default(),
        };
        CallDetail {
            diff,
            request: request_lines(&call.request_body(), call.sync_validation, options),
            response: response_lines(&call.outcome, options),
        }
    }

    pub fn size(&self) -> DetailSize {
        DetailSize {
            diff_changes: self.diff.len(false),
            diff_full: self.diff.len(true),
            request: self.request.len(),
            response: self.response.len(),
        }
    }
}

/// Pretty JSON of a body when it is JSON (key order kept), else the text as it is.
fn body_lines(body: &str, style: ratatui::style::Style) -> Vec<Line<'static>> {
    let text = match serde_json::from_str::<Value>(body) {
        Ok(value) => serde_json::to_string_pretty(&value).unwrap_or_else(|_| body.to_string()),
        Err(_) => body.to_string(),
    };
    text.lines()
        .map(|l| Line::from(Span::styled(l.to_string(), style)))
        .collect()
}

fn field(name: &str, value: impl Into<String>, options: RenderOptions) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{name:<11}"), options.theme.title()),
        Span::raw(value.into()),
    ])
}

fn request_lines(body: &str, sync: bool, options: RenderOptions) -> Vec<Line<'static>> {
    let mut out = vec![
        Line::from(Span::styled(
            format!("POST {STATELESS_PATH}?synchronous-validation={sync}"),
            options.theme.title(),
        )),
        Line::from(Span::styled(
            "Content-Type: application/json · X-Api-Key: (not shown)",
            options.theme.muted(),
        )),
        Line::default(),
    ];
    out.extend(body_lines(body, options.theme.plain()));
    out
}

fn response_lines(outcome: &CallOutcome, options: RenderOptions) -> Vec<Line<'static>> {
    let theme = options.theme;
    let latency = options.clock.latency_text(outcome.latency());
    let mut out = Vec::new();
    match outcome {
        CallOutcome::Success {
            status,
            response,
            raw_body,
            ..
        } => {
            out.push(Line::from(Span::styled(
                format!("{status} OK in {latency}"),
                theme.ok().add_modifier(ratatui::style::Modifier::BOLD),
            )));
            out.push(field("user_id", response.user_id.clone(), options));
            out.push(Line::default());
            out.extend(body_lines(raw_body, theme.plain()));
        }
        CallOutcome::ApiError {
            status,
            envelope: Some(env),
            raw_body,
            ..
        } => {
            out.push(Line::from(Span::styled(
                format!("{status} {} in {latency}", env.error.status),
                theme.error().add_modifier(ratatui::style::Modifier::BOLD),
            )));
            out.push(field("status", env.error.status_code.to_string(), options));
            out.push(field("code", env.error.code.to_string(), options));
            let mut message = env.error.message.lines();
            out.push(field(
                "message",
                message.next().unwrap_or_default(),
                options,
            ));
            for more in message {
                if !more.trim_start().starts_with("events[") {
                    out.push(field("", more, options));
                }
            }
            if let Some(cause) = &env.error.cause {
                out.push(field("cause", cause.clone(), options));
            }
            out.push(field("request_id", env.request_id.clone(), options));
            out.push(field("docs", env.error.docs.clone(), options));
            let violations = env.violations();
            if !violations.is_empty() {
                out.push(Line::default());
                out.push(Line::from(Span::styled(
                    format!("Violations ({}):", violations.len()),
                    theme.title(),
                )));
                for v in violations {
                    out.push(Line::from(vec![
                        Span::styled("  ✗ ", theme.error()),
                        Span::raw(v.to_string()),
                    ]));
                }
            }
            out.push(Line::default());
            out.push(Line::from(Span::styled("Body:", theme.muted())));
            out.extend(body_lines(raw_body, theme.muted()));
        }
        CallOutcome::ApiError {
            status, raw_body, ..
        } => {
            out.push(Line::from(Span::styled(
                format!("{status} in {latency}: the body is not Permutive's error envelope"),
                theme.error().add_modifier(ratatui::style::Modifier::BOLD),
            )));
            out.push(Line::default());
            out.push(Line::from(Span::styled("Body:", theme.muted())));
            if raw_body.is_empty() {
                out.push(Line::from(Span::styled("(empty)", theme.muted())));
            }
            out.extend(body_lines(raw_body, theme.plain()));
        }
        CallOutcome::Transport { kind, message, .. } => {
            let what = match kind {
                TransportKind::Timeout => "Timed out",
                TransportKind::Connect => "Could not connect",
                TransportKind::Body => "The connection broke",
                TransportKind::Other => "The request failed",
                TransportKind::Cancelled => "Cancelled",
            };
            out.push(Line::from(Span::styled(
                format!("{what}: no HTTP answer after {latency}"),
                theme.error().add_modifier(ratatui::style::Modifier::BOLD),
            )));
            out.push(Line::default());
            out.push(Line::from(message.clone()));
        }
    }
    out
}
