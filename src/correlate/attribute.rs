//! Which container a kernel event belongs to, and when it happened on
//! Docker's clock. First what needs no time: cgroup paths in all their real
//! forms, and for segfaults the process name of the one container that died
//! of SIGSEGV. Those events are paired with Docker's own records of the same
//! happening (`oom` / `die` 139 events, else FinishedAt), which place the
//! kernel's stamps on Docker's clock (`clock::place`). Then what needs the
//! time: PIDs of running containers, process names within a run, segfault
//! lines in logs, all on the aligned times.

use std::collections::BTreeMap;

use super::{clock, Analysis, Attributed, ContainerRecord};
use crate::ingest::kernel::{KernelStamp, OomKill, Segfault};
use crate::time::Timestamp;

/// 64-hex container ids inside a cgroup path, innermost first:
/// `/docker/<id>`, `/system.slice/docker-<id>.scope`,
/// `/kubepods/burstable/pod<uid>/<id>`, `…/cri-containerd-<id>.scope`,
/// nested `/docker/<outer>/kubepods/…/<inner>` and LXC paths.
pub fn ids_in_cgroup(path: &str) -> Vec<&str> {
    let mut ids = Vec::new();
    for seg in path.split(['/', ',', ' ']) {
        let seg = seg.trim_end_matches(".scope");
        let tail = seg.rsplit(['-', ':']).next().unwrap_or(seg);
        if tail.len() == 64 && tail.bytes().all(|b| b.is_ascii_hexdigit()) {
            ids.push(tail);
        }
    }
    ids.reverse();
    ids
}

fn container_by_cgroup(recs: &[ContainerRecord], paths: &[Option<&str>]) -> Option<usize> {
    for p in paths.iter().flatten() {
        for id in ids_in_cgroup(p) {
            if let Some(i) = recs.iter().position(|r| r.c.id.eq_ignore_ascii_case(id)) {
                return Some(i);
            }
        }
    }
    None
}

fn container_by_pid(recs: &[ContainerRecord], pid: u32, time: Option<Timestamp>) -> Option<usize> {
    recs.iter().position(|r| {
        r.c.pid > 0
            && r.c.pid == pid as i64
            && r.c.status == "running"
            && match (time, r.c.started_at) {
                (Some(t), Some(s)) => t >= s,
                _ => true,
            }
    })
}

/// The executable a container runs, as the kernel's 15-byte `comm` shows it.
fn comm_names(r: &ContainerRecord) -> Vec<String> {
    let mut v = Vec::new();
    for cand in [r.c.path.as_str()]
        .into_iter()
        .chain(r.c.entrypoint.first().map(String::as_str))
        .chain(r.c.cmd.first().map(String::as_str))
    {
        let base = cand.rsplit('/').next().unwrap_or(cand);
        if !base.is_empty() {
            v.push(base.chars().take(15).collect());
        }
    }
    v
}

/// Slack around a container's lifetime: `dmesg -T` stamps are only as good
/// as the kernel's idea of boot time, which drifts by seconds.
const SLACK_NS: i64 = 5_000_000_000;

fn container_by_name_and_time(recs: &[ContainerRecord], comm: &str, t: Timestamp) -> Option<usize> {
    let mut best: Option<(i64, usize)> = None;
    let mut ties = 0;
    for (i, r) in recs.iter().enumerate() {
        if !comm_names(r).iter().any(|n| n == comm) {
            continue;
        }
        let Some(start) = r.c.started_at else {
            continue;
        };
        let end = if r.c.status == "running" {
            None
        } else {
            r.c.finished_at
        };
        let lo = start.0 - SLACK_NS;
        let hi = end.map_or(i64::MAX, |e| e.0.max(start.0) + SLACK_NS);
        if t.0 < lo || t.0 > hi {
            continue;
        }
        let dist = end.map_or((t.0 - start.0).abs(), |e| (t.0 - e.0).abs());
        match best {
            Some((d, _)) if d < dist => {}
            Some((d, _)) if d == dist => ties += 1,
            _ => {
                best = Some((dist, i));
                ties = 0;
            }
        }
    }
    if ties > 0 {
        None
    } else {
        best.map(|b| b.1)
    }
}

/// A segfault of a child process (the comm is not the container's command):
/// the one container whose logs report a segmentation fault within seconds.
fn container_by_log_line(recs: &[ContainerRecord], t: Timestamp) -> Option<usize> {
    let near = |line: &crate::ingest::json_log::LogLine| {
        let x = line.evidence.excerpt.to_ascii_lowercase();
        (x.contains("segmentation fault") || x.contains("segfault") || x.contains("sigsegv"))
            && line
                .time
                .is_some_and(|lt| (lt.0 - t.0).abs() <= 3_000_000_000)
    };
    let hits: Vec<usize> = recs
        .iter()
        .enumerate()
        .filter(|(_, r)| {
            r.logs.as_ref().is_some_and(|l| {
                l.tail.iter().any(near)
                    || l.signatures.iter().any(|s| near(&s.first) || near(&s.last))
            })
        })
        .map(|(i, _)| i)
        .collect();
    (hits.len() == 1).then(|| hits[0])
}

/// The one container whose command is the process and that died of
/// SIGSEGV (exit code 139 in inspect or a `die` event): found without
/// looking at the time, which may be in an unknown zone.
fn container_by_name_and_exit(recs: &[ContainerRecord], comm: &str) -> Option<usize> {
    let hits: Vec<usize> = recs
        .iter()
        .enumerate()
        .filter(|(_, r)| {
            comm_names(r).iter().any(|n| n == comm)
                && (r.c.exit_code == 139
                    || r.events
                        .iter()
                        .any(|e| e.action == "die" && e.exit_code == Some(139)))
        })
        .map(|(i, _)| i)
        .collect();
    (hits.len() == 1).then(|| hits[0])
}

/// Between the container's creation (else start) and its finish, with
/// [`SLACK_NS`] either side; open-ended while it runs.
fn within_life(r: &ContainerRecord, t: Timestamp) -> bool {
    let lo = r.c.created.or(r.c.started_at);
    let hi = if r.c.status == "running" {
        None
    } else {
        r.c.finished_at
    };
    lo.is_none_or(|lo| t.0 >= lo.0 - SLACK_NS) && hi.is_none_or(|hi| t.0 <= hi.0 + SLACK_NS)
}

/// Docker's records of the happening a kernel event must coincide with,
/// oldest first: the container's `oom` events (else the FinishedAt of a
/// container OOM-killed with exit code 137), or its `die` events with exit code 139 (else the
/// FinishedAt of a container that exited 139).
fn docker_records(r: &ContainerRecord, oom: bool) -> Vec<Timestamp> {
    let mut v: Vec<Timestamp> = r
        .events
        .iter()
        .filter(|e| {
            if oom {
                e.action == "oom"
            } else {
                e.action == "die" && e.exit_code == Some(139)
            }
        })
        .filter_map(|e| e.time)
        .collect();
    if v.is_empty() && r.c.status != "running" {
        // Only a kill that ended the container coincides with FinishedAt:
        // an OOM-killed child lets it run on (`OOMKilled` true, exit 0).
        let died = if oom {
            r.c.oom_killed && r.c.exit_code == 137
        } else {
            r.c.exit_code == 139
        };
        if died {
            v.extend(r.c.finished_at);
        }
    }
    v.sort();
    v
}

/// Orders a container's kernel events by their own stamps (a constant
/// offset keeps the order), uptime first.
fn stamp_key(s: &KernelStamp) -> (i64, i64) {
    (
        s.uptime_s.map_or(i64::MAX, |u| (u * 1e6) as i64),
        s.wall.map_or(i64::MAX, |w| w.0),
    )
}

/// Pairs each container's kernel events with its Docker records: in order
/// when there are as many of each, else the newest with the newest (the
/// death the container recorded).
fn pair_records(
    recs: &[ContainerRecord],
    events: &[(Option<usize>, KernelStamp, bool)],
) -> Vec<Option<Timestamp>> {
    let mut out = vec![None; events.len()];
    let mut by: BTreeMap<(usize, bool), Vec<usize>> = BTreeMap::new();
    for (k, (c, _, oom)) in events.iter().enumerate() {
        if let Some(c) = c {
            by.entry((*c, *oom)).or_default().push(k);
        }
    }
    for ((c, oom), mut ks) in by {
        let recs_t = docker_records(&recs[c], oom);
        if recs_t.is_empty() {
            continue;
        }
        ks.sort_by_key(|&k| (stamp_key(&events[k].1), k));
        if ks.len() == recs_t.len() {
            for (k, t) in ks.iter().zip(&recs_t) {
                out[*k] = Some(*t);
            }
        } else if let (Some(k), Some(t)) = (ks.last(), recs_t.last()) {
            out[*k] = Some(*t);
        }
    }
    out
}

/// What the bundle says about time besides the kernel lines.
#[derive(Clone, Debug, Default)]
pub struct ClockFacts {
    /// `/proc/uptime` at collection.
    pub uptime: Option<f64>,
    pub collected_at: Option<Timestamp>,
    /// How yearless syslog stamps got their year, one sentence per file.
    pub year_notes: Vec<String>,
    /// A path to name in clock diagnostics.
    pub first_source: String,
}

pub fn attribute(a: &mut Analysis, ooms: Vec<OomKill>, segvs: Vec<Segfault>, facts: ClockFacts) {
    let boot = match (facts.uptime, facts.collected_at) {
        (Some(u), Some(c)) => Some(Timestamp(c.0 - Timestamp::from_secs_f64(u).0)),
        _ => None,
    };
    let recs = &a.containers;
    // 1. What does not depend on the time: cgroup paths, and for segfaults
    //    the process name of a container that died of SIGSEGV.
    let mut oom_c: Vec<(Option<usize>, Option<&'static str>)> = ooms
        .iter()
        .map(|o| {
            let by_cg = container_by_cgroup(
                recs,
                &[
                    o.task_memcg.as_deref(),
                    o.cpuset.as_deref(),
                    o.oom_memcg.as_deref(),
                ],
            );
            (by_cg, by_cg.map(|_| "cgroup"))
        })
        .collect();
    let mut seg_c: Vec<(Option<usize>, Option<&'static str>)> = segvs
        .iter()
        .map(|s| {
            let i = container_by_name_and_exit(recs, &s.process);
            (i, i.map(|_| "process name and exit code 139"))
        })
        .collect();

    // 2. Pairs with Docker's records, and the clock they give.
    let events: Vec<(Option<usize>, KernelStamp, bool)> = ooms
        .iter()
        .zip(&oom_c)
        .map(|(o, c)| (c.0, o.stamp, true))
        .chain(segvs.iter().zip(&seg_c).map(|(s, c)| (c.0, s.stamp, false)))
        .collect();
    let paired = pair_records(recs, &events);
    let samples: Vec<clock::Sample> = events
        .iter()
        .zip(&paired)
        .map(|((c, stamp, _), d)| clock::Sample {
            stamp: *stamp,
            docker: *d,
            started: c.and_then(|c| recs[c].c.started_at),
        })
        .collect();
    let placed = clock::place(&samples, boot);
    let (oom_p, seg_p) = placed.placements.split_at(ooms.len());

    // 3. What needs the time, on Docker's clock: PIDs of running
    //    containers, process names within a container's run, log lines.
    for (o, (c, p)) in ooms.iter().zip(oom_c.iter_mut().zip(oom_p)) {
        if c.0.is_none() {
            if let Some(i) = container_by_pid(recs, o.pid, p.time) {
                *c = (Some(i), Some("pid"));
            }
        }
    }
    for (s, (c, p)) in segvs.iter().zip(seg_c.iter_mut().zip(seg_p)) {
        // A name names every run of that image: once placed, a segfault
        // outside the container's life belongs to another container.
        if let (Some(i), Some(t)) = (c.0, p.time) {
            if !within_life(&recs[i], t) {
                *c = (None, None);
            }
        }
        if c.0.is_some() {
            continue;
        }
        if let Some(i) = container_by_pid(recs, s.pid, p.time) {
            *c = (Some(i), Some("pid"));
        } else if let Some(i) = p
            .time
            .and_then(|t| container_by_name_and_time(recs, &s.process, t))
        {
            *c = (Some(i), Some("process name and time"));
        } else if let Some(i) = p.time.and_then(|t| container_by_log_line(recs, t)) {
            *c = (Some(i), Some("time and a segfault line in its logs"));
        }
    }

    let mut method = placed.time_method.clone();
    if method.is_empty() {
        method = "no kernel events".into();
    }
    for n in &facts.year_notes {
        method.push_str("; ");
        method.push_str(n);
    }
    a.time_method = method;
    let mut clock = placed.clock;
    for n in &facts.year_notes {
        clock.text.push_str("; ");
        clock.text.push_str(n);
    }
    a.clock = clock;
    for w in placed.warnings {
        a.diagnostics
            .push(crate::model::Diagnostic::warning(&facts.first_source, w));
    }

    let out_oom = attributed(ooms, oom_c, oom_p);
    let out_seg = attributed(segvs, seg_c, seg_p);
    for (i, o) in out_oom.iter().enumerate() {
        if let Some(c) = o.container {
            a.containers[c].oom_kills.push(i);
        }
    }
    for (i, s) in out_seg.iter().enumerate() {
        if let Some(c) = s.container {
            a.containers[c].segfaults.push(i);
        }
    }
    a.oom_kills = out_oom;
    a.segfaults = out_seg;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_ids_in_every_cgroup_shape() {
        let id = "85a48e138c0e93f28340a6ed94dfb35822f95f8c8abdb06b080007e38efc1106";
        let other = "18db7262dc7a14a837494f5109625fd3e7483baa171cc230b38a4ebc704682dc";
        for p in [
            format!("/docker/{id}"),
            format!("/system.slice/docker-{id}.scope"),
            format!("/kubepods/burstable/pod7f3c2a10-1b2c-4d5e-8f90-123456789abc/{id}"),
            format!("/kubepods.slice/kubepods-burstable.slice/cri-containerd-{id}.scope"),
            format!("docker-{id}.scope"),
            id.to_string(),
        ] {
            assert_eq!(ids_in_cgroup(&p), vec![id], "{p}");
        }
        // podman: cgroupfs (`/libpod_parent`), systemd, conmon's own scope,
        // rootless under the user's service (issue #14).
        for p in [
            format!("/libpod_parent/libpod-{id}"),
            format!("/machine.slice/libpod-{id}.scope"),
            format!("/machine.slice/libpod-conmon-{id}.scope"),
            format!("/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-{id}.scope/container"),
            format!("libpod-{id}"),
        ] {
            assert_eq!(ids_in_cgroup(&p), vec![id], "{p}");
        }
        let nested = format!("/docker/{other}/kubepods/burstable/pod1/{id}");
        assert_eq!(ids_in_cgroup(&nested), vec![id, other]);
    }
}

/// Kernel events with their container, how it was found, and their place
/// on Docker's clock (one of each per event, in order).
fn attributed<T>(
    events: Vec<T>,
    found: Vec<(Option<usize>, Option<&'static str>)>,
    placed: &[clock::Placement],
) -> Vec<Attributed<T>> {
    events
        .into_iter()
        .zip(found.into_iter().zip(placed))
        .map(|(event, ((container, matched_by), p))| Attributed {
            event,
            time: p.time,
            local: p.local,
            container,
            matched_by,
        })
        .collect()
}
