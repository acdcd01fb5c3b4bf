//! Cross-artifact reasoning: one record per container (inspect merged across
//! files, rotated logs joined, events attached), kernel events placed on the
//! wall clock and attributed to containers, and one timeline.
//!
//! Invariant: nothing here reads files; it works on parsed artifacts only.

pub mod attribute;
pub mod clock;
pub mod export;
pub mod images;
pub mod network;
pub mod orphans;
pub mod tables;
pub mod timeline;

use std::collections::BTreeMap;

use rayon::prelude::*;

use crate::ingest::events::Event;
use crate::ingest::fs_export::FsExport;
use crate::ingest::host::HostFact;
use crate::ingest::image::Image;
use crate::ingest::inspect::{Container, OtherObject};
use crate::ingest::json_log::{LogFile, LogLine, Signature, SignatureKind, Template};
use crate::ingest::kernel::{self, KernelEvent, OomKill, Segfault};
use crate::ingest::{Ingested, InputRecord, Parsed};
use crate::model::Diagnostic;
use crate::time::Timestamp;

/// A container's json-file logs, all rotated files joined oldest to newest.
#[derive(Clone, Debug, Default)]
pub struct Logs {
    pub files: Vec<String>,
    pub lines: u64,
    pub stderr_lines: u64,
    /// Some file was `docker logs` text: stdout and stderr are merged, so
    /// `stderr_lines` is not known.
    pub stream_unknown: bool,
    pub first: Option<Timestamp>,
    pub last: Option<Timestamp>,
    pub templates: Vec<Template>,
    pub tail: Vec<LogLine>,
    pub signatures: Vec<Signature>,
}

impl Logs {
    pub fn signature(&self, kind: SignatureKind) -> Option<&Signature> {
        self.signatures.iter().find(|s| s.kind == kind)
    }

    /// The last lines on stderr, newest last.
    pub fn last_stderr(&self, n: usize) -> Vec<&LogLine> {
        let mut v: Vec<&LogLine> = self
            .tail
            .iter()
            .rev()
            .filter(|l| l.stream == crate::ingest::json_log::Stream::Stderr)
            .take(n)
            .collect();
        v.reverse();
        v
    }
}

#[derive(Clone, Debug)]
pub struct ContainerRecord {
    pub c: Container,
    pub logs: Option<Logs>,
    pub events: Vec<Event>,
    /// Indices into `Analysis::oom_kills` / `Analysis::segfaults`.
    pub oom_kills: Vec<usize>,
    pub segfaults: Vec<usize>,
    /// Where the record came from: `inspect`, or for a container no inspect
    /// describes `log-path-id`, `file-name`, `events`, `kernel-cgroup`
    /// (see `orphans`).
    pub matched_by: &'static str,
}

#[derive(Clone, Debug)]
pub struct Attributed<T> {
    pub event: T,
    pub time: Option<Timestamp>,
    /// The printed local time (civil fields read as UTC) of an event whose
    /// zone is unknown and that could not be aligned; `time` is then `None`.
    pub local: Option<Timestamp>,
    /// Index into `Analysis::containers`.
    pub container: Option<usize>,
    pub matched_by: Option<&'static str>,
}

#[derive(Debug, Default)]
pub struct Analysis {
    pub inputs: Vec<InputRecord>,
    pub diagnostics: Vec<Diagnostic>,
    pub containers: Vec<ContainerRecord>,
    pub others: Vec<OtherObject>,
    pub oom_kills: Vec<Attributed<OomKill>>,
    pub segfaults: Vec<Attributed<Segfault>>,
    pub time_method: String,
    /// How kernel times were placed on Docker's clock.
    pub clock: clock::KernelClock,
    /// One per distinct image content (see `images::dedupe`).
    pub images: Vec<Image>,
    /// Tags that name more than one image content.
    pub image_tag_conflicts: Vec<images::TagConflict>,
    pub exports: Vec<FsExport>,
    /// One per export, in `exports` order: its container, image and drift.
    pub export_links: Vec<export::ExportLink>,
    /// Logs whose container is not among the inspected ones.
    pub orphan_logs: Vec<(String, Logs)>,
    pub events: Vec<Event>,
    /// One per container, in `containers` order: who resolves it by name.
    pub name_resolution: Vec<network::NameResolution>,
    /// Every timed happening, kernel events included, in time order.
    pub timeline: Vec<timeline::TimelineEvent>,
    /// `docker info` / `docker version` facts (host architecture, …), in input order.
    pub docker_hosts: Vec<crate::ingest::host_text::DockerHost>,
    /// `docker stats --no-stream` rows, in input order.
    pub stats: Vec<crate::ingest::host_text::StatsRow>,
    /// `docker ps` rows, in input order.
    pub ps_rows: Vec<crate::ingest::host_text::PsRow>,
    /// `docker images` rows, in input order.
    pub image_rows: Vec<crate::ingest::host_text::ImageRow>,
    /// `docker network ls` rows, in input order.
    pub network_rows: Vec<crate::ingest::tables::NetworkRow>,
    /// `docker volume ls` rows, in input order.
    pub volume_rows: Vec<crate::ingest::tables::VolumeRow>,
    /// `docker compose ps` rows, in input order.
    pub compose_rows: Vec<crate::ingest::tables::ComposeRow>,
    /// `docker image inspect` facts, in input order.
    pub image_facts: Vec<crate::ingest::inspect::ImageFacts>,
    /// dockerd's journal files, their typed lines.
    pub daemon_logs: Vec<crate::ingest::journal::DaemonLog>,
    /// `container update` events (`docker update`: restart policy, limits), in time order.
    pub updates: Vec<Event>,
    /// Docker data roots read: each container's own changes, the volumes.
    pub data_roots: Vec<crate::ingest::data_root::DataRoot>,
    /// Hung tasks, lockups, Oopses and filesystem errors, attributed to a
    /// running container by PID where one matches.
    pub kernel_events: Vec<Attributed<KernelEvent>>,
    /// Folders of files read that are not evidence, one entry each.
    pub not_relevant: Vec<crate::ingest::NotRelevant>,
}

/// Builds the analysis from everything ingested.
pub fn correlate(mut ing: Ingested) -> Analysis {
    crate::ingest::fold_not_relevant(&mut ing);
    let mut a = Analysis {
        inputs: ing.inputs,
        diagnostics: ing.diagnostics,
        not_relevant: ing.not_relevant,
        ..Default::default()
    };
    let mut containers: BTreeMap<String, Container> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    let mut logs: Vec<LogFile> = Vec::new();
    let mut docker_logs = Vec::new();
    let mut compose_logs = Vec::new();
    let mut kernel_texts: Vec<(String, Vec<u8>)> = Vec::new();
    let mut uptime = None;
    let mut collected_at = None;
    for item in ing.items {
        match item {
            Parsed::Inspect(f) => {
                for (i, c) in f.containers.into_iter().enumerate() {
                    // Fragments without an id stay apart, one per file and element.
                    let key = if c.id.is_empty() {
                        format!("{}#{i}", f.path)
                    } else {
                        c.id.clone()
                    };
                    match containers.get_mut(&key) {
                        Some(existing) => existing.sources.extend(c.sources),
                        None => {
                            order.push(key.clone());
                            containers.insert(key, c);
                        }
                    }
                }
                a.image_facts.extend(f.images);
                for o in f.others {
                    if !a
                        .others
                        .iter()
                        .any(|x| x.kind == o.kind && x.id == o.id && x.name == o.name)
                    {
                        a.others.push(o);
                    }
                }
            }
            Parsed::Log(l) => logs.push(l),
            Parsed::DockerLogs(d) => docker_logs.push(d),
            Parsed::ComposeLogs(c) => compose_logs.push(c),
            Parsed::KernelText { path, text } => kernel_texts.push((path, text)),
            Parsed::Events(e) => {
                a.events.extend(e.events);
                a.updates.extend(
                    e.others
                        .into_iter()
                        .filter(|x| x.kind == "container" && x.action == "update"),
                );
            }
            Parsed::Images(imgs) => a.images.extend(imgs),
            Parsed::Export(x) => a.exports.push(x),
            Parsed::Host(HostFact::Uptime(u)) => uptime = uptime.or(Some(u)),
            Parsed::Host(HostFact::CollectedAt(t)) => collected_at = collected_at.or(Some(t)),
            Parsed::Host(HostFact::Docker(d)) => a.docker_hosts.push(*d),
            Parsed::Host(HostFact::Stats(rows)) => a.stats.extend(rows),
            Parsed::Host(HostFact::Containers(rows)) => a.ps_rows.extend(rows),
            Parsed::Host(HostFact::ImageList(rows)) => a.image_rows.extend(rows),
            Parsed::Host(HostFact::Networks(rows)) => a.network_rows.extend(rows),
            Parsed::Host(HostFact::Volumes(rows)) => a.volume_rows.extend(rows),
            Parsed::Host(HostFact::ComposePs(rows)) => a.compose_rows.extend(rows),
            Parsed::Journal(j) => a.daemon_logs.push(j),
            Parsed::DataRoot(d) => a.data_roots.push(d),
            // Put together by `ingest`; one left here was read through
            // `ingest_bytes` alone and has no data root around it.
            Parsed::DataRootPiece(_) => {}
            // Attached to inspect containers by `ingest`, likewise.
            Parsed::PodmanStorage(_) => {}
        }
    }
    // Sorted by name so the report does not depend on which file came first.
    let mut recs: Vec<ContainerRecord> = order
        .into_iter()
        .filter_map(|id| containers.remove(&id))
        .map(|c| ContainerRecord {
            c,
            logs: None,
            events: Vec::new(),
            oom_kills: Vec::new(),
            segfaults: Vec::new(),
            matched_by: "inspect",
        })
        .collect();
    recs.sort_by(|x, y| x.c.name.cmp(&y.c.name).then(x.c.id.cmp(&y.c.id)));
    // Before Compose logs are split: a `compose ps` record carries the labels they resolve by.
    tables::from_compose_ps(&mut recs, &a.compose_rows);

    let inspected: Vec<&Container> = recs.iter().map(|r| &r.c).collect();
    let text_logs = crate::ingest::docker_logs::into_logs(docker_logs, &inspected, &logs);
    logs.extend(text_logs);
    let split = crate::ingest::compose_logs::into_logs(compose_logs, &inspected, &logs);
    logs.extend(split);
    attach_logs(&mut recs, logs, &mut a.orphan_logs);
    a.events
        .sort_by(|x, y| x.time.cmp(&y.time).then(x.evidence.cmp(&y.evidence)));
    a.updates
        .sort_by(|x, y| x.time.cmp(&y.time).then(x.evidence.cmp(&y.evidence)));
    // Never silent: logs and events of containers no inspect describes.
    orphans::from_logs(&mut recs, std::mem::take(&mut a.orphan_logs));
    orphans::from_events(&mut recs, &a.events, &a.ps_rows);
    tables::from_ps(&mut recs, &a.ps_rows);
    recs.sort_by(|x, y| x.c.name.cmp(&y.c.name).then(x.c.id.cmp(&y.c.id)));
    let by_id: BTreeMap<String, usize> = recs
        .iter()
        .enumerate()
        .filter(|(_, r)| !r.c.id.is_empty())
        .map(|(i, r)| (r.c.id.clone(), i))
        .collect();
    for e in &a.events {
        if let Some(&i) = by_id.get(&e.container_id) {
            recs[i].events.push(e.clone());
        }
    }

    // Kernel logs: parsed now that a year for syslog stamps is known: the
    // collection time's, else a dated line's in the same file, else the
    // newest container time's.
    let anchor = collected_at.map(|at| kernel::YearAnchor {
        at,
        source: "the collection time",
    });
    let newest = recs
        .iter()
        .flat_map(|r| [r.c.created, r.c.started_at, r.c.finished_at])
        .flatten()
        .max()
        .map(|at| kernel::YearAnchor {
            at,
            source: "the newest container time",
        });
    let parsed: Vec<kernel::KernelLog> = kernel_texts
        .par_iter()
        .map(|(p, t)| {
            let k = kernel::parse_with_year_anchor(p, t, anchor);
            if k.yearless && k.year_from.is_none() && newest.is_some() {
                kernel::parse_with_year_anchor(p, t, newest)
            } else {
                k
            }
        })
        .collect();
    let mut ooms = Vec::new();
    let mut segvs = Vec::new();
    let mut facts = attribute::ClockFacts {
        uptime,
        collected_at,
        ..Default::default()
    };
    let mut kevents = Vec::new();
    for k in parsed {
        if k.yearless {
            if let Some(from) = k.year_from {
                let year = k
                    .oom_kills
                    .iter()
                    .map(|o| o.stamp)
                    .chain(k.segfaults.iter().map(|s| s.stamp))
                    .find_map(|s| s.wall)
                    .map(|w| format!(" ({})", w.civil().0))
                    .unwrap_or_default();
                facts.year_notes.push(format!(
                    "syslog stamps in {} carry no year: year{year} assumed from {from}",
                    k.path
                ));
            }
        }
        if let Some(z) = k.zone_s {
            facts.year_notes.push(format!(
                "syslog stamps in {} are local time at {}, from the zoned times daemons printed on lines of the same file",
                k.path,
                clock::zone_name(z)
            ));
        }
        if facts.first_source.is_empty() && !(k.oom_kills.is_empty() && k.segfaults.is_empty()) {
            facts.first_source = k.path.clone();
        }
        a.diagnostics.extend(k.diagnostics);
        ooms.extend(k.oom_kills);
        segvs.extend(k.segfaults);
        kevents.extend(k.events);
    }
    let (ooms, segvs) = clock::dedupe(ooms, segvs);
    orphans::from_kernel(&mut recs, &ooms);
    recs.sort_by(|x, y| x.c.name.cmp(&y.c.name).then(x.c.id.cmp(&y.c.id)));
    let boot = match (uptime, collected_at) {
        (Some(u), Some(c)) => Some(Timestamp(c.0 - Timestamp::from_secs_f64(u).0)),
        _ => None,
    };
    a.containers = recs;
    attribute::attribute(&mut a, ooms, segvs, facts);
    // Hung tasks, lockups, Oopses: placed like the OOM kills (boot + uptime,
    // a zoned stamp as printed, an unzoned one shifted by the clock's offset
    // when it was aligned on Docker's records, else kept as local time only).
    let offset = (a.clock.method == "aligned-on-docker-records")
        .then_some(a.clock.offset_s)
        .flatten();
    let containers = &a.containers;
    a.kernel_events = kevents
        .into_iter()
        .map(|e| {
            let (time, local) = match (e.stamp.uptime_s, boot, e.stamp.wall) {
                (Some(u), Some(b), _) => {
                    (Some(Timestamp(b.0 + Timestamp::from_secs_f64(u).0)), None)
                }
                (_, _, Some(w)) if e.stamp.zoned => (Some(w), None),
                (_, _, Some(w)) => match offset {
                    Some(o) => (Some(Timestamp(w.0 - Timestamp::from_secs_f64(o).0)), None),
                    None => (None, Some(w)),
                },
                _ => (None, None),
            };
            let container = e.pid.and_then(|pid| {
                containers
                    .iter()
                    .position(|r| r.c.pid > 0 && r.c.pid == pid as i64 && r.c.status == "running")
            });
            Attributed {
                event: e,
                time,
                local,
                container,
                matched_by: container.map(|_| "pid"),
            }
        })
        .collect();
    let (imgs, conflicts) = images::dedupe(std::mem::take(&mut a.images));
    a.images = imgs;
    a.image_tag_conflicts = conflicts;
    a.export_links = export::link(&a.exports, &a.containers, &a.images);
    a.name_resolution = network::name_resolution(&a.containers);
    a.timeline = timeline::build(&a);
    a
}

/// Groups log files by container id, joins rotations oldest to newest and
/// attaches them; logs of unknown containers are kept as orphans.
fn attach_logs(
    recs: &mut [ContainerRecord],
    logs: Vec<LogFile>,
    orphans: &mut Vec<(String, Logs)>,
) {
    let mut groups: BTreeMap<String, Vec<LogFile>> = BTreeMap::new();
    for l in logs {
        let key = l.container_id.clone().unwrap_or_else(|| l.path.clone());
        groups.entry(key).or_default().push(l);
    }
    for (key, mut files) in groups {
        // Oldest first: the highest rotation number, then down to the live file.
        files.sort_by(|x, y| y.rotation.cmp(&x.rotation).then(x.path.cmp(&y.path)));
        // The same file may arrive twice (a directory and an archive of it).
        files.dedup_by(|x, y| {
            x.rotation == y.rotation && x.records == y.records && x.last == y.last
        });
        let joined = join(files);
        // By id first: podman's log paths all end in `userdata/ctr.log`.
        let by_id = recs.iter().position(|r| r.c.id == key);
        let by_path = || {
            recs.iter().position(|r| {
                joined
                    .files
                    .iter()
                    .any(|f| log_path_names(f, &r.c.log_path, &r.c.id))
            })
        };
        // A bare file name, when only one container's log path ends in it.
        let by_name = || {
            let hits: Vec<usize> = (0..recs.len())
                .filter(|&i| {
                    let lp = &recs[i].c.log_path;
                    !lp.is_empty() && joined.files.iter().any(|f| f.ends_with(basename(lp)))
                })
                .collect();
            match hits.as_slice() {
                [i] => Some(*i),
                _ => None,
            }
        };
        let target = by_id
            .or_else(by_path)
            .or_else(by_name)
            .map(|i| &mut recs[i]);
        match target {
            Some(r) => r.logs = Some(joined),
            None => orphans.push((key, joined)),
        }
    }
}

fn basename(p: &str) -> &str {
    p.rsplit('/').next().unwrap_or(p)
}

/// True when the log file at `file` (a path in the bundle) is the one an
/// inspect's `log_path` names: the same trailing path components, as many as
/// it takes to include the container id (Docker's `<id>-json.log`, podman's
/// `<id>/userdata/ctr.log`), or the whole of `log_path`.
fn log_path_names(file: &str, log_path: &str, id: &str) -> bool {
    if log_path.is_empty() || !file.ends_with(basename(log_path)) {
        return false;
    }
    let mut f = file.rsplit(['/', '\\', '!']);
    let mut tail_has_id = false;
    for want in log_path.rsplit('/').filter(|c| !c.is_empty()) {
        match f.next() {
            Some(got) if got == want => {
                tail_has_id |= !id.is_empty() && want.contains(id);
                if tail_has_id {
                    return true;
                }
            }
            _ => return false,
        }
    }
    true
}

fn join(files: Vec<LogFile>) -> Logs {
    let mut out = Logs::default();
    let mut templates: BTreeMap<String, Template> = BTreeMap::new();
    let mut sigs: BTreeMap<SignatureKind, Signature> = BTreeMap::new();
    let mut open: Vec<crate::ingest::json_log::Stream> = Vec::new();
    for f in files {
        out.files.push(f.path);
        out.lines += f.lines;
        out.stderr_lines += f.stderr_lines;
        out.stream_unknown |= f.stream_unknown;
        // A line split by dockerd across a rotation was counted as a final
        // partial in the older file and again where it ends in this one.
        if f.records > 0 {
            for s in open.drain(..) {
                out.lines = out.lines.saturating_sub(1);
                if s == crate::ingest::json_log::Stream::Stderr {
                    out.stderr_lines = out.stderr_lines.saturating_sub(1);
                }
            }
        }
        open = f.open_at_eof;
        out.first = match (out.first, f.first) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        out.last = match (out.last, f.last) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        for t in f.templates {
            templates
                .entry(t.template.clone())
                .and_modify(|e| e.count += t.count)
                .or_insert(t);
        }
        for s in f.signatures {
            match sigs.get_mut(&s.kind) {
                Some(e) => {
                    e.count += s.count;
                    e.last = s.last;
                }
                None => {
                    sigs.insert(s.kind, s);
                }
            }
        }
        // Files come oldest first: the newest tail wins, topped up from older ones.
        let mut tail = f.tail;
        if tail.len() < 20 {
            let keep = 20 - tail.len();
            let older = std::mem::take(&mut out.tail);
            let skip = older.len().saturating_sub(keep);
            let mut merged: Vec<LogLine> = older.into_iter().skip(skip).collect();
            merged.extend(tail);
            tail = merged;
        }
        out.tail = tail;
    }
    let mut t: Vec<Template> = templates.into_values().collect();
    t.sort_by(|a, b| b.count.cmp(&a.count).then(a.template.cmp(&b.template)));
    out.templates = t;
    out.signatures = sigs.into_values().collect();
    out
}
