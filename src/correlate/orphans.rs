//! Never silent (#11): a log, an events file or a kernel report that names a
//! container no inspect output describes still gets a container record of its
//! own, so every rule that can run on what is there runs. Each record says
//! how it was found (`matched_by`): `log-path-id` (the id in a log's path),
//! `file-name` (a log whose path names no id: the record is named by the
//! file), `events` (docker events: name, image, state and exit code from the
//! events themselves) and `kernel-cgroup` (the id in an OOM report's cgroup).

use std::collections::BTreeMap;

use super::{ContainerRecord, Logs};
use crate::ingest::events::Event;
use crate::ingest::host_text::PsRow;
use crate::ingest::inspect::Container;
use crate::ingest::kernel::OomKill;

fn is_hex_id(s: &str) -> bool {
    (12..=64).contains(&s.len()) && s.bytes().all(|c| c.is_ascii_hexdigit())
}

fn short(id: &str) -> String {
    id.chars().take(12).collect()
}

fn record(c: Container, logs: Option<Logs>, matched_by: &'static str) -> ContainerRecord {
    ContainerRecord {
        c,
        logs,
        events: Vec::new(),
        oom_kills: Vec::new(),
        segfaults: Vec::new(),
        matched_by,
    }
}

/// The name a log file gives its container when no inspect does:
/// `worker-app.log` → `worker-app`, `docker_logs_-t_pworker` → `pworker`.
pub fn name_from_path(path: &str) -> String {
    let base = path
        .rsplit(['/', '\\', '!'])
        .find(|p| !p.is_empty())
        .unwrap_or(path);
    let mut n = base;
    for p in ["docker_logs_-t_", "docker_logs_"] {
        if let Some(r) = n.strip_prefix(p) {
            n = r;
        }
    }
    if let Some(i) = n.find("-json.log") {
        n = &n[..i];
    }
    for ext in [".gz", ".log", ".txt", ".json", ".jsonl"] {
        if let Some(r) = n.strip_suffix(ext) {
            n = r;
        }
    }
    if n.is_empty() {
        base.to_string()
    } else {
        n.to_string()
    }
}

/// One record per log group whose container no inspect describes; `key` is
/// the container id the path gave, or the file path.
pub fn from_logs(recs: &mut Vec<ContainerRecord>, orphans: Vec<(String, Logs)>) {
    for (key, logs) in orphans {
        let by_id = is_hex_id(&key);
        let (id, name, how) = if by_id {
            (key.to_ascii_lowercase(), short(&key), "log-path-id")
        } else {
            let file = logs.files.first().cloned().unwrap_or_else(|| key.clone());
            (String::new(), name_from_path(&file), "file-name")
        };
        let c = Container {
            id,
            name,
            status: "unknown".into(),
            sources: logs.files.clone(),
            ..Default::default()
        };
        recs.push(record(c, Some(logs), how));
    }
}

/// Records for containers that only docker events name; their state comes
/// from the events (`create`, `start`, `die` with its `exitCode`, `oom`).
/// `events` are in time order. A record made from logs with the same id or
/// a short id of it takes these facts instead of a second record.
///
/// Only when no inspect output is among the inputs: beside it, a container
/// only events name was removed before collection (a `--rm` helper) or is
/// another host's, and its events stay on the timeline.
///
/// Except for a container a `docker ps -a` table lists: it still existed on
/// the host when the bundle was collected (sos's default collection inspects
/// only running containers, and lists the others in `docker_ps_-a`), so its
/// events and its table row are its record (`matched_by` `events`).
pub fn from_events(recs: &mut Vec<ContainerRecord>, events: &[Event], ps: &[PsRow]) {
    let inspected = recs.iter().any(|r| r.matched_by == "inspect");
    let mut by_id: BTreeMap<&str, Vec<&Event>> = BTreeMap::new();
    for e in events {
        if e.container_id.is_empty() || (e.kind != "container" && !e.kind.is_empty()) {
            continue;
        }
        let known = recs.iter().any(|r| {
            r.matched_by != "log-path-id" && !r.c.id.is_empty() && r.c.id == e.container_id
        });
        if !known {
            by_id.entry(e.container_id.as_str()).or_default().push(e);
        }
    }
    for (id, evs) in by_id {
        let name = evs
            .iter()
            .rev()
            .find(|e| !e.container_name.is_empty())
            .map(|e| e.container_name.trim_start_matches('/'))
            .unwrap_or("");
        let row = ps_row(ps, id, name);
        if inspected && row.is_none() {
            // Beside inspect output, event-only containers stay on the
            // timeline (removed `--rm` helpers, other hosts' events).
            continue;
        }
        let existing = recs.iter().position(|r| {
            r.matched_by == "log-path-id"
                && !r.c.id.is_empty()
                && (id.starts_with(&r.c.id) || r.c.id.starts_with(id))
        });
        let mut c = match existing {
            Some(i) => recs[i].c.clone(),
            None => Container {
                id: id.to_string(),
                name: short(id),
                status: "unknown".into(),
                ..Default::default()
            },
        };
        if c.id.len() < id.len() {
            c.id = id.to_string();
        }
        let mut starts = 0i64;
        for e in &evs {
            if e.action == "start" {
                starts += 1;
            }
            if !e.container_name.is_empty() {
                c.name = e.container_name.trim_start_matches('/').to_string();
            }
            if let Some((_, img)) = e.attributes.iter().find(|(k, _)| k == "image") {
                c.image = img.clone();
            }
            match e.action.as_str() {
                "create" => {
                    c.created = e.time;
                    c.status = "created".into();
                }
                "start" | "restart" => {
                    c.started_at = e.time;
                    c.finished_at = None;
                    c.status = "running".into();
                    c.oom_killed = false;
                }
                "oom" => c.oom_killed = true,
                "die" => {
                    c.finished_at = e.time;
                    c.status = "exited".into();
                    if let Some(x) = e.exit_code {
                        c.exit_code = x;
                    }
                }
                _ => {}
            }
            if !c.sources.contains(&e.evidence.source) {
                c.sources.push(e.evidence.source.clone());
            }
        }
        // Each start after the first is a restart the window saw (by the
        // restart policy or by hand: events do not say which).
        c.restart_count = c.restart_count.max(starts - 1);
        if let Some(r) = row {
            apply_ps_row(&mut c, r);
        }
        match existing {
            Some(i) => recs[i].c = c,
            None => recs.push(record(c, None, "events")),
        }
    }
}

/// The `docker ps -a` row of the container with this id (a row's id is the
/// 12-hex short id, or the full one with `--no-trunc`) or, without an id,
/// this name.
fn ps_row<'a>(ps: &'a [PsRow], id: &str, name: &str) -> Option<&'a PsRow> {
    ps.iter()
        .find(|r| r.id.len() >= 12 && id.starts_with(r.id.as_str()))
        .or_else(|| {
            ps.iter()
                .find(|r| r.id.is_empty() && !name.is_empty() && r.names == name)
        })
}

/// The state a `docker ps -a` row gives at collection time, which is later
/// than any event: `Up 3 minutes (unhealthy)`, `Exited (137) 2 minutes ago`,
/// `Created`, `Restarting (1) 5 seconds ago`, `Dead`.
fn apply_ps_row(c: &mut Container, r: &PsRow) {
    if !r.names.is_empty() && !r.names.contains(',') {
        c.name = r.names.clone();
    }
    if c.image.is_empty() {
        c.image = r.image.clone();
    }
    let st = r.status.as_str();
    if st.starts_with("Up ") || st == "Up" {
        c.status = if st.contains("(Paused)") {
            "paused"
        } else {
            "running"
        }
        .into();
        c.finished_at = None;
    } else if st.starts_with("Exited") {
        c.status = "exited".into();
        if let Some(x) = r.exit_code {
            c.exit_code = x;
        }
    } else if st.starts_with("Created") {
        c.status = "created".into();
    } else if st.starts_with("Restarting") {
        c.status = "restarting".into();
    } else if st.starts_with("Dead") {
        c.status = "dead".into();
    } else if st.starts_with("Removal") {
        c.status = "removing".into();
    }
    if !r.source.is_empty() && !c.sources.contains(&r.source) {
        c.sources.push(r.source.clone());
    }
}

/// Records for containers whose id only a kernel OOM report's cgroup path
/// names (`/docker/<id>`, `docker-<id>.scope`, `task_memcg=…`).
///
/// Only when no inspect output is among the inputs: beside inspect output,
/// a kill in an unknown cgroup is reported as `unmatched-kernel-event`
/// (an older container, another host's ring buffer), which is not silent.
pub fn from_kernel(recs: &mut Vec<ContainerRecord>, ooms: &[OomKill]) {
    if recs.iter().any(|r| r.matched_by == "inspect") {
        return;
    }
    for o in ooms {
        let paths = [
            o.task_memcg.as_deref(),
            o.cpuset.as_deref(),
            o.oom_memcg.as_deref(),
        ];
        let ids: Vec<&str> = paths
            .iter()
            .flatten()
            .flat_map(|p| super::attribute::ids_in_cgroup(p))
            .collect();
        let Some(id) = ids.first() else { continue };
        let known = ids.iter().any(|id| {
            recs.iter().any(|r| {
                !r.c.id.is_empty()
                    && (r.c.id.eq_ignore_ascii_case(id)
                        || (r.c.id.len() >= 12 && id.starts_with(&r.c.id)))
            })
        });
        if known {
            continue;
        }
        let c = Container {
            id: id.to_ascii_lowercase(),
            name: short(id),
            status: "unknown".into(),
            sources: o
                .evidence
                .first()
                .map(|e| vec![e.source.clone()])
                .unwrap_or_default(),
            ..Default::default()
        };
        recs.push(record(c, None, "kernel-cgroup"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_paths() {
        assert_eq!(name_from_path("dir/worker-app.log"), "worker-app");
        assert_eq!(name_from_path("sos/docker_logs_-t_pworker"), "pworker");
        assert_eq!(name_from_path("a.tar!/x/abc-json.log.1.gz"), "abc");
        assert_eq!(name_from_path("x/.log"), ".log");
    }
}
