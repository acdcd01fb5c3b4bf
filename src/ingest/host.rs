//! Small host facts a bundle may carry: `/proc/uptime` and the wall-clock
//! time of collection. Together they place raw `dmesg` stamps on the clock.

use crate::time::Timestamp;

#[derive(Clone, Debug, PartialEq)]
pub enum HostFact {
    /// Seconds since boot, from `/proc/uptime`.
    Uptime(f64),
    /// When the bundle was collected.
    CollectedAt(Timestamp),
    /// `docker info`, `docker version`, `docker ps`: recognised, not analysed.
    Other(&'static str),
}

/// Recognises a host fact from a small file's text.
pub fn detect(text: &str) -> Option<HostFact> {
    let t = text.trim();
    if t.is_empty() || t.len() > 64 || t.contains('\n') {
        return None;
    }
    let parts: Vec<&str> = t.split_whitespace().collect();
    if parts.len() == 2 && parts.iter().all(|p| is_decimal(p)) {
        return parts[0].parse().ok().map(HostFact::Uptime);
    }
    if parts.len() == 1 {
        if let Some(ts) = Timestamp::parse_rfc3339(parts[0]) {
            return Some(HostFact::CollectedAt(ts));
        }
    }
    date_output(&parts).map(HostFact::CollectedAt)
}

/// `date -u` / `date --utc` in the C locale, as sosreport and most
/// collection scripts save it: `Sun Nov 29 09:43:29 UTC 2026`. Other time
/// zones are refused: their offset is not in the text.
fn date_output(parts: &[&str]) -> Option<Timestamp> {
    let [_, mon, day, hms, tz, year] = parts else {
        return None;
    };
    if !matches!(*tz, "UTC" | "GMT" | "Z") {
        return None;
    }
    let month = crate::time::month_from_abbrev(mon)?;
    let day: u32 = day.parse().ok()?;
    let year: i64 = year.parse().ok()?;
    let mut f = hms.split(':').map(|x| x.parse::<u32>().ok());
    let (h, m, s) = (f.next()??, f.next()??, f.next()??);
    Timestamp::from_civil(year, month, day, h, m, s, 0)
}

/// `docker info` / `docker version` JSON, recognised so they are not "unknown".
pub fn detect_json(v: &serde_json::Value) -> Option<HostFact> {
    if v.get("ServerVersion").is_some() && v.get("Driver").is_some() {
        Some(HostFact::Other("docker info"))
    } else if v.get("Client").is_some() && v.get("Server").is_some() {
        Some(HostFact::Other("docker version"))
    } else {
        None
    }
}

/// `docker ps -a` table output.
pub fn detect_ps(text: &str) -> bool {
    let first = text.lines().next().unwrap_or("");
    first.starts_with("CONTAINER ID") && first.contains("IMAGE") && first.contains("STATUS")
}

fn is_decimal(s: &str) -> bool {
    let mut dot = false;
    !s.is_empty()
        && s.chars().all(|c| {
            if c == '.' && !dot {
                dot = true;
                true
            } else {
                c.is_ascii_digit()
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_uptime_and_collection_time() {
        assert_eq!(detect("1894.93 3157.71\n"), Some(HostFact::Uptime(1894.93)));
        assert!(matches!(
            detect("2026-11-29T03:20:22.710353936Z\n"),
            Some(HostFact::CollectedAt(_))
        ));
        assert_eq!(detect("hello world"), None);
        assert_eq!(
            detect("Sun Nov 29 09:43:29 UTC 2026\n"),
            Some(HostFact::CollectedAt(
                Timestamp::parse_rfc3339("2026-11-29T09:43:29Z").unwrap()
            ))
        );
        assert_eq!(
            detect("Sun Nov 29 09:43:29 CET 2026"),
            None,
            "offset unknown"
        );
    }
}
