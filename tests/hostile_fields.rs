//! Hostile text in every string field (issue #10, item 2). Real artifacts
//! from `samples/bundle` (every container's inspect file and json-file
//! logs, the kernel ring buffer, docker events) and a real `docker save`
//! archive from `samples/images` are read at test time, and a seeded PRNG
//! plants terminal escapes (OSC title, CSI, C1 CSI), BEL, backspace, CR,
//! NUL, DEL, bidi overrides and isolates, zero-width characters and invalid
//! UTF-8 into their string fields: inspect values, label keys and network
//! names, log lines (those that fire crash-signature, dns-failure and
//! log-errors included), kernel `comm`s, segfault names and cgroup paths,
//! event attributes and actions, image tags, config Env/Cmd, history
//! `created_by`, paths inside layers and an input's file name.
//!
//! Each planted sequence is preceded by a marker `§N§` naming the field it
//! went into, so a leak is reported with its format, field, character and
//! context. The text, Markdown and HTML reports may hold no raw C0 control
//! (line feed and tab aside), DEL, C1, bidi control, line separator or
//! zero-width character; the JSON report must parse back into the same
//! report, planted characters included. Beside the planted text the
//! analysis must still work: the OOM-killed container, its kernel kill, the
//! crash signature, the DNS failure, the segfault and the wasted image file
//! are still found.

use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use coroner::report::schema::Report;
use coroner::report::{render, Format};
use coroner::{run, Config};
use serde_json::Value;

mod common;
use common::{sample, tar_file};

/// The sequences to plant: a name for messages and the bytes. `\u{f8ff}`
/// stands for invalid UTF-8 while a value is a Rust string; it is replaced
/// by raw bad bytes when the file is written.
const SEQS: &[(&str, &str)] = &[
    ("OSC title", "\x1b]0;pwned\x07"),
    ("CSI clear screen", "\x1b[2J"),
    ("CSI red", "\x1b[31m"),
    ("CSI cursor up + erase line", "\x1b[1A\x1b[2K"),
    ("lone ESC", "\x1b"),
    ("C1 CSI", "\u{9b}31m"),
    ("C1 OSC", "\u{9d}0;pwned\u{9c}"),
    ("bidi override RLO", "\u{202e}"),
    ("bidi isolate", "\u{2066}x\u{2069}"),
    ("bidi mark", "\u{200f}\u{061c}"),
    ("zero-width space", "\u{200b}"),
    ("zero-width joiner", "\u{200d}"),
    ("word joiner", "\u{2060}"),
    ("BOM", "\u{feff}"),
    ("tag characters", "\u{e0070}\u{e0077}"),
    ("line separator", "\u{2028}"),
    ("BEL", "\x07"),
    ("backspace", "\x08\x08\x08"),
    ("CR", "\r"),
    ("NUL", "\0"),
    ("DEL", "\x7f"),
    ("vertical tab + form feed", "\x0b\x0c"),
    ("invalid UTF-8", "\u{f8ff}"),
];

/// What `\u{f8ff}` becomes on disk: a stray continuation-less lead byte and
/// a byte that is never valid.
const BAD_UTF8: &[u8] = b"\xff\xc3(";
const PLACEHOLDER: char = '\u{f8ff}';

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn one_in(&mut self, n: u64) -> bool {
        self.next() % n == 0
    }
}

/// The planted fields of one run: marker number → field.
struct Planter {
    rng: Rng,
    fields: Vec<String>,
    /// Every sequence name planted at least once.
    used: BTreeMap<&'static str, usize>,
}

impl Planter {
    fn new(seed: u64) -> Planter {
        Planter {
            rng: Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1),
            fields: Vec::new(),
            used: BTreeMap::new(),
        }
    }

    /// A marker and one to three hostile sequences, recorded as `field`.
    fn plant(&mut self, field: &str) -> String {
        let id = self.fields.len();
        self.fields.push(field.to_string());
        let mut s = format!("§{id}§");
        for _ in 0..1 + self.rng.below(3) {
            let (name, seq) = SEQS[self.rng.below(SEQS.len())];
            *self.used.entry(name).or_default() += 1;
            s.push_str(seq);
        }
        s
    }

    /// `s` with a plant at its start, its end (before a trailing newline)
    /// or after one of its spaces: never inside a word, so the words the
    /// rules look for stay whole.
    fn insert(&mut self, s: &str, field: &str) -> String {
        let p = self.plant(field);
        let body = s.strip_suffix('\n').unwrap_or(s);
        let nl = if body.len() < s.len() { "\n" } else { "" };
        let spaces: Vec<usize> = body.match_indices(' ').map(|(i, _)| i + 1).collect();
        let at = match self.rng.below(3) {
            0 => 0,
            1 => body.len(),
            _ if spaces.is_empty() => body.len(),
            _ => spaces[self.rng.below(spaces.len())],
        };
        format!("{}{}{}{}", &body[..at], p, &body[at..], nl)
    }
}

/// Bytes for disk: every placeholder becomes invalid UTF-8 where raw bytes
/// can really occur (json-file logs, whose reader decodes lossily, kernel
/// lines, tar paths, file names). Inspect, events and image JSON are
/// written by Go's encoder, which never emits invalid UTF-8 (it writes
/// U+FFFD instead), and serde_json rejects such a file whole, so there the
/// placeholder becomes what Docker writes.
fn to_disk(s: &[u8]) -> Vec<u8> {
    replace_placeholder(s, BAD_UTF8)
}

fn to_disk_go_json(s: &[u8]) -> Vec<u8> {
    replace_placeholder(s, "\u{fffd}".as_bytes())
}

/// A planted value as the report will hold it once read from Go JSON.
fn go_json_text(s: &str) -> String {
    s.replace(PLACEHOLDER, "\u{fffd}")
}

fn replace_placeholder(s: &[u8], with: &[u8]) -> Vec<u8> {
    let mut ph = [0u8; 4];
    let ph = PLACEHOLDER.encode_utf8(&mut ph).as_bytes().to_vec();
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i..].starts_with(&ph) {
            out.extend_from_slice(with);
            i += ph.len();
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
    out
}

/// Objects whose keys are data (label names, network names, ports, options),
/// so the keys are planted too.
fn keys_are_data(key: &str) -> bool {
    matches!(
        key,
        "Labels" | "Networks" | "Ports" | "ExposedPorts" | "Volumes" | "Options" | "DriverOpts"
    )
}

/// Plants into every string of `v` (and the keys of data maps) unless
/// `keep` says the field carries structure the asserted analysis needs.
fn plant_json(v: &mut Value, path: &str, who: &str, keep: &dyn Fn(&str) -> bool, p: &mut Planter) {
    match v {
        Value::String(s) => {
            if !keep(path) {
                *s = p.insert(s, &format!("{who} {path}"));
            }
        }
        Value::Array(a) => {
            for x in a.iter_mut() {
                plant_json(x, &format!("{path}[]"), who, keep, p);
            }
        }
        Value::Object(m) => {
            let data_keys = keys_are_data(path.rsplit('.').next().unwrap_or(path));
            let old = std::mem::take(m);
            for (k, mut x) in old {
                let child = if path.is_empty() {
                    k.clone()
                } else if data_keys {
                    format!("{path}.*")
                } else {
                    format!("{path}.{k}")
                };
                plant_json(&mut x, &child, who, keep, p);
                let k = if data_keys && !keep(&format!("{path}{{key}}")) {
                    p.insert(&k, &format!("{who} {path}{{key}}"))
                } else {
                    k
                };
                m.insert(k, x);
            }
        }
        _ => {}
    }
}

/// Containers whose analysis the test checks, and the fields it needs
/// whole for that: ids link logs and kernel cgroups, times place events,
/// status, policy and log driver drive the rules.
const CHECKED: &[&str] = &["pindexer", "ppodlike", "pchatty", "pflapper", "psegv"];

fn structural(path: &str) -> bool {
    matches!(
        path,
        "Id" | "Created"
            | "State.Status"
            | "State.StartedAt"
            | "State.FinishedAt"
            | "HostConfig.RestartPolicy.Name"
            | "HostConfig.LogConfig.Type"
            | "LogPath"
            | "Path"
            | "Args[]"
            | "Config.Cmd[]"
            | "Config.Entrypoint[]"
    )
}

struct Bundle {
    dir: PathBuf,
    planter: Planter,
    /// Container names as planted (without the leading `/`).
    names: HashMap<String, String>,
    /// Whether analysis-carrying fields were planted too (no analysis
    /// assertions then).
    wild: bool,
    segv_comm_planted: bool,
    image_tag: String,
    wasted_path: String,
}

impl Drop for Bundle {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn read_log(path: &Path) -> Vec<u8> {
    let raw = std::fs::read(path).expect("read sample log");
    if path.extension().is_some_and(|e| e == "gz") {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .expect("gunzip sample log");
        out
    } else {
        raw
    }
}

fn write_log(path: &Path, body: &[u8]) {
    if path.extension().is_some_and(|e| e == "gz") {
        let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        z.write_all(body).expect("gzip");
        std::fs::write(path, z.finish().expect("gzip")).expect("write log");
    } else {
        std::fs::write(path, body).expect("write log");
    }
}

fn plant_log(src: &Path, dst: &Path, who: &str, wild: bool, p: &mut Planter) {
    let text = read_log(src);
    let mut out = Vec::new();
    for line in text.split_inclusive(|&b| b == b'\n') {
        let body = line.strip_suffix(b"\n").unwrap_or(line);
        let Ok(mut rec) = serde_json::from_slice::<Value>(body) else {
            out.extend_from_slice(line);
            continue;
        };
        let keep = |path: &str| !wild && matches!(path, "stream" | "time");
        let stream = rec["stream"].as_str().unwrap_or("?").to_string();
        plant_json(
            &mut rec,
            "",
            &format!("json-file log {who} ({stream})"),
            &keep,
            p,
        );
        out.extend_from_slice(&to_disk(&serde_json::to_vec(&rec).expect("json")));
        out.push(b'\n');
    }
    write_log(dst, &out);
}

fn plant_containers(root: &Path, b: &mut Bundle) {
    let src = sample("bundle/containers");
    let mut dirs: Vec<_> = std::fs::read_dir(&src)
        .expect("samples/bundle/containers")
        .map(|e| e.expect("dir entry").path())
        .collect();
    dirs.sort();
    for d in dirs {
        let name = d.file_name().unwrap().to_string_lossy().into_owned();
        let out = root.join("containers").join(&name);
        std::fs::create_dir_all(&out).unwrap();
        let checked = CHECKED.contains(&name.as_str()) && !b.wild;
        let mut files: Vec<_> = std::fs::read_dir(&d)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for f in files {
            let file = f.file_name().unwrap().to_string_lossy().into_owned();
            if file == "inspect.json" {
                let mut v: Value =
                    serde_json::from_slice(&std::fs::read(&f).unwrap()).expect("inspect json");
                if let Some(list) = v.as_array_mut() {
                    for c in list {
                        let keep = |path: &str| checked && structural(path);
                        plant_json(c, "", &format!("inspect {name}:"), &keep, &mut b.planter);
                        if let Some(n) = c["Name"].as_str() {
                            b.names.insert(
                                name.clone(),
                                go_json_text(n.strip_prefix('/').unwrap_or(n)),
                            );
                        }
                    }
                }
                let bytes = to_disk_go_json(&serde_json::to_vec_pretty(&v).unwrap());
                std::fs::write(out.join("inspect.json"), bytes).unwrap();
            } else {
                plant_log(&f, &out.join(&file), &name, b.wild, &mut b.planter);
            }
        }
    }
}

/// The ring buffer with planted `comm`s (OOM victim, `invoked oom-killer`,
/// `Comm:`, `task=`, the process table), segfault names, a cgroup path
/// segment and the tails of other lines.
fn plant_kernel(root: &Path, b: &mut Bundle) {
    let text = std::fs::read_to_string(sample("bundle/host/dmesg.txt")).unwrap();
    let p = &mut b.planter;
    let segv = b.wild || p.rng.one_in(2);
    b.segv_comm_planted = segv;
    let mut out = String::new();
    for line in text.lines() {
        let mut l = line.to_string();
        let mut planted = false;
        for (from, pre, post, field) in [
            ("(dd)", "(d", "d)", "kernel OOM victim comm"),
            ("task=dd,", "task=d", "d,", "kernel oom-kill task="),
            ("Comm: dd ", "Comm: d", "d ", "kernel Comm:"),
            (
                "] dd invoked",
                "] d",
                "d invoked",
                "kernel invoked oom-killer comm",
            ),
            ("/burstable/pod", "/burstable/pod", "", "kernel cgroup path"),
        ] {
            let mut from_byte = 0;
            while let Some(i) = l[from_byte..].find(from).map(|i| i + from_byte) {
                let seq = p.plant(field);
                let with = format!("{pre}{seq}{post}");
                l = format!("{}{with}{}", &l[..i], &l[i + from.len()..]);
                from_byte = i + with.len();
                planted = true;
            }
        }
        if segv {
            for (from, pre, post) in [
                ("] crash[", "] cr", "ash["),
                (" in crash[", " in cr", "ash["),
            ] {
                if let Some(i) = l.find(from) {
                    let seq = p.plant("kernel segfault process name");
                    l = format!("{}{pre}{seq}{post}{}", &l[..i], &l[i + from.len()..]);
                    planted = true;
                }
            }
        }
        if l.ends_with(" dd") {
            l.push_str(&p.plant("kernel process table comm"));
            planted = true;
        }
        if !planted && p.rng.one_in(6) {
            l.push(' ');
            l.push_str(&p.plant("kernel line tail"));
        }
        out.push_str(&l);
        out.push('\n');
    }
    let host = root.join("host");
    std::fs::create_dir_all(&host).unwrap();
    std::fs::write(host.join("dmesg.txt"), to_disk(out.as_bytes())).unwrap();
    for f in ["uptime.txt", "collected-at.txt"] {
        std::fs::copy(sample(&format!("bundle/host/{f}")), host.join(f)).unwrap();
    }
}

/// Docker events with planted attributes (name, image, …), `from` and
/// `Action`; lifecycle actions of the checked containers stay whole.
fn plant_events(root: &Path, b: &mut Bundle, checked_ids: &[String]) {
    let text = std::fs::read(sample("bundle/host/docker-events.jsonl")).unwrap();
    let mut out = Vec::new();
    for line in text.split(|&c| c == b'\n').filter(|l| !l.is_empty()) {
        let mut v: Value = serde_json::from_slice(line).expect("event json");
        let id = v["Actor"]["ID"].as_str().unwrap_or("").to_string();
        let checked = !b.wild && checked_ids.contains(&id);
        let keep = |path: &str| {
            !b.wild
                && (matches!(
                    path,
                    "Type" | "id" | "Actor.ID" | "time" | "timeNano" | "scope"
                ) || (checked && matches!(path, "Action" | "status")))
        };
        plant_json(&mut v, "", "docker event", &keep, &mut b.planter);
        out.extend_from_slice(&to_disk_go_json(&serde_json::to_vec(&v).unwrap()));
        out.push(b'\n');
    }
    std::fs::write(root.join("host/docker-events.jsonl"), out).unwrap();
}

/// A planted path for a path inside a layer: the same plant for the same
/// path in every layer, so overwrites are still seen as such.
fn plant_layer_path(path: &str, cache: &mut HashMap<String, String>, p: &mut Planter) -> String {
    if let Some(x) = cache.get(path) {
        return x.clone();
    }
    let (dir, base) = match path.rfind('/') {
        Some(i) => (&path[..=i], &path[i + 1..]),
        None => ("", path),
    };
    let cut = base.find('.').unwrap_or(base.len()).max(1).min(base.len());
    // A tar path cannot hold NUL: it ends the name.
    let seq = p.plant("image layer file path").replace('\0', "");
    let x = format!("{dir}{}{seq}{}", &base[..cut], &base[cut..]);
    cache.insert(path.to_string(), x.clone());
    x
}

fn plant_layer(data: &[u8], cache: &mut HashMap<String, String>, p: &mut Planter) -> Vec<u8> {
    let mut out = tar::Builder::new(Vec::new());
    let mut a = tar::Archive::new(data);
    for e in a.entries().expect("layer entries") {
        let mut e = e.expect("layer entry");
        let path = e.path().unwrap().to_string_lossy().into_owned();
        let kind = e.header().entry_type();
        let mut body = Vec::new();
        e.read_to_end(&mut body).unwrap();
        let mut h = e.header().clone();
        let new_path = if kind.is_dir() {
            path.clone()
        } else {
            plant_layer_path(&path, cache, p)
        };
        if let Ok(Some(link)) = e.link_name() {
            let link = link.to_string_lossy().into_owned();
            h.set_link_name(raw_path(&plant_layer_path(&link, cache, p)))
                .unwrap();
        }
        out.append_data(&mut h, raw_path(&new_path), &body[..])
            .unwrap();
    }
    out.into_inner().unwrap()
}

/// A path with raw invalid UTF-8 where the placeholder is.
fn raw_path(s: &str) -> PathBuf {
    use std::os::unix::ffi::OsStringExt;
    PathBuf::from(std::ffi::OsString::from_vec(to_disk(s.as_bytes())))
}

/// A real `docker save` archive with planted tags, config (Env, Cmd,
/// history `created_by`, …), v1 layer json and layer paths, under a
/// planted file name.
fn plant_image(root: &Path, b: &mut Bundle) {
    let src = std::fs::read(sample("images/pkg_v1_mutate_testdata_overwritten_file.tar")).unwrap();
    let mut out = tar::Builder::new(Vec::new());
    let mut cache = HashMap::new();
    let p = &mut b.planter;
    let mut a = tar::Archive::new(&src[..]);
    for e in a.entries().unwrap() {
        let mut e = e.unwrap();
        let name = e.path().unwrap().to_string_lossy().into_owned();
        let mut body = Vec::new();
        e.read_to_end(&mut body).unwrap();
        let body = if name == "manifest.json" {
            let mut v: Value = serde_json::from_slice(&body).unwrap();
            for m in v.as_array_mut().into_iter().flatten() {
                for t in m["RepoTags"].as_array_mut().into_iter().flatten() {
                    let s = t.as_str().unwrap_or("").to_string();
                    let tag = format!("{s}{}", p.plant("image tag (manifest.json RepoTags)"));
                    b.image_tag = go_json_text(&tag);
                    *t = Value::String(tag);
                }
            }
            to_disk_go_json(&serde_json::to_vec(&v).unwrap())
        } else if name.ends_with("layer.tar") {
            plant_layer(&body, &mut cache, p)
        } else if name.ends_with(".json") || name.ends_with("/json") {
            let mut v: Value = serde_json::from_slice(&body).unwrap();
            let keep = |path: &str| {
                path.starts_with("rootfs") || matches!(path, "id" | "parent" | "created")
            };
            plant_json(&mut v, "", &format!("image config {name}:"), &keep, p);
            to_disk_go_json(&serde_json::to_vec(&v).unwrap())
        } else {
            body
        };
        tar_file(&mut out, &name, &body);
    }
    b.wasted_path = cache
        .iter()
        .find(|(k, _)| k.trim_start_matches("./") == "foo.txt")
        .map(|(_, v)| {
            let v = String::from_utf8_lossy(&to_disk(v.as_bytes())).into_owned();
            format!("/{}", v.trim_start_matches("./"))
        })
        .unwrap_or_default();
    let seq = p.plant("input file name");
    let mut name = format!("image{seq}.tar").into_bytes();
    name.retain(|&c| c != 0 && c != b'/');
    let name = raw_path(&String::from_utf8_lossy(&name));
    let dir = root.join("images");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), out.into_inner().unwrap()).unwrap();
}

fn build(seed: u64) -> Bundle {
    let dir = std::env::temp_dir().join(format!(
        "coroner-hostile-fields-{}-{seed}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut b = Bundle {
        dir: dir.clone(),
        planter: Planter::new(seed),
        names: HashMap::new(),
        wild: seed % 4 == 3,
        segv_comm_planted: false,
        image_tag: String::new(),
        wasted_path: String::new(),
    };
    plant_containers(&dir, &mut b);
    let ids: Vec<String> = CHECKED
        .iter()
        .filter_map(|n| {
            let v: Value = serde_json::from_slice(
                &std::fs::read(sample(&format!("bundle/containers/{n}/inspect.json"))).ok()?,
            )
            .ok()?;
            Some(v[0]["Id"].as_str()?.to_string())
        })
        .collect();
    plant_kernel(&dir, &mut b);
    plant_events(&dir, &mut b, &ids);
    plant_image(&dir, &mut b);
    b
}

/// Why a character may not appear raw in a human format, if it may not.
fn forbidden(c: char) -> Option<&'static str> {
    Some(match c as u32 {
        0x0a | 0x09 => return None,
        0x1b => "ESC",
        0x00..=0x1f => "C0 control",
        0x7f => "DEL",
        0x80..=0x9f => "C1 control",
        0x061c | 0x200e | 0x200f | 0x202a..=0x202e | 0x2066..=0x2069 => "bidi control",
        0x2028 | 0x2029 => "line/paragraph separator",
        0x180e | 0x200b..=0x200d | 0x2060..=0x2064 | 0xfeff | 0xe0000..=0xe007f => {
            "zero-width/invisible"
        }
        0xf8ff => "invalid-UTF-8 placeholder (test bug: not replaced on disk)",
        _ => return None,
    })
}

/// The field of the nearest marker before byte `at` of `out`.
fn field_before<'a>(out: &str, at: usize, fields: &'a [String]) -> &'a str {
    let mut head = &out[..at];
    while let Some(end) = head.rfind('§') {
        let before = &head[..end];
        if let Some(start) = before.rfind('§') {
            if let Ok(n) = before[start + '§'.len_utf8()..].parse::<usize>() {
                if let Some(f) = fields.get(n) {
                    return f;
                }
            }
        }
        head = before;
    }
    "(no marker before it: not a planted field)"
}

/// The field name without the container or file it came from, so one leak
/// in eighteen containers is one line.
fn generic(field: &str) -> String {
    let mut words: Vec<&str> = field.split(' ').collect();
    if let Some(w) = words.get_mut(1) {
        if w.ends_with(':') {
            *w = "<name>:";
        }
    }
    let s = words.join(" ");
    match s.find(" (") {
        Some(i) if s.starts_with("json-file log ") => format!("json-file log {}", &s[i + 1..]),
        _ => s,
    }
}

struct Leak {
    format: &'static str,
    field: String,
    /// The report section it is in (the last all-capitals heading of the
    /// text report before it; Markdown and HTML headings likewise).
    section: String,
    ch: char,
    context: String,
}

fn leaks(format: &'static str, out: &str, fields: &[String], sink: &mut Vec<Leak>) {
    for (i, c) in out.char_indices() {
        if forbidden(c).is_none() {
            continue;
        }
        let mut lo = i.saturating_sub(40);
        while !out.is_char_boundary(lo) {
            lo -= 1;
        }
        let mut hi = (i + 40).min(out.len());
        while !out.is_char_boundary(hi) {
            hi += 1;
        }
        sink.push(Leak {
            format,
            field: generic(field_before(out, i, fields)),
            section: section_of(out, i),
            ch: c,
            context: format!("{:?}", &out[lo..hi]),
        });
    }
}

/// The heading of the report section holding byte `at`: the last line
/// before it that starts with a word in capitals (text: `CONTAINERS`,
/// `KERNEL (…)`, `IMAGE …`), a Markdown `#` heading or an HTML `<h2>`.
fn section_of(out: &str, at: usize) -> String {
    for line in out[..at].lines().rev() {
        let word: String = line
            .chars()
            .take_while(|c| c.is_ascii_uppercase())
            .collect();
        let heading =
            if word.len() >= 4 && matches!(line[word.len()..].chars().next(), None | Some(' ')) {
                Some(word)
            } else if let Some(h) = line.strip_prefix("## ").or_else(|| line.strip_prefix("# ")) {
                Some(h.chars().take(24).collect())
            } else {
                line.find("<h2")
                    .map(|i| line[i..].chars().take(40).collect())
            };
        if let Some(h) = heading {
            return h;
        }
    }
    "report head".into()
}

/// One line per (format, field, report section): how many raw characters,
/// which, and one context.
fn leak_report(all: &[Leak], seeds: u64, planted: usize) -> String {
    type Group<'a> = (usize, std::collections::BTreeSet<String>, &'a str);
    let mut groups: BTreeMap<(&str, &str, &str), Group> = BTreeMap::new();
    let mut per_format: BTreeMap<&str, usize> = BTreeMap::new();
    for l in all {
        *per_format.entry(l.format).or_default() += 1;
        let g = groups
            .entry((l.format, l.field.as_str(), l.section.as_str()))
            .or_insert((0, Default::default(), l.context.as_str()));
        g.0 += 1;
        g.1.insert(format!(
            "{} U+{:04X}",
            forbidden(l.ch).unwrap_or("?"),
            l.ch as u32
        ));
    }
    let mut msg = format!(
        "{} raw hostile character(s) reached human reports over {seeds} seeds and {planted} \
         planted fields ({per_format:?}); one line per format, planted field and report \
         section:\n",
        all.len()
    );
    for ((format, field, section), (n, chars, ctx)) in &groups {
        let chars: Vec<&str> = chars.iter().map(String::as_str).collect();
        msg.push_str(&format!(
            "  [{format}] {field}, in {section}: {n} raw ({}), e.g. {ctx}\n",
            chars.join(", ")
        ));
    }
    msg
}

fn check_json(r: &Report, seed: u64) {
    let out = render(r, Format::Json);
    let back: Report = serde_json::from_str(&out)
        .unwrap_or_else(|e| panic!("seed {seed}: JSON report does not parse: {e}"));
    // Renderer-only fields (`#[serde(skip)]`: verdicts, name resolution)
    // are not in the JSON; everything that is must come back the same.
    assert!(
        serde_json::to_value(&back).unwrap() == serde_json::to_value(r).unwrap(),
        "seed {seed}: JSON report does not round-trip the report"
    );
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v, serde_json::to_value(r).unwrap(), "seed {seed}");
    if let Some((i, c)) = out
        .char_indices()
        .find(|&(_, c)| (c as u32) < 0x20 && c != '\n')
    {
        panic!("seed {seed}: raw U+{:04X} in JSON at byte {i}", c as u32);
    }
}

fn check_analysis(r: &Report, b: &Bundle, seed: u64) {
    let ctx = |what: &str| format!("seed {seed}: {what} lost beside the planted text");
    let name = |n: &str| b.names.get(n).cloned().unwrap_or_else(|| n.to_string());
    // Logs whose planted inspect no longer names them get records of their
    // own (#11, never silent); the 18 inspected containers are all there.
    assert_eq!(
        r.containers
            .iter()
            .filter(|c| c.matched_by.as_deref() == Some("inspect"))
            .count(),
        18,
        "{}: inputs {:?}, diagnostics {:#?}",
        ctx("a container"),
        r.inputs
            .iter()
            .map(|i| (&i.path, &i.kind))
            .collect::<Vec<_>>(),
        r.diagnostics
    );
    // Every planted name is in the report, verbatim.
    for n in b.names.values() {
        assert!(
            r.containers.iter().any(|c| &c.name == n),
            "seed {seed}: container {n:?} missing"
        );
    }
    let rules = |n: &str| common::rules_of(r, &name(n));
    let idx = common::container(r, &name("pindexer"));
    assert_eq!(
        (idx.exit_code, idx.oom_killed),
        (Some(137), true),
        "{}",
        ctx("pindexer's OOM kill")
    );
    assert!(
        rules("pindexer").contains(&"oom-killed"),
        "{}",
        ctx("oom-killed")
    );
    let k = r
        .kernel
        .oom_kills
        .iter()
        .find(|k| k.pid == 18778)
        .unwrap_or_else(|| panic!("{}: {:#?}", ctx("kernel OOM kill 18778"), r.kernel));
    assert_eq!(
        k.container.as_ref().map(|c| c.unescaped()),
        Some(name("pindexer").as_str()),
        "{}",
        ctx("the cgroup attribution of kill 18778")
    );
    assert!(
        k.process.unescaped().starts_with('d') && k.process.unescaped().contains('§'),
        "seed {seed}: the planted comm is not the process: {:?}",
        k.process
    );
    let pod = r.kernel.oom_kills.iter().find(|k| k.pid == 20251);
    assert_eq!(
        pod.and_then(|k| k.container.as_ref().map(|c| c.unescaped())),
        Some(name("ppodlike").as_str()),
        "{}: {pod:#?}",
        ctx("the attribution of kill 20251 through a planted cgroup path")
    );
    assert_eq!(r.kernel.oom_kills.len(), 4, "{}", ctx("a kernel OOM kill"));
    assert!(
        rules("pchatty").contains(&"crash-signature"),
        "{}: {:?}",
        ctx("pchatty's crash signature"),
        rules("pchatty")
    );
    assert!(
        rules("pchatty").contains(&"log-errors"),
        "{}",
        ctx("log-errors")
    );
    assert!(
        rules("pflapper").contains(&"dns-failure"),
        "{}: {:?}",
        ctx("pflapper's DNS failure"),
        rules("pflapper")
    );
    let segv = r
        .kernel
        .segfaults
        .iter()
        .find(|s| s.pid == 19247)
        .unwrap_or_else(|| panic!("{}", ctx("the segfault of pid 19247")));
    if !b.segv_comm_planted {
        assert_eq!(
            segv.container.as_ref().map(|c| c.unescaped()),
            Some(name("psegv").as_str())
        );
        assert!(rules("psegv").contains(&"segfault"), "{}", ctx("segfault"));
    } else {
        assert!(
            segv.process.unescaped().contains('§'),
            "seed {seed}: {:?}",
            segv.process
        );
    }
    let img = r
        .images
        .iter()
        .find(|i| i.refs.iter().any(|r| r.unescaped() == b.image_tag))
        .unwrap_or_else(|| {
            panic!(
                "{}: {:?}",
                ctx("the planted image tag"),
                r.images.iter().map(|i| &i.refs).collect::<Vec<_>>()
            )
        });
    assert_eq!(img.layers, 3, "{}", ctx("image layers"));
    assert_eq!(img.wasted_bytes, 4, "{}", ctx("the overwritten file"));
    assert!(
        img.wasted_files.iter().any(|w| w.path == b.wasted_path),
        "seed {seed}: wasted file {:?} not in {:?}",
        b.wasted_path,
        img.wasted_files
    );
}

/// Seeds: three of every four keep the fields the checked containers'
/// analysis needs whole; the fourth plants there too.
const SEEDS: u64 = 8;

#[test]
fn hostile_text_in_every_field_never_reaches_a_report_raw() {
    let mut all: Vec<Leak> = Vec::new();
    let mut used: BTreeMap<&str, usize> = BTreeMap::new();
    let mut planted = 0;
    for seed in 0..SEEDS {
        let b = build(seed);
        planted += b.planter.fields.len();
        for (k, n) in &b.planter.used {
            *used.entry(k).or_default() += n;
        }
        let r = run(&Config::new(vec![b.dir.clone()]));
        check_json(&r, seed);
        if !b.wild {
            check_analysis(&r, &b, seed);
        }
        for (format, f) in [
            ("text", Format::Text),
            ("markdown", Format::Markdown),
            ("html", Format::Html),
        ] {
            leaks(format, &render(&r, f), &b.planter.fields, &mut all);
        }
    }
    for (name, _) in SEQS {
        assert!(used.contains_key(name), "sequence {name} never planted");
    }
    assert!(all.is_empty(), "{}", leak_report(&all, SEEDS, planted));
}

/// Found by the `render` fuzz target: an inspect file with an empty `Name`
/// and a non-ASCII `Id` made ingest cut the id at byte 12, inside a
/// character, and panic. The report must name the container from the id's
/// first characters instead, and render.
#[test]
fn empty_name_and_non_ascii_id_do_not_panic() {
    let mut v: Value = serde_json::from_slice(
        &std::fs::read(sample("bundle/containers/pindexer/inspect.json")).unwrap(),
    )
    .unwrap();
    v[0]["Name"] = Value::String(String::new());
    v[0]["Id"] = Value::String("ab\u{202e}\u{fffd}\u{fffd}\u{fffd}cdefghij\u{1b}[2J".into());
    let dir =
        std::env::temp_dir().join(format!("coroner-hostile-fields-{}-id", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("inspect.json"), serde_json::to_vec(&v).unwrap()).unwrap();
    let r = std::panic::catch_unwind(|| run(&Config::new(vec![dir.clone()])));
    let _ = std::fs::remove_dir_all(&dir);
    let r = r.expect("coroner panicked on an empty Name and a non-ASCII Id");
    assert_eq!(r.containers.len(), 1);
    for f in [Format::Text, Format::Markdown, Format::Html, Format::Json] {
        let _ = render(&r, f);
    }
}
