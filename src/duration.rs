//! Durations and points in time as cfsecret's flags spell them.
//!
//! `--expires-in`, `--max-age`, `--min-remaining` and `--keep-old` take durations such as `90d`,
//! `12h`, `30m`, `2w` or `1w2d`; `--expires-on` and `--not-before` take a point in time. Months and
//! years are refused on purpose: their length varies, and a token that expires a few days earlier
//! or later than someone meant is exactly the kind of surprise a cron job should not have.
//!
//! Durations are `std::time::Duration`; points in time are `jiff::Timestamp` (UTC), the type the
//! Cloudflare token model uses too.

use std::fmt;
use std::time::Duration;

use jiff::Timestamp;

use crate::error::{Diagnose, Exit};

/// Seconds in each unit a duration may use, longest first.
const UNITS: &[(&str, u64)] = &[
    ("w", 7 * 24 * 3600),
    ("d", 24 * 3600),
    ("h", 3600),
    ("m", 60),
    ("s", 1),
];

/// Long spellings accepted as well, so that `2weeks` or `90days` in a playbook just works.
const LONG_UNITS: &[(&str, &str)] = &[
    ("weeks", "w"),
    ("week", "w"),
    ("days", "d"),
    ("day", "d"),
    ("hours", "h"),
    ("hour", "h"),
    ("hrs", "h"),
    ("hr", "h"),
    ("minutes", "m"),
    ("minute", "m"),
    ("mins", "m"),
    ("min", "m"),
    ("seconds", "s"),
    ("second", "s"),
    ("secs", "s"),
    ("sec", "s"),
];

/// A duration or time argument that could not be understood.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum DurationError {
    /// Nothing was given.
    Empty,
    /// A number without a unit, e.g. `90`.
    MissingUnit { input: String, number: String },
    /// A unit cfsecret does not know (or refuses, like months), e.g. `3M`.
    UnknownUnit { input: String, unit: String },
    /// Something that is not `<number><unit>`.
    Malformed { input: String },
    /// Too large to represent.
    Overflow { input: String },
    /// A point in time that is neither RFC 3339 nor a `YYYY-MM-DD` date.
    BadTime { input: String },
    /// A well-formed point in time outside the range cfsecret can represent and send.
    TimeOutOfRange { input: String },
}

impl fmt::Display for DurationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("empty duration"),
            Self::MissingUnit { input, .. } => write!(f, "duration {input:?} has no unit"),
            Self::UnknownUnit { input, unit } => {
                write!(f, "duration {input:?} uses an unknown unit {unit:?}")
            }
            Self::Malformed { input } => write!(f, "{input:?} is not a duration"),
            Self::Overflow { input } => write!(f, "duration {input:?} is too large"),
            Self::BadTime { input } => write!(f, "{input:?} is not a date or time"),
            Self::TimeOutOfRange { input } => write!(
                f,
                "{input:?} is outside the times cfsecret can handle (up to {})",
                Timestamp::MAX
            ),
        }
    }
}

impl std::error::Error for DurationError {}

impl Diagnose for DurationError {
    fn code(&self) -> &'static str {
        match self {
            Self::BadTime { .. } | Self::TimeOutOfRange { .. } => "bad_time",
            _ => "bad_duration",
        }
    }

    fn exit(&self) -> Exit {
        Exit::Usage
    }

    fn hint(&self) -> Option<String> {
        let units =
            "use a number and a unit: s, m (minutes), h, d or w, e.g. 90d, 12h, 30m, 2w or 1w2d";
        Some(match self {
            Self::MissingUnit { number, .. } => format!("add a unit, e.g. {number}d; {units}"),
            Self::UnknownUnit { unit, .. } if is_calendar_unit(unit) => {
                "months and years vary in length; write days instead, e.g. 30d or 365d".to_owned()
            }
            Self::BadTime { .. } => {
                "use RFC 3339 (2026-07-01T00:00:00Z) or a date (2026-07-01, midnight UTC)"
                    .to_owned()
            }
            Self::TimeOutOfRange { .. } => format!(
                "choose a time before {}, e.g. 2030-01-01T00:00:00Z, or a lifetime with --expires-in (e.g. 365d)",
                Timestamp::MAX
            ),
            _ => units.to_owned(),
        })
    }
}

fn is_calendar_unit(unit: &str) -> bool {
    matches!(
        unit,
        "M" | "mo" | "mon" | "month" | "months" | "y" | "yr" | "yrs" | "year" | "years"
    )
}

/// Parses a duration such as `90d`, `12h`, `30m`, `45s`, `2w`, or a sum such as `1w2d` or
/// `1d 12h`. `0s` is allowed (e.g. `--keep-old 0s`); callers that need a positive duration check.
pub(crate) fn parse_duration(input: &str) -> Result<Duration, DurationError> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(DurationError::Empty);
    }
    let owned = || trimmed.to_owned();
    let mut total: u64 = 0;
    let mut rest = trimmed;
    while !rest.is_empty() {
        let digits_end = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits_end == 0 {
            return Err(DurationError::Malformed { input: owned() });
        }
        let (number, after) = rest.split_at(digits_end);
        let unit_end = after
            .find(|c: char| c.is_ascii_digit() || c.is_whitespace())
            .unwrap_or(after.len());
        let (unit, after_unit) = after.split_at(unit_end);
        if unit.is_empty() {
            return Err(DurationError::MissingUnit {
                input: owned(),
                number: number.to_owned(),
            });
        }
        let seconds_per = unit_seconds(unit).ok_or_else(|| DurationError::UnknownUnit {
            input: owned(),
            unit: unit.to_owned(),
        })?;
        let n: u64 = number
            .parse()
            .map_err(|_| DurationError::Overflow { input: owned() })?;
        total = n
            .checked_mul(seconds_per)
            .and_then(|s| total.checked_add(s))
            .ok_or_else(|| DurationError::Overflow { input: owned() })?;
        rest = after_unit.trim_start();
    }
    // Keep far below jiff's and the API's ranges: a 1000-year token is a typo, not a plan.
    if total > 1000 * 366 * 24 * 3600 {
        return Err(DurationError::Overflow { input: owned() });
    }
    Ok(Duration::from_secs(total))
}

fn unit_seconds(unit: &str) -> Option<u64> {
    // "M" stays an error (months vs minutes); everything else is case-insensitive.
    if unit == "M" {
        return None;
    }
    let lower = unit.to_ascii_lowercase();
    let short = LONG_UNITS
        .iter()
        .find(|(long, _)| *long == lower)
        .map_or(lower.as_str(), |(_, short)| short);
    UNITS.iter().find(|(u, _)| *u == short).map(|(_, s)| *s)
}

/// Formats a duration for messages: the two largest non-zero units, e.g. `2d 3h`, `90s` → `1m 30s`,
/// sub-second durations as milliseconds. Meant for people, not for parsing back exactly.
pub(crate) fn format_duration(d: Duration) -> String {
    let secs = d.as_secs();
    if secs == 0 {
        return format!("{} ms", d.as_millis());
    }
    // Round sub-second remainders up, so "wait 0.4 s more" never prints as "0s".
    let secs = if d.subsec_nanos() > 0 && secs < 60 {
        secs + 1
    } else {
        secs
    };
    let mut parts = Vec::new();
    let mut rest = secs;
    for (unit, size) in UNITS {
        if rest >= *size {
            parts.push(format!("{}{unit}", rest / size));
            rest %= size;
        }
        if parts.len() == 2 {
            break;
        }
    }
    parts.join(" ")
}

/// Parses a point in time: RFC 3339 with an offset (`2026-07-01T00:00:00Z`,
/// `2026-07-01T02:00:00+02:00`) or a bare date (`2026-07-01`, taken as midnight UTC, because a
/// cron job has no meaningful local time zone).
pub(crate) fn parse_instant(input: &str) -> Result<Timestamp, DurationError> {
    let trimmed = input.trim();
    if let Ok(ts) = trimmed.parse::<Timestamp>() {
        return Ok(ts);
    }
    // Only a bare date: jiff would also take "2026-07-01T00:00:00" (no offset) as a date and
    // silently drop the time.
    let bare_date = trimmed.len() == 10
        && trimmed.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    bare_date
        .then(|| trimmed.parse::<jiff::civil::Date>().ok())
        .flatten()
        .and_then(|date| date.to_zoned(jiff::tz::TimeZone::UTC).ok())
        .map(|zoned| zoned.timestamp())
        .ok_or_else(|| {
            // Well formed (a date, or a date, time and offset) but beyond jiff's range.
            let input = trimmed.to_owned();
            let pieces = jiff::fmt::temporal::Pieces::parse(trimmed);
            let well_formed = (bare_date && trimmed.parse::<jiff::civil::Date>().is_ok())
                || pieces.is_ok_and(|p| p.time().is_some() && p.offset().is_some());
            if well_formed {
                DurationError::TimeOutOfRange { input }
            } else {
                DurationError::BadTime { input }
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: &str) -> u64 {
        parse_duration(s).unwrap().as_secs()
    }

    #[test]
    fn single_units() {
        assert_eq!(secs("90d"), 90 * 86400);
        assert_eq!(secs("12h"), 12 * 3600);
        assert_eq!(secs("30m"), 30 * 60);
        assert_eq!(secs("2w"), 14 * 86400);
        assert_eq!(secs("45s"), 45);
        assert_eq!(secs("0s"), 0);
    }

    #[test]
    fn sums_spaces_and_long_units() {
        assert_eq!(secs("1w2d"), 9 * 86400);
        assert_eq!(secs("1d 12h"), 36 * 3600);
        assert_eq!(secs(" 2days "), 2 * 86400);
        assert_eq!(secs("3Hours"), 3 * 3600);
        assert_eq!(secs("1h30min"), 5400);
    }

    #[test]
    fn errors_say_what_is_wrong() {
        assert_eq!(parse_duration(""), Err(DurationError::Empty));
        assert!(matches!(
            parse_duration("90"),
            Err(DurationError::MissingUnit { number, .. }) if number == "90"
        ));
        let months = parse_duration("3M").unwrap_err();
        assert!(matches!(&months, DurationError::UnknownUnit { unit, .. } if unit == "M"));
        assert!(months.hint().unwrap().contains("30d"));
        assert!(matches!(
            parse_duration("1y"),
            Err(DurationError::UnknownUnit { .. })
        ));
        assert!(matches!(
            parse_duration("d5"),
            Err(DurationError::Malformed { .. })
        ));
        assert!(matches!(
            parse_duration("-5d"),
            Err(DurationError::Malformed { .. })
        ));
        assert!(matches!(
            parse_duration("1.5h"),
            Err(DurationError::UnknownUnit { .. })
        ));
        assert!(matches!(
            parse_duration("99999999999999999999d"),
            Err(DurationError::Overflow { .. })
        ));
        assert!(matches!(
            parse_duration("2000000w"),
            Err(DurationError::Overflow { .. })
        ));
        assert_eq!(parse_duration("90").unwrap_err().exit(), Exit::Usage);
        assert_eq!(parse_duration("x").unwrap_err().code(), "bad_duration");
    }

    #[test]
    fn formatting() {
        assert_eq!(format_duration(Duration::from_secs(90)), "1m 30s");
        assert_eq!(
            format_duration(Duration::from_secs(2 * 86400 + 3 * 3600 + 5)),
            "2d 3h"
        );
        assert_eq!(format_duration(Duration::from_secs(120)), "2m");
        assert_eq!(format_duration(Duration::from_millis(1500)), "2s");
        assert_eq!(format_duration(Duration::from_millis(250)), "250 ms");
        assert_eq!(format_duration(Duration::from_secs(14 * 86400)), "2w");
    }

    #[test]
    fn instants() {
        assert_eq!(
            parse_instant("2026-07-01T00:00:00Z").unwrap().to_string(),
            "2026-07-01T00:00:00Z"
        );
        assert_eq!(
            parse_instant("2026-07-01T02:00:00+02:00")
                .unwrap()
                .to_string(),
            "2026-07-01T00:00:00Z"
        );
        assert_eq!(
            parse_instant("2026-07-01").unwrap().to_string(),
            "2026-07-01T00:00:00Z"
        );
        let err = parse_instant("next tuesday").unwrap_err();
        assert_eq!(err.code(), "bad_time");
        // A civil time without an offset is ambiguous for a cron job: refused.
        assert!(parse_instant("2026-07-01T00:00:00").is_err());
    }
}
