//! The grammar of the kernel messages coroner reads once a line's prefix is
//! gone: `Killed process`, `Kill process … or sacrifice child`, the
//! `oom-kill:` summary, `Task in … killed as a result of limit of …`, the
//! `cpuset=` line, `oom_reaper:` and segfault/trap lines, and where each one
//! ends (for joining hard-wrapped pastes). Every offset comes from
//! `split_once`, `strip_prefix` or `find`.

use super::prefix::strip_pager_junk;
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
pub(super) fn should_join(prev_body: &str, cont: &str) -> bool {
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

pub(super) fn leading_u32(s: &str) -> Option<(u32, &str)> {
    let s = s.trim_start();
    let end = s
        .bytes()
        .position(|c| !c.is_ascii_digit())
        .unwrap_or(s.len());
    if end == 0 {
        return None;
    }
    let (digits, rest) = s.split_at(end);
    Some((digits.parse().ok()?, rest))
}

fn num_after(s: &str, key: &str) -> Option<u64> {
    let (_, r) = s.split_once(key)?;
    let end = r
        .bytes()
        .position(|c| !c.is_ascii_digit())
        .unwrap_or(r.len());
    if end == 0 {
        return None;
    }
    r.split_at(end).0.parse().ok()
}

/// `(comm)` whose closing parenthesis is the one before the first of `ends`.
fn comm_before<'a>(s: &'a str, ends: &[&str]) -> Option<(&'a str, &'a str)> {
    let r = s.trim_start().strip_prefix('(')?;
    let pos = ends.iter().filter_map(|e| r.find(e)).min();
    let close = match pos {
        Some(p) => p,
        None => r.rfind(')').unwrap_or(r.len()),
    };
    let (comm, rest) = r.split_at(close);
    Some((comm, rest.strip_prefix(')').unwrap_or(rest)))
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

pub(super) struct Killed<'a> {
    pub(super) pid: u32,
    pub(super) comm: &'a str,
    pub(super) total_vm: Option<u64>,
    pub(super) anon_rss: Option<u64>,
    pub(super) uid: Option<u32>,
    pub(super) global: Option<bool>,
}

pub(super) fn parse_killed(body: &str) -> Option<Killed<'_>> {
    let (pre, rest) = body.split_once("Killed process ")?;
    let pre = pre.trim();
    if !oom_message_prefix(pre) {
        return None;
    }
    let (pid, rest) = leading_u32(rest)?;
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
pub(super) fn parse_kill_select(body: &str) -> Option<(u32, &str, Option<bool>)> {
    let (pre, rest) = body.split_once("Kill process ")?;
    let pre = pre.trim();
    if !oom_message_prefix(pre) {
        return None;
    }
    let (pid, rest) = leading_u32(rest)?;
    let (comm, _) = comm_before(rest, &[") score "])?;
    Some((pid, comm, global_from_prefix(pre)))
}

/// `crash[19247]: segfault at 0 ip ...`, and `traps: comm[pid] general
/// protection fault ...` / `traps: comm[pid] trap stack segment ...` (both
/// deliver SIGSEGV, so they count as segfaults).
pub(super) fn parse_segfault(body: &str) -> Option<(u32, &str)> {
    let head = match body.split_once("]: segfault at ") {
        Some((head, _)) => head,
        None => {
            let t = body.trim_start().strip_prefix("traps: ")?;
            let (head, _) = t
                .split_once("] general protection fault")
                .or_else(|| t.split_once("] trap stack segment"))?;
            head
        }
    };
    let (comm, pid) = head.rsplit_once('[')?;
    let pid: u32 = pid.parse().ok()?;
    let comm = comm.trim();
    let comm = comm.strip_prefix("traps: ").unwrap_or(comm);
    Some((pid, comm))
}

#[derive(Default)]
pub(super) struct Summary {
    pub(super) pid: Option<u32>,
    pub(super) task: Option<String>,
    pub(super) constraint: Option<String>,
    pub(super) cpuset: Option<String>,
    pub(super) oom_memcg: Option<String>,
    pub(super) task_memcg: Option<String>,
    pub(super) global: bool,
    pub(super) uid: Option<u32>,
}

/// `oom-kill:constraint=...,nodemask=...,cpuset=...,mems_allowed=...,
/// oom_memcg=...|global_oom,task_memcg=...,task=...,pid=...,uid=...`.
/// Values may themselves contain commas (`mems_allowed=0-1,3`): a piece that
/// does not start a known key continues the previous value.
pub(super) fn parse_summary(body: &str) -> Option<Summary> {
    let (_, rest) = body.split_once("oom-kill:")?;
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
        let keyed = piece
            .split_once('=')
            .and_then(|(k, v)| Some((KEYS.iter().position(|key| *key == k)?, v)));
        match keyed {
            Some((k, v)) => {
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

/// `oom_reaper: reaped process N (comm), …` / `oom_reaper: unable to reap pid:N`:
/// the pid.
pub(super) fn parse_reaper(body: &str) -> Option<u32> {
    let (_, r) = body.split_once("oom_reaper: ")?;
    let r = r
        .strip_prefix("reaped process ")
        .or_else(|| r.strip_prefix("unable to reap pid:"))?;
    leading_u32(r).map(|(pid, _)| pid)
}

/// `Task in /docker/x killed as a result of limit of /docker/x`: (task
/// memcg, OOM memcg), or `None` beside it when the line is not complete.
pub(super) fn parse_task_in(body: &str) -> Option<Option<(&str, &str)>> {
    let (_, r) = body.split_once("Task in ")?;
    Some(
        r.split_once(" killed as a result of limit of ")
            .map(|(task, oom)| (task.trim(), oom.trim())),
    )
}

/// `Tasks in /x are going to be killed due to memory.oom.group set`.
pub(super) fn is_oom_group(body: &str) -> bool {
    body.contains("Tasks in ") && body.contains(" are going to be killed due to memory.oom.group")
}

/// The cpuset of `dd cpuset=/docker/x mems_allowed=0` (3.10 to 4.19), never
/// of the `oom-kill:` summary, which names its cpuset itself.
pub(super) fn parse_cpuset(body: &str) -> Option<&str> {
    if body.contains("oom-kill:") {
        return None;
    }
    let (_, r) = body.split_once(" cpuset=")?;
    r.split_once(" mems_allowed=").map(|(cpuset, _)| cpuset)
}

/// A line that starts one of the [`super::KernelEvent`]s: its kind, task,
/// pid, seconds and device, as far as the line says.
pub(super) struct EventLine<'a> {
    pub(super) kind: super::KernelEventKind,
    pub(super) process: Option<&'a str>,
    pub(super) pid: Option<u32>,
    pub(super) seconds: Option<u64>,
    pub(super) device: Option<&'a str>,
}

/// `comm:pid` (the comm may hold `:` and spaces; the pid is after the last `:`).
fn comm_pid(s: &str) -> (Option<&str>, Option<u32>) {
    match s.rsplit_once(':') {
        Some((c, p)) if !c.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) && !p.is_empty() => {
            (Some(c), p.parse().ok())
        }
        _ => (None, None),
    }
}

/// `(device)` right after `prefix`: `EXT4-fs error (device sda1)`, `XFS (dm-0)`.
fn device_after<'a>(body: &'a str, prefix: &str) -> Option<&'a str> {
    let (_, r) = body.split_once(prefix)?;
    let r = r.trim_start().strip_prefix('(')?;
    let (inside, _) = r.split_once(')')?;
    Some(inside.strip_prefix("device ").unwrap_or(inside))
}

/// Recognises the first line of a hung task, a lockup, an Oops or a
/// filesystem error (node-problem-detector's `TaskHung`, `KernelOops`,
/// `Ext4Error`, `IOError`, `XfsHasShutdown`, `ReadonlyFilesystem` and the
/// watchdog's soft/hard lockup lines).
pub(super) fn parse_event(body: &str) -> Option<EventLine<'_>> {
    use super::KernelEventKind as K;
    let none = |kind| EventLine {
        kind,
        process: None,
        pid: None,
        seconds: None,
        device: None,
    };
    if let Some((pre, rest)) = body.split_once(" blocked for more than ") {
        let (_, task) = pre.rsplit_once("task ")?;
        let (process, pid) = comm_pid(task);
        let secs = leading_u32(rest).map(|(n, _)| n as u64);
        return Some(EventLine {
            kind: K::HungTask,
            process,
            pid,
            seconds: secs,
            device: None,
        });
    }
    if let Some((_, rest)) = body.split_once("soft lockup - CPU#") {
        let seconds = rest
            .split_once(" stuck for ")
            .and_then(|(_, r)| leading_u32(r))
            .map(|(n, _)| n as u64);
        let (process, pid) = match rest.rsplit_once('[').and_then(|(_, r)| r.split_once(']')) {
            Some((inside, _)) => comm_pid(inside),
            None => (None, None),
        };
        return Some(EventLine {
            kind: K::SoftLockup,
            process,
            pid,
            seconds,
            device: None,
        });
    }
    if body.contains("detected hard LOCKUP on cpu")
        || body.contains("Watchdog detected hard LOCKUP")
    {
        return Some(none(K::HardLockup));
    }
    if let Some((_, r)) = body.split_once("unregister_netdevice: waiting for ") {
        let device = r
            .split_once(" to become free")
            .map(|(d, _)| d)
            .filter(|d| !d.is_empty() && !d.contains(' '));
        return Some(EventLine {
            device,
            ..none(K::NetdevWait)
        });
    }
    if body.starts_with("BUG: unable to handle")
        || body.starts_with("kernel BUG at ")
        || body.starts_with("BUG: kernel NULL pointer dereference")
        || (body.starts_with("Oops: ") && body.contains("[#"))
        || (body.starts_with("divide error: ") && body.contains("[#"))
        || (body.starts_with("general protection fault") && body.contains("[#"))
        || (body.starts_with("invalid opcode: ") && body.contains("[#"))
    {
        return Some(none(K::Oops));
    }
    if body.contains("Remounting filesystem read-only") {
        let device = device_after(body, "EXT4-fs")
            .or_else(|| device_after(body, "EXT3-fs"))
            .or_else(|| device_after(body, "EXT2-fs"));
        return Some(EventLine {
            device,
            ..none(K::ReadOnly)
        });
    }
    if body.starts_with("XFS ") && body.contains("Shutting down filesystem") {
        return Some(EventLine {
            device: device_after(body, "XFS"),
            ..none(K::ReadOnly)
        });
    }
    if body.starts_with("XFS ") && body.contains("Corruption") {
        return Some(EventLine {
            device: device_after(body, "XFS"),
            ..none(K::FsError)
        });
    }
    for fs in [
        "EXT4-fs error",
        "EXT3-fs error",
        "EXT2-fs error",
        "BTRFS error",
        "BTRFS critical",
    ] {
        if body.starts_with(fs) {
            return Some(EventLine {
                device: device_after(body, fs),
                ..none(K::FsError)
            });
        }
    }
    if let Some((_, r)) = body.split_once("Buffer I/O error on dev") {
        let device = r
            .trim_start()
            .split([',', ' '])
            .next()
            .filter(|d| !d.is_empty());
        return Some(EventLine {
            device,
            ..none(K::FsError)
        });
    }
    None
}

/// `CPU: 1 PID: 1853 Comm: docker Tainted: …` (the task line of an Oops or
/// of an OOM report): the pid and comm.
pub(super) fn parse_cpu_pid_comm(body: &str) -> Option<(u32, &str)> {
    let r = body.strip_prefix("CPU: ")?;
    let (_, r) = r.split_once(" PID: ")?;
    let (pid, r) = leading_u32(r)?;
    let r = r.trim_start().strip_prefix("Comm: ")?;
    let end = [" Not tainted", " Tainted:", " "]
        .iter()
        .filter_map(|e| r.find(e))
        .min()
        .unwrap_or(r.len());
    Some((pid, &r[..end]))
}

/// `Memory cgroup stats for /docker/<id>:` (cgroup v1 OOM reports): the path.
pub(super) fn parse_memcg_stats(body: &str) -> Option<&str> {
    let (_, r) = body.split_once("Memory cgroup stats for ")?;
    let r = r.trim_end();
    let r = r.strip_suffix(':').unwrap_or(r);
    r.starts_with('/').then_some(r)
}

/// `comm invoked oom-killer: …`: the comm.
pub(super) fn parse_invoker(body: &str) -> Option<&str> {
    let (pre, _) = body.split_once(" invoked oom-killer:")?;
    let pre = pre.trim();
    // `[  123.4] comm invoked`: the comm is the last word (comms may hold spaces,
    // but the prefix is gone by now, so the whole rest is the comm).
    (!pre.is_empty()).then_some(pre)
}
