//! Kernel logs as people collect them (raw `dmesg`, `dmesg -T`, `--time-format
//! iso`, syslog `kern.log`/`messages`, journalctl short/short-precise/short-iso,
//! `<n>` level prefixes, paste damage) reduced to the two events coroner
//! correlates: OOM kills and segfaults.
//!
//! How a file is read:
//! - Lines are split on `\n` (a trailing `\r` dropped), invalid UTF-8 decoded
//!   lossily (with a warning diagnostic). Each line's prefix is decoded into a
//!   [`KernelStamp`]: raw dmesg uptime, `dmesg -T` (day name ignored, English
//!   or German month, UTC), `dmesg --time-format iso`, BSD syslog (year from
//!   [`KernelContext::year_hint`], else no wall time and a diagnostic; no
//!   Dec→Jan rollover), ISO/RFC 5424 syslog, journalctl short, short-precise,
//!   short-iso and short-monotonic, vmware.log `Guest:` wrappers, `<n>` levels,
//!   `[ T123]` caller ids. Syslog lines of other programs are skipped for events.
//! - A line without any prefix that follows a prefixed OOM/segfault line which
//!   stops short of its known ending is a paste wrap and is joined to it
//!   (without a separator: pastes wrap mid-token). Other unprefixed lines take
//!   the kernel/non-kernel side of the line before them. Pager junk such as a
//!   trailing `[7/972]` is dropped, also from evidence excerpts.
//! - An OOM kill is anchored on its `Killed process` line; on the `Kill
//!   process … or sacrifice child` line when no Killed line follows; and on
//!   the `oom-kill:` summary when the excerpt stops before both (the kernel
//!   prints the summary only for a victim it is about to kill). The summary is
//!   matched by pid; the `Task in … killed as a result of limit of …` line, the
//!   `cpuset=` line and the `invoked oom-killer` header are used by the first
//!   kill after them only, since a rate-limited report prints none of them.
//!   `oom_reaper` and `memory.oom.group` lines are added as evidence. Kills are
//!   deduplicated by (pid, process), segfaults likewise.
//! - Segfaults: `comm[pid]: segfault at …`, plus `traps: comm[pid] general
//!   protection fault` and `traps: comm[pid] trap stack segment`, which also
//!   deliver SIGSEGV. Other traps (invalid opcode, divide error) are not counted.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use crate::model::{Diagnostic, Evidence};
use crate::time::Timestamp;

/// What the caller knows that a log line may not say.
#[derive(Clone, Debug, Default)]
pub struct KernelContext {
    /// Year for syslog stamps, which carry none (`Nov 29 03:19:59`).
    pub year_hint: Option<i32>,
}

/// When a kernel event happened, as far as its line says.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct KernelStamp {
    /// Seconds since boot (`[ 1870.636507]`), when printed.
    pub uptime_s: Option<f64>,
    /// Wall-clock time printed on the line (`-T`, iso, syslog, journalctl).
    pub wall: Option<Timestamp>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct OomKill {
    pub pid: u32,
    pub process: String,
    pub task_memcg: Option<String>,
    pub oom_memcg: Option<String>,
    pub cpuset: Option<String>,
    pub constraint: Option<String>,
    pub global: bool,
    pub anon_rss_kib: Option<u64>,
    pub total_vm_kib: Option<u64>,
    pub uid: Option<u32>,
    pub stamp: KernelStamp,
    /// The header, summary and kill lines that make up the report.
    pub evidence: Vec<Evidence>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Segfault {
    pub pid: u32,
    pub process: String,
    pub stamp: KernelStamp,
    pub evidence: Evidence,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct KernelLog {
    pub path: String,
    /// "dmesg", "dmesg-T", "dmesg-iso", "syslog", "journalctl" or "mixed",
    /// from the prefixes of the majority of lines (vmware.log wrappers count
    /// as "dmesg": the guest lines carry raw dmesg stamps).
    pub format: &'static str,
    pub lines: u64,
    pub oom_kills: Vec<OomKill>,
    pub segfaults: Vec<Segfault>,
    pub diagnostics: Vec<Diagnostic>,
}

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
}

/// Parses a kernel log into OOM kills and segfaults. Never panics; invalid
/// UTF-8 is decoded lossily.
pub fn parse(path: &str, text: &[u8], ctx: &KernelContext) -> KernelLog {
    let decoded = String::from_utf8_lossy(text);
    let lossy = matches!(decoded, Cow::Owned(_));
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
            if matches!(p.fmt, Fmt::Syslog | Fmt::Journal)
                && p.stamp.wall.is_none()
                && p.syslog_short
            {
                syslog_without_year = true;
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
    if syslog_without_year && ctx.year_hint.is_none() {
        log.diagnostics.push(Diagnostic::warning(
            path,
            "syslog stamps carry no year and none was known; wall-clock times left unset",
        ));
    }
    log
}

// ---------------------------------------------------------------------------
// Line prefixes

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fmt {
    None = 0,
    Dmesg = 1,
    DmesgT = 2,
    DmesgIso = 3,
    Syslog = 4,
    Journal = 5,
    Vmware = 6,
}
const FMT_COUNT: usize = 7;

fn pick_format(counts: &[u64; FMT_COUNT]) -> &'static str {
    // vmware.log wrappers carry the guest's raw dmesg stamps: count as dmesg.
    let mut c = *counts;
    c[Fmt::Dmesg as usize] += c[Fmt::Vmware as usize];
    c[Fmt::Vmware as usize] = 0;
    let total: u64 = c[1..].iter().sum();
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
struct Prefixed<'a> {
    fmt: Fmt,
    /// The line comes from the kernel (always, except syslog/journal/vmware
    /// lines of other programs).
    kernel: bool,
    stamp: KernelStamp,
    body: &'a str,
    /// A BSD syslog stamp (no year).
    syslog_short: bool,
}

/// Splits a physical line into its prefix (decoded into a stamp) and body.
fn split_prefix<'a>(line: &'a str, ctx: &KernelContext) -> Prefixed<'a> {
    let mut out = Prefixed {
        fmt: Fmt::None,
        kernel: true,
        stamp: KernelStamp::default(),
        body: line,
        syslog_short: false,
    };
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
    } else if let Some(p) = parse_bsd_syslog(s, ctx) {
        out.fmt = p.0;
        out.kernel = p.1;
        out.stamp.wall = p.2;
        out.body = p.3;
        out.syslog_short = true;
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

fn strip_one_space(s: &str) -> &str {
    s.strip_prefix(' ').unwrap_or(s)
}

/// `<6>` / `<30>` printk or syslog priority.
fn strip_level(s: &str) -> &str {
    let b = s.as_bytes();
    if b.first() == Some(&b'<') {
        let mut i = 1;
        while i < b.len() && i <= 4 && b[i].is_ascii_digit() {
            i += 1;
        }
        if i > 1 && i < b.len() && b[i] == b'>' {
            return &s[i + 1..];
        }
    }
    s
}

/// `[ 1870.636507]` → uptime seconds.
fn parse_uptime_bracket(s: &str) -> Option<(Option<f64>, &str)> {
    let b = s.as_bytes();
    if b.first() != Some(&b'[') {
        return None;
    }
    let mut i = 1;
    while i < b.len() && b[i] == b' ' {
        i += 1;
    }
    let start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    if i == start || i >= b.len() || b[i] != b'.' {
        return None;
    }
    i += 1;
    let fs = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    if i == fs || i >= b.len() || b[i] != b']' {
        return None;
    }
    let num = &s[start..i];
    let up = if start + 15 < i {
        None
    } else {
        num.parse::<f64>().ok().filter(|v| v.is_finite())
    };
    Some((up, &s[i + 1..]))
}

/// `[    T123]` / `[  C1]` caller id printed after the time (CONFIG_PRINTK_CALLER).
fn strip_caller_id(s: &str) -> &str {
    let b = s.as_bytes();
    if b.first() != Some(&b'[') {
        return s;
    }
    let mut i = 1;
    while i < b.len() && b[i] == b' ' {
        i += 1;
    }
    if i < b.len() && (b[i] == b'T' || b[i] == b'C') {
        i += 1;
        let ds = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i > ds && i < b.len() && b[i] == b']' {
            return &s[i + 1..];
        }
    }
    s
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
    let (hms, frac) = match s.find('.') {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
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
    if !s.starts_with('[') {
        return None;
    }
    let close = s
        .get(..64.min(s.len()))
        .unwrap_or(s)
        .find(']')
        .or_else(|| {
            // a 64-byte cut may fall inside a multibyte char; search the whole line
            s.find(']').filter(|&i| i < 80)
        })?;
    let inner = &s[1..close];
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
    Some((wall, &s[close + 1..]))
}

/// Host and tag after a syslog stamp: `host kernel: msg`, `host dockerd[12]: msg`.
/// Returns (is kernel, body).
fn host_tag(s: &str) -> Option<(bool, &str)> {
    let s = s.strip_prefix(' ')?;
    let sp = s.find(' ')?;
    let host = &s[..sp];
    if host.is_empty() || host.contains(':') || host.contains('[') {
        return None;
    }
    let rest = &s[sp + 1..];
    let end = rest.find(' ').unwrap_or(rest.len());
    let tag = &rest[..end];
    let name = tag.strip_suffix(':')?;
    let name = match name.find('[') {
        Some(i) if name.ends_with(']') => &name[..i],
        Some(_) => return None,
        None => name,
    };
    if name.is_empty() {
        return None;
    }
    Some((name == "kernel", rest.get(end + 1..).unwrap_or("")))
}

/// RFC 5424 after the stamp: `host app procid msgid sd msg`.
fn host_app_5424(s: &str) -> Option<(bool, &str)> {
    let mut rest = s.strip_prefix(' ')?;
    let mut fields = [""; 4];
    for f in fields.iter_mut() {
        let sp = rest.find(' ')?;
        *f = &rest[..sp];
        rest = &rest[sp + 1..];
    }
    // structured data: "-" or "[...]"
    let body = if let Some(r) = rest.strip_prefix("- ") {
        r
    } else if rest == "-" {
        ""
    } else if rest.starts_with('[') {
        match rest.find("] ") {
            Some(i) => &rest[i + 2..],
            None => "",
        }
    } else {
        rest
    };
    Some((fields[1] == "kernel", body))
}

/// ISO-stamped lines: `dmesg --time-format iso`, ISO syslog, journalctl
/// short-iso, vmware.log. Returns (fmt, kernel, wall, body).
fn parse_iso_prefix(s: &str, rfc5424: bool) -> Option<(Fmt, bool, Option<Timestamp>, &str)> {
    let b = s.as_bytes();
    if b.len() < 20 || !b[..4].iter().all(|c| c.is_ascii_digit()) || b[4] != b'-' || b[10] != b'T' {
        return None;
    }
    let end = s.find(' ').unwrap_or(s.len());
    let tok = &s[..end];
    let wall = Timestamp::parse_rfc3339(tok);
    wall?;
    let rest = &s[end..];
    if tok.contains(',') {
        return Some((Fmt::DmesgIso, true, wall, strip_one_space(rest)));
    }
    // vmware.log: "2023-12-04T10:49:30.127Z In(05) vcpu-5 - Guest: <6>[...]"
    if let Some(r) = rest.strip_prefix(' ') {
        let t = &r[..r.find(' ').unwrap_or(r.len())];
        let tb = t.as_bytes();
        if tb.len() >= 5
            && tb[0].is_ascii_alphabetic()
            && tb[1].is_ascii_alphabetic()
            && tb[2] == b'('
            && tb[tb.len() - 1] == b')'
            && tb[3..tb.len() - 1].iter().all(|c| c.is_ascii_digit())
        {
            let after = &r[t.len()..];
            let window = after.get(..after.len().min(80)).unwrap_or(after);
            return Some(match window.find("Guest: ") {
                Some(i) => (Fmt::Vmware, true, wall, &after[i + 7..]),
                None => (Fmt::Vmware, false, wall, strip_one_space(after)),
            });
        }
    }
    let journal_offset = {
        let tb = tok.as_bytes();
        tb.len() > 5
            && matches!(tb[tb.len() - 5], b'+' | b'-')
            && tb[tb.len() - 4..].iter().all(|c| c.is_ascii_digit())
    };
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

/// `Nov 29 03:19:59 host kernel: ` (syslog, journalctl short) and
/// `Nov 29 03:19:59.123456 host kernel: ` (journalctl short-precise).
fn parse_bsd_syslog<'a>(
    s: &'a str,
    ctx: &KernelContext,
) -> Option<(Fmt, bool, Option<Timestamp>, &'a str)> {
    let b = s.as_bytes();
    if b.len() < 16 || !b[..3].iter().all(|c| c.is_ascii_alphabetic()) || b[3] != b' ' {
        return None;
    }
    let mon = month_any(&s[..3])?;
    let mut i = 4;
    while i < b.len() && b[i] == b' ' {
        i += 1;
    }
    let ds = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    if i == ds || i - ds > 2 || i >= b.len() || b[i] != b' ' {
        return None;
    }
    let day = small_num(&s[ds..i])?;
    i += 1;
    let ts = i;
    while i < b.len() && b[i] != b' ' {
        i += 1;
    }
    let (h, mi, sec, nanos) = parse_hms(&s[ts..i])?;
    let precise = s[ts..i].contains('.');
    let (kernel, body) = host_tag(&s[i..])?;
    let wall = ctx
        .year_hint
        .and_then(|y| Timestamp::from_civil(y as i64, mon, day, h, mi, sec, nanos));
    let fmt = if precise { Fmt::Journal } else { Fmt::Syslog };
    Some((fmt, kernel, wall, body))
}

/// Drops pager junk such as a trailing `   [7/972]` and trailing blanks.
fn strip_pager_junk(s: &str) -> &str {
    let t = s.trim_end();
    if let Some(open) = t.rfind('[') {
        let inner = &t[open + 1..];
        if let Some(inner) = inner.strip_suffix(']') {
            if let Some((a, b)) = inner.split_once('/') {
                let before = &t[..open];
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

// ---------------------------------------------------------------------------
// Paste damage: hard-wrapped lines

fn is_event_start(body: &str) -> bool {
    body.contains("Killed process ")
        || body.contains("Kill process ")
        || body.contains("invoked oom-killer:")
        || body.contains("oom-kill:")
        || body.contains("]: segfault at ")
        || body.contains("oom_reaper:")
        || body.contains("Task in ")
}

/// Whether an unprefixed physical line continues the previous logical line:
/// the previous one is an OOM/segfault line that stops short of its known
/// ending and the continuation is not indented and is not an event itself.
fn should_join(prev_body: &str, cont: &str) -> bool {
    if cont.starts_with([' ', '\t']) || is_event_start(cont) {
        return false;
    }
    let p = strip_pager_junk(prev_body);
    if p.contains("oom-kill:") {
        return !ends_with_key_num(p, "uid=");
    }
    if p.contains("Killed process ") {
        return !(ends_with_key_num(p, "oom_score_adj:")
            || (p.contains("file-rss:") && p.ends_with("kB")));
    }
    if p.contains("Kill process ") {
        return !p.contains(" or sacrifice child");
    }
    if p.contains("invoked oom-killer:") {
        return !ends_with_key_num(p, "oom_score_adj=");
    }
    if p.contains(" cpuset=") {
        return !p.contains(" mems_allowed=");
    }
    if p.contains("Task in ") {
        return !p.contains(" killed as a result of limit of /");
    }
    if p.contains("Tasks in ") {
        return !p.contains(" are going to be killed");
    }
    if p.contains("]: segfault at ") {
        return !p.contains(" in ");
    }
    if p.contains("oom_reaper: reaped process ") {
        return !p.contains("shmem-rss:");
    }
    false
}

fn ends_with_key_num(s: &str, key: &str) -> bool {
    let digits = s.trim_end_matches(|c: char| c.is_ascii_digit());
    digits.len() < s.len() && {
        let d = digits.strip_suffix('-').unwrap_or(digits);
        d.ends_with(key)
    }
}

// ---------------------------------------------------------------------------
// Events

struct Logical<'a> {
    line_no: u64,
    raw: Cow<'a, str>,
    body: Cow<'a, str>,
    stamp: KernelStamp,
    kernel: bool,
    had_prefix: bool,
}

fn leading_u32(s: &str) -> Option<(u32, &str)> {
    let s = s.trim_start();
    let end = s
        .bytes()
        .position(|c| !c.is_ascii_digit())
        .unwrap_or(s.len());
    if end == 0 {
        return None;
    }
    Some((s[..end].parse().ok()?, &s[end..]))
}

fn num_after(s: &str, key: &str) -> Option<u64> {
    let i = s.find(key)?;
    let r = &s[i + key.len()..];
    let end = r
        .bytes()
        .position(|c| !c.is_ascii_digit())
        .unwrap_or(r.len());
    if end == 0 {
        return None;
    }
    r[..end].parse().ok()
}

/// `(comm)` whose closing parenthesis is the one before the first of `ends`.
fn comm_before<'a>(s: &'a str, ends: &[&str]) -> Option<(&'a str, &'a str)> {
    let r = s.trim_start().strip_prefix('(')?;
    let pos = ends.iter().filter_map(|e| r.find(e)).min();
    let close = match pos {
        Some(p) => p,
        None => r.rfind(')').unwrap_or(r.len()),
    };
    Some((&r[..close], r.get(close + 1..).unwrap_or("")))
}

/// The `%s: ` message oom_kill_process() prints before the kill line
/// ("Out of memory", "Memory cgroup out of memory", "Out of memory
/// (oom_kill_allocating_task)"), or nothing (3.10-5.0 `Killed process`).
fn oom_message_prefix(pre: &str) -> bool {
    pre.is_empty() || (pre.ends_with(':') && pre.to_ascii_lowercase().contains("out of memory"))
}

/// "Out of memory" (global) vs "Memory cgroup out of memory" before a kill line.
fn global_from_prefix(pre: &str) -> Option<bool> {
    if pre.contains("Memory cgroup out of memory") {
        Some(false)
    } else if pre.contains("Out of memory") {
        Some(true)
    } else {
        None
    }
}

struct Killed<'a> {
    pid: u32,
    comm: &'a str,
    total_vm: Option<u64>,
    anon_rss: Option<u64>,
    uid: Option<u32>,
    global: Option<bool>,
}

fn parse_killed(body: &str) -> Option<Killed<'_>> {
    let i = body.find("Killed process ")?;
    let pre = body[..i].trim();
    if !oom_message_prefix(pre) {
        return None;
    }
    let (pid, rest) = leading_u32(&body[i + 15..])?;
    let (comm, tail) = comm_before(rest, &[") total-vm:", "), UID", "), total-vm:", ") UID"])?;
    let uid = num_after(tail, "UID:")
        .or_else(|| num_after(tail, "UID "))
        .and_then(|u| u32::try_from(u).ok());
    Some(Killed {
        pid,
        comm,
        total_vm: num_after(tail, "total-vm:"),
        anon_rss: num_after(tail, "anon-rss:"),
        uid,
        global: global_from_prefix(pre),
    })
}

/// `Memory cgroup out of memory: Kill process N (comm) score S or sacrifice child`.
fn parse_kill_select(body: &str) -> Option<(u32, &str, Option<bool>)> {
    let i = body.find("Kill process ")?;
    let pre = body[..i].trim();
    if !oom_message_prefix(pre) {
        return None;
    }
    let (pid, rest) = leading_u32(&body[i + 13..])?;
    let (comm, _) = comm_before(rest, &[") score "])?;
    Some((pid, comm, global_from_prefix(pre)))
}

/// `crash[19247]: segfault at 0 ip ...`, and `traps: comm[pid] general
/// protection fault ...` / `traps: comm[pid] trap stack segment ...` (both
/// deliver SIGSEGV, so they count as segfaults).
fn parse_segfault(body: &str) -> Option<(u32, &str)> {
    let (head, _) = if let Some(i) = body.find("]: segfault at ") {
        (&body[..i], ())
    } else {
        let t = body.trim_start().strip_prefix("traps: ")?;
        let i = t
            .find("] general protection fault")
            .or_else(|| t.find("] trap stack segment"))?;
        (&t[..i], ())
    };
    let open = head.rfind('[')?;
    let pid: u32 = head[open + 1..].parse().ok()?;
    let comm = head[..open].trim();
    let comm = comm.strip_prefix("traps: ").unwrap_or(comm);
    Some((pid, comm))
}

#[derive(Default)]
struct Summary {
    pid: Option<u32>,
    task: Option<String>,
    constraint: Option<String>,
    cpuset: Option<String>,
    oom_memcg: Option<String>,
    task_memcg: Option<String>,
    global: bool,
    uid: Option<u32>,
}

/// `oom-kill:constraint=...,nodemask=...,cpuset=...,mems_allowed=...,
/// oom_memcg=...|global_oom,task_memcg=...,task=...,pid=...,uid=...`.
/// Values may themselves contain commas (`mems_allowed=0-1,3`): a piece that
/// does not start a known key continues the previous value.
fn parse_summary(body: &str) -> Option<Summary> {
    let i = body.find("oom-kill:")?;
    let rest = &body[i + 9..];
    const KEYS: [&str; 9] = [
        "constraint",
        "nodemask",
        "cpuset",
        "mems_allowed",
        "oom_memcg",
        "task_memcg",
        "task",
        "pid",
        "uid",
    ];
    let mut vals: [Option<String>; 9] = Default::default();
    let mut global = false;
    let mut cur: Option<usize> = None;
    for piece in rest.split(',') {
        if piece == "global_oom" {
            global = true;
            cur = None;
            continue;
        }
        let key_idx = piece
            .split_once('=')
            .and_then(|(k, _)| KEYS.iter().position(|key| *key == k));
        match key_idx {
            Some(k) => {
                let v = &piece[KEYS[k].len() + 1..];
                vals[k] = Some(v.to_string());
                cur = Some(k);
            }
            None => {
                if let Some(k) = cur {
                    if let Some(v) = vals[k].as_mut() {
                        v.push(',');
                        v.push_str(piece);
                    }
                }
            }
        }
    }
    let [constraint, _nodemask, cpuset, _mems, oom_memcg, task_memcg, task, pid, uid] = vals;
    Some(Summary {
        pid: pid.and_then(|p| p.trim().parse().ok()),
        uid: uid.and_then(|u| u.trim().parse().ok()),
        task,
        constraint,
        cpuset,
        oom_memcg,
        task_memcg,
        global,
    })
}

struct SummaryRec {
    s: Summary,
    ev: Evidence,
    header: Option<Evidence>,
    stamp: KernelStamp,
    line_no: u64,
    used: bool,
}

struct KillSel {
    pid: u32,
    comm: String,
    global: Option<bool>,
    ev: Evidence,
    stamp: KernelStamp,
}

struct State<'p> {
    path: &'p str,
    header: Option<Evidence>,
    report_start: u64,
    cpuset: Option<String>,
    task_in: Option<(String, String, Evidence)>,
    kill_sel: Option<KillSel>,
    summaries: Vec<SummaryRec>,
    summary_by_pid: HashMap<u32, usize>,
    kills: Vec<(u64, OomKill)>,
    kill_by_pid: HashMap<u32, usize>,
    seen_kills: HashSet<(u32, String)>,
    segfaults: Vec<Segfault>,
    seen_segv: HashSet<(u32, String)>,
}

impl<'p> State<'p> {
    fn new(path: &'p str) -> State<'p> {
        State {
            path,
            header: None,
            report_start: 0,
            cpuset: None,
            task_in: None,
            kill_sel: None,
            summaries: Vec::new(),
            summary_by_pid: HashMap::new(),
            kills: Vec::new(),
            kill_by_pid: HashMap::new(),
            seen_kills: HashSet::new(),
            segfaults: Vec::new(),
            seen_segv: HashSet::new(),
        }
    }

    fn ev(&self, l: &Logical) -> Evidence {
        Evidence::new(self.path, Some(l.line_no), l.raw.as_ref())
    }

    fn handle(&mut self, l: Logical) {
        if !l.kernel {
            return;
        }
        let body: &str = l.body.as_ref();
        // Cheap gate: every event line contains one of these bytes sequences.
        if !(body.contains("oom")
            || body.contains("Kill")
            || body.contains("segfault")
            || body.contains("cpuset=")
            || body.contains("Task")
            || body.contains("traps:"))
        {
            return;
        }
        if body.contains(" invoked oom-killer:") {
            self.flush_selection();
            self.header = Some(self.ev(&l));
            self.report_start = l.line_no;
            self.cpuset = None;
            self.task_in = None;
            return;
        }
        if let Some(k) = parse_killed(body) {
            self.on_killed(&l, k);
            return;
        }
        if let Some((pid, comm, global)) = parse_kill_select(body) {
            if let Some(sel) = &self.kill_sel {
                if sel.pid == pid && sel.comm == comm {
                    return; // the same line pasted twice
                }
            }
            self.flush_selection();
            self.kill_sel = Some(KillSel {
                pid,
                comm: comm.to_string(),
                global,
                ev: self.ev(&l),
                stamp: l.stamp,
            });
            return;
        }
        if body.contains("oom-kill:") {
            if let Some(s) = parse_summary(body) {
                let rec = SummaryRec {
                    s,
                    ev: self.ev(&l),
                    header: self.header.clone(),
                    stamp: l.stamp,
                    line_no: l.line_no,
                    used: false,
                };
                if let Some(pid) = rec.s.pid {
                    self.summary_by_pid.insert(pid, self.summaries.len());
                }
                self.summaries.push(rec);
            }
            return;
        }
        if let Some(i) = body.find("oom_reaper: ") {
            let r = &body[i + 12..];
            let r = r
                .strip_prefix("reaped process ")
                .or_else(|| r.strip_prefix("unable to reap pid:"));
            if let Some((pid, _)) = r.and_then(leading_u32) {
                if let Some(&k) = self.kill_by_pid.get(&pid) {
                    let ev = self.ev(&l);
                    self.kills[k].1.evidence.push(ev);
                }
            }
            return;
        }
        if let Some(i) = body.find("Task in ") {
            let r = &body[i + 8..];
            if let Some((task, oom)) = r.split_once(" killed as a result of limit of ") {
                self.task_in = Some((task.trim().to_string(), oom.trim().to_string(), self.ev(&l)));
            }
            return;
        }
        if body.contains("Tasks in ")
            && body.contains(" are going to be killed due to memory.oom.group")
        {
            if let Some((line, k)) = self.kills.last_mut() {
                if *line >= self.report_start {
                    k.evidence
                        .push(Evidence::new(self.path, Some(l.line_no), l.raw.as_ref()));
                }
            }
            return;
        }
        if !body.contains("oom-kill:") {
            if let Some(i) = body.find(" cpuset=") {
                if let Some(j) = body[i..].find(" mems_allowed=") {
                    self.cpuset = Some(body[i + 8..i + j].to_string());
                    return;
                }
            }
        }
        if let Some((pid, comm)) = parse_segfault(body) {
            if self.seen_segv.insert((pid, comm.to_string())) {
                let ev = self.ev(&l);
                self.segfaults.push(Segfault {
                    pid,
                    process: comm.to_string(),
                    stamp: l.stamp,
                    evidence: ev,
                });
            }
        }
    }

    fn on_killed(&mut self, l: &Logical, k: Killed) {
        let sel = self.kill_sel.take();
        let key = (k.pid, k.comm.to_string());
        if self.seen_kills.contains(&key) {
            return;
        }
        let mut kill = OomKill {
            pid: k.pid,
            process: k.comm.to_string(),
            task_memcg: None,
            oom_memcg: None,
            cpuset: None,
            constraint: None,
            global: k
                .global
                .or(sel.as_ref().and_then(|s| s.global))
                .unwrap_or(false),
            anon_rss_kib: k.anon_rss,
            total_vm_kib: k.total_vm,
            uid: k.uid,
            stamp: l.stamp,
            evidence: Vec::new(),
        };
        let mut header = self.header.take();
        let summary = self
            .summary_by_pid
            .get(&k.pid)
            .copied()
            .filter(|&i| !self.summaries[i].used);
        if let Some(i) = summary {
            let rec = &mut self.summaries[i];
            rec.used = true;
            if header.is_none() {
                header = rec.header.clone();
            }
            apply_summary(&mut kill, &rec.s);
            kill.evidence.push(rec.ev.clone());
        } else if let Some((task, oom, ev)) = self.task_in.take() {
            kill.task_memcg = Some(task);
            kill.oom_memcg = Some(oom);
            kill.evidence.push(ev);
        }
        if kill.cpuset.is_none() {
            kill.cpuset = self.cpuset.take();
        }
        if let Some(h) = header {
            kill.evidence.insert(0, h);
        }
        kill.evidence.push(self.ev(l));
        self.push_kill(l.line_no, kill);
    }

    fn push_kill(&mut self, anchor: u64, mut kill: OomKill) {
        kill.evidence.sort_by_key(|e| e.line);
        kill.evidence.dedup_by_key(|e| e.line);
        self.seen_kills.insert((kill.pid, kill.process.clone()));
        self.kill_by_pid.insert(kill.pid, self.kills.len());
        self.kills.push((anchor, kill));
    }

    /// A `Kill process … or sacrifice child` line whose `Killed process` line
    /// never came: the selection itself is the best record of the kill.
    fn flush_selection(&mut self) {
        let Some(sel) = self.kill_sel.take() else {
            return;
        };
        if self.seen_kills.contains(&(sel.pid, sel.comm.clone())) {
            return;
        }
        let mut kill = OomKill {
            pid: sel.pid,
            process: sel.comm,
            task_memcg: None,
            oom_memcg: None,
            cpuset: self.cpuset.take(),
            constraint: None,
            global: sel.global.unwrap_or(false),
            anon_rss_kib: None,
            total_vm_kib: None,
            uid: None,
            stamp: sel.stamp,
            evidence: Vec::new(),
        };
        if let Some(h) = self.header.take() {
            kill.evidence.push(h);
        }
        if let Some(i) = self
            .summary_by_pid
            .get(&sel.pid)
            .copied()
            .filter(|&i| !self.summaries[i].used)
        {
            let rec = &mut self.summaries[i];
            rec.used = true;
            apply_summary(&mut kill, &rec.s);
            kill.evidence.push(rec.ev.clone());
        } else if let Some((task, oom, ev)) = self.task_in.take() {
            kill.task_memcg = Some(task);
            kill.oom_memcg = Some(oom);
            kill.evidence.push(ev);
        }
        let anchor = sel.ev.line.unwrap_or(0);
        kill.evidence.push(sel.ev);
        self.push_kill(anchor, kill);
    }

    fn finish(mut self) -> KernelLog {
        self.flush_selection();
        // An `oom-kill:` summary is printed only for a victim about to be
        // killed; when the paste stops before the `Killed process` line, the
        // summary is the record of the kill.
        let pending: Vec<usize> = (0..self.summaries.len())
            .filter(|&i| !self.summaries[i].used)
            .collect();
        for i in pending {
            let rec = &self.summaries[i];
            let (Some(pid), Some(task)) = (rec.s.pid, rec.s.task.clone()) else {
                continue;
            };
            if self.seen_kills.contains(&(pid, task.clone())) {
                continue;
            }
            let mut kill = OomKill {
                pid,
                process: task,
                task_memcg: None,
                oom_memcg: None,
                cpuset: None,
                constraint: None,
                global: false,
                anon_rss_kib: None,
                total_vm_kib: None,
                uid: None,
                stamp: rec.stamp,
                evidence: Vec::new(),
            };
            apply_summary(&mut kill, &rec.s);
            if let Some(h) = rec.header.clone() {
                kill.evidence.push(h);
            }
            kill.evidence.push(rec.ev.clone());
            let anchor = rec.line_no;
            self.push_kill(anchor, kill);
        }
        self.kills.sort_by_key(|(line, _)| *line);
        KernelLog {
            path: self.path.to_string(),
            format: "dmesg",
            lines: 0,
            oom_kills: self.kills.into_iter().map(|(_, k)| k).collect(),
            segfaults: self.segfaults,
            diagnostics: Vec::new(),
        }
    }
}

fn apply_summary(kill: &mut OomKill, s: &Summary) {
    kill.task_memcg = s.task_memcg.clone();
    kill.oom_memcg = s.oom_memcg.clone();
    kill.constraint = s.constraint.clone();
    kill.cpuset = s.cpuset.clone();
    kill.global = kill.global || s.global;
    if kill.uid.is_none() {
        kill.uid = s.uid;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> KernelLog {
        parse(
            "t",
            text.as_bytes(),
            &KernelContext {
                year_hint: Some(2026),
            },
        )
    }

    fn pids(log: &KernelLog) -> Vec<(u32, String)> {
        log.oom_kills
            .iter()
            .map(|k| (k.pid, k.process.clone()))
            .collect()
    }

    fn ts(s: &str) -> Option<Timestamp> {
        Timestamp::parse_rfc3339(s)
    }

    const KILLED: &str = "Memory cgroup out of memory: Killed process 18778 (dd) total-vm:309468kB, anon-rss:65024kB, file-rss:1584kB, shmem-rss:0kB, UID:0 pgtables:164kB oom_score_adj:0";

    // ---- prefixes -------------------------------------------------------

    #[test]
    fn raw_dmesg_prefix() {
        let ctx = KernelContext::default();
        let x = split_prefix("[ 1870.636507] dd invoked oom-killer:", &ctx);
        assert_eq!(x.fmt, Fmt::Dmesg);
        assert_eq!(x.stamp.uptime_s, Some(1870.636507));
        assert_eq!(x.body, "dd invoked oom-killer:");
        // printk level and caller id
        let x = split_prefix("<6>[   13.957383][  T93] mem invoked", &ctx);
        assert_eq!(
            (x.fmt, x.stamp.uptime_s, x.body),
            (Fmt::Dmesg, Some(13.957383), "mem invoked")
        );
        // stack frame brackets are not stamps
        assert_eq!(
            split_prefix("[<ffffffff81604406>] dump_stack", &ctx).fmt,
            Fmt::None
        );
        assert_eq!(
            split_prefix("[ 3942]     0  3942 java", &ctx).fmt,
            Fmt::None
        );
        assert_eq!(split_prefix("[7/972]", &ctx).fmt, Fmt::None);
        // journalctl -o short-monotonic
        let x = split_prefix("[ 1870.636507] host kernel: Killed process 1 (a)", &ctx);
        assert_eq!(
            (x.stamp.uptime_s, x.body),
            (Some(1870.636507), "Killed process 1 (a)")
        );
        // a device name followed by a colon is not a host and tag
        let x = split_prefix("[    1.0] EXT4-fs (sda1): mounted", &ctx);
        assert_eq!((x.kernel, x.body), (true, "EXT4-fs (sda1): mounted"));
    }

    #[test]
    fn dmesg_t_prefix_english_and_german() {
        let ctx = KernelContext::default();
        let x = split_prefix(
            "[Sun Nov 29 03:19:59 2026] crash[19247]: segfault at 0",
            &ctx,
        );
        assert_eq!(x.fmt, Fmt::DmesgT);
        assert_eq!(x.stamp.wall, ts("2026-11-29T03:19:59Z"));
        assert_eq!(x.body, "crash[19247]: segfault at 0");
        let x = split_prefix(
            "[Di Aug 12 03:54:03 2025] php-fpm invoked oom-killer:",
            &ctx,
        );
        assert_eq!(x.stamp.wall, ts("2025-08-12T03:54:03Z"));
        let x = split_prefix("[Thu Dec  7 00:05:15 2017] Killed process 1 (a)", &ctx);
        assert_eq!(x.stamp.wall, ts("2017-12-07T00:05:15Z"));
        // German month abbreviations
        let x = split_prefix("[Mi Mai  7 10:00:00 2025] x", &ctx);
        assert_eq!(x.stamp.wall, ts("2025-05-07T10:00:00Z"));
        let x = split_prefix("[Fr Dez 19 10:00:00 2025] x", &ctx);
        assert_eq!(x.stamp.wall, ts("2025-12-19T10:00:00Z"));
        // unknown month: still a -T line, wall unknown
        let x = split_prefix("[Xx Foo 19 10:00:00 2025] x", &ctx);
        assert_eq!((x.fmt, x.stamp.wall), (Fmt::DmesgT, None));
    }

    #[test]
    fn dmesg_iso_prefix() {
        let ctx = KernelContext::default();
        let x = split_prefix(
            "2026-11-29T03:19:59,136075+00:00 crash[19247]: segfault at 0",
            &ctx,
        );
        assert_eq!(x.fmt, Fmt::DmesgIso);
        assert_eq!(x.stamp.wall, ts("2026-11-29T03:19:59.136075Z"));
        assert_eq!(x.body, "crash[19247]: segfault at 0");
        let x = split_prefix("2026-11-29T04:19:59,136075+01:00 eth0: renamed", &ctx);
        assert_eq!(x.stamp.wall, ts("2026-11-29T03:19:59.136075Z"));
        assert_eq!(x.body, "eth0: renamed");
    }

    #[test]
    fn syslog_prefixes() {
        let y = KernelContext {
            year_hint: Some(2020),
        };
        let x = split_prefix("May  8 14:05:27 doris-03 kernel: Killed process 1 (a)", &y);
        assert_eq!((x.fmt, x.kernel), (Fmt::Syslog, true));
        assert_eq!(x.stamp.wall, ts("2020-05-08T14:05:27Z"));
        assert_eq!(x.body, "Killed process 1 (a)");
        let x = split_prefix(
            "May 15 23:01:53 host kernel: [  152.700479] Memory cgroup",
            &y,
        );
        assert_eq!(x.stamp.uptime_s, Some(152.700479));
        assert_eq!(x.body, "Memory cgroup");
        let x = split_prefix("May  8 14:05:34 doris-03 containerd: time=\"x\"", &y);
        assert_eq!((x.fmt, x.kernel), (Fmt::Syslog, false));
        let x = split_prefix("Dec 11 10:48:08 h dockerd[812]: msg", &y);
        assert_eq!((x.fmt, x.kernel), (Fmt::Syslog, false));
        // no year known: no wall clock
        let x = split_prefix(
            "May  8 14:05:27 doris-03 kernel: x",
            &KernelContext::default(),
        );
        assert_eq!((x.fmt, x.stamp.wall), (Fmt::Syslog, None));
        // rsyslog high-precision ISO stamp
        let x = split_prefix(
            "2026-11-29T03:19:59.123456+00:00 host kernel: [ 1.5] hi",
            &y,
        );
        assert_eq!((x.fmt, x.kernel, x.body), (Fmt::Syslog, true, "hi"));
        assert_eq!(x.stamp.wall, ts("2026-11-29T03:19:59.123456Z"));
        assert_eq!(x.stamp.uptime_s, Some(1.5));
        // RFC 5424
        let x = split_prefix(
            "<4>1 2026-11-29T03:19:59.5Z host kernel - - - oom-kill:x",
            &y,
        );
        assert_eq!((x.fmt, x.kernel, x.body), (Fmt::Syslog, true, "oom-kill:x"));
    }

    #[test]
    fn journalctl_prefixes() {
        let y = KernelContext {
            year_hint: Some(2024),
        };
        let x = split_prefix("Aug 30 06:58:55.050705 ... kernel: oom-kill:a", &y);
        assert_eq!(
            (x.fmt, x.kernel, x.body),
            (Fmt::Journal, true, "oom-kill:a")
        );
        assert_eq!(x.stamp.wall, ts("2024-08-30T06:58:55.050705Z"));
        let x = split_prefix("2026-11-29T03:19:59+0000 host kernel: hi", &y);
        assert_eq!((x.fmt, x.kernel, x.body), (Fmt::Journal, true, "hi"));
        assert_eq!(x.stamp.wall, ts("2026-11-29T03:19:59Z"));
        // short with the journal banner
        let log = p("-- Logs begin at Sun 2026-11-29 00:00:00 UTC. --\nNov 29 03:19:59 h kernel: a\nNov 29 03:19:59 h kernel: b\n");
        assert_eq!(log.format, "journalctl");
    }

    #[test]
    fn vmware_wrapper() {
        let ctx = KernelContext::default();
        let x = split_prefix(
            "2023-12-04T10:49:30.127Z In(05) vcpu-5 - Guest: <6>[39291577.009363] Tasks state",
            &ctx,
        );
        assert_eq!(
            (x.fmt, x.kernel, x.body),
            (Fmt::Vmware, true, "Tasks state")
        );
        assert_eq!(x.stamp.uptime_s, Some(39291577.009363));
        assert_eq!(x.stamp.wall, ts("2023-12-04T10:49:30.127Z"));
        let x = split_prefix(
            "2023-12-04T10:49:30.127Z In(05) vmx - Killed process 1 (a)",
            &ctx,
        );
        assert!(!x.kernel, "the VMX's own lines are not kernel lines");
        let log = p("2023-12-04T10:49:30.127Z In(05) vcpu-5 - Guest: <3>[39291577.1] Memory cgroup out of memory: Killed process 19331 (npm start) total-vm:904104kB, anon-rss:118412kB, file-rss:0kB, shmem-rss:0kB, UID:1000 pgtables:1284kB oom_score_adj:999\n");
        assert_eq!(pids(&log), [(19331, "npm start".to_string())]);
        assert_eq!(log.oom_kills[0].uid, Some(1000));
        assert_eq!(log.format, "dmesg");
    }

    #[test]
    fn format_majority_and_mixed() {
        assert_eq!(
            p("[ 1.0] a\n[ 2.0] b\n[Sun Nov 29 03:19:59 2026] c\n[ 3.0] d\n[ 4.0] e\n").format,
            "dmesg"
        );
        assert_eq!(
            p("[ 1.0] a\n[ 2.0] b\n[Sun Nov 29 03:19:59 2026] c\n[Sun Nov 29 03:19:59 2026] d\n")
                .format,
            "mixed"
        );
        assert_eq!(p("no prefix at all\n").format, "dmesg");
    }

    // ---- OOM report lines ----------------------------------------------

    #[test]
    fn report_5x_full() {
        let text = format!(
            "[ 1.0] dd invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0\n\
             [ 1.1] oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=abc,mems_allowed=0-1,3,oom_memcg=/docker/abc,task_memcg=/docker/abc,task=dd,pid=18778,uid=0\n\
             [ 1.2] {KILLED}\n\
             [ 1.3] oom_reaper: reaped process 18778 (dd), now anon-rss:0kB, file-rss:0kB, shmem-rss:0kB\n"
        );
        let log = p(&text);
        assert_eq!(pids(&log), [(18778, "dd".to_string())]);
        let k = &log.oom_kills[0];
        assert_eq!(k.task_memcg.as_deref(), Some("/docker/abc"));
        assert_eq!(k.oom_memcg.as_deref(), Some("/docker/abc"));
        assert_eq!(k.cpuset.as_deref(), Some("abc"));
        assert_eq!(k.constraint.as_deref(), Some("CONSTRAINT_MEMCG"));
        assert!(!k.global);
        assert_eq!(
            (k.anon_rss_kib, k.total_vm_kib, k.uid),
            (Some(65024), Some(309468), Some(0))
        );
        assert_eq!(k.stamp.uptime_s, Some(1.2));
        let lines: Vec<_> = k.evidence.iter().map(|e| e.line.unwrap()).collect();
        assert_eq!(lines, [1, 2, 3, 4]);
    }

    #[test]
    fn summary_parsing_keeps_commas_in_values() {
        let s = parse_summary("oom-kill:constraint=CONSTRAINT_NONE,nodemask=0-1,3,cpuset=/,mems_allowed=0,2,global_oom,task_memcg=/system.slice/a.service,task=npm start,pid=7,uid=1000").unwrap();
        assert!(s.global);
        assert_eq!(s.oom_memcg, None);
        assert_eq!(s.cpuset.as_deref(), Some("/"));
        assert_eq!(s.task.as_deref(), Some("npm start"));
        assert_eq!((s.pid, s.uid), (Some(7), Some(1000)));
    }

    #[test]
    fn header_variants_and_cpuset_line_3_10_to_4_19() {
        for header in [
            "sed invoked oom-killer: gfp_mask=0x201da, order=0, oom_score_adj=0",
            "mem invoked oom-killer: gfp_mask=0x14200ca(GFP_HIGHUSER_MOVABLE), nodemask=(null),  order=0, oom_score_adj=0",
            "main invoked oom-killer: gfp_mask=0x6000c0(GFP_KERNEL), nodemask=(null), order=0, oom_score_adj=0",
        ] {
            let text = format!(
                "[ 5.0] {header}\n[ 5.0] main cpuset=34186d9b mems_allowed=0\n\
                 [ 5.1] Task in /docker/34186d9b killed as a result of limit of /docker\n\
                 [ 5.2] Memory cgroup out of memory: Kill process 11344 (main) score 904 or sacrifice child\n\
                 [ 5.3] Killed process 11344 (main) total-vm:390360kB, anon-rss:183712kB, file-rss:1016kB\n"
            );
            let log = p(&text);
            assert_eq!(pids(&log), [(11344, "main".to_string())], "{header}");
            let k = &log.oom_kills[0];
            assert_eq!(k.task_memcg.as_deref(), Some("/docker/34186d9b"));
            assert_eq!(k.oom_memcg.as_deref(), Some("/docker"));
            assert_eq!(k.cpuset.as_deref(), Some("34186d9b"));
            assert_eq!(k.uid, None);
            assert!(!k.global);
            let lines: Vec<_> = k.evidence.iter().map(|e| e.line.unwrap()).collect();
            assert_eq!(lines, [1, 3, 5]);
        }
    }

    #[test]
    fn kill_process_line_anchors_when_killed_line_is_missing() {
        let log = p("Out of memory: Kill process 6576 (mysqld) score 651 or sacrifice child\n");
        assert_eq!(pids(&log), [(6576, "mysqld".to_string())]);
        assert!(log.oom_kills[0].global);
        assert_eq!(log.oom_kills[0].evidence[0].line, Some(1));
        // sacrificed child: the Killed line names the real victim
        let log = p("Memory cgroup out of memory: Kill process 46211 (process) score 561 or sacrifice child\n\
                     Killed process 46433 (process) total-vm:536552kB, anon-rss:12012kB, file-rss:53740kB, shmem-rss:4kB\n\
                     oom_reaper: reaped process 46433 (chrome), now anon-rss:0kB, file-rss:0kB, shmem-rss:4kB\n");
        assert_eq!(pids(&log), [(46433, "process".to_string())]);
        assert_eq!(log.oom_kills[0].evidence.len(), 2);
    }

    #[test]
    fn duplicated_kill_process_line_does_not_make_a_second_kill() {
        let log = p(
            "Out of memory: Kill process 6576 (mysqld) score 651 or sacrifice child\n\
                     Out of memory: Kill process 6576 (mysqld) score 651 or sacrifice child\n\
                     Killed process 6576 (mysqld) total-vm:3kB, anon-rss:2kB, file-rss:0kB\n",
        );
        assert_eq!(pids(&log), [(6576, "mysqld".to_string())]);
        assert_eq!(log.oom_kills[0].anon_rss_kib, Some(2));
        assert!(log.oom_kills[0].global);
    }

    #[test]
    fn killed_line_variants() {
        type Case = (&'static str, u32, &'static str, Option<u32>, Option<bool>);
        let cases: &[Case] = &[
            ("Killed process 18177 (palo_be), UID 0, total-vm:70347780kB, anon-rss:45563572kB, file-rss:0kB, shmem-rss:0kB", 18177, "palo_be", Some(0), None),
            ("Out of memory: Killed process 29649 (uvicorn) total-vm:1kB, anon-rss:2kB, file-rss:3kB, shmem-rss:4kB, UID:0 pgtables:5kB oom_score_adj:0", 29649, "uvicorn", Some(0), Some(true)),
            ("Memory cgroup out of memory: Killed process 15617 (python3) total-vm:11892kB, anon-rss:4292kB, file-rss:3428kB, shmem-rss:0kB", 15617, "python3", None, Some(false)),
            ("Killed process 28438 (java) total-vm:20255636kB, anon-rss:466160kB, file-rss:13684kB", 28438, "java", None, None),
            ("Killed process 7 (npm start) total-vm:1kB, anon-rss:2kB, file-rss:3kB", 7, "npm start", None, None),
            ("Killed process 8 (we (ird)) total-vm:1kB, anon-rss:2kB, file-rss:3kB", 8, "we (ird)", None, None),
            ("Out of memory (oom_kill_allocating_task): Killed process 9 (x) total-vm:1kB, anon-rss:2kB, file-rss:3kB", 9, "x", None, Some(true)),
        ];
        for (line, pid, comm, uid, global) in cases {
            let k = parse_killed(line).unwrap_or_else(|| panic!("{line}"));
            assert_eq!(
                (k.pid, k.comm, k.uid, k.global),
                (*pid, *comm, *uid, *global),
                "{line}"
            );
            assert!(k.anon_rss.is_some(), "{line}");
        }
        assert!(parse_killed("oom_kill_process+0xfc/0x210").is_none());
        assert!(parse_killed("systemd: Killed process 5 (x) total-vm:1kB").is_none());
    }

    #[test]
    fn oom_group_line_is_evidence_and_duplicate_kill_is_dropped() {
        let text = format!(
            "[ 2.0] {KILLED}\n[ 2.1] Tasks in /kubepods.slice/x.scope are going to be killed due to memory.oom.group set\n[ 2.2] {KILLED}\n"
        );
        let log = p(&text);
        assert_eq!(log.oom_kills.len(), 1);
        assert_eq!(log.oom_kills[0].evidence.len(), 2);
    }

    #[test]
    fn task_in_is_not_reused_by_a_ratelimited_later_kill() {
        let log = p(
            "[ 1.0] Task in /docker/a killed as a result of limit of /docker/a\n\
                     [ 1.1] Killed process 1 (a) total-vm:1kB, anon-rss:1kB, file-rss:1kB\n\
                     [ 9.1] Killed process 2 (b) total-vm:1kB, anon-rss:1kB, file-rss:1kB\n",
        );
        assert_eq!(log.oom_kills[0].task_memcg.as_deref(), Some("/docker/a"));
        assert_eq!(log.oom_kills[1].task_memcg, None);
    }

    #[test]
    fn summary_without_killed_line_is_a_kill() {
        let log = p("[4650180.470877] oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=aegis,mems_allowed=0,global_oom,task_memcg=/system.slice/docker-0074.scope,task=java,pid=7134,uid=1000\n");
        assert_eq!(pids(&log), [(7134, "java".to_string())]);
        assert!(log.oom_kills[0].global);
        assert_eq!(log.oom_kills[0].uid, Some(1000));
    }

    // ---- paste damage ---------------------------------------------------

    #[test]
    fn wrapped_summary_and_killed_lines_are_joined() {
        let log = p("[180042.118480] oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=ef80,mems_allowed=0,oom_memcg=/kubepods/burstable/podfbdfe8e3-1c87-4ff2-907\n\
                     c-b2ec8e25d012,task_memcg=/kubepods/burstable/podfbdfe8e3-1c87-4ff2-907c-b2ec8e25d012/ef80,task=manager,pid=966,uid=0\n\
                     [180042.118490] Memory cgroup out of memory: Killed process 966 (manager) total-vm:1000kB, anon-rss:5\n\
                     00kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:1kB oom_score_adj:999\n");
        assert_eq!(pids(&log), [(966, "manager".to_string())]);
        let k = &log.oom_kills[0];
        assert_eq!(
            k.task_memcg.as_deref(),
            Some("/kubepods/burstable/podfbdfe8e3-1c87-4ff2-907c-b2ec8e25d012/ef80")
        );
        assert_eq!(k.anon_rss_kib, Some(500));
        assert_eq!(k.uid, Some(0));
        let lines: Vec<_> = k.evidence.iter().map(|e| e.line.unwrap()).collect();
        assert_eq!(lines, [1, 3]);
        assert!(k.evidence[1].excerpt.ends_with("oom_score_adj:999"));
    }

    #[test]
    fn unprefixed_continuation_of_another_program_is_not_kernel() {
        let log = p("Dec 11 10:48:08 h dockerd: time=\"x\" msg=\"Killed process 5 (x) total-vm:1kB, anon-rss:1kB, file-rss:1kB\" addr=/a/b\n\
                     c169/shim.sock\" debug=false Killed process 6 (y) total-vm:1kB, anon-rss:1kB, file-rss:1kB\n\
                     Dec 11 10:48:09 h kernel: thrash invoked oom-killer: gfp_mask=0xd0, order=0, oom_score_adj=0\n");
        assert!(log.oom_kills.is_empty());
        assert_eq!(log.format, "syslog");
    }

    #[test]
    fn duplicated_lines_and_pager_junk() {
        let junk = " ".repeat(120) + "[7/972]";
        let text = format!(
            "[14808.063890] main invoked oom-killer: gfp_mask=0x24000c0, order=0, oom_score_adj=0{junk}\n\
             [14808.063986] Task in /docker/34 killed as a result of limit of /docker/34\n\
             [14808.063986] Task in /docker/34 killed as a result of limit of /docker/34\n\
             [14808.083306] Killed process 11344 (main) total-vm:390360kB, anon-rss:183712kB, file-rss:1016kB\n\
             [14808.083306] Killed process 11344 (main) total-vm:390360kB, anon-rss:183712kB, file-rss:1016kB\n\
             [14808.1] crash[19247]: segfault at 0 ip 0000000000401687 sp 00007ffe8991a5d0 error 6 in crash[401000+78000]\n\
             [14808.1] crash[19247]: segfault at 0 ip 0000000000401687 sp 00007ffe8991a5d0 error 6 in crash[401000+78000]\n"
        );
        let log = p(&text);
        assert_eq!(pids(&log), [(11344, "main".to_string())]);
        assert_eq!(log.segfaults.len(), 1);
        let h = &log.oom_kills[0].evidence[0];
        assert_eq!(
            h.excerpt,
            "[14808.063890] main invoked oom-killer: gfp_mask=0x24000c0, order=0, oom_score_adj=0"
        );
        assert_eq!(strip_pager_junk("a [1/2]"), "a");
        assert_eq!(strip_pager_junk("[1/2]"), "[1/2]");
    }

    #[test]
    fn crlf_line_endings() {
        let log = p("[ 1.0] crash[5]: segfault at 0 ip 1 sp 2 error 4 in crash[400000+1000]\r\n");
        assert_eq!(
            log.segfaults[0].evidence.excerpt,
            "[ 1.0] crash[5]: segfault at 0 ip 1 sp 2 error 4 in crash[400000+1000]"
        );
        assert_eq!(log.lines, 1);
    }

    // ---- segfaults ------------------------------------------------------

    #[test]
    fn segfault_variants() {
        let log = p("[ 1872.136075] crash[19247]: segfault at 0 ip 0000000000401687 sp 00007ffe8991a5d0 error 6 in crash[1687,401000+78000] likely on CPU 1 (core 1, socket 0)\n\
                     [ 1873.0] npm start[31]: segfault at 8 ip 00007f sp 00007e error 4 in libc.so.6[7f+1000]\n\
                     [ 1874.0] w[eird][32]: segfault at 8 ip 00007f sp 00007e error 4\n\
                     [ 1875.0] traps: node[33] general protection fault ip:55 sp:7ff error:0 in node[400000+1000]\n\
                     [ 1876.0] traps: x[34] trap invalid opcode ip:1 sp:2 error:0 in x[1+2]\n");
        let got: Vec<_> = log
            .segfaults
            .iter()
            .map(|s| (s.pid, s.process.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (19247, "crash"),
                (31, "npm start"),
                (32, "w[eird]"),
                (33, "node")
            ]
        );
        assert_eq!(log.segfaults[0].stamp.uptime_s, Some(1872.136075));
        assert_eq!(log.segfaults[0].evidence.line, Some(1));
    }

    // ---- robustness -----------------------------------------------------

    #[test]
    fn garbage_and_invalid_utf8_do_not_panic() {
        let mut inputs: Vec<Vec<u8>> = vec![
            b"\xff\xfe\x00[ 1.0] \xc3\x28 Killed process 1 (\xe2\x82) total-vm:1kB\n".to_vec(),
            b"[99999999999999999999999999999999999.9] Killed process 99999999999 (x) total-vm:99999999999999999999999kB, anon-rss:1kB\n".to_vec(),
            b"Killed process 5 (x) total-vm:99999999999999999999999kB, anon-rss:1kB, file-rss:1kB\n".to_vec(),
            b"oom-kill:pid=99999999999,task=x,uid=-1\noom-kill:\noom-kill:,,,=,==\n".to_vec(),
            b"[Sun Nov 99 99:99:99 2026] x\n[Sun \xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac]\n".to_vec(),
            b"<\n<9999>\n[\n[ \n[ 1.\n2026-\n2026-11-29T\nNov\nNov 29\nNov 29 03:19:59\nNov 29 03:19:59 h\n]: segfault at \n[]: segfault at \ntraps: \n".to_vec(),
            vec![b'A'; 3_000_000],
        ];
        // every truncation of a realistic report
        let report = format!(
            "<6>[ 1.0] dd invoked oom-killer: gfp_mask=0xcc0, order=0, oom_score_adj=0\n\
             Nov 29 03:19:59 h kernel: [ 1.1] oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=a,mems_allowed=0,oom_memcg=/a,task_memcg=/a,task=dd,pid=1,uid=0\n\
             2026-11-29T03:19:59,1+00:00 {KILLED}\n[Di Aug 12 03:54:03 2025] x[1]: segfault at 0 ip 1\n\
             2023-12-04T10:49:30.127Z In(05) vcpu-5 - Guest: <6>[1.0] Task in /a killed as a result of limit of /b\n"
        );
        for i in 0..=report.len() {
            inputs.push(report.as_bytes()[..i].to_vec());
        }
        let mut seed: u64 = 0x9e3779b97f4a7c15;
        for _ in 0..200 {
            let mut v = report.as_bytes().to_vec();
            for _ in 0..8 {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let at = (seed >> 33) as usize % v.len();
                v[at] = (seed >> 13) as u8;
            }
            inputs.push(v);
        }
        for input in &inputs {
            let log = parse(
                "g",
                input,
                &KernelContext {
                    year_hint: Some(2026),
                },
            );
            let _ = looks_like_kernel_log(input);
            for k in &log.oom_kills {
                assert!(!k.evidence.is_empty());
            }
        }
        let log = parse("g", inputs[0].as_slice(), &KernelContext::default());
        assert!(log.diagnostics.iter().any(|d| d.message.contains("UTF-8")));
        let log = parse("g", inputs[1].as_slice(), &KernelContext::default());
        assert!(log.oom_kills.is_empty(), "pid beyond u32 is not a pid");
        let log = parse("g", inputs[2].as_slice(), &KernelContext::default());
        assert_eq!(log.oom_kills[0].total_vm_kib, None);
        assert_eq!(log.oom_kills[0].anon_rss_kib, Some(1));
    }

    #[test]
    fn looks_like() {
        assert!(looks_like_kernel_log(
            b"[ 1865.363612] docker0: port 1(veth793498f) entered blocking state\n"
        ));
        assert!(looks_like_kernel_log(
            b"[Sun Nov 29 03:19:52 2026] docker0: port 1\n"
        ));
        assert!(looks_like_kernel_log(
            b"2026-11-29T03:19:52,363612+00:00 docker0: port 1\n"
        ));
        assert!(looks_like_kernel_log(
            b"Nov 29 03:19:52 host kernel: docker0: port 1\n"
        ));
        assert!(looks_like_kernel_log(
            b"Out of memory: Kill process 6576 (mysqld) score 651 or sacrifice child\n"
        ));
        assert!(!looks_like_kernel_log(b"1894.93 3157.71\n"));
        assert!(!looks_like_kernel_log(b"{\"log\":\"[ 1.0] x\"}\n"));
        assert!(!looks_like_kernel_log(
            b"Nov 29 03:19:52 host dockerd[1]: a\nNov 29 03:19:52 host dockerd[1]: b\n"
        ));
        assert!(!looks_like_kernel_log(
            b"hello world\nthis is prose [1.0]\n"
        ));
        assert!(!looks_like_kernel_log(b"\x00\x01\x02\xff\xfe"));
        let messages =
            "Nov 29 03:19:52 host dockerd[1]: a\n".repeat(10) + "Nov 29 03:19:52 host kernel: x\n";
        assert!(looks_like_kernel_log(messages.as_bytes()));
        assert_eq!(p("").lines, 0);
        assert_eq!(p("a\nb").lines, 2);
        assert_eq!(p("a\nb\n").lines, 2);
    }
}
