//! What the console reads from the world besides its input: the time and new ids. Both are
//! injected through [`super::AppOptions`], so the update step never reads the system clock or a
//! random source itself, and a test (or the screenshot writer) runs with a fixed clock and
//! counter ids and gets the same screens every time.

use std::time::Duration;

/// Where the console's time comes from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Clock {
    /// The machine's clock.
    #[default]
    System,
    /// Time stands still at this instant (tests, screenshots). Its readings say nothing about
    /// when things happened, so what is shown of them is a placeholder: `--:--:--` for a time
    /// of day, `… ms` for a latency, nothing for the time a request has been in flight.
    Fixed(jiff::Timestamp),
}

impl Clock {
    /// A fixed clock at the machine's time now (events written with it are recent).
    pub fn fixed_now() -> Clock {
        Clock::Fixed(jiff::Timestamp::now())
    }

    pub fn now(&self) -> jiff::Timestamp {
        match self {
            Clock::System => jiff::Timestamp::now(),
            Clock::Fixed(at) => *at,
        }
    }

    /// How long since `since`, to show (`None` on a fixed clock).
    pub fn shown_elapsed(&self, since: jiff::Timestamp) -> Option<Duration> {
        match self {
            Clock::System => {
                let ms = jiff::Timestamp::now().as_millisecond() - since.as_millisecond();
                Some(Duration::from_millis(ms.max(0) as u64))
            }
            Clock::Fixed(_) => None,
        }
    }

    /// A time of day as the panes show it (`14:02:07`, in the local time zone).
    pub fn time_of_day(&self, time: jiff::Timestamp) -> String {
        match self {
            Clock::System => time
                .to_zoned_datetime(jiff::tz::TimeZone::system())
                .strftime("%H:%M:%S")
                .to_string(),
            Clock::Fixed(_) => "--:--:--".into(),
        }
    }

    /// A latency as the panes show it (measured by the client; a fixed clock hides it).
    pub fn latency_text(&self, latency: Duration) -> String {
        match self {
            Clock::Fixed(_) => "… ms".to_string(),
            Clock::System if latency < Duration::from_millis(10) => {
                format!("{:.1} ms", latency.as_secs_f64() * 1000.0)
            }
            Clock::System => format!("{} ms", latency.as_millis()),
        }
    }

    /// The default name of a saved session: `console session 2026-03-06 14:02`.
    pub fn session_name(&self) -> String {
        match self {
            Clock::System => {
                let now = jiff::Timestamp::now().to_zoned_datetime(jiff::tz::TimeZone::system());
                format!("console session {}", now.strftime("%Y-%m-%d %H:%M"))
            }
            Clock::Fixed(_) => "console session".into(),
        }
    }
}

/// Where new ids (users, sessions, page views) come from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum IdSource {
    /// Random UUIDs v4.
    #[default]
    Random,
    /// `00000000-0000-4000-8000-000000000001`, `…002`, …: the same ids every run.
    Counter(u128),
}

impl IdSource {
    pub fn counter() -> IdSource {
        IdSource::Counter(0)
    }

    /// A new UUID, as text.
    pub fn next_uuid(&mut self) -> String {
        match self {
            IdSource::Random => uuid::Uuid::new_v4().to_string(),
            IdSource::Counter(n) => {
                *n += 1;
                uuid::Uuid::from_u128(0x0000_0000_0000_4000_8000_0000_0000_0000 | *n).to_string()
            }
        }
    }
}
