//! The line grammar of kernel logs: the prefix of one physical line (printk
//! level, raw/`-T`/iso dmesg stamp, BSD/ISO/RFC 5424 syslog, journalctl
//! variants, vmware.log `Guest:` wrappers, caller ids) decoded into a
//! [`KernelStamp`], the body that follows, and pager junk at the end.

use super::{KernelContext, KernelStamp};
use crate::time::Timestamp;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Fmt {
    None = 0,
    Dmesg = 1,
    DmesgT = 2,
    DmesgIso = 3,
    Syslog = 4,
    Journal = 5,
    Vmware = 6,
}
pub(super) const FMT_COUNT: usize = 7;

pub(super) fn pick_format(counts: &[u64; FMT_COUNT]) -> &'static str {
    // vmware.log wrappers carry the guest's raw dmesg stamps: count as dmesg.
    let mut c = *counts;
    c[Fmt::Dmesg as usize] += c[Fmt::Vmware as usize];
    c[Fmt::Vmware as usize] = 0;
    let total: u64 = c.iter().skip(1).sum();
    if total == 0 {
        return "dmesg";
    }
    let (best, &n) = c
        .iter()
        .enumerate()
        .skip(1)
        .max_by_key(|(i, n)| (**n, usize::MAX - *i))
        .unwrap_or((1, &0));
    if n * 10 < total * 6 {
        return "mixed";
    }
    match best {
        1 => "dmesg",
        2 => "dmesg-T",
        3 => "dmesg-iso",
        4 => "syslog",
        5 => "journalctl",
        _ => "dmesg",
    }
}

#[derive(Clone, Copy, Debug)]
pub(super) struct Prefixed<'a> {
    pub(super) fmt: Fmt,
    /// The line comes from the kernel (always, except syslog/journal/vmware
    /// lines of other programs).
    pub(super) kernel: bool,
    pub(super) stamp: KernelStamp,
    pub(super) body: &'a str,
    /// A BSD syslog stamp (no year).
    pub(super) syslog_short: bool,
}

/// Splits a physical line into its prefix (decoded into a stamp) and body.
pub(super) fn split_prefix<'a>(line: &'a str, ctx: &KernelContext) -> Prefixed<'a> {
    let mut out = Prefixed {
        fmt: Fmt::None,
        kernel: true,
        stamp: KernelStamp::default(),
        body: line,
        syslog_short: false,
    };
    if let Some((up, rest)) = parse_kmsg_record(line) {
        // `/dev/kmsg` as read raw (`cat /dev/kmsg`, exporters' test data).
        out.fmt = Fmt::Dmesg;
        out.stamp.uptime_s = Some(up);
        out.body = rest;
        return out;
    }
    let s = strip_level(line);
    if let Some((up, rest)) = parse_uptime_bracket(s) {
        out.fmt = Fmt::Dmesg;
        out.stamp.uptime_s = up;
        let rest = strip_caller_id(rest);
        // journalctl -o short-monotonic: "[ 1870.636507] host kernel: msg"
        out.body = match host_tag(rest) {
            Some((true, body)) => body,
            _ => strip_one_space(rest),
        };
        return out;
    }
    if let Some((wall, rest)) = parse_dmesg_t(s) {
        out.fmt = Fmt::DmesgT;
        out.stamp.wall = wall;
        // `dmesg -T` prints local time from the boot time, whole seconds.
        out.stamp.coarse = !s
            .get(..s.find(']').unwrap_or(0))
            .unwrap_or("")
            .contains('.');
        out.body = strip_one_space(strip_caller_id(rest));
        return out;
    }
    let mut rfc5424 = false;
    let mut s2 = s;
    if let Some(r) = s.strip_prefix("1 ") {
        if line.len() != s.len() {
            // "<PRI>1 2026-..." (RFC 5424)
            s2 = r;
            rfc5424 = true;
        }
    }
    if let Some(p) = parse_iso_prefix(s2, rfc5424) {
        out.fmt = p.0;
        out.kernel = p.1;
        out.stamp.wall = p.2;
        out.body = p.3;
        let (zoned, coarse) = iso_zone_and_precision(split_before_space(s2).0);
        out.stamp.zoned = zoned;
        out.stamp.coarse = coarse;
    } else if let Some(p) = parse_bsd_syslog(s, ctx) {
        out.fmt = p.0;
        out.kernel = p.1;
        out.stamp.wall = p.2;
        out.body = p.3;
        out.syslog_short = true;
        // BSD syslog and journalctl short: local time, no zone.
        out.stamp.coarse = p.0 == Fmt::Syslog;
    } else {
        return out;
    }
    if out.kernel && out.fmt != Fmt::DmesgIso {
        // syslog "kernel: [ 123.456] ", vmware "Guest: <6>[123.456] "
        let b = strip_level(out.body);
        if let Some((up, rest)) = parse_uptime_bracket(b) {
            out.stamp.uptime_s = up;
            out.body = strip_one_space(strip_caller_id(rest));
        } else {
            out.body = b;
        }
    }
    out
}

/// A `/dev/kmsg` record, `PRI,SEQ,USEC,FLAGS[,…];message`
/// (Documentation/ABI/testing/dev-kmsg): uptime seconds and the message.
/// The time is microseconds since boot; the flags are `-`, `c` or `+`.
fn parse_kmsg_record(line: &str) -> Option<(f64, &str)> {
    let (head, msg) = line.split_once(';')?;
    let mut fields = head.split(',');
    let pri = fields.next()?;
    let seq = fields.next()?;
    let usec = fields.next()?;
    let flags = fields.next()?;
    if !(all_digits(pri) && all_digits(seq) && all_digits(usec) && pri.len() <= 4) {
        return None;
    }
    if !matches!(flags, "-" | "c" | "+") {
        return None;
    }
    let us: u64 = usec.parse().ok()?;
    Some((us as f64 / 1e6, msg))
}

fn strip_one_space(s: &str) -> &str {
    s.strip_prefix(' ').unwrap_or(s)
}

/// `<6>` / `<30>` printk or syslog priority.
fn strip_level(s: &str) -> &str {
    let level = s.strip_prefix('<').and_then(|r| r.split_once('>'));
    match level {
        Some((digits, rest)) if (1..=4).contains(&digits.len()) && all_digits(digits) => rest,
        _ => s,
    }
}

/// Non-empty and ASCII digits only.
fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit())
}

/// `[ 1870.636507]` → uptime seconds.
fn parse_uptime_bracket(s: &str) -> Option<(Option<f64>, &str)> {
    let (inner, rest) = s.strip_prefix('[')?.split_once(']')?;
    let num = inner.trim_start_matches(' ');
    let (secs, frac) = num.split_once('.')?;
    if !all_digits(secs) || !all_digits(frac) {
        return None;
    }
    // Over 15 digits is not a plausible uptime: still a dmesg stamp, no time.
    let up = if num.len() > 15 {
        None
    } else {
        num.parse::<f64>().ok().filter(|v| v.is_finite())
    };
    Some((up, rest))
}

/// `[    T123]` / `[  C1]` caller id printed after the time (CONFIG_PRINTK_CALLER).
fn strip_caller_id(s: &str) -> &str {
    let Some((inner, rest)) = s.strip_prefix('[').and_then(|r| r.split_once(']')) else {
        return s;
    };
    let id = inner.trim_start_matches(' ');
    match id.strip_prefix(['T', 'C']) {
        Some(digits) if all_digits(digits) => rest,
        _ => s,
    }
}

/// Month from an English abbreviation, or a few German ones (`Mär`, `Mai`,
/// `Okt`, `Dez`) that `dmesg -T` prints under a German locale.
fn month_any(s: &str) -> Option<u32> {
    if let Some(m) = crate::time::month_from_abbrev(s) {
        return Some(m);
    }
    let l = s.to_lowercase();
    let l = l.trim_end_matches('.');
    match l {
        _ if l.starts_with("mär") || l.starts_with("mrz") => Some(3),
        _ if l.starts_with("mai") => Some(5),
        _ if l.starts_with("okt") => Some(10),
        _ if l.starts_with("dez") => Some(12),
        _ => None,
    }
}

fn parse_hms(s: &str) -> Option<(u32, u32, u32, u32)> {
    // HH:MM:SS[.frac]
    let (hms, frac) = match s.split_once('.') {
        Some((hms, frac)) => (hms, Some(frac)),
        None => (s, None),
    };
    let mut it = hms.split(':');
    let h: u32 = small_num(it.next()?)?;
    let m: u32 = small_num(it.next()?)?;
    let sec: u32 = small_num(it.next()?)?;
    if it.next().is_some() {
        return None;
    }
    let mut nanos = 0u32;
    if let Some(f) = frac {
        if f.is_empty() || !f.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        for (k, c) in f.bytes().enumerate() {
            if k < 9 {
                nanos = nanos * 10 + (c - b'0') as u32;
            }
        }
        let n = f.len().min(9) as u32;
        nanos *= 10u32.pow(9 - n);
    }
    Some((h, m, sec, nanos))
}

fn small_num(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 4 || !s.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `[Sun Nov 29 03:19:59 2026]` (day name in any language, ignored).
fn parse_dmesg_t(s: &str) -> Option<(Option<Timestamp>, &str)> {
    let (inner, rest) = s.strip_prefix('[')?.split_once(']')?;
    // The stamp closes within 80 bytes; a line whose 64th byte falls inside
    // a multibyte character has always been searched whole (kept as is).
    let close = inner.len() + 1;
    if close >= 80 && s.is_char_boundary(64.min(s.len())) {
        return None;
    }
    let toks: Vec<&str> = inner.split_whitespace().collect();
    let (mon, day, hms, year) = match toks.len() {
        5 => (toks[1], toks[2], toks[3], toks[4]),
        4 => (toks[0], toks[1], toks[2], toks[3]),
        _ => return None,
    };
    let (h, mi, sec, nanos) = parse_hms(hms)?;
    let day = small_num(day)?;
    if year.len() != 4 {
        return None;
    }
    let year = small_num(year)? as i64;
    let wall =
        month_any(mon).and_then(|mo| Timestamp::from_civil(year, mo, day, h, mi, sec, nanos));
    Some((wall, rest))
}

/// Host and tag after a syslog stamp: `host kernel: msg`, `host dockerd[12]: msg`.
/// Returns (is kernel, body).
fn host_tag(s: &str) -> Option<(bool, &str)> {
    let (host, rest) = s.strip_prefix(' ')?.split_once(' ')?;
    if host.is_empty() || host.contains(':') || host.contains('[') {
        return None;
    }
    let (tag, body) = rest.split_once(' ').unwrap_or((rest, ""));
    let name = tag.strip_suffix(':')?;
    let name = match name.split_once('[') {
        Some((base, _)) if name.ends_with(']') => base,
        Some(_) => return None,
        None => name,
    };
    if name.is_empty() {
        return None;
    }
    Some((name == "kernel", body))
}

/// RFC 5424 after the stamp: `host app procid msgid sd msg`.
fn host_app_5424(s: &str) -> Option<(bool, &str)> {
    let mut rest = s.strip_prefix(' ')?;
    let mut fields = [""; 4];
    for f in fields.iter_mut() {
        (*f, rest) = rest.split_once(' ')?;
    }
    // structured data: "-" or "[...]"
    let body = if let Some(r) = rest.strip_prefix("- ") {
        r
    } else if rest == "-" {
        ""
    } else if rest.starts_with('[') {
        rest.split_once("] ").map_or("", |(_, msg)| msg)
    } else {
        rest
    };
    Some((fields[1] == "kernel", body))
}

/// ISO-stamped lines: `dmesg --time-format iso`, ISO syslog, journalctl
/// short-iso, vmware.log. Returns (fmt, kernel, wall, body).
fn parse_iso_prefix(s: &str, rfc5424: bool) -> Option<(Fmt, bool, Option<Timestamp>, &str)> {
    // A cheap gate before the RFC 3339 parse: `YYYY-MM-DDT`, 20 bytes or more.
    let (year, _) = s.split_once('-')?;
    if s.len() < 20 || year.len() != 4 || !all_digits(year) || s.as_bytes().get(10) != Some(&b'T') {
        return None;
    }
    // `rest` keeps the space that ends the stamp.
    let (tok, rest) = split_before_space(s);
    let wall = Timestamp::parse_rfc3339(tok);
    wall?;
    if tok.contains(',') {
        return Some((Fmt::DmesgIso, true, wall, strip_one_space(rest)));
    }
    // vmware.log: "2023-12-04T10:49:30.127Z In(05) vcpu-5 - Guest: <6>[...]"
    if let Some(r) = rest.strip_prefix(' ') {
        let (t, after) = split_before_space(r);
        if is_vmware_level(t) {
            // "Guest: " within the first 80 bytes (all of them when byte 80
            // falls inside a character).
            let window = after.get(..after.len().min(80)).unwrap_or(after);
            let guest = window
                .find("Guest: ")
                .and_then(|i| after.get(i..))
                .and_then(|g| g.strip_prefix("Guest: "));
            return Some(match guest {
                Some(body) => (Fmt::Vmware, true, wall, body),
                None => (Fmt::Vmware, false, wall, strip_one_space(after)),
            });
        }
    }
    // journalctl short-iso ends its stamp with a numeric offset (`+0100`).
    let journal_offset = tok
        .rsplit_once(['+', '-'])
        .is_some_and(|(stamp, zone)| !stamp.is_empty() && zone.len() == 4 && all_digits(zone));
    let ht = if rfc5424 {
        host_app_5424(rest)
    } else {
        host_tag(rest)
    };
    if let Some((kernel, body)) = ht {
        let fmt = if journal_offset {
            Fmt::Journal
        } else {
            Fmt::Syslog
        };
        return Some((fmt, kernel, wall, body));
    }
    Some((Fmt::DmesgIso, true, wall, strip_one_space(rest)))
}

/// Whether an ISO stamp names its zone (`Z`, `+00:00`, `-0500` after the
/// seconds) and whether it has whole seconds only.
fn iso_zone_and_precision(tok: &str) -> (bool, bool) {
    let tail = tok.get(19..).unwrap_or("");
    let zoned = tail.contains(['Z', 'z', '+', '-']);
    let coarse = !tail.starts_with(['.', ',']);
    (zoned, coarse)
}

/// Splits at the first space, which stays at the start of the second part
/// (all of `s` and "" when there is none).
fn split_before_space(s: &str) -> (&str, &str) {
    s.split_at(s.find(' ').unwrap_or(s.len()))
}

/// The vmware.log level token: two letters and a number in parentheses (`In(05)`).
fn is_vmware_level(t: &str) -> bool {
    let Some((name, num)) = t.split_once('(') else {
        return false;
    };
    name.len() == 2
        && name.bytes().all(|c| c.is_ascii_alphabetic())
        && num.strip_suffix(')').is_some_and(all_digits)
}

/// `Nov 29 03:19:59 host kernel: ` (syslog, journalctl short) and
/// `Nov 29 03:19:59.123456 host kernel: ` (journalctl short-precise).
fn parse_bsd_syslog<'a>(
    s: &'a str,
    ctx: &KernelContext,
) -> Option<(Fmt, bool, Option<Timestamp>, &'a str)> {
    if s.len() < 16 {
        return None;
    }
    let (mon, rest) = s.split_once(' ')?;
    if mon.len() != 3 || !mon.bytes().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    let mon = month_any(mon)?;
    let (day, rest) = rest.trim_start_matches(' ').split_once(' ')?;
    if day.len() > 2 || !all_digits(day) {
        return None;
    }
    let day = small_num(day)?;
    let (hms, rest) = split_before_space(rest);
    let (h, mi, sec, nanos) = parse_hms(hms)?;
    let precise = hms.contains('.');
    let (kernel, body) = host_tag(rest)?;
    let wall = ctx
        .year_hint
        .and_then(|y| Timestamp::from_civil(y as i64, mon, day, h, mi, sec, nanos));
    let fmt = if precise { Fmt::Journal } else { Fmt::Syslog };
    Some((fmt, kernel, wall, body))
}

/// Drops pager junk such as a trailing `   [7/972]` and trailing blanks.
pub(super) fn strip_pager_junk(s: &str) -> &str {
    let t = s.trim_end();
    if let Some((before, inner)) = t.rsplit_once('[') {
        if let Some(inner) = inner.strip_suffix(']') {
            if let Some((a, b)) = inner.split_once('/') {
                if !a.is_empty()
                    && !b.is_empty()
                    && a.bytes().all(|c| c.is_ascii_digit())
                    && b.bytes().all(|c| c.is_ascii_digit())
                    && before.ends_with(' ')
                    && !before.trim().is_empty()
                {
                    return before.trim_end();
                }
            }
        }
    }
    t
}
