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

use serde_json::Value;

use super::compare::number_value;

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
}

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
            Mode::WindowedTotal { .. } | Mode::WindowedMax { .. } => {
                Accumulator::Windowed(Vec::new())
            }
        }
    }

    /// Folds one contribution in. The caller has already checked the clause's window.
    pub fn add(&mut self, mode: Mode, time: i64, x: f64) {
        match (self, mode) {
            (Accumulator::Total(total), _) => *total += x,
            (Accumulator::Max(max), _) => *max = Some(max.map_or(x, |m| m.max(x))),
            (Accumulator::Windowed(entries), Mode::WindowedMax { .. }) => {
                // An entry no later and no larger than another can never be the maximum of a
                // window that contains the other one, so it is never kept.
                if entries.iter().any(|&(t, v)| t >= time && v >= x) {
                    return;
                }
                entries.retain(|&(t, v)| !(t <= time && v <= x));
                insert_sorted(entries, time, x, |_, new| new);
            }
            (Accumulator::Windowed(entries), _) => {
                insert_sorted(entries, time, x, |old, new| old + new);
            }
        }
    }

    /// Drops what no window can need again once the clock is at `now`.
    pub fn prune(&mut self, mode: Mode, now: Option<i64>) {
        if let (
            Accumulator::Windowed(entries),
            Mode::WindowedTotal { span_ms } | Mode::WindowedMax { span_ms },
        ) = (self, mode)
        {
            match now {
                Some(now) => {
                    let start = now.saturating_sub(span_ms);
                    entries.retain(|&(t, _)| t > start);
                }
                None => entries.clear(),
            }
        }
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

    pub fn encode(&self, mode: Mode) -> Value {
        match self {
            Accumulator::Total(total) => Value::Array(vec!["p".into(), number_value(*total)]),
            Accumulator::Max(max) => {
                Value::Array(vec!["v".into(), max.map_or(Value::Null, number_value)])
            }
            Accumulator::Windowed(entries) => {
                let tag = if matches!(mode, Mode::WindowedMax { .. }) {
                    "wv"
                } else {
                    "wp"
                };
                let mut items = Vec::with_capacity(1 + 2 * entries.len());
                items.push(Value::from(tag));
                for &(t, v) in entries {
                    items.push(Value::from(t));
                    items.push(number_value(v));
                }
                Value::Array(items)
            }
        }
    }

    /// Reads an accumulator written by [`Accumulator::encode`] for the same mode, or `None` if
    /// `value` is anything else.
    pub fn decode(value: &Value, mode: Mode) -> Option<Accumulator> {
        let items = value.as_array()?;
        let (tag, rest) = items.split_first()?;
        let tag = tag.as_str()?;
        match (mode, tag, rest) {
            (Mode::Total, "p", [x]) => finite(x).map(Accumulator::Total),
            (Mode::Max, "v", [Value::Null]) => Some(Accumulator::Max(None)),
            (Mode::Max, "v", [x]) => finite(x).map(|x| Accumulator::Max(Some(x))),
            (Mode::WindowedTotal { .. }, "wp", pairs) | (Mode::WindowedMax { .. }, "wv", pairs) => {
                if pairs.len() % 2 != 0 {
                    return None;
                }
                let mut accumulator = Accumulator::Windowed(Vec::with_capacity(pairs.len() / 2));
                for pair in pairs.chunks_exact(2) {
                    // `add` re-establishes the invariants (sorted, merged) whatever the input order.
                    accumulator.add(mode, pair[0].as_i64()?, finite(&pair[1])?);
                }
                Some(accumulator)
            }
            _ => None,
        }
    }
}

fn finite(value: &Value) -> Option<f64> {
    value.as_f64().filter(|x| x.is_finite())
}

fn in_window(
    entries: &[(i64, f64)],
    span_ms: i64,
    now: Option<i64>,
) -> impl Iterator<Item = &(i64, f64)> {
    let bounds = now.map(|now| (now.saturating_sub(span_ms), now));
    entries
        .iter()
        .filter(move |&&(t, _)| bounds.is_some_and(|(start, end)| t > start && t <= end))
}

/// Inserts keeping `entries` sorted by time, combining with an entry at the same time.
fn insert_sorted(
    entries: &mut Vec<(i64, f64)>,
    time: i64,
    x: f64,
    combine: impl Fn(f64, f64) -> f64,
) {
    // Events mostly arrive in order: appending is the common case.
    if entries.last().is_none_or(|&(t, _)| t < time) {
        entries.push((time, x));
        return;
    }
    match entries.binary_search_by(|&(t, _)| t.cmp(&time)) {
        Ok(i) => entries[i].1 = combine(entries[i].1, x),
        Err(i) => entries.insert(i, (time, x)),
    }
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

    pub fn encode(&self, modes: &[Mode]) -> Value {
        let mut items = Vec::with_capacity(1 + modes.len());
        items.push(self.clock.map_or(Value::Null, Value::from));
        items.extend(
            self.accumulators
                .iter()
                .zip(modes)
                .map(|(a, &m)| a.encode(m)),
        );
        Value::Array(items)
    }

    /// Why `value` is not a state for these clauses, if it is not.
    pub fn decode(value: &Value, modes: &[Mode]) -> Result<CohortState, String> {
        let items = value
            .as_array()
            .ok_or("expected [clock, accumulator, ...]")?;
        let (clock, accumulators) = items
            .split_first()
            .ok_or("expected [clock, accumulator, ...], found []")?;
        let clock = match clock {
            Value::Null => None,
            other => Some(other.as_i64().ok_or("the clock is not an integer time")?),
        };
        if accumulators.len() != modes.len() {
            return Err(format!(
                "expected {} accumulators, found {}",
                modes.len(),
                accumulators.len()
            ));
        }
        let accumulators = accumulators
            .iter()
            .zip(modes)
            .enumerate()
            .map(|(i, (v, &mode))| {
                Accumulator::decode(v, mode).ok_or_else(|| format!("accumulator {i} is malformed"))
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(CohortState {
            clock,
            accumulators,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const WINDOW: Mode = Mode::WindowedTotal { span_ms: 100 };
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
}
