//! `where` conditions over an event's properties.
//!
//! Missing properties: a positive test (`equal_to`, `contains`, `greater_than`, `list_contains`,
//! the `any`/`all` functions, ...) on a missing property or one of the wrong type is false; the
//! negated tests (`not_equal_to`, `not_contains`) are exactly their negation, so they are true;
//! `is_empty` is true for a missing property, `null`, `""`, `[]` and `{}`.

use std::borrow::Cow;
use std::cmp::Ordering;

use serde_json::{Number, Value};

use super::properties::{Kind, Prop};

use super::compare::parse_range;
use super::syntax::{
    Parsed, QueryError, child, finite_number, index, kind, list, object, only_keys, required,
    single_entry, string,
};

/// Where a condition's property paths start.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Scope {
    /// Paths are `properties.a.b`, read from the event's properties.
    Event,
    /// Paths are relative to one element of a list (inside a `function` condition).
    Element,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Condition {
    All(Vec<Condition>),
    Any(Vec<Condition>),
    Not(Box<Condition>),
    Property { path: Vec<String>, test: Test },
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Test {
    /// Any of the operands (lists mean "any of"); strings ignore case.
    EqualTo(Vec<Scalar>),
    /// None of the operands; strings ignore case.
    NotEqualTo(Vec<Scalar>),
    /// String tests ignore case: the operands are kept lowercased.
    Contains(Vec<String>),
    NotContains(Vec<String>),
    StartsWith(Vec<String>),
    EndsWith(Vec<String>),
    /// The property is a list holding any of the operands (strings: case-sensitive).
    ListContains(Vec<Scalar>),
    /// The property is a number that compares true with any of the operands.
    Numeric(NumericOp, Vec<Number>),
    /// Inclusive at both ends.
    Between(Number, Number),
    /// `true`: missing, null, "", [] or {}; `false`: anything else.
    IsEmpty(bool),
    /// `{"function": "any"|"all", "property", "condition", "where"?}` over a list of objects.
    Function {
        every: bool,
        path: Vec<String>,
        test: Box<Test>,
        filter: Option<Box<Condition>>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum NumericOp {
    GreaterThan,
    GreaterThanOrEqualTo,
    LessThan,
    LessThanOrEqualTo,
}

/// An operand of an equality test. Numbers compare numerically (integers exactly, however
/// large), and values of different types are never equal (`"5"` is not `5`). Strings of
/// `equal_to`/`not_equal_to` are kept lowercased and compared ignoring case; those of
/// `list_contains` exactly (Permutive: only list-of-strings properties are case-sensitive).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Scalar {
    String(String),
    Number(Number),
    Bool(bool),
}

impl Scalar {
    fn equals(&self, value: Prop<'_>, ignore_case: bool) -> bool {
        match (self, value.kind()) {
            (Scalar::String(a), Kind::String(b)) if ignore_case => *a == lowercase(b),
            (Scalar::String(a), Kind::String(b)) => a == b,
            (Scalar::Number(a), Kind::Number(b)) => compare_numbers(b, a) == Some(Ordering::Equal),
            (Scalar::Bool(a), Kind::Bool(b)) => *a == b,
            _ => false,
        }
    }

    fn lowercased(self) -> Scalar {
        match self {
            Scalar::String(s) => Scalar::String(lowercase(&s).into_owned()),
            other => other,
        }
    }
}

/// `s` in lower case (a copy only when it has upper-case letters or is not ASCII).
pub(crate) fn lowercase(s: &str) -> Cow<'_, str> {
    if s.is_ascii() && !s.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(s.to_lowercase())
    }
}

/// Two JSON numbers: exactly when both are integers (or floats with integer values), however
/// large; otherwise as `f64`.
pub(crate) fn compare_numbers(a: &Number, b: &Number) -> Option<Ordering> {
    fn exact(n: &Number) -> Option<i128> {
        if let Some(i) = n.as_i64() {
            return Some(i128::from(i));
        }
        if let Some(u) = n.as_u64() {
            return Some(i128::from(u));
        }
        // A float with an integer value is that integer exactly.
        let x = n.as_f64()?;
        (x.fract() == 0.0 && x.abs() < 1.0e38).then_some(x as i128)
    }
    match (exact(a), exact(b)) {
        (Some(x), Some(y)) => Some(x.cmp(&y)),
        _ => a.as_f64()?.partial_cmp(&b.as_f64()?),
    }
}

impl Condition {
    pub fn parse(value: &Value, path: &str, scope: Scope) -> Parsed<Condition> {
        let map = object(value, path)?;
        if map.contains_key("property") {
            only_keys(map, &["property", "condition"], path)?;
            let property_path = child(path, "property");
            let property = string(required(map, "property", path)?, &property_path)?;
            let condition_path = child(path, "condition");
            let test = Test::parse(required(map, "condition", path)?, &condition_path)?;
            return Ok(Condition::Property {
                path: property_segments(property, scope, &property_path)?,
                test,
            });
        }
        let (key, body) = single_entry(map, path)?;
        let body_path = child(path, key);
        Ok(match key {
            "and" | "or" => {
                let items = list(body, &body_path)?
                    .iter()
                    .enumerate()
                    .map(|(i, item)| Condition::parse(item, &index(&body_path, i), scope))
                    .collect::<Parsed<Vec<_>>>()?;
                if key == "and" {
                    Condition::All(items)
                } else {
                    Condition::Any(items)
                }
            }
            "not" => Condition::Not(Box::new(Condition::parse(body, &body_path, scope)?)),
            other => {
                return Err(QueryError::new(
                    path,
                    format!(
                        "unknown condition \"{other}\" (expected and, or, not or property/condition)"
                    ),
                ));
            }
        })
    }

    /// Whether the condition holds for `root` (an event's properties, or a list element).
    pub fn holds(&self, root: Prop<'_>) -> bool {
        match self {
            Condition::All(items) => items.iter().all(|c| c.holds(root)),
            Condition::Any(items) => items.iter().any(|c| c.holds(root)),
            Condition::Not(inner) => !inner.holds(root),
            Condition::Property { path, test } => test.holds(root.lookup(path)),
        }
    }
}

impl Test {
    fn parse(value: &Value, path: &str) -> Parsed<Test> {
        let map = object(value, path)?;
        if map.contains_key("function") {
            only_keys(map, &["function", "property", "condition", "where"], path)?;
            let function_path = child(path, "function");
            let every = match string(required(map, "function", path)?, &function_path)? {
                "any" => false,
                "all" => true,
                other => {
                    return Err(QueryError::new(
                        &function_path,
                        format!("unknown function \"{other}\" (expected any or all)"),
                    ));
                }
            };
            let property_path = child(path, "property");
            let property = string(required(map, "property", path)?, &property_path)?;
            let test = Test::parse(required(map, "condition", path)?, &child(path, "condition"))?;
            let filter = map
                .get("where")
                .map(|w| Condition::parse(w, &child(path, "where"), Scope::Element))
                .transpose()?;
            return Ok(Test::Function {
                every,
                path: property_segments(property, Scope::Element, &property_path)?,
                test: Box::new(test),
                filter: filter.map(Box::new),
            });
        }
        let (op, operand) = single_entry(map, path)?;
        let operand_path = child(path, op);
        let at = operand_path.as_str();
        Ok(match op {
            "equal_to" => Test::EqualTo(lowercased(scalars(operand, at)?)),
            "not_equal_to" => Test::NotEqualTo(lowercased(scalars(operand, at)?)),
            "contains" => Test::Contains(lowercase_strings(operand, at)?),
            "not_contains" => Test::NotContains(lowercase_strings(operand, at)?),
            "starts_with" => Test::StartsWith(lowercase_strings(operand, at)?),
            "ends_with" => Test::EndsWith(lowercase_strings(operand, at)?),
            "list_contains" => Test::ListContains(scalars(operand, at)?),
            "greater_than" => Test::Numeric(NumericOp::GreaterThan, numbers(operand, at)?),
            "greater_than_or_equal_to" => {
                Test::Numeric(NumericOp::GreaterThanOrEqualTo, numbers(operand, at)?)
            }
            "less_than" => Test::Numeric(NumericOp::LessThan, numbers(operand, at)?),
            "less_than_or_equal_to" => {
                Test::Numeric(NumericOp::LessThanOrEqualTo, numbers(operand, at)?)
            }
            "between" => {
                // Validated as numbers with low <= high; compared with their exact values.
                parse_range(operand, at)?;
                match operand.as_array().map(Vec::as_slice) {
                    Some([Value::Number(low), Value::Number(high)]) => {
                        Test::Between(low.clone(), high.clone())
                    }
                    _ => return Err(QueryError::new(at, "expected [low, high]")),
                }
            }
            "is_empty" => Test::IsEmpty(boolean(operand, at)?),
            "is_not_empty" => Test::IsEmpty(!boolean(operand, at)?),
            other => {
                return Err(QueryError::new(
                    path,
                    format!("unknown operator \"{other}\""),
                ));
            }
        })
    }

    fn holds(&self, value: Option<Prop<'_>>) -> bool {
        let text = || value.and_then(Prop::as_str).map(lowercase);
        let number = || value.and_then(Prop::as_number);
        match self {
            Test::EqualTo(operands) => value.is_some_and(|v| equals_any(operands, v)),
            Test::NotEqualTo(operands) => !value.is_some_and(|v| equals_any(operands, v)),
            Test::Contains(operands) => {
                text().is_some_and(|s| operands.iter().any(|o| s.contains(o.as_str())))
            }
            Test::NotContains(operands) => {
                !text().is_some_and(|s| operands.iter().any(|o| s.contains(o.as_str())))
            }
            Test::StartsWith(operands) => {
                text().is_some_and(|s| operands.iter().any(|o| s.starts_with(o.as_str())))
            }
            Test::EndsWith(operands) => {
                text().is_some_and(|s| operands.iter().any(|o| s.ends_with(o.as_str())))
            }
            Test::ListContains(operands) => value.filter(|v| v.is_array()).is_some_and(|list| {
                operands
                    .iter()
                    .any(|o| list.items().any(|item| o.equals(item, false)))
            }),
            Test::Numeric(op, operands) => number().is_some_and(|x| {
                operands.iter().any(|n| {
                    let Some(order) = compare_numbers(x, n) else {
                        return false;
                    };
                    match op {
                        NumericOp::GreaterThan => order.is_gt(),
                        NumericOp::GreaterThanOrEqualTo => order.is_ge(),
                        NumericOp::LessThan => order.is_lt(),
                        NumericOp::LessThanOrEqualTo => order.is_le(),
                    }
                })
            }),
            Test::Between(low, high) => number().is_some_and(|x| {
                compare_numbers(x, low).is_some_and(Ordering::is_ge)
                    && compare_numbers(x, high).is_some_and(Ordering::is_le)
            }),
            Test::IsEmpty(want_empty) => is_empty(value) == *want_empty,
            Test::Function {
                every,
                path,
                test,
                filter,
            } => {
                let Some(list) = value.filter(|v| v.is_array()) else {
                    return false;
                };
                let mut selected = list
                    .items()
                    .filter(|item| filter.as_ref().is_none_or(|f| f.holds(*item)))
                    .peekable();
                if *every {
                    // "all" needs at least one element: an empty list is no evidence.
                    selected.peek().is_some() && selected.all(|item| test.holds(item.lookup(path)))
                } else {
                    selected.any(|item| test.holds(item.lookup(path)))
                }
            }
        }
    }
}

/// Whether `value` equals any of `operands`, strings ignoring case (the value is lowercased once,
/// not once per operand: a cohort may list dozens).
fn equals_any(operands: &[Scalar], value: Prop<'_>) -> bool {
    match value.kind() {
        Kind::String(s) => {
            let lower = lowercase(s);
            operands
                .iter()
                .any(|o| matches!(o, Scalar::String(a) if *a == *lower))
        }
        _ => operands.iter().any(|o| o.equals(value, true)),
    }
}

fn is_empty(value: Option<Prop<'_>>) -> bool {
    match value.map(Prop::kind) {
        None | Some(Kind::Null) => true,
        Some(Kind::String(s)) => s.is_empty(),
        Some(Kind::Array(len) | Kind::Object(len)) => len == 0,
        Some(Kind::Bool(_) | Kind::Number(_)) => false,
    }
}

/// `properties.a.b` → `["a", "b"]` (event scope); `key.sub` → `["key", "sub"]` (element scope).
fn property_segments(property: &str, scope: Scope, path: &str) -> Parsed<Vec<String>> {
    let relative = match scope {
        Scope::Event if property == "properties" => return Ok(Vec::new()),
        Scope::Event => property.strip_prefix("properties.").ok_or_else(|| {
            QueryError::new(
                path,
                format!("property \"{property}\" must start with \"properties.\""),
            )
        })?,
        Scope::Element => property,
    };
    let segments: Vec<String> = relative.split('.').map(str::to_string).collect();
    if segments.iter().any(String::is_empty) {
        return Err(QueryError::new(
            path,
            format!("property \"{property}\" has an empty segment"),
        ));
    }
    Ok(segments)
}

fn one_or_many<T>(
    value: &Value,
    path: &str,
    item: impl Fn(&Value, &str) -> Parsed<T>,
) -> Parsed<Vec<T>> {
    match value {
        Value::Array(_) => list(value, path)?
            .iter()
            .enumerate()
            .map(|(i, v)| item(v, &index(path, i)))
            .collect(),
        single => Ok(vec![item(single, path)?]),
    }
}

fn scalars(value: &Value, path: &str) -> Parsed<Vec<Scalar>> {
    one_or_many(value, path, |v, at| match v {
        Value::String(s) => Ok(Scalar::String(s.clone())),
        Value::Number(n) => finite_number(v, at).map(|_| Scalar::Number(n.clone())),
        Value::Bool(b) => Ok(Scalar::Bool(*b)),
        other => Err(QueryError::new(
            at,
            format!(
                "expected a string, number or boolean, found {}",
                kind(other)
            ),
        )),
    })
}

fn lowercased(scalars: Vec<Scalar>) -> Vec<Scalar> {
    scalars.into_iter().map(Scalar::lowercased).collect()
}

fn lowercase_strings(value: &Value, path: &str) -> Parsed<Vec<String>> {
    one_or_many(value, path, |v, at| {
        string(v, at).map(|s| lowercase(s).into_owned())
    })
}

fn numbers(value: &Value, path: &str) -> Parsed<Vec<Number>> {
    one_or_many(value, path, |v, at| {
        finite_number(v, at)?;
        match v {
            Value::Number(n) => Ok(n.clone()),
            _ => Err(QueryError::new(at, "expected a number")),
        }
    })
}

fn boolean(value: &Value, path: &str) -> Parsed<bool> {
    value.as_bool().ok_or_else(|| {
        QueryError::new(
            path,
            format!("expected true or false, found {}", kind(value)),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn holds(condition: Value, properties: Value) -> bool {
        Condition::parse(&condition, "where", Scope::Event)
            .expect("valid condition")
            .holds(super::super::Properties::from(properties).root())
    }

    fn on(op: &str, operand: Value, value: Value) -> bool {
        holds(
            json!({"property": "properties.x", "condition": {op: operand}}),
            json!({"x": value}),
        )
    }

    #[test]
    fn every_operator() {
        assert!(on("equal_to", json!("a"), json!("a")));
        assert!(on("equal_to", json!("a"), json!("A")), "ignores case");
        assert!(on("equal_to", json!(["b", "a"]), json!("a")), "any of");
        assert!(!on("equal_to", json!(5), json!("5")), "types never coerce");
        assert!(on("equal_to", json!(true), json!(true)));
        assert!(on("not_equal_to", json!(["b", "c"]), json!("a")), "none of");
        assert!(!on("not_equal_to", json!(["a", "c"]), json!("a")));
        assert!(on("contains", json!("oot"), json!("football")));
        assert!(!on("not_contains", json!(["x", "oot"]), json!("football")));
        assert!(on("starts_with", json!("foo"), json!("football")));
        assert!(on("ends_with", json!("ball"), json!("football")));
        assert!(on("list_contains", json!(["z", "b"]), json!(["a", "b"])));
        assert!(!on("list_contains", json!("a"), json!("a")), "needs a list");
        assert!(on("greater_than", json!(1), json!(2)));
        assert!(!on("greater_than", json!(2), json!(2)));
        assert!(on("greater_than_or_equal_to", json!(2), json!(2)));
        assert!(on("less_than", json!(3), json!(2.5)));
        assert!(on("less_than_or_equal_to", json!(2), json!(2)));
        assert!(on("between", json!([1, 2]), json!(2)));
        assert!(!on("between", json!([1, 2]), json!(2.01)));
        assert!(on("is_empty", json!(true), json!("")));
        assert!(on("is_not_empty", json!(true), json!([1])));
        assert!(!on("is_not_empty", json!(true), json!({})));
    }

    #[test]
    fn strings_ignore_case_except_in_lists() {
        assert!(on("equal_to", json!("football"), json!("Football")));
        assert!(on(
            "equal_to",
            json!(["Sport", "FOOTBALL"]),
            json!("football")
        ));
        assert!(!on("not_equal_to", json!("FOOTBALL"), json!("football")));
        assert!(on("contains", json!("football"), json!("/News/Football/x")));
        assert!(on("contains", json!("FOOT"), json!("/football/")));
        assert!(!on("not_contains", json!("Football"), json!("/football/")));
        assert!(on("starts_with", json!("HTTPS://"), json!("https://x")));
        assert!(on("ends_with", json!("/LIVE"), json!("/news/live")));
        assert!(on("equal_to", json!("ÉTÉ"), json!("été")), "not only ASCII");
        // List-of-strings properties are case-sensitive.
        assert!(!on("list_contains", json!("Economy"), json!(["economy"])));
        assert!(on("list_contains", json!("economy"), json!(["economy"])));
    }

    #[test]
    fn integers_compare_exactly_however_large() {
        let big = |text: &str| -> Value { serde_json::from_str(text).expect("number") };
        assert!(!on(
            "equal_to",
            big("9007199254740993"),
            big("9007199254740992")
        ));
        assert!(on(
            "equal_to",
            big("9007199254740993"),
            big("9007199254740993")
        ));
        assert!(on(
            "greater_than",
            big("9007199254740992"),
            big("9007199254740993")
        ));
        assert!(on(
            "not_equal_to",
            big("9007199254740993"),
            big("9007199254740992")
        ));
        assert!(
            on("equal_to", json!(3), json!(3.0)),
            "3 and 3.0 are the same number"
        );
        assert!(on("between", json!([3, 3.5]), json!(3.25)));
        assert!(!on(
            "between",
            big("[9007199254740993, 9007199254740995]"),
            big("9007199254740992")
        ));
    }

    #[test]
    fn missing_properties() {
        let none = json!({});
        for (op, operand) in [
            ("equal_to", json!("a")),
            ("contains", json!("a")),
            ("greater_than", json!(0)),
        ] {
            assert!(!holds(
                json!({"property": "properties.x", "condition": {op: operand}}),
                none.clone()
            ));
        }
        assert!(holds(
            json!({"property": "properties.x", "condition": {"not_equal_to": "a"}}),
            none.clone()
        ));
        assert!(holds(
            json!({"property": "properties.x", "condition": {"not_contains": "a"}}),
            none.clone()
        ));
        assert!(holds(
            json!({"property": "properties.x.y", "condition": {"is_empty": true}}),
            none
        ));
    }

    #[test]
    fn function_over_lists_of_objects() {
        let condition = json!({"property": "properties.slot.targeting_keys", "condition": {
            "function": "any", "property": "key", "condition": {"equal_to": "permutive"},
            "where": {"property": "enabled", "condition": {"equal_to": true}}}});
        let keys = |items: Value| json!({"slot": {"targeting_keys": items}});
        assert!(holds(
            condition.clone(),
            keys(json!([{"key": "x"}, {"key": "permutive", "enabled": true}]))
        ));
        assert!(!holds(
            condition.clone(),
            keys(json!([{"key": "permutive", "enabled": false}]))
        ));
        assert!(!holds(condition, keys(json!("permutive"))));
        let all = json!({"property": "properties.l", "condition": {
            "function": "all", "property": "n", "condition": {"greater_than": 1}}});
        assert!(holds(all.clone(), json!({"l": [{"n": 2}, {"n": 3}]})));
        assert!(!holds(all.clone(), json!({"l": [{"n": 2}, {"n": 1}]})));
        assert!(!holds(all, json!({"l": []})), "all over nothing is false");
    }

    #[test]
    fn combinators() {
        let a = json!({"property": "properties.a", "condition": {"equal_to": 1}});
        let b = json!({"property": "properties.b", "condition": {"equal_to": 1}});
        assert!(holds(
            json!({"or": [a.clone(), b.clone()]}),
            json!({"b": 1})
        ));
        assert!(!holds(
            json!({"and": [a.clone(), b.clone()]}),
            json!({"b": 1})
        ));
        assert!(holds(json!({"not": a}), json!({"b": 1})));
    }

    #[test]
    fn errors_name_the_offending_node() {
        let parse =
            |v: Value| Condition::parse(&v, "query.where", Scope::Event).expect_err("invalid");
        let err = parse(json!({"and": [{"property": "properties.a", "condition": {"equals": 1}}]}));
        assert_eq!(err.path, "query.where.and[0].condition");
        let err = parse(json!({"property": "properties.a", "condition": {"contains": 3}}));
        assert_eq!(err.path, "query.where.condition.contains");
        let err = parse(json!({"property": "a.b", "condition": {"equal_to": 1}}));
        assert_eq!(err.path, "query.where.property");
        let err = parse(json!({"xor": []}));
        assert_eq!(err.path, "query.where");
        let err = parse(json!({"property": "properties.a", "condition": {"greater_than": "1"}}));
        assert_eq!(err.path, "query.where.condition.greater_than");
    }
}
