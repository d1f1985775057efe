//! Timestamps and durations.

use chrono::{DateTime, Utc};

use crate::XapiVersion;

/// Parses an xAPI timestamp. 1.0.3 accepts ISO 8601 combined date-time forms with an offset or
/// `Z` (a timestamp without offset is rejected); 2.0.0 requires RFC 3339 but converts any offset
/// to UTC. Returns the instant; `Err` carries a message suitable for a [`crate::Problem`].
pub fn parse_timestamp(s: &str, version: XapiVersion) -> Result<DateTime<Utc>, String> {
    todo!("{s} {version:?}")
}

/// Formats an instant as the LRS writes it: RFC 3339 in UTC with millisecond precision
/// (`2024-05-01T12:00:00.123Z`).
pub fn format_timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Is `s` an ISO 8601 duration as xAPI allows (`PT1H30M`, `P1DT2.5S`, `P3W` …)?
pub fn is_duration(s: &str) -> bool {
    todo!("{s}")
}
