//! The incident's timeline as typed facts: one event per record of a
//! happening, with its kind, its container, its instant and the sources
//! (path and line) that recorded it. Kernel events are timeline events too.
//! `report::build` words them; renderers draw them by `kind`.

use super::Analysis;
use crate::time::Timestamp;

/// What happened, as a token of the report contract (`timeline[].kind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TimelineKind {
    Created,
    Started,
    Restarted,
    Exited,
    Killed,
    Stopped,
    OomKill,
    Segfault,
    HealthFailed,
    HealthRecovered,
    HealthStarting,
    FirstLog,
    LastLog,
    Destroyed,
    Paused,
    Unpaused,
    /// A docker event of an action this list does not name.
    DockerEvent,
    /// Docker event `update` (`docker update`: restart policy, limits).
    ConfigChanged,
}

impl TimelineKind {
    pub const ALL: &'static [TimelineKind] = &[
        TimelineKind::Created,
        TimelineKind::Started,
        TimelineKind::Restarted,
        TimelineKind::Exited,
        TimelineKind::Killed,
        TimelineKind::Stopped,
        TimelineKind::OomKill,
        TimelineKind::Segfault,
        TimelineKind::HealthFailed,
        TimelineKind::HealthRecovered,
        TimelineKind::HealthStarting,
        TimelineKind::FirstLog,
        TimelineKind::LastLog,
        TimelineKind::Destroyed,
        TimelineKind::Paused,
        TimelineKind::Unpaused,
        TimelineKind::DockerEvent,
        TimelineKind::ConfigChanged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TimelineKind::Created => "created",
            TimelineKind::Started => "started",
            TimelineKind::Restarted => "restarted",
            TimelineKind::Exited => "exited",
            TimelineKind::Killed => "killed",
            TimelineKind::Stopped => "stopped",
            TimelineKind::OomKill => "oom-kill",
            TimelineKind::Segfault => "segfault",
            TimelineKind::HealthFailed => "health-failed",
            TimelineKind::HealthRecovered => "health-recovered",
            TimelineKind::HealthStarting => "health-starting",
            TimelineKind::FirstLog => "first-log",
            TimelineKind::LastLog => "last-log",
            TimelineKind::Destroyed => "destroyed",
            TimelineKind::Paused => "paused",
            TimelineKind::Unpaused => "unpaused",
            TimelineKind::DockerEvent => "docker-event",
            TimelineKind::ConfigChanged => "config-changed",
        }
    }

    pub fn from_name(s: &str) -> Option<TimelineKind> {
        TimelineKind::ALL.iter().copied().find(|k| k.as_str() == s)
    }

    /// The kind of a docker event's action (`die`, `health_status: unhealthy`…).
    pub fn of_docker_action(action: &str) -> TimelineKind {
        match action {
            "create" => TimelineKind::Created,
            "start" => TimelineKind::Started,
            "restart" => TimelineKind::Restarted,
            "die" => TimelineKind::Exited,
            "kill" => TimelineKind::Killed,
            "stop" => TimelineKind::Stopped,
            "oom" => TimelineKind::OomKill,
            "destroy" => TimelineKind::Destroyed,
            "pause" => TimelineKind::Paused,
            "unpause" => TimelineKind::Unpaused,
            "health_status: unhealthy" => TimelineKind::HealthFailed,
            "health_status: healthy" => TimelineKind::HealthRecovered,
            "health_status: starting" => TimelineKind::HealthStarting,
            "update" => TimelineKind::ConfigChanged,
            _ => TimelineKind::DockerEvent,
        }
    }
}

/// Where a timeline event was read: the path inside the input and, for
/// line-oriented artifacts, the 1-based line.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SourceRef {
    pub path: String,
    pub line: Option<u64>,
}

/// The facts of one happening that its wording needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Happening {
    /// `State.StartedAt` of inspect.
    Started,
    /// `State.FinishedAt` of a container that is not running.
    Exited {
        code: i64,
        oom_killed: bool,
    },
    /// A failed probe of `State.Health.Log`.
    HealthFailed {
        exit_code: i64,
    },
    FirstLog,
    /// The newest log line (its text, unclipped).
    LastLog {
        line: String,
    },
    /// A docker event.
    Docker {
        action: String,
        exit_code: Option<i64>,
        signal: Option<i64>,
    },
    KernelOomKill {
        process: String,
        pid: u32,
    },
    KernelSegfault {
        process: String,
        pid: u32,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimelineEvent {
    pub time: Timestamp,
    /// Index into `Analysis::containers`; None for the host.
    pub container: Option<usize>,
    pub kind: TimelineKind,
    pub happening: Happening,
    /// Every record of this happening, first the one it was read from.
    pub sources: Vec<SourceRef>,
}

impl TimelineEvent {
    /// The exit code the event records, for exits.
    pub fn exit_code(&self) -> Option<i64> {
        match &self.happening {
            Happening::Exited { code, .. } => Some(*code),
            Happening::Docker { exit_code, .. } if self.kind == TimelineKind::Exited => *exit_code,
            _ => None,
        }
    }

    /// True for an exit that Docker recorded as OOM-killed.
    pub fn oom_killed(&self) -> bool {
        matches!(
            self.happening,
            Happening::Exited {
                oom_killed: true,
                ..
            }
        )
    }
}

/// Two records of one happening from different artifacts (inspect's
/// `FinishedAt` and Docker's `die` event, the kernel's OOM kill and Docker's
/// `oom`) are at most this far apart to be merged into one event. Docker
/// writes both of its records within milliseconds; a second covers kernel
/// stamps of one-second precision once they are on Docker's clock.
pub const SAME_HAPPENING_TOLERANCE_NS: i64 = 1_000_000_000;

/// Every timed happening in the analysis, ordered by instant, then container
/// index, then source, with the records of one happening in different
/// artifacts merged into one event (see `merge`). Events without a time are
/// left out: they cannot be placed.
pub fn build(a: &Analysis) -> Vec<TimelineEvent> {
    merge(records(a))
}

/// Which record of a merged happening leads it: inspect's state (the
/// container's own record), then the kernel's (it names the process), then
/// the logs, then Docker's events.
fn lead_rank(h: &Happening) -> u8 {
    match h {
        Happening::Started | Happening::Exited { .. } | Happening::HealthFailed { .. } => 0,
        Happening::KernelOomKill { .. } | Happening::KernelSegfault { .. } => 1,
        Happening::FirstLog | Happening::LastLog { .. } => 2,
        Happening::Docker { .. } => 3,
    }
}

/// Merges records of one happening: same container, same kind, instants
/// within `SAME_HAPPENING_TOLERANCE_NS`, the same exit code when both say
/// one, and no artifact in common (two records of one file are two
/// happenings, e.g. two restarts a second apart). The closest pairs are
/// merged first, so each record joins the happening nearest to it. The
/// merged event keeps the instant and wording of its lead record and lists
/// every record's source, the lead's first.
fn merge(t: Vec<TimelineEvent>) -> Vec<TimelineEvent> {
    let mut pairs: Vec<(i64, usize, usize)> = Vec::new();
    for i in 0..t.len() {
        for j in i + 1..t.len() {
            let dt = t[j].time.0 - t[i].time.0;
            if dt > SAME_HAPPENING_TOLERANCE_NS {
                break;
            }
            if t[i].container.is_some()
                && t[i].container == t[j].container
                && t[i].kind == t[j].kind
            {
                pairs.push((dt, i, j));
            }
        }
    }
    pairs.sort();
    // group[i]: the group record i belongs to; members[g]: its records.
    let mut group: Vec<usize> = (0..t.len()).collect();
    let mut members: Vec<Vec<usize>> = (0..t.len()).map(|i| vec![i]).collect();
    for (_, i, j) in pairs {
        let (gi, gj) = (group[i], group[j]);
        if gi == gj {
            continue;
        }
        let paths = |g: usize| -> Vec<&str> {
            members[g]
                .iter()
                .flat_map(|&k| t[k].sources.iter().map(|s| s.path.as_str()))
                .collect()
        };
        let (pi, pj) = (paths(gi), paths(gj));
        if pi.iter().any(|p| pj.contains(p)) {
            continue;
        }
        let code = |g: usize| members[g].iter().find_map(|&k| t[k].exit_code());
        if let (Some(x), Some(y)) = (code(gi), code(gj)) {
            if x != y {
                continue;
            }
        }
        let moved = std::mem::take(&mut members[gj]);
        for &k in &moved {
            group[k] = gi;
        }
        members[gi].extend(moved);
    }
    let mut slots: Vec<Option<TimelineEvent>> = t.into_iter().map(Some).collect();
    let mut out = Vec::new();
    for mut m in members.into_iter().filter(|m| !m.is_empty()) {
        m.sort_by_key(|&k| {
            let e = slots[k].as_ref().map(|e| (lead_rank(&e.happening), e.time));
            (e, k)
        });
        let mut it = m.into_iter().filter_map(|k| slots[k].take());
        let Some(mut lead) = it.next() else { continue };
        let mut rest: Vec<TimelineEvent> = it.collect();
        rest.sort_by(|x, y| x.time.cmp(&y.time).then(x.sources.cmp(&y.sources)));
        for r in rest {
            for s in r.sources {
                if !lead.sources.contains(&s) {
                    lead.sources.push(s);
                }
            }
        }
        out.push(lead);
    }
    out.sort_by(|x, y| {
        x.time
            .cmp(&y.time)
            .then(x.container.cmp(&y.container))
            .then(x.sources.cmp(&y.sources))
    });
    out
}

/// One event per record, unmerged, in time order.
fn records(a: &Analysis) -> Vec<TimelineEvent> {
    let mut t: Vec<TimelineEvent> = Vec::new();
    let mut push = |time: Option<Timestamp>,
                    container: Option<usize>,
                    kind: TimelineKind,
                    happening: Happening,
                    path: &str,
                    line: Option<u64>| {
        if let Some(time) = time {
            t.push(TimelineEvent {
                time,
                container,
                kind,
                happening,
                sources: vec![SourceRef {
                    path: path.to_string(),
                    line,
                }],
            });
        }
    };
    for (i, r) in a.containers.iter().enumerate() {
        let c = &r.c;
        let me = Some(i);
        let src = c.sources.first().map(String::as_str).unwrap_or("");
        push(
            c.started_at,
            me,
            TimelineKind::Started,
            Happening::Started,
            src,
            None,
        );
        if c.status != "running" {
            push(
                c.finished_at,
                me,
                TimelineKind::Exited,
                Happening::Exited {
                    code: c.exit_code,
                    oom_killed: c.oom_killed,
                },
                src,
                None,
            );
        }
        if let Some(h) = &c.health {
            for p in h.log.iter().filter(|p| p.exit_code != 0) {
                push(
                    p.start,
                    me,
                    TimelineKind::HealthFailed,
                    Happening::HealthFailed {
                        exit_code: p.exit_code,
                    },
                    src,
                    None,
                );
            }
        }
        if let Some(l) = &r.logs {
            push(
                l.first,
                me,
                TimelineKind::FirstLog,
                Happening::FirstLog,
                l.files.first().map(String::as_str).unwrap_or(""),
                None,
            );
            if let Some(last) = l.tail.last() {
                push(
                    l.last,
                    me,
                    TimelineKind::LastLog,
                    Happening::LastLog {
                        line: last.evidence.excerpt.clone(),
                    },
                    &last.evidence.source,
                    last.evidence.line,
                );
            }
        }
        for e in &r.events {
            push(
                e.time,
                me,
                TimelineKind::of_docker_action(&e.action),
                Happening::Docker {
                    action: e.action.clone(),
                    exit_code: e.exit_code,
                    signal: e.signal,
                },
                &e.evidence.source,
                e.evidence.line,
            );
        }
    }
    for o in &a.oom_kills {
        let last = o.event.evidence.last();
        push(
            o.time,
            o.container,
            TimelineKind::OomKill,
            Happening::KernelOomKill {
                process: o.event.process.clone(),
                pid: o.event.pid,
            },
            last.map(|e| e.source.as_str()).unwrap_or(""),
            last.and_then(|e| e.line),
        );
    }
    for s in &a.segfaults {
        push(
            s.time,
            s.container,
            TimelineKind::Segfault,
            Happening::KernelSegfault {
                process: s.event.process.clone(),
                pid: s.event.pid,
            },
            &s.event.evidence.source,
            s.event.evidence.line,
        );
    }
    t.sort_by(|x, y| {
        x.time
            .cmp(&y.time)
            .then(x.container.cmp(&y.container))
            .then(x.sources.cmp(&y.sources))
    });
    t
}
