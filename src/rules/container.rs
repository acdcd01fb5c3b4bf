//! Lifecycle rules: how the main process died (OOM, SIGKILL after the stop
//! timeout, SIGTERM, segfault, abort, missing command), restart loops,
//! one-shot commands and health checks.

use super::{finding, RuleOptions};
use super::{Confidence, Finding, RuleId, Severity};
use crate::correlate::{Analysis, ContainerRecord};
use crate::format::human_bytes;
use crate::ingest::json_log::SignatureKind;
use crate::model::Evidence;

fn exited(r: &ContainerRecord) -> bool {
    matches!(r.c.status.as_str(), "exited" | "dead" | "restarting")
        || (r.c.status == "created" && r.c.exit_code != 0)
}

fn inspect_ev(r: &ContainerRecord) -> Vec<Evidence> {
    let c = &r.c;
    let mut v = vec![c.evidence(c.lines.exit_code, format!("\"ExitCode\": {}", c.exit_code))];
    if c.oom_killed {
        v.push(c.evidence(c.lines.oom_killed, "\"OOMKilled\": true"));
    }
    v
}

fn last_lines(r: &ContainerRecord, n: usize) -> Vec<Evidence> {
    r.logs
        .as_ref()
        .map(|l| {
            l.tail
                .iter()
                .rev()
                .take(n)
                .rev()
                .map(|x| x.evidence.clone())
                .collect()
        })
        .unwrap_or_default()
}

fn kernel_oom_ev(a: &Analysis, r: &ContainerRecord) -> Vec<Evidence> {
    r.oom_kills
        .iter()
        .flat_map(|&i| a.oom_kills[i].event.evidence.iter().cloned())
        .collect()
}

/// Docker events of the given actions (`oom`, `health_status`, …), at most three.
fn events_ev(r: &ContainerRecord, actions: &[&str]) -> Vec<Evidence> {
    r.events
        .iter()
        .filter(|e| {
            actions
                .iter()
                .any(|a| e.action == *a || e.action.starts_with(&format!("{a}:")))
        })
        .take(3)
        .map(|e| e.evidence.clone())
        .collect()
}

/// The records that back a finding, as a confidence and the sentence that
/// names them: two or more independent records confirm it.
fn backed_by(records: &[&str]) -> (Confidence, String) {
    let c = Confidence::of_records(records.len());
    let words = match records {
        [] => String::new(),
        [one] => format!(" Backed by one record, {one}; nothing contradicts it."),
        many => format!(" Backed by {}, which agree.", join_and(many)),
    };
    (c, words)
}

fn join_and(v: &[&str]) -> String {
    match v {
        [] => String::new(),
        [one] => one.to_string(),
        _ => format!("{} and {}", v[..v.len() - 1].join(", "), v[v.len() - 1]),
    }
}

fn has_event(r: &ContainerRecord, action: &str) -> bool {
    r.events.iter().any(|e| e.action == action)
}

/// `State.Error` as cited evidence; every rule that cites it uses this line.
fn error_ev(r: &ContainerRecord) -> Evidence {
    r.c.evidence(r.c.lines.error, format!("\"Error\": {:?}", r.c.error))
}

/// What kind of runtime error `State.Error` holds, from the words containerd,
/// its shim, runc and dockerd write there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RuntimeFault {
    /// dockerd lost its connection to containerd or the shim (grpc's
    /// `transport is closing`, ttrpc's `ttrpc: closed`, `shim disconnected`).
    ShimLost,
    /// The runtime could not create or start the container's process
    /// (`OCI runtime create failed`, `failed to create shim task`, …).
    CreateFailed,
    /// A `docker exec` failed in the runtime (`OCI runtime exec failed`).
    ExecFailed,
    /// Docker acted on a container whose process was already gone.
    NotRunning,
    /// Networking could not be set up for it (`driver failed programming
    /// external connectivity`, …).
    Network,
    /// Anything else Docker wrote there.
    Other,
}

fn runtime_fault(error: &str) -> Option<RuntimeFault> {
    let e = error.to_ascii_lowercase();
    if e.trim().is_empty() {
        return None;
    }
    let any = |words: &[&str]| words.iter().any(|w| e.contains(w));
    Some(
        if any(&[
            "transport is closing",
            "ttrpc: closed",
            "shim disconnected",
            "error reading from server: eof",
            "containerd.sock: connect",
            "connection error: desc",
        ]) {
            RuntimeFault::ShimLost
        } else if any(&[
            "oci runtime exec failed",
            "exec failed: unable to start container process",
        ]) {
            RuntimeFault::ExecFailed
        } else if any(&[
            "oci runtime create failed",
            "oci runtime start failed",
            "failed to create shim",
            "failed to create task for container",
            "failed to start shim",
            "runc create failed",
            "starting container process caused",
            "error while creating mount source path",
            "error mounting",
            "unable to start container process",
        ]) {
            RuntimeFault::CreateFailed
        } else if any(&[
            "driver failed programming external connectivity",
            "failed to set up container networking",
            "failed to create endpoint",
        ]) {
            RuntimeFault::Network
        } else if e.contains("is not running") {
            RuntimeFault::NotRunning
        } else {
            RuntimeFault::Other
        },
    )
}

fn limit_words(r: &ContainerRecord) -> String {
    if r.c.memory_limit > 0 {
        format!(
            "its memory limit of {}",
            human_bytes(r.c.memory_limit as u64)
        )
    } else {
        "the host's memory (no --memory limit is set)".to_string()
    }
}

pub fn rules(a: &Analysis, r: &ContainerRecord, opts: &RuleOptions, out: &mut Vec<Finding>) {
    let c = &r.c;
    let kills: Vec<_> = r.oom_kills.iter().map(|&i| &a.oom_kills[i]).collect();
    let kill_words = |k: &crate::correlate::Attributed<crate::ingest::kernel::OomKill>| {
        let mut s = format!("`{}` (pid {})", k.event.process, k.event.pid);
        if let Some(rss) = k.event.anon_rss_kib {
            s.push_str(&format!(
                " with {} anonymous memory",
                human_bytes(rss * 1024)
            ));
        }
        s
    };
    let ended = exited(r);

    // OOM: the main process, or a child.
    if ended && c.exit_code == 137 && (c.oom_killed || !kills.is_empty()) {
        let mut ev = inspect_ev(r);
        ev.push(c.evidence(c.lines.memory, format!("\"Memory\": {}", c.memory_limit)));
        ev.extend(kernel_oom_ev(a, r));
        ev.extend(events_ev(r, &["oom"]));
        ev.extend(last_lines(r, 2));
        let victim = kills
            .first()
            .map(|k| kill_words(k))
            .unwrap_or_else(|| "its main process".into());
        let kernel = if kills.is_empty() {
            " No kernel log in the bundle shows the kill itself; add `dmesg` output to see what was using the memory.".to_string()
        } else {
            format!(
                " The kernel log confirms it: the OOM killer chose {victim} in the container's memory cgroup `{}`.",
                kills[0].event.task_memcg.clone().or(kills[0].event.oom_memcg.clone()).unwrap_or_default()
            )
        };
        let mut records = Vec::new();
        if c.oom_killed {
            records.push("inspect's OOMKilled");
        }
        if !kills.is_empty() {
            records.push("the kernel's OOM kill");
        }
        if has_event(r, "oom") {
            records.push("Docker's `oom` event");
        }
        let (confidence, basis) = backed_by(&records);
        out.push(finding(
            RuleId::OomKilled,
            Severity::Critical,
            r,
            format!("{} was killed by the kernel OOM killer (exit 137)", c.name),
            format!(
                "Exit code 137 is 128 + 9: the main process received SIGKILL. Docker recorded OOMKilled={}, so the kill came from the out-of-memory killer when the container reached {}.{}{basis}",
                c.oom_killed,
                limit_words(r),
                kernel
            ),
            "Raise the memory limit (`docker run --memory`, or `resources.limits.memory` in Kubernetes) if the workload really needs more; otherwise find the leak or the oversized buffer (`docker stats`, a heap profile) before raising it.".into(),
            ev,
        ).confidence(confidence));
    } else if (c.oom_killed || !kills.is_empty()) && c.status != "unknown" {
        // (A record no inspect describes, status unknown: `kernel::in_unknown_container`.)
        let mut ev = Vec::new();
        if c.oom_killed {
            ev.push(c.evidence(c.lines.oom_killed, "\"OOMKilled\": true"));
        }
        ev.push(c.evidence(c.lines.exit_code, format!("\"ExitCode\": {}", c.exit_code)));
        ev.extend(kernel_oom_ev(a, r));
        ev.extend(events_ev(r, &["oom"]));
        ev.extend(last_lines(r, 2));
        let who = if kills.is_empty() {
            "a process".to_string()
        } else {
            kills
                .iter()
                .map(|k| kill_words(k))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let why = if c.status == "running" {
            format!(
                "{} is still running, yet the kernel OOM killer killed {who} inside its memory cgroup. Docker sets OOMKilled only when a container exits, so only the kernel log shows this kill.",
                c.name
            )
        } else {
            format!(
                "The OOM killer killed {who} inside {}'s memory cgroup, but PID 1 survived and exited {} ({}). The work that child was doing was lost silently.",
                c.name,
                c.exit_code,
                crate::format::exit_meaning(c.exit_code)
            )
        };
        let mut records = Vec::new();
        if c.oom_killed {
            records.push("inspect's OOMKilled");
        }
        if !kills.is_empty() {
            records.push("the kernel's OOM kill");
        }
        if has_event(r, "oom") {
            records.push("Docker's `oom` event");
        }
        let (confidence, basis) = backed_by(&records);
        out.push(finding(
            RuleId::OomChildKilled,
            Severity::Warning,
            r,
            format!("a process inside {} was OOM-killed; PID 1 survived", c.name),
            format!("{why} The container was at {}.{basis}", limit_words(r)),
            "Raise the memory limit or cap the child's memory use; make the parent treat a child killed by signal 9 (status 137) as a failure instead of carrying on.".into(),
            ev,
        ).confidence(confidence));
    } else if ended && c.exit_code == 137 {
        let mut ev = inspect_ev(r);
        ev.extend(
            r.events
                .iter()
                .filter(|e| e.action == "kill" || e.action == "die" || e.action == "stop")
                .map(|e| e.evidence.clone()),
        );
        // The application's own word that SIGTERM reached it: `got SIGTERM`,
        // `received signal terminated`, a shutdown message.
        let term_lines: Vec<Evidence> = r
            .logs
            .as_ref()
            .map(|l| {
                l.tail
                    .iter()
                    .filter(|x| {
                        x.evidence.excerpt.to_ascii_uppercase().contains("SIGTERM")
                            || x.evidence.excerpt.to_ascii_lowercase().contains("terminat")
                    })
                    .take(3)
                    .map(|x| x.evidence.clone())
                    .collect()
            })
            .unwrap_or_default();
        let logged_term = term_lines.first().map(|e| e.excerpt.clone());
        ev.extend(term_lines);
        let kill_signals: Vec<i64> = r
            .events
            .iter()
            .filter(|e| e.action == "kill")
            .filter_map(|e| e.signal)
            .collect();
        let sigterm_first = kill_signals.contains(&15);
        let stopped = sigterm_first || has_event(r, "stop");
        let killed = kill_signals.contains(&9);
        // State.Error itself is cited by `runtime-error`, this finding's primary.
        let fault = runtime_fault(&c.error);
        let (title, explanation, suggestion, confidence) = if let Some(RuntimeFault::ShimLost) =
            fault
        {
            (
                format!("{} ended with exit 137 when Docker lost its runtime", c.name),
                format!(
                    "Exit code 137 is 128 + 9 (SIGKILL) and OOMKilled is false, but State.Error says `{}`: dockerd lost its connection to containerd or the container's shim, so the process was killed with the shim or its real exit status was lost. This is a runtime failure, not the application's own exit nor a slow shutdown. Only inspect records it; containerd's log would confirm it.",
                    crate::format::clip(c.error.trim(), 200)
                ),
                "Read containerd's and dockerd's logs around FinishedAt (`journalctl -u containerd -u docker`) for a crash, restart or upgrade of containerd or the shim, and `dmesg` for an OOM kill of them; the application is not at fault unless those logs say so.".to_string(),
                Confidence::Possible,
            )
        } else if stopped {
            (
                format!("{} was killed with SIGKILL after the stop timeout (exit 137)", c.name),
                format!(
                    "Exit code 137 is 128 + 9 (SIGKILL) and OOMKilled is false, and no kernel OOM kill matches this container. {}The process did not exit on SIGTERM within the stop timeout, so Docker escalated to SIGKILL. Backed by inspect's exit code and Docker's events, which agree.",
                    if sigterm_first { "Docker events show SIGTERM (15) was sent first, then SIGKILL (9). " } else { "Docker events show a `stop`. " }
                ),
                "Handle SIGTERM in the application and exit promptly; use the exec form of CMD/ENTRYPOINT (or `--init`/tini) so PID 1 receives the signal; if shutdown legitimately takes longer, raise the timeout (`docker stop -t`, `--stop-timeout`).".to_string(),
                Confidence::Confirmed,
            )
        } else if killed {
            (
                format!("{} was killed with `docker kill` (SIGKILL, exit 137)", c.name),
                "Exit code 137 is 128 + 9 (SIGKILL) and OOMKilled is false, and no kernel OOM kill matches this container. Docker events show SIGKILL (9) sent without a SIGTERM before it: someone or something ran `docker kill`, not `docker stop`. Backed by inspect's exit code and Docker's events, which agree.".to_string(),
                "Find who sent the kill (an operator, a script, an orchestrator's health policy) in the daemon's or the orchestrator's log; prefer `docker stop`, which gives the process SIGTERM and time to shut down.".to_string(),
                Confidence::Confirmed,
            )
        } else if let Some(line) = logged_term.filter(|_| r.oom_kills.is_empty()) {
            (
                format!("{} did not exit on SIGTERM and was killed with SIGKILL (exit 137)", c.name),
                format!(
                    "Exit code 137 is 128 + 9 (SIGKILL) and OOMKilled is false, and no kernel OOM kill matches this container. Its log shows SIGTERM reached the process (`{}`), yet it was still running until SIGKILL: the pattern of `docker stop`, whose SIGTERM is followed by SIGKILL after the stop timeout (10 s unless `-t`/`--stop-timeout` says otherwise).{} Backed by inspect's exit code and the container's own log; {}.",
                    crate::format::clip(line.trim(), 160),
                    if c.entrypoint.iter().chain(&c.cmd).any(|w| {
                        w.contains("trap") && w.contains("TERM") && !w.contains("exit")
                    }) {
                        " Its command traps TERM without exiting."
                    } else {
                        ""
                    },
                    if r.events.is_empty() {
                        "the inputs hold no docker event for it, which would confirm the stop"
                    } else {
                        "the docker events in the inputs show no `kill` or `stop` for it"
                    }
                ),
                "Make the SIGTERM handler finish in-flight work and exit (a handler that only logs keeps the process alive until SIGKILL); use the exec form of CMD/ENTRYPOINT (or `--init`) so PID 1 receives the signal; if shutdown legitimately takes longer, raise the timeout (`docker stop -t`, `--stop-timeout`).".to_string(),
                Confidence::Likely,
            )
        } else {
            (
                format!("{} was killed with SIGKILL from outside (exit 137)", c.name),
                format!(
                    "Exit code 137 is 128 + 9 (SIGKILL) and OOMKilled is false. SIGKILL from outside: the docker stop timeout, docker kill, or an OOM kill that was not recorded. Collect `docker events` and the kernel log to tell which.{} Only the exit code records it, so who sent the signal is inferred.",
                    if r.events.is_empty() {
                        " The inputs hold no docker event for this container."
                    } else {
                        " The docker events in the inputs show no `kill` or `stop` for it."
                    }
                ),
                "Collect `docker events --since <before FinishedAt>` and the kernel log (`dmesg -T`, `journalctl -k`) for the time of FinishedAt. If it was `docker stop`, handle SIGTERM and exit promptly (exec form of CMD, or `--init`); if it was the OOM killer, raise the memory limit or find the leak.".to_string(),
                Confidence::Possible,
            )
        };
        out.push(
            finding(
                RuleId::StopTimeoutKill,
                Severity::Warning,
                r,
                title,
                explanation,
                suggestion,
                ev,
            )
            .confidence(confidence),
        );
    }

    if ended && c.exit_code == 143 {
        let mut ev = inspect_ev(r);
        ev.extend(last_lines(r, 2));
        out.push(finding(
            RuleId::SigtermExit,
            Severity::Info,
            r,
            format!("{} stopped on SIGTERM and exited 143", c.name),
            "Exit code 143 is 128 + 15: the process ended because of SIGTERM (usually `docker stop`). It was a graceful stop, but a process that handles SIGTERM should exit 0 after cleanup, so that orchestrators and restart policies do not treat the stop as a failure.".into(),
            "In the SIGTERM handler, finish in-flight work and exit 0.".into(),
            ev,
        ).confidence(if r.events.iter().any(|e| e.action == "kill" && e.signal == Some(15)) {
            Confidence::Confirmed
        } else {
            Confidence::Likely
        }));
    }

    let segs: Vec<_> = r.segfaults.iter().map(|&i| &a.segfaults[i]).collect();
    if (ended && c.exit_code == 139) || !segs.is_empty() {
        let mut ev = inspect_ev(r);
        ev.extend(segs.iter().map(|s| s.event.evidence.clone()));
        ev.extend(last_lines(r, 2));
        let k = if let Some(s) = segs.first() {
            format!(
                " The kernel log shows `{}` (pid {}) faulting: `{}`.",
                s.event.process,
                s.event.pid,
                s.event
                    .evidence
                    .excerpt
                    .split("segfault")
                    .nth(1)
                    .map(|x| format!("segfault{}", x))
                    .unwrap_or_default()
                    .trim()
            )
        } else {
            " No kernel `segfault at` line in the bundle matches it.".into()
        };
        let mut records = Vec::new();
        if ended && c.exit_code == 139 {
            records.push("inspect's exit code 139");
        }
        if !segs.is_empty() {
            records.push("the kernel's `segfault at` line");
        }
        let (seg_confidence, basis) = backed_by(&records);
        let k = k + &basis;
        out.push(finding(
            RuleId::Segfault,
            Severity::Critical,
            r,
            if ended && c.exit_code == 139 {
                format!("{} crashed with a segmentation fault (exit 139)", c.name)
            } else {
                let who: Vec<String> = segs.iter().map(|s| format!("`{}` (pid {})", s.event.process, s.event.pid)).collect();
                format!("{} segfaulted inside {} (container exit {})", who.join(", "), c.name, c.exit_code)
            },
            if ended && c.exit_code == 139 {
                format!("Exit code 139 is 128 + 11: the process was killed by SIGSEGV after an invalid memory access.{k}")
            } else {
                format!(
                    "A process in the container was killed by SIGSEGV after an invalid memory access; the container's main process went on and ended with exit code {} ({}).{k}",
                    c.exit_code,
                    crate::format::exit_meaning(c.exit_code)
                )
            },
            "Get a core dump or run the binary under a debugger with the same inputs; check for a native library or base-image mismatch (glibc vs musl, CPU architecture) and for stack overflows.".into(),
            ev,
        ).confidence(seg_confidence));
    }

    if ended && c.exit_code == 134 {
        let mut ev = inspect_ev(r);
        ev.extend(last_lines(r, 3));
        out.push(finding(
            RuleId::Abort,
            Severity::Critical,
            r,
            format!("{} aborted (SIGABRT, exit 134)", c.name),
            "Exit code 134 is 128 + 6: the process called abort(), usually after a failed assertion, a double free detected by the allocator, or an unhandled C++ exception.".into(),
            "Read the last stderr lines for the assertion or allocator message; reproduce with a core dump.".into(),
            ev,
        ));
    }

    let err_lower = c.error.to_ascii_lowercase();
    let not_found_error = err_lower.contains("executable file not found")
        || err_lower.contains("no such file or directory")
        || err_lower.contains("exec format error")
        || (err_lower.contains("permission denied") && err_lower.contains("exec"));
    if (ended || c.status == "created")
        && (c.exit_code == 126 || c.exit_code == 127 || not_found_error)
    {
        let mut ev = inspect_ev(r);
        if !c.error.is_empty() {
            ev.push(error_ev(r));
        }
        if let Some(s) = r
            .logs
            .as_ref()
            .and_then(|l| l.signature(SignatureKind::NotFound))
        {
            ev.push(s.first.evidence.clone());
        }
        let cmd = if !c.path.is_empty() {
            c.path.clone()
        } else {
            c.cmd.join(" ")
        };
        // Exit code and State.Error are one record (dockerd's state); the
        // log's own `not found` line is another.
        let mut records = vec!["inspect's exit code and State.Error"];
        if r.logs
            .as_ref()
            .and_then(|l| l.signature(SignatureKind::NotFound))
            .is_some()
        {
            records.push("the log's `not found` line");
        }
        let (confidence, basis) = backed_by(&records);
        out.push(finding(
            RuleId::CommandNotFound,
            Severity::Critical,
            r,
            format!("{} could not start its command `{}`", c.name, cmd),
            format!(
                "Exit code {} means {}. {}",
                c.exit_code,
                crate::format::exit_meaning(c.exit_code),
                if c.error.is_empty() {
                    "The runtime could not execute the container's command.".to_string()
                } else {
                    "The runtime's error says the executable does not exist or cannot be executed in the image.".to_string()
                }
            ) + &basis,
            "Check the path and spelling of CMD/ENTRYPOINT against the image (`docker run --rm --entrypoint sh IMAGE -c 'ls -l PATH'`); make scripts executable (`chmod +x`) with a valid shebang, and build for the host's architecture.".into(),
            ev,
        ).confidence(confidence));
    }

    if c.restart_count >= opts.crash_loop_restarts || c.status == "restarting" {
        let mut ev = vec![c.evidence(
            c.lines.restart_count,
            format!("\"RestartCount\": {}", c.restart_count),
        )];
        ev.extend(inspect_ev(r));
        let repeated = r.logs.as_ref().and_then(|l| l.templates.first());
        if let Some(t) = repeated {
            ev.push(t.example.evidence.clone());
        }
        ev.extend(
            r.logs
                .as_ref()
                .map(|l| l.last_stderr(2))
                .unwrap_or_default()
                .into_iter()
                .map(|l| l.evidence.clone()),
        );
        ev.extend(
            r.events
                .iter()
                .filter(|e| e.action == "die")
                .take(3)
                .map(|e| e.evidence.clone()),
        );
        let dies = r.events.iter().filter(|e| e.action == "die").count();
        let updates: Vec<_> = r.events.iter().filter(|e| e.action == "update").collect();
        ev.extend(updates.iter().take(2).map(|e| e.evidence.clone()));
        let policy = if c.restart_policy.is_empty() {
            "no".to_string()
        } else if c.restart_max > 0 {
            format!("{}:{}", c.restart_policy, c.restart_max)
        } else {
            c.restart_policy.clone()
        };
        let what = match repeated {
            Some(t) => format!(
                " Each run ends with the same error, {} time(s) in the logs: `{}`.",
                t.count, t.template
            ),
            None => String::new(),
        };
        // A policy of `no` restarts nothing: the policy in inspect is not the
        // one that did the restarting.
        let no_policy = c.restart_policy.is_empty() || c.restart_policy == "no";
        let inspected = super::from_inspect(r);
        let policy_words = if !inspected {
            " (its restart policy is not in the inputs: no inspect output of it; the restarts are counted from Docker's `start` events)".to_string()
        } else if !no_policy {
            format!(" (restart policy `{policy}`)")
        } else if let Some(u) = updates.last() {
            format!(
                ", yet its restart policy is `no` now: `docker update` changed the container{} after those restarts (Docker's `update` event). The event does not say which setting changed, but a policy of `no` restarts nothing, so the restarts ran under an earlier policy",
                u.time.map(|t| format!(" at {t}")).unwrap_or_default()
            )
        } else {
            ", yet its restart policy is `no` now, which restarts nothing: the policy was changed after the restarts (`docker update --restart`, which Docker's events would show as `update`) or something else restarted it".to_string()
        };
        // Without inspect, the count and the deaths are one source: events.
        let mut records = vec![if inspected {
            "inspect's RestartCount"
        } else {
            "Docker's `start` and `die` events"
        }];
        if dies >= 2 && inspected {
            records.push("Docker's repeated `die` events");
        }
        let (confidence, basis) = if inspected && no_policy && updates.is_empty() {
            (
                Confidence::Likely,
                " Backed by inspect's RestartCount alone; its restart policy does not explain it."
                    .to_string(),
            )
        } else {
            backed_by(&records)
        };
        out.push(finding(
            RuleId::CrashLoop,
            Severity::Critical,
            r,
            format!("{} is in a crash loop ({} restarts)", c.name, c.restart_count),
            format!(
                "Docker restarted the container {} times{policy_words}. It is {} with exit code {} ({}).{what} Restarting does not fix a failure that happens on every start.{basis}",
                c.restart_count,
                c.status,
                c.exit_code,
                crate::format::exit_meaning(c.exit_code)
            ),
            "Fix the error the container hits at start-up (see the evidence); until then, a restart policy only hides it. Look at the first run's logs, not only the last.".into(),
            ev,
        ).confidence(confidence));
    }

    if ended && c.exit_code == 0 && c.restart_count == 0 && !c.oom_killed && r.oom_kills.is_empty()
    {
        if let (Some(s), Some(f)) = (c.started_at, c.finished_at) {
            let secs = (f.0 - s.0).abs() / 1_000_000_000;
            if secs <= opts.immediate_exit_secs {
                let mut ev = vec![
                    c.evidence(c.lines.started_at, format!("\"StartedAt\": \"{s}\"")),
                    c.evidence(c.lines.finished_at, format!("\"FinishedAt\": \"{f}\"")),
                ];
                ev.extend(last_lines(r, 3));
                let cmd = if c.args.is_empty() {
                    c.path.clone()
                } else {
                    format!("{} {}", c.path, c.args.join(" "))
                };
                out.push(finding(
                    RuleId::ExitedImmediately,
                    Severity::Warning,
                    r,
                    format!("{} exited 0 within {} s of starting", c.name, secs.max(0)),
                    format!(
                        "The container ran `{cmd}` and it finished at once with exit code 0: the command is a one-shot, not a long-lived process, so the container stops as soon as it is done."
                    ),
                    "Make CMD run a long-lived foreground process (the server itself, not a script that starts it in the background); if it is meant to be a one-shot job, run it with `docker run --rm` or as a Job, not as a service.".into(),
                    ev,
                ));
            }
        }
    }

    // Docker marks a stopped container's health "unhealthy" with a streak of
    // 0 and passing probes: that is the stop, not a failing check.
    if let Some(h) = c.health.as_ref().filter(|h| {
        h.status == "unhealthy" && (h.failing_streak > 0 || h.log.iter().any(|p| p.exit_code != 0))
    }) {
        let mut ev = vec![c.evidence(
            c.lines.health_status,
            format!("\"FailingStreak\": {}", h.failing_streak),
        )];
        if !c.healthcheck.is_empty() {
            ev.push(c.evidence(
                c.lines.healthcheck,
                format!("\"Test\": {:?}", c.healthcheck),
            ));
        }
        for p in h.log.iter().rev().filter(|p| p.exit_code != 0).take(3) {
            ev.push(c.evidence(
                None,
                format!(
                    "health probe at {}: exit {}: {}",
                    p.start.map(|t| t.to_string()).unwrap_or_default(),
                    p.exit_code,
                    p.output.trim()
                ),
            ));
        }
        ev.extend(events_ev(r, &["health_status: unhealthy"]));
        let test = c
            .healthcheck
            .iter()
            .skip(1)
            .cloned()
            .collect::<Vec<_>>()
            .join(" ");
        let probe_ports = super::network::ports_in_text(&test);
        let listen = super::network::listening_ports(a, r);
        let mismatch = probe_ports
            .iter()
            .filter(|p| !listen.is_empty() && !listen.contains(p))
            .cloned()
            .collect::<Vec<_>>();
        let port_words = if mismatch.is_empty() {
            String::new()
        } else {
            format!(
                " The probe targets port {} but the process is configured to listen on {}: the check can never pass.",
                mismatch.join(", "),
                listen.join(", ")
            )
        };
        let last_out = h
            .log
            .iter()
            .rev()
            .find(|p| p.exit_code != 0)
            .map(|p| p.output.trim().to_string())
            .unwrap_or_default();
        out.push(finding(
            RuleId::Unhealthy,
            Severity::Critical,
            r,
            format!("{} is unhealthy: its health check failed {} times in a row", c.name, h.failing_streak),
            format!(
                "The health check `{test}` keeps failing{}.{port_words}",
                if last_out.is_empty() { String::new() } else { format!(" with `{last_out}`") }
            ),
            "Run the probe by hand inside the container (`docker exec NAME sh -c '<test>'`) and compare its host and port with what the process listens on (`netstat -tlnp`); check that the probe tool exists in the image and that start_period covers start-up.".into(),
            ev,
        ).confidence(Confidence::of_records(1 + usize::from(has_event(r, "health_status: unhealthy")))));
    }
}

/// `app-error-exit`: a non-zero exit that no other rule explained.
pub fn app_error_exit(r: &ContainerRecord, out: &mut Vec<Finding>) {
    let c = &r.c;
    if !exited(r) || c.exit_code == 0 || [126, 127, 134, 137, 139, 143].contains(&c.exit_code) {
        return;
    }
    let explained = out.iter().any(|f| {
        f.container.as_deref() == Some(c.name.as_str())
            && matches!(
                f.rule,
                RuleId::CrashLoop
                    | RuleId::CrashSignature
                    | RuleId::VolumePermissionDenied
                    | RuleId::CommandNotFound
                    | RuleId::DnsFailure
                    | RuleId::OomChildKilled
                    | RuleId::WrongArchitecture
                    | RuleId::PortConflict
            )
    });
    // A runtime error in State.Error is the reason, told by `runtime-error`.
    if explained || !c.error.trim().is_empty() {
        return;
    }
    let mut ev = inspect_ev(r);
    let stderr: Vec<Evidence> = r
        .logs
        .as_ref()
        .map(|l| {
            l.last_stderr(3)
                .into_iter()
                .map(|x| x.evidence.clone())
                .collect()
        })
        .unwrap_or_default();
    let logs_words = if r.logs.is_none() {
        if c.log_driver != "json-file" && c.log_driver != "local" && !c.log_driver.is_empty() {
            format!(" There are no logs to say why: the `{}` logging driver kept nothing in the bundle.", c.log_driver)
        } else {
            " No logs for it are in the bundle.".into()
        }
    } else if stderr.is_empty() {
        " Its last lines are below; nothing was written to stderr.".into()
    } else {
        " Its last stderr lines are below.".into()
    };
    if stderr.is_empty() {
        ev.extend(last_lines(r, 3));
    } else {
        ev.extend(stderr);
    }
    out.push(finding(
        RuleId::AppErrorExit,
        Severity::Warning,
        r,
        format!("{} exited with code {}", c.name, c.exit_code),
        format!(
            "The application ended itself with exit code {} ({}); no signal, OOM kill or runtime error explains it.{logs_words}",
            c.exit_code,
            crate::format::exit_meaning(c.exit_code)
        ),
        "Read the application's own error output for that code; reproduce with `docker run --rm -it` and the same environment.".into(),
        ev,
    ));
}

/// `runtime-error`: `State.Error` holds an error of Docker's runtime
/// (dockerd, containerd, its shim, runc), which is not the application's own
/// exit. It always fires when State.Error is set, unless another finding of
/// the container already cites that line (`command-not-found` for an
/// executable that cannot be found, `port-conflict`, …).
pub fn runtime_error(r: &ContainerRecord, out: &mut Vec<Finding>) {
    let c = &r.c;
    let Some(fault) = runtime_fault(&c.error) else {
        return;
    };
    let line = error_ev(r);
    if out
        .iter()
        .any(|f| f.container.as_deref() == Some(c.name.as_str()) && f.evidence.contains(&line))
    {
        return;
    }
    let err = crate::format::clip(c.error.trim(), 200);
    let exit = if fault == RuntimeFault::ShimLost && exited(r) {
        format!(
            " Its exit code {} ({}) is what the process got when its shim went away, or what Docker recorded once it lost track of it: it says nothing about the application.",
            c.exit_code,
            crate::format::exit_meaning(c.exit_code)
        )
    } else if exited(r) || c.status == "created" {
        format!(
            " Docker set exit code {} ({}) itself; the application did not choose it.",
            c.exit_code,
            crate::format::exit_meaning(c.exit_code)
        )
    } else {
        String::new()
    };
    let (severity, title, what, suggestion) = match fault {
        RuntimeFault::ShimLost => (
            Severity::Warning,
            format!("{}: Docker lost its connection to the container's runtime", c.name),
            format!("`{err}` means dockerd's connection to containerd or to the container's shim closed: containerd or the shim died or restarted while the container ran, and Docker no longer knew its process."),
            "Read containerd's and dockerd's logs around FinishedAt (`journalctl -u containerd -u docker`) for a crash, restart or upgrade of containerd or the shim, and the kernel log for an OOM kill of them; the application is not at fault unless those logs say so.",
        ),
        RuntimeFault::CreateFailed => (
            Severity::Critical,
            format!("{}: the runtime could not start the container", c.name),
            format!("`{err}` comes from the OCI runtime (runc, through containerd's shim): it failed to create or start the container's process, so the application never ran. The part after the last `caused:` or `failed:` names what failed (an executable, a mount, a capability, a cgroup)."),
            "Fix what the end of the error names, in the image or the run options (`docker run` by hand shows the error again); for a mount, check the host path exists; for a capability or cgroup error, check the host's runtime and kernel support.",
        ),
        RuntimeFault::ExecFailed => (
            Severity::Warning,
            format!("{}: a `docker exec` failed in the runtime", c.name),
            format!("`{err}` is the runtime's error for a `docker exec` (or a health probe) into the container, not for its main process: a failed exec does not stop the container by itself."),
            "Fix the exec'd command (it must exist in the image and the container must be running); if it is the health check, see its probe output.",
        ),
        RuntimeFault::NotRunning => (
            Severity::Warning,
            format!("{}: Docker acted on a container that was no longer running", c.name),
            format!("`{err}`: Docker tried to act on the container (an exec, a kill, a stop) after its process had already ended; the error is a consequence of that earlier exit, not a cause."),
            "Look at the exit itself (exit code, last log lines, kernel log) for why the process ended.",
        ),
        RuntimeFault::Network => (
            Severity::Critical,
            format!("{}: Docker could not set up the container's network", c.name),
            format!("`{err}` comes from dockerd's network setup (libnetwork), before the application ran: the container could not be connected or its ports published."),
            "Fix what the error names (a port already taken on the host, a missing network, a firewall rule); `docker network inspect` and `ss -ltnp` on the host show what is in the way.",
        ),
        RuntimeFault::Other => (
            Severity::Warning,
            format!("{}: Docker recorded an error for the container", c.name),
            format!("`{err}` is an error Docker itself recorded for the container (State.Error), not output of the application."),
            "Search dockerd's and containerd's logs (`journalctl -u docker -u containerd`) around FinishedAt for this error.",
        ),
    };
    let dies = has_event(r, "die");
    let mut records = vec!["inspect's State.Error"];
    if dies && fault == RuntimeFault::ShimLost {
        records.push("Docker's `die` event");
    }
    let (confidence, basis) = backed_by(&records);
    let mut ev = vec![line];
    if exited(r) || c.status == "created" {
        ev.extend(inspect_ev(r));
    }
    out.push(
        finding(
            RuleId::RuntimeError,
            severity,
            r,
            title,
            format!("{what}{exit} This is a runtime failure, distinct from the application's own exit.{basis}"),
            suggestion.into(),
            ev,
        )
        .confidence(confidence),
    );
}

#[cfg(test)]
mod tests {
    use super::{runtime_fault, RuntimeFault};

    #[test]
    fn runtime_errors_are_told_apart_by_their_real_words() {
        // The first three are State.Error as Docker wrote it: the corpus's
        // ptypo (Docker 20.10), moby/moby#29800, dyrnq/install-docker#17 (a
        // shim that cannot start). The others follow the shape of the
        // messages of docker exec (as reported in many issues), libnetwork
        // (`driver failed programming external connectivity on endpoint %s
        // (%s): %v`), the daemon (`Container %s is not running`) and ttrpc.
        for (e, want) in [
            ("failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: \"/app/start-server.sh\": stat /app/start-server.sh: no such file or directory: unknown", RuntimeFault::CreateFailed),
            ("transport is closing", RuntimeFault::ShimLost),
            ("failed to create task for container: Unimplemented: failed to start shim: start failed: unsupported shim version (3): not implemented", RuntimeFault::CreateFailed),
            ("OCI runtime exec failed: exec failed: unable to start container process: exec: \"bash\": executable file not found in $PATH: unknown", RuntimeFault::ExecFailed),
            ("driver failed programming external connectivity on endpoint web (3c0c): Bind for 0.0.0.0:80 failed: port is already allocated", RuntimeFault::Network),
            ("Container 6d1c is not running", RuntimeFault::NotRunning),
            ("ttrpc: closed: unknown", RuntimeFault::ShimLost),
            ("something Docker said", RuntimeFault::Other),
        ] {
            assert_eq!(runtime_fault(e), Some(want), "{e}");
        }
        assert_eq!(runtime_fault(""), None);
        assert_eq!(runtime_fault("  "), None);
    }
}
