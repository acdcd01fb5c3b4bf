//! Which container a kernel event belongs to: by cgroup path in all its real
//! forms, by PID while a container runs, and for segfaults by process name
//! and time. Also places raw monotonic stamps on the wall clock.

use super::{Analysis, Attributed, ContainerRecord};
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

fn wall(stamp: &KernelStamp, boot: Option<Timestamp>) -> Option<Timestamp> {
    match (stamp.uptime_s, boot) {
        (Some(u), Some(b)) => Some(Timestamp(b.0 + Timestamp::from_secs_f64(u).0)),
        _ => stamp.wall,
    }
}

pub fn attribute(
    a: &mut Analysis,
    ooms: Vec<OomKill>,
    segvs: Vec<Segfault>,
    uptime: Option<f64>,
    collected_at: Option<Timestamp>,
) {
    let mut methods: Vec<String> = Vec::new();
    let mut boot = match (uptime, collected_at) {
        (Some(u), Some(c)) => Some(Timestamp(c.0 - Timestamp::from_secs_f64(u).0)),
        _ => None,
    };
    if boot.is_some() {
        methods.push(
            "raw monotonic stamps placed with the bundle's /proc/uptime and collection time".into(),
        );
    }
    let recs = &a.containers;
    let mut out_oom: Vec<Attributed<OomKill>> = ooms
        .into_iter()
        .map(|o| {
            let time = wall(&o.stamp, boot);
            let by_cg = container_by_cgroup(
                recs,
                &[
                    o.task_memcg.as_deref(),
                    o.cpuset.as_deref(),
                    o.oom_memcg.as_deref(),
                ],
            );
            let (container, matched_by) = match by_cg {
                Some(i) => (Some(i), Some("cgroup")),
                None => match container_by_pid(recs, o.pid, time) {
                    Some(i) => (Some(i), Some("pid")),
                    None => (None, None),
                },
            };
            Attributed {
                event: o,
                time,
                container,
                matched_by,
            }
        })
        .collect();

    // No clock facts in the bundle: anchor raw stamps on an OOM kill whose
    // container recorded the exit it caused.
    if boot.is_none() {
        let anchor = out_oom.iter().find_map(|o| {
            let r = &recs[o.container?];
            let (Some(u), Some(fin)) = (o.event.stamp.uptime_s, r.c.finished_at) else {
                return None;
            };
            (r.c.oom_killed && o.event.stamp.wall.is_none()).then(|| {
                (
                    Timestamp(fin.0 - Timestamp::from_secs_f64(u).0),
                    r.c.name.clone(),
                )
            })
        });
        if let Some((b, name)) = anchor {
            boot = Some(b);
            methods.push(format!(
                "raw monotonic stamps anchored on the OOM kill that ended container {name} (its FinishedAt)"
            ));
            for o in out_oom.iter_mut().filter(|o| o.time.is_none()) {
                o.time = wall(&o.event.stamp, boot);
            }
        }
    }

    let out_seg: Vec<Attributed<Segfault>> = segvs
        .into_iter()
        .map(|s| {
            let time = wall(&s.stamp, boot);
            let (container, matched_by) = match container_by_pid(recs, s.pid, time) {
                Some(i) => (Some(i), Some("pid")),
                None => match time.and_then(|t| container_by_name_and_time(recs, &s.process, t)) {
                    Some(i) => (Some(i), Some("process name and time")),
                    None => match time.and_then(|t| container_by_log_line(recs, t)) {
                        Some(i) => (Some(i), Some("time and a segfault line in its logs")),
                        None => (None, None),
                    },
                },
            };
            Attributed {
                event: s,
                time,
                container,
                matched_by,
            }
        })
        .collect();

    let printed = out_oom.iter().any(|o| {
        o.event.stamp.wall.is_some() && (boot.is_none() || o.event.stamp.uptime_s.is_none())
    }) || out_seg.iter().any(|s| {
        s.event.stamp.wall.is_some() && (boot.is_none() || s.event.stamp.uptime_s.is_none())
    });
    if printed {
        methods.push(
            "wall-clock stamps as printed in the log (dmesg -T / iso / syslog / journalctl)".into(),
        );
    }
    let untimed = out_oom.iter().filter(|o| o.time.is_none()).count()
        + out_seg.iter().filter(|s| s.time.is_none()).count();
    if untimed > 0 {
        methods.push(format!(
            "{untimed} event(s) have only monotonic stamps and no clock facts to place them (add /proc/uptime and the collection time to the bundle)"
        ));
    }
    if methods.is_empty() {
        methods.push("no kernel events".into());
    }
    a.time_method = methods.join("; ");

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
