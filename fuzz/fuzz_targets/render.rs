//! The renderers on fuzzed text (issue #10): the input, cut at 0x1f bytes,
//! becomes every string field (and a label and a network name) of a real
//! inspect file (samples/bundle pindexer), the lines of its json-file log,
//! and the `comm`s, cgroup path and segfault name of real kernel lines; the
//! file names are fuzzed too. Then correlation, rules, report, redaction
//! and all four formats, under `common::report`'s no-raw-control property.
//! The first byte chooses whether a field's text is appended to the real
//! value (the structure survives, so the rules still run) or replaces it.
#![no_main]
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

mod common;

const INSPECT: &[u8] = include_bytes!("../../samples/bundle/containers/pindexer/inspect.json");
const ID: &str = "85a48e138c0e93f28340a6ed94dfb35822f95f8c8abdb06b080007e38efc1106";

/// Kernel lines of pindexer's real OOM kill and psegv's real segfault
/// (samples/bundle/host/dmesg.txt); `@` marks where fuzzed bytes go.
const KERNEL: &[&str] = &[
    "[ 1870.636507] d@d invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0",
    "[ 1870.636523] CPU: 0 UID: 0 PID: 18778 Comm: d@d Not tainted 6.18.44-fc-v769 #1 PREEMPT(none) ",
    "[ 1870.636883] [  18778]     0 18778    77367    16652    16256      396         0   167936        0             0 d@d",
    "[ 1870.636887] oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=@,mems_allowed=0,oom_memcg=/docker/@/85a48e138c0e93f28340a6ed94dfb35822f95f8c8abdb06b080007e38efc1106,task_memcg=/docker/85a48e138c0e93f28340a6ed94dfb35822f95f8c8abdb06b080007e38efc1106,task=d@d,pid=18778,uid=0",
    "[ 1870.636906] Memory cgroup out of memory: Killed process 18778 (d@d) total-vm:309468kB, anon-rss:65024kB, file-rss:1584kB, shmem-rss:0kB, UID:0 pgtables:164kB oom_score_adj:0",
    "[ 1872.136075] cr@ash[19247]: segfault at 0 ip 0000000000401687 sp 00007ffe8991a5d0 error 6 in cr@ash[1687,401000+78000] likely on CPU 1 (core 1, socket 0)",
    "[ 1872.200000] @",
];

struct Parts<'a> {
    raw: Vec<&'a [u8]>,
    text: Vec<String>,
    next: usize,
}

impl Parts<'_> {
    fn raw(&mut self) -> &[u8] {
        let i = self.next % self.raw.len();
        self.next += 1;
        self.raw[i]
    }
    fn text(&mut self) -> String {
        let i = self.next % self.text.len();
        self.next += 1;
        self.text[i].clone()
    }
}

fn fill(v: &mut Value, p: &mut Parts, append: bool) {
    match v {
        Value::String(s) => {
            let t = p.text();
            *s = if append { format!("{s}{t}") } else { t };
        }
        Value::Array(a) => a.iter_mut().for_each(|x| fill(x, p, append)),
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                // Appending keeps the structure: the id still links the log.
                if !(append && k == "Id") {
                    fill(x, p, append);
                }
            }
        }
        _ => {}
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let append = mode & 1 == 0;
    let raw: Vec<&[u8]> = rest.split(|&b| b == 0x1f).collect();
    let text = raw
        .iter()
        .map(|r| String::from_utf8_lossy(r).into_owned())
        .collect();
    let mut p = Parts { raw, text, next: 0 };
    let limits = common::limits();

    let mut inspect: Value = match serde_json::from_slice(INSPECT) {
        Ok(v) => v,
        Err(_) => return,
    };
    if let Some(c) = inspect.get_mut(0) {
        fill(c, &mut p, append);
        if let Some(Value::Object(labels)) = c.pointer_mut("/Config/Labels") {
            labels.insert(p.text(), Value::String(p.text()));
        }
        if let Some(Value::Object(nets)) = c.pointer_mut("/NetworkSettings/Networks") {
            nets.insert(p.text(), Value::Object(Default::default()));
        }
    }
    let Ok(inspect) = serde_json::to_vec(&inspect) else {
        return;
    };

    let mut log = Vec::new();
    for (n, line) in p.text.clone().iter().enumerate() {
        let rec = serde_json::json!({
            "log": format!("{line}\n"),
            "stream": if n % 2 == 0 { "stdout" } else { "stderr" },
            "time": format!("2026-11-29T03:19:58.{:09}Z", 380_000_000 + n % 50_000_000),
        });
        if let Ok(l) = serde_json::to_vec(&rec) {
            log.extend_from_slice(&l);
            log.push(b'\n');
        }
    }

    let mut kernel = Vec::new();
    for line in KERNEL {
        let mut pieces = line.split('@');
        if let Some(first) = pieces.next() {
            kernel.extend_from_slice(first.as_bytes());
        }
        for piece in pieces {
            let r = p.raw().to_vec();
            kernel.extend(r.into_iter().filter(|&b| b != b'\n'));
            kernel.extend_from_slice(piece.as_bytes());
        }
        kernel.push(b'\n');
    }

    let dir = p.text();
    let mut ing = coroner::ingest::ingest_bytes(
        &format!("{dir}/inspect.json"),
        &inspect,
        0,
        inspect.len() as u64,
        &limits,
    );
    for (name, bytes) in [
        (format!("{dir}/{ID}-json.log"), &log),
        (format!("{}/dmesg.txt", p.text()), &kernel),
    ] {
        let more = coroner::ingest::ingest_bytes(&name, bytes, 0, bytes.len() as u64, &limits);
        ing.inputs.extend(more.inputs);
        ing.diagnostics.extend(more.diagnostics);
        ing.items.extend(more.items);
    }
    common::report(ing);
});
