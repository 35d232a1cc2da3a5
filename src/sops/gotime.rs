//! Timestamps exactly as Go's `time` package parses and prints them for sops.
//!
//! Three places depend on Go's behaviour to the byte: `lastmodified` is parsed and re-formatted
//! as RFC 3339 to build the MAC's additional data; YAML timestamps (`2024-01-02`) are typed as
//! time and hashed into the MAC as RFC 3339 with nanoseconds; `type:time` values are parsed back
//! from RFC 3339. A general-purpose date crate normalises differently (offsets, fractions), so
//! this module keeps the civil fields and the offset as written.

use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

/// A civil date-time with a fixed UTC offset, like a Go `time.Time` from `time.Parse`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GoTime {
    year: i32,
    month: u8,
    day: u8,
    hour: u8,
    minute: u8,
    second: u8,
    nanos: u32,
    /// Offset from UTC in seconds (0 prints as `Z`, as Go does).
    offset: i32,
}

impl GoTime {
    /// The current time in UTC, truncated to whole seconds (as sops writes `lastmodified`).
    pub fn now_utc() -> Self {
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        Self::from_unix(secs)
    }

    /// The UTC civil time of a Unix timestamp.
    pub fn from_unix(secs: i64) -> Self {
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        Self {
            year,
            month,
            day,
            hour: (rem / 3600) as u8,
            minute: (rem / 60 % 60) as u8,
            second: (rem % 60) as u8,
            nanos: 0,
            offset: 0,
        }
    }

    /// Seconds since the Unix epoch (the offset applied).
    pub fn unix(&self) -> i64 {
        let days = days_from_civil(self.year, self.month, self.day);
        days * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second)
            - i64::from(self.offset)
    }

    /// Parses `time.RFC3339` (`2006-01-02T15:04:05Z07:00`), accepting a fractional second as Go
    /// does even though the layout has none.
    pub fn parse_rfc3339(s: &str) -> Option<Self> {
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
    pub fn parse_yaml_timestamp(s: &str) -> Option<Self> {
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
        let year = i32::try_from(year).ok()?;
        if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month as u8) {
            return None;
        }
        if hour > 23 || minute > 59 || second > 59 {
            return None;
        }
        Some(Self {
            year,
            month: month as u8,
            day: day as u8,
            hour: hour as u8,
            minute: minute as u8,
            second: second as u8,
            nanos,
            offset,
        })
    }

    /// Formats as Go's `time.RFC3339`: whole seconds, `Z` for a zero offset.
    pub fn format_rfc3339(&self) -> String {
        let mut out = self.date_time();
        self.push_zone(&mut out);
        out
    }

    /// Formats as Go's `time.RFC3339Nano` (what `MarshalText` gives): the fraction without
    /// trailing zeros, omitted when zero.
    pub fn format_rfc3339_nano(&self) -> String {
        let mut out = self.date_time();
        if self.nanos != 0 {
            let frac = format!("{:09}", self.nanos);
            out.push('.');
            out.push_str(frac.trim_end_matches('0'));
        }
        self.push_zone(&mut out);
        out
    }

    fn date_time(&self) -> String {
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
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

fn is_leap(year: i32) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i32, month: u8) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

// Howard Hinnant's days-from-civil algorithms (proleptic Gregorian calendar).
fn days_from_civil(y: i32, m: u8, d: u8) -> i64 {
    let y = i64::from(if m <= 2 { y - 1 } else { y });
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i32, u8, u8) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    ((if m <= 2 { y + 1 } else { y }) as i32, m, d)
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
