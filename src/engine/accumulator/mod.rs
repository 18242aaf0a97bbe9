//! Accumulators: what the engine remembers about one clause between requests, and their
//! compact JSON form inside `internal_state[code][checksum]`.
//!
//! A cohort's state is `[clock, leaf_0, leaf_1, ...]`: `clock` is the user's latest event time
//! (ms since the epoch, or `null`), then one accumulator per stateful clause in query order:
//!
//! | form | meaning |
//! |---|---|
//! | `["p", x]` | all-time (or fixed-window) count or sum |
//! | `["v", x]` | all-time (or fixed-window) maximum, `null` before any value |
//! | `["wp", t1, x1, t2, x2, ...]` | count or sum per event time (ms), for a `the_last` window |
//! | `["wv", t1, x1, ...]` | maximum per event time, for a `the_last` window |
//!
//! Windowed pairs are flat (not `[[t, x], ...]`) to keep the text and the allocations small.
//!
//! The accumulators themselves are here; their text form is written by [`encode`], read fast by
//! [`scan`] (the text this engine writes; the digits of its numbers by [`digits`]) and read
//! generally by [`decode`] (any JSON, with reasons for what is not a state).

use std::ops::Range;

mod decode;
mod digits;
mod encode;
mod scan;
#[cfg(test)]
mod tests;

pub(crate) use decode::EntryRead;
pub(crate) use encode::TextOut;

/// How a clause accumulates, fixed by its kind and window at compile time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Mode {
    /// Counts and sums over all time or a fixed window: one number.
    Total,
    /// Maximum over all time or a fixed window: one number.
    Max,
    /// Counts and sums over `the_last` window: per-time entries, pruned as the clock moves.
    WindowedTotal { span_ms: i64 },
    /// Maximum over `the_last` window: per-time entries, dominated ones dropped.
    WindowedMax { span_ms: i64 },
    /// Distinct page views (`engaged_views`): `(latest time, view key)` per view, sorted by
    /// time then key; `span_ms` is `i64::MAX` for all time. Written `["wd", t1, k1, ...]`.
    Views { span_ms: i64 },
    /// Maximum on the current page view (`engaged_completion`): a first pair
    /// `(VIEW_MARK, view key)` names the view, then its `(time, value)` pairs as for a windowed
    /// maximum; `span_ms` is `i64::MAX` for all time. Written `["cv", VIEW_MARK, k, t1, x1, ...]`.
    CurrentView { span_ms: i64 },
    /// A count/sum (`max: false`) or maximum over the current session (`this_session`): a
    /// first pair `(VIEW_MARK, session key)` names the session, then `(time, value)` pairs
    /// merged per time. Written `["s", mark, key, t1, x1, ...]`.
    Session { max: bool },
}

/// A session ends after this long without events (Permutive: 30 minutes).
pub(crate) const SESSION_GAP_MS: i64 = 30 * 60_000;

/// The time of the pair that names the current view: below any event time (jiff's earliest
/// instant is about -3.8e14 ms) and short enough for the fast reader (18 digits).
pub(crate) const VIEW_MARK: i64 = -999_999_999_999_999_999;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Accumulator {
    Total(f64),
    Max(Option<f64>),
    /// `(time, value)` sorted by time, one entry per distinct time.
    Windowed(Vec<(i64, f64)>),
}

impl Accumulator {
    pub fn empty(mode: Mode) -> Accumulator {
        match mode {
            Mode::Total => Accumulator::Total(0.0),
            Mode::Max => Accumulator::Max(None),
            Mode::WindowedTotal { .. }
            | Mode::WindowedMax { .. }
            | Mode::Views { .. }
            | Mode::CurrentView { .. }
            | Mode::Session { .. } => Accumulator::Windowed(Vec::new()),
        }
    }

    /// Folds one contribution in. The caller has already checked the clause's window.
    /// Whether the entries that were there are all still there, unchanged (windowed entries
    /// appended after them, or nothing changed).
    pub fn add(&mut self, mode: Mode, time: i64, x: f64) -> bool {
        match (self, mode) {
            (Accumulator::Total(total), _) => {
                *total = sum(*total, x);
                false
            }
            (Accumulator::Max(max), _) => {
                *max = Some(max.map_or(x, |m| m.max(x)));
                false
            }
            (Accumulator::Windowed(entries), Mode::Session { max }) => {
                if max {
                    insert_sorted(entries, time, x, f64::max)
                } else {
                    insert_sorted(entries, time, x, sum)
                }
            }
            (Accumulator::Windowed(entries), Mode::Views { .. }) => {
                // One entry per view, at its latest time.
                if let Some(i) = entries.iter().position(|&(_, key)| key == x) {
                    if entries[i].0 >= time {
                        return true;
                    }
                    entries.remove(i);
                }
                let at = entries.partition_point(|&(t, key)| (t, key) < (time, x));
                let appended = at == entries.len();
                entries.insert(at, (time, x));
                appended
            }
            (Accumulator::Windowed(entries), Mode::WindowedMax { .. }) => {
                // An entry no later and no larger than another can never be the maximum of a
                // window that contains the other one, so it is never kept.
                if entries.iter().any(|&(t, v)| t >= time && v >= x) {
                    return true;
                }
                let before = entries.len();
                entries.retain(|&(t, v)| !(t <= time && v <= x));
                let kept = entries.len() == before;
                insert_sorted(entries, time, x, |_, new| new) && kept
            }
            (Accumulator::Windowed(entries), _) => insert_sorted(entries, time, x, sum),
        }
    }

    /// The session a session accumulator is counting, if any.
    pub fn session(&self) -> Option<f64> {
        match self {
            Accumulator::Windowed(entries) => entries
                .first()
                .filter(|&&(t, _)| t == VIEW_MARK)
                .map(|&(_, key)| key),
            _ => None,
        }
    }

    /// Starts counting session `key` afresh.
    pub fn start_session(&mut self, key: f64) {
        *self = Accumulator::Windowed(vec![(VIEW_MARK, key)]);
    }

    /// Folds one value of page view `key` into a current-view maximum: a later view replaces
    /// the current one, an earlier one is ignored. Whether nothing changed but appending.
    pub fn add_in_view(&mut self, mode: Mode, time: i64, key: f64, x: f64) -> bool {
        let (Accumulator::Windowed(entries), Mode::CurrentView { span_ms }) = (&mut *self, mode)
        else {
            return false;
        };
        let current = entries
            .first()
            .filter(|&&(t, _)| t == VIEW_MARK)
            .map(|&(_, k)| k);
        if current == Some(key) {
            let pairs = entries.split_off(1);
            let mut max = Accumulator::Windowed(pairs);
            max.add(Mode::WindowedMax { span_ms }, time, x);
            if let Accumulator::Windowed(pairs) = max {
                entries.extend(pairs);
            }
            return false;
        }
        let latest = entries.last().map(|&(t, _)| t).filter(|&t| t != VIEW_MARK);
        if latest.is_some_and(|latest| time < latest) {
            // A late event of an earlier page: not the current page.
            return true;
        }
        entries.clear();
        entries.push((VIEW_MARK, key));
        entries.push((time, x));
        false
    }

    /// The windowed accumulator that adding `pairs` one by one to an empty one gives, in
    /// O(n log n) whatever their order (state this engine did not write may hold any).
    fn from_pairs(mode: Mode, mut pairs: Vec<(i64, f64)>) -> Accumulator {
        if let Mode::Session { max } = mode {
            let Some(mark) = pairs.iter().position(|&(t, _)| t == VIEW_MARK) else {
                return Accumulator::Windowed(Vec::new());
            };
            let key = pairs.remove(mark);
            // The same merging as `add`: stable sort, then per instant.
            pairs.sort_by_key(|&(t, _)| t);
            let mut entries = vec![key];
            for (t, x) in pairs {
                match entries.last_mut() {
                    Some((last, v)) if *last == t => *v = if max { v.max(x) } else { sum(*v, x) },
                    _ => entries.push((t, x)),
                }
            }
            return Accumulator::Windowed(entries);
        }
        if let Mode::CurrentView { span_ms } = mode {
            // The naming pair first, then the view's pairs as a windowed maximum.
            let Some(mark) = pairs.iter().position(|&(t, _)| t == VIEW_MARK) else {
                return Accumulator::Windowed(Vec::new());
            };
            let key = pairs.remove(mark);
            let mut entries = vec![key];
            if let Accumulator::Windowed(rest) =
                Accumulator::from_pairs(Mode::WindowedMax { span_ms }, pairs)
            {
                entries.extend(rest);
            }
            return Accumulator::Windowed(entries);
        }
        if let Mode::Views { .. } = mode {
            // Each view at its latest time, sorted by (time, key), as `add` keeps them.
            pairs.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
            let mut seen = std::collections::HashSet::with_capacity(pairs.len());
            let mut kept: Vec<(i64, f64)> = pairs
                .into_iter()
                .rev()
                .filter(|&(_, key)| seen.insert(key.to_bits()))
                .collect();
            kept.reverse();
            return Accumulator::Windowed(kept);
        }
        // Stable: pairs at the same instant combine in the order they came, as `add` would.
        pairs.sort_by_key(|&(t, _)| t);
        let mut merged: Vec<(i64, f64)> = Vec::with_capacity(pairs.len());
        let maximum = matches!(mode, Mode::WindowedMax { .. });
        for (t, x) in pairs {
            match merged.last_mut() {
                Some((last, v)) if *last == t => *v = if maximum { v.max(x) } else { sum(*v, x) },
                _ => merged.push((t, x)),
            }
        }
        if maximum {
            // Keep what `add` keeps: entries larger than every later one.
            let mut later_max = f64::NEG_INFINITY;
            let mut kept: Vec<(i64, f64)> = merged
                .into_iter()
                .rev()
                .filter(|&(_, v)| {
                    let keep = v > later_max;
                    later_max = later_max.max(v);
                    keep
                })
                .collect();
            kept.reverse();
            merged = kept;
        }
        Accumulator::Windowed(merged)
    }

    /// Drops what no window can need again once the clock is at `now`.
    /// How many entries were dropped (always the earliest ones).
    pub fn prune(&mut self, mode: Mode, now: Option<i64>) -> usize {
        if let (
            Accumulator::Windowed(entries),
            Mode::WindowedTotal { span_ms }
            | Mode::WindowedMax { span_ms }
            | Mode::Views { span_ms }
            | Mode::CurrentView { span_ms },
        ) = (self, mode)
            && span_ms != i64::MAX
        {
            // The pair naming the current view stays.
            let named = usize::from(
                matches!(mode, Mode::CurrentView { .. })
                    && entries.first().is_some_and(|&(t, _)| t == VIEW_MARK),
            );
            // Sorted by time: the entries to drop are a prefix.
            let dropped = match now {
                Some(now) => {
                    let start = now.saturating_sub(span_ms);
                    entries[named..].partition_point(|&(t, _)| t <= start)
                }
                None => entries.len() - named,
            };
            entries.drain(named..named + dropped);
            return dropped;
        }
        0
    }

    /// The clause's value at `now`: a count or sum (0 when nothing counted), or a maximum
    /// (`None` when nothing counted).
    pub fn value(&self, mode: Mode, now: Option<i64>) -> Option<f64> {
        match (self, mode) {
            (Accumulator::Total(total), _) => Some(*total),
            (Accumulator::Max(max), _) => *max,
            (Accumulator::Windowed(entries), Mode::WindowedMax { span_ms }) => {
                in_window(entries, span_ms, now)
                    .map(|&(_, v)| v)
                    .reduce(f64::max)
            }
            (Accumulator::Windowed(entries), Mode::Session { max }) => {
                let named = entries.first().is_some_and(|&(t, _)| t == VIEW_MARK);
                let values = entries[usize::from(named)..].iter().map(|&(_, v)| v);
                if max {
                    values.reduce(f64::max)
                } else {
                    Some(values.fold(0.0, sum))
                }
            }
            (Accumulator::Windowed(entries), Mode::CurrentView { span_ms }) => {
                // The pair naming the view is not a value.
                let named = entries.first().is_some_and(|&(t, _)| t == VIEW_MARK);
                in_window(&entries[usize::from(named)..], span_ms, now)
                    .map(|&(_, v)| v)
                    .reduce(f64::max)
            }
            (Accumulator::Windowed(entries), Mode::Views { span_ms }) => {
                Some(in_window(entries, span_ms, now).count() as f64)
            }
            (Accumulator::Windowed(entries), Mode::WindowedTotal { span_ms }) => {
                Some(in_window(entries, span_ms, now).map(|&(_, v)| v).sum())
            }
            (Accumulator::Windowed(_), _) => None,
        }
    }

    /// Nothing worth writing back.
    pub fn is_empty(&self) -> bool {
        match self {
            Accumulator::Total(total) => *total == 0.0,
            Accumulator::Max(max) => max.is_none(),
            Accumulator::Windowed(entries) => entries.is_empty(),
        }
    }
}

/// The running sum of a `the_last` window's values, kept between the steps of one request so
/// that an event appended to a long window adds one value instead of summing the window again.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct WindowSum {
    /// The window's entries when last summed, and their sum.
    from: usize,
    to: usize,
    sum: f64,
    /// `false`: entries changed other than by appending (or never summed): sum them all.
    pub valid: bool,
}

impl WindowSum {
    /// The windowed total's value at `now`, exactly as [`Accumulator::value`] computes it: the
    /// same additions in the same order, continued from where the last sum stopped when the
    /// entries it summed are unchanged (only appended to since).
    pub fn total(&mut self, entries: &[(i64, f64)], span_ms: i64, now: Option<i64>) -> f64 {
        let (from, to) = match now {
            Some(now) => {
                let start = now.saturating_sub(span_ms);
                // The entries are sorted by time. Pruned at this clock (as they are when summed
                // during a request) none is at or before `start`, and only state this engine
                // did not write has entries later than the clock: no search in the usual case.
                let from = if entries.first().is_none_or(|&(t, _)| t > start) {
                    0
                } else {
                    entries.partition_point(|&(t, _)| t <= start)
                };
                let to = if entries.last().is_none_or(|&(t, _)| t <= now) {
                    entries.len()
                } else {
                    entries.partition_point(|&(t, _)| t <= now)
                };
                (from, to.max(from))
            }
            None => (0, 0),
        };
        self.sum = if self.valid && from == self.from && to >= self.to && self.to <= entries.len() {
            entries[self.to..to]
                .iter()
                .fold(self.sum, |sum, &(_, v)| sum + v)
        } else {
            entries[from..to].iter().map(|&(_, v)| v).sum()
        };
        *self = WindowSum {
            from,
            to,
            sum: self.sum,
            valid: true,
        };
        self.sum
    }
}

/// The entries inside the window ending at `now` (entries are sorted by time).
fn in_window(
    entries: &[(i64, f64)],
    span_ms: i64,
    now: Option<i64>,
) -> impl Iterator<Item = &(i64, f64)> {
    let slice = match now {
        Some(now) => {
            let start = now.saturating_sub(span_ms);
            let from = entries.partition_point(|&(t, _)| t <= start);
            let to = entries.partition_point(|&(t, _)| t <= now);
            &entries[from..to.max(from)]
        }
        None => &entries[..0],
    };
    slice.iter()
}

/// A count or sum that stays a finite number: it saturates at `f64::MAX` rather than becoming
/// infinite (which JSON cannot write).
fn sum(a: f64, b: f64) -> f64 {
    (a + b).clamp(f64::MIN, f64::MAX)
}

/// Inserts keeping `entries` sorted by time, combining with an entry at the same time.
/// Whether it was appended.
fn insert_sorted(
    entries: &mut Vec<(i64, f64)>,
    time: i64,
    x: f64,
    combine: impl Fn(f64, f64) -> f64,
) -> bool {
    // Events mostly arrive in order: appending is the common case.
    if entries.last().is_none_or(|&(t, _)| t < time) {
        entries.push((time, x));
        return true;
    }
    match entries.binary_search_by(|&(t, _)| t.cmp(&time)) {
        Ok(i) => entries[i].1 = combine(entries[i].1, x),
        Err(i) => entries.insert(i, (time, x)),
    }
    false
}

/// Where an accumulator's text is in the entry it was read from, for copying it through: set
/// only when the text is exactly what [`CohortState::write_entry`] would write for it then.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Source {
    pub range: Range<usize>,
    /// For a windowed accumulator, how many pairs the text holds.
    pub pairs: usize,
    /// How many of those pairs were pruned since (the earliest ones).
    pub dropped: usize,
}

/// A cohort's remembered state: the clock and one accumulator per stateful clause.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CohortState {
    pub clock: Option<i64>,
    pub accumulators: Vec<Accumulator>,
}

impl CohortState {
    pub fn empty(modes: &[Mode]) -> CohortState {
        CohortState {
            clock: None,
            accumulators: modes.iter().map(|&m| Accumulator::empty(m)).collect(),
        }
    }
}
