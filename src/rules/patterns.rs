//! The seed's remaining failure patterns (issue #12 part 4, issue #11 item 4):
//! a signal PID 1 never acted on, a runtime heap above the memory limit,
//! logs lost to rotation, a host port already taken, a binary for another
//! CPU, a health probe that cannot run, and a container near its memory
//! limit in `docker stats`. Each rule reads only the `Analysis`; the
//! captures they were written against are in `samples/dockerd/`.

use super::{finding, Finding, RuleId, Severity};
use crate::correlate::{Analysis, ContainerRecord};
use crate::format::human_bytes;
use crate::ingest::journal::{DaemonKind, DaemonLine};
use crate::model::Evidence;

/// Every rule of this module for one container.
pub fn rules(a: &Analysis, r: &ContainerRecord, out: &mut Vec<Finding>) {
    pid1_ignores_signal(a, r, out);
    heap_exceeds_limit(r, out);
    logs_rotated_out(r, out);
    port_conflict(a, r, out);
    wrong_architecture(a, r, out);
    health_probe_broken(r, out);
}

fn ended(r: &ContainerRecord) -> bool {
    matches!(r.c.status.as_str(), "exited" | "dead")
}

fn is_shell(path: &str) -> bool {
    let base = path.rsplit('/').next().unwrap_or(path);
    matches!(
        base,
        "sh" | "bash" | "ash" | "dash" | "zsh" | "ksh" | "mksh"
    )
}

/// The script of `sh -c SCRIPT` as PID 1, if that is the command.
fn shell_script(r: &ContainerRecord) -> Option<&str> {
    let c = &r.c;
    if !is_shell(&c.path) {
        return None;
    }
    let i = c.args.iter().position(|a| a == "-c")?;
    c.args.get(i + 1).map(String::as_str)
}

/// Signals a script sends to itself (`kill -ABRT $$`, `kill -s TERM $$`,
/// `kill -6 1`), by name.
fn self_signals(script: &str) -> Vec<&'static str> {
    const SIGS: &[(&str, &str, &str)] = &[
        ("ABRT", "6", "SIGABRT"),
        ("TERM", "15", "SIGTERM"),
        ("INT", "2", "SIGINT"),
        ("HUP", "1", "SIGHUP"),
        ("QUIT", "3", "SIGQUIT"),
        ("USR1", "10", "SIGUSR1"),
        ("USR2", "12", "SIGUSR2"),
        ("SEGV", "11", "SIGSEGV"),
    ];
    let mut out = Vec::new();
    for stmt in script.split([';', '\n', '&', '|']) {
        let w: Vec<&str> = stmt.split_whitespace().collect();
        let Some(k) = w.iter().position(|x| *x == "kill") else {
            continue;
        };
        let rest = &w[k + 1..];
        let (sig, target) = match rest {
            ["-s", s, t, ..] => (*s, *t),
            [s, t, ..] if s.starts_with('-') => (&s[1..], *t),
            _ => continue,
        };
        if target != "$$" && target != "1" {
            continue;
        }
        let sig = sig.trim_start_matches("SIG");
        if let Some((_, _, name)) = SIGS
            .iter()
            .find(|(n, num, _)| sig.eq_ignore_ascii_case(n) || sig == *num)
        {
            if !out.contains(name) {
                out.push(*name);
            }
        }
    }
    out
}

fn cmd_words(r: &ContainerRecord) -> String {
    let c = &r.c;
    if c.args.is_empty() {
        c.path.clone()
    } else {
        format!("{} {}", c.path, c.args.join(" "))
    }
}

fn cmd_evidence(r: &ContainerRecord) -> Evidence {
    let c = &r.c;
    let cmd = if c.cmd.is_empty() { &c.args } else { &c.cmd };
    c.evidence(c.lines.cmd, format!("\"Cmd\": {cmd:?}"))
}

/// The daemon's lines of one kind for this container (by id, or by the
/// endpoint name in network errors). The same line in several renderings of
/// one journal (short, short-iso, …) counts once: same dockerd time and message.
fn daemon_lines<'a>(a: &'a Analysis, r: &ContainerRecord, kind: DaemonKind) -> Vec<&'a DaemonLine> {
    let hits = a
        .daemon_logs
        .iter()
        .flat_map(|d| d.lines.iter())
        .filter(|l| {
            l.kind == kind
                && ((!r.c.id.is_empty() && l.container_id.as_deref() == Some(r.c.id.as_str()))
                    || (!r.c.name.is_empty() && l.endpoint.as_deref() == Some(r.c.name.as_str())))
        });
    distinct(hits)
}

/// Daemon lines with distinct (time, message), first seen kept.
fn distinct<'a>(lines: impl Iterator<Item = &'a DaemonLine>) -> Vec<&'a DaemonLine> {
    let mut out: Vec<&DaemonLine> = Vec::new();
    for l in lines {
        if !out
            .iter()
            .any(|o| o.msg == l.msg && o.time == l.time && o.time.is_some())
        {
            out.push(l);
        }
    }
    out
}

/// `pid1-ignores-signal`: PID 1 has no handler, so the kernel drops the
/// signal (a self-sent SIGABRT ends in exit 0), or a shell as PID 1 does
/// not pass SIGTERM on and is killed after the stop timeout.
fn pid1_ignores_signal(a: &Analysis, r: &ContainerRecord, out: &mut Vec<Finding>) {
    let c = &r.c;
    let Some(script) = shell_script(r) else {
        return;
    };
    // With `--init`, docker-init is PID 1: it forwards signals to the shell
    // and the shell, no longer PID 1, gets the default dispositions.
    if !ended(r) || c.init {
        return;
    }
    let sent = self_signals(script);
    if c.exit_code == 0 && !sent.is_empty() {
        let mut ev = vec![
            cmd_evidence(r),
            c.evidence(c.lines.exit_code, format!("\"ExitCode\": {}", c.exit_code)),
        ];
        if let Some(l) = r.logs.as_ref() {
            ev.extend(
                l.tail
                    .iter()
                    .rev()
                    .take(2)
                    .rev()
                    .map(|x| x.evidence.clone()),
            );
        }
        let sig = sent.join(", ");
        out.push(finding(
            RuleId::Pid1IgnoresSignal,
            Severity::Warning,
            r,
            format!("{}: PID 1 sent itself {sig} and carried on (exit 0)", c.name),
            format!(
                "The container's PID 1 is a shell (`{}`) that sends itself {sig}. The kernel delivers a signal to a namespace's PID 1 only if PID 1 installed a handler for it; a shell has none, so the signal was dropped, the script went on and the container exited 0 instead of dying of {sig}. Whatever relied on that signal (an abort on a fatal error, a stop) never happened.",
                cmd_words(r)
            ),
            "Run the container with `--init` (or tini/dumb-init as ENTRYPOINT) so a real init is PID 1 and signals get default behaviour, or `exec` the program so it is PID 1 itself and install the handlers it needs.".into(),
            ev,
        ));
        return;
    }
    // A shell as PID 1 that neither `exec`s nor traps: SIGTERM reaches only
    // the shell, which has no handler, so `docker stop` ends in SIGKILL.
    let words: Vec<&str> = script.split_whitespace().collect();
    if c.exit_code != 137
        || c.oom_killed
        || words.contains(&"exec")
        || words.contains(&"trap")
        || !r.oom_kills.is_empty()
    {
        return;
    }
    let term_sent: Vec<Evidence> = r
        .events
        .iter()
        .filter(|e| e.action == "kill" && e.signal == Some(15))
        .map(|e| e.evidence.clone())
        .chain(
            daemon_lines(a, r, DaemonKind::ForcedStop)
                .into_iter()
                .map(|l| l.evidence.clone()),
        )
        .take(3)
        .collect();
    if term_sent.is_empty() {
        return;
    }
    let mut ev = vec![
        cmd_evidence(r),
        c.evidence(c.lines.exit_code, format!("\"ExitCode\": {}", c.exit_code)),
    ];
    ev.extend(term_sent);
    out.push(finding(
        RuleId::Pid1IgnoresSignal,
        Severity::Warning,
        r,
        format!("{}: PID 1 is a shell that did not act on SIGTERM", c.name),
        format!(
            "PID 1 is a shell (`{}`) that neither `exec`s its program nor traps SIGTERM. Docker's SIGTERM reached only the shell, which as PID 1 ignores signals it has no handler for, so the program never saw it and Docker killed everything with SIGKILL after the stop timeout (exit 137).",
            cmd_words(r)
        ),
        "`exec` the program from the script (`exec myserver …`) so it receives SIGTERM, or run with `--init`; then handle SIGTERM and exit 0.".into(),
        ev,
    ));
}

/// A size with an optional k/m/g/t suffix (JVM style, powers of 1024).
fn jvm_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let (num, mult) = match s.chars().last()? {
        'k' | 'K' => (&s[..s.len() - 1], 1u64 << 10),
        'm' | 'M' => (&s[..s.len() - 1], 1 << 20),
        'g' | 'G' => (&s[..s.len() - 1], 1 << 30),
        't' | 'T' => (&s[..s.len() - 1], 1 << 40),
        c if c.is_ascii_digit() => (s, 1),
        _ => return None,
    };
    num.parse::<u64>().ok()?.checked_mul(mult)
}

/// `GOMEMLIMIT` values: `512MiB`, `1GiB`, `1073741824`.
fn go_size(s: &str) -> Option<u64> {
    let s = s.trim();
    for (suf, m) in [
        ("TiB", 1u64 << 40),
        ("GiB", 1 << 30),
        ("MiB", 1 << 20),
        ("KiB", 1 << 10),
        ("B", 1),
    ] {
        if let Some(n) = s.strip_suffix(suf) {
            return n.parse::<u64>().ok()?.checked_mul(m);
        }
    }
    s.parse().ok()
}

/// Heap settings in one string: `(setting as written, bytes)`.
fn heap_settings(text: &str) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    for w in text.split(|c: char| c.is_whitespace() || c == '"' || c == '\'' || c == ',') {
        let bytes = if let Some(v) = w.strip_prefix("-Xmx") {
            jvm_size(v)
        } else if let Some(v) = w.strip_prefix("-XX:MaxRAM=") {
            jvm_size(v)
        } else if let Some(v) = w.strip_prefix("--max-old-space-size=") {
            v.parse::<u64>().ok().and_then(|m| m.checked_mul(1 << 20))
        } else if let Some(v) = w.strip_prefix("GOMEMLIMIT=") {
            go_size(v)
        } else {
            None
        };
        if let Some(b) = bytes {
            out.push((w.to_string(), b));
        }
    }
    out
}

const HEAP_ENV: &[&str] = &[
    "JAVA_OPTS",
    "JAVA_TOOL_OPTIONS",
    "_JAVA_OPTIONS",
    "JDK_JAVA_OPTIONS",
    "CATALINA_OPTS",
    "NODE_OPTIONS",
    "GOMEMLIMIT",
];

/// `heap-exceeds-limit`: a JVM, Node or Go heap setting above `--memory`.
fn heap_exceeds_limit(r: &ContainerRecord, out: &mut Vec<Finding>) {
    let c = &r.c;
    if c.memory_limit <= 0 {
        return;
    }
    let limit = c.memory_limit as u64;
    let mut found: Vec<(String, u64, Evidence)> = Vec::new();
    let cmd_text = [
        c.path.clone(),
        c.args.join(" "),
        c.entrypoint.join(" "),
        c.cmd.join(" "),
    ]
    .join(" ");
    for (s, b) in heap_settings(&cmd_text) {
        if !found.iter().any(|(x, _, _)| *x == s) {
            found.push((s, b, cmd_evidence(r)));
        }
    }
    for e in &c.env {
        let Some((k, v)) = e.split_once('=') else {
            continue;
        };
        if !HEAP_ENV.contains(&k) {
            continue;
        }
        let text = if k == "GOMEMLIMIT" {
            e.clone()
        } else {
            v.to_string()
        };
        for (s, b) in heap_settings(&text) {
            found.push((
                format!("{k}={s}").replace("GOMEMLIMIT=GOMEMLIMIT=", "GOMEMLIMIT="),
                b,
                c.evidence(c.lines.env, e.clone()),
            ));
        }
    }
    let over: Vec<&(String, u64, Evidence)> = found.iter().filter(|(_, b, _)| *b > limit).collect();
    let Some(&(_, max, _)) = over.iter().max_by_key(|(_, b, _)| *b) else {
        return;
    };
    let mut ev: Vec<Evidence> = Vec::new();
    for (_, _, e) in &over {
        if !ev.contains(e) {
            ev.push(e.clone());
        }
    }
    ev.push(c.evidence(c.lines.memory, format!("\"Memory\": {}", c.memory_limit)));
    if c.oom_killed {
        ev.push(c.evidence(c.lines.oom_killed, "\"OOMKilled\": true"));
    }
    let settings = over
        .iter()
        .map(|(s, b, _)| format!("`{s}` ({})", human_bytes(*b)))
        .collect::<Vec<_>>()
        .join(", ");
    let oom = if c.oom_killed || !r.oom_kills.is_empty() {
        " That is what happened here: the container was OOM-killed."
    } else {
        ""
    };
    out.push(finding(
        RuleId::HeapExceedsLimit,
        Severity::Warning,
        r,
        format!(
            "{}: heap setting {} is larger than the memory limit {}",
            c.name,
            human_bytes(*max),
            human_bytes(limit)
        ),
        format!(
            "The runtime is allowed a heap of {settings}, but the container's memory cgroup allows only {} for everything (heap, stacks, metaspace, native buffers). The runtime will grow past the limit before its own garbage collector or out-of-memory error kicks in, and the kernel OOM killer ends the process with SIGKILL instead.{oom}",
            human_bytes(limit)
        ),
        "Size the heap below the limit (about 75 % of `--memory` for a JVM: `-XX:MaxRAMPercentage=75` instead of a fixed `-Xmx`; `--max-old-space-size` or `GOMEMLIMIT` likewise), or raise `--memory` to fit the heap plus overhead.".into(),
        ev,
    ));
}

/// `.N` or `.N.gz` at the end of a json-file log's name: a rotated file.
fn rotation_of(path: &str) -> Option<u32> {
    let base = path.rsplit(['/', '!']).next().unwrap_or(path);
    let base = base.strip_suffix(".gz").unwrap_or(base);
    let (stem, n) = base.rsplit_once('.')?;
    if !stem.ends_with("-json.log") && !stem.ends_with(".log") {
        return None;
    }
    n.parse().ok()
}

fn opt<'a>(r: &'a ContainerRecord, key: &str) -> Option<&'a str> {
    r.c.log_opts
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// `logs-rotated-out`: json-file rotation is at its limit and the oldest
/// surviving line is later than the container's start.
fn logs_rotated_out(r: &ContainerRecord, out: &mut Vec<Finding>) {
    let c = &r.c;
    let Some(logs) = r.logs.as_ref() else { return };
    let rotated: Vec<u32> = logs.files.iter().filter_map(|f| rotation_of(f)).collect();
    let Some(&highest) = rotated.iter().max() else {
        return;
    };
    let max_file: Option<u64> = opt(r, "max-file").and_then(|v| v.parse().ok());
    if let Some(m) = max_file {
        // At the limit: `max-file` files exist (the live one and `.1`…`.m-1`).
        if (highest as u64) + 1 < m {
            return;
        }
    }
    let (Some(first), Some(started)) = (logs.first, c.started_at) else {
        return;
    };
    if first <= started {
        return;
    }
    let gap_ms = (first.0 - started.0) / 1_000_000;
    let mut ev = vec![c.evidence(c.lines.started_at, format!("\"StartedAt\": \"{started}\""))];
    if let Some(f) = logs.files.iter().find(|f| rotation_of(f) == Some(highest)) {
        ev.push(Evidence::new(
            f.clone(),
            Some(1),
            format!("\"time\": \"{first}\""),
        ));
    }
    let cfg: Vec<String> = c
        .log_opts
        .iter()
        .filter(|(k, _)| k == "max-size" || k == "max-file")
        .map(|(k, v)| format!("\"{k}\": \"{v}\""))
        .collect();
    if !cfg.is_empty() {
        ev.push(c.evidence(
            c.lines.log_type,
            format!("\"Config\": {{{}}}", cfg.join(", ")),
        ));
    }
    let limits = match (opt(r, "max-size"), opt(r, "max-file")) {
        (Some(s), Some(f)) => format!(" (`max-size={s}`, `max-file={f}`)"),
        (Some(s), None) => format!(" (`max-size={s}`)"),
        (None, Some(f)) => format!(" (`max-file={f}`)"),
        (None, None) => String::new(),
    };
    let errors = logs
        .templates
        .first()
        .map(|t| {
            format!(
                " For example `{}` is counted {} time(s) in what survived; it happened at least that often.",
                crate::format::clip(&t.template, 80),
                t.count
            )
        })
        .unwrap_or_default();
    out.push(finding(
        RuleId::LogsRotatedOut,
        Severity::Info,
        r,
        format!(
            "{}: log rotation kept only the newest {} line(s); older output is gone",
            c.name, logs.lines
        ),
        format!(
            "The json-file driver rotated this container's log{limits} and is at its file limit: {} file(s) are left, the oldest a `.{highest}`. The oldest surviving line ({first}) is {}.{:03} s after the container started ({started}), so everything it wrote before that was deleted. Every count in this report for this container (lines, errors, patterns) is a lower bound.{errors}",
            logs.files.len(),
            gap_ms / 1000,
            gap_ms % 1000
        ),
        "Raise `max-size`/`max-file` for this container (or ship logs to a collector) and collect the bundle sooner after the incident; `docker logs` cannot bring rotated-out lines back.".into(),
        ev,
    ));
}

fn port_words(text: &str) -> Option<String> {
    let l = text;
    if let Some((_, r)) = l.split_once("Bind for ") {
        return r.split_whitespace().next().map(str::to_string);
    }
    if let Some((_, r)) = l.split_once("listen tcp ") {
        return r
            .split(':')
            .next_back()
            .and_then(|p| p.split_whitespace().next())
            .map(|p| format!(":{}", p.trim_end_matches(':')));
    }
    None
}

fn is_port_conflict(s: &str) -> bool {
    let l = s.to_ascii_lowercase();
    l.contains("port is already allocated")
        || l.contains("address already in use")
        || l.contains("eaddrinuse")
}

/// `port-conflict`: the host port (or the process's listen address) is
/// already taken.
fn port_conflict(a: &Analysis, r: &ContainerRecord, out: &mut Vec<Finding>) {
    let c = &r.c;
    let mut ev = Vec::new();
    let mut where_ = Vec::new();
    let mut port = None;
    if is_port_conflict(&c.error) {
        ev.push(c.evidence(c.lines.error, format!("\"Error\": {:?}", c.error)));
        port = port_words(&c.error);
        where_.push("Docker's State.Error");
    }
    if let Some(l) = r.logs.as_ref() {
        let hit = l
            .templates
            .iter()
            .map(|t| &t.example.evidence)
            .chain(l.tail.iter().map(|x| &x.evidence))
            .find(|e| is_port_conflict(&e.excerpt));
        if let Some(e) = hit {
            port = port.or_else(|| port_words(&e.excerpt));
            ev.push(e.clone());
            where_.push("the container's logs");
        }
    }
    let daemon: Vec<Evidence> = daemon_lines(a, r, DaemonKind::PortConflict)
        .into_iter()
        .take(2)
        .map(|l| l.evidence.clone())
        .collect();
    if !daemon.is_empty() {
        ev.extend(daemon);
        where_.push("dockerd's log");
    }
    if ev.is_empty() {
        return;
    }
    // Who holds the port: another container publishing the same host port.
    let host_port = port
        .as_deref()
        .and_then(|p| p.rsplit(':').next())
        .map(str::to_string);
    let holders: Vec<&str> = host_port
        .as_deref()
        .map(|hp| {
            a.containers
                .iter()
                .filter(|o| o.c.id != c.id)
                .filter(|o| o.c.port_bindings.iter().any(|b| b.host_port == hp))
                .map(|o| o.c.name.as_str())
                .collect()
        })
        .unwrap_or_default();
    let holder_words = if holders.is_empty() {
        " Something else on the host holds it (another container, docker-proxy or a host process)."
            .to_string()
    } else {
        format!(
            " {} publish{} the same host port.",
            holders
                .iter()
                .map(|h| format!("`{h}`"))
                .collect::<Vec<_>>()
                .join(", "),
            if holders.len() == 1 { "es" } else { "" }
        )
    };
    let p = port.map(|p| format!(" `{p}`")).unwrap_or_default();
    out.push(finding(
        RuleId::PortConflict,
        Severity::Critical,
        r,
        format!("{}: the port{p} is already in use", c.name),
        format!(
            "{} {} the address{p} is already taken, so the container{} could not bind it.{holder_words}",
            where_.join(" and "),
            if where_.len() > 1 { "say" } else { "says" },
            if c.status == "created" { " never started: Docker" } else { "" }
        ),
        "Free the port (stop the other user: `docker ps --filter publish=PORT`, `ss -ltnp`) or publish this container on another host port (`-p OTHER:CONTAINER`).".into(),
        ev,
    ));
}

/// Docker's and the kernel's spellings of one architecture, as GOARCH.
fn norm_arch(a: &str) -> String {
    match a.trim().to_ascii_lowercase().as_str() {
        "x86_64" | "x86-64" | "amd64" => "amd64".into(),
        "aarch64" | "arm64" | "arm64/v8" => "arm64".into(),
        "armv7l" | "armhf" | "arm" => "arm".into(),
        "i386" | "i686" | "386" => "386".into(),
        "ppc64le" => "ppc64le".into(),
        "s390x" => "s390x".into(),
        other => other.to_string(),
    }
}

/// `wrong-architecture`: `exec format error`, or an image built for
/// another CPU than the host's.
fn wrong_architecture(a: &Analysis, r: &ContainerRecord, out: &mut Vec<Finding>) {
    let c = &r.c;
    let mut ev = Vec::new();
    let efe = |s: &str| s.to_ascii_lowercase().contains("exec format error");
    if efe(&c.error) {
        ev.push(c.evidence(c.lines.error, format!("\"Error\": {:?}", c.error)));
    }
    if let Some(l) = r.logs.as_ref() {
        if let Some(e) = l
            .tail
            .iter()
            .map(|x| &x.evidence)
            .chain(l.templates.iter().map(|t| &t.example.evidence))
            .find(|e| efe(&e.excerpt))
        {
            ev.push(e.clone());
        }
    }
    ev.extend(
        daemon_lines(a, r, DaemonKind::ExecFormat)
            .into_iter()
            .take(1)
            .map(|l| l.evidence.clone()),
    );
    let exec_error = !ev.is_empty();
    let image = a.image_facts.iter().find(|i| {
        (!c.image_id.is_empty() && i.id == c.image_id)
            || (!c.image.is_empty() && i.repo_tags.contains(&c.image))
    });
    let host = a
        .docker_hosts
        .iter()
        .find(|h| h.architecture.as_deref().is_some_and(|x| !x.is_empty()));
    let img_arch = image.filter(|i| !i.architecture.is_empty()).map(|i| {
        if i.variant.is_empty() {
            i.architecture.clone()
        } else {
            format!("{}/{}", i.architecture, i.variant)
        }
    });
    let host_arch = host.and_then(|h| h.architecture.clone());
    let differ = match (&img_arch, &host_arch) {
        (Some(i), Some(h)) => norm_arch(i.split('/').next().unwrap_or(i)) != norm_arch(h),
        _ => false,
    };
    if !exec_error && !differ {
        return;
    }
    if let (Some(i), Some(arch)) = (image, &img_arch) {
        let mut e = i.evidence.clone();
        e.excerpt = format!("{} \"Architecture\": \"{arch}\"", e.excerpt);
        ev.push(e);
    }
    if let (Some(h), Some(arch)) = (host, &host_arch) {
        ev.push(Evidence::new(
            h.source.clone(),
            None,
            format!("{}: Architecture {arch}", h.command),
        ));
    }
    let cmp = match (&img_arch, &host_arch) {
        (Some(i), Some(h)) if differ => format!(
            " The image `{}` is built for `{i}` and the host is `{h}` ({}).",
            c.image,
            host.map(|h| h.command).unwrap_or("docker info")
        ),
        (Some(i), Some(h)) => format!(" The image says `{i}` and the host `{h}`, so the image's metadata matches; a binary inside it (or a script's interpreter) is for another CPU."),
        (Some(i), None) => format!(" The image is built for `{i}`; no `docker info`/`docker version` in the inputs says the host's architecture."),
        (None, Some(h)) => format!(" The host is `{h}`; no `docker image inspect` of `{}` is in the inputs to say what the image was built for.", c.image),
        (None, None) => " Add `docker image inspect` of the image and `docker info` to compare the architectures.".to_string(),
    };
    let (sev, title, what) = if exec_error {
        (
            Severity::Critical,
            format!("{}: exec format error: its binary is for another CPU architecture", c.name),
            "The kernel refused to run the container's executable with `exec format error` (ENOEXEC): the file is not a program this CPU can run, usually a binary built for another architecture, or a script without a `#!` line.".to_string(),
        )
    } else {
        (
            Severity::Warning,
            format!("{}: image architecture differs from the host's", c.name),
            "The image's architecture differs from the host's; without emulation (binfmt/qemu) its binaries cannot run, and with it they run slowly.".to_string(),
        )
    };
    out.push(finding(
        RuleId::WrongArchitecture,
        sev,
        r,
        title,
        format!("{what}{cmp}"),
        "Pull or build the image for the host's platform (`docker pull --platform linux/amd64 …`, `docker buildx build --platform linux/amd64,linux/arm64 …`), or install binfmt emulation if running a foreign image is intended.".into(),
        ev,
    ));
}

/// Why a probe output shows the probe itself cannot run, and the tool.
fn probe_tool_missing(exit: i64, output: &str) -> Option<String> {
    let o = output.trim();
    if let Some((_, r)) = o.split_once("exec: \"") {
        if o.contains("executable file not found") || o.contains("no such file or directory") {
            return Some(r.split('"').next().unwrap_or("").to_string());
        }
    }
    // `/bin/sh: curl: not found`, `sh: 1: curl: not found`, `bash: curl: command not found`
    for suffix in [
        ": not found",
        ": command not found",
        ": No such file or directory",
    ] {
        if let Some(pre) = o.lines().find_map(|l| l.trim().strip_suffix(suffix)) {
            return Some(pre.rsplit(": ").next().unwrap_or(pre).trim().to_string());
        }
    }
    if exit == 127 || exit == 126 {
        return Some(String::new());
    }
    None
}

/// `health-probe-broken`: the probe fails for its own reasons (its tool is
/// missing: exit 127/126, `executable file not found`).
fn health_probe_broken(r: &ContainerRecord, out: &mut Vec<Finding>) {
    let c = &r.c;
    let Some(h) = c.health.as_ref() else { return };
    // Probes cut by a stop (exit 137, no output) say nothing either way.
    let failing: Vec<_> = h
        .log
        .iter()
        .filter(|p| p.exit_code != 0 && !(p.exit_code == 137 && p.output.trim().is_empty()))
        .collect();
    let Some(last) = failing.last() else { return };
    let Some(tool) = probe_tool_missing(last.exit_code, &last.output) else {
        return;
    };
    let broken = failing
        .iter()
        .filter(|p| probe_tool_missing(p.exit_code, &p.output).is_some())
        .count();
    let mut ev = Vec::new();
    if !c.healthcheck.is_empty() {
        ev.push(c.evidence(
            c.lines.healthcheck,
            format!("\"Test\": {:?}", c.healthcheck),
        ));
    }
    for p in failing.iter().rev().take(2) {
        ev.push(c.evidence(
            None,
            format!(
                "health probe at {}: exit {}: {}",
                p.start.map(|t| t.to_string()).unwrap_or_default(),
                p.exit_code,
                p.output.trim()
            ),
        ));
    }
    let tool_words = if tool.is_empty() {
        format!(
            "exits {} (command not found or not executable)",
            last.exit_code
        )
    } else {
        format!("cannot run: `{tool}` is not in the image")
    };
    out.push(finding(
        RuleId::HealthProbeBroken,
        Severity::Warning,
        r,
        format!("{}: the health probe itself is broken ({tool_words})", c.name),
        format!(
            "{broken} of the {} failing probes in State.Health.Log failed before testing anything: the probe {tool_words}. The health status therefore says nothing about the application; it is the check that needs fixing.",
            failing.len()
        ),
        format!(
            "Use a tool the image has (busybox images have `wget -q --spider`), install {} in the image, or let the application serve its own check (`HEALTHCHECK CMD [\"/app\", \"healthcheck\"]`).",
            if tool.is_empty() { "the probe's tool".to_string() } else { format!("`{tool}`") }
        ),
        ev,
    ));
}

/// `memory-near-limit`: a container at ≥ 90 % of its memory limit in
/// `docker stats --no-stream`.
pub fn memory_near_limit(a: &Analysis, out: &mut Vec<Finding>) {
    for row in &a.stats {
        let pct = match (row.mem_usage, row.mem_limit) {
            (Some(u), Some(l)) if l > 0 => u as f64 * 100.0 / l as f64,
            _ => match row.mem_percent {
                Some(p) => p,
                None => continue,
            },
        };
        if pct < 90.0 {
            continue;
        }
        let rec = a.containers.iter().find(|r| {
            (!row.id.is_empty() && r.c.id.starts_with(&row.id.to_ascii_lowercase()))
                || (!row.name.is_empty() && r.c.name == row.name)
        });
        let mut ev = vec![Evidence::new(
            row.source.clone(),
            Some(row.line),
            row.text.clone(),
        )];
        let limit = row.mem_limit.map(human_bytes).unwrap_or_else(|| "?".into());
        let usage = row.mem_usage.map(human_bytes).unwrap_or_else(|| "?".into());
        let name = if row.name.is_empty() {
            row.id.clone()
        } else {
            row.name.clone()
        };
        let no_limit = rec.is_some_and(|r| r.c.memory_limit == 0);
        if let Some(r) = rec.filter(|r| r.c.memory_limit > 0) {
            ev.push(r.c.evidence(
                r.c.lines.memory,
                format!("\"Memory\": {}", r.c.memory_limit),
            ));
        }
        let title = format!("{name} is at {pct:.1} % of its memory limit ({usage} of {limit})");
        let explanation = format!(
            "`docker stats` shows {name} using {usage} of {limit} ({pct:.1} %).{} The next allocation spike makes the kernel OOM killer end a process in it; page cache and tmpfs count toward the limit too.",
            if no_limit { " No `--memory` limit is set, so the limit shown is the host's memory: the whole host is short." } else { "" }
        );
        let suggestion = "Raise the limit (`docker update --memory …`) if this is the working set, or find what holds the memory (a leak, caches, files in tmpfs) before it is OOM-killed.".to_string();
        match rec {
            Some(r) => out.push(finding(
                RuleId::MemoryNearLimit,
                Severity::Warning,
                r,
                title,
                explanation,
                suggestion,
                ev,
            )),
            None => out.push(Finding {
                rule: RuleId::MemoryNearLimit,
                severity: Severity::Warning,
                container: Some(name),
                image: None,
                title,
                explanation,
                suggestion,
                evidence: ev,
                confidence: super::Confidence::Likely,
                caused_by: None,
            }),
        }
    }
}

fn pull_error(s: &str) -> bool {
    let l = s.to_ascii_lowercase();
    l.contains("toomanyrequests")
        || l.contains("manifest unknown")
        || l.contains("no matching manifest")
        || l.contains("pull access denied")
        || l.contains("unauthorized: ")
        || l.contains("error pulling image")
}

/// `image-pull-failure`: pull errors in dockerd's log (and State.Error).
pub fn image_pull_failure(a: &Analysis, out: &mut Vec<Finding>) {
    for r in &a.containers {
        let c = &r.c;
        if pull_error(&c.error) {
            out.push(finding(
                RuleId::ImagePullFailure,
                Severity::Critical,
                r,
                format!("{}: the image `{}` could not be pulled", c.name, c.image),
                "Docker's State.Error is a registry error: the image was never pulled, so the container could not be created or started.".into(),
                "Check the image name, tag and platform (`docker manifest inspect`), log in to the registry (`docker login`), or wait out / raise the rate limit.".into(),
                vec![c.evidence(c.lines.error, format!("\"Error\": {:?}", c.error))],
            ));
        }
    }
    // Daemon pull errors are per request, not per container: the final
    // handler error of each request (`… /images/create returned error: …`),
    // else the first line of each distinct message.
    let lines: Vec<&DaemonLine> = distinct(
        a.daemon_logs
            .iter()
            .flat_map(|d| d.lines.iter())
            .filter(|l| l.kind == DaemonKind::Pull),
    );
    if lines.is_empty() {
        return;
    }
    let handler: Vec<&&DaemonLine> = lines
        .iter()
        .filter(|l| l.msg.contains("/images/create returned error"))
        .collect();
    let shown: Vec<&DaemonLine> = if handler.is_empty() {
        lines.iter().take(3).copied().collect()
    } else {
        handler.iter().take(3).map(|l| **l).collect()
    };
    let reason = shown
        .first()
        .map(|l| {
            let m = l
                .msg
                .split_once("returned error: ")
                .map(|(_, e)| e)
                .unwrap_or(&l.msg);
            crate::format::clip(m, 160)
        })
        .unwrap_or_default();
    let count = if handler.is_empty() {
        lines.len()
    } else {
        handler.len()
    };
    out.push(Finding {
        rule: RuleId::ImagePullFailure,
        severity: Severity::Critical,
        container: None,
        image: None,
        title: format!("dockerd logged {count} failed image pull(s)"),
        explanation: format!(
            "dockerd's log records pulls that failed: `{reason}`. A container that needs that image cannot be created or restarted until the pull succeeds."
        ),
        suggestion: "Read the registry's answer in the evidence: `toomanyrequests` is Docker Hub's rate limit (log in or use a mirror), `manifest unknown` a wrong tag, `unauthorized` missing credentials, `no matching manifest` an image without the host's platform; a connection error means the registry is unreachable from the host.".into(),
        evidence: shown.iter().map(|l| l.evidence.clone()).collect(),
        confidence: super::Confidence::Likely,
        caused_by: None,
    });
}

/// Cites dockerd's own lines in the findings they confirm: a forced stop
/// in `stop-timeout-kill`, health-check errors in `unhealthy`, restart and
/// runtime errors in the crash and start-up findings.
pub fn daemon_evidence(a: &Analysis, out: &mut [Finding]) {
    if a.daemon_logs.is_empty() {
        return;
    }
    for f in out.iter_mut() {
        let Some(name) = f.container.as_deref() else {
            continue;
        };
        let Some(r) = a.containers.iter().find(|r| r.c.name == name) else {
            continue;
        };
        let kinds: &[DaemonKind] = match f.rule {
            RuleId::StopTimeoutKill => &[DaemonKind::ForcedStop],
            RuleId::Unhealthy | RuleId::HealthProbeBroken => &[DaemonKind::HealthCheck],
            RuleId::CrashLoop => &[DaemonKind::Restart, DaemonKind::Runtime],
            RuleId::CommandNotFound | RuleId::AppErrorExit => &[DaemonKind::Runtime],
            _ => &[],
        };
        for &k in kinds {
            let lines: Vec<_> = daemon_lines(a, r, k).into_iter().take(2).collect();
            if lines.is_empty() {
                continue;
            }
            if k == DaemonKind::ForcedStop {
                if let Some(secs) = lines[0].stop_secs {
                    f.explanation.push_str(&format!(
                        " dockerd's log confirms it: the container failed to exit within {secs} s of SIGTERM and was killed."
                    ));
                }
            }
            for l in lines {
                if !f.evidence.contains(&l.evidence) {
                    f.evidence.push(l.evidence.clone());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn self_signals_in_scripts() {
        assert_eq!(self_signals("echo start; kill -ABRT $$"), vec!["SIGABRT"]);
        assert_eq!(self_signals("kill -s TERM $$"), vec!["SIGTERM"]);
        assert_eq!(
            self_signals("kill -6 1; kill -SIGINT $$"),
            vec!["SIGABRT", "SIGINT"]
        );
        assert!(self_signals("kill -9 $pid; kill $$").is_empty());
        assert!(self_signals("echo kill").is_empty());
    }

    #[test]
    fn heap_sizes() {
        assert_eq!(
            heap_settings("java -Xmx512m -jar a"),
            vec![("-Xmx512m".into(), 512 << 20)]
        );
        assert_eq!(heap_settings("-Xmx2G")[0].1, 2 << 30);
        assert_eq!(
            heap_settings("node --max-old-space-size=4096 x")[0].1,
            4096 << 20
        );
        assert_eq!(heap_settings("GOMEMLIMIT=1GiB")[0].1, 1 << 30);
        assert_eq!(heap_settings("-XX:MaxRAM=1g")[0].1, 1 << 30);
        assert!(heap_settings("-Xmxlots -Xmx99999999999999999999g").is_empty());
    }

    #[test]
    fn rotation_names() {
        assert_eq!(rotation_of("c/abc-json.log.2"), Some(2));
        assert_eq!(rotation_of("c/abc-json.log.3.gz"), Some(3));
        assert_eq!(rotation_of("c/abc-json.log"), None);
        assert_eq!(rotation_of("x.tar!/abc-json.log.1"), Some(1));
    }

    #[test]
    fn probe_outputs() {
        assert_eq!(
            probe_tool_missing(-1, "OCI runtime exec failed: exec failed: unable to start container process: exec: \"curl\": executable file not found in $PATH: unknown").as_deref(),
            Some("curl")
        );
        assert_eq!(
            probe_tool_missing(127, "/bin/sh: curl: not found\n").as_deref(),
            Some("curl")
        );
        assert_eq!(
            probe_tool_missing(1, "wget: can't connect to remote host").as_deref(),
            None
        );
        assert_eq!(probe_tool_missing(127, "").as_deref(), Some(""));
    }

    #[test]
    fn arch_names() {
        assert_eq!(norm_arch("x86_64"), norm_arch("amd64"));
        assert_eq!(norm_arch("aarch64"), norm_arch("arm64"));
        assert_ne!(norm_arch("arm64"), norm_arch("amd64"));
    }
}
