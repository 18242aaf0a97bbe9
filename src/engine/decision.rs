//! What the engine decided for one request, for a caller that writes the answer itself: the
//! emulator writes every new state entry straight into its response (one allocation, sized up
//! front from [`Decision::entry_len_bound`]), in the order it answers in, instead of collecting
//! each entry's text and each code in maps first (as [`Segmented`](super::Segmented) does).

use std::cmp::Ordering;

use super::evaluate::{self, Applied};
use super::{CodeOrder, Now, SegmentInput, Workspace};

/// One request applied to every workspace cohort. Cohorts are named by workspace index (the
/// order of [`Workspace::cohorts`]).
pub struct Decision<'a> {
    pub(super) codes: CodeOrder<'a>,
    pub(super) applied: Applied<'a>,
}

impl Workspace {
    /// [`Workspace::segment_with`], leaving the writing of the new state to the caller.
    pub fn decide<'a>(&'a self, input: SegmentInput<'a>, now: Now) -> Decision<'a> {
        let codes = CodeOrder {
            cohorts: &self.cohorts,
            sorted: &self.sorted,
        };
        let applied = evaluate::apply(
            now,
            codes,
            &self.compiled,
            &self.catalog,
            &self.order,
            input.events,
            input.cohorts,
            &input.internal.by_cohort(&codes),
            &input.external.by_cohort(&codes),
            &input.external.keys(),
        );
        Decision { codes, applied }
    }
}

impl Decision<'_> {
    /// Cohort `i`'s code.
    pub fn code(&self, i: usize) -> &str {
        &self.codes.cohorts[i].code
    }

    /// Whether the engine writes an `internal_state` entry for cohort `i` (an enabled cohort
    /// with something to keep).
    pub fn keeps_entry(&self, i: usize) -> bool {
        self.applied.keeps(i)
    }

    /// At least the length of the entry [`Decision::write_entry`] writes for cohort `i`.
    pub fn entry_len_bound(&self, i: usize) -> usize {
        self.applied.entry_len_bound(i)
    }

    /// Appends cohort `i`'s entry, the JSON text `{checksum: [clock, accumulator, ...]}`.
    pub fn write_entry(&self, i: usize, out: &mut String) {
        self.applied.write_entry(i, out);
    }

    /// Whether the user is in cohort `i` after the request.
    pub fn is_member(&self, i: usize) -> bool {
        self.applied.members[i]
    }

    /// The codes of the cohorts the request entered (`true`) or exited, in workspace order.
    pub fn changed(&self, entered: bool) -> Vec<String> {
        self.applied
            .changed(entered)
            .map(|i| self.code(i).to_string())
            .collect()
    }

    /// Engine notes (e.g. a malformed cohort state discarded), taken.
    pub fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.applied.warnings)
    }

    /// See [`Segmented::scanned_entries`](super::Segmented::scanned_entries), taken.
    pub fn take_scanned_entries(&mut self) -> Vec<usize> {
        std::mem::take(&mut self.applied.scanned_entries)
    }

    /// Whether the engine evaluates `code` (defined and enabled): the `internal_state` entries
    /// of every other code are the caller's to pass through. `cursor` starts at 0 and is moved
    /// along: codes asked in the order of their text are found without a search.
    pub fn evaluates(&self, code: &str, cursor: &mut usize) -> bool {
        self.index(code, cursor)
            .is_some_and(|i| self.codes.cohorts[i].enabled)
    }

    /// Whether the workspace defines `code` (as [`Decision::evaluates`], disabled cohorts
    /// included).
    pub fn defines(&self, code: &str, cursor: &mut usize) -> bool {
        self.index(code, cursor).is_some()
    }

    /// The workspace index of `code`. A state lists only some of the workspace's codes: a code
    /// after the last one found is looked for a few codes on from it, others by a search.
    fn index(&self, code: &str, cursor: &mut usize) -> Option<usize> {
        const WALK: usize = 8;
        let CodeOrder { cohorts, sorted } = self.codes;
        for (at, &i) in sorted.iter().enumerate().skip(*cursor).take(WALK) {
            match cohorts[i].code.as_str().cmp(code) {
                Ordering::Less => {}
                Ordering::Equal => {
                    *cursor = at + 1;
                    return Some(i);
                }
                // Between two codes of the workspace: not one of them.
                Ordering::Greater if at > *cursor => {
                    *cursor = at;
                    return None;
                }
                Ordering::Greater => break,
            }
        }
        self.codes.find(code, cursor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::StateEntries;

    #[test]
    fn codes_are_found_whatever_order_they_are_asked_in() {
        let defined = [
            "1", "2", "3", "5", "8", "13", "21", "34", "55", "89", "144", "a", "b", "zz",
        ];
        let cohorts: Vec<serde_json::Value> = defined
            .iter()
            .map(|code| {
                serde_json::json!({"code": code, "query":
                    {"event": "A", "frequency": {"greater_than_or_equal_to": 1}}})
            })
            .collect();
        let workspace = Workspace::from_cohorts_json(&serde_json::Value::from(cohorts).to_string())
            .expect("workspace loads");
        let decision = workspace.decide(
            SegmentInput {
                events: &[],
                internal: StateEntries::NONE,
                external: StateEntries::NONE,
                cohorts: &[],
            },
            Now::EventTime,
        );
        let mut asked: Vec<&str> = defined.to_vec();
        asked.extend(["0", "10", "100", "4", "9", "aa", "c", "zzz", ""]);
        let mut orders = vec![asked.clone()];
        asked.sort_unstable();
        orders.push(asked.clone());
        asked.reverse();
        orders.push(asked.clone());
        asked.sort_by_key(|code| (code.len(), *code));
        orders.push(asked.clone());
        // Every code from every starting point, and runs of codes missing between found ones.
        for order in &orders {
            for start in 0..order.len() {
                let mut cursor = 0;
                for code in order[start..].iter().chain(&order[..start]) {
                    assert_eq!(
                        decision.defines(code, &mut cursor),
                        workspace.defines(code),
                        "{code} in {order:?} from {start}"
                    );
                }
            }
        }
    }
}
