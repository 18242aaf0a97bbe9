//! One request: read the state, fold the events in, evaluate every cohort in dependency order
//! and write the state back.

use std::collections::BTreeMap;

use serde_json::Value;

use super::accumulator::{
    Accumulator, CohortState, EntryRead, Mode, Source as CopySource, TextOut, VIEW_MARK, WindowSum,
};
use super::load::CompiledCohort;
use super::query::{Catalog, Clause, ClauseKind, Leaf, Source, session_key, view_key};
use super::window::Window;
use super::{CodeOrder, CohortInfo, Event, Now, Segmented, StateText};

/// With event time, an event this far beyond the user's clock is flagged: it moves "now" for
/// every window of that user.
const FAR_AHEAD_MS: i64 = 86_400_000;

/// One cohort's incoming state entry `{checksum: state}`.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Entry<'a> {
    Value(&'a Value),
    /// One JSON value's text.
    Text(&'a str),
    /// Text the caller has not checked is JSON, and its index in the caller's entries (see
    /// [`super::Segmented::scanned_entries`]).
    Unchecked(&'a str, usize),
}

impl<'a> Entry<'a> {
    /// Reads the entry, and appends to `sources` where each accumulator's unchanged text can be
    /// copied from (`None`: write it anew). With some, the text they are spans of. Also whether
    /// the fast reader read all of the text (then it is JSON).
    fn read(
        self,
        cohort: &CompiledCohort,
        sources: &mut Vec<Option<CopySource>>,
    ) -> (EntryRead, Option<&'a str>, bool) {
        let modes = &cohort.query.modes;
        match self {
            Entry::Value(v) => {
                sources.resize(sources.len() + modes.len(), None);
                (
                    EntryRead::from_value(v, &cohort.checksum, modes),
                    None,
                    false,
                )
            }
            Entry::Text(t) | Entry::Unchecked(t, _) => {
                let start = sources.len();
                let (read, scanned) =
                    EntryRead::from_text_with_spans(t, &cohort.checksum, modes, sources);
                let copyable = sources[start..].iter().any(Option::is_some).then_some(t);
                (read, copyable, scanned)
            }
        }
    }

    /// The caller's index of an [`Entry::Unchecked`] entry.
    fn unchecked_index(self) -> Option<usize> {
        match self {
            Entry::Unchecked(_, at) => Some(at),
            _ => None,
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
    /// A disabled cohort: not read, not evaluated, its entry left to the caller.
    Disabled,
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

/// The cohorts that changed membership after one event of the request.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Step {
    /// The event's index in the request (`None`: the request had no events).
    pub event: Option<usize>,
    /// The clock after that event.
    pub now: Option<i64>,
    /// Workspace indices, in evaluation order.
    pub entered: Vec<usize>,
    pub exited: Vec<usize>,
}

pub(crate) struct Evaluation {
    /// The user's clock: the latest event time seen (or the wall clock), in ms since the epoch.
    pub now: Option<i64>,
    pub wall: bool,
    /// With event time: events (index in the request, time, the clock before) more than a day
    /// beyond the user's clock.
    pub far_ahead: Vec<(usize, i64, i64)>,
    /// By workspace index.
    pub outcomes: Vec<Outcome>,
    /// Every membership change, event by event (steps without changes are left out).
    pub timeline: Vec<Step>,
    pub segmented: Segmented,
}

/// Read-only inputs of evaluating one cohort's clause tree.
struct Context<'a> {
    values: &'a [Option<f64>],
    members: &'a [bool],
    external: &'a Keys<'a>,
}

/// One cohort while a request is applied.
struct Live<'a> {
    state: CohortState,
    /// Its `external_state` contribution, pruned with the same clock (never written).
    external: Option<CohortState>,
    /// The entry's text, when some of its accumulators can be copied through from it (their
    /// spans are in [`Leaves::sources`]).
    copy: Option<&'a str>,
    /// Where its leaves start in [`Leaves`].
    first: usize,
    /// An event was folded into one of its leaves since its last evaluation.
    touched: bool,
    /// The clock at which an entry of one of its windows leaves that window (its value may
    /// change then without any event of its own); `i64::MIN`: re-evaluate at every event.
    expiry: i64,
}

/// Per leaf of every cohort (cohort `i`'s at `lives[i].first..`): one allocation each for the
/// request, not one per cohort.
struct Leaves {
    /// Each leaf's value at the clock of the cohort's last evaluation.
    values: Vec<Option<f64>>,
    /// The value must be computed again (an event or transition folded in, entries pruned, or
    /// never computed).
    stale: Vec<bool>,
    /// Where the leaf's accumulator text can be copied from, in its cohort's `copy`.
    sources: Vec<Option<CopySource>>,
    /// The running sums of windowed totals.
    sums: Vec<WindowSum>,
}

impl Leaves {
    /// The leaf changed: its value must be computed again, and unless only appended to
    /// (`intact`), its text can no longer be copied through.
    fn changed(&mut self, leaf: usize, intact: bool) {
        self.stale[leaf] = true;
        if !intact {
            self.sources[leaf] = None;
            self.sums[leaf].valid = false;
        }
    }
}

/// What [`apply`] decided as a [`Segmented`] (the state entries written one by one) and, for
/// explanations (`explain`), each cohort's clause values.
pub(crate) fn evaluation(
    mut applied: Applied<'_>,
    codes: CodeOrder<'_>,
    explain: bool,
) -> Evaluation {
    let segmented = applied.segmented(codes);
    // Only explanations look at each cohort's values.
    let outcomes = if explain {
        applied.outcomes()
    } else {
        Vec::new()
    };
    Evaluation {
        now: applied.now,
        wall: applied.wall,
        far_ahead: applied.far_ahead,
        outcomes,
        timeline: applied.timeline,
        segmented,
    }
}

/// `internal` and `external` are each cohort's incoming entries, by workspace index.
///
/// The request's events are applied in time order, one at a time: after each, the clock moves
/// to that event's time (it never goes back) and the cohorts are re-evaluated, so every entry
/// and exit inside the request happens, at the time of the event that caused it, and is
/// remembered by `has_entered` / `has_exited`. Splitting the same events into other requests
/// changes nothing. After the first event every cohort is evaluated; after the others only the
/// cohorts whose inputs can have changed: an event folded into one of its clauses, a window
/// whose earliest entry the clock has just pushed out, or a cohort it reads that changed.
#[allow(clippy::too_many_arguments)]
pub(crate) fn apply<'a>(
    clock: Now,
    codes: CodeOrder<'a>,
    compiled: &'a [CompiledCohort],
    catalog: &Catalog,
    order: &[usize],
    input_events: &[Event],
    input_cohorts: &[String],
    internal_entries: &[Option<Entry<'a>>],
    external_entries: &[Option<Entry<'_>>],
    external_keys: &Keys<'_>,
) -> Applied<'a> {
    let cohorts = codes.cohorts;
    let mut warnings = Vec::new();
    let mut origins = Vec::with_capacity(cohorts.len());
    let mut lives: Vec<Live<'_>> = Vec::with_capacity(cohorts.len());
    let leaf_count = compiled.iter().map(|c| c.query.leaves.len()).sum();
    let mut sources = Vec::with_capacity(leaf_count);
    // The clock is event time: the latest event the user has, in this request or remembered.
    let mut now: Option<i64> = None;
    let mut scanned_entries = Vec::new();
    for ((info, cohort), (internal, external)) in cohorts
        .iter()
        .zip(compiled)
        .zip(internal_entries.iter().zip(external_entries))
    {
        let first = sources.len();
        let (state, origin, copy, external) = if info.enabled {
            let (state, origin, copy, scanned) =
                read_internal(info, cohort, *internal, &mut warnings, &mut sources);
            if let (true, Some(at)) = (scanned, internal.and_then(Entry::unchecked_index)) {
                scanned_entries.push(at);
            }
            let external = read_external(info, cohort, *external, &mut warnings);
            (state, origin, copy, external)
        } else {
            (None, StateOrigin::Disabled, None, None)
        };
        sources.resize(first + cohort.query.leaves.len(), None);
        now = now
            .max(state.as_ref().and_then(|s| s.clock))
            .max(external.as_ref().and_then(|s| s.clock));
        origins.push(origin);
        let query = &cohort.query;
        lives.push(Live {
            state: state.unwrap_or_else(|| CohortState::empty(&query.modes)),
            external,
            copy,
            first,
            touched: false,
            expiry: i64::MIN,
        });
    }

    // In time order; events at the same instant in the order they came.
    let mut events: Vec<(i64, &Event)> = input_events
        .iter()
        .map(|e| (e.time.as_millisecond(), e))
        .collect();
    let mut positions: Vec<usize> = (0..events.len()).collect();
    if events.windows(2).any(|w| w[0].0 > w[1].0) {
        positions.sort_by_key(|&k| events[k].0);
        events = positions.iter().map(|&k| events[k]).collect();
    }
    let mut matcher = EventMatcher::new(catalog, &events);

    // A disabled cohort is never in `cohorts`: not before, not after.
    let mut was_member = vec![false; cohorts.len()];
    let mut cursor = 0;
    for code in input_cohorts {
        if let Some(i) = codes.find(code, &mut cursor) {
            was_member[i] = cohorts[i].enabled;
        }
    }
    let mut run = Run {
        cohorts,
        compiled,
        order,
        external_keys,
        members: was_member.clone(),
        changed: vec![false; cohorts.len()],
        timeline: Vec::new(),
        leaves: Leaves {
            values: vec![None; leaf_count],
            stale: vec![true; leaf_count],
            sources,
            sums: vec![WindowSum::default(); leaf_count],
        },
    };

    // With the wall clock every step is at the request's instant.
    let wall = match clock {
        Now::Wall(t) => Some(t.as_millisecond()),
        Now::EventTime => None,
    };
    if wall.is_some() {
        now = wall;
    }
    let mut far_ahead = Vec::new();
    if events.is_empty() {
        run.step(&mut lives, now, None, true);
    }
    for k in 0..events.len() {
        let time = events[k].0;
        // `this_session` clauses: the event continues the current session or starts a new one
        // (a late event never starts one).
        let mut session = None;
        if let Some(&(c, l)) = catalog.sessions.first() {
            let current = lives[c].state.accumulators[l].session();
            let key = session_key(events[k].1, now, current);
            session = Some(key);
            let late = now.is_some_and(|n| time < n);
            for &(c, l) in &catalog.sessions {
                let live = &mut lives[c];
                let accumulator = &mut live.state.accumulators[l];
                if accumulator.session() != Some(key) && !late {
                    accumulator.start_session(key);
                    live.touched = true;
                    run.leaves.changed(live.first + l, false);
                }
            }
        }
        if wall.is_none() {
            if let Some(before) = now
                && time > before.saturating_add(FAR_AHEAD_MS)
            {
                far_ahead.push((positions[k], time, before));
            }
            now = Some(now.map_or(time, |n| n.max(time)));
        }
        if let Some(event_id) = matcher.event_ids[k] {
            for &(c, l) in &catalog.readers[event_id] {
                let live = &mut lives[c];
                let leaf = &compiled[c].query.leaves[l];
                // Only events of the current session count for `this_session`.
                if let Mode::Session { .. } = leaf.mode
                    && live.state.accumulators[l].session() != session
                {
                    continue;
                }
                if let Some(intact) =
                    fold_event(leaf, &mut live.state.accumulators[l], &mut matcher, k, now)
                {
                    live.touched = true;
                    run.leaves.changed(live.first + l, intact);
                }
            }
        }
        run.step(&mut lives, now, Some(positions[k]), k == 0);
    }

    // What is written back carries the clock the request ends at.
    for (live, info) in lives.iter_mut().zip(cohorts) {
        if info.enabled {
            live.state.clock = now;
        }
    }
    let Run {
        members,
        timeline,
        leaves,
        ..
    } = run;
    Applied {
        now,
        wall: wall.is_some(),
        far_ahead,
        timeline,
        cohorts,
        compiled,
        lives,
        origins,
        values: leaves.values,
        sources: leaves.sources,
        members,
        was_member,
        warnings,
        scanned_entries,
    }
}

/// A request applied to every cohort: each one's state and membership after its events.
pub(crate) struct Applied<'a> {
    pub now: Option<i64>,
    pub wall: bool,
    pub far_ahead: Vec<(usize, i64, i64)>,
    pub timeline: Vec<Step>,
    cohorts: &'a [CohortInfo],
    compiled: &'a [CompiledCohort],
    lives: Vec<Live<'a>>,
    origins: Vec<StateOrigin>,
    /// Per leaf, as in [`Leaves`].
    values: Vec<Option<f64>>,
    sources: Vec<Option<CopySource>>,
    /// Membership after the request and before it, by workspace index.
    pub members: Vec<bool>,
    pub was_member: Vec<bool>,
    pub warnings: Vec<String>,
    pub scanned_entries: Vec<usize>,
}

impl Applied<'_> {
    /// Whether cohort `i` has a state entry to write back. The clock is kept where it is
    /// needed: by windows relative to it, and by a member (without a clock a user is in no
    /// cohort).
    pub fn keeps(&self, i: usize) -> bool {
        let query = &self.compiled[i].query;
        self.cohorts[i].enabled
            && (self.lives[i]
                .state
                .accumulators
                .iter()
                .any(|a| !a.is_empty())
                || (self.now.is_some() && (query.uses_clock || self.members[i])))
    }

    /// Cohort `i`'s entry text it can copy accumulators from, with their spans.
    fn copied(&self, i: usize) -> Option<(&str, &[Option<CopySource>])> {
        let live = &self.lives[i];
        let leaves = live.first..live.first + self.compiled[i].query.leaves.len();
        live.copy.map(|text| (text, &self.sources[leaves]))
    }

    /// At least the length of what [`Applied::write_entry`] writes for cohort `i`.
    pub fn entry_len_bound(&self, i: usize) -> usize {
        self.lives[i]
            .state
            .entry_len_bound(&self.compiled[i].checksum, self.copied(i))
    }

    /// Writes cohort `i`'s state entry `{checksum: [clock, accumulator, ...]}`.
    pub fn write_entry(&self, i: usize, out: &mut impl TextOut) {
        let cohort = &self.compiled[i];
        self.lives[i]
            .state
            .write_entry(out, &cohort.checksum, &cohort.query.modes, self.copied(i));
    }

    /// Workspace indices of the cohorts entered (`true`) or exited by the request, in
    /// workspace order.
    pub fn changed(&self, entered: bool) -> impl Iterator<Item = usize> + '_ {
        (0..self.cohorts.len())
            .filter(move |&i| self.members[i] != self.was_member[i] && self.members[i] == entered)
    }

    /// What was decided as a [`Segmented`], its state entries each written into its own text
    /// (its warnings and scanned entries are taken).
    fn segmented(&mut self, codes: CodeOrder<'_>) -> Segmented {
        let cohorts = self.cohorts;
        // In the order of their codes: the maps are built from sorted items at once.
        let mut internal = Vec::with_capacity(cohorts.len());
        for &i in codes.sorted {
            if self.keeps(i) {
                let bound = self.entry_len_bound(i);
                let mut text = Vec::with_capacity(bound);
                self.write_entry(i, &mut text);
                debug_assert!(text.len() <= bound, "an entry is longer than its bound");
                internal.push((cohorts[i].code.clone(), StateText::from_utf8(text)));
            }
        }
        let code = |i: usize| cohorts[i].code.clone();
        Segmented {
            internal: internal.into_iter().collect(),
            members: codes
                .sorted
                .iter()
                .filter(|&&i| self.members[i])
                .map(|&i| code(i))
                .collect(),
            entered: self.changed(true).map(code).collect(),
            exited: self.changed(false).map(code).collect(),
            warnings: std::mem::take(&mut self.warnings),
            scanned_entries: std::mem::take(&mut self.scanned_entries),
        }
    }

    /// Each cohort's clause values and membership, for explanations.
    fn outcomes(&self) -> Vec<Outcome> {
        self.lives
            .iter()
            .zip(&self.origins)
            .enumerate()
            .map(|(i, (live, &origin))| Outcome {
                values: self.values[live.first..live.first + self.compiled[i].query.leaves.len()]
                    .to_vec(),
                member: self.members[i],
                was_member: self.was_member[i],
                origin,
            })
            .collect()
    }
}

/// What stays the same across the steps of one request.
struct Run<'a> {
    cohorts: &'a [CohortInfo],
    compiled: &'a [CompiledCohort],
    order: &'a [usize],
    external_keys: &'a Keys<'a>,
    /// Current membership, by workspace index.
    members: Vec<bool>,
    /// Cohorts whose membership changed in the current step.
    changed: Vec<bool>,
    timeline: Vec<Step>,
    leaves: Leaves,
}

impl Run<'_> {
    /// Re-evaluates, at `now`, every cohort (`all`) or those whose inputs can have changed.
    fn step(&mut self, lives: &mut [Live<'_>], now: Option<i64>, event: Option<usize>, all: bool) {
        let mut step = Step {
            event,
            now,
            entered: Vec::new(),
            exited: Vec::new(),
        };
        for &i in self.order {
            let live = &mut lives[i];
            // (Only once a cohort has changed in this step can one read a changed cohort.)
            let due = all
                || live.touched
                || now.is_some_and(|n| n >= live.expiry)
                || ((!step.entered.is_empty() || !step.exited.is_empty())
                    && self.compiled[i]
                        .query
                        .dependencies
                        .iter()
                        .any(|&d| self.changed[d]));
            if !due || !self.cohorts[i].enabled {
                continue;
            }
            let query = &self.compiled[i].query;
            live.touched = false;
            // Entries later than the clock: values change as it moves, whatever was dropped.
            let every_leaf = live.expiry == i64::MIN;
            // Before its expiry the clock pushes no entry out of any of the cohort's windows
            // (entries folded in since are inside them), so there is nothing to prune.
            let may_prune = now.is_none_or(|n| n >= live.expiry);
            let leaves = &mut self.leaves;
            for (l, leaf) in query.leaves.iter().enumerate() {
                let at = live.first + l;
                let accumulator = &mut live.state.accumulators[l];
                if let Source::Transition {
                    entered, cohort, ..
                } = &leaf.source
                    && self.changed[*cohort]
                    && self.members[*cohort] == *entered
                {
                    let intact = fold_transition(leaf, accumulator, now);
                    leaves.changed(at, intact);
                }
                let dropped = if may_prune {
                    accumulator.prune(leaf.mode, now)
                } else {
                    0
                };
                debug_assert!(may_prune || accumulator.clone().prune(leaf.mode, now) == 0);
                if dropped > 0 {
                    leaves.stale[at] = true;
                    leaves.sums[at].valid = false;
                    if let Some(source) = &mut leaves.sources[at] {
                        source.dropped += dropped;
                    }
                }
                debug_assert!(
                    may_prune
                        || live
                            .external
                            .as_ref()
                            .is_none_or(|e| e.accumulators[l].clone().prune(leaf.mode, now) == 0)
                );
                if may_prune
                    && let Some(external) = live.external.as_mut()
                    && external.accumulators[l].prune(leaf.mode, now) > 0
                {
                    leaves.stale[at] = true;
                }
                // A value only changes when an entry comes in or goes out.
                if !(leaves.stale[at] || every_leaf) {
                    continue;
                }
                leaves.stale[at] = false;
                let own = match (leaf.mode, &*accumulator) {
                    (Mode::WindowedTotal { span_ms }, Accumulator::Windowed(entries)) => {
                        Some(leaves.sums[at].total(entries, span_ms, now))
                    }
                    _ => accumulator.value(leaf.mode, now),
                };
                debug_assert_eq!(
                    own.map(f64::to_bits),
                    accumulator.value(leaf.mode, now).map(f64::to_bits),
                    "a running window sum differs from summing the window"
                );
                let theirs = live
                    .external
                    .as_ref()
                    .and_then(|s| s.accumulators[l].value(leaf.mode, now));
                leaves.values[at] = combine(leaf.mode, own, theirs);
            }
            live.expiry = expiry(live, &query.leaves, now);
            // Cohorts are updated as events arrive: a user who never had an event (no clock)
            // is in none, whatever `not` or `less_than` clauses would say of no events.
            let member = now.is_some()
                && holds(
                    &query.root,
                    &Context {
                        values: &self.leaves.values[live.first..live.first + query.leaves.len()],
                        members: &self.members,
                        external: self.external_keys,
                    },
                );
            if member != self.members[i] {
                self.members[i] = member;
                self.changed[i] = true;
                if member {
                    step.entered.push(i);
                } else {
                    step.exited.push(i);
                }
            }
        }
        for &i in step.entered.iter().chain(&step.exited) {
            self.changed[i] = false;
        }
        if !step.entered.is_empty() || !step.exited.is_empty() {
            self.timeline.push(step);
        }
    }
}

/// When the clock next pushes an entry out of one of the cohort's windows (`i64::MAX`: never
/// without an event of its own). Entries later than the clock (only in state this engine did
/// not write) enter a window as the clock moves: such a cohort is re-evaluated at every event.
fn expiry(live: &Live<'_>, leaves: &[Leaf], now: Option<i64>) -> i64 {
    let mut at = i64::MAX;
    for (l, leaf) in leaves.iter().enumerate() {
        let Some(span) = leaf.window.span_ms() else {
            continue;
        };
        let own = Some(&live.state.accumulators[l]);
        let theirs = live.external.as_ref().map(|s| &s.accumulators[l]);
        for accumulator in own.into_iter().chain(theirs) {
            // The pair naming the current view (engaged_completion) never leaves a window.
            let entries = match accumulator {
                Accumulator::Windowed(entries) => {
                    let named = entries.first().is_some_and(|&(t, _)| t == VIEW_MARK);
                    Some(&entries[usize::from(named)..])
                }
                _ => None,
            };
            if let Some(entries) = entries
                && let (Some(&(first, _)), Some(&(last, _))) = (entries.first(), entries.last())
            {
                if now.is_none_or(|n| last > n) {
                    return i64::MIN;
                }
                at = at.min(first.saturating_add(span));
            }
        }
    }
    at
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
            let holds = self.catalog.filters[filter].holds(self.events[event].1.properties.root());
            self.filter_results[slot] = 1 + u8::from(holds);
        }
        self.filter_results[slot] == 2
    }
}

/// Folds event `k` into one clause, if it counts there: `None` if it does not, else whether
/// the entries that were there are all still there, unchanged (see [`Accumulator::add`]).
fn fold_event(
    leaf: &Leaf,
    accumulator: &mut Accumulator,
    matcher: &mut EventMatcher<'_>,
    k: usize,
    now: Option<i64>,
) -> Option<bool> {
    let Source::Events {
        filter_id, measure, ..
    } = &leaf.source
    else {
        return None;
    };
    let (time, event) = matcher.events[k];
    // An event outside the window (e.g. one arriving late, older than the window) never
    // counts: it is not even remembered.
    if !leaf.window.admits(time, now) || filter_id.is_some_and(|f| !matcher.passes(k, f)) {
        return None;
    }
    let x = measure.contribution(event)?;
    if let Mode::CurrentView { .. } = leaf.mode {
        return Some(accumulator.add_in_view(leaf.mode, time, view_key(event), x));
    }
    Some(accumulator.add(leaf.mode, time, x))
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
            Mode::Max
            | Mode::WindowedMax { .. }
            | Mode::CurrentView { .. }
            | Mode::Session { max: true } => a.max(b),
            Mode::Session { max: false } => a + b,
            Mode::Total | Mode::WindowedTotal { .. } | Mode::Views { .. } => a + b,
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
    sources: &mut Vec<Option<CopySource>>,
) -> (Option<CohortState>, StateOrigin, Option<&'a str>, bool) {
    let Some(entry) = entry else {
        return (None, StateOrigin::New, None, false);
    };
    let code = &info.code;
    let (
        EntryRead::Object {
            dropped,
            current_at,
            current,
        },
        copyable,
        scanned,
    ) = entry.read(cohort, sources)
    else {
        warnings.push(format!(
            "cohort {code}: internal_state entry is not an object {{checksum: state}}; discarded"
        ));
        return (None, StateOrigin::Discarded, None, false);
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
        None => (None, StateOrigin::New, None, scanned),
        Some(Ok(state)) => (Some(state), StateOrigin::Restored, copyable, scanned),
        Some(Err(_)) => (None, StateOrigin::Discarded, None, scanned),
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
    } = entry?.read(cohort, &mut Vec::new()).0
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
