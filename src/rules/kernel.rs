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
            title: format!("kernel OOM kill of `{}` (pid {}) matches no container in the inputs", k.process, k.pid),
            explanation: format!(
                "The kernel OOM killer killed `{}` (pid {}) in cgroup `{cg}`{}. No container in the inputs has that cgroup or PID.",
                k.process,
                k.pid,
                if k.global { " during a host-wide (global) out-of-memory condition" } else { "" }
            ),
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
