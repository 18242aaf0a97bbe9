//! One call of the history: what was sent, what came back, and what it did to the user's
//! cohorts and state. The display parts (diff, request and response text) are computed once,
//! off the UI task, when the answer arrives.

use std::sync::Arc;

use ratatui::text::{Line, Span};
use serde_json::Value;

use super::diff::{StateDiff, state_diff};
use super::theme::Theme;
use crate::api::wire::STATELESS_PATH;
use crate::api::{CallOutcome, Identity, OpaqueState, SegmentationRequest, TransportKind};
use crate::session::replay::{cohorts_of, entered_and_left};

/// A call about to be sent: everything but its outcome.
#[derive(Debug, Clone)]
pub struct PendingCall {
    pub id: u64,
    /// The editor's text as sent (the request's `events`).
    pub events_text: String,
    pub event_count: usize,
    pub sync_validation: bool,
    pub sent_at: jiff::Timestamp,
    /// What is sent: the identity, the events byte for byte, and the state as the API returned
    /// it (held here only: [`Call::identity`] and [`Call::state_before`] read it).
    pub request: SegmentationRequest,
}

/// Entered and left cohorts of a call, and the membership after it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CohortDelta {
    /// The user's cohorts after the call (before it, when the call failed).
    pub members: Vec<String>,
    pub entered: Vec<String>,
    pub left: Vec<String>,
}

impl CohortDelta {
    /// Entered and left as a replay reads them (`session::replay`): the same cohort order, the
    /// same reading of a state's `cohorts`, one version of the logic.
    pub fn between(before: Option<&OpaqueState>, after: Option<&OpaqueState>) -> CohortDelta {
        let old = cohorts_of(before);
        let members = cohorts_of(after);
        let (entered, left) = entered_and_left(&old, &members);
        CohortDelta {
            members,
            entered,
            left,
        }
    }

    /// `+1 -0`
    pub fn counts(&self) -> String {
        format!("+{} -{}", self.entered.len(), self.left.len())
    }
}

/// What the right-hand pane shows for a call, rendered once.
#[derive(Debug, Clone, Default)]
pub struct CallDetail {
    pub diff: StateDiff,
    pub request: Vec<Line<'static>>,
    pub response: Vec<Line<'static>>,
}

/// A finished call.
#[derive(Debug, Clone)]
pub struct Call {
    pub id: u64,
    pub events_text: String,
    pub event_count: usize,
    pub sync_validation: bool,
    pub outcome: CallOutcome,
    /// The state the call returned (only on success; a failed call changes nothing).
    pub state_after: Option<OpaqueState>,
    pub sent_at: jiff::Timestamp,
    /// The request as sent (its state shared with the history, not copied): the one copy of the
    /// call's identity and of the state it sent; [`Call::request_body`] writes the exact bytes
    /// again.
    pub request: SegmentationRequest,
    pub delta: CohortDelta,
    /// The rendered diff, request and response: kept only for the selected call and the most
    /// recent few (a long session would otherwise hold every pretty-printed state twice);
    /// rendered again, off the UI task, when an older call is selected.
    pub detail: Option<Arc<CallDetail>>,
}

/// What a call shows while its detail is being rendered.
static NO_DETAIL: std::sync::LazyLock<CallDetail> = std::sync::LazyLock::new(CallDetail::default);

/// How to render a call's detail.
#[derive(Debug, Clone, Copy, Default)]
pub struct RenderOptions {
    pub theme: Theme,
    /// How times and latencies are shown (a fixed clock hides them: deterministic screens).
    pub clock: crate::console::env::Clock,
}

impl Call {
    /// Completes a pending call with its outcome: the new state, the cohort delta, and the
    /// rendered diff, request and response. Can be slow for big states: run it off the UI task.
    pub fn finish(pending: PendingCall, outcome: CallOutcome, options: RenderOptions) -> Call {
        let mut call = Call::complete(pending, outcome);
        call.detail = Some(Arc::new(call.render_detail(options)));
        call
    }

    /// Who the call was for (the request's identity).
    pub fn identity(&self) -> &Identity {
        &self.request.identity
    }

    /// The state the call sent (the request's, byte for byte), if any.
    pub fn state_before(&self) -> Option<&OpaqueState> {
        self.request.state.as_ref()
    }

    /// The request body exactly as it was sent.
    pub fn request_body(&self) -> String {
        self.request.to_body()
    }

    /// The rendered detail, or an empty one while it is being rendered.
    pub fn detail(&self) -> &CallDetail {
        self.detail.as_deref().unwrap_or(&NO_DETAIL)
    }

    pub fn has_detail(&self) -> bool {
        self.detail.is_some()
    }

    /// Renders the diff, request and response. Can be slow for big states.
    pub fn render_detail(&self, options: RenderOptions) -> CallDetail {
        let diff = match &self.state_after {
            Some(after) => state_diff(
                self.state_before().map(OpaqueState::as_str),
                Some(after.as_str()),
            ),
            None => StateDiff::default(),
        };
        CallDetail {
            diff,
            request: request_lines(&self.request_body(), self.sync_validation, options),
            response: response_lines(&self.outcome, options),
        }
    }

    /// Completes a pending call with its outcome, without rendering its detail.
    pub fn complete(pending: PendingCall, outcome: CallOutcome) -> Call {
        let state_after = match &outcome {
            CallOutcome::Success { response, .. } => Some(response.state.clone()),
            _ => None,
        };
        let delta = match &state_after {
            Some(after) => CohortDelta::between(pending.request.state.as_ref(), Some(after)),
            None => {
                let mut unchanged = CohortDelta::between(None, pending.request.state.as_ref());
                unchanged.entered.clear();
                unchanged
            }
        };
        Call {
            id: pending.id,
            events_text: pending.events_text,
            event_count: pending.event_count,
            sync_validation: pending.sync_validation,
            outcome,
            state_after,
            sent_at: pending.sent_at,
            request: pending.request,
            delta,
            detail: None,
        }
    }

    pub fn succeeded(&self) -> bool {
        matches!(self.outcome, CallOutcome::Success { .. })
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

#[cfg(test)]
mod tests {
    use super::*;

    fn state(cohorts: &[&str]) -> OpaqueState {
        OpaqueState::from_json(&format!(
            r#"{{"internal_state":{{}},"external_state":{{}},"cohorts":{}}}"#,
            serde_json::to_string(cohorts).unwrap()
        ))
        .unwrap()
    }

    #[test]
    fn delta_between_states() {
        let d = CohortDelta::between(
            Some(&state(&["1002", "1001"])),
            Some(&state(&["1001", "1010", "1003"])),
        );
        assert_eq!(d.members, vec!["1001", "1003", "1010"]);
        assert_eq!(d.entered, vec!["1003", "1010"]);
        assert_eq!(d.left, vec!["1002"]);
        assert_eq!(d.counts(), "+2 -1");
        let first = CohortDelta::between(None, Some(&state(&["1001"])));
        assert_eq!(first.entered, vec!["1001"]);
    }

    /// The console's entered/left is a replay's: the same codes in the same order, repeats and
    /// codes that are not numbers included.
    #[test]
    fn delta_is_what_a_replay_records() {
        let before = state(&["b", "20", "3", "20"]);
        let after = state(&["a", "3", "100", "100", "b"]);
        let d = CohortDelta::between(Some(&before), Some(&after));
        assert_eq!(d.members, vec!["3", "100", "a", "b"]);
        assert_eq!(d.entered, vec!["100", "a"]);
        assert_eq!(d.left, vec!["20"]);
        let before_codes = crate::session::replay::cohorts_of(Some(&before));
        let (entered, left) = crate::session::replay::entered_and_left(
            &before_codes,
            &crate::session::replay::cohorts_of(Some(&after)),
        );
        assert_eq!((d.entered, d.left), (entered, left));
    }
}
