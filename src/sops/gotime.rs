//! Timestamps exactly as Go's `time` package parses and prints them for sops.
//!
//! Three places depend on Go's behaviour to the byte: `lastmodified` is parsed and re-formatted
//! as RFC 3339 to build the MAC's additional data; YAML timestamps (`2024-01-02`) are typed as
//! time and hashed into the MAC as RFC 3339 with nanoseconds; `type:time` values are parsed back
//! from RFC 3339. A general-purpose date crate normalises differently (offsets, fractions), so
//! this module keeps the civil fields and the offset as written; the calendar (valid days, leap
//! years, days since the epoch) is jiff's.

use std::fmt::Write as _;

use jiff::Timestamp;
use jiff::civil::DateTime;
#[cfg(test)]
use jiff::{SignedDuration, civil::Date};

/// 1970-01-01, the day `unix` counts from.
#[cfg(test)]
const EPOCH: Date = jiff::civil::date(1970, 1, 1);

/// A civil date-time with a fixed UTC offset, like a Go `time.Time` from `time.Parse`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct GoTime {
    /// The civil date and time as written, nanoseconds included.
    civil: DateTime,
    /// Offset from UTC in seconds (0 prints as `Z`, as Go does).
    offset: i32,
}

impl GoTime {
    /// The current time in UTC, truncated to whole seconds (as sops writes `lastmodified`).
    pub(crate) fn now_utc() -> Self {
        Self::from_unix(Timestamp::now().as_second())
    }

    /// The UTC civil time of a Unix timestamp (clamped to jiff's range, years ±9999).
    pub(crate) fn from_unix(secs: i64) -> Self {
        let bound = if secs < 0 {
            Timestamp::MIN
        } else {
            Timestamp::MAX
        };
        let ts = Timestamp::from_second(secs).unwrap_or(bound);
        Self {
            civil: jiff::tz::Offset::UTC.to_datetime(ts),
            offset: 0,
        }
    }

    /// Seconds since the Unix epoch (the offset applied; the fraction ignored); for the tests.
    #[cfg(test)]
    pub(crate) fn unix(&self) -> i64 {
        let t = self.civil.time();
        let day = self.civil.date().duration_since(EPOCH);
        (day + SignedDuration::from_secs(
            i64::from(t.hour()) * 3600 + i64::from(t.minute()) * 60 + i64::from(t.second()),
        ))
        .as_secs()
            - i64::from(self.offset)
    }

    /// Parses `time.RFC3339` (`2006-01-02T15:04:05Z07:00`), accepting a fractional second as Go
    /// does even though the layout has none.
    pub(crate) fn parse_rfc3339(s: &str) -> Option<Self> {
        let mut p = Cursor::new(s);
        let year = p.digits(4, 4)?;
        p.expect(b'-')?;
        let month = p.digits(2, 2)?;
        p.expect(b'-')?;
        let day = p.digits(2, 2)?;
        p.expect(b'T')?;
        let hour = p.digits(2, 2)?;
        p.expect(b':')?;
        let minute = p.digits(2, 2)?;
        p.expect(b':')?;
        let second = p.digits(2, 2)?;
        let nanos = p.fraction()?;
        let offset = p.zone()?;
        p.end()?;
        Self::checked(year, month, day, hour, minute, second, nanos, offset)
    }

    /// Parses a YAML timestamp the way yaml.v3 does: `2006-1-2T15:4:5.999999999Z07:00` (also
    /// with `t`), `2006-1-2 15:4:5.999999999` (UTC) or `2006-1-2`. Fields may be unpadded.
    pub(crate) fn parse_yaml_timestamp(s: &str) -> Option<Self> {
        // yaml.v3 only tries a timestamp when the text starts with four digits and a dash.
        let b = s.as_bytes();
        if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
            return None;
        }
        let mut p = Cursor::new(s);
        let year = p.digits(4, 4)?;
        p.expect(b'-')?;
        let month = p.digits(1, 2)?;
        p.expect(b'-')?;
        let day = p.digits(1, 2)?;
        if p.at_end() {
            return Self::checked(year, month, day, 0, 0, 0, 0, 0);
        }
        let sep = p.next()?;
        let zoned = match sep {
            b'T' | b't' => true,
            b' ' => false,
            _ => return None,
        };
        let hour = p.digits(1, 2)?;
        p.expect(b':')?;
        let minute = p.digits(1, 2)?;
        p.expect(b':')?;
        let second = p.digits(1, 2)?;
        let nanos = p.fraction()?;
        let offset = if zoned { p.zone()? } else { 0 };
        p.end()?;
        Self::checked(year, month, day, hour, minute, second, nanos, offset)
    }

    #[allow(clippy::too_many_arguments)]
    fn checked(
        year: u32,
        month: u32,
        day: u32,
        hour: u32,
        minute: u32,
        second: u32,
        nanos: u32,
        offset: i32,
    ) -> Option<Self> {
        // jiff refuses a day the month lacks, hour 24 and second 60, as Go's `time.Parse` does.
        let civil = DateTime::new(
            i16::try_from(year).ok()?,
            i8::try_from(month).ok()?,
            i8::try_from(day).ok()?,
            i8::try_from(hour).ok()?,
            i8::try_from(minute).ok()?,
            i8::try_from(second).ok()?,
            i32::try_from(nanos).ok()?,
        )
        .ok()?;
        Some(Self { civil, offset })
    }

    /// Formats as Go's `time.RFC3339`: whole seconds, `Z` for a zero offset.
    pub(crate) fn format_rfc3339(&self) -> String {
        let mut out = self.date_time();
        self.push_zone(&mut out);
        out
    }

    /// Formats as Go's `time.RFC3339Nano` (what `MarshalText` gives): the fraction without
    /// trailing zeros, omitted when zero.
    pub(crate) fn format_rfc3339_nano(&self) -> String {
        let mut out = self.date_time();
        let nanos = self.civil.subsec_nanosecond();
        if nanos != 0 {
            let frac = format!("{nanos:09}");
            out.push('.');
            out.push_str(frac.trim_end_matches('0'));
        }
        self.push_zone(&mut out);
        out
    }

    fn date_time(&self) -> String {
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            self.civil.year(),
            self.civil.month(),
            self.civil.day(),
            self.civil.hour(),
            self.civil.minute(),
            self.civil.second()
        )
    }

    fn push_zone(&self, out: &mut String) {
        if self.offset == 0 {
            out.push('Z');
        } else {
            let sign = if self.offset < 0 { '-' } else { '+' };
            let abs = self.offset.unsigned_abs();
            let _ = write!(out, "{sign}{:02}:{:02}", abs / 3600, abs / 60 % 60);
        }
    }
}

/// A byte cursor for the fixed-shape parsers above.
struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Cursor<'a> {
    fn new(s: &'a str) -> Self {
        Self {
            b: s.as_bytes(),
            i: 0,
        }
    }

    fn at_end(&self) -> bool {
        self.i == self.b.len()
    }

    fn end(&self) -> Option<()> {
        self.at_end().then_some(())
    }

    fn next(&mut self) -> Option<u8> {
        let c = *self.b.get(self.i)?;
        self.i += 1;
        Some(c)
    }

    fn expect(&mut self, c: u8) -> Option<()> {
        (self.next()? == c).then_some(())
    }

    fn digits(&mut self, min: usize, max: usize) -> Option<u32> {
        let start = self.i;
        while self.i < self.b.len() && self.i - start < max && self.b[self.i].is_ascii_digit() {
            self.i += 1;
        }
        if self.i - start < min {
            return None;
        }
        std::str::from_utf8(&self.b[start..self.i])
            .ok()?
            .parse()
            .ok()
    }

    /// An optional `.123456789` fraction, as nanoseconds.
    fn fraction(&mut self) -> Option<u32> {
        if self.b.get(self.i) != Some(&b'.') {
            return Some(0);
        }
        self.i += 1;
        let start = self.i;
        while self.i < self.b.len() && self.b[self.i].is_ascii_digit() {
            self.i += 1;
        }
        let digits = &self.b[start..self.i];
        if digits.is_empty() || digits.len() > 9 {
            return None;
        }
        let mut nanos: u32 = 0;
        for k in 0..9 {
            nanos = nanos * 10 + digits.get(k).map_or(0, |d| u32::from(d - b'0'));
        }
        Some(nanos)
    }

    /// `Z` or `±hh:mm`.
    fn zone(&mut self) -> Option<i32> {
        match self.next()? {
            b'Z' => Some(0),
            sign @ (b'+' | b'-') => {
                let h = self.digits(2, 2)?;
                self.expect(b':')?;
                let m = self.digits(2, 2)?;
                if h > 23 || m > 59 {
                    return None;
                }
                let secs = (h * 3600 + m * 60) as i32;
                Some(if sign == b'-' { -secs } else { secs })
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trips_and_keeps_the_offset() {
        let t = GoTime::parse_rfc3339("2026-11-22T05:11:46+01:00").unwrap();
        assert_eq!(t.format_rfc3339(), "2026-11-22T05:11:46+01:00");
        assert_eq!(
            t.unix(),
            GoTime::parse_rfc3339("2026-11-22T04:11:46Z")
                .unwrap()
                .unix()
        );
    }

    #[test]
    fn rfc3339_drops_a_fraction_when_formatting_seconds() {
        let t = GoTime::parse_rfc3339("2026-11-22T04:11:46.5Z").unwrap();
        assert_eq!(t.format_rfc3339(), "2026-11-22T04:11:46Z");
        assert_eq!(t.format_rfc3339_nano(), "2026-11-22T04:11:46.5Z");
    }

    #[test]
    fn rfc3339_rejects_what_go_rejects() {
        for bad in [
            "",
            "2026-11-22",
            "2026-11-22 04:11:46Z",
            "2026-1-22T04:11:46Z",
            "2026-02-30T00:00:00Z",
            "2026-11-22T24:00:00Z",
            "2026-11-22T04:11:46",
            "2026-11-22T04:11:46+0100",
        ] {
            assert!(GoTime::parse_rfc3339(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn yaml_timestamps_match_yaml_v3() {
        let cases = [
            ("2024-01-02", "2024-01-02T00:00:00Z"),
            ("2024-1-2", "2024-01-02T00:00:00Z"),
            (
                "2001-12-14t21:59:43.10-05:00",
                "2001-12-14T21:59:43.1-05:00",
            ),
            ("2001-12-14 21:59:43.10", "2001-12-14T21:59:43.1Z"),
            ("2001-12-14T21:59:43Z", "2001-12-14T21:59:43Z"),
        ];
        for (input, want) in cases {
            let t = GoTime::parse_yaml_timestamp(input).unwrap_or_else(|| panic!("{input}"));
            assert_eq!(t.format_rfc3339_nano(), want, "{input}");
        }
        for not_time in [
            "2001-12-14 21:59:43.10 -5",
            "12024-01-02",
            "2024-13-01",
            "2024-01-02x",
        ] {
            assert!(
                GoTime::parse_yaml_timestamp(not_time).is_none(),
                "{not_time}"
            );
        }
    }

    #[test]
    fn unix_conversion_round_trips() {
        for secs in [0, 951_782_400, 1_795_320_706, -86_400] {
            assert_eq!(GoTime::from_unix(secs).unix(), secs);
        }
        assert_eq!(
            GoTime::from_unix(1_795_320_706).format_rfc3339(),
            "2026-11-22T04:11:46Z"
        );
    }
}
