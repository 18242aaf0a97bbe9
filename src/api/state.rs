//! The user's state: opaque to a client. What the API returned is sent back byte for byte, so
//! it is held as raw JSON text and parsed only to be displayed.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;
use serde_json::value::RawValue;

/// The `state` of a response, exactly as received. Shared, not copied, when cloned: the same
/// state is the "after" of one call and the "before" of the next, in a history of thousands,
/// and it is a slice of the response body it came in (which is kept too), not a second copy.
#[derive(Clone)]
pub struct OpaqueState {
    text: Arc<str>,
    start: usize,
    end: usize,
}

impl OpaqueState {
    pub fn from_raw(raw: &RawValue) -> OpaqueState {
        let text: Arc<str> = Arc::from(raw.get());
        OpaqueState {
            end: text.len(),
            text,
            start: 0,
        }
    }

    /// Takes JSON text as it is (whitespace, key order and number spelling kept).
    pub fn from_json(text: &str) -> Result<OpaqueState, serde_json::Error> {
        RawValue::from_string(text.to_string()).map(|raw| OpaqueState::from_raw(&raw))
    }

    /// Takes JSON text it owns, and reads the state's `cohorts` (as listed, unsorted) in the same
    /// pass that checks the text is JSON: a state of a megabyte is scanned once, not twice, and
    /// not copied before it is kept.
    pub fn from_json_reading_cohorts(
        text: String,
    ) -> Result<(OpaqueState, Vec<String>), serde_json::Error> {
        let cohorts = listed_cohorts(&text)?.unwrap_or_default();
        let text: Arc<str> = Arc::from(text);
        Ok((
            OpaqueState {
                end: text.len(),
                text,
                start: 0,
            },
            cohorts,
        ))
    }

    /// The state that is `raw`, a slice of `body` (a JSON value already validated by the parse
    /// that found it).
    pub(crate) fn within(body: &Arc<str>, raw: &RawValue) -> OpaqueState {
        let offset = (raw.get().as_ptr() as usize).wrapping_sub(body.as_ptr() as usize);
        let end = offset.wrapping_add(raw.get().len());
        if end <= body.len() && body.get(offset..end) == Some(raw.get()) {
            OpaqueState {
                text: body.clone(),
                start: offset,
                end,
            }
        } else {
            // Not a slice of this body after all: keep a copy of its own.
            let text: Arc<str> = Arc::from(raw.get());
            OpaqueState {
                end: text.len(),
                text,
                start: 0,
            }
        }
    }

    /// The state that is `body[span]` (a span a parse of `body` found to be one JSON value).
    pub(crate) fn span_of(body: &Arc<str>, span: std::ops::Range<usize>) -> OpaqueState {
        debug_assert!(body.get(span.clone()).is_some());
        OpaqueState {
            text: body.clone(),
            start: span.start,
            end: span.end,
        }
    }

    /// An owned raw JSON value of the state (a copy), e.g. to embed in a session file.
    pub fn to_raw(&self) -> Box<RawValue> {
        RawValue::from_string(self.as_str().to_string())
            .expect("an opaque state is valid JSON: it was validated when it was taken")
    }

    pub fn as_str(&self) -> &str {
        &self.text[self.start..self.end]
    }

    /// A parsed view for display and diffing (never sent).
    pub fn view(&self) -> Result<StateView, serde_json::Error> {
        StateView::parse(self.as_str())
    }
}

impl std::fmt::Debug for OpaqueState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "OpaqueState({} bytes)", self.as_str().len())
    }
}

impl PartialEq for OpaqueState {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

/// The `cohorts` a state's JSON text lists, in its order (`None` when it lists none, or is not an
/// object), read in one pass that also checks the whole text is JSON (an error if it is not).
/// The rest of the state (which may hold 100,000 entries) is skipped, never built; codes are
/// borrowed from the text until they are kept.
pub(crate) fn listed_cohorts(text: &str) -> Result<Option<Vec<String>>, serde_json::Error> {
    match serde_json::from_str::<CohortsOnly<'_>>(text) {
        Ok(only) => Ok(only.codes()),
        // JSON of another shape (an array, `cohorts` not a list, a repeated key): no cohorts,
        // as long as it is JSON at all.
        Err(e) if e.is_data() => {
            serde_json::from_str::<serde::de::IgnoredAny>(text)?;
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// A state read for its `cohorts` only: the rest is checked to be JSON and skipped.
#[derive(serde::Deserialize)]
pub(crate) struct CohortsOnly<'a> {
    #[serde(borrow, default)]
    cohorts: Option<Vec<&'a RawValue>>,
}

impl CohortsOnly<'_> {
    /// The codes as listed (a string's text; any other value as JSON), borrowed until now.
    pub(crate) fn codes(self) -> Option<Vec<String>> {
        self.cohorts.map(|list| {
            list.into_iter()
                .map(|raw| match serde_json::from_str::<Value>(raw.get()) {
                    Ok(Value::String(code)) => code,
                    Ok(other) => other.to_string(),
                    Err(_) => raw.get().to_string(),
                })
                .collect()
        })
    }
}

/// A parsed reading of a state, for the console: cohorts and the two state maps.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StateView {
    pub internal_state: BTreeMap<String, Value>,
    pub external_state: BTreeMap<String, Value>,
    pub cohorts: Vec<String>,
    /// The whole state as a value (unknown fields included).
    pub whole: Value,
}

impl StateView {
    pub fn parse(text: &str) -> Result<StateView, serde_json::Error> {
        let whole: Value = serde_json::from_str(text)?;
        let map_of = |key: &str| -> BTreeMap<String, Value> {
            whole
                .get(key)
                .and_then(Value::as_object)
                .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default()
        };
        let cohorts = whole
            .get("cohorts")
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .map(|v| match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(StateView {
            internal_state: map_of("internal_state"),
            external_state: map_of("external_state"),
            cohorts,
            whole,
        })
    }
}

/// Orders cohort codes as a person expects: numeric codes by value, then other codes as text.
pub fn cohort_order(a: &str, b: &str) -> std::cmp::Ordering {
    match (a.parse::<u128>(), b.parse::<u128>()) {
        (Ok(x), Ok(y)) => x.cmp(&y).then_with(|| a.cmp(b)),
        (Ok(_), Err(_)) => std::cmp::Ordering::Less,
        (Err(_), Ok(_)) => std::cmp::Ordering::Greater,
        (Err(_), Err(_)) => a.cmp(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cohorts_are_read_in_the_pass_that_checks_the_state() {
        let text = r#"{"internal_state":{"a":[1,2]},"cohorts":["7","1001",12],"x":{}}"#;
        let (state, cohorts) = OpaqueState::from_json_reading_cohorts(text.into()).unwrap();
        assert_eq!(state.as_str(), text);
        assert_eq!(cohorts, vec!["7", "1001", "12"]);
        // Valid JSON of another shape: kept, no cohorts.
        for other in [
            "[]",
            "3",
            r#"{"cohorts":"no"}"#,
            r#"{"cohorts":[],"cohorts":["1"]}"#,
        ] {
            let (state, cohorts) = OpaqueState::from_json_reading_cohorts(other.into()).unwrap();
            assert_eq!((state.as_str(), cohorts.len()), (other, 0));
        }
        // Not JSON, wherever the fault is (also after the cohorts, also in a wrongly shaped one).
        for broken in [
            r#"{"cohorts":["1"],"x":}"#,
            r#"{"cohorts":["1"]} trailing"#,
            r#"{"cohorts":"no","x":[}"#,
            "",
        ] {
            assert!(
                OpaqueState::from_json_reading_cohorts(broken.into()).is_err(),
                "{broken}"
            );
        }
    }
}
