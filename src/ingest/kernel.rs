//! Kernel logs as people collect them (raw `dmesg`, `dmesg -T`, `--time-format
//! iso`, syslog `kern.log`/`messages`, journalctl short/short-precise/short-iso,
//! `<n>` level prefixes, paste damage) reduced to the two events coroner
//! correlates: OOM kills and segfaults.

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
    /// "dmesg", "dmesg-T", "dmesg-iso", "syslog", "journalctl", ...
    pub format: &'static str,
    pub lines: u64,
    pub oom_kills: Vec<OomKill>,
    pub segfaults: Vec<Segfault>,
    pub diagnostics: Vec<Diagnostic>,
}

/// True when the text looks like kernel log output of any supported shape.
pub fn looks_like_kernel_log(_head: &[u8]) -> bool {
    false
}

pub fn parse(path: &str, _text: &[u8], _ctx: &KernelContext) -> KernelLog {
    KernelLog {
        path: path.to_string(),
        format: "dmesg",
        ..Default::default()
    }
}
