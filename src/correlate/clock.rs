//! Kernel events on the wall clock, and the same event seen in several
//! copies of one ring buffer (`dmesg`, `dmesg -T`, `dmesg --time-format iso`)
//! counted once.

use std::collections::BTreeMap;

use crate::ingest::kernel::{KernelStamp, OomKill, Segfault};
use crate::time::Timestamp;

/// Copies complement each other: the uptime from the raw copy, the wall
/// stamp from the best printed copy (one that carries its zone, then one
/// with a fraction of a second).
fn merge_stamp(into: &mut KernelStamp, from: &KernelStamp) {
    if into.uptime_s.is_none() {
        into.uptime_s = from.uptime_s;
    }
    let rank = |s: &KernelStamp| (s.wall.is_some(), s.zoned, !s.coarse);
    if from.wall.is_some() && rank(from) > rank(into) {
        into.wall = from.wall;
        into.zoned = from.zoned;
        into.coarse = from.coarse;
    }
}

/// One event per (pid, process): pids do not repeat within a boot, and the
/// copies of a ring buffer complement each other's stamps.
pub fn dedupe(ooms: Vec<OomKill>, segvs: Vec<Segfault>) -> (Vec<OomKill>, Vec<Segfault>) {
    let mut by_key: BTreeMap<(u32, String), OomKill> = BTreeMap::new();
    let mut order = Vec::new();
    for o in ooms {
        let key = (o.pid, o.process.clone());
        match by_key.get_mut(&key) {
            Some(e) => {
                merge_stamp(&mut e.stamp, &o.stamp);
                e.task_memcg = e.task_memcg.take().or(o.task_memcg);
                e.oom_memcg = e.oom_memcg.take().or(o.oom_memcg);
                e.cpuset = e.cpuset.take().or(o.cpuset);
                e.anon_rss_kib = e.anon_rss_kib.or(o.anon_rss_kib);
            }
            None => {
                order.push(key.clone());
                by_key.insert(key, o);
            }
        }
    }
    let ooms = order
        .into_iter()
        .filter_map(|k| by_key.remove(&k))
        .collect();
    let mut by_key: BTreeMap<(u32, String), Segfault> = BTreeMap::new();
    let mut order = Vec::new();
    for s in segvs {
        let key = (s.pid, s.process.clone());
        match by_key.get_mut(&key) {
            Some(e) => merge_stamp(&mut e.stamp, &s.stamp),
            None => {
                order.push(key.clone());
                by_key.insert(key, s);
            }
        }
    }
    let segvs = order
        .into_iter()
        .filter_map(|k| by_key.remove(&k))
        .collect();
    (ooms, segvs)
}

// ---------------------------------------------------------------------------
// One clock: kernel stamps placed on Docker's clock.

const NS: f64 = 1e9;

/// How kernel times were placed on Docker's clock (`kernel.clock`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct KernelClock {
    /// `uptime-and-collection-time`, `aligned-on-docker-records`,
    /// `anchored-on-docker-records`, `as-printed-with-zone`,
    /// `local-time-unaligned`, `untimed` or `no-kernel-events`.
    pub method: &'static str,
    /// Kernel clock minus Docker's, the median over the pairs, in seconds:
    /// the stamps as read (printed wall time taken as UTC, or boot time +
    /// uptime) against the Docker record of the same happening. A host at
    /// UTC−5 printing local time gives about −18000. For
    /// `aligned-on-docker-records` it is what was subtracted. `None`
    /// without pairs, and for `anchored-on-docker-records` (the pairs are
    /// the clock).
    pub offset_s: Option<f64>,
    pub pairs: usize,
    /// The largest distance between a placed kernel event and its Docker
    /// record after placement; `None` without pairs.
    pub residual_s: Option<f64>,
    pub text: String,
}

/// One kernel event to place: its stamp, the Docker record that must
/// coincide with it (found without looking at the time), and the run of the
/// container it belongs to.
#[derive(Clone, Debug)]
pub struct Sample {
    pub stamp: KernelStamp,
    pub docker: Option<Timestamp>,
    pub started: Option<Timestamp>,
}

/// Where one event was placed.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Placement {
    /// On Docker's clock (UTC).
    pub time: Option<Timestamp>,
    /// The printed local time (civil fields as if UTC) when it could not be
    /// aligned: its zone is unknown.
    pub local: Option<Timestamp>,
}

/// What [`place`] decided.
pub struct Placed {
    /// One per sample, in order.
    pub placements: Vec<Placement>,
    pub clock: KernelClock,
    /// Every method used, as sentences (`kernel.time_method`).
    pub time_method: String,
    /// Texts of warning diagnostics: a residual over 2 s, or clocks that
    /// disagree with no pair to settle it.
    pub warnings: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Basis {
    Mono,
    Local,
    Zoned,
    Anchored,
    LocalUnaligned,
    Untimed,
}

/// The median; `None` when empty.
pub fn median(v: &[f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    Some(if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    })
}

/// The zone offset an offset is made of: the nearest multiple of 15 min
/// (zones are whole, half or 45-min hours) within UTC−12 … UTC+14.
pub fn snap_zone(offset_s: f64) -> i64 {
    ((offset_s / 900.0).round() as i64 * 900).clamp(-12 * 3600, 14 * 3600)
}

/// `UTC-05:00`, `UTC+05:45`, `UTC`.
pub fn zone_name(zone_s: i64) -> String {
    if zone_s == 0 {
        return "UTC".into();
    }
    let sign = if zone_s < 0 { '-' } else { '+' };
    let a = zone_s.abs();
    format!("UTC{sign}{:02}:{:02}", a / 3600, (a % 3600) / 60)
}

fn secs(a: Timestamp, b: Timestamp) -> f64 {
    (a.0 - b.0) as f64 / NS
}

fn shift(t: Timestamp, s: f64) -> Timestamp {
    Timestamp(t.0 - (s * NS).round() as i64)
}

fn r2(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

struct Group {
    offset: Option<f64>,
    pairs: usize,
}

fn group(d: Vec<f64>) -> Group {
    Group {
        offset: median(&d),
        pairs: d.len(),
    }
}

/// Places every sample on Docker's clock:
/// - with a boot time (`/proc/uptime` + collection time), raw uptime
///   stamps at boot + uptime, checked against the pairs;
/// - printed wall stamps shifted by the median offset of their pairs
///   (zoned and unzoned stamps apart); unzoned ones without a pair are not
///   placed (their local time is kept);
/// - raw uptime stamps without a boot time on a boot time estimated from
///   the pairs.
///
/// A whole-second stamp placed less than a second before its container's
/// start is placed at the start: its second allows it.
pub fn place(samples: &[Sample], boot: Option<Timestamp>) -> Placed {
    let mono = |s: &Sample| match (s.stamp.uptime_s, boot) {
        (Some(u), Some(b)) => Some(Timestamp(b.0 + Timestamp::from_secs_f64(u).0)),
        _ => None,
    };
    let d_of = |pred: &dyn Fn(&Sample) -> Option<Timestamp>| -> Vec<f64> {
        samples
            .iter()
            .filter_map(|s| Some(secs(pred(s)?, s.docker?)))
            .collect()
    };
    let g_mono = group(d_of(&|s| mono(s)));
    let g_zoned = group(d_of(&|s| s.stamp.wall.filter(|_| s.stamp.zoned)));
    let g_local = group(d_of(&|s| s.stamp.wall.filter(|_| !s.stamp.zoned)));
    // Boot time minus the epoch, per pair of a raw stamp with its record.
    let boots: Vec<f64> = samples
        .iter()
        .filter_map(|s| Some(s.docker?.secs_f64() - s.stamp.uptime_s?))
        .collect();
    let anchored_boot = if boot.is_none() { median(&boots) } else { None };

    let mut out = Vec::with_capacity(samples.len());
    let mut bases = Vec::with_capacity(samples.len());
    let mut resid: BTreeMap<Basis, f64> = BTreeMap::new();
    for s in samples {
        let (basis, t, local) = if let Some(t) = mono(s) {
            (Basis::Mono, Some(t), None)
        } else if let Some(w) = s.stamp.wall {
            if s.stamp.zoned {
                match g_zoned.offset {
                    Some(o) => (Basis::Zoned, Some(shift(w, o)), None),
                    None => (Basis::Zoned, Some(w), None),
                }
            } else {
                match g_local.offset {
                    Some(o) => (Basis::Local, Some(shift(w, o)), None),
                    None => (Basis::LocalUnaligned, None, Some(w)),
                }
            }
        } else if let (Some(u), Some(b)) = (s.stamp.uptime_s, anchored_boot) {
            (Basis::Anchored, Some(Timestamp::from_secs_f64(b + u)), None)
        } else {
            (Basis::Untimed, None, None)
        };
        if let (Some(t), Some(d)) = (t, s.docker) {
            let e = resid.entry(basis).or_insert(0.0);
            *e = e.max(secs(t, d).abs());
        }
        let wall_used = matches!(basis, Basis::Local | Basis::Zoned);
        let t = match (t, s.started) {
            (Some(t), Some(st))
                if wall_used && s.stamp.coarse && t < st && st.0 - t.0 <= 1_000_000_000 =>
            {
                Some(st)
            }
            _ => t,
        };
        bases.push(basis);
        out.push(Placement { time: t, local });
    }

    // The method most events were placed by (ties: the order of `Basis`).
    let mut counts: BTreeMap<Basis, usize> = BTreeMap::new();
    for b in &bases {
        *counts.entry(*b).or_default() += 1;
    }
    let primary = counts
        .iter()
        .filter(|(b, _)| **b != Basis::Untimed)
        .max_by_key(|(b, n)| (**n, std::cmp::Reverse(**b)))
        .map(|(b, _)| *b)
        .or_else(|| (!samples.is_empty()).then_some(Basis::Untimed));

    let mut sentences: Vec<String> = Vec::new();
    let mut warnings: Vec<String> = Vec::new();
    let pairs_total = samples.iter().filter(|s| s.docker.is_some()).count();
    let describe = |b: Basis| -> (String, Option<f64>, usize, Option<f64>) {
        let res = resid.get(&b).copied().map(r2);
        match b {
            Basis::Mono => {
                let check = match g_mono.offset {
                    Some(o) => format!(
                        "; checked on {} pair(s) of kernel events and Docker records: the kernel's placement is {:+.3} s from Docker's (residual {:.3} s)",
                        g_mono.pairs, o, res.unwrap_or(0.0)
                    ),
                    None => "; no Docker record pairs with a kernel event to check it".into(),
                };
                (
                    format!("raw monotonic stamps placed with the bundle's /proc/uptime and collection time{check}"),
                    g_mono.offset.map(r2),
                    g_mono.pairs,
                    res,
                )
            }
            Basis::Local => {
                let o = g_local.offset.unwrap_or(0.0);
                let zone = snap_zone(o);
                (
                    format!(
                        "wall-clock stamps without a zone (dmesg -T, syslog, journal short) read as local time at {}; aligned to Docker's clock on {} pair(s) of kernel events and Docker records: offset {:+.3} s (zone {:+} s, drift {:+.3} s), residual {:.3} s",
                        zone_name(zone), g_local.pairs, o, zone, o - zone as f64, res.unwrap_or(0.0)
                    ),
                    Some(r2(o)),
                    g_local.pairs,
                    res,
                )
            }
            Basis::Zoned => match g_zoned.offset {
                Some(o) => (
                    format!(
                        "wall-clock stamps with their zone (dmesg --time-format iso, journal short-iso, RFC 3339 syslog), corrected for the kernel clock's drift on {} pair(s) of kernel events and Docker records: offset {:+.3} s, residual {:.3} s",
                        g_zoned.pairs, o, res.unwrap_or(0.0)
                    ),
                    Some(r2(o)),
                    g_zoned.pairs,
                    res,
                ),
                None => (
                    "wall-clock stamps with their zone, as printed (no Docker record pairs with a kernel event to check them)".into(),
                    None,
                    0,
                    None,
                ),
            },
            Basis::Anchored => (
                format!(
                    "raw monotonic stamps anchored on {} pair(s) of kernel events and Docker records (boot time = record − uptime, the median), residual {:.3} s",
                    boots.len(), res.unwrap_or(0.0)
                ),
                None,
                boots.len(),
                res,
            ),
            Basis::LocalUnaligned => (
                "wall-clock stamps without a zone (dmesg -T, syslog, journal short) are local time in an unknown zone and no Docker record pairs with a kernel event: shown as local time, not placed on Docker's clock".into(),
                None,
                0,
                None,
            ),
            Basis::Untimed => (
                "event(s) with only monotonic stamps and no clock facts to place them (add /proc/uptime and the collection time to the bundle, or docker events)".into(),
                None,
                0,
                None,
            ),
        }
    };
    let mut clock = KernelClock {
        method: "no-kernel-events",
        ..Default::default()
    };
    if let Some(p) = primary {
        let (text, offset, pairs, residual) = describe(p);
        clock = KernelClock {
            method: match p {
                Basis::Mono => "uptime-and-collection-time",
                Basis::Local => "aligned-on-docker-records",
                Basis::Zoned if g_zoned.offset.is_some() => "aligned-on-docker-records",
                Basis::Zoned => "as-printed-with-zone",
                Basis::Anchored => "anchored-on-docker-records",
                Basis::LocalUnaligned => "local-time-unaligned",
                Basis::Untimed => "untimed",
            },
            offset_s: offset,
            pairs,
            residual_s: residual,
            text: text.clone(),
        };
        sentences.push(text);
        for (b, n) in &counts {
            if *b != p {
                let (t, ..) = describe(*b);
                sentences.push(format!("{n} event(s): {t}"));
            }
        }
    }
    // Printed wall stamps beside the uptime placement: their zone, and
    // whether the two disagree.
    let d_wall: Vec<(f64, bool)> = samples
        .iter()
        .filter_map(|s| Some((secs(s.stamp.wall?, mono(s)?), s.stamp.zoned)))
        .collect();
    for zoned in [false, true] {
        let d: Vec<f64> = d_wall
            .iter()
            .filter(|x| x.1 == zoned)
            .map(|x| x.0)
            .collect();
        let Some(o) = median(&d) else { continue };
        let zone = if zoned { 0 } else { snap_zone(o) };
        let drift = o - zone as f64;
        if zoned {
            sentences.push(format!(
                "the zoned wall-clock copies of the same events are {drift:+.3} s from the uptime placement"
            ));
        } else {
            sentences.push(format!(
                "the unzoned wall-clock copies of the same events (dmesg -T, syslog) read as local time at {} (offset {o:+.3} s, drift {drift:+.3} s against the uptime placement)",
                zone_name(zone)
            ));
        }
        if pairs_total == 0 && drift.abs() > 2.0 {
            warnings.push(format!(
                "kernel clocks disagree: printed wall-clock stamps are {drift:+.1} s from the uptime placement{} and no Docker record pairs with a kernel event to tell which is right",
                if zoned { String::new() } else { format!(" beyond the zone {}", zone_name(zone)) }
            ));
        }
    }
    for (b, r) in &resid {
        if *r > 2.0 {
            let (name, ..) = describe(*b);
            let name = name.split([';', ':']).next().unwrap_or("").to_string();
            warnings.push(format!(
                "kernel times are up to {r:.1} s from Docker's records of the same happenings after placement ({name}); the kernel's clock may have jumped (suspend, NTP step) or a stamp is off"
            ));
        }
    }
    warnings.dedup();
    Placed {
        placements: out,
        clock,
        time_method: sentences.join("; "),
        warnings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        Timestamp::parse_rfc3339(s).unwrap()
    }

    fn local(wall: &str, docker: Option<&str>) -> Sample {
        Sample {
            stamp: KernelStamp {
                wall: Some(ts(wall)),
                coarse: true,
                ..Default::default()
            },
            docker: docker.map(ts),
            started: None,
        }
    }

    #[test]
    fn zones_snap_to_quarter_hours() {
        assert_eq!(snap_zone(-18000.974), -18000);
        assert_eq!(snap_zone(20700.4), 20700); // UTC+05:45
        assert_eq!(snap_zone(-12600.0 + 3.0), -12600); // UTC−03:30
        assert_eq!(snap_zone(-0.78), 0);
        assert_eq!(snap_zone(90_000.0), 14 * 3600);
        assert_eq!(zone_name(20700), "UTC+05:45");
        assert_eq!(zone_name(-18000), "UTC-05:00");
        assert_eq!(median(&[3.0, 1.0, 2.0, 100.0]), Some(2.5));
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn a_wrong_pair_does_not_move_the_median_but_is_reported() {
        // UTC+05:30 host; the third pair is off by 40 s.
        let s = vec![
            local("2026-11-29T09:00:00Z", Some("2026-11-29T03:30:00.4Z")),
            local("2026-11-29T09:10:00Z", Some("2026-11-29T03:40:00.5Z")),
            local("2026-11-29T09:20:00Z", Some("2026-11-29T03:49:20Z")),
            local("2026-11-29T09:30:00Z", None),
        ];
        let p = place(&s, None);
        assert_eq!(p.clock.method, "aligned-on-docker-records");
        assert_eq!(p.clock.pairs, 3);
        let o = p.clock.offset_s.unwrap();
        assert!((o - 19799.6).abs() < 0.01, "{o}");
        assert_eq!(p.placements[3].time, Some(ts("2026-11-29T04:00:00.4Z")));
        assert!(p.clock.residual_s.unwrap() > 39.0);
        assert!(p.clock.text.contains("UTC+05:30"), "{}", p.clock.text);
        assert!(
            p.warnings.iter().any(|w| w.contains("up to 40")),
            "{:?}",
            p.warnings
        );
    }

    #[test]
    fn no_pair_and_disagreeing_sources_warn() {
        // The raw copy places the event at 03:00:00; the printed copy is
        // 5 h and 30 s behind: a zone, and a jump the zone does not explain.
        let s = vec![Sample {
            stamp: KernelStamp {
                uptime_s: Some(100.0),
                wall: Some(ts("2026-11-28T21:59:30Z")),
                coarse: true,
                ..Default::default()
            },
            docker: None,
            started: None,
        }];
        let boot = Some(ts("2026-11-29T02:58:20Z"));
        let p = place(&s, boot);
        assert_eq!(p.clock.method, "uptime-and-collection-time");
        assert_eq!(p.placements[0].time, Some(ts("2026-11-29T03:00:00Z")));
        assert!(p.time_method.contains("UTC-05:00"), "{}", p.time_method);
        assert!(
            p.warnings
                .iter()
                .any(|w| w.contains("kernel clocks disagree")),
            "{:?}",
            p.warnings
        );
    }

    #[test]
    fn raw_stamps_anchor_on_pairs_without_clock_facts() {
        let s = vec![
            Sample {
                stamp: KernelStamp {
                    uptime_s: Some(10.0),
                    ..Default::default()
                },
                docker: Some(ts("2026-11-29T03:00:10Z")),
                started: None,
            },
            Sample {
                stamp: KernelStamp {
                    uptime_s: Some(70.0),
                    ..Default::default()
                },
                docker: None,
                started: None,
            },
        ];
        let p = place(&s, None);
        assert_eq!(p.clock.method, "anchored-on-docker-records");
        assert_eq!(p.placements[1].time, Some(ts("2026-11-29T03:01:10Z")));
        assert!(p.warnings.is_empty());
        // Nothing to anchor on: untimed, never guessed.
        let p = place(&s[1..], None);
        assert_eq!(p.clock.method, "untimed");
        assert_eq!(p.placements[0], Placement::default());
    }

    #[test]
    fn the_best_printed_copy_wins_in_dedupe() {
        let mut a = KernelStamp {
            wall: Some(ts("2026-11-29T03:19:57Z")),
            coarse: true,
            ..Default::default()
        };
        let iso = KernelStamp {
            wall: Some(ts("2026-11-29T03:19:57.636906Z")),
            zoned: true,
            ..Default::default()
        };
        merge_stamp(&mut a, &iso);
        assert_eq!(a, iso);
        let raw = KernelStamp {
            uptime_s: Some(1870.6),
            ..Default::default()
        };
        merge_stamp(&mut a, &raw);
        assert_eq!((a.uptime_s, a.wall), (Some(1870.6), iso.wall));
    }
}
