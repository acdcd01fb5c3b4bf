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
