//! The cohort engine: Permutive cohort queries over a user's events and state.
//!
//! It knows nothing of HTTP or files: the emulator hands it parsed events and the state entries
//! of the cohorts the workspace defines, and gets back the new state entries and membership.
//!
//! This file is the public surface the emulator depends on; the work is done in:
//! - [`load`]: `cohorts.json` → compiled cohorts in dependency order ([`query`] compiles one
//!   query, with [`condition`], [`compare`] and [`window`] for its parts, [`syntax`] for errors),
//! - [`checksum`]: the stable key of a query's state,
//! - [`accumulator`]: what is remembered per clause and its JSON form,
//! - [`properties`]: an event's properties, flat, read straight from a plain request's text,
//! - [`evaluate`]: one request (state in, events folded, cohorts evaluated, state out),
//! - [`explain`]: the decision tree of every cohort, for the console.
//!
//! `docs/engine.md` describes the query language and the semantics.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;

mod accumulator;
mod checksum;
mod compare;
mod condition;
mod decision;
mod evaluate;
mod explain;
mod load;
mod properties;
mod query;
mod syntax;
mod window;

pub use decision::Decision;
pub use explain::{
    CohortExplanation, Explanation, ExplanationNode, OutsideWindow, TimelineStep, Transition,
    WindowExplanation,
};
pub use properties::{Kind, Prop, Properties};

/// Which clock windows are measured against.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Clock {
    /// The latest event time the user has (deterministic: replays give the same answers).
    #[default]
    Event,
    /// The machine's clock at the request, like the real API.
    Wall,
}

impl Clock {
    pub fn name(self) -> &'static str {
        match self {
            Clock::Event => "event",
            Clock::Wall => "wall",
        }
    }
}

impl std::str::FromStr for Clock {
    type Err = String;
    fn from_str(text: &str) -> Result<Clock, String> {
        match text {
            "event" => Ok(Clock::Event),
            "wall" => Ok(Clock::Wall),
            other => Err(format!(
                "unknown clock \"{other}\" (expected event or wall)"
            )),
        }
    }
}

/// The clock of one request: event time, or the wall-clock instant the caller read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Now {
    EventTime,
    Wall(jiff::Timestamp),
}

/// One event as the engine sees it: already validated for shape by the caller.
#[derive(Debug, Clone)]
pub struct Event {
    pub name: String,
    pub time: jiff::Timestamp,
    pub properties: Properties,
    /// The page view the event belongs to (engagement is counted per page view).
    pub view_id: Option<String>,
    /// The session the event belongs to (`this_session` windows).
    pub session_id: Option<String>,
}

/// What the engine reads for one request.
#[derive(Debug, Clone, Copy)]
pub struct SegmentInput<'a> {
    pub events: &'a [Event],
    /// `internal_state` entries, by cohort code: each is that cohort's `{checksum: accumulator}`
    /// object as it came in. Entries of codes the workspace does not define are ignored.
    pub internal: StateEntries<'a>,
    /// The whole `external_state`, by cohort code (read, never written).
    pub external: StateEntries<'a>,
    /// The incoming `state.cohorts`.
    pub cohorts: &'a [String],
}

/// State entries by cohort code, either parsed or as JSON text.
///
/// The emulator passes text borrowed from the request body: the engine reads it with typed
/// visitors and never builds `Value` trees. Parsed maps are convenient for tests and tools.
#[derive(Debug, Clone, Copy)]
pub enum StateEntries<'a> {
    Values(&'a BTreeMap<String, Value>),
    /// Entries in the order they came; when a code appears twice its last entry counts.
    Text(&'a [(Cow<'a, str>, &'a RawValue)]),
    /// [`StateEntries::Text`] with each entry's JSON text as a slice (the caller checked that
    /// each is one JSON value): what the emulator's body pass finds.
    Slices(&'a [(Cow<'a, str>, &'a str)]),
    /// [`StateEntries::Slices`] whose text the caller has not checked is JSON: the engine's
    /// reader checks what it reads, and [`Segmented::scanned_entries`] says which entries it
    /// read whole. (Internal entries only.)
    Unchecked(&'a [(Cow<'a, str>, &'a str)]),
}

impl StateEntries<'_> {
    /// No entries.
    pub const NONE: StateEntries<'static> = StateEntries::Text(&[]);
}

impl Default for StateEntries<'_> {
    fn default() -> Self {
        StateEntries::NONE
    }
}

impl<'a> From<&'a BTreeMap<String, Value>> for StateEntries<'a> {
    fn from(map: &'a BTreeMap<String, Value>) -> Self {
        StateEntries::Values(map)
    }
}

impl<'a> StateEntries<'a> {
    /// The entry of each workspace cohort, by workspace index.
    fn by_cohort(self, codes: &CodeOrder<'_>) -> Vec<Option<evaluate::Entry<'a>>> {
        match self {
            StateEntries::Values(map) => codes
                .cohorts
                .iter()
                .map(|c| map.get(&c.code).map(evaluate::Entry::Value))
                .collect(),
            StateEntries::Text(entries) => slotted(
                codes,
                entries
                    .iter()
                    .map(|(code, raw)| (code.as_ref(), evaluate::Entry::Text(raw.get()))),
            ),
            StateEntries::Slices(entries) => slotted(
                codes,
                entries
                    .iter()
                    .map(|(code, text)| (code.as_ref(), evaluate::Entry::Text(text))),
            ),
            StateEntries::Unchecked(entries) => slotted(
                codes,
                entries.iter().enumerate().map(|(at, (code, text))| {
                    (code.as_ref(), evaluate::Entry::Unchecked(text, at))
                }),
            ),
        }
    }

    /// The codes present, for `in_second_party_segment` / `in_third_party_segment`.
    fn keys(self) -> evaluate::Keys<'a> {
        match self {
            StateEntries::Values(map) => evaluate::Keys::Map(map),
            StateEntries::Text(entries) => {
                let mut keys: Vec<&'a str> = entries.iter().map(|(k, _)| k.as_ref()).collect();
                keys.sort_unstable();
                evaluate::Keys::Sorted(keys)
            }
            StateEntries::Slices(entries) | StateEntries::Unchecked(entries) => {
                let mut keys: Vec<&'a str> = entries.iter().map(|(k, _)| k.as_ref()).collect();
                keys.sort_unstable();
                evaluate::Keys::Sorted(keys)
            }
        }
    }
}

/// Entries in the order they came, put in their cohorts' slots by walking the codes in order;
/// when a code appears twice its last entry counts.
fn slotted<'a, 'c>(
    codes: &CodeOrder<'_>,
    entries: impl Iterator<Item = (&'c str, evaluate::Entry<'a>)>,
) -> Vec<Option<evaluate::Entry<'a>>> {
    let mut slots = vec![None; codes.cohorts.len()];
    let mut cursor = 0;
    for (code, entry) in entries {
        if let Some(i) = codes.find(code, &mut cursor) {
            slots[i] = Some(entry);
        }
    }
    slots
}

/// The workspace's cohorts in the order of their codes, for finding the cohorts of a request's
/// state entries and `cohorts` without hashing: the engine writes both in that order, so the
/// next code is almost always the one after the last found.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CodeOrder<'a> {
    pub cohorts: &'a [CohortInfo],
    /// Workspace indices, by code.
    pub sorted: &'a [usize],
}

impl CodeOrder<'_> {
    /// The workspace index of `code`; `cursor` is where the search starts, moved past the code.
    pub fn find(&self, code: &str, cursor: &mut usize) -> Option<usize> {
        if let Some(&i) = self.sorted.get(*cursor)
            && self.cohorts[i].code == code
        {
            *cursor += 1;
            return Some(i);
        }
        match self
            .sorted
            .binary_search_by(|&i| self.cohorts[i].code.as_str().cmp(code))
        {
            Ok(at) => {
                *cursor = at + 1;
                Some(self.sorted[at])
            }
            Err(at) => {
                *cursor = at;
                None
            }
        }
    }
}

/// What the engine decided for one request.
#[derive(Debug, Clone, Default)]
pub struct Segmented {
    /// New `internal_state` entries for workspace cohorts (a cohort with nothing to keep is
    /// absent), each the JSON text of `{checksum: [clock, accumulator, ...]}`.
    pub internal: BTreeMap<String, StateText>,
    /// Workspace cohorts the user is in after the request.
    pub members: BTreeSet<String>,
    /// Workspace cohorts entered / exited by this request.
    pub entered: Vec<String>,
    pub exited: Vec<String>,
    /// Human notes (e.g. a malformed state entry that was discarded).
    pub warnings: Vec<String>,
    /// With [`StateEntries::Unchecked`] internal entries: the indices of those the engine's
    /// strict reader read whole (their text is JSON); the others are the caller's to check.
    pub scanned_entries: Vec<usize>,
}

/// The JSON text of one cohort's state entry, `{checksum: [clock, accumulator, ...]}`, as the
/// engine wrote it. It serializes as that JSON (not as a string).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateText(String);

impl StateText {
    /// Text the engine wrote (always UTF-8: ASCII, and copied `&str` slices).
    fn from_utf8(bytes: Vec<u8>) -> StateText {
        StateText(
            String::from_utf8(bytes)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
        )
    }

    /// The JSON text.
    pub fn get(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for StateText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for StateText {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let raw = RawValue::from_string(self.0.clone()).map_err(serde::ser::Error::custom)?;
        raw.serialize(s)
    }
}

impl PartialEq for Segmented {
    fn eq(&self, other: &Segmented) -> bool {
        self.internal.len() == other.internal.len()
            && self
                .internal
                .iter()
                .zip(&other.internal)
                .all(|((a, x), (b, y))| a == b && x == y)
            && self.members == other.members
            && self.entered == other.entered
            && self.exited == other.exited
            && self.warnings == other.warnings
    }
}

/// A cohort's descriptive fields, for display.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct CohortInfo {
    pub code: String,
    pub name: String,
    pub description: Option<String>,
    pub tags: Vec<String>,
    /// `false` for a cohort whose Cohorts API `state` is `"Disabled"`: loaded, never evaluated,
    /// never in `cohorts`; its state entries are passed through untouched.
    pub enabled: bool,
}

/// A cohort that loads but that Permutive would refuse or treat differently (e.g. logic beyond
/// an AND of ORs), located by its JSON path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct LoadWarning {
    pub code: String,
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for LoadWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "cohort {}: at {}: {}",
            self.code, self.path, self.message
        )
    }
}

/// Why a `cohorts.json` could not be loaded.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum LoadError {
    #[error("line {line}, column {column}: {message}")]
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("cohort {code}: at {path}: {message}")]
    Query {
        code: String,
        path: String,
        message: String,
    },
    #[error("{0}")]
    Workspace(String),
}

/// The compiled cohorts of a workspace.
#[derive(Debug, Clone)]
pub struct Workspace {
    cohorts: Vec<CohortInfo>,
    compiled: Vec<load::CompiledCohort>,
    catalog: query::Catalog,
    /// Cohort indices in evaluation order (every cohort after those it reads).
    order: Vec<usize>,
    /// Cohort index by code: the emulator asks for every state entry of every request.
    by_code: HashMap<String, usize>,
    /// Cohort indices in the order of their codes (see [`CodeOrder`]).
    sorted: Vec<usize>,
    warnings: Vec<LoadWarning>,
}

impl Workspace {
    /// Parses the text of a `cohorts.json` (an array of Cohorts API v2 cohorts) and compiles
    /// every query once.
    pub fn from_cohorts_json(text: &str) -> Result<Workspace, LoadError> {
        let loaded = load::load(text)?;
        let by_code = loaded
            .cohorts
            .iter()
            .enumerate()
            .map(|(i, c)| (c.code.clone(), i))
            .collect();
        let mut sorted: Vec<usize> = (0..loaded.cohorts.len()).collect();
        sorted.sort_by(|&a, &b| loaded.cohorts[a].code.cmp(&loaded.cohorts[b].code));
        Ok(Workspace {
            by_code,
            sorted,
            cohorts: loaded.cohorts,
            compiled: loaded.compiled,
            catalog: loaded.catalog,
            order: loaded.order,
            warnings: loaded.warnings,
        })
    }

    /// What loaded but would surprise the cohort's author in Permutive, in workspace order.
    pub fn warnings(&self) -> &[LoadWarning] {
        &self.warnings
    }

    /// Whether the engine evaluates this cohort: defined and not disabled. The state entries of
    /// every other code are the caller's to pass through.
    pub fn evaluates(&self, code: &str) -> bool {
        self.index(code).is_some_and(|i| self.cohorts[i].enabled)
    }

    pub fn cohorts(&self) -> &[CohortInfo] {
        &self.cohorts
    }

    pub fn defines(&self, code: &str) -> bool {
        self.index(code).is_some()
    }

    /// A cohort's descriptive fields, by code.
    pub fn cohort(&self, code: &str) -> Option<&CohortInfo> {
        self.index(code).map(|i| &self.cohorts[i])
    }

    /// A cohort's `query` as written in `cohorts.json`.
    pub fn query(&self, code: &str) -> Option<&Value> {
        self.index(code).map(|i| &self.compiled[i].query_json)
    }

    /// The checksum that keys a cohort's state (`internal_state[code][checksum]`).
    pub fn checksum(&self, code: &str) -> Option<&str> {
        self.index(code).map(|i| self.compiled[i].checksum.as_str())
    }

    /// Folds the request's events into the state and evaluates every workspace cohort, with
    /// event time as the clock.
    pub fn segment(&self, input: SegmentInput<'_>) -> Segmented {
        self.segment_with(input, Now::EventTime)
    }

    /// [`Workspace::segment`] with the given clock.
    pub fn segment_with(&self, input: SegmentInput<'_>, now: Now) -> Segmented {
        self.evaluate(&input, now, false).segmented
    }

    /// The decision tree of every workspace cohort for this request and the event-by-event
    /// timeline of entries and exits (emulator-only endpoint): an [`Explanation`] as JSON.
    pub fn explain(&self, input: SegmentInput<'_>) -> Value {
        serde_json::to_value(self.explanation(input)).unwrap_or(Value::Null)
    }

    /// The decision tree of every workspace cohort, in workspace order.
    pub fn explain_cohorts(&self, input: SegmentInput<'_>) -> Vec<CohortExplanation> {
        self.explanation(input).cohorts
    }

    /// [`Workspace::explain`], typed.
    pub fn explanation(&self, input: SegmentInput<'_>) -> Explanation {
        self.explanation_with(input, Now::EventTime)
    }

    /// [`Workspace::explanation`] with the given clock.
    pub fn explanation_with(&self, input: SegmentInput<'_>, now: Now) -> Explanation {
        let evaluation = self.evaluate(&input, now, true);
        explain::explain(
            &self.cohorts,
            &self.compiled,
            &evaluation,
            &input.external.keys(),
            input.events,
            &self.catalog.filters,
        )
    }

    /// `explain`: keep what explanations need (each cohort's clause values).
    fn evaluate(&self, input: &SegmentInput<'_>, now: Now, explain: bool) -> evaluate::Evaluation {
        let Decision { codes, applied } = self.decide(*input, now);
        evaluate::evaluation(applied, codes, explain)
    }

    fn index(&self, code: &str) -> Option<usize> {
        self.by_code.get(code).copied()
    }
}
