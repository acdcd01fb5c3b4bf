//! Kernel events on the wall clock, and the same event seen in several
//! copies of one ring buffer (`dmesg`, `dmesg -T`, `dmesg --time-format iso`)
//! counted once.

use std::collections::BTreeMap;

use crate::ingest::kernel::{KernelStamp, OomKill, Segfault};

fn merge_stamp(into: &mut KernelStamp, from: &KernelStamp) {
    if into.uptime_s.is_none() {
        into.uptime_s = from.uptime_s;
    }
    if into.wall.is_none() {
        into.wall = from.wall;
    }
}

/// One event per (pid, process): pids do not repeat within a boot, and the
/// copies of a ring buffer complement each other's stamps.
pub fn dedupe(ooms: Vec<OomKill>, segvs: Vec<Segfault>) -> (Vec<OomKill>, Vec<Segfault>) {
    let mut by_key: BTreeMap<(u32, String), OomKill> = BTreeMap::new();
    let mut order = Vec::new();
    for o in ooms {
        let key = (o.pid, o.process.clone());
        match by_key.get_mut(&key) {
            Some(e) => {
                merge_stamp(&mut e.stamp, &o.stamp);
                e.task_memcg = e.task_memcg.take().or(o.task_memcg);
                e.oom_memcg = e.oom_memcg.take().or(o.oom_memcg);
                e.cpuset = e.cpuset.take().or(o.cpuset);
                e.anon_rss_kib = e.anon_rss_kib.or(o.anon_rss_kib);
            }
            None => {
                order.push(key.clone());
                by_key.insert(key, o);
            }
        }
    }
    let ooms = order
        .into_iter()
        .filter_map(|k| by_key.remove(&k))
        .collect();
    let mut by_key: BTreeMap<(u32, String), Segfault> = BTreeMap::new();
    let mut order = Vec::new();
    for s in segvs {
        let key = (s.pid, s.process.clone());
        match by_key.get_mut(&key) {
            Some(e) => merge_stamp(&mut e.stamp, &s.stamp),
            None => {
                order.push(key.clone());
                by_key.insert(key, s);
            }
        }
    }
    let segvs = order
        .into_iter()
        .filter_map(|k| by_key.remove(&k))
        .collect();
    (ooms, segvs)
}
