//! The fake's own clock: system time plus an adjustable offset, so tests can
//! make tokens expire without sleeping. Timestamps are Unix seconds; the API
//! renders them as RFC 3339 with second precision and a `Z` suffix, as observed
//! on the live API.

use std::sync::atomic::{AtomicI64, Ordering};

use jiff::Timestamp;

#[derive(Debug, Default)]
pub(crate) struct Clock {
    offset_secs: AtomicI64,
}

impl Clock {
    pub(crate) fn now(&self) -> i64 {
        Timestamp::now().as_second() + self.offset_secs.load(Ordering::SeqCst)
    }

    pub(crate) fn advance(&self, secs: i64) {
        self.offset_secs.fetch_add(secs, Ordering::SeqCst);
    }
}

/// `2018-07-01T05:20:00Z`; a second outside jiff's range (years ±9999) prints as its bound.
pub(crate) fn format_ts(secs: i64) -> String {
    let bound = if secs < 0 {
        Timestamp::MIN
    } else {
        Timestamp::MAX
    };
    Timestamp::from_second(secs).unwrap_or(bound).to_string()
}

/// Parses RFC 3339 (`Z` or `±hh:mm` offset, optional fraction, which is
/// dropped because the API works in whole seconds). jiff parses more than
/// RFC 3339 (basic format, `+0200`, no seconds), so the shape is checked here
/// and the calendar left to jiff.
pub(crate) fn parse_ts(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let digits_at = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't')
        || b[13] != b':'
        || b[16] != b':'
        || ![0..4, 5..7, 8..10, 11..13, 14..16, 17..19]
            .into_iter()
            .all(digits_at)
    {
        return None;
    }
    let mut rest = &s[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        rest = &frac[digits..];
    }
    let ob = rest.as_bytes();
    let offset_ok = matches!(rest, "Z" | "z")
        || (ob.len() == 6
            && matches!(ob[0], b'+' | b'-')
            && ob[3] == b':'
            && digits_at(s.len() - 5..s.len() - 3)
            && digits_at(s.len() - 2..s.len()));
    if !offset_ok {
        return None;
    }
    s.parse::<Timestamp>().ok().map(|t| t.as_second())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(format_ts(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_ts(1_530_422_400), "2018-07-01T05:20:00Z");
        assert_eq!(format_ts(951_782_400), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn parses_what_it_formats_and_offsets() {
        for t in [0, 1_530_422_400, 951_782_400, 4_102_444_799] {
            assert_eq!(parse_ts(&format_ts(t)), Some(t));
        }
        assert_eq!(
            parse_ts("2018-07-01T07:20:00.123+02:00"),
            Some(1_530_422_400)
        );
        assert_eq!(parse_ts("2018-07-01T00:20:00-05:00"), Some(1_530_422_400));
    }

    #[test]
    fn rejects_garbage() {
        for s in [
            "",
            "2018-07-01",
            "2018-07-01 05:20:00Z",
            "2018-13-01T05:20:00Z",
            "2019-02-29T05:20:00Z",
            "2018-07-01T05:20:00",
            "2018-07-01T05:20:00.Z",
            "2018-07-01T05:20:00+0200",
        ] {
            assert_eq!(parse_ts(s), None, "{s}");
        }
    }

    #[test]
    fn advance_moves_now() {
        let c = Clock::default();
        let before = c.now();
        c.advance(3600);
        assert!(c.now() - before >= 3600);
    }
}
