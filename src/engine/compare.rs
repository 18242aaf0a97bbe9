//! Numeric comparisons: a clause's `frequency`, `seconds`, `completion` or `count` (CMP).

use serde_json::{Value, json};

use super::syntax::{Parsed, QueryError, finite_number, object, single_entry};

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Comparison {
    EqualTo(f64),
    GreaterThan(f64),
    GreaterThanOrEqualTo(f64),
    LessThan(f64),
    LessThanOrEqualTo(f64),
    /// Inclusive at both ends.
    Between(f64, f64),
}

impl Comparison {
    /// What a clause without `frequency` means: "at least once".
    pub const AT_LEAST_ONCE: Comparison = Comparison::GreaterThanOrEqualTo(1.0);

    pub fn parse(value: &Value, path: &str) -> Parsed<Comparison> {
        let (op, operand) = single_entry(object(value, path)?, path)?;
        let operand_path = format!("{path}.{op}");
        let number = || finite_number(operand, &operand_path);
        Ok(match op {
            "equal_to" => Comparison::EqualTo(number()?),
            "greater_than" => Comparison::GreaterThan(number()?),
            "greater_than_or_equal_to" => Comparison::GreaterThanOrEqualTo(number()?),
            "less_than" => Comparison::LessThan(number()?),
            "less_than_or_equal_to" => Comparison::LessThanOrEqualTo(number()?),
            "between" => {
                let (low, high) = parse_range(operand, &operand_path)?;
                Comparison::Between(low, high)
            }
            other => {
                return Err(QueryError::new(
                    path,
                    format!("unknown comparison \"{other}\""),
                ));
            }
        })
    }

    pub fn holds(self, x: f64) -> bool {
        match self {
            Comparison::EqualTo(n) => x == n,
            Comparison::GreaterThan(n) => x > n,
            Comparison::GreaterThanOrEqualTo(n) => x >= n,
            Comparison::LessThan(n) => x < n,
            Comparison::LessThanOrEqualTo(n) => x <= n,
            Comparison::Between(low, high) => low <= x && x <= high,
        }
    }

    pub fn operator(self) -> &'static str {
        match self {
            Comparison::EqualTo(_) => "equal_to",
            Comparison::GreaterThan(_) => "greater_than",
            Comparison::GreaterThanOrEqualTo(_) => "greater_than_or_equal_to",
            Comparison::LessThan(_) => "less_than",
            Comparison::LessThanOrEqualTo(_) => "less_than_or_equal_to",
            Comparison::Between(..) => "between",
        }
    }

    pub fn threshold(self) -> Value {
        match self {
            Comparison::EqualTo(n)
            | Comparison::GreaterThan(n)
            | Comparison::GreaterThanOrEqualTo(n)
            | Comparison::LessThan(n)
            | Comparison::LessThanOrEqualTo(n) => number_value(n),
            Comparison::Between(low, high) => json!([number_value(low), number_value(high)]),
        }
    }
}

/// `[low, high]`, two numbers with `low <= high`.
pub(crate) fn parse_range(value: &Value, path: &str) -> Parsed<(f64, f64)> {
    match value.as_array().map(Vec::as_slice) {
        Some([low, high]) => {
            let low = finite_number(low, &format!("{path}[0]"))?;
            let high = finite_number(high, &format!("{path}[1]"))?;
            if low > high {
                return Err(QueryError::new(
                    path,
                    "range lower bound is above its upper bound",
                ));
            }
            Ok((low, high))
        }
        _ => Err(QueryError::new(
            path,
            "expected a list of two numbers [low, high]",
        )),
    }
}

/// A JSON number for `x`, written as an integer when it is one (`3`, not `3.0`).
pub(crate) fn number_value(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < 9.0e15 {
        Value::from(x as i64)
    } else {
        serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_operator_and_tests_boundaries() {
        let cases = [
            (json!({"equal_to": 3}), [false, true, false]),
            (json!({"greater_than": 3}), [false, false, true]),
            (json!({"greater_than_or_equal_to": 3}), [false, true, true]),
            (json!({"less_than": 3}), [true, false, false]),
            (json!({"less_than_or_equal_to": 3}), [true, true, false]),
            (json!({"between": [3, 4]}), [false, true, true]),
        ];
        for (query, expected) in cases {
            let cmp = Comparison::parse(&query, "q").expect("valid");
            assert_eq!(
                [cmp.holds(2.0), cmp.holds(3.0), cmp.holds(4.0)],
                expected,
                "{query}"
            );
        }
    }

    #[test]
    fn rejects_unknown_operators_and_bad_operands() {
        let err = Comparison::parse(&json!({"at_least": 3}), "q.frequency").expect_err("bad");
        assert_eq!(err.path, "q.frequency");
        let err = Comparison::parse(&json!({"equal_to": "3"}), "q.frequency").expect_err("bad");
        assert_eq!(err.path, "q.frequency.equal_to");
        assert!(Comparison::parse(&json!({"between": [4, 3]}), "q").is_err());
        assert!(Comparison::parse(&json!({"between": [1]}), "q").is_err());
    }
}
