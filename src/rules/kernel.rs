//! `unmatched-kernel-event`: OOM kills and segfaults the kernel logged that
//! match no container in the inputs.

use super::ev;
use super::{Finding, RuleId, Severity};
use crate::correlate::Analysis;

pub fn unmatched(a: &Analysis, out: &mut Vec<Finding>) {
    let hint = "Add the `docker inspect` output of every container on the host (`docker inspect $(docker ps -aq)`) to the bundle; if the process is not in a container, it is a host problem: check the host's memory and the process itself.";
    for o in a.oom_kills.iter().filter(|o| o.container.is_none()) {
        let k = &o.event;
        let cg = k
            .task_memcg
            .clone()
            .or(k.cpuset.clone())
            .unwrap_or_else(|| "unknown".into());
        out.push(Finding {
            rule: RuleId::UnmatchedKernelEvent,
            severity: Severity::Warning,
            container: None,
            image: None,
            title: if k.kill_line_missing {
                format!("kernel OOM report invoked by `{}` (kill line missing) matches no container in the inputs", k.process)
            } else {
                format!("kernel OOM kill of `{}` (pid {}) matches no container in the inputs", k.process, k.pid)
            },
            explanation: if k.kill_line_missing {
                format!(
                    "The kernel OOM killer ran, invoked by `{}`, in cgroup `{cg}`; the report stops before the line naming the process it killed (kill line missing). No container in the inputs has that cgroup.",
                    k.process
                )
            } else {
                format!(
                    "The kernel OOM killer killed `{}` (pid {}) in cgroup `{cg}`{}. No container in the inputs has that cgroup or PID.",
                    k.process,
                    k.pid,
                    if k.global { " during a host-wide (global) out-of-memory condition" } else { "" }
                )
            },
            suggestion: hint.into(),
            evidence: k.evidence.iter().map(ev).collect(),
            confidence: super::Confidence::Likely,
            caused_by: None,
        });
    }
    for s in a.segfaults.iter().filter(|s| s.container.is_none()) {
        let k = &s.event;
        out.push(Finding {
            rule: RuleId::UnmatchedKernelEvent,
            severity: Severity::Warning,
            container: None,
            image: None,
            title: format!("segfault of `{}` (pid {}) matches no container in the inputs", k.process, k.pid),
            explanation: format!(
                "The kernel logged a segmentation fault of `{}` (pid {}); no container in the inputs runs that process at that time.",
                k.process, k.pid
            ),
            suggestion: hint.into(),
            evidence: vec![ev(&k.evidence)],
            confidence: super::Confidence::Likely,
            caused_by: None,
        });
    }
}

/// OOM kills in the cgroup of a container known only from its logs or the
/// kernel's cgroup path (no inspect, state unknown): the kill is a fact,
/// whether the main process died is not (#11).
pub fn in_unknown_container(a: &Analysis, out: &mut Vec<Finding>) {
    for r in a.containers.iter().filter(|r| r.c.status == "unknown") {
        let kills: Vec<_> = r.oom_kills.iter().map(|&i| &a.oom_kills[i]).collect();
        let Some(k) = kills.first().map(|k| &k.event) else {
            continue;
        };
        let cg = k
            .task_memcg
            .clone()
            .or(k.oom_memcg.clone())
            .or(k.cpuset.clone())
            .unwrap_or_default();
        let what = if k.kill_line_missing {
            format!("The kernel OOM killer ran in the memory cgroup `{cg}` of container {}, invoked by `{}`; the report stops before the line naming the process it killed (kill line missing).", r.c.name, k.process)
        } else {
            format!("The kernel OOM killer killed `{}` (pid {}) in the memory cgroup `{cg}` of container {}.", k.process, k.pid, r.c.name)
        };
        out.push(super::finding(
            RuleId::OomChildKilled,
            Severity::Warning,
            r,
            format!("kernel OOM kill in container {}", r.c.name),
            format!("{what} No inspect output of the container is in the inputs (found by {}), so whether its main process died, and its memory limit, are unknown.", r.matched_by),
            "Add `docker inspect` of the container (its id is in the cgroup path) to see its exit code, OOMKilled flag and memory limit; raise the limit or find what uses the memory.".into(),
            kills.iter().flat_map(|k| k.event.evidence.iter().cloned()).collect(),
        ));
    }
}
