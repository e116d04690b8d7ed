//! The mock's clock, injectable so tests get the same time stamps on every run.

use chrono::{DateTime, Utc};

/// Where the mock gets "now" from.
///
/// ```
/// use ews_mock::Clock;
/// let fixed = Clock::fixed("2026-01-05T09:00:00Z".parse().unwrap());
/// assert_eq!(fixed.now().to_rfc3339(), "2026-01-05T09:00:00+00:00");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Clock {
    /// The system clock.
    #[default]
    System,
    /// Always this instant.
    Fixed(DateTime<Utc>),
}

impl Clock {
    /// A clock that always answers `at`.
    pub fn fixed(at: DateTime<Utc>) -> Clock {
        Clock::Fixed(at)
    }

    /// The current time, to the second (EWS writes seconds).
    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Clock::System => {
                let now = Utc::now();
                DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now)
            }
            Clock::Fixed(at) => *at,
        }
    }
}
