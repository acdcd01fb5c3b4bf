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

/// Every timed happening in the analysis, ordered by instant, then container
/// index, then source. Events without a time are left out: they cannot be placed.
pub fn build(a: &Analysis) -> Vec<TimelineEvent> {
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
