//! `kernel-hung-task` and `kernel-error`: kernel events other than OOM kills
//! and segfaults that explain a dead or stuck container (#11). Hung tasks
//! and lockups freeze processes (a container that stops answering, a
//! `docker stop` that times out); an Oops kills the task that hit it; a
//! filesystem error or a read-only remount makes every write fail.
//! node-problem-detector's kernel-monitor patterns are the reference.

use super::{Finding, RuleId, Severity};
use crate::correlate::Analysis;
use crate::ingest::kernel::KernelEventKind as K;

pub fn rules(a: &Analysis, out: &mut Vec<Finding>) {
    for e in &a.kernel_events {
        let k = &e.event;
        let container = e.container.map(|i| &a.containers[i]);
        let who = match (&k.process, k.pid) {
            (Some(p), Some(pid)) => format!("`{p}` (pid {pid})"),
            (Some(p), None) => format!("`{p}`"),
            _ => "a task".to_string(),
        };
        let repeats = if k.count > 1 {
            format!(" The kernel reported it {} times.", k.count)
        } else {
            String::new()
        };
        let in_container = match container {
            Some(r) => format!(" It is the main process of container {}.", r.c.name),
            None => String::new(),
        };
        let secs = k
            .seconds
            .map(|s| format!(" {s} seconds"))
            .unwrap_or_default();
        let dev = k
            .device
            .as_deref()
            .map(|d| format!(" on device {d}"))
            .unwrap_or_default();
        let (rule, title, explanation, suggestion) = match k.kind {
            K::HungTask => (
                RuleId::KernelHungTask,
                format!("kernel: task {who} blocked for more than{secs}"),
                format!(
                    "The kernel's hung-task detector saw {who} in uninterruptible sleep (state D) for more than{secs}: it waits on I/O or a kernel lock and cannot be killed until that returns. A container whose process is stuck like this stops answering and ignores `docker stop`.{in_container}{repeats}"
                ),
                "Look at what the task waits on (the call trace after the line): storage (a hung NFS or iSCSI mount, a failing disk), a filesystem driver, or the Docker storage driver; check `dmesg` for I/O errors around it.",
            ),
            K::SoftLockup | K::HardLockup => (
                RuleId::KernelHungTask,
                if k.kind == K::SoftLockup {
                    format!("kernel: soft lockup, CPU stuck for{secs} running {who}")
                } else {
                    "kernel: hard lockup detected".to_string()
                },
                format!(
                    "The kernel watchdog saw a CPU stuck in kernel code{} without scheduling{}: everything on that CPU, containers included, stalled meanwhile.{in_container}{repeats}",
                    if secs.is_empty() { String::new() } else { format!(" for{secs}") },
                    if k.process.is_some() { format!(", running {who}") } else { String::new() }
                ),
                "A lockup is a kernel or driver bug, or a hypervisor that stole the CPU: check the call trace, the kernel version and the host's CPU steal time.",
            ),
            K::Oops => (
                RuleId::KernelError,
                format!("kernel Oops{}", if k.process.is_some() { format!(" in {who}") } else { String::new() }),
                format!(
                    "The kernel hit a bug (`{}`) and killed the task running at the time{}; kernel state may be damaged until the host reboots.{in_container}{repeats}",
                    k.message,
                    if k.process.is_some() { format!(", {who}") } else { String::new() }
                ),
                "Reboot the host when possible, and check the kernel version against known bugs for the module in the call trace.",
            ),
            K::FsError => (
                RuleId::KernelError,
                format!("kernel: filesystem error{dev}"),
                format!(
                    "The kernel logged a filesystem error{dev} (`{}`): reads or writes of containers on that filesystem may fail.{repeats}",
                    k.message
                ),
                "Check the disk (`smartctl`, the controller's log) and run a filesystem check (`fsck`/`xfs_repair`) when it is unmounted.",
            ),
            K::ReadOnly => (
                RuleId::KernelError,
                format!("kernel: filesystem{dev} remounted read-only or shut down"),
                format!(
                    "The kernel stopped writes to a filesystem{dev} after an error (`{}`): every container writing there (logs, volumes, the Docker data root) fails from then on.{repeats}",
                    k.message
                ),
                "Find the error before this line, repair the filesystem, and remount it read-write (or reboot) before restarting the containers.",
            ),
            K::NetdevWait => (
                RuleId::KernelHungTask,
                format!(
                    "kernel: network device {} never freed (unregister_netdevice)",
                    k.device.as_deref().unwrap_or("?")
                ),
                format!(
                    "The kernel waits for the last reference to a network device{dev} of a namespace being torn down (`{}`). Until it is released, creating and removing containers' network namespaces hangs: `docker run`, `docker stop` and `docker rm` stall.{repeats}",
                    k.message
                ),
                "A known kernel refcount leak (often with conntrack, IPv6 or a CNI plugin): upgrade the kernel; rebooting the host releases the device.",
            ),
        };
        out.push(Finding {
            rule,
            severity: Severity::Warning,
            container: container.map(|r| r.c.name.clone()),
            image: container.and_then(|r| (!r.c.image.is_empty()).then(|| r.c.image.clone())),
            title,
            explanation,
            suggestion: suggestion.into(),
            evidence: k.evidence.clone(),
            confidence: super::Confidence::Likely,
            caused_by: None,
        });
    }
}
