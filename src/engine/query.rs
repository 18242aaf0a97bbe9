//! Compiling a cohort's `query` JSON into a [`Clause`] tree plus the list of stateful
//! [`Leaf`] clauses (each owns one accumulator in the cohort's state, in query order).

use std::collections::HashMap;

use serde_json::Value;

use super::Event;
use super::accumulator::{Mode, SESSION_GAP_MS};
use super::checksum::fnv1a64;
use super::compare::Comparison;
use super::condition::{Condition, Scope};
use super::properties::Prop;
use super::syntax::{
    Parsed, QueryError, child, cohort_code, index, list, object, only_keys, required, single_entry,
    string,
};
use super::window::Window;

/// The event that engagement clauses read.
pub(crate) const ENGAGEMENT_EVENT: &str = "PageviewEngagement";

#[derive(Debug, Clone)]
pub(crate) struct Clause {
    /// JSON path of this node in the cohort (`query.and[1]`), for explanations.
    pub path: String,
    pub kind: ClauseKind,
}

#[derive(Debug, Clone)]
pub(crate) enum ClauseKind {
    And(Vec<Clause>),
    Or(Vec<Clause>),
    Not(Box<Clause>),
    /// An event or engagement clause: `leaf`'s value compared with `comparison`.
    Measure {
        leaf: usize,
        comparison: Comparison,
    },
    /// `has_entered` / `has_exited`: the leaf counts transitions inside its window.
    Transition {
        leaf: usize,
    },
    /// `in_segment`: current membership of another workspace cohort (by index).
    InSegment {
        cohort: usize,
        code: String,
    },
    /// `in_second_party_segment` / `in_third_party_segment`: an `external_state` key.
    External {
        party: Party,
        provider: String,
        segment: String,
        key: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Party {
    Second,
    Third,
}

impl Party {
    pub fn clause_name(self) -> &'static str {
        match self {
            Party::Second => "in_second_party_segment",
            Party::Third => "in_third_party_segment",
        }
    }

    /// The `external_state` key that puts a user in a provider's segment.
    pub fn external_key(self, provider: &str, segment: &str) -> String {
        let prefix = match self {
            Party::Second => "2p",
            Party::Third => "3p",
        };
        format!("{prefix}:{provider}:{segment}")
    }
}

/// A clause that accumulates state.
#[derive(Debug, Clone)]
pub(crate) struct Leaf {
    pub source: Source,
    pub window: Window,
    pub mode: Mode,
}

#[derive(Debug, Clone)]
pub(crate) enum Source {
    Events {
        /// The clause kind as written: `event`, `engaged_time`, `engaged_completion`, `engaged_views`.
        clause: &'static str,
        event: String,
        /// `event` in the workspace [`Catalog`].
        event_id: usize,
        /// The `where`, by its index in the workspace [`Catalog`].
        filter_id: Option<usize>,
        /// The `where` as written, for explanations.
        filter_json: Option<Value>,
        measure: Measure,
    },
    Transition {
        entered: bool,
        cohort: usize,
        code: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Measure {
    Count,
    /// Sum of a numeric property (`engaged_time`); non-numbers and negatives contribute nothing.
    Sum(&'static str),
    /// Maximum of a numeric property (`completion`); non-numbers are skipped.
    Max(&'static str),
    /// Distinct page views (by `view_id`) with some engaged time or completion.
    Views,
}

impl Measure {
    pub fn describe(self) -> &'static str {
        match self {
            Measure::Count => "count",
            Measure::Sum(_) => "sum of properties.engaged_time",
            Measure::Max(_) => "max of properties.completion on the current page view",
            Measure::Views => "distinct page views with engaged time or completion",
        }
    }

    /// What one matching event contributes, if anything.
    pub fn contribution(self, event: &Event) -> Option<f64> {
        let properties = event.properties.root();
        match self {
            Measure::Views => {
                let engaged = |key: &str| {
                    properties
                        .get(key)
                        .and_then(Prop::as_f64)
                        .is_some_and(|x| x > 0.0)
                };
                if !(engaged("engaged_time") || engaged("completion")) {
                    return None;
                }
                Some(view_key(event))
            }
            Measure::Count => Some(1.0),
            Measure::Sum(key) => properties
                .get(key)
                .and_then(Prop::as_f64)
                .filter(|x| x.is_finite() && *x > 0.0),
            Measure::Max(key) => properties
                .get(key)
                .and_then(Prop::as_f64)
                .filter(|x| x.is_finite()),
        }
    }
}

/// The key of an event's page view: a 40-bit hash of its `view_id` (exact as a JSON number).
/// Without one, the event is a page view of its own (an assumption), keyed by its time.
pub(crate) fn view_key(event: &Event) -> f64 {
    let id = match &event.view_id {
        Some(id) => format!("view:{id}"),
        None => format!("time:{}", event.time.as_millisecond()),
    };
    let hash = fnv1a64(id.as_bytes());
    ((hash ^ (hash >> 40)) & 0xff_ffff_ffff) as f64
}

/// The key of an event's session: a 40-bit hash of its `session_id`; without one, the current
/// session goes on unless the event comes `SESSION_GAP_MS` or more after the clock, when a new
/// session starts, keyed by the event's time.
pub(crate) fn session_key(event: &Event, previous: Option<i64>, current: Option<f64>) -> f64 {
    let time = event.time.as_millisecond();
    let id = match (&event.session_id, previous, current) {
        (Some(id), _, _) => format!("session:{id}"),
        (None, Some(previous), Some(current)) if time - previous < SESSION_GAP_MS => {
            return current;
        }
        (None, _, _) => format!("time:{time}"),
    };
    let hash = fnv1a64(id.as_bytes());
    ((hash ^ (hash >> 40)) & 0xff_ffff_ffff) as f64
}

/// Event names and `where` conditions shared by all the cohorts of a workspace, so that one
/// request matches each event name and tests each distinct condition on each event once,
/// however many cohorts use them.
#[derive(Debug, Clone, Default)]
pub(crate) struct Catalog {
    pub events: Vec<String>,
    pub filters: Vec<Condition>,
    /// By event id: the clauses that read that event, as (cohort index, leaf index).
    pub readers: Vec<Vec<(usize, usize)>>,
    /// The `this_session` clauses (cohort index, leaf index): every event may start a session.
    pub sessions: Vec<(usize, usize)>,
    /// Compact JSON of each filter, to find an identical one.
    filter_texts: HashMap<String, usize>,
}

impl Catalog {
    fn event_id(&mut self, name: &str) -> usize {
        match self.events.iter().position(|e| e == name) {
            Some(id) => id,
            None => {
                self.events.push(name.to_string());
                self.events.len() - 1
            }
        }
    }

    fn filter_id(&mut self, json: &Value, filter: Condition) -> usize {
        let next = self.filters.len();
        let id = *self.filter_texts.entry(json.to_string()).or_insert(next);
        if id == next {
            self.filters.push(filter);
        }
        id
    }
}

/// A compiled cohort query.
#[derive(Debug, Clone)]
pub(crate) struct CompiledQuery {
    pub root: Clause,
    pub leaves: Vec<Leaf>,
    pub modes: Vec<Mode>,
    /// Indices of the cohorts this one reads (`in_segment`, `has_entered`, `has_exited`).
    pub dependencies: Vec<usize>,
    /// Whether any clause is relative to the clock (so the clock must be remembered).
    pub uses_clock: bool,
}

/// Compiles `query`; `codes` maps every workspace cohort code to its index.
pub(crate) fn compile(
    query: &Value,
    codes: &HashMap<String, usize>,
    catalog: &mut Catalog,
) -> Parsed<CompiledQuery> {
    let mut compiler = Compiler {
        codes,
        catalog,
        leaves: Vec::new(),
        dependencies: Vec::new(),
    };
    let root = compiler.clause(query, "query")?;
    let modes: Vec<Mode> = compiler.leaves.iter().map(|l| l.mode).collect();
    // A session ends after a gap measured from the clock: it must be remembered too.
    let uses_clock = compiler
        .leaves
        .iter()
        .any(|l| l.window.span_ms().is_some() || l.window == Window::ThisSession);
    let mut dependencies = compiler.dependencies;
    dependencies.sort_unstable();
    dependencies.dedup();
    Ok(CompiledQuery {
        root,
        leaves: compiler.leaves,
        modes,
        dependencies,
        uses_clock,
    })
}

struct Compiler<'a> {
    codes: &'a HashMap<String, usize>,
    catalog: &'a mut Catalog,
    leaves: Vec<Leaf>,
    dependencies: Vec<usize>,
}

impl Compiler<'_> {
    fn clause(&mut self, value: &Value, path: &str) -> Parsed<Clause> {
        let map = object(value, path)?;
        let kind = if map.contains_key("event") {
            self.event_clause(value, path)?
        } else {
            let (key, body) = single_entry(map, path)?;
            let body_path = child(path, key);
            match key {
                "and" | "or" => {
                    let items = list(body, &body_path)?
                        .iter()
                        .enumerate()
                        .map(|(i, item)| self.clause(item, &index(&body_path, i)))
                        .collect::<Parsed<Vec<_>>>()?;
                    if key == "and" {
                        ClauseKind::And(items)
                    } else {
                        ClauseKind::Or(items)
                    }
                }
                "not" => ClauseKind::Not(Box::new(self.clause(body, &body_path)?)),
                "engaged_time" => self.engagement(
                    body,
                    &body_path,
                    "engaged_time",
                    "seconds",
                    Measure::Sum("engaged_time"),
                )?,
                "engaged_completion" => self.engagement(
                    body,
                    &body_path,
                    "engaged_completion",
                    "completion",
                    Measure::Max("completion"),
                )?,
                "engaged_views" => {
                    self.engagement(body, &body_path, "engaged_views", "count", Measure::Views)?
                }
                "has_entered" | "has_exited" => {
                    self.transition(body, &body_path, key == "has_entered")?
                }
                // The builder's "has not entered/exited": the negation of the positive clause.
                "has_not_entered" | "has_not_exited" => {
                    let inner = self.transition(body, &body_path, key == "has_not_entered")?;
                    ClauseKind::Not(Box::new(Clause {
                        path: body_path,
                        kind: inner,
                    }))
                }
                "in_segment" => {
                    // `{"in_segment": 1001}`, or `{"in_segment": {"segment": 1001}}`.
                    let (code_value, code_path) = match body.as_object() {
                        Some(inner) => {
                            only_keys(inner, &["segment"], &body_path)?;
                            (
                                required(inner, "segment", &body_path)?,
                                child(&body_path, "segment"),
                            )
                        }
                        None => (body, body_path.clone()),
                    };
                    let (cohort, code) = self.reference(code_value, &code_path)?;
                    ClauseKind::InSegment { cohort, code }
                }
                "in_second_party_segment" => self.external(body, &body_path, Party::Second)?,
                "in_third_party_segment" => self.external(body, &body_path, Party::Third)?,
                "not_in_second_party_segment" | "not_in_third_party_segment" => {
                    let party = if key == "not_in_second_party_segment" {
                        Party::Second
                    } else {
                        Party::Third
                    };
                    ClauseKind::Not(Box::new(Clause {
                        kind: self.external(body, &body_path, party)?,
                        path: body_path,
                    }))
                }
                other => {
                    return Err(QueryError::new(path, format!("unknown clause \"{other}\"")));
                }
            }
        };
        Ok(Clause {
            path: path.to_string(),
            kind,
        })
    }

    fn event_clause(&mut self, value: &Value, path: &str) -> Parsed<ClauseKind> {
        let map = object(value, path)?;
        only_keys(map, &["event", "frequency", "where", "during"], path)?;
        let event = string(required(map, "event", path)?, &child(path, "event"))?;
        if event.is_empty() {
            return Err(QueryError::new(&child(path, "event"), "empty event name"));
        }
        let comparison = match map.get("frequency") {
            Some(f) => Comparison::parse(f, &child(path, "frequency"))?,
            None => Comparison::AT_LEAST_ONCE,
        };
        self.measure_leaf(map, path, "event", event, comparison, Measure::Count)
    }

    fn engagement(
        &mut self,
        body: &Value,
        path: &str,
        clause: &'static str,
        threshold_key: &str,
        measure: Measure,
    ) -> Parsed<ClauseKind> {
        let map = object(body, path)?;
        only_keys(map, &[threshold_key, "where", "during"], path)?;
        let comparison = Comparison::parse(
            required(map, threshold_key, path)?,
            &child(path, threshold_key),
        )?;
        self.measure_leaf(map, path, clause, ENGAGEMENT_EVENT, comparison, measure)
    }

    fn measure_leaf(
        &mut self,
        map: &serde_json::Map<String, Value>,
        path: &str,
        clause: &'static str,
        event: &str,
        comparison: Comparison,
        measure: Measure,
    ) -> Parsed<ClauseKind> {
        let filter_json = map.get("where").cloned();
        let filter_id = match &filter_json {
            Some(w) => {
                let filter = Condition::parse(w, &child(path, "where"), Scope::Event)?;
                Some(self.catalog.filter_id(w, filter))
            }
            None => None,
        };
        let event_id = self.catalog.event_id(event);
        let window = Window::parse(map.get("during"), &child(path, "during"))?;
        if window == Window::ThisSession && measure == Measure::Views {
            return Err(QueryError::new(
                &child(path, "during"),
                "this_session is not supported for engaged_views",
            ));
        }
        let mode = match (measure, window.span_ms()) {
            // `this_session` (a maximum of completion is then the session's maximum).
            (_, _) if window == Window::ThisSession => Mode::Session {
                max: matches!(measure, Measure::Max(_)),
            },
            (Measure::Views, span_ms) => Mode::Views {
                span_ms: span_ms.unwrap_or(i64::MAX),
            },
            // `engaged_completion`: the maximum on the current page.
            (Measure::Max("completion"), span_ms) => Mode::CurrentView {
                span_ms: span_ms.unwrap_or(i64::MAX),
            },
            (Measure::Max(_), Some(span_ms)) => Mode::WindowedMax { span_ms },
            (Measure::Max(_), None) => Mode::Max,
            (_, Some(span_ms)) => Mode::WindowedTotal { span_ms },
            (_, None) => Mode::Total,
        };
        let leaf = self.push_leaf(Leaf {
            source: Source::Events {
                clause,
                event: event.to_string(),
                event_id,
                filter_id,
                filter_json,
                measure,
            },
            window,
            mode,
        });
        Ok(ClauseKind::Measure { leaf, comparison })
    }

    fn transition(&mut self, body: &Value, path: &str, entered: bool) -> Parsed<ClauseKind> {
        let map = object(body, path)?;
        only_keys(map, &["segment", "during"], path)?;
        let (cohort, code) =
            self.reference(required(map, "segment", path)?, &child(path, "segment"))?;
        let window = Window::parse(map.get("during"), &child(path, "during"))?;
        let mode = match window.span_ms() {
            Some(span_ms) => Mode::WindowedTotal { span_ms },
            None if window == Window::ThisSession => Mode::Session { max: false },
            None => Mode::Total,
        };
        let leaf = self.push_leaf(Leaf {
            source: Source::Transition {
                entered,
                cohort,
                code,
            },
            window,
            mode,
        });
        Ok(ClauseKind::Transition { leaf })
    }

    fn external(&mut self, body: &Value, path: &str, party: Party) -> Parsed<ClauseKind> {
        let map = object(body, path)?;
        only_keys(map, &["provider", "segment"], path)?;
        let provider =
            string(required(map, "provider", path)?, &child(path, "provider"))?.to_string();
        let segment = cohort_code(required(map, "segment", path)?, &child(path, "segment"))?;
        let key = party.external_key(&provider, &segment);
        Ok(ClauseKind::External {
            party,
            provider,
            segment,
            key,
        })
    }

    /// Another workspace cohort, by code.
    fn reference(&mut self, value: &Value, path: &str) -> Parsed<(usize, String)> {
        let code = cohort_code(value, path)?;
        let cohort = *self.codes.get(&code).ok_or_else(|| {
            QueryError::new(path, format!("cohort {code} is not in this workspace"))
        })?;
        self.dependencies.push(cohort);
        Ok((cohort, code))
    }

    fn push_leaf(&mut self, leaf: Leaf) -> usize {
        self.leaves.push(leaf);
        self.leaves.len() - 1
    }
}
