//! The OOM report state machine: event lines (already split by `message`)
//! arrive in file order and are assembled into [`OomKill`]s (header, task
//! memcg or summary, cpuset, kill line, reaper and oom.group evidence) and
//! [`Segfault`]s, each deduplicated by (pid, process).

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use super::message::{
    is_oom_group, parse_cpuset, parse_kill_select, parse_killed, parse_reaper, parse_segfault,
    parse_summary, parse_task_in, Killed, Summary,
};
use super::{KernelLog, KernelStamp, OomKill, Segfault};
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
            || body.contains("traps:"))
        {
            return;
        }
        if body.contains(" invoked oom-killer:") {
            self.flush_selection();
            self.header = Some(self.ev(&l));
            self.report_start = l.line_no;
            self.cpuset = None;
            self.task_in = None;
            return;
        }
        if let Some(k) = parse_killed(body) {
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

    pub(super) fn finish(mut self) -> KernelLog {
        self.flush_selection();
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
