//! Kernel logs as people collect them (raw `dmesg`, `dmesg -T`, `--time-format
//! iso`, syslog `kern.log`/`messages`, journalctl short/short-precise/short-iso,
//! `<n>` level prefixes, paste damage) reduced to the two events coroner
//! correlates: OOM kills and segfaults.
//!
//! How a file is read:
//! - Lines are split on `\n` (a trailing `\r` dropped), invalid UTF-8 decoded
//!   lossily (with a warning diagnostic). Each line's prefix is decoded into a
//!   [`KernelStamp`]: raw dmesg uptime, `dmesg -T` (day name ignored, English
//!   or German month, local time of an unknown zone: `zoned` false, aligned
//!   later on Docker's records), `dmesg --time-format iso`, BSD syslog (local
//!   time; year from [`KernelContext::year_hint`], or with
//!   [`parse_with_year_anchor`] from an anchor instant with a Dec→Jan
//!   rollover, else the newest dated line of the file, else no wall time and
//!   a diagnostic), ISO/RFC 5424 syslog, journalctl short, short-precise,
//!   short-iso and short-monotonic, vmware.log `Guest:` wrappers, `<n>` levels,
//!   `[ T123]` caller ids, raw `/dev/kmsg` records (`PRI,SEQ,USEC,FLAGS;msg`).
//!   Syslog lines of other programs are skipped for events.
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
//!
//! Layout: `prefix` is the line grammar (stamps, levels, wrappers, pager
//! junk), `message` the grammar of the event lines themselves (kill,
//! selection, summary, segfault, and where each one ends), `oom` the state
//! machine that assembles OOM reports from those lines and dedupes kills and
//! segfaults, and `read` the driver (detection, lines, paste joins, format
//! and diagnostics). The grammar modules only split text: every offset they
//! use comes from `split_once`, `strip_prefix` or `find`.

use crate::model::{Diagnostic, Evidence};
use crate::time::Timestamp;

mod message;
mod oom;
mod prefix;
mod read;
#[cfg(test)]
mod tests;

pub use read::{looks_like_kernel_log, parse, parse_with_year_anchor, YearAnchor};

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
    /// Wall-clock time printed on the line (`-T`, iso, syslog, journalctl),
    /// its civil fields read as UTC unless `zoned`.
    pub wall: Option<Timestamp>,
    /// The printed stamp carries its zone (`+00:00`, `-0500`, `Z`), so
    /// `wall` is a true instant; otherwise it is local time in an unknown
    /// zone (`dmesg -T`, BSD syslog, journalctl short) and must be aligned
    /// before it is shown as UTC.
    pub zoned: bool,
    /// The printed stamp has whole seconds only (`dmesg -T`, BSD syslog).
    pub coarse: bool,
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
    /// The report stops before any line naming the victim (no `Killed
    /// process`, no `Kill process`, no `oom-kill:` summary): `pid` and
    /// `process` are the task that invoked the OOM killer, and the cgroup
    /// comes from `Memory cgroup stats for …` (#11).
    pub kill_line_missing: bool,
}

/// What kind of [`KernelEvent`] a line reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum KernelEventKind {
    /// `INFO: task comm:pid blocked for more than N seconds.`
    HungTask,
    /// `watchdog: BUG: soft lockup - CPU#N stuck for Ns! [comm:pid]`
    SoftLockup,
    /// `Watchdog detected hard LOCKUP on cpu N`
    HardLockup,
    /// `BUG: unable to handle …`, `kernel BUG at …`, `Oops: …`,
    /// `divide error: 0000 [#1]`, `general protection fault: … [#1]`
    Oops,
    /// `EXT4-fs error`, `XFS … Corruption`, `BTRFS error`, `Buffer I/O error`
    FsError,
    /// `Remounting filesystem read-only`, XFS `Shutting down filesystem`
    ReadOnly,
    /// `unregister_netdevice: waiting for lo to become free. Usage count = 1`:
    /// a network namespace that cannot be torn down (node-problem-detector's
    /// `UnregisterNetDevice`); `docker run`/`rm` hang on the host meanwhile.
    NetdevWait,
}

impl KernelEventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            KernelEventKind::HungTask => "hung-task",
            KernelEventKind::SoftLockup => "soft-lockup",
            KernelEventKind::HardLockup => "hard-lockup",
            KernelEventKind::Oops => "oops",
            KernelEventKind::FsError => "filesystem-error",
            KernelEventKind::ReadOnly => "read-only-remount",
            KernelEventKind::NetdevWait => "unregister-netdevice",
        }
    }
}

/// A kernel event other than an OOM kill or a segfault that can explain a
/// dead or stuck container (node-problem-detector's kernel-monitor patterns
/// are the reference). Repeats of one (kind, process, pid, device) are
/// counted on the first.
#[derive(Clone, Debug, PartialEq)]
pub struct KernelEvent {
    pub kind: KernelEventKind,
    /// The task named by the line (hung task, lockup, `Comm:` of an Oops).
    pub process: Option<String>,
    pub pid: Option<u32>,
    /// Seconds blocked or stuck, as printed.
    pub seconds: Option<u64>,
    /// The device of a filesystem event (`sda1`), when printed.
    pub device: Option<String>,
    /// The message without its prefix, e.g. `EXT4-fs error (device sda1): …`.
    pub message: String,
    pub count: u32,
    pub stamp: KernelStamp,
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
    /// Some syslog stamp carried no year.
    pub yearless: bool,
    /// Where the year of yearless stamps came from, when one was found
    /// ("the collection time", "a dated line later in the same file", …).
    pub year_from: Option<&'static str>,
    /// The zone of the file's unzoned syslog stamps, in seconds east of
    /// UTC, found from daemons' own zoned `time="…"` fields on the same
    /// lines; the events' stamps are then converted and marked `zoned`.
    pub zone_s: Option<i64>,
    /// Hung tasks, lockups, Oopses and filesystem errors, in file order.
    pub events: Vec<KernelEvent>,
}
