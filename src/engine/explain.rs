//! Explanations: the decision tree of every cohort for one request, for `/_segscope/explain`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::compare::number_value;
use super::condition::Condition;
use super::evaluate::{Evaluation, Keys, StateOrigin, Step, clause_holds};
use super::load::CompiledCohort;
use super::query::{Clause, ClauseKind, Leaf, Source};
use super::window::Window;
use super::{CohortInfo, Event};

/// Everything the engine decided for one request, and why (`/_segscope/explain`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Explanation {
    /// The user's clock after the request (RFC 3339): their latest event time, if any, or the
    /// machine's clock with `clock: "wall"`.
    pub now: Option<String>,
    /// Which clock windows were measured against: `event` or `wall`.
    #[serde(default)]
    pub clock: super::Clock,
    /// Things to know about this request's clock, e.g. an event far ahead of the others.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// One per workspace cohort, in workspace order.
    pub cohorts: Vec<CohortExplanation>,
    /// Event by event, the cohorts entered and left (events that changed nothing are left out).
    #[serde(default)]
    pub timeline: Vec<TimelineStep>,
}

/// The membership changes that one event of the request caused.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TimelineStep {
    /// The event's index in the request's `events` (`None`: a request without events, evaluated
    /// once at the user's clock).
    pub event: Option<usize>,
    /// The user's clock after that event (RFC 3339).
    pub now: Option<String>,
    /// Cohort codes entered / left after that event, in evaluation order.
    #[serde(default)]
    pub entered: Vec<String>,
    #[serde(default)]
    pub exited: Vec<String>,
}

/// One membership change of one cohort inside the request.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Transition {
    /// The event after which it happened (index in the request's `events`).
    pub event: Option<usize>,
    /// RFC 3339: the user's clock then.
    pub now: Option<String>,
    /// `true`: entered; `false`: left.
    pub entered: bool,
}

/// Why one cohort did or did not match.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CohortExplanation {
    pub code: String,
    pub name: String,
    /// The key of this cohort's state (`internal_state[code][checksum]`).
    pub checksum: String,
    /// The user's clock for this request (RFC 3339): their latest event time, if any.
    pub now: Option<String>,
    /// Membership after this request.
    pub member: bool,
    /// Membership before (from the incoming `state.cohorts`).
    pub was_member: bool,
    /// Membership after the request differs from before it.
    pub changed: bool,
    /// Every entry and exit inside the request, event by event.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub transitions: Vec<Transition>,
    /// The cohort was both entered and left inside the request (invisible in `changed`).
    #[serde(default)]
    pub entered_and_left: bool,
    /// `new`, `restored`, `discarded` (malformed incoming state) or `disabled` (the cohort is
    /// disabled: not evaluated, its state passed through).
    pub state: String,
    pub tree: ExplanationNode,
}

/// One clause of a cohort's query.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ExplanationNode {
    /// The clause: `and`, `or`, `not`, `event`, `engaged_time`, `engaged_completion`,
    /// `engaged_views`, `has_entered`, `has_exited`, `in_segment`, `in_second_party_segment`,
    /// `in_third_party_segment`.
    pub kind: String,
    /// JSON path of the clause in the cohort (`query.and[1]`).
    pub path: String,
    pub result: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<ExplanationNode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// What `value` is: `count`, `sum of properties.engaged_time`, `max of properties.completion`,
    /// `transitions`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measure: Option<String>,
    /// The computed count / sum / max (`null`: a maximum over nothing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
    /// A number, or `[low, high]` for `between`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<WindowExplanation>,
    /// The clause's `where`, as written.
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "where")]
    pub filter: Option<Value>,
    /// The cohort code (`in_segment`, `has_entered`, `has_exited`) or provider segment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The near misses: events of this request that match the clause (its event and `where`)
    /// but fall outside its window, so they do not count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outside: Option<OutsideWindow>,
}

/// Events of the request that match a clause but fall outside its window (issue 13).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct OutsideWindow {
    /// How many there are.
    pub count: usize,
    /// The one closest to the window (RFC 3339): the latest of those too early, or the earliest
    /// of those too late.
    pub closest: String,
    /// `early` (before the window's start) or `late` (after its end), for the closest one.
    pub side: String,
    /// How far the closest one would have to move to count, in milliseconds.
    pub by_ms: i64,
}

/// The time range a clause counted over.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct WindowExplanation {
    /// `all_time`, `the_last`, `after`, `before` or `between`.
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// RFC 3339; `the_last` and `after` exclude their start, everything else is inclusive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
    pub start_inclusive: bool,
    pub end_inclusive: bool,
}

pub(crate) fn explain(
    cohorts: &[CohortInfo],
    compiled: &[CompiledCohort],
    evaluation: &Evaluation,
    external: &Keys<'_>,
    events: &[Event],
    filters: &[Condition],
) -> Explanation {
    let members: Vec<bool> = evaluation.outcomes.iter().map(|o| o.member).collect();
    let codes = |indices: &[usize]| -> Vec<String> {
        indices.iter().map(|&i| cohorts[i].code.clone()).collect()
    };
    let timeline = evaluation
        .timeline
        .iter()
        .map(|step: &Step| TimelineStep {
            event: step.event,
            now: step.now.and_then(rfc3339),
            entered: codes(&step.entered),
            exited: codes(&step.exited),
        })
        .collect();
    let transitions_of = |i: usize| -> Vec<Transition> {
        let mut out = Vec::new();
        for step in &evaluation.timeline {
            for (list, entered) in [(&step.entered, true), (&step.exited, false)] {
                if list.contains(&i) {
                    out.push(Transition {
                        event: step.event,
                        now: step.now.and_then(rfc3339),
                        entered,
                    });
                }
            }
        }
        out
    };
    let explained = cohorts
        .iter()
        .zip(compiled)
        .zip(&evaluation.outcomes)
        .enumerate()
        .map(|(i, ((info, cohort), outcome))| {
            let transitions = transitions_of(i);
            let explainer = Explainer {
                leaves: &cohort.query.leaves,
                values: &outcome.values,
                members: &members,
                external,
                now: evaluation.now,
                events,
                filters,
            };
            CohortExplanation {
                code: info.code.clone(),
                name: info.name.clone(),
                checksum: cohort.checksum.clone(),
                now: evaluation.now.and_then(rfc3339),
                member: outcome.member,
                was_member: outcome.was_member,
                changed: outcome.member != outcome.was_member,
                entered_and_left: transitions.iter().any(|t| t.entered)
                    && transitions.iter().any(|t| !t.entered),
                transitions,
                state: match outcome.origin {
                    StateOrigin::New => "new",
                    StateOrigin::Restored => "restored",
                    StateOrigin::Discarded => "discarded",
                    StateOrigin::Disabled => "disabled",
                }
                .to_string(),
                tree: explainer.node(&cohort.query.root),
            }
        })
        .collect();
    let notes = evaluation
        .far_ahead
        .iter()
        .map(|&(event, time, before)| {
            format!(
                "events[{event}] at {} is more than a day after the user's clock {}: with event time it becomes \"now\" for every window of this user (--clock wall measures windows against the machine's clock)",
                rfc3339(time).unwrap_or_default(),
                rfc3339(before).unwrap_or_default()
            )
        })
        .collect();
    Explanation {
        now: evaluation.now.and_then(rfc3339),
        clock: if evaluation.wall {
            super::Clock::Wall
        } else {
            super::Clock::Event
        },
        notes,
        cohorts: explained,
        timeline,
    }
}

struct Explainer<'a> {
    leaves: &'a [Leaf],
    values: &'a [Option<f64>],
    members: &'a [bool],
    external: &'a Keys<'a>,
    now: Option<i64>,
    events: &'a [Event],
    filters: &'a [Condition],
}

impl Explainer<'_> {
    fn node(&self, clause: &Clause) -> ExplanationNode {
        let mut node = ExplanationNode {
            kind: String::new(),
            path: clause.path.clone(),
            result: clause_holds(clause, self.values, self.members, self.external),
            children: Vec::new(),
            event: None,
            measure: None,
            value: None,
            operator: None,
            threshold: None,
            window: None,
            filter: None,
            segment: None,
            provider: None,
            note: None,
            outside: None,
        };
        match &clause.kind {
            ClauseKind::And(items) | ClauseKind::Or(items) => {
                node.kind = if matches!(clause.kind, ClauseKind::And(_)) {
                    "and"
                } else {
                    "or"
                }
                .into();
                node.children = items.iter().map(|c| self.node(c)).collect();
            }
            ClauseKind::Not(inner) => {
                node.kind = "not".into();
                node.children = vec![self.node(inner)];
            }
            ClauseKind::Measure { leaf, comparison } => {
                self.leaf_fields(&mut node, *leaf);
                node.operator = Some(comparison.operator().into());
                node.threshold = Some(comparison.threshold());
                if self.values[*leaf].is_none() {
                    node.note = Some("no value inside the window: the comparison is false".into());
                }
            }
            ClauseKind::Transition { leaf } => {
                self.leaf_fields(&mut node, *leaf);
                node.operator = Some("greater_than_or_equal_to".into());
                node.threshold = Some(Value::from(1));
            }
            ClauseKind::InSegment { code, .. } => {
                node.kind = "in_segment".into();
                node.segment = Some(code.clone());
            }
            ClauseKind::External {
                party,
                provider,
                segment,
                key,
            } => {
                node.kind = party.clause_name().into();
                node.provider = Some(provider.clone());
                node.segment = Some(segment.clone());
                let presence = if node.result { "present" } else { "absent" };
                node.note = Some(format!("external_state key \"{key}\" is {presence}"));
            }
        }
        node
    }

    fn leaf_fields(&self, node: &mut ExplanationNode, leaf_index: usize) {
        let leaf = &self.leaves[leaf_index];
        node.value = Some(self.values[leaf_index].map_or(Value::Null, number_value));
        node.window = Some(self.window(leaf.window));
        match &leaf.source {
            Source::Events {
                clause,
                event,
                filter_id,
                filter_json,
                measure,
                ..
            } => {
                node.kind = (*clause).into();
                node.event = Some(event.clone());
                node.measure = Some(measure.describe().into());
                node.filter = filter_json.clone();
                let matching = self.events.iter().filter(|e| {
                    e.name == *event
                        && filter_id.is_none_or(|f| self.filters[f].holds(e.properties.root()))
                        && measure.contribution(e).is_some()
                });
                node.outside = outside_window(leaf.window, self.now, matching);
            }
            Source::Transition { entered, code, .. } => {
                node.kind = if *entered {
                    "has_entered"
                } else {
                    "has_exited"
                }
                .into();
                node.measure = Some("transitions".into());
                node.segment = Some(code.clone());
            }
        }
    }

    fn window(&self, window: Window) -> WindowExplanation {
        let mut explanation = WindowExplanation {
            kind: String::new(),
            value: None,
            unit: None,
            start: None,
            end: None,
            start_inclusive: true,
            end_inclusive: true,
        };
        match window {
            Window::AllTime => explanation.kind = "all_time".into(),
            Window::ThisSession => explanation.kind = "this_session".into(),
            Window::Last {
                span_ms,
                value,
                unit,
            } => {
                explanation.kind = "the_last".into();
                explanation.value = Some(number_value(value));
                explanation.unit = Some(unit.name().into());
                explanation.start = self
                    .now
                    .and_then(|now| rfc3339(now.saturating_sub(span_ms)));
                explanation.end = self.now.and_then(rfc3339);
                explanation.start_inclusive = false;
            }
            Window::After(start) => {
                explanation.kind = "after".into();
                explanation.start = rfc3339(start);
                explanation.start_inclusive = false;
            }
            Window::Before(end) => {
                explanation.kind = "before".into();
                explanation.end = rfc3339(end);
                explanation.end_inclusive = false;
            }
            Window::Between(start, end) => {
                explanation.kind = "between".into();
                explanation.start = rfc3339(start);
                explanation.end = rfc3339(end);
            }
        }
        explanation
    }
}

/// The events (already matching a clause) that its window leaves out at the clock `now`, and
/// how near the closest one came. `None` when every one counts, or the window has no edges
/// (all time, this session).
fn outside_window<'e>(
    window: Window,
    now: Option<i64>,
    matching: impl Iterator<Item = &'e Event>,
) -> Option<OutsideWindow> {
    // The window's edges: (instant, whether the instant itself is inside).
    let (start, end) = match window {
        Window::AllTime | Window::ThisSession => return None,
        Window::Last { span_ms, .. } => {
            let now = now?;
            (
                Some((now.saturating_sub(span_ms), false)),
                Some((now, true)),
            )
        }
        Window::After(start) => (Some((start, false)), None),
        Window::Before(end) => (None, Some((end, false))),
        Window::Between(start, end) => (Some((start, true)), Some((end, true))),
    };
    let mut count = 0;
    let mut closest: Option<(i64, i64, &str)> = None;
    for event in matching {
        let time = event.time.as_millisecond();
        if window.admits(time, now) {
            continue;
        }
        // How far it would have to move to be inside.
        let miss = match (start, end) {
            (Some((s, inclusive)), _) if time < s || (time == s && !inclusive) => {
                Some((s - time + i64::from(!inclusive), "early"))
            }
            (_, Some((e, inclusive))) if time > e || (time == e && !inclusive) => {
                Some((time - e + i64::from(!inclusive), "late"))
            }
            _ => None,
        };
        let Some((by, side)) = miss else { continue };
        count += 1;
        if closest.is_none_or(|(best, ..)| by < best) {
            closest = Some((by, time, side));
        }
    }
    let (by_ms, time, side) = closest?;
    Some(OutsideWindow {
        count,
        closest: rfc3339(time)?,
        side: side.into(),
        by_ms,
    })
}

fn rfc3339(ms: i64) -> Option<String> {
    jiff::Timestamp::from_millisecond(ms)
        .ok()
        .map(|t| t.to_string())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::engine::{Event, ExplanationNode, SegmentInput, StateEntries, Workspace};

    fn pageview(time: &str, category: &str) -> Event {
        Event {
            name: "Pageview".into(),
            time: time.parse().unwrap(),
            properties: json!({"article": {"category": category}}).into(),
            view_id: None,
            session_id: None,
        }
    }

    fn tree(workspace: &Workspace, events: &[Event]) -> ExplanationNode {
        let explanation = workspace.explanation(SegmentInput {
            events,
            internal: StateEntries::NONE,
            external: StateEntries::NONE,
            cohorts: &[],
        });
        explanation.cohorts[0].tree.clone()
    }

    /// Issue 13: matching events that a window leaves out are the near misses the user wants
    /// to see ("2 matching events outside the window, latest 14:22, 35 minutes too early"):
    /// only those that match the clause's event and `where`, the closest one, and how far.
    #[test]
    fn near_misses_are_the_matching_events_outside_the_window() {
        let workspace = Workspace::from_cohorts_json(
            &json!([{"code": 1, "name": "Hour of football", "query": {"event": "Pageview",
                "where": {"property": "properties.article.category",
                    "condition": {"equal_to": "football"}},
                "frequency": {"greater_than_or_equal_to": 3},
                "during": {"the_last": {"value": 1, "unit": "hours"}}}}])
            .to_string(),
        )
        .unwrap();
        let events = [
            pageview("2026-03-02T14:00:00Z", "football"),
            pageview("2026-03-02T14:22:00Z", "football"),
            // Outside the window too, but not football: not a near miss.
            pageview("2026-03-02T14:30:00Z", "tennis"),
            pageview("2026-03-02T15:57:00Z", "football"),
        ];
        let node = tree(&workspace, &events);
        assert_eq!(node.value, Some(json!(1)));
        let outside = node.outside.expect("two near misses");
        assert_eq!(outside.count, 2);
        assert_eq!(outside.closest, "2026-03-02T14:22:00Z");
        assert_eq!(outside.side, "early");
        // The window is (14:57, 15:57]: 14:22 is 35 minutes (and the excluded instant) early.
        assert_eq!(outside.by_ms, 35 * 60_000 + 1);

        // All inside: nothing to say.
        let node = tree(&workspace, &events[3..]);
        assert_eq!(node.outside, None);
    }

    #[test]
    fn events_after_a_before_window_are_too_late() {
        let workspace = Workspace::from_cohorts_json(
            &json!([{"code": 1, "name": "Early readers", "query": {"event": "Pageview",
                "frequency": {"greater_than_or_equal_to": 1},
                "during": {"before": "2026-03-02T12:00:00Z"}}}])
            .to_string(),
        )
        .unwrap();
        let events = [
            pageview("2026-03-02T13:00:00Z", "x"),
            pageview("2026-03-02T12:10:00Z", "x"),
        ];
        let outside = tree(&workspace, &events).outside.expect("near misses");
        assert_eq!(
            (
                outside.count,
                outside.closest.as_str(),
                outside.side.as_str()
            ),
            (2, "2026-03-02T12:10:00Z", "late")
        );
        assert_eq!(outside.by_ms, 10 * 60_000 + 1);
    }
}
