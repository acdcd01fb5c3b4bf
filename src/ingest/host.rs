//! Small host facts a bundle may carry: `/proc/uptime` and the wall-clock
//! time of collection (together they place raw `dmesg` stamps on the
//! clock), and what Docker's own commands say (`host_text.rs` reads them).

use super::host_text::{self, DockerHost, ImageRow, PsRow, StatsRow};
use super::tables::{self, ComposeRow, NetworkRow, VolumeRow};
use crate::time::Timestamp;

#[derive(Clone, Debug, PartialEq)]
pub enum HostFact {
    /// Seconds since boot, from `/proc/uptime`.
    Uptime(f64),
    /// When the bundle was collected.
    CollectedAt(Timestamp),
    /// `docker info` or `docker version`, text or JSON.
    Docker(Box<DockerHost>),
    /// `docker ps [-a] [--no-trunc]`.
    Containers(Vec<PsRow>),
    /// `docker stats --no-stream`.
    Stats(Vec<StatsRow>),
    /// `docker images` (the classic table or Docker 29's tree view).
    ImageList(Vec<ImageRow>),
    /// `docker network ls`.
    Networks(Vec<NetworkRow>),
    /// `docker volume ls`.
    Volumes(Vec<VolumeRow>),
    /// `docker compose ps`, table or `--format json`.
    ComposePs(Vec<ComposeRow>),
}

/// Recognises a host fact from a small file's text.
pub fn detect(text: &str) -> Option<HostFact> {
    if let Some(u) = tables::parse_uname(text) {
        return Some(HostFact::Docker(Box::new(u)));
    }
    let t = text.trim();
    if t.is_empty() || t.len() > 64 || t.contains('\n') {
        return None;
    }
    let parts: Vec<&str> = t.split_whitespace().collect();
    // `/proc/uptime` prints both figures with a fraction (`1894.93 3157.71`);
    // two integers are some other counter (`proc/sys/fs/inode-nr`,
    // `ip_local_port_range`), which would place every kernel stamp wrongly.
    if parts.len() == 2 && parts.iter().all(|p| is_decimal(p) && has_fraction(p)) {
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

/// `docker info` / `docker version` JSON.
pub fn detect_json(v: &serde_json::Value) -> Option<HostFact> {
    host_text::from_json(v).map(|h| HostFact::Docker(Box::new(h)))
}

/// Docker's text outputs about the host (`docker info`, `docker version`
/// and the `ps`, `stats`, `images`, `network ls`, `volume ls` tables),
/// recognised from their first lines.
pub fn is_docker_text(head: &str) -> bool {
    host_text::identify(head).is_some()
}

/// Reads one of Docker's text outputs; `None` when it is none of them.
pub fn parse_docker_text(text: &str) -> Option<HostFact> {
    use host_text::TextKind as K;
    Some(match host_text::identify(text)? {
        K::Info => HostFact::Docker(Box::new(host_text::parse_info(text))),
        K::Version => HostFact::Docker(Box::new(host_text::parse_version(text))),
        K::PodmanVersion => HostFact::Docker(Box::new(host_text::parse_podman_version(text))),
        K::Ps => HostFact::Containers(host_text::parse_ps(text)),
        K::Stats => HostFact::Stats(host_text::parse_stats(text)),
        K::Images => HostFact::ImageList(host_text::parse_images(text)),
        K::ImageTree => HostFact::ImageList(tables::parse_image_tree(text)),
        K::NetworkLs => HostFact::Networks(tables::parse_networks(text)),
        K::VolumeLs => HostFact::Volumes(tables::parse_volumes(text)),
        K::ComposePs => HostFact::ComposePs(tables::parse_compose_ps(text)),
    })
}

fn has_fraction(s: &str) -> bool {
    s.split_once('.')
        .is_some_and(|(a, b)| !a.is_empty() && !b.is_empty())
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
        // proc/sys/fs/inode-nr in a sosreport: two counters, not an uptime.
        assert_eq!(detect("63718 1087\n"), None);
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
