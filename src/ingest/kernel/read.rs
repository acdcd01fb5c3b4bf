//! The driver: recognising a kernel log by its head, and reading one into a
//! [`KernelLog`]: physical lines (lossy UTF-8, `\r` dropped), their prefixes,
//! paste wraps joined into logical lines for the `oom` state machine, and the
//! file's format and diagnostics.

use std::borrow::Cow;

use super::message::should_join;
use super::oom::{Logical, State};
use super::prefix::{pick_format, split_prefix, strip_pager_junk, Fmt, FMT_COUNT};
use super::{KernelContext, KernelLog};
use crate::model::Diagnostic;
use crate::time::Timestamp;

/// True when the text looks like kernel log output of any supported shape.
///
/// Looks at the first 200 non-empty lines: true when at least 30% of them
/// carry a kernel-log prefix (raw/`-T`/iso dmesg stamp, syslog or journalctl
/// line tagged `kernel`, vmware guest line), or when at least 30% are syslog or
/// journal lines and one of them is tagged `kernel` (`/var/log/messages`
/// interleaves every daemon; its kernel lines still hold the OOM records), or
/// when any line carries an
/// unmistakable OOM/segfault marker (`invoked oom-killer: gfp_mask=`,
/// `oom-kill:constraint=`, `Killed process N (c) total-vm:`, `]: segfault at `)
/// so that prefix-less pastes are still recognised. JSON is never a kernel log.
pub fn looks_like_kernel_log(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(head);
    match text.trim_start().chars().next() {
        None | Some('{') => return false,
        _ => {}
    }
    let ctx = KernelContext::default();
    let mut n = 0u32;
    let mut kern = 0u32;
    let mut sys = 0u32;
    let mut sys_kern = false;
    let mut marker = false;
    for raw in text.split('\n') {
        let line = raw.trim_end_matches(['\r', '\n']);
        if line.trim().is_empty() {
            continue;
        }
        n += 1;
        if n > 200 {
            n -= 1;
            break;
        }
        let p = split_prefix(line, &ctx);
        if p.fmt != Fmt::None && p.kernel {
            kern += 1;
        }
        if matches!(p.fmt, Fmt::Syslog | Fmt::Journal) {
            sys += 1;
            sys_kern |= p.kernel;
        }
        if (p.fmt == Fmt::None || p.kernel) && has_strong_marker(p.body) {
            marker = true;
        }
    }
    n > 0 && (kern * 10 >= n * 3 || (sys_kern && sys * 10 >= n * 3) || marker)
}

fn has_strong_marker(body: &str) -> bool {
    body.contains("invoked oom-killer: gfp_mask=")
        || body.contains("oom-kill:constraint=")
        || (body.contains("Killed process ") && body.contains("total-vm:"))
        || (body.contains("Kill process ") && body.contains(" or sacrifice child"))
        || (body.contains("]: segfault at ") && body.contains(" ip "))
        // node-problem-detector's kernel-monitor patterns (#11).
        || (body.contains("INFO: task ") && body.contains(" blocked for more than "))
        || body.contains("soft lockup - CPU#")
        || body.starts_with("BUG: unable to handle")
        || (body.starts_with("Oops: ") && body.contains("[#"))
        || (body.starts_with("divide error: ") && body.contains("[#"))
        || body.starts_with("kernel BUG at ")
        || body.starts_with("EXT4-fs error (device ")
        || (body.starts_with("EXT4-fs (") && body.contains("Remounting filesystem read-only"))
        || (body.starts_with("unregister_netdevice: waiting for ") && body.contains("Usage count"))
}

/// A known instant near the end of a log, and what it is, from which
/// yearless syslog stamps take their year: the year of `at`, or the year
/// before for a stamp that would otherwise fall more than two days after
/// `at` (a December line read in January).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct YearAnchor {
    pub at: Timestamp,
    /// Said in the report: "the collection time", "the newest container time".
    pub source: &'static str,
}

/// Parses a kernel log into OOM kills and segfaults. Never panics; invalid
/// UTF-8 is decoded lossily. Yearless syslog stamps take `ctx.year_hint`
/// as is.
pub fn parse(path: &str, text: &[u8], ctx: &KernelContext) -> KernelLog {
    let decoded = String::from_utf8_lossy(text);
    let lossy = matches!(decoded, Cow::Owned(_));
    parse_decoded(path, &decoded, lossy, ctx, None)
}

/// Like [`parse`], with the year of yearless syslog stamps taken from
/// `anchor`, else from the newest dated line of the same file (a `dmesg -T`
/// or ISO stamp, or a daemon's `time="2018-12-11T10:48:08-06:00"` field),
/// else left unset with a diagnostic. `year_from` says which.
pub fn parse_with_year_anchor(path: &str, text: &[u8], anchor: Option<YearAnchor>) -> KernelLog {
    let decoded = String::from_utf8_lossy(text);
    let lossy = matches!(decoded, Cow::Owned(_));
    let first = parse_decoded(path, &decoded, lossy, &year_ctx(anchor), anchor);
    if !first.yearless || anchor.is_some() {
        return first;
    }
    match newest_dated(&decoded) {
        Some(at) => parse_decoded(
            path,
            &decoded,
            lossy,
            &year_ctx(Some(YearAnchor { at, source: "" })),
            Some(YearAnchor {
                at,
                source: "a dated line in the same file",
            }),
        ),
        None => first,
    }
}

fn year_ctx(anchor: Option<YearAnchor>) -> KernelContext {
    KernelContext {
        year_hint: anchor.map(|a| a.at.civil().0 as i32),
    }
}

/// The newest instant with a year printed in the file: a line's own stamp
/// (`dmesg -T`, ISO) or a daemon's RFC 3339 `time="…"` field.
fn newest_dated(decoded: &str) -> Option<Timestamp> {
    let ctx = KernelContext::default();
    let mut newest: Option<Timestamp> = None;
    for raw in decoded.split('\n') {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let p = split_prefix(raw, &ctx);
        let mut t = p.stamp.wall;
        if t.is_none() {
            t = p
                .body
                .split_once("time=\"")
                .and_then(|(_, r)| r.split_once('"'))
                .and_then(|(v, _)| Timestamp::parse_rfc3339(v));
        }
        if let Some(t) = t {
            newest = Some(newest.map_or(t, |n| n.max(t)));
        }
    }
    newest
}

/// Seconds between a daemon line's local syslog stamp (read as UTC) and the
/// zoned `time="…"` the daemon printed itself (`dockerd`, `containerd`):
/// the zone of the syslog stamps, give or take the logging delay.
fn daemon_zone_delta(p: &super::prefix::Prefixed<'_>) -> Option<i64> {
    let wall = p.stamp.wall?;
    let (_, r) = p.body.split_once("time=\"")?;
    let (v, _) = r.split_once('"')?;
    let tail = v.get(19..)?;
    if !tail.contains(['Z', 'z', '+', '-']) {
        return None;
    }
    let t = Timestamp::parse_rfc3339(v)?;
    Some((wall.0 - t.0).div_euclid(1_000_000_000))
}

fn median_i64(v: &mut [i64]) -> Option<i64> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    Some(v[v.len() / 2])
}

/// The nearest multiple of 15 min (zones are whole, half or 45-min hours)
/// within UTC−12 … UTC+14.
fn snap_zone(d: i64) -> i64 {
    ((d as f64 / 900.0).round() as i64 * 900).clamp(-12 * 3600, 14 * 3600)
}

/// The same civil date and time one year earlier.
fn year_before(t: Timestamp) -> Option<Timestamp> {
    let (y, mo, d, h, mi, s, n) = t.civil();
    let d = d.min(crate::time::days_in_month(y - 1, mo));
    Timestamp::from_civil(y - 1, mo, d, h, mi, s, n)
}

fn parse_decoded(
    path: &str,
    decoded: &str,
    lossy: bool,
    ctx: &KernelContext,
    anchor: Option<YearAnchor>,
) -> KernelLog {
    let mut st = State::new(path);
    let journal_hint = decoded.split('\n').take(50).any(|l| {
        l.starts_with("-- ")
            && (l.contains("Logs begin at")
                || l.contains("Journal begins at")
                || l.starts_with("-- Boot "))
    });

    let mut counts = [0u64; FMT_COUNT];
    let mut lines = 0u64;
    let mut pending: Option<Logical> = None;
    let mut last_kernel = true;
    let mut syslog_without_year = false;
    let mut zone_deltas: Vec<i64> = Vec::new();

    for (i, raw) in decoded.split('\n').enumerate() {
        let line_no = i as u64 + 1;
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        lines = line_no;
        if raw.trim().is_empty() {
            if let Some(p) = pending.take() {
                st.handle(p);
            }
            continue;
        }
        let mut p = split_prefix(raw, ctx);
        if journal_hint && p.fmt == Fmt::Syslog {
            p.fmt = Fmt::Journal;
        }
        if p.fmt == Fmt::None {
            if let Some(prev) = pending.as_mut() {
                if prev.had_prefix && should_join(&prev.body, raw) {
                    let cont = strip_pager_junk(raw);
                    let mut r = prev.raw.clone().into_owned();
                    r.push_str(cont);
                    prev.raw = Cow::Owned(r);
                    let mut b = prev.body.clone().into_owned();
                    b.push_str(cont);
                    prev.body = Cow::Owned(b);
                    continue;
                }
            }
            p.kernel = last_kernel;
        } else {
            counts[p.fmt as usize] += 1;
            if matches!(p.fmt, Fmt::Syslog | Fmt::Journal) && p.syslog_short {
                syslog_without_year = true;
                // A stamp after the anchor belongs to the year before it.
                if let (Some(w), Some(a)) = (p.stamp.wall, anchor) {
                    if w.0 > a.at.0 + 2 * 86_400 * 1_000_000_000 {
                        p.stamp.wall = year_before(w);
                    }
                }
            }
        }
        if !p.kernel && !p.stamp.zoned {
            if let Some(d) = daemon_zone_delta(&p) {
                zone_deltas.push(d);
            }
        }
        last_kernel = p.kernel;
        if let Some(prev) = pending.take() {
            st.handle(prev);
        }
        pending = Some(Logical {
            line_no,
            raw: Cow::Borrowed(strip_pager_junk(raw)),
            body: Cow::Borrowed(strip_pager_junk(p.body)),
            stamp: p.stamp,
            kernel: p.kernel,
            had_prefix: p.fmt != Fmt::None,
        });
    }
    if (decoded.ends_with('\n') || decoded.is_empty()) && lines > 0 {
        lines -= 1;
    }
    if let Some(prev) = pending.take() {
        st.handle(prev);
    }
    let mut log = st.finish();
    log.lines = lines;
    log.format = pick_format(&counts);
    if lossy {
        log.diagnostics.push(Diagnostic::warning(
            path,
            "kernel log is not valid UTF-8; decoded lossily",
        ));
    }
    log.yearless = syslog_without_year;
    // Daemons beside the kernel in the same syslog file (dockerd,
    // containerd) print their own zoned time: the syslog stamps' zone.
    if let Some(zone) = median_i64(&mut zone_deltas).map(snap_zone) {
        log.zone_s = Some(zone);
        let fix = |st: &mut super::KernelStamp| {
            if let (Some(w), false) = (st.wall, st.zoned) {
                st.wall = Some(Timestamp(w.0 - zone * 1_000_000_000));
                st.zoned = true;
            }
        };
        for o in &mut log.oom_kills {
            fix(&mut o.stamp);
        }
        for s in &mut log.segfaults {
            fix(&mut s.stamp);
        }
    }
    if syslog_without_year && ctx.year_hint.is_some() {
        log.year_from = anchor.map(|a| a.source).filter(|s| !s.is_empty());
    }
    if syslog_without_year && ctx.year_hint.is_none() {
        log.diagnostics.push(Diagnostic::warning(
            path,
            "syslog stamps carry no year and none was known; wall-clock times left unset",
        ));
    }
    log
}
