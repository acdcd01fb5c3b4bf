//! Wall-clock instants as UTC nanoseconds, and the RFC 3339 parsing and
//! formatting the report needs.
//!
//! Docker writes RFC 3339 with up to nine fraction digits, kernel tools print
//! several other shapes; all of them end up here. No external date crate: the
//! civil-date arithmetic is Howard Hinnant's public-domain algorithm.

use std::fmt;

/// An instant in UTC, in nanoseconds since the Unix epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

const NANOS_PER_SEC: i64 = 1_000_000_000;

impl Timestamp {
    pub fn from_secs_f64(secs: f64) -> Timestamp {
        Timestamp((secs * 1e9).round() as i64)
    }

    pub fn secs_f64(self) -> f64 {
        self.0 as f64 / 1e9
    }

    /// Builds an instant from civil UTC fields; `None` when a field is out of range.
    pub fn from_civil(
        year: i64,
        month: u32,
        day: u32,
        hour: u32,
        min: u32,
        sec: u32,
        nanos: u32,
    ) -> Option<Timestamp> {
        if !(1..=12).contains(&month)
            || day == 0
            || day > days_in_month(year, month)
            || hour > 23
            || min > 59
            || sec > 60
            || nanos >= 1_000_000_000
            || !(1..=9999).contains(&year)
        {
            return None;
        }
        let days = days_from_civil(year, month, day);
        let secs = days * 86_400 + hour as i64 * 3600 + min as i64 * 60 + sec as i64;
        secs.checked_mul(NANOS_PER_SEC)
            .and_then(|n| n.checked_add(nanos as i64))
            .map(Timestamp)
    }

    /// Parses RFC 3339 / ISO 8601 as Docker, dmesg and journalctl print it:
    /// `2026-11-29T03:20:01.238110094Z`, `2026-11-29T03:19:59,136075+00:00`,
    /// `2026-11-29T03:19:59+0000`, `2026-11-29 03:19:59.1Z`.
    /// Docker's zero time `0001-01-01T00:00:00Z` means "never" and yields `None`.
    pub fn parse_rfc3339(s: &str) -> Option<Timestamp> {
        let b = s.trim().as_bytes();
        if b.len() < 19 {
            return None;
        }
        let year = digits(&b[0..4])? as i64;
        if b[4] != b'-' || b[7] != b'-' || !(b[10] == b'T' || b[10] == b' ' || b[10] == b't') {
            return None;
        }
        let month = digits(&b[5..7])?;
        let day = digits(&b[8..10])?;
        if b[13] != b':' || b[16] != b':' {
            return None;
        }
        let hour = digits(&b[11..13])?;
        let min = digits(&b[14..16])?;
        let sec = digits(&b[17..19])?;
        if year <= 1 {
            return None; // Go's zero time: "never".
        }
        let mut i = 19;
        let mut nanos: u32 = 0;
        if i < b.len() && (b[i] == b'.' || b[i] == b',') {
            i += 1;
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                if i - start < 9 {
                    nanos = nanos * 10 + (b[i] - b'0') as u32;
                }
                i += 1;
            }
            let n = (i - start).min(9);
            if n == 0 {
                return None;
            }
            nanos *= 10u32.pow(9 - n as u32);
        }
        let mut offset_secs: i64 = 0;
        if i < b.len() {
            match b[i] {
                b'Z' | b'z' => i += 1,
                b'+' | b'-' => {
                    let sign = if b[i] == b'-' { -1 } else { 1 };
                    let rest = &b[i + 1..];
                    let (h, m, used) = if rest.len() >= 5 && rest[2] == b':' {
                        (digits(&rest[0..2])?, digits(&rest[3..5])?, 5)
                    } else if rest.len() >= 4 {
                        (digits(&rest[0..2])?, digits(&rest[2..4])?, 4)
                    } else if rest.len() >= 2 {
                        (digits(&rest[0..2])?, 0, 2)
                    } else {
                        return None;
                    };
                    offset_secs = sign * (h as i64 * 3600 + m as i64 * 60);
                    i += 1 + used;
                }
                _ => return None,
            }
        }
        if i != b.len() {
            return None;
        }
        let t = Timestamp::from_civil(year, month, day, hour, min, sec, nanos)?;
        Some(Timestamp(t.0 - offset_secs * NANOS_PER_SEC))
    }

    /// Civil fields (year, month, day, hour, minute, second, nanos) in UTC.
    pub fn civil(self) -> (i64, u32, u32, u32, u32, u32, u32) {
        let secs = self.0.div_euclid(NANOS_PER_SEC);
        let nanos = self.0.rem_euclid(NANOS_PER_SEC) as u32;
        let days = secs.div_euclid(86_400);
        let sod = secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        (
            y,
            m,
            d,
            (sod / 3600) as u32,
            ((sod % 3600) / 60) as u32,
            (sod % 60) as u32,
            nanos,
        )
    }
}

/// RFC 3339 in UTC with the fraction trimmed of trailing zeros, as Docker prints it.
impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, mo, d, h, mi, s, n) = self.civil();
        write!(f, "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}")?;
        if n != 0 {
            let frac = format!("{n:09}");
            write!(f, ".{}", frac.trim_end_matches('0'))?;
        }
        f.write_str("Z")
    }
}

fn digits(b: &[u8]) -> Option<u32> {
    let mut v: u32 = 0;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + (c - b'0') as u32;
    }
    Some(v)
}

pub fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

pub fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => 0,
    }
}

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Month number from an English three-letter abbreviation (case-insensitive).
pub fn month_from_abbrev(s: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let s = s.get(..3)?.to_ascii_lowercase();
    MONTHS.iter().position(|m| *m == s).map(|i| i as u32 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_docker_times() {
        let t = Timestamp::parse_rfc3339("2026-11-29T03:20:01.238110094Z").unwrap();
        assert_eq!(t.to_string(), "2026-11-29T03:20:01.238110094Z");
        let t = Timestamp::parse_rfc3339("2026-11-29T03:20:22Z").unwrap();
        assert_eq!(t.to_string(), "2026-11-29T03:20:22Z");
    }

    #[test]
    fn zero_time_is_never() {
        assert_eq!(Timestamp::parse_rfc3339("0001-01-01T00:00:00Z"), None);
    }

    #[test]
    fn offsets_and_comma_fractions() {
        let a = Timestamp::parse_rfc3339("2026-11-29T03:19:59,136075+00:00").unwrap();
        let b = Timestamp::parse_rfc3339("2026-11-29T04:19:59.136075+0100").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.to_string(), "2026-11-29T03:19:59.136075Z");
    }

    #[test]
    fn rejects_garbage() {
        for s in [
            "",
            "2026-13-01T00:00:00Z",
            "2026-02-30T00:00:00Z",
            "hello world 12345678",
            "2026-11-29T03:19:59.Z",
        ] {
            assert_eq!(Timestamp::parse_rfc3339(s), None, "{s}");
        }
    }

    #[test]
    fn epoch_and_leap_days() {
        assert_eq!(
            Timestamp::from_civil(1970, 1, 1, 0, 0, 0, 0),
            Some(Timestamp(0))
        );
        let t = Timestamp::from_civil(2024, 2, 29, 12, 0, 0, 0).unwrap();
        assert_eq!(t.to_string(), "2024-02-29T12:00:00Z");
    }
}
