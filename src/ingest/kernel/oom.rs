//! The OOM report state machine: event lines (already split by `message`)
//! arrive in file order and are assembled into [`OomKill`]s (header, task
//! memcg or summary, cpuset, kill line, reaper and oom.group evidence) and
//! [`Segfault`]s, each deduplicated by (pid, process).

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use super::message::{
    is_oom_group, parse_cpu_pid_comm, parse_cpuset, parse_event, parse_invoker, parse_kill_select,
    parse_killed, parse_memcg_stats, parse_reaper, parse_segfault, parse_summary, parse_task_in,
    Killed, Summary,
};
use super::{KernelEvent, KernelEventKind, KernelLog, KernelStamp, OomKill, Segfault};
use crate::model::Evidence;

/// One logical line: a physical line, or one with its paste wraps joined.
pub(super) struct Logical<'a> {
    pub(super) line_no: u64,
    pub(super) raw: Cow<'a, str>,
    pub(super) body: Cow<'a, str>,
    pub(super) stamp: KernelStamp,
    pub(super) kernel: bool,
    pub(super) had_prefix: bool,
}

struct SummaryRec {
    s: Summary,
    ev: Evidence,
    header: Option<Evidence>,
    stamp: KernelStamp,
    line_no: u64,
    used: bool,
}

struct KillSel {
    pid: u32,
    comm: String,
    global: Option<bool>,
    ev: Evidence,
    stamp: KernelStamp,
}

pub(super) struct State<'p> {
    path: &'p str,
    header: Option<Evidence>,
    report_start: u64,
    cpuset: Option<String>,
    task_in: Option<(String, String, Evidence)>,
    kill_sel: Option<KillSel>,
    summaries: Vec<SummaryRec>,
    summary_by_pid: HashMap<u32, usize>,
    kills: Vec<(u64, OomKill)>,
    kill_by_pid: HashMap<u32, usize>,
    seen_kills: HashSet<(u32, String)>,
    segfaults: Vec<Segfault>,
    seen_segv: HashSet<(u32, String)>,
    /// The pending header's invoking task, stamp and line, and whether a
    /// summary or kill line has claimed the header (else it is a report
    /// whose kill line is missing).
    invoker: Option<Invoker>,
    memcg_stats: Option<(String, Evidence)>,
    events: Vec<KernelEvent>,
    event_by_key: HashMap<EventKey, usize>,
    /// The last Oops event and its line: `Oops:` / `CPU: … Comm:` lines
    /// that follow belong to it.
    open_oops: Option<(usize, u64)>,
}

/// (kind, process, pid, device): repeats of one event are counted.
type EventKey = (KernelEventKind, Option<String>, Option<u32>, Option<String>);

struct Invoker {
    comm: String,
    pid: Option<u32>,
    stamp: KernelStamp,
    line_no: u64,
    claimed: bool,
}

impl<'p> State<'p> {
    pub(super) fn new(path: &'p str) -> State<'p> {
        State {
            path,
            header: None,
            report_start: 0,
            cpuset: None,
            task_in: None,
            kill_sel: None,
            summaries: Vec::new(),
            summary_by_pid: HashMap::new(),
            kills: Vec::new(),
            kill_by_pid: HashMap::new(),
            seen_kills: HashSet::new(),
            segfaults: Vec::new(),
            seen_segv: HashSet::new(),
            invoker: None,
            memcg_stats: None,
            events: Vec::new(),
            event_by_key: HashMap::new(),
            open_oops: None,
        }
    }

    fn ev(&self, l: &Logical) -> Evidence {
        Evidence::new(self.path, Some(l.line_no), l.raw.as_ref())
    }

    pub(super) fn handle(&mut self, l: Logical) {
        if !l.kernel {
            return;
        }
        let body: &str = l.body.as_ref();
        // Cheap gate: every event line contains one of these bytes sequences.
        if !(body.contains("oom")
            || body.contains("Kill")
            || body.contains("segfault")
            || body.contains("cpuset=")
            || body.contains("Task")
            || body.contains("traps:")
            || may_be_event(body))
        {
            return;
        }
        if body.contains(" invoked oom-killer:") {
            self.flush_selection();
            self.flush_invoker();
            self.header = Some(self.ev(&l));
            self.report_start = l.line_no;
            self.cpuset = None;
            self.task_in = None;
            self.memcg_stats = None;
            self.invoker = parse_invoker(body).map(|comm| Invoker {
                comm: comm.to_string(),
                pid: None,
                stamp: l.stamp,
                line_no: l.line_no,
                claimed: false,
            });
            return;
        }
        if let Some((pid, comm)) = parse_cpu_pid_comm(body) {
            if let Some(inv) = self
                .invoker
                .as_mut()
                .filter(|i| !i.claimed && i.pid.is_none())
            {
                if inv.comm == comm && l.line_no <= inv.line_no + 3 {
                    inv.pid = Some(pid);
                }
            }
            if let Some((i, line)) = self.open_oops {
                if l.line_no <= line + 15 && self.events[i].pid.is_none() {
                    self.events[i].pid = Some(pid);
                    self.events[i].process = Some(comm.to_string());
                    let ev = self.ev(&l);
                    self.events[i].evidence.push(ev);
                }
            }
            return;
        }
        if let Some(cg) = parse_memcg_stats(body) {
            if self.invoker.as_ref().is_some_and(|i| !i.claimed) {
                self.memcg_stats = Some((cg.to_string(), self.ev(&l)));
            }
            return;
        }
        if let Some(k) = parse_killed(body) {
            self.claim_invoker();
            self.on_killed(&l, k);
            return;
        }
        if let Some((pid, comm, global)) = parse_kill_select(body) {
            if let Some(sel) = &self.kill_sel {
                if sel.pid == pid && sel.comm == comm {
                    return; // the same line pasted twice
                }
            }
            self.flush_selection();
            self.claim_invoker();
            self.kill_sel = Some(KillSel {
                pid,
                comm: comm.to_string(),
                global,
                ev: self.ev(&l),
                stamp: l.stamp,
            });
            return;
        }
        if body.contains("oom-kill:") {
            if let Some(s) = parse_summary(body) {
                self.claim_invoker();
                let rec = SummaryRec {
                    s,
                    ev: self.ev(&l),
                    header: self.header.clone(),
                    stamp: l.stamp,
                    line_no: l.line_no,
                    used: false,
                };
                if let Some(pid) = rec.s.pid {
                    self.summary_by_pid.insert(pid, self.summaries.len());
                }
                self.summaries.push(rec);
            }
            return;
        }
        if body.contains("oom_reaper: ") {
            if let Some(pid) = parse_reaper(body) {
                if let Some(&k) = self.kill_by_pid.get(&pid) {
                    let ev = self.ev(&l);
                    self.kills[k].1.evidence.push(ev);
                }
            }
            return;
        }
        if let Some(task_in) = parse_task_in(body) {
            if let Some((task, oom)) = task_in {
                self.task_in = Some((task.to_string(), oom.to_string(), self.ev(&l)));
            }
            return;
        }
        if is_oom_group(body) {
            if let Some((line, k)) = self.kills.last_mut() {
                if *line >= self.report_start {
                    k.evidence
                        .push(Evidence::new(self.path, Some(l.line_no), l.raw.as_ref()));
                }
            }
            return;
        }
        if let Some(cpuset) = parse_cpuset(body) {
            self.cpuset = Some(cpuset.to_string());
            return;
        }
        if let Some(e) = parse_event(body) {
            self.on_event(&l, e);
            return;
        }
        if let Some((pid, comm)) = parse_segfault(body) {
            if self.seen_segv.insert((pid, comm.to_string())) {
                let ev = self.ev(&l);
                self.segfaults.push(Segfault {
                    pid,
                    process: comm.to_string(),
                    stamp: l.stamp,
                    evidence: ev,
                });
            }
        }
    }

    fn on_killed(&mut self, l: &Logical, k: Killed) {
        let sel = self.kill_sel.take();
        let key = (k.pid, k.comm.to_string());
        if self.seen_kills.contains(&key) {
            return;
        }
        let mut kill = OomKill {
            pid: k.pid,
            process: k.comm.to_string(),
            task_memcg: None,
            oom_memcg: None,
            cpuset: None,
            constraint: None,
            global: k
                .global
                .or(sel.as_ref().and_then(|s| s.global))
                .unwrap_or(false),
            anon_rss_kib: k.anon_rss,
            total_vm_kib: k.total_vm,
            uid: k.uid,
            stamp: l.stamp,
            evidence: Vec::new(),
            kill_line_missing: false,
        };
        let mut header = self.header.take();
        let summary = self
            .summary_by_pid
            .get(&k.pid)
            .copied()
            .filter(|&i| !self.summaries[i].used);
        if let Some(i) = summary {
            let rec = &mut self.summaries[i];
            rec.used = true;
            if header.is_none() {
                header = rec.header.clone();
            }
            apply_summary(&mut kill, &rec.s);
            kill.evidence.push(rec.ev.clone());
        } else if let Some((task, oom, ev)) = self.task_in.take() {
            kill.task_memcg = Some(task);
            kill.oom_memcg = Some(oom);
            kill.evidence.push(ev);
        }
        if kill.cpuset.is_none() {
            kill.cpuset = self.cpuset.take();
        }
        if let Some(h) = header {
            kill.evidence.insert(0, h);
        }
        kill.evidence.push(self.ev(l));
        self.push_kill(l.line_no, kill);
    }

    fn push_kill(&mut self, anchor: u64, mut kill: OomKill) {
        kill.evidence.sort_by_key(|e| e.line);
        kill.evidence.dedup_by_key(|e| e.line);
        self.seen_kills.insert((kill.pid, kill.process.clone()));
        self.kill_by_pid.insert(kill.pid, self.kills.len());
        self.kills.push((anchor, kill));
    }

    /// A `Kill process … or sacrifice child` line whose `Killed process` line
    /// never came: the selection itself is the best record of the kill.
    fn flush_selection(&mut self) {
        let Some(sel) = self.kill_sel.take() else {
            return;
        };
        if self.seen_kills.contains(&(sel.pid, sel.comm.clone())) {
            return;
        }
        let mut kill = OomKill {
            pid: sel.pid,
            process: sel.comm,
            task_memcg: None,
            oom_memcg: None,
            cpuset: self.cpuset.take(),
            constraint: None,
            global: sel.global.unwrap_or(false),
            anon_rss_kib: None,
            total_vm_kib: None,
            uid: None,
            stamp: sel.stamp,
            evidence: Vec::new(),
            kill_line_missing: false,
        };
        if let Some(h) = self.header.take() {
            kill.evidence.push(h);
        }
        if let Some(i) = self
            .summary_by_pid
            .get(&sel.pid)
            .copied()
            .filter(|&i| !self.summaries[i].used)
        {
            let rec = &mut self.summaries[i];
            rec.used = true;
            apply_summary(&mut kill, &rec.s);
            kill.evidence.push(rec.ev.clone());
        } else if let Some((task, oom, ev)) = self.task_in.take() {
            kill.task_memcg = Some(task);
            kill.oom_memcg = Some(oom);
            kill.evidence.push(ev);
        }
        let anchor = sel.ev.line.unwrap_or(0);
        kill.evidence.push(sel.ev);
        self.push_kill(anchor, kill);
    }

    fn claim_invoker(&mut self) {
        if let Some(inv) = self.invoker.as_mut() {
            inv.claimed = true;
        }
    }

    /// An OOM report whose header came and no line naming a victim
    /// followed before the next report or the end: still an OOM record,
    /// of the invoking task in the cgroup its stats name (#11).
    fn flush_invoker(&mut self) {
        let Some(inv) = self.invoker.take() else {
            return;
        };
        let stats = self.memcg_stats.take();
        if inv.claimed {
            return;
        }
        // A lone header line says too little: the report must go on (the
        // `CPU: … PID: … Comm:` line, the memcg stats, `Task in …`).
        if inv.pid.is_none() && stats.is_none() && self.task_in.is_none() {
            return;
        }
        let mut kill = OomKill {
            pid: inv.pid.unwrap_or(0),
            process: inv.comm,
            task_memcg: stats.as_ref().map(|(cg, _)| cg.clone()),
            oom_memcg: None,
            cpuset: self.cpuset.take(),
            constraint: None,
            global: false,
            anon_rss_kib: None,
            total_vm_kib: None,
            uid: None,
            stamp: inv.stamp,
            evidence: Vec::new(),
            kill_line_missing: true,
        };
        if let Some(h) = self.header.take() {
            kill.evidence.push(h);
        }
        if let Some((task, oom, ev)) = self.task_in.take() {
            kill.task_memcg = kill.task_memcg.or(Some(task));
            kill.oom_memcg = Some(oom);
            kill.evidence.push(ev);
        }
        if let Some((_, ev)) = stats {
            kill.evidence.push(ev);
        }
        if self.seen_kills.contains(&(kill.pid, kill.process.clone())) {
            return;
        }
        self.push_kill(inv.line_no, kill);
    }

    fn on_event(&mut self, l: &Logical, e: super::message::EventLine) {
        let ev = self.ev(l);
        // `Oops:` right after `BUG: unable to handle …` is the same report.
        if e.kind == KernelEventKind::Oops {
            if let Some((i, line)) = self.open_oops {
                if l.line_no <= line + 10 {
                    self.events[i].evidence.push(ev);
                    return;
                }
            }
        }
        let key = (
            e.kind,
            e.process.map(str::to_string),
            e.pid,
            e.device.map(str::to_string),
        );
        if e.kind != KernelEventKind::Oops {
            if let Some(&i) = self.event_by_key.get(&key) {
                self.events[i].count += 1;
                return;
            }
        }
        let i = self.events.len();
        self.event_by_key.insert(key, i);
        self.events.push(KernelEvent {
            kind: e.kind,
            process: e.process.map(str::to_string),
            pid: e.pid,
            seconds: e.seconds,
            device: e.device.map(str::to_string),
            message: super::prefix::strip_pager_junk(l.body.as_ref())
                .trim()
                .to_string(),
            count: 1,
            stamp: l.stamp,
            evidence: vec![ev],
        });
        self.open_oops = (e.kind == KernelEventKind::Oops).then_some((i, l.line_no));
    }

    pub(super) fn finish(mut self) -> KernelLog {
        self.flush_selection();
        self.flush_invoker();
        // An `oom-kill:` summary is printed only for a victim about to be
        // killed; when the paste stops before the `Killed process` line, the
        // summary is the record of the kill.
        let pending: Vec<usize> = (0..self.summaries.len())
            .filter(|&i| !self.summaries[i].used)
            .collect();
        for i in pending {
            let rec = &self.summaries[i];
            let (Some(pid), Some(task)) = (rec.s.pid, rec.s.task.clone()) else {
                continue;
            };
            if self.seen_kills.contains(&(pid, task.clone())) {
                continue;
            }
            let mut kill = OomKill {
                pid,
                process: task,
                task_memcg: None,
                oom_memcg: None,
                cpuset: None,
                constraint: None,
                global: false,
                anon_rss_kib: None,
                total_vm_kib: None,
                uid: None,
                stamp: rec.stamp,
                evidence: Vec::new(),
                kill_line_missing: false,
            };
            apply_summary(&mut kill, &rec.s);
            if let Some(h) = rec.header.clone() {
                kill.evidence.push(h);
            }
            kill.evidence.push(rec.ev.clone());
            let anchor = rec.line_no;
            self.push_kill(anchor, kill);
        }
        self.kills.sort_by_key(|(line, _)| *line);
        KernelLog {
            path: self.path.to_string(),
            format: "dmesg",
            lines: 0,
            oom_kills: self.kills.into_iter().map(|(_, k)| k).collect(),
            segfaults: self.segfaults,
            diagnostics: Vec::new(),
            yearless: false,
            year_from: None,
            zone_s: None,
            events: self.events,
        }
    }
}

fn apply_summary(kill: &mut OomKill, s: &Summary) {
    kill.task_memcg = s.task_memcg.clone();
    kill.oom_memcg = s.oom_memcg.clone();
    kill.constraint = s.constraint.clone();
    kill.cpuset = s.cpuset.clone();
    kill.global = kill.global || s.global;
    if kill.uid.is_none() {
        kill.uid = s.uid;
    }
}

/// Cheap gate for [`parse_event`] and the lines that complete an OOM
/// report or an Oops.
fn may_be_event(body: &str) -> bool {
    body.contains("blocked for more than")
        || body.contains("lockup")
        || body.contains("LOCKUP")
        || body.contains("BUG")
        || body.contains("Oops")
        || body.contains("error")
        || body.contains("fault")
        || body.contains("read-only")
        || body.contains("XFS")
        || body.contains("CPU: ")
        || body.contains("Memory cgroup stats")
        || body.contains("unregister_netdevice")
}
