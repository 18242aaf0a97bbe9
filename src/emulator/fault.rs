//! Injected faults, for trying a client's error handling: slow answers, error answers,
//! connections cut mid-response, and handler panics.
//!
//! Written as `latency=300ms,error_rate=0.2,status=503,drop_rate=0.05,panic_rate=0`.

use std::time::Duration;

/// What to do wrong, and how often.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Fault {
    /// Added before every answer.
    pub latency: Duration,
    /// Fraction of requests answered with an error envelope of `status`.
    pub error_rate: f64,
    pub status: u16,
    /// Fraction of requests whose connection is cut after part of the answer was sent.
    pub drop_rate: f64,
    /// Fraction of requests whose handler panics (the server must survive it).
    pub panic_rate: f64,
}

/// What a single request gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mishap {
    None,
    Error(u16),
    Drop,
    Panic,
}

impl Fault {
    pub fn parse(spec: &str) -> Result<Fault, String> {
        let mut fault = Fault {
            status: 503,
            ..Fault::default()
        };
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = part
                .split_once('=')
                .ok_or_else(|| format!("\"{part}\": expected key=value"))?;
            let rate = || -> Result<f64, String> {
                let r: f64 = value
                    .parse()
                    .map_err(|_| format!("{key}: \"{value}\" is not a number"))?;
                if (0.0..=1.0).contains(&r) {
                    Ok(r)
                } else {
                    Err(format!("{key}: {r} is not between 0 and 1"))
                }
            };
            match key {
                "latency" => fault.latency = parse_duration(value)?,
                "error_rate" => fault.error_rate = rate()?,
                "drop_rate" => fault.drop_rate = rate()?,
                "panic_rate" => fault.panic_rate = rate()?,
                "status" => {
                    fault.status = value
                        .parse()
                        .ok()
                        .filter(|s| (400..600).contains(s))
                        .ok_or_else(|| format!("status: \"{value}\" is not a 4xx/5xx status"))?
                }
                other => {
                    return Err(format!(
                        "unknown fault \"{other}\" (known: latency, error_rate, status, drop_rate, panic_rate)"
                    ));
                }
            }
        }
        if fault.error_rate + fault.drop_rate + fault.panic_rate > 1.0 {
            return Err("error_rate + drop_rate + panic_rate must not exceed 1".into());
        }
        Ok(fault)
    }

    /// Draws what happens to one request.
    pub fn roll(&self) -> Mishap {
        let r = uniform();
        if r < self.panic_rate {
            Mishap::Panic
        } else if r < self.panic_rate + self.drop_rate {
            Mishap::Drop
        } else if r < self.panic_rate + self.drop_rate + self.error_rate {
            Mishap::Error(self.status)
        } else {
            Mishap::None
        }
    }
}

/// A uniform number in [0, 1) from the OS-seeded generator behind UUID v4.
fn uniform() -> f64 {
    let bits = (uuid::Uuid::new_v4().as_u128() >> 64) as u64 >> 11;
    bits as f64 / (1u64 << 53) as f64
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    let (number, unit) = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .map(|i| text.split_at(i))
        .unwrap_or((text, "ms"));
    let n: f64 = number
        .parse()
        .map_err(|_| format!("latency: \"{text}\" is not a duration like 300ms or 2s"))?;
    let seconds = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        _ => return Err(format!("latency: unknown unit in \"{text}\" (use ms or s)")),
    };
    // `Duration::from_secs_f64` panics past ~584 billion years; nobody waits an hour for an answer.
    Duration::try_from_secs_f64(seconds)
        .ok()
        .filter(|d| *d <= MAX_LATENCY)
        .ok_or_else(|| {
            format!(
                "latency: \"{text}\" is too long (at most {} s)",
                MAX_LATENCY.as_secs()
            )
        })
}

/// The longest injected latency.
pub const MAX_LATENCY: Duration = Duration::from_secs(3600);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_form() {
        let f = Fault::parse("latency=300ms,error_rate=0.2,status=503,drop_rate=0.05").unwrap();
        assert_eq!(f.latency, Duration::from_millis(300));
        assert_eq!(f.error_rate, 0.2);
        assert_eq!(f.status, 503);
        assert_eq!(f.drop_rate, 0.05);
        assert_eq!(
            Fault::parse("latency=2s").unwrap().latency,
            Duration::from_secs(2)
        );
    }

    #[test]
    fn rejects_nonsense_with_a_reason() {
        assert!(
            Fault::parse("latency=fast")
                .unwrap_err()
                .contains("latency")
        );
        assert!(
            Fault::parse("error_rate=2")
                .unwrap_err()
                .contains("between 0 and 1")
        );
        assert!(
            Fault::parse("explode=1")
                .unwrap_err()
                .contains("unknown fault")
        );
        assert!(Fault::parse("status=200").unwrap_err().contains("4xx/5xx"));
    }

    #[test]
    fn certain_faults_always_happen() {
        let f = Fault::parse("drop_rate=1").unwrap();
        assert!((0..100).all(|_| f.roll() == Mishap::Drop));
        let f = Fault::parse("error_rate=1,status=502").unwrap();
        assert!((0..100).all(|_| f.roll() == Mishap::Error(502)));
        assert!((0..100).all(|_| Fault::default().roll() == Mishap::None));
    }
}
