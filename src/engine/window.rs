//! Time windows (`during`). All times are whole milliseconds since the Unix epoch: event times
//! are truncated to the millisecond before anything else, which makes every window boundary
//! exact at that resolution.

use serde_json::Value;

use super::syntax::{
    Parsed, QueryError, child, finite_number, object, only_keys, required, single_entry, string,
};

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Window {
    /// No `during`, or `{"all_time": true}`.
    AllTime,
    /// `the_last`: events with `now - span < time <= now` (the boundary instant is excluded).
    Last {
        span_ms: i64,
        value: f64,
        unit: Unit,
    },
    /// `after`: strictly after the instant.
    After(i64),
    /// `before`: strictly before the instant.
    Before(i64),
    /// `between`: inclusive at both ends.
    Between(i64, i64),
    /// `this_session`: the events of the user's current session.
    ThisSession,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Unit {
    Seconds,
    Minutes,
    Hours,
    Days,
    Weeks,
    Months,
}

impl Unit {
    fn parse(value: &Value, path: &str) -> Parsed<Unit> {
        // The singular spelling is the same unit (`{"value": 1, "unit": "day"}`).
        Ok(match string(value, path)? {
            "seconds" | "second" => Unit::Seconds,
            "minutes" | "minute" => Unit::Minutes,
            "hours" | "hour" => Unit::Hours,
            "days" | "day" => Unit::Days,
            "weeks" | "week" => Unit::Weeks,
            "months" | "month" => Unit::Months,
            other => {
                return Err(QueryError::new(
                    path,
                    format!(
                        "unknown unit \"{other}\" (expected seconds, minutes, hours, days, weeks or months)"
                    ),
                ));
            }
        })
    }

    /// Days are 24 hours: the engine has no time zone, so no daylight-saving days. A month is
    /// 30 days (an assumption: Permutive does not say; calendar months would need a time zone).
    fn millis(self) -> f64 {
        match self {
            Unit::Seconds => 1_000.0,
            Unit::Minutes => 60_000.0,
            Unit::Hours => 3_600_000.0,
            Unit::Days => 86_400_000.0,
            Unit::Weeks => 604_800_000.0,
            Unit::Months => 2_592_000_000.0,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Unit::Seconds => "seconds",
            Unit::Minutes => "minutes",
            Unit::Hours => "hours",
            Unit::Days => "days",
            Unit::Weeks => "weeks",
            Unit::Months => "months",
        }
    }
}

impl Window {
    /// Parses an optional `during` (absent = all time).
    pub fn parse(during: Option<&Value>, path: &str) -> Parsed<Window> {
        let Some(value) = during else {
            return Ok(Window::AllTime);
        };
        let (key, body) = single_entry(object(value, path)?, path)?;
        let body_path = child(path, key);
        Ok(match key {
            "the_last" => {
                let map = object(body, &body_path)?;
                only_keys(map, &["value", "unit"], &body_path)?;
                let value_path = child(&body_path, "value");
                let value = finite_number(required(map, "value", &body_path)?, &value_path)?;
                if value <= 0.0 {
                    return Err(QueryError::new(&value_path, "must be greater than 0"));
                }
                let unit = Unit::parse(
                    required(map, "unit", &body_path)?,
                    &child(&body_path, "unit"),
                )?;
                // `as` saturates, so an absurd value becomes "forever", not an overflow.
                let span_ms = (value * unit.millis()).round() as i64;
                Window::Last {
                    span_ms: span_ms.max(1),
                    value,
                    unit,
                }
            }
            "all_time" => match body {
                Value::Bool(true) => Window::AllTime,
                _ => return Err(QueryError::new(&body_path, "expected true")),
            },
            "this_session" => match body {
                Value::Bool(true) => Window::ThisSession,
                _ => return Err(QueryError::new(&body_path, "expected true")),
            },
            "after" => Window::After(instant(body, &body_path)?),
            "before" => Window::Before(instant(body, &body_path)?),
            "between" => match body.as_array().map(Vec::as_slice) {
                Some([start, end]) => {
                    let start = instant(start, &format!("{body_path}[0]"))?;
                    let end = instant(end, &format!("{body_path}[1]"))?;
                    if start > end {
                        return Err(QueryError::new(&body_path, "start is after end"));
                    }
                    Window::Between(start, end)
                }
                _ => {
                    return Err(QueryError::new(
                        &body_path,
                        "expected a list of two RFC 3339 date-times [start, end]",
                    ));
                }
            },
            other => {
                return Err(QueryError::new(
                    path,
                    format!(
                        "unknown window \"{other}\" (expected the_last, this_session, all_time, after, before or between)"
                    ),
                ));
            }
        })
    }

    /// The span of a window relative to the clock; `None` for windows that ignore the clock.
    pub fn span_ms(self) -> Option<i64> {
        match self {
            Window::Last { span_ms, .. } => Some(span_ms),
            _ => None,
        }
    }

    /// Whether an event at `time` counts, given the user's clock `now` (if known).
    pub fn admits(self, time: i64, now: Option<i64>) -> bool {
        match self {
            // The session's own bookkeeping decides (see `Mode::Session`).
            Window::AllTime | Window::ThisSession => true,
            Window::Last { span_ms, .. } => {
                now.is_some_and(|now| time > now.saturating_sub(span_ms) && time <= now)
            }
            Window::After(start) => time > start,
            Window::Before(end) => time < end,
            Window::Between(start, end) => start <= time && time <= end,
        }
    }
}

/// An RFC 3339 date-time, as milliseconds since the epoch.
fn instant(value: &Value, path: &str) -> Parsed<i64> {
    let text = string(value, path)?;
    text.parse::<jiff::Timestamp>()
        .map(jiff::Timestamp::as_millisecond)
        .map_err(|e| QueryError::new(path, format!("not an RFC 3339 date-time: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_last_excludes_its_boundary_instant() {
        let window = Window::parse(
            Some(&json!({"the_last": {"value": 7, "unit": "days"}})),
            "d",
        )
        .expect("valid");
        let now = 10 * 86_400_000;
        assert!(!window.admits(now - 7 * 86_400_000, Some(now)));
        assert!(window.admits(now - 7 * 86_400_000 + 1, Some(now)));
        assert!(window.admits(now, Some(now)));
        assert!(!window.admits(now, None));
    }

    #[test]
    fn singular_units_and_months() {
        let span = |value: Value| {
            Window::parse(Some(&json!({"the_last": value})), "d")
                .expect("valid")
                .span_ms()
        };
        assert_eq!(
            span(json!({"value": 1, "unit": "day"})),
            span(json!({"value": 1, "unit": "days"}))
        );
        assert_eq!(
            span(json!({"value": 2, "unit": "week"})),
            Some(14 * 86_400_000)
        );
        assert_eq!(
            span(json!({"value": 1, "unit": "month"})),
            Some(30 * 86_400_000)
        );
        assert_eq!(
            span(json!({"value": 3, "unit": "months"})),
            Some(90 * 86_400_000)
        );
        for unit in ["second", "minute", "hour"] {
            assert!(span(json!({"value": 1, "unit": unit})).is_some(), "{unit}");
        }
    }

    #[test]
    fn absolute_windows() {
        let t = |s: &str| s.parse::<jiff::Timestamp>().expect("ts").as_millisecond();
        let after =
            Window::parse(Some(&json!({"after": "2024-01-01T00:00:00Z"})), "d").expect("ok");
        assert!(!after.admits(t("2024-01-01T00:00:00Z"), None));
        assert!(after.admits(t("2024-01-01T00:00:00.001Z"), None));
        let before =
            Window::parse(Some(&json!({"before": "2024-01-01T00:00:00Z"})), "d").expect("ok");
        assert!(!before.admits(t("2024-01-01T00:00:00Z"), None));
        let between = Window::parse(
            Some(&json!({"between": ["2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z"]})),
            "d",
        )
        .expect("ok");
        assert!(between.admits(t("2024-01-01T00:00:00Z"), None));
        assert!(between.admits(t("2024-01-02T00:00:00Z"), None));
        assert!(!between.admits(t("2024-01-02T00:00:00.001Z"), None));
    }

    #[test]
    fn rejects_unknown_units_and_windows() {
        let err = Window::parse(
            Some(&json!({"the_last": {"value": 1, "unit": "fortnights"}})),
            "q.during",
        )
        .expect_err("bad unit");
        assert_eq!(err.path, "q.during.the_last.unit");
        let err = Window::parse(Some(&json!({"next_session": true})), "q.during").expect_err("bad");
        assert_eq!(err.path, "q.during");
        assert_eq!(
            Window::parse(Some(&json!({"this_session": true})), "q.during"),
            Ok(Window::ThisSession)
        );
        assert!(Window::parse(Some(&json!({"after": "yesterday"})), "q").is_err());
        assert!(
            Window::parse(
                Some(&json!({"the_last": {"value": 0, "unit": "days"}})),
                "q"
            )
            .is_err()
        );
    }
}
