//! One request: read the state, fold the events in, evaluate every cohort in dependency order
//! and write the state back.

use std::collections::BTreeMap;

use serde_json::Value;
use serde_json::value::RawValue;

use super::accumulator::{self, Accumulator, CohortState, EntryRead, Mode};
use super::load::CompiledCohort;
use super::query::{Catalog, Clause, ClauseKind, Leaf, Source};
use super::window::Window;
use super::{CohortInfo, Event, Segmented, StateText};

/// One cohort's incoming state entry `{checksum: state}`.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Entry<'a> {
    Value(&'a Value),
    Text(&'a RawValue),
}

/// Where each accumulator's unchanged text can be copied from: the entry's text and a span per
/// accumulator (`None`: write it anew).
type Copyable<'a> = Option<(&'a str, Vec<Option<accumulator::Source>>)>;

impl<'a> Entry<'a> {
    fn read(self, cohort: &CompiledCohort) -> (EntryRead, Copyable<'a>) {
        let modes = &cohort.query.modes;
        match self {
            Entry::Value(v) => (EntryRead::from_value(v, &cohort.checksum, modes), None),
            Entry::Text(t) => {
                let (read, spans) = EntryRead::from_text_with_spans(t, &cohort.checksum, modes);
                let copyable = spans.iter().any(Option::is_some).then(|| (t.get(), spans));
                (read, copyable)
            }
        }
    }
}

/// The keys present in `external_state`.
#[derive(Debug)]
pub(crate) enum Keys<'a> {
    Map(&'a BTreeMap<String, Value>),
    Sorted(Vec<&'a str>),
}

impl Keys<'_> {
    fn contains(&self, key: &str) -> bool {
        match self {
            Keys::Map(map) => map.contains_key(key),
            Keys::Sorted(keys) => keys.binary_search(&key).is_ok(),
        }
    }
}

/// What happened to a cohort's incoming internal state.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum StateOrigin {
    /// No usable entry came in (absent, or an earlier query definition's).
    New,
    Restored,
    /// An entry for the current checksum came in but was malformed.
    Discarded,
}

/// Per-cohort results kept for explanations.
#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    /// Each leaf's value at `now` (internal and external contributions together).
    pub values: Vec<Option<f64>>,
    pub member: bool,
    pub was_member: bool,
    pub origin: StateOrigin,
}

pub(crate) struct Evaluation {
    /// The user's clock: the latest event time seen, in ms since the epoch.
    pub now: Option<i64>,
    /// By workspace index.
    pub outcomes: Vec<Outcome>,
    pub segmented: Segmented,
}

/// Read-only inputs of evaluating one cohort's clause tree.
struct Context<'a> {
    values: &'a [Option<f64>],
    members: &'a [bool],
    external: &'a Keys<'a>,
}

/// `internal` and `external` are each cohort's incoming entries, by workspace index.
#[allow(clippy::too_many_arguments)]
pub(crate) fn evaluate(
    cohorts: &[CohortInfo],
    compiled: &[CompiledCohort],
    catalog: &Catalog,
    order: &[usize],
    input_events: &[Event],
    input_cohorts: &[String],
    internal_entries: &[Option<Entry<'_>>],
    external_entries: &[Option<Entry<'_>>],
    external_keys: &Keys<'_>,
) -> Evaluation {
    let mut warnings = Vec::new();
    let mut origins = Vec::with_capacity(cohorts.len());
    let mut copyable = Vec::with_capacity(cohorts.len());
    let mut internal: Vec<Option<CohortState>> = cohorts
        .iter()
        .zip(compiled)
        .zip(internal_entries)
        .map(|((info, cohort), entry)| {
            let (state, origin, copy) = read_internal(info, cohort, *entry, &mut warnings);
            origins.push(origin);
            copyable.push(copy);
            state
        })
        .collect();
    let external: Vec<Option<CohortState>> = cohorts
        .iter()
        .zip(compiled)
        .zip(external_entries)
        .map(|((info, cohort), entry)| read_external(info, cohort, *entry, &mut warnings))
        .collect();

    let events: Vec<(i64, &Event)> = input_events
        .iter()
        .map(|e| (e.time.as_millisecond(), e))
        .collect();
    // The clock is event time: the latest event the user has, in this request or remembered.
    let now = events
        .iter()
        .map(|&(t, _)| t)
        .chain(
            internal
                .iter()
                .chain(&external)
                .flatten()
                .filter_map(|s| s.clock),
        )
        .max();

    let mut matcher = EventMatcher::new(catalog, &events);

    // A sorted list: cheaper than hashing for the few dozen codes a user is in.
    let mut incoming: Vec<&str> = input_cohorts.iter().map(String::as_str).collect();
    incoming.sort_unstable();
    let was_member: Vec<bool> = cohorts
        .iter()
        .map(|c| incoming.binary_search(&c.code.as_str()).is_ok())
        .collect();
    let mut members = vec![false; cohorts.len()];
    let mut values_by_cohort: Vec<Vec<Option<f64>>> = vec![Vec::new(); cohorts.len()];
    let mut segmented = Segmented::default();

    for &i in order {
        let query = &compiled[i].query;
        let mut state = internal[i]
            .take()
            .unwrap_or_else(|| CohortState::empty(&query.modes));
        let mut copy = copyable[i].take();
        for (l, (leaf, accumulator)) in query.leaves.iter().zip(&mut state.accumulators).enumerate()
        {
            // The entries that were there are still there (new ones only appended).
            let mut intact = true;
            match &leaf.source {
                Source::Events { .. } => intact = fold_events(leaf, accumulator, &mut matcher, now),
                Source::Transition {
                    entered, cohort, ..
                } => {
                    let (before, after) = (was_member[*cohort], members[*cohort]);
                    let happened = if *entered {
                        !before && after
                    } else {
                        before && !after
                    };
                    if happened {
                        intact = fold_transition(leaf, accumulator, now);
                    }
                }
            }
            let dropped = accumulator.prune(leaf.mode, now);
            if let Some(source) = copy.as_mut().and_then(|(_, sources)| sources.get_mut(l)) {
                match source {
                    Some(s) if intact => s.dropped += dropped,
                    _ => *source = None,
                }
            }
        }
        state.clock = now;

        let external_state = external[i].as_ref();
        let values: Vec<Option<f64>> = query
            .leaves
            .iter()
            .enumerate()
            .map(|(l, leaf)| {
                let own = state.accumulators[l].value(leaf.mode, now);
                let theirs = external_state.and_then(|s| s.accumulators[l].value(leaf.mode, now));
                combine(leaf.mode, own, theirs)
            })
            .collect();
        members[i] = holds(
            &query.root,
            &Context {
                values: &values,
                members: &members,
                external: external_keys,
            },
        );
        values_by_cohort[i] = values;

        let worth_keeping =
            state.accumulators.iter().any(|a| !a.is_empty()) || (query.uses_clock && now.is_some());
        if worth_keeping {
            // About as long as the entry that came in, plus the request's new entries.
            let incoming = match internal_entries[i] {
                Some(Entry::Text(raw)) => raw.get().len(),
                _ => 0,
            };
            let mut text = Vec::with_capacity(incoming + 256);
            state.write_entry(
                &mut text,
                &compiled[i].checksum,
                &query.modes,
                copy.as_ref().map(|(t, spans)| (*t, spans.as_slice())),
            );
            segmented
                .internal
                .insert(cohorts[i].code.clone(), StateText::from_utf8(text));
        }
    }

    for (i, info) in cohorts.iter().enumerate() {
        if members[i] {
            segmented.members.insert(info.code.clone());
        }
        match (was_member[i], members[i]) {
            (false, true) => segmented.entered.push(info.code.clone()),
            (true, false) => segmented.exited.push(info.code.clone()),
            _ => {}
        }
    }
    segmented.warnings = warnings;

    let outcomes = values_by_cohort
        .into_iter()
        .zip(origins)
        .enumerate()
        .map(|(i, (values, origin))| Outcome {
            values,
            member: members[i],
            was_member: was_member[i],
            origin,
        })
        .collect();
    Evaluation {
        now,
        outcomes,
        segmented,
    }
}

/// The request's events, with each event's name resolved and each workspace filter tested at
/// most once per event (many cohorts share names and conditions).
struct EventMatcher<'a> {
    catalog: &'a Catalog,
    events: &'a [(i64, &'a Event)],
    event_ids: Vec<Option<usize>>,
    /// `events.len() × catalog.filters.len()`: 0 not tested yet, 1 false, 2 true.
    filter_results: Vec<u8>,
}

impl<'a> EventMatcher<'a> {
    fn new(catalog: &'a Catalog, events: &'a [(i64, &'a Event)]) -> EventMatcher<'a> {
        EventMatcher {
            catalog,
            events,
            event_ids: events
                .iter()
                .map(|(_, e)| catalog.events.iter().position(|name| *name == e.name))
                .collect(),
            filter_results: vec![0; events.len() * catalog.filters.len()],
        }
    }

    fn passes(&mut self, event: usize, filter: usize) -> bool {
        let slot = event * self.catalog.filters.len() + filter;
        if self.filter_results[slot] == 0 {
            let holds = self.catalog.filters[filter].holds(&self.events[event].1.properties);
            self.filter_results[slot] = 1 + u8::from(holds);
        }
        self.filter_results[slot] == 2
    }
}

/// Whether the entries that were there are all still there, unchanged (see [`Accumulator::add`]).
fn fold_events(
    leaf: &Leaf,
    accumulator: &mut Accumulator,
    matcher: &mut EventMatcher<'_>,
    now: Option<i64>,
) -> bool {
    let Source::Events {
        event_id,
        filter_id,
        measure,
        ..
    } = &leaf.source
    else {
        return false;
    };
    let mut intact = true;
    for i in 0..matcher.events.len() {
        let (time, event) = matcher.events[i];
        // An event outside the window (e.g. one arriving late, older than the window) never
        // counts: it is not even remembered.
        if matcher.event_ids[i] != Some(*event_id) || !leaf.window.admits(time, now) {
            continue;
        }
        if filter_id.is_some_and(|f| !matcher.passes(i, f)) {
            continue;
        }
        if let Some(x) = measure.contribution(&event.properties) {
            intact &= accumulator.add(leaf.mode, time, x);
        }
    }
    intact
}

/// Records that the referenced cohort was entered (or exited) in this request, at the clock.
/// Whether the entries that were there are all still there (see [`Accumulator::add`]).
fn fold_transition(leaf: &Leaf, accumulator: &mut Accumulator, now: Option<i64>) -> bool {
    let time = match now {
        Some(time) if leaf.window.admits(time, now) => time,
        Some(_) => return true,
        // Without a clock (a user with no events yet) the transition has no time: only an
        // all-time clause can count it.
        None if leaf.window == Window::AllTime => 0,
        None => return true,
    };
    accumulator.add(leaf.mode, time, 1.0)
}

/// Internal and external contributions to one clause.
fn combine(mode: Mode, own: Option<f64>, theirs: Option<f64>) -> Option<f64> {
    match (own, theirs) {
        (Some(a), Some(b)) => Some(match mode {
            Mode::Max | Mode::WindowedMax { .. } => a.max(b),
            Mode::Total | Mode::WindowedTotal { .. } => a + b,
        }),
        (a, b) => a.or(b),
    }
}

fn holds(clause: &Clause, context: &Context<'_>) -> bool {
    match &clause.kind {
        ClauseKind::And(items) => items.iter().all(|c| holds(c, context)),
        ClauseKind::Or(items) => items.iter().any(|c| holds(c, context)),
        ClauseKind::Not(inner) => !holds(inner, context),
        ClauseKind::Measure { leaf, comparison } => {
            context.values[*leaf].is_some_and(|x| comparison.holds(x))
        }
        ClauseKind::Transition { leaf } => context.values[*leaf].is_some_and(|n| n >= 1.0),
        ClauseKind::InSegment { cohort, .. } => context.members[*cohort],
        ClauseKind::External { key, .. } => context.external.contains(key),
    }
}

/// The clause results of a finished evaluation, for explanations.
pub(crate) fn clause_holds(
    clause: &Clause,
    values: &[Option<f64>],
    members: &[bool],
    external: &Keys<'_>,
) -> bool {
    holds(
        clause,
        &Context {
            values,
            members,
            external,
        },
    )
}

fn read_internal<'a>(
    info: &CohortInfo,
    cohort: &CompiledCohort,
    entry: Option<Entry<'a>>,
    warnings: &mut Vec<String>,
) -> (Option<CohortState>, StateOrigin, Copyable<'a>) {
    let Some(entry) = entry else {
        return (None, StateOrigin::New, None);
    };
    let code = &info.code;
    let (
        EntryRead::Object {
            dropped,
            current_at,
            current,
        },
        copyable,
    ) = entry.read(cohort)
    else {
        warnings.push(format!(
            "cohort {code}: internal_state entry is not an object {{checksum: state}}; discarded"
        ));
        return (None, StateOrigin::Discarded, None);
    };
    // In the order the keys came.
    let discarded = match &current {
        Some(Err(reason)) => Some(format!("cohort {code}: internal_state discarded: {reason}")),
        _ => None,
    };
    for (i, checksum) in dropped.iter().enumerate() {
        if i == current_at {
            warnings.extend(discarded.clone());
        }
        warnings.push(format!(
            "cohort {code}: dropped state of an earlier definition of its query (checksum {checksum})"
        ));
    }
    if current_at >= dropped.len() {
        warnings.extend(discarded);
    }
    match current {
        None => (None, StateOrigin::New, None),
        Some(Ok(state)) => (Some(state), StateOrigin::Restored, copyable),
        Some(Err(_)) => (None, StateOrigin::Discarded, None),
    }
}

/// External contributions count only when written for the current query, in this engine's format.
fn read_external(
    info: &CohortInfo,
    cohort: &CompiledCohort,
    entry: Option<Entry<'_>>,
    warnings: &mut Vec<String>,
) -> Option<CohortState> {
    let EntryRead::Object {
        current: Some(current),
        ..
    } = entry?.read(cohort).0
    else {
        return None;
    };
    match current {
        Ok(state) => Some(state),
        Err(reason) => {
            warnings.push(format!(
                "cohort {}: external_state entry ignored: {reason}",
                info.code
            ));
            None
        }
    }
}
