//! Small helpers shared by the query compilers: errors that carry the JSON path of the
//! offending node, and strict accessors that refuse anything unexpected (a typo in a cohort
//! query must be a load error, never a clause that silently never matches).

use serde_json::{Map, Value};

/// A query that cannot be compiled, located by its JSON path (e.g. `query.and[1].where`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct QueryError {
    pub path: String,
    pub message: String,
}

impl QueryError {
    pub fn new(path: &str, message: impl Into<String>) -> QueryError {
        QueryError {
            path: path.to_string(),
            message: message.into(),
        }
    }
}

pub(crate) type Parsed<T> = Result<T, QueryError>;

pub(crate) fn object<'v>(value: &'v Value, path: &str) -> Parsed<&'v Map<String, Value>> {
    value
        .as_object()
        .ok_or_else(|| QueryError::new(path, format!("expected an object, found {}", kind(value))))
}

/// The only entry of an object whose single key names what it is (`{"and": [...]}`).
pub(crate) fn single_entry<'v>(
    map: &'v Map<String, Value>,
    path: &str,
) -> Parsed<(&'v str, &'v Value)> {
    let mut entries = map.iter();
    match (entries.next(), entries.next()) {
        (Some((key, value)), None) => Ok((key.as_str(), value)),
        (None, _) => Err(QueryError::new(path, "empty object")),
        (Some(_), Some(_)) => {
            let keys: Vec<&str> = map.keys().map(String::as_str).collect();
            Err(QueryError::new(
                path,
                format!("expected exactly one key, found {}", keys.join(", ")),
            ))
        }
    }
}

/// Rejects keys outside `allowed`, pointing at the first unknown one.
pub(crate) fn only_keys(map: &Map<String, Value>, allowed: &[&str], path: &str) -> Parsed<()> {
    match map.keys().find(|key| !allowed.contains(&key.as_str())) {
        None => Ok(()),
        Some(key) => Err(QueryError::new(
            &child(path, key),
            format!(
                "unknown key \"{key}\" (expected one of: {})",
                allowed.join(", ")
            ),
        )),
    }
}

pub(crate) fn required<'v>(
    map: &'v Map<String, Value>,
    key: &str,
    path: &str,
) -> Parsed<&'v Value> {
    map.get(key)
        .ok_or_else(|| QueryError::new(path, format!("missing \"{key}\"")))
}

pub(crate) fn string<'v>(value: &'v Value, path: &str) -> Parsed<&'v str> {
    value
        .as_str()
        .ok_or_else(|| QueryError::new(path, format!("expected a string, found {}", kind(value))))
}

pub(crate) fn finite_number(value: &Value, path: &str) -> Parsed<f64> {
    value
        .as_f64()
        .filter(|x| x.is_finite())
        .ok_or_else(|| QueryError::new(path, format!("expected a number, found {}", kind(value))))
}

/// A non-empty JSON array.
pub(crate) fn list<'v>(value: &'v Value, path: &str) -> Parsed<&'v [Value]> {
    match value.as_array() {
        Some(items) if !items.is_empty() => Ok(items),
        Some(_) => Err(QueryError::new(path, "expected a non-empty list")),
        None => Err(QueryError::new(
            path,
            format!("expected a list, found {}", kind(value)),
        )),
    }
}

/// A cohort code as written in a query: a number (`1001`) or a string (`"1001"`).
pub(crate) fn cohort_code(value: &Value, path: &str) -> Parsed<String> {
    match value {
        Value::Number(n) if n.is_u64() || n.is_i64() => Ok(n.to_string()),
        Value::String(s) if !s.is_empty() => Ok(s.clone()),
        other => Err(QueryError::new(
            path,
            format!(
                "expected a cohort code (integer or string), found {}",
                kind(other)
            ),
        )),
    }
}

pub(crate) fn child(path: &str, key: &str) -> String {
    format!("{path}.{key}")
}

pub(crate) fn index(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

/// How a JSON value is described in error messages.
pub(crate) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}
