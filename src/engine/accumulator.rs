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

use std::fmt;
use std::ops::Range;

use serde::de::{
    self, Deserialize, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
#[cfg(test)]
use serde::ser::SerializeSeq;
use serde::ser::{Serialize, Serializer};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::json::Key;

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

    /// This accumulator in its JSON form (see the module docs), for a serializer.
    #[cfg(test)]
    pub fn encoded(&self, mode: Mode) -> EncodedAccumulator<'_> {
        EncodedAccumulator {
            accumulator: self,
            mode,
        }
    }

    #[cfg(test)]
    pub fn encode(&self, mode: Mode) -> Value {
        serde_json::to_value(self.encoded(mode)).unwrap_or(Value::Null)
    }

    /// [`Accumulator::write`], copying what `source` says is unchanged: a whole accumulator, or
    /// the pairs of a windowed one that were neither pruned nor touched (entries were only
    /// appended after them).
    fn write_from(&self, out: &mut Vec<u8>, mode: Mode, entry: &str, source: &Source) {
        let text = &entry.as_bytes()[source.range.clone()];
        let Accumulator::Windowed(entries) = self else {
            out.extend_from_slice(text);
            return;
        };
        let kept = source.pairs.saturating_sub(source.dropped);
        if kept > entries.len() {
            // Not what the source says: write it anew.
            return self.write(out, mode);
        }
        // `["wp",t0,x0,t1,x1,...]`: pair k starts at comma 2k.
        let body = text.strip_suffix(b"]").unwrap_or(text);
        let first_comma = body.iter().position(|&b| b == b',');
        let pairs_start = match first_comma {
            Some(i) => i,
            None => body.len(),
        };
        out.extend_from_slice(&body[..pairs_start]);
        if kept > 0 {
            let start = body
                .iter()
                .enumerate()
                .filter(|&(_, &b)| b == b',')
                .nth(2 * source.dropped)
                .map_or(body.len(), |(i, _)| i);
            out.extend_from_slice(&body[start..]);
        }
        for &(t, v) in &entries[kept..] {
            out.push(b',');
            push_integer(out, t);
            out.push(b',');
            push_number(out, v);
        }
        out.push(b']');
    }

    /// Writes the JSON form, exactly as serializing [`Accumulator::encoded`] would.
    fn write(&self, out: &mut Vec<u8>, mode: Mode) {
        match self {
            Accumulator::Total(total) => {
                out.extend_from_slice(b"[\"p\",");
                push_number(out, *total);
            }
            Accumulator::Max(max) => {
                out.extend_from_slice(b"[\"v\",");
                match max {
                    Some(x) => push_number(out, *x),
                    None => out.extend_from_slice(b"null"),
                }
            }
            Accumulator::Windowed(entries) => {
                if matches!(mode, Mode::WindowedMax { .. }) {
                    out.extend_from_slice(b"[\"wv\"");
                } else if matches!(mode, Mode::Views { .. }) {
                    out.extend_from_slice(b"[\"wd\"");
                } else if matches!(mode, Mode::CurrentView { .. }) {
                    out.extend_from_slice(b"[\"cv\"");
                } else if matches!(mode, Mode::Session { .. }) {
                    out.extend_from_slice(b"[\"s\"");
                } else {
                    out.extend_from_slice(b"[\"wp\"");
                }
                for &(t, v) in entries {
                    out.push(b',');
                    push_integer(out, t);
                    out.push(b',');
                    push_number(out, v);
                }
            }
        }
        out.push(b']');
    }
}

/// "00" to "99", for writing two digits at a time.
const DIGIT_PAIRS: [u8; 200] = {
    let mut pairs = [0u8; 200];
    let mut i = 0;
    while i < 100 {
        pairs[2 * i] = b'0' + (i / 10) as u8;
        pairs[2 * i + 1] = b'0' + (i % 10) as u8;
        i += 1;
    }
    pairs
};

/// Appends an integer in decimal, as serde_json writes it.
fn push_integer(out: &mut Vec<u8>, n: i64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    let mut m = n.unsigned_abs();
    while m >= 100 {
        let pair = (m % 100) as usize * 2;
        m /= 100;
        i -= 2;
        digits[i..i + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    }
    if m >= 10 {
        let pair = m as usize * 2;
        i -= 2;
        digits[i..i + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    } else {
        i -= 1;
        digits[i] = b'0' + m as u8;
    }
    if n < 0 {
        i -= 1;
        digits[i] = b'-';
    }
    out.extend_from_slice(&digits[i..]);
}

/// Appends a number as [`Number`] serializes it.
fn push_number(out: &mut Vec<u8>, x: f64) {
    if x.fract() == 0.0 && x.abs() < 9.0e15 {
        push_integer(out, x as i64);
    } else {
        let _ = serde_json::to_writer(&mut *out, &Number(x));
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
                let from = entries.partition_point(|&(t, _)| t <= start);
                (from, entries.partition_point(|&(t, _)| t <= now).max(from))
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

    /// This state in its JSON form `[clock, accumulator, ...]`, for a serializer.
    #[cfg(test)]
    pub fn encoded<'a>(&'a self, modes: &'a [Mode]) -> EncodedState<'a> {
        EncodedState { state: self, modes }
    }

    /// Writes the JSON text of the entry `{checksum: [clock, accumulator, ...]}` without
    /// building a `Value`. `copied` gives, for accumulators that did not change since they were
    /// read, their text as it came (only ever canonical text, identical to what would be written).
    pub fn write_entry(
        &self,
        out: &mut Vec<u8>,
        checksum: &str,
        modes: &[Mode],
        copied: Option<(&str, &[Option<Source>])>,
    ) {
        out.push(b'{');
        // A checksum is plain ASCII; serde_json escapes it like any key if it ever is not.
        let _ = serde_json::to_writer(&mut *out, checksum);
        out.extend_from_slice(b":[");
        match self.clock {
            Some(t) => push_integer(out, t),
            None => out.extend_from_slice(b"null"),
        }
        for (l, (accumulator, &mode)) in self.accumulators.iter().zip(modes).enumerate() {
            out.push(b',');
            match copied.and_then(|(text, sources)| Some((text, sources.get(l)?.as_ref()?))) {
                Some((text, source)) => accumulator.write_from(out, mode, text, source),
                None => accumulator.write(out, mode),
            }
        }
        out.extend_from_slice(b"]}");
    }

    #[cfg(test)]
    pub fn encode(&self, modes: &[Mode]) -> Value {
        serde_json::to_value(self.encoded(modes)).unwrap_or(Value::Null)
    }

    /// Why `value` is not a state for these clauses, if it is not.
    #[cfg(test)]
    pub fn decode(value: &Value, modes: &[Mode]) -> Result<CohortState, String> {
        StateSeed(modes)
            .deserialize(value)
            .unwrap_or_else(|e| Err(e.to_string()))
    }
}

// ---------------------------------------------------------------------------------------------
// Writing: `Serialize` views, so that serde_json formats the numbers (exactly as a `Value` of
// `number_value` would be written) straight into the output text.
// ---------------------------------------------------------------------------------------------

/// A number as `compare::number_value` writes it: an integer when it is one, `null` when not finite.
struct Number(f64);

impl Serialize for Number {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let x = self.0;
        if x.fract() == 0.0 && x.abs() < 9.0e15 {
            s.serialize_i64(x as i64)
        } else if x.is_finite() {
            s.serialize_f64(x)
        } else {
            s.serialize_unit()
        }
    }
}

#[cfg(test)]
pub(crate) struct EncodedAccumulator<'a> {
    accumulator: &'a Accumulator,
    mode: Mode,
}

#[cfg(test)]
impl Serialize for EncodedAccumulator<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.accumulator {
            Accumulator::Total(total) => {
                let mut seq = s.serialize_seq(Some(2))?;
                seq.serialize_element("p")?;
                seq.serialize_element(&Number(*total))?;
                seq.end()
            }
            Accumulator::Max(max) => {
                let mut seq = s.serialize_seq(Some(2))?;
                seq.serialize_element("v")?;
                match max {
                    Some(x) => seq.serialize_element(&Number(*x))?,
                    None => seq.serialize_element(&())?,
                }
                seq.end()
            }
            Accumulator::Windowed(entries) => {
                let tag = if matches!(self.mode, Mode::WindowedMax { .. }) {
                    "wv"
                } else if matches!(self.mode, Mode::Views { .. }) {
                    "wd"
                } else if matches!(self.mode, Mode::CurrentView { .. }) {
                    "cv"
                } else if matches!(self.mode, Mode::Session { .. }) {
                    "s"
                } else {
                    "wp"
                };
                let mut seq = s.serialize_seq(Some(1 + 2 * entries.len()))?;
                seq.serialize_element(tag)?;
                for &(t, v) in entries {
                    seq.serialize_element(&t)?;
                    seq.serialize_element(&Number(v))?;
                }
                seq.end()
            }
        }
    }
}

#[cfg(test)]
pub(crate) struct EncodedState<'a> {
    state: &'a CohortState,
    modes: &'a [Mode],
}

#[cfg(test)]
impl Serialize for EncodedState<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(1 + self.modes.len()))?;
        seq.serialize_element(&self.state.clock)?;
        for (accumulator, &mode) in self.state.accumulators.iter().zip(self.modes) {
            seq.serialize_element(&accumulator.encoded(mode))?;
        }
        seq.end()
    }
}

// ---------------------------------------------------------------------------------------------
// Reading: typed visitors over any serde deserializer (JSON text or a `Value`), so that a state
// entry never becomes a `Value` tree. Nothing in the input is an error: whatever is not the
// expected shape is consumed and reported as a reason (the deserializer itself only fails on
// input that is not JSON at all).
// ---------------------------------------------------------------------------------------------

/// What a `{checksum: state}` entry held.
#[derive(Debug)]
pub(crate) enum EntryRead {
    /// Not an object.
    NotObject,
    Object {
        /// Other keys (earlier checksums), in order of first appearance.
        dropped: Vec<String>,
        /// How many of those came before the current checksum first did.
        current_at: usize,
        /// The state under the current checksum (the last one, if repeated).
        current: Option<Result<CohortState, String>>,
    },
}

impl EntryRead {
    /// Reads an entry from JSON text.
    #[cfg(test)]
    pub fn from_text(raw: &RawValue, checksum: &str, modes: &[Mode]) -> EntryRead {
        EntryRead::from_text_with_spans(raw, checksum, modes, &mut Vec::new())
    }

    /// Reads an entry from JSON text; also appends to `spans`, for each accumulator, where its
    /// text is if it is exactly what [`CohortState::write_entry`] would write for it.
    pub fn from_text_with_spans(
        raw: &RawValue,
        checksum: &str,
        modes: &[Mode],
        spans: &mut Vec<Option<Source>>,
    ) -> EntryRead {
        let start = spans.len();
        if let Some(state) = Scanner::read_entry(raw.get(), checksum, modes, spans) {
            // The one key is the current checksum, and its state is fine: nothing to say.
            return EntryRead::Object {
                dropped: Vec::new(),
                current_at: 0,
                current: Some(Ok(state)),
            };
        }
        spans.truncate(start);
        spans.resize(start + modes.len(), None);
        let mut de = serde_json::Deserializer::from_str(raw.get());
        EntrySeed { checksum, modes }
            .deserialize(&mut de)
            .unwrap_or(EntryRead::NotObject)
    }

    /// Reads an entry from a parsed value.
    pub fn from_value(value: &Value, checksum: &str, modes: &[Mode]) -> EntryRead {
        EntrySeed { checksum, modes }
            .deserialize(value)
            .unwrap_or(EntryRead::NotObject)
    }
}

/// The fast path of reading an entry: compact text of the shape this engine writes, for the
/// current checksum, read byte by byte. Anything else (whitespace, another key, an escape, a
/// malformed state, a number that is not plainly an integer or a float) gives `None`, and the
/// entry is read by the general visitors, which decide the same and say what is wrong.
struct Scanner<'a> {
    bytes: &'a [u8],
    text: &'a str,
    pos: usize,
    /// Every number of the current accumulator was written as `Number` would write it.
    canonical: bool,
}

impl<'a> Scanner<'a> {
    /// The state under `checksum`, with a span per accumulator appended to `spans` (some may
    /// have been appended when it gives `None`).
    fn read_entry(
        text: &str,
        checksum: &str,
        modes: &[Mode],
        spans: &mut Vec<Option<Source>>,
    ) -> Option<CohortState> {
        let mut s = Scanner {
            bytes: text.as_bytes(),
            text,
            pos: 0,
            canonical: true,
        };
        s.expect(b'{')?;
        if s.string()? != checksum.as_bytes() {
            return None;
        }
        s.expect(b':')?;
        let state = s.state(modes, spans)?;
        s.expect(b'}')?;
        (s.pos == s.bytes.len()).then_some(state)
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.pos += 1)
    }

    fn eat_null(&mut self) -> bool {
        let found = self.bytes.get(self.pos..self.pos + 4) == Some(b"null");
        if found {
            self.pos += 4;
        }
        found
    }

    /// A string without escapes, as bytes.
    fn string(&mut self) -> Option<&'a [u8]> {
        self.expect(b'"')?;
        let start = self.pos;
        let len = self.bytes[start..].iter().position(|&b| b == b'"')?;
        let content = &self.bytes[start..start + len];
        if content.iter().any(|&b| b == b'\\' || b < 0x20) {
            return None;
        }
        self.pos = start + len + 1;
        Some(content)
    }

    /// An integer as serde_json reads one into an `i64` (not `-0`, which it reads as a float).
    fn integer(&mut self) -> Option<i64> {
        let negative = self.peek() == Some(b'-');
        let start = self.pos + usize::from(negative);
        let (digits, magnitude) = leading_digits(self.bytes.get(start..)?);
        // No leading zeros (not JSON), at most 18 digits (no overflow), and not a float.
        if digits == 0 || digits > 18 || (digits > 1 && self.bytes[start] == b'0') {
            return None;
        }
        self.pos = start + digits;
        if matches!(self.peek(), Some(b'.' | b'e' | b'E')) {
            return None;
        }
        match (negative, magnitude as i64) {
            (true, 0) => None,
            (true, n) => Some(-n),
            (false, n) => Some(n),
        }
    }

    /// The pair most windows hold, a 13-digit time (years 2001 to 2286) and a one-digit
    /// count, `1767225600000,1`, read as [`Scanner::integer`] and [`Scanner::number`] would read
    /// it (the value is canonical), in a few operations. `None`: read it the general way.
    fn common_pair(&mut self) -> Option<(i64, f64)> {
        let bytes: &[u8; 16] = self.bytes.get(self.pos..self.pos + 16)?.try_into().ok()?;
        let head = u64::from_le_bytes(bytes[..8].try_into().ok()?);
        // The time's last five digits, moved to the top bytes with zeros below them.
        let tail = (u64::from_le_bytes(bytes[8..].try_into().ok()?) << 24) | (ASCII_ZEROS >> 40);
        if non_digits(head) | non_digits(tail) != 0
            || bytes[0] == b'0'
            || bytes[13] != b','
            || !bytes[14].is_ascii_digit()
            || !matches!(bytes[15], b',' | b']')
        {
            return None;
        }
        let time = eight_digits_value(head) * 100_000 + eight_digits_value(tail);
        self.pos += 15;
        Some((time as i64, f64::from(bytes[14] - b'0')))
    }

    /// A finite number, read exactly as serde_json reads it.
    fn number(&mut self) -> Option<f64> {
        let start = self.pos;
        if let Some(n) = self.integer() {
            // `Number` writes integers from 9e15 on as floats.
            self.canonical &= (n as f64).abs() < 9.0e15;
            return Some(n as f64);
        }
        self.pos = start;
        // A float could be written differently from how `Number` writes it: never copied.
        self.canonical = false;
        let len = self.bytes[start..]
            .iter()
            .take_while(|b| matches!(b, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'))
            .count();
        self.pos += len;
        let text = &self.text[start..self.pos];
        if let Some(x) = plain_decimal(text.as_bytes()) {
            return Some(x);
        }
        serde_json::from_str::<f64>(text)
            .ok()
            .filter(|x| x.is_finite())
    }

    fn state(&mut self, modes: &[Mode], spans: &mut Vec<Option<Source>>) -> Option<CohortState> {
        self.expect(b'[')?;
        let clock = if self.eat_null() {
            None
        } else {
            Some(self.integer()?)
        };
        let mut accumulators = Vec::with_capacity(modes.len());
        for &mode in modes {
            self.expect(b',')?;
            let start = self.pos;
            self.canonical = true;
            let accumulator = self.accumulator(mode)?;
            let pairs = match &accumulator {
                Accumulator::Windowed(entries) => entries.len(),
                _ => 0,
            };
            spans.push(self.canonical.then_some(Source {
                range: start..self.pos,
                pairs,
                dropped: 0,
            }));
            accumulators.push(accumulator);
        }
        self.expect(b']')?;
        Some(CohortState {
            clock,
            accumulators,
        })
    }

    fn accumulator(&mut self, mode: Mode) -> Option<Accumulator> {
        self.expect(b'[')?;
        let tag = self.string()?;
        let accumulator = match (mode, tag) {
            (Mode::Total, b"p") => {
                self.expect(b',')?;
                Accumulator::Total(self.number()?)
            }
            (Mode::Max, b"v") => {
                self.expect(b',')?;
                Accumulator::Max(if self.eat_null() {
                    None
                } else {
                    Some(self.number()?)
                })
            }
            (Mode::WindowedTotal { .. }, b"wp")
            | (Mode::WindowedMax { .. }, b"wv")
            | (Mode::Views { .. }, b"wd")
            | (Mode::CurrentView { .. }, b"cv")
            | (Mode::Session { .. }, b"s") => {
                // Pairs are numbers: the first `]` ends them. A pair takes 12 bytes or more, and
                // the request may add a few.
                let len = find_byte(&self.bytes[self.pos..], b']')?;
                let mut pairs: Vec<(i64, f64)> = Vec::with_capacity(len / 12 + 4);
                let maximum = matches!(mode, Mode::WindowedMax { .. });
                // Views are always put in order again (a key may repeat): never copied.
                let mut canonical = !matches!(
                    mode,
                    Mode::Views { .. } | Mode::CurrentView { .. } | Mode::Session { .. }
                );
                while self.peek()? == b',' {
                    self.pos += 1;
                    let (time, x) = match self.common_pair() {
                        Some(pair) => pair,
                        None => {
                            let time = self.integer()?;
                            self.expect(b',')?;
                            (time, self.number()?)
                        }
                    };
                    // Written entries are sorted by time, one per time, none dominated (for a
                    // maximum, values strictly decrease): then `add` would keep every pair as
                    // it came, and the text is what would be written.
                    canonical &= pairs
                        .last()
                        .is_none_or(|&(t, v)| t < time && (!maximum || v > x));
                    pairs.push((time, x));
                }
                self.canonical &= canonical;
                if canonical {
                    Accumulator::Windowed(pairs)
                } else {
                    Accumulator::from_pairs(mode, pairs)
                }
            }
            _ => return None,
        };
        self.expect(b']')?;
        Some(accumulator)
    }
}

/// Where `needle` first is in `haystack`, eight bytes at a time (a byte-by-byte search was most
/// of the time spent reading a windowed accumulator).
fn find_byte(haystack: &[u8], needle: u8) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let pattern = ONES * u64::from(needle);
    let mut chunks = haystack.chunks_exact(8);
    let mut at = 0;
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let v = u64::from_le_bytes(word) ^ pattern;
        // The lowest byte that is zero sets the lowest flagged bit (bytes after it may be
        // flagged too, never bytes before it).
        let zero = v.wrapping_sub(ONES) & !v & HIGHS;
        if zero != 0 {
            return Some(at + (zero.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    let rest = chunks.remainder();
    rest.iter().position(|&b| b == needle).map(|i| at + i)
}

const ASCII_ZEROS: u64 = 0x3030_3030_3030_3030;

/// Which of eight bytes (little-endian in `v`) are not ASCII digits: a non-zero byte in the
/// result for each. Only exact up to the first non-digit (a carry may spill past it), which is
/// all the callers look at.
fn non_digits(v: u64) -> u64 {
    // A digit's high nibble is 3, and adding 6 keeps it 3.
    const HIGH_NIBBLES: u64 = 0xF0F0_F0F0_F0F0_F0F0;
    ((v & HIGH_NIBBLES) ^ ASCII_ZEROS)
        | ((v.wrapping_add(0x0606_0606_0606_0606) & HIGH_NIBBLES) ^ ASCII_ZEROS)
}

/// The value of eight ASCII digits in `v` (the first, most significant, in the lowest byte).
fn eight_digits_value(v: u64) -> u64 {
    // Pairs, then quads, then the eight.
    let d = v.wrapping_sub(ASCII_ZEROS);
    let pairs = (d.wrapping_mul(10) + (d >> 8)) & 0x00FF_00FF_00FF_00FF;
    let quads = (pairs.wrapping_mul(100) + (pairs >> 16)) & 0x0000_FFFF_0000_FFFF;
    (quads.wrapping_mul(10_000) + (quads >> 32)) & 0xFFFF_FFFF
}

/// The value of eight ASCII digits (the first is the most significant), or `None` if any byte
/// is not a digit.
#[cfg(test)]
fn eight_digits(chunk: &[u8]) -> Option<u64> {
    let v = u64::from_le_bytes(chunk.try_into().ok()?);
    (non_digits(v) == 0).then(|| eight_digits_value(v))
}

/// How many ASCII digits `bytes` starts with, and their value (wrapping past 19 digits; the
/// callers refuse more than 18). Eight bytes at a time: a state's times have 13 digits, and
/// reading them byte by byte was most of the time spent decoding a state.
fn leading_digits(bytes: &[u8]) -> (usize, u64) {
    const POWERS_OF_TEN: [u64; 8] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000];
    let mut value = 0u64;
    let mut at = 0;
    while let Some(chunk) = bytes.get(at..at + 8) {
        let v = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
        let flags = non_digits(v);
        if flags == 0 {
            value = value
                .wrapping_mul(100_000_000)
                .wrapping_add(eight_digits_value(v));
            at += 8;
            continue;
        }
        let n = (flags.trailing_zeros() / 8) as usize;
        if n > 0 {
            // The `n` digits moved to the top bytes, zeros below them: the same value.
            let shifted = (v << (8 * (8 - n))) | (ASCII_ZEROS >> (8 * n));
            value = value
                .wrapping_mul(POWERS_OF_TEN[n])
                .wrapping_add(eight_digits_value(shifted));
        }
        return (at + n, value);
    }
    // Fewer than eight bytes left.
    for &b in &bytes[at..] {
        if !b.is_ascii_digit() {
            break;
        }
        value = value.wrapping_mul(10).wrapping_add(u64::from(b - b'0'));
        at += 1;
    }
    (at, value)
}

/// `-?digits.digits` with at most 15 digits in all, read as serde_json reads it: the digits as
/// an integer (exact in an f64) divided by a power of ten (exact up to 1e22) is the correctly
/// rounded value, which is what serde_json computes for such numbers (with or without its
/// `float_roundtrip` feature). `None`: any other form, left to serde_json.
fn plain_decimal(text: &[u8]) -> Option<f64> {
    const POW10: [f64; 16] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    ];
    let (negative, unsigned) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    let (whole, fraction) = match unsigned.iter().position(|&b| b == b'.') {
        Some(dot) => (&unsigned[..dot], &unsigned[dot + 1..]),
        None => return None,
    };
    let digits = whole.len() + fraction.len();
    if whole.is_empty()
        || fraction.is_empty()
        || digits > 15
        || (whole.len() > 1 && whole[0] == b'0')
        || !whole.iter().chain(fraction).all(u8::is_ascii_digit)
    {
        return None;
    }
    let significand = whole
        .iter()
        .chain(fraction)
        .fold(0u64, |n, &b| n * 10 + u64::from(b - b'0'));
    let x = significand as f64 / POW10[fraction.len()];
    Some(if negative { -x } else { x })
}

struct EntrySeed<'a> {
    checksum: &'a str,
    modes: &'a [Mode],
}

impl<'de> DeserializeSeed<'de> for EntrySeed<'_> {
    type Value = EntryRead;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<EntryRead, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for EntrySeed<'_> {
    type Value = EntryRead;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object {checksum: state}")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<EntryRead, A::Error> {
        let mut dropped: Vec<String> = Vec::new();
        let mut current_at = None;
        let mut current = None;
        while let Some(key) = map.next_key::<Key<'de>>()? {
            if key.0 == self.checksum {
                current = Some(map.next_value_seed(StateSeed(self.modes))?);
                current_at.get_or_insert(dropped.len());
            } else {
                map.next_value::<IgnoredAny>()?;
                if !dropped.iter().any(|k| *k == key.0) {
                    dropped.push(key.0.into_owned());
                }
            }
        }
        Ok(EntryRead::Object {
            current_at: current_at.unwrap_or(dropped.len()),
            dropped,
            current,
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<EntryRead, A::Error> {
        IgnoredAny.visit_seq(seq)?;
        Ok(EntryRead::NotObject)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<EntryRead, E> {
        Ok(EntryRead::NotObject)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<EntryRead, E> {
        Ok(EntryRead::NotObject)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<EntryRead, E> {
        Ok(EntryRead::NotObject)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<EntryRead, E> {
        Ok(EntryRead::NotObject)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<EntryRead, E> {
        Ok(EntryRead::NotObject)
    }
    fn visit_unit<E: de::Error>(self) -> Result<EntryRead, E> {
        Ok(EntryRead::NotObject)
    }
    fn visit_none<E: de::Error>(self) -> Result<EntryRead, E> {
        Ok(EntryRead::NotObject)
    }
}

const NOT_A_STATE: &str = "expected [clock, accumulator, ...]";

/// `[clock, accumulator, ...]` for these clauses, or why not.
struct StateSeed<'a>(&'a [Mode]);

impl<'de> DeserializeSeed<'de> for StateSeed<'_> {
    type Value = Result<CohortState, String>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StateSeed<'_> {
    type Value = Result<CohortState, String>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(NOT_A_STATE)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let modes = self.0;
        let clock = match seq.next_element::<Item>()? {
            None => return Ok(Err(format!("{NOT_A_STATE}, found []"))),
            Some(Item::Null) => None,
            Some(Item::Number { int: Some(t), .. }) => Some(t),
            Some(_) => {
                IgnoredAny.visit_seq(seq)?;
                return Ok(Err("the clock is not an integer time".to_string()));
            }
        };
        let mut accumulators = Vec::with_capacity(modes.len());
        let mut malformed = None;
        let mut found = 0;
        loop {
            if let Some(&mode) = modes.get(found) {
                match seq.next_element_seed(AccumulatorSeed(mode))? {
                    None => break,
                    Some(Some(accumulator)) => accumulators.push(accumulator),
                    Some(None) => {
                        malformed.get_or_insert(found);
                    }
                }
            } else if seq.next_element::<IgnoredAny>()?.is_none() {
                break;
            }
            found += 1;
        }
        if found != modes.len() {
            return Ok(Err(format!(
                "expected {} accumulators, found {found}",
                modes.len()
            )));
        }
        if let Some(i) = malformed {
            return Ok(Err(format!("accumulator {i} is malformed")));
        }
        Ok(Ok(CohortState {
            clock,
            accumulators,
        }))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        IgnoredAny.visit_map(map)?;
        Ok(Err(NOT_A_STATE.to_string()))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Err(NOT_A_STATE.to_string()))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Err(NOT_A_STATE.to_string()))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Err(NOT_A_STATE.to_string()))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Err(NOT_A_STATE.to_string()))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Err(NOT_A_STATE.to_string()))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Err(NOT_A_STATE.to_string()))
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Err(NOT_A_STATE.to_string()))
    }
}

/// One accumulator for `mode`, or `None` if the value is anything else.
struct AccumulatorSeed(Mode);

impl<'de> DeserializeSeed<'de> for AccumulatorSeed {
    type Value = Option<Accumulator>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for AccumulatorSeed {
    type Value = Option<Accumulator>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an accumulator")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mode = self.0;
        let tag = match seq.next_element::<Item>()? {
            None => return Ok(None),
            Some(Item::Tag(tag)) => tag,
            Some(_) => {
                IgnoredAny.visit_seq(seq)?;
                return Ok(None);
            }
        };
        match (mode, tag) {
            (Mode::Total, Tag::P) | (Mode::Max, Tag::V) => {
                let first = seq.next_element::<Item>()?;
                let rest = seq.next_element::<IgnoredAny>()?;
                if rest.is_some() {
                    IgnoredAny.visit_seq(seq)?;
                    return Ok(None);
                }
                Ok(match (mode, first) {
                    (Mode::Total, Some(Item::Number { x, .. })) if x.is_finite() => {
                        Some(Accumulator::Total(x))
                    }
                    (Mode::Max, Some(Item::Null)) => Some(Accumulator::Max(None)),
                    (Mode::Max, Some(Item::Number { x, .. })) if x.is_finite() => {
                        Some(Accumulator::Max(Some(x)))
                    }
                    _ => None,
                })
            }
            (Mode::WindowedTotal { .. }, Tag::Wp)
            | (Mode::WindowedMax { .. }, Tag::Wv)
            | (Mode::Views { .. }, Tag::Wd)
            | (Mode::CurrentView { .. }, Tag::Cv)
            | (Mode::Session { .. }, Tag::S) => {
                let mut pairs = Vec::new();
                let mut well_formed = true;
                let mut time = None;
                while let Some(item) = seq.next_element::<Item>()? {
                    if !well_formed {
                        continue;
                    }
                    match (time.take(), item) {
                        (None, Item::Number { int: Some(t), .. }) => time = Some(t),
                        (Some(t), Item::Number { x, .. }) if x.is_finite() => pairs.push((t, x)),
                        _ => well_formed = false,
                    }
                }
                // Sorted and merged as `add` would, whatever the input order, in O(n log n).
                Ok((well_formed && time.is_none()).then(|| Accumulator::from_pairs(mode, pairs)))
            }
            _ => {
                IgnoredAny.visit_seq(seq)?;
                Ok(None)
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        IgnoredAny.visit_map(map)?;
        Ok(None)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Tag {
    P,
    V,
    Wp,
    Wv,
    Wd,
    Cv,
    S,
}

/// One element of a state: a scalar the format uses, or anything else (consumed, unread).
enum Item {
    Null,
    /// `int` when the number is an integer that fits an `i64` (as `Value::as_i64` reads it).
    Number {
        x: f64,
        int: Option<i64>,
    },
    Tag(Tag),
    Other,
}

impl<'de> Deserialize<'de> for Item {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Item, D::Error> {
        d.deserialize_any(ItemVisitor)
    }
}

struct ItemVisitor;

impl<'de> Visitor<'de> for ItemVisitor {
    type Value = Item;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Item, E> {
        Ok(Item::Other)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Item, E> {
        Ok(Item::Number {
            x: v as f64,
            int: Some(v),
        })
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Item, E> {
        Ok(Item::Number {
            x: v as f64,
            int: i64::try_from(v).ok(),
        })
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Item, E> {
        Ok(Item::Number { x: v, int: None })
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Item, E> {
        Ok(match v {
            "p" => Item::Tag(Tag::P),
            "v" => Item::Tag(Tag::V),
            "wp" => Item::Tag(Tag::Wp),
            "wv" => Item::Tag(Tag::Wv),
            "wd" => Item::Tag(Tag::Wd),
            "cv" => Item::Tag(Tag::Cv),
            "s" => Item::Tag(Tag::S),
            _ => Item::Other,
        })
    }
    fn visit_unit<E: de::Error>(self) -> Result<Item, E> {
        Ok(Item::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Item, E> {
        Ok(Item::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Item, A::Error> {
        IgnoredAny.visit_seq(seq)?;
        Ok(Item::Other)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Item, A::Error> {
        IgnoredAny.visit_map(map)?;
        Ok(Item::Other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const WINDOW: Mode = Mode::WindowedTotal { span_ms: 100 };

    /// The fast reader's state and spans.
    fn read_fast(
        text: &str,
        checksum: &str,
        modes: &[Mode],
    ) -> Option<(CohortState, Vec<Option<Source>>)> {
        let mut spans = Vec::new();
        let state = Scanner::read_entry(text, checksum, modes, &mut spans)?;
        assert_eq!(spans.len(), modes.len());
        Some((state, spans))
    }
    const WINDOW_MAX: Mode = Mode::WindowedMax { span_ms: 100 };

    #[test]
    fn windowed_totals_merge_equal_times_and_prune_by_clock() {
        let mut acc = Accumulator::empty(WINDOW);
        for t in [50, 10, 50, 120] {
            acc.add(WINDOW, t, 1.0);
        }
        assert_eq!(
            acc,
            Accumulator::Windowed(vec![(10, 1.0), (50, 2.0), (120, 1.0)])
        );
        assert_eq!(acc.value(WINDOW, Some(120)), Some(3.0));
        assert_eq!(
            acc.value(WINDOW, Some(150)),
            Some(1.0),
            "boundary 50 is excluded"
        );
        acc.prune(WINDOW, Some(150));
        assert_eq!(acc.encode(WINDOW), json!(["wp", 120, 1]));
    }

    #[test]
    fn a_running_window_sum_is_the_sum_of_the_window() {
        let mut acc = Accumulator::empty(WINDOW);
        let mut running = WindowSum::default();
        for (t, x) in [
            (10, 0.1),
            (20, 0.2),
            (30, 0.3),
            (40, 1e16),
            (50, 1.0),
            (60, -1e16),
        ] {
            let intact = acc.add(WINDOW, t, x);
            running.valid &= intact;
            let Accumulator::Windowed(entries) = &acc else {
                panic!("windowed");
            };
            let summed = acc.value(WINDOW, Some(t)).map(f64::to_bits);
            assert_eq!(Some(running.total(entries, 100, Some(t)).to_bits()), summed);
        }
        // The window moves on: the earliest entries leave it, the sum starts again.
        let now = Some(125);
        if acc.prune(WINDOW, now) > 0 {
            running.valid = false;
        }
        let Accumulator::Windowed(entries) = &acc else {
            panic!("windowed");
        };
        assert_eq!(
            Some(running.total(entries, 100, now).to_bits()),
            acc.value(WINDOW, now).map(f64::to_bits)
        );
    }

    #[test]
    fn windowed_max_keeps_only_undominated_entries() {
        let mut acc = Accumulator::empty(WINDOW_MAX);
        for (t, x) in [(10, 0.5), (20, 0.9), (30, 0.4), (15, 0.2), (40, 0.4)] {
            acc.add(WINDOW_MAX, t, x);
        }
        assert_eq!(acc, Accumulator::Windowed(vec![(20, 0.9), (40, 0.4)]));
        assert_eq!(acc.value(WINDOW_MAX, Some(119)), Some(0.9));
        assert_eq!(acc.value(WINDOW_MAX, Some(120)), Some(0.4));
        assert_eq!(acc.value(WINDOW_MAX, Some(141)), None);
    }

    #[test]
    fn state_round_trips_and_rejects_garbage() {
        let modes = [Mode::Total, Mode::Max, WINDOW];
        let mut state = CohortState::empty(&modes);
        state.clock = Some(120);
        state.accumulators[0].add(Mode::Total, 1, 2.0);
        state.accumulators[2].add(WINDOW, 100, 1.0);
        let text = state.encode(&modes).to_string();
        assert_eq!(text, r#"[120,["p",2],["v",null],["wp",100,1]]"#);
        let back: Value = serde_json::from_str(&text).expect("json");
        assert_eq!(CohortState::decode(&back, &modes), Ok(state));
        for garbage in [
            json!(null),
            json!([]),
            json!([1]),
            json!([1.5, ["p", 1], ["v", 1], ["wp"]]),
            json!([1, ["p", "1"], ["v", 1], ["wp"]]),
            json!([1, ["p", 1], ["v", 1], ["wp", 1]]),
        ] {
            assert!(CohortState::decode(&garbage, &modes).is_err(), "{garbage}");
        }
    }

    fn read_both(text: &str, checksum: &str, modes: &[Mode]) -> String {
        let raw = RawValue::from_string(text.to_string()).expect("json");
        let value: Value = serde_json::from_str(text).expect("json");
        let from_text = format!("{:?}", EntryRead::from_text(&raw, checksum, modes));
        let from_value = format!("{:?}", EntryRead::from_value(&value, checksum, modes));
        assert_eq!(from_text, from_value, "{text}");
        from_text
    }

    #[test]
    fn entries_read_the_same_from_text_and_values() {
        let modes = [Mode::Total, WINDOW_MAX];
        let state = r#"[120,["p",2.5],["wv",100,0.5,110,0.25]]"#;
        for text in [
            format!(r#"{{"abc":{state}}}"#),
            format!(r#"{{"old":[1],"abc":{state},"old":{{"x":[]}}}}"#),
            format!(r#"{{"abc":[1],"abc":{state}}}"#),
            r#"{"abc":[1.0,["p",1],["wv"]]}"#.to_string(),
            r#"{"abc":[1,["p",1],["wv",1]]}"#.to_string(),
            r#"{"abc":[1,["p",1],["wv"],[]]}"#.to_string(),
            r#"{"abc":[1,{"p":1},["wp"]]}"#.to_string(),
            r#"{"abc":[18446744073709551615,["p",1],["wv"]]}"#.to_string(),
            r#"{"abc":[]}"#.to_string(),
            r#"{"abc":{"a":[1,2]}}"#.to_string(),
            r#"[{"abc":[1]}]"#.to_string(),
            r#""abc""#.to_string(),
            "null".to_string(),
        ] {
            read_both(&text, "abc", &modes);
        }
        let duplicated = read_both(
            &format!(r#"{{"old":[1],"abc":[1],"old":2,"abc":{state}}}"#),
            "abc",
            &modes,
        );
        assert!(
            duplicated
                .starts_with(r#"Object { dropped: ["old"], current_at: 1, current: Some(Ok("#),
            "{duplicated}"
        );
    }

    #[test]
    fn the_fast_path_reads_what_the_visitors_read() {
        let modes = [Mode::Total, Mode::Max, WINDOW, WINDOW_MAX];
        for text in [
            r#"{"k":[5,["p",2],["v",null],["wp",1,2,3,4.5],["wv",1,0.5,2,0.25]]}"#,
            r#"{"k":[null,["p",-2.5e3],["v",1E2],["wp"],["wv",3,1,1,2]]}"#,
            r#"{"k":[5,["p",123456789012345678],["v",0],["wp",-1,0],["wv"]]}"#,
            r#"{"k":[5,["p",12345678901234567890123],["v",-0],["wp"],["wv"]]}"#,
        ] {
            let (fast, _) = read_fast(text, "k", &modes).expect(text);
            let value: Value = serde_json::from_str(text).expect("json");
            match EntryRead::from_value(&value, "k", &modes) {
                EntryRead::Object {
                    current: Some(Ok(state)),
                    ..
                } => assert_eq!(fast, state, "{text}"),
                other => panic!("{text}: {other:?}"),
            }
        }
        for text in [
            r#"{"k": [5,["p",2],["v",null],["wp"],["wv"]]}"#,
            r#"{"j":[5,["p",2],["v",null],["wp"],["wv"]]}"#,
            r#"{"k":[5,["p",2],["v",null],["wp"],["wv"]],"j":1}"#,
            r#"{"k":[-0,["p",2],["v",null],["wp"],["wv"]]}"#,
            r#"{"k":[5.0,["p",2],["v",null],["wp"],["wv"]]}"#,
            r#"{"k":[5,["p",2],["v",null],["wp",1],["wv"]]}"#,
            r#"{"k":[5,["p",2],["v",null],["wp",1.5,1],["wv"]]}"#,
            r#"{"k":[5,["p",2],["v",null],["wv"],["wp"]]}"#,
            r#"{"k":[5,["p",2],["v",null],["wp"]]}"#,
            r#"{"k":[5,["p",2],["v",null],["wp"],["wv"],1]}"#,
            r#"{"k":[5,["p",1e999],["v",null],["wp"],["wv"]]}"#,
        ] {
            assert_eq!(read_fast(text, "k", &modes).map(|r| r.0), None, "{text}");
        }
    }

    fn number_text() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        prop_oneof![
            any::<i64>().prop_map(|n| n.to_string()),
            (-100i64..100).prop_map(|n| n.to_string()),
            any::<f64>().prop_map(|x| x.to_string()),
            any::<f64>().prop_map(|x| format!("{x:e}")),
            any::<f64>().prop_map(|x| format!("{x:E}")),
            prop::sample::select(vec![
                "-0", "0.0", "1e400", "-1e-400", "00", "1.", "null", "\"p\""
            ])
            .prop_map(str::to_string),
        ]
    }

    proptest::proptest! {
        #[test]
        fn the_fast_path_agrees_with_the_visitors(
            clock in number_text(),
            p in number_text(),
            v in number_text(),
            wp in proptest::collection::vec((number_text(), number_text()), 0..4),
            wv in proptest::collection::vec((number_text(), number_text()), 0..4),
            adds in proptest::collection::vec((0usize..4, -3i64..8, 0u8..3), 0..4),
            now in proptest::option::of(-3i64..120),
        ) {
            let modes = [Mode::Total, Mode::Max, WINDOW, WINDOW_MAX];
            let pairs = |items: &[(String, String)]| {
                items.iter().map(|(t, x)| format!(",{t},{x}")).collect::<String>()
            };
            let text = format!(
                r#"{{"k":[{clock},["p",{p}],["v",{v}],["wp"{}],["wv"{}]]}}"#,
                pairs(&wp),
                pairs(&wv)
            );
            let Ok(value) = serde_json::from_str::<Value>(&text) else {
                return Ok(());
            };
            if let Some((fast, spans)) = read_fast(&text, "k", &modes) {
                match EntryRead::from_value(&value, "k", &modes) {
                    EntryRead::Object { current: Some(Ok(state)), .. } => {
                        // Copied text is what would have been written.
                        let mut copied = Vec::new();
                        state.write_entry(&mut copied, "k", &modes, Some((&text, &spans)));
                        let mut written = Vec::new();
                        state.write_entry(&mut written, "k", &modes, None);
                        proptest::prop_assert_eq!(&copied, &written);
                        let expected = serde_json::json!({"k": state.encode(&modes)}).to_string();
                        proptest::prop_assert_eq!(String::from_utf8(written).unwrap(), expected);
                        proptest::prop_assert_eq!(&fast, &state, "{}", text);
                        // Then events come and the clock moves, as in `evaluate`: what is
                        // copied through is still exactly what would be written.
                        let mut state = state;
                        let mut sources = spans.clone();
                        let mut intact = vec![true; modes.len()];
                        for &(l, t, x) in &adds {
                            intact[l] &= state.accumulators[l].add(modes[l], t, f64::from(x));
                        }
                        for (l, accumulator) in state.accumulators.iter_mut().enumerate() {
                            let dropped = accumulator.prune(modes[l], now);
                            match &mut sources[l] {
                                Some(s) if intact[l] => s.dropped += dropped,
                                other => *other = None,
                            }
                        }
                        let mut copied = Vec::new();
                        state.write_entry(&mut copied, "k", &modes, Some((&text, &sources)));
                        let mut written = Vec::new();
                        state.write_entry(&mut written, "k", &modes, None);
                        proptest::prop_assert_eq!(
                            String::from_utf8(copied).unwrap(),
                            String::from_utf8(written).unwrap(),
                            "{} {:?} {:?}", text, adds, now
                        );
                    }
                    other => proptest::prop_assert!(false, "{}: {:?}", text, other),
                }
            }
        }
    }

    #[test]
    fn windowed_text_is_copied_around_pruned_and_appended_pairs() {
        let modes = [WINDOW, WINDOW_MAX, Mode::Total];
        let text = r#"{"k":[60,["wp",10,1,20,2,60,3],["wv",20,9,60,5],["p",4]]}"#;
        type Case<'a> = (&'a [(usize, i64, f64)], Option<i64>, &'a str);
        let cases: [Case<'_>; 6] = [
            (
                &[],
                Some(60),
                r#"{"k":[60,["wp",10,1,20,2,60,3],["wv",20,9,60,5],["p",4]]}"#,
            ),
            (
                &[(0, 70, 1.0), (1, 70, 1.0)],
                Some(115),
                r#"{"k":[60,["wp",20,2,60,3,70,1],["wv",20,9,60,5,70,1],["p",4]]}"#,
            ),
            (
                &[(0, 200, 1.5)],
                Some(200),
                r#"{"k":[60,["wp",200,1.5],["wv"],["p",4]]}"#,
            ),
            (
                &[(0, 60, 1.0), (2, 0, 1.0)],
                Some(60),
                r#"{"k":[60,["wp",10,1,20,2,60,4],["wv",20,9,60,5],["p",5]]}"#,
            ),
            (
                &[(1, 70, 6.0)],
                Some(60),
                r#"{"k":[60,["wp",10,1,20,2,60,3],["wv",20,9,70,6],["p",4]]}"#,
            ),
            (&[], None, r#"{"k":[60,["wp"],["wv"],["p",4]]}"#),
        ];
        for (adds, now, expected) in cases {
            let (mut state, mut sources) = read_fast(text, "k", &modes).expect("fast");
            let mut intact = [true; 3];
            for &(l, t, x) in adds {
                intact[l] &= state.accumulators[l].add(modes[l], t, x);
            }
            for (l, accumulator) in state.accumulators.iter_mut().enumerate() {
                let dropped = accumulator.prune(modes[l], now);
                match &mut sources[l] {
                    Some(s) if intact[l] => s.dropped += dropped,
                    other => *other = None,
                }
            }
            let mut copied = Vec::new();
            state.write_entry(&mut copied, "k", &modes, Some((text, &sources)));
            let mut written = Vec::new();
            state.write_entry(&mut written, "k", &modes, None);
            assert_eq!(String::from_utf8(written).unwrap(), expected, "{adds:?}");
            assert_eq!(String::from_utf8(copied).unwrap(), expected, "{adds:?}");
        }
    }

    #[test]
    fn find_byte_finds_the_first_occurrence() {
        let text = b"[\"wp\",1767225600000,3,1767225600001,]4]]";
        for start in 0..text.len() {
            for end in start..=text.len() {
                let hay = &text[start..end];
                assert_eq!(
                    super::find_byte(hay, b']'),
                    hay.iter().position(|&b| b == b']'),
                    "{start}..{end}"
                );
            }
        }
        let all: Vec<u8> = (0..=255).collect();
        for needle in 0..=255u8 {
            assert_eq!(super::find_byte(&all, needle), Some(usize::from(needle)));
        }
    }

    #[test]
    fn eight_digits_read_as_the_byte_loop_does() {
        for text in [
            "00000000",
            "12345678",
            "99999999",
            "1234567a",
            "/2345678",
            ":2345678",
            "1234 678",
            "\u{ff}234567",
        ] {
            let bytes = text.as_bytes();
            let expected = (bytes.len() == 8 && bytes.iter().all(u8::is_ascii_digit))
                .then(|| text.parse::<u64>().unwrap());
            assert_eq!(super::eight_digits(&bytes[..8]), expected, "{text}");
        }
        for n in [
            0u64, 7, 10, 99, 1_000_000, 12_345_678, 98_765_432, 99_999_999,
        ] {
            let text = format!("{n:08}");
            assert_eq!(super::eight_digits(text.as_bytes()), Some(n));
        }
        for text in [
            "1767225600000",
            "1767225600000,",
            "-12345678901",
            "123456789012345678",
        ] {
            let mut s = Scanner {
                bytes: text.as_bytes(),
                text,
                pos: 0,
                canonical: true,
            };
            let expected = text.trim_end_matches(',').parse::<i64>().unwrap();
            assert_eq!(s.integer(), Some(expected), "{text}");
        }
    }

    #[test]
    fn leading_digits_read_as_the_byte_loop_does() {
        for text in [
            "",
            "1",
            "12,",
            "1767225600000",
            "1767225600000,1]]",
            "12345678",
            "123456789,",
            "1234567812345678",
            "12345678123456789",
            "999999999999999999]",
            "0000000000000000001",
            "7\u{ff}",
            "5:5",
            "5/5",
            "-5",
        ] {
            let bytes = text.as_bytes();
            for end in 0..=bytes.len() {
                let hay = &bytes[..end];
                let digits = hay.iter().take_while(|b| b.is_ascii_digit()).count();
                let value = hay[..digits].iter().fold(0u64, |n, &b| {
                    n.wrapping_mul(10).wrapping_add(u64::from(b - b'0'))
                });
                assert_eq!(super::leading_digits(hay), (digits, value), "{hay:?}");
            }
        }
    }

    #[test]
    fn common_pairs_read_as_the_general_path_does() {
        let modes = [WINDOW];
        for pairs in [
            "1767225600000,1",
            "1767225600000,1,1767225600001,9",
            "1767225600000,0,1767225600001,10",
            "1767225600000,1.5",
            "1767225600000,1e2",
            "0767225600000,1",
            "176722560000,1",
            "17672256000000,1",
            "1767225600000,-1",
            "1767225600000,01",
            "1767225600000.0,1",
            "1767225600000,1,1767225600000,2",
            "-999999999999999999,52046689283,1767225600000,3",
        ] {
            let text = format!(r#"{{"k":[1767225600000,["wp",{pairs}]]}}"#);
            let fast = read_fast(&text, "k", &modes).map(|(state, _)| state);
            let Ok(value) = serde_json::from_str::<Value>(&text) else {
                assert_eq!(fast, None, "{text}");
                continue;
            };
            match EntryRead::from_value(&value, "k", &modes) {
                EntryRead::Object {
                    current: Some(Ok(state)),
                    ..
                } => {
                    if let Some(fast) = fast {
                        assert_eq!(fast, state, "{text}");
                    }
                }
                other => assert!(fast.is_none(), "{text}: {other:?}"),
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn plain_decimals_read_as_serde_json_reads_them(
            whole in 0u64..10_000_000,
            fraction in 0u64..100_000_000_000,
            fraction_digits in 1usize..12,
            negative: bool,
        ) {
            let fraction = format!("{fraction:011}");
            let text = format!(
                "{}{whole}.{}",
                if negative { "-" } else { "" },
                &fraction[..fraction_digits]
            );
            let expected: f64 = serde_json::from_str(&text).expect("number");
            match super::plain_decimal(text.as_bytes()) {
                Some(x) => proptest::prop_assert_eq!(x.to_bits(), expected.to_bits(), "{}", text),
                None => proptest::prop_assert!(text.len() > 16, "{}", text),
            }
        }
    }

    #[test]
    fn integers_are_written_as_serde_json_writes_them() {
        for n in [
            0,
            7,
            -7,
            10,
            99,
            100,
            -100,
            1_772_366_400_000,
            i64::MAX,
            i64::MIN,
        ] {
            let mut out = Vec::new();
            push_integer(&mut out, n);
            assert_eq!(String::from_utf8(out).unwrap(), n.to_string());
        }
    }

    #[test]
    fn entry_text_writes_numbers_as_values_do() {
        let modes = [Mode::Total, Mode::Max, WINDOW, Mode::Max];
        let mut state = CohortState::empty(&modes);
        state.clock = Some(-5);
        state.accumulators[0].add(Mode::Total, 1, 0.1);
        state.accumulators[0].add(Mode::Total, 1, 0.2);
        state.accumulators[1].add(Mode::Max, 1, 1e20);
        state.accumulators[2].add(WINDOW, 100, -0.0);
        state.accumulators[2].add(WINDOW, 101, 3.0);
        state.accumulators[3].add(Mode::Max, 1, f64::INFINITY);
        let mut text = Vec::new();
        state.write_entry(&mut text, "k", &modes, None);
        let text = String::from_utf8(text).expect("UTF-8");
        let expected = serde_json::json!({"k": state.encode(&modes)}).to_string();
        assert_eq!(text, expected);
        assert_eq!(
            text,
            r#"{"k":[-5,["p",0.30000000000000004],["v",1e+20],["wp",100,0,101,3],["v",null]]}"#
        );
    }
}
