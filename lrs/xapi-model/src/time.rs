//! Timestamps and durations.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

use crate::XapiVersion;

/// Parses an xAPI timestamp. 1.0.3 accepts ISO 8601 combined date-time forms with an offset or
/// `Z` (a timestamp without offset is rejected); 2.0.0 requires RFC 3339 but converts any offset
/// to UTC. Returns the instant; `Err` carries a message suitable for a [`crate::Problem`].
pub fn parse_timestamp(s: &str, version: XapiVersion) -> Result<DateTime<Utc>, String> {
    let parts = match version {
        XapiVersion::V1_0_3 => parse_iso8601(s),
        XapiVersion::V2_0_0 => parse_rfc3339(s),
    }
    .ok_or_else(|| match version {
        XapiVersion::V1_0_3 => "must be an ISO 8601 date-time with a time zone offset".to_owned(),
        XapiVersion::V2_0_0 => "must be an RFC 3339 date-time with a time zone offset".to_owned(),
    })?;
    parts.instant()
}

/// Formats an instant as the LRS writes it: RFC 3339 in UTC with millisecond precision
/// (`2024-05-01T12:00:00.123Z`).
pub fn format_timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Is `s` an ISO 8601 duration as xAPI allows (`PT1H30M`, `P1DT2.5S`, `P3W` …)?
pub fn is_duration(s: &str) -> bool {
    let Some(body) = s.strip_prefix('P') else {
        return false;
    };
    // The week form stands alone: ISO 8601 does not combine weeks with other designators.
    if let Some(weeks) = body.strip_suffix('W') {
        return is_decimal(weeks);
    }
    let (date_part, time_part) = match body.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (body, None),
    };
    let mut components = Vec::new();
    if !split_components(date_part, &['Y', 'M', 'D'], &mut components) {
        return false;
    }
    if let Some(time_part) = time_part {
        let before = components.len();
        if !split_components(time_part, &['H', 'M', 'S'], &mut components)
            || components.len() == before
        {
            // A `T` must introduce at least one time component.
            return false;
        }
    }
    if components.is_empty() {
        return false;
    }
    // Only the least significant component may carry a fraction.
    let last = components.len() - 1;
    components.iter().enumerate().all(|(i, c)| {
        if i == last {
            is_decimal(c)
        } else {
            is_digits(c)
        }
    })
}

/// Splits `s` into the numbers preceding each designator, which must appear in the given
/// order, each at most once. Returns false on anything else.
fn split_components<'a>(mut s: &'a str, designators: &[char], out: &mut Vec<&'a str>) -> bool {
    let mut allowed = designators;
    while !s.is_empty() {
        let Some(end) = s.find(|c: char| c.is_ascii_alphabetic()) else {
            return false;
        };
        let (number, rest) = s.split_at(end);
        let mut chars = rest.chars();
        let Some(designator) = chars.next() else {
            return false;
        };
        let Some(pos) = allowed.iter().position(|d| *d == designator) else {
            return false;
        };
        allowed = allowed.get(pos + 1..).unwrap_or(&[]);
        if number.is_empty() {
            return false;
        }
        out.push(number);
        s = chars.as_str();
    }
    true
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Digits with an optional fraction; ISO 8601 allows both `.` and `,` as the decimal sign.
fn is_decimal(s: &str) -> bool {
    match s.split_once(['.', ',']) {
        Some((int, frac)) => is_digits(int) && is_digits(frac),
        None => is_digits(s),
    }
}

/// The fields of a parsed timestamp before calendar validation.
#[derive(Debug, Default)]
struct Parts {
    year: i32,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    nanos: u32,
    offset_seconds: i32,
}

impl Parts {
    fn instant(&self) -> Result<DateTime<Utc>, String> {
        let date = NaiveDate::from_ymd_opt(self.year, self.month, self.day)
            .ok_or("is not a valid calendar date")?;
        // ISO 8601 allows 24:00:00 as the end of a day, i.e. midnight of the next one.
        let (hour, extra_day) =
            if self.hour == 24 && self.minute == 0 && self.second == 0 && self.nanos == 0 {
                (0, true)
            } else {
                (self.hour, false)
            };
        // chrono represents a leap second as second 59 with an overflowing fraction.
        let (second, nanos) = if self.second == 60 {
            (59, self.nanos.saturating_add(1_000_000_000))
        } else {
            (self.second, self.nanos)
        };
        let time = NaiveTime::from_hms_nano_opt(hour, self.minute, second, nanos)
            .ok_or("is not a valid time of day")?;
        let mut local = NaiveDateTime::new(date, time);
        if extra_day {
            local = local
                .checked_add_signed(Duration::days(1))
                .ok_or("is out of range")?;
        }
        let offset =
            FixedOffset::east_opt(self.offset_seconds).ok_or("has an invalid time zone offset")?;
        let with_offset = offset
            .from_local_datetime(&local)
            .single()
            .ok_or("is out of range")?;
        Ok(with_offset.with_timezone(&Utc))
    }
}

/// A byte cursor over an ASCII timestamp.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn new(s: &'a str) -> Self {
        Self {
            bytes: s.as_bytes(),
            pos: 0,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn eat_any(&mut self, options: &[u8]) -> Option<u8> {
        let b = self.peek().filter(|b| options.contains(b))?;
        self.pos += 1;
        Some(b)
    }

    /// Exactly `n` digits as a number.
    fn digits(&mut self, n: usize) -> Option<u32> {
        let slice = self.bytes.get(self.pos..self.pos + n)?;
        if !slice.iter().all(u8::is_ascii_digit) {
            return None;
        }
        self.pos += n;
        Some(
            slice
                .iter()
                .fold(0, |acc, b| acc * 10 + u32::from(b - b'0')),
        )
    }

    /// One or more digits of a fraction, as nanoseconds (extra precision truncated).
    fn fraction_nanos(&mut self) -> Option<u32> {
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        let digits = self.bytes.get(start..self.pos)?;
        if digits.is_empty() {
            return None;
        }
        let mut nanos = 0u32;
        for i in 0..9 {
            nanos = nanos * 10 + digits.get(i).map_or(0, |b| u32::from(b - b'0'));
        }
        Some(nanos)
    }

    fn at_end(&self) -> bool {
        self.pos == self.bytes.len()
    }
}

/// RFC 3339 `date-time`: `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`.
fn parse_rfc3339(s: &str) -> Option<Parts> {
    let mut c = Cursor::new(s);
    let mut p = Parts {
        year: i32::try_from(c.digits(4)?).ok()?,
        ..Parts::default()
    };
    c.eat(b'-').then_some(())?;
    p.month = c.digits(2)?;
    c.eat(b'-').then_some(())?;
    p.day = c.digits(2)?;
    c.eat_any(b"Tt")?;
    p.hour = c.digits(2)?;
    c.eat(b':').then_some(())?;
    p.minute = c.digits(2)?;
    c.eat(b':').then_some(())?;
    p.second = c.digits(2)?;
    if c.eat(b'.') {
        p.nanos = c.fraction_nanos()?;
    }
    if c.eat_any(b"Zz").is_some() {
        p.offset_seconds = 0;
    } else {
        let sign = c.eat_any(b"+-")?;
        let hours = c.digits(2)?;
        c.eat(b':').then_some(())?;
        let minutes = c.digits(2)?;
        p.offset_seconds = signed_offset(sign, hours, minutes)?;
    }
    (c.at_end() && p.hour <= 23 && p.minute <= 59 && p.second <= 60).then_some(p)
}

/// ISO 8601 combined date and time in extended or basic format, with reduced time precision
/// allowed (`hh:mm`, `hh`), fractions on the last time unit, and a mandatory offset.
fn parse_iso8601(s: &str) -> Option<Parts> {
    let mut c = Cursor::new(s);
    let mut p = Parts {
        year: i32::try_from(c.digits(4)?).ok()?,
        ..Parts::default()
    };
    let extended = c.eat(b'-');
    p.month = c.digits(2)?;
    if extended {
        c.eat(b'-').then_some(())?;
    }
    p.day = c.digits(2)?;
    c.eat(b'T').then_some(())?;
    p.hour = c.digits(2)?;
    // Minutes and seconds are optional; a fraction applies to the last unit given.
    let mut fraction_unit_seconds: Option<u64> = Some(3600);
    let has_minutes = if extended {
        c.eat(b':')
    } else {
        c.peek().is_some_and(|b| b.is_ascii_digit())
    };
    if has_minutes {
        p.minute = c.digits(2)?;
        fraction_unit_seconds = Some(60);
        let has_seconds = if extended {
            c.eat(b':')
        } else {
            c.peek().is_some_and(|b| b.is_ascii_digit())
        };
        if has_seconds {
            p.second = c.digits(2)?;
            fraction_unit_seconds = None;
        }
    }
    if c.eat_any(b".,").is_some() {
        let nanos = c.fraction_nanos()?;
        match fraction_unit_seconds {
            None => p.nanos = nanos,
            Some(unit) => {
                // Spread a fractional hour or minute over the smaller units.
                let total_nanos = u64::from(nanos) * unit;
                let extra_seconds = u32::try_from(total_nanos / 1_000_000_000).ok()?;
                p.nanos = u32::try_from(total_nanos % 1_000_000_000).ok()?;
                p.minute += extra_seconds / 60;
                p.second += extra_seconds % 60;
            }
        }
    }
    if c.eat(b'Z') {
        p.offset_seconds = 0;
    } else {
        let sign = c.eat_any(b"+-")?;
        let hours = c.digits(2)?;
        let minutes = if c.at_end() {
            0
        } else {
            // Mixed forms such as `+0200` after an extended date are common enough in the
            // wild (and accepted by other LRSs) that both offset spellings are allowed.
            c.eat(b':');
            c.digits(2)?
        };
        p.offset_seconds = signed_offset(sign, hours, minutes)?;
    }
    (c.at_end() && p.hour <= 24 && p.minute <= 59 && p.second <= 60).then_some(p)
}

/// The offset in seconds; `-00:00` is refused because RFC 3339 gives it the meaning "local
/// offset unknown", which cannot be turned into an instant (and the conformance suite rejects
/// every spelling of it).
fn signed_offset(sign: u8, hours: u32, minutes: u32) -> Option<i32> {
    if hours > 23 || minutes > 59 {
        return None;
    }
    let magnitude = i32::try_from(hours * 3600 + minutes * 60).ok()?;
    match sign {
        b'+' => Some(magnitude),
        _ if magnitude == 0 => None,
        _ => Some(-magnitude),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use XapiVersion::*;

    fn check_ts(input: &str, version: XapiVersion, expected: Option<&str>) {
        let got = parse_timestamp(input, version).ok().map(format_timestamp);
        assert_eq!(got.as_deref(), expected, "{input:?} under {version:?}");
    }

    fn both(input: &str, expected: Option<&str>) {
        check_ts(input, V1_0_3, expected);
        check_ts(input, V2_0_0, expected);
    }

    #[test]
    fn timestamps_valid_in_both_versions() {
        both("2013-05-18T05:32:34.804Z", Some("2013-05-18T05:32:34.804Z"));
        both("2013-05-18T05:32:34Z", Some("2013-05-18T05:32:34.000Z"));
        both(
            "2013-05-18T05:32:34.804+00:00",
            Some("2013-05-18T05:32:34.804Z"),
        );
        both(
            "2013-05-18T05:32:34.804+02:00",
            Some("2013-05-18T03:32:34.804Z"),
        );
        both(
            "2013-05-18T05:32:34.804-05:30",
            Some("2013-05-18T11:02:34.804Z"),
        );
        both(
            "2013-05-18T05:32:34.123456789Z",
            Some("2013-05-18T05:32:34.123Z"),
        );
        both(
            "2013-05-18T05:32:34.1234567891234Z",
            Some("2013-05-18T05:32:34.123Z"),
        );
        both("2031-11-23T10:03:19.403Z", Some("2031-11-23T10:03:19.403Z"));
        both("2016-12-31T23:59:60Z", Some("2016-12-31T23:59:60.000Z"));
    }

    #[test]
    fn timestamps_invalid_in_both_versions() {
        for input in [
            "",
            "should fail",
            "01/011/2015",
            "2013-05-18",
            "2013-05-18T05:32:34",
            "2013-05-18T05:32:34.804",
            "2008-09-15T15:53:00.601-00",
            "2008-09-15T15:53:00.601-0000",
            "2008-09-15T15:53:00.601-00:00",
            "2013-02-30T05:32:34Z",
            "2013-05-18T25:32:34Z",
            "2013-05-18T05:61:34Z",
            "2013-05-18T05:32:34.Z",
            "2013-05-18T05:32:34Z ",
            "2013-05-18T05:32:34+24:00",
            "13-05-18T05:32:34Z",
        ] {
            both(input, None);
        }
    }

    #[test]
    fn iso8601_only_forms() {
        let cases = [
            ("2013-05-18T05:32Z", "2013-05-18T05:32:00.000Z"),
            ("2013-05-18T05Z", "2013-05-18T05:00:00.000Z"),
            ("2013-05-18T05:32:34+02", "2013-05-18T03:32:34.000Z"),
            ("2013-05-18T05:32:34+0200", "2013-05-18T03:32:34.000Z"),
            ("2013-05-18T05:32:34,5Z", "2013-05-18T05:32:34.500Z"),
            ("20130518T053234Z", "2013-05-18T05:32:34.000Z"),
            ("20130518T053234.25+0100", "2013-05-18T04:32:34.250Z"),
            ("2013-05-18T05:30.5Z", "2013-05-18T05:30:30.000Z"),
            ("2013-05-18T24:00:00Z", "2013-05-19T00:00:00.000Z"),
        ];
        for (input, expected) in cases {
            check_ts(input, V1_0_3, Some(expected));
            check_ts(input, V2_0_0, None);
        }
    }

    #[test]
    fn rfc3339_lowercase_designators() {
        check_ts(
            "2013-05-18t05:32:34z",
            V2_0_0,
            Some("2013-05-18T05:32:34.000Z"),
        );
    }

    fn check_duration(input: &str, expected: bool) {
        assert_eq!(is_duration(input), expected, "duration {input:?}");
    }

    #[test]
    fn durations() {
        for ok in [
            "PT1H0M0.1S",
            "PT4H35M59.14S",
            "P3Y1M29DT4H35M59.14S",
            "P3Y",
            "P4W",
            "P1.5W",
            "PT0S",
            "P1D",
            "P1DT2.5S",
            "PT1H30M",
            "PT165H",
            "P0D",
            "PT1,5S",
            "P1M",
            "PT1M",
        ] {
            check_duration(ok, true);
        }
        for bad in [
            "",
            "P",
            "PT",
            "P1DT",
            "PA1H0M0S",
            "P4W1D",
            "should fail",
            "1H",
            "PT1.5H30M",
            "P1S",
            "PT1D",
            "P1M1Y",
            "PT1H1H",
            "P-1D",
            "pt1h",
            "PT.5S",
            "PT5.S",
            "P1Y2",
        ] {
            check_duration(bad, false);
        }
    }
}
