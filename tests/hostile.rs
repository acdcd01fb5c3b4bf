//! Hostile and damaged inputs, built in code the way tar-rs builds its
//! malicious tarballs. Each case sits beside a good inspect file and a good
//! kernel log: both must still be fully analysed, and the bad input must have
//! a diagnostic. Guards issue #4.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use coroner::report::schema::Report;
use coroner::report::{render, Format};
use coroner::{run, Config};

struct Case {
    dir: PathBuf,
}

impl Case {
    fn new(name: &str) -> Case {
        let dir =
            std::env::temp_dir().join(format!("coroner-hostile-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(
            sample("bundle/containers/pindexer/inspect.json"),
            dir.join("good-inspect"),
        )
        .unwrap();
        std::fs::copy(sample("bundle/host/dmesg.txt"), dir.join("good-kernel")).unwrap();
        std::fs::copy(sample("bundle/host/uptime.txt"), dir.join("uptime")).unwrap();
        std::fs::copy(
            sample("bundle/host/collected-at.txt"),
            dir.join("collected-at"),
        )
        .unwrap();
        Case { dir }
    }

    fn write(&self, name: &str, bytes: &[u8]) -> &Case {
        let p = self.dir.join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(p, bytes).unwrap();
        self
    }

    /// Runs coroner and checks the good neighbours survived and `bad` has a diagnostic.
    fn check(&self, bad: &str) -> Report {
        let r = run(&Config::new(vec![self.dir.clone()]));
        good_neighbours_survived(&r);
        assert!(
            r.diagnostics
                .iter()
                .any(|d| d.path.unescaped().contains(bad)),
            "no diagnostic mentions {bad}: {:#?}",
            r.diagnostics
        );
        r
    }
}

impl Drop for Case {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn good_neighbours_survived(r: &Report) {
    let c = r
        .containers
        .iter()
        .find(|c| c.name == "pindexer")
        .expect("the good inspect file is still analysed");
    assert_eq!((c.exit_code, c.oom_killed), (Some(137), true));
    let k = r
        .kernel
        .oom_kills
        .iter()
        .find(|k| k.pid == 18778)
        .expect("the good kernel log is still analysed");
    assert_eq!(
        k.container.as_ref().map(|s| s.unescaped()),
        Some("pindexer")
    );
    assert!(r.findings.iter().any(|f| f.rule == "oom-killed"));
}

fn tar_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, body) in entries {
        let mut h = tar::Header::new_gnu();
        h.set_size(body.len() as u64);
        h.set_mode(0o644);
        // set_path refuses `..`; write the raw name like a hostile tool would.
        let raw = name.as_bytes();
        let gnu = h.as_gnu_mut().unwrap();
        gnu.name[..raw.len().min(100)].copy_from_slice(&raw[..raw.len().min(100)]);
        h.set_cksum();
        b.append(&h, *body).unwrap();
    }
    b.into_inner().unwrap()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn no_raw_escapes(r: &Report) {
    for f in [Format::Text, Format::Markdown] {
        let out = render(r, f);
        assert!(
            !out.chars().any(|c| (c as u32) < 0x20 && c != '\n'
                || c == '\u{7f}'
                || ('\u{80}'..='\u{9f}').contains(&c)
                || c == '\u{202e}'),
            "raw control character in {f:?} output"
        );
    }
}

#[test]
fn traversal_names_are_kept_verbatim_and_reported() {
    let evil = tar_of(&[
        ("../../etc/cron.d/evil", b"* * * * * root sh\n"),
        ("/etc/passwd", b"root:x:0:0\n"),
        ("dir\\..\\..\\win", b"x"),
    ]);
    let c = Case::new("traversal");
    c.write("evil.tar", &evil);
    let r = c.check("evil.tar");
    assert!(
        r.diagnostics
            .iter()
            .any(|d| d.message.unescaped().contains("../../etc/cron.d/evil")),
        "{:#?}",
        r.diagnostics
    );
    assert!(!Path::new("/etc/cron.d/evil").exists());
}

#[test]
fn truncation_at_every_offset_of_a_bundle_never_panics() {
    let inspect = std::fs::read(sample("bundle/containers/pworker/inspect.json")).unwrap();
    let log = std::fs::read(sample("bundle/containers/pworker/28addf748080e3d7f0a5af4eb4d11fb9874f90b9d7f10f682e885e7eb9324015-json.log")).unwrap();
    let full = tar_of(&[
        ("inspect.json", &inspect),
        (
            "28addf748080e3d7f0a5af4eb4d11fb9874f90b9d7f10f682e885e7eb9324015-json.log",
            &log,
        ),
    ]);
    let c = Case::new("truncation");
    let mut cut = 1;
    while cut < full.len() {
        c.write("cut.tar", &full[..cut]);
        let r = c.check("cut.tar");
        no_raw_escapes(&r);
        cut += 211;
    }
}

#[test]
fn a_header_claiming_two_to_the_sixty_bytes_is_damage_not_an_allocation() {
    let mut t = tar_of(&[("big.bin", b"abc")]);
    // base-256 size field: 0x80 then big-endian 2^60.
    let size = &mut t[124..136];
    size.fill(0);
    size[0] = 0x80;
    size[4] = 0x10;
    let mut h = tar::Header::new_old();
    h.as_mut_bytes().copy_from_slice(&t[..512]);
    h.set_cksum();
    t[..512].copy_from_slice(h.as_bytes());
    let c = Case::new("huge-header");
    c.write("huge.tar", &t);
    c.check("huge.tar");
}

#[test]
fn gzip_and_zstd_bombs_stop_at_the_cap_within_seconds() {
    // 512 frames (zstd) or members (gzip) of 8 MiB of zeros: 4 GiB once
    // inflated, a few hundred KiB on disk.
    let zeros = vec![0u8; 8 << 20];
    let z = zstd::encode_all(&zeros[..], 1).unwrap();
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(&zeros).unwrap();
    let g = e.finish().unwrap();
    let zbomb = z.repeat(512);
    let gbomb = g.repeat(512);
    let c = Case::new("bombs");
    c.write("bomb.zst", &zbomb).write("bomb.gz", &gbomb);
    let start = Instant::now();
    let r = c.check("bomb.zst");
    assert!(
        r.diagnostics
            .iter()
            .any(|d| d.path.unescaped().contains("bomb.gz")
                && d.message.unescaped().contains("limit")),
        "{:#?}",
        r.diagnostics
    );
    assert!(
        start.elapsed() < Duration::from_secs(30),
        "took {:?}",
        start.elapsed()
    );
}

#[test]
fn json_two_hundred_thousand_levels_deep_is_refused() {
    let mut deep = "[".repeat(200_000);
    deep.push_str(&"]".repeat(200_000));
    let mut obj = String::from("[{\"Id\":\"x\",\"State\":");
    obj.push_str(&"{\"a\":".repeat(200_000));
    let c = Case::new("deep-json");
    c.write("deep.json", deep.as_bytes())
        .write("deep-obj.json", obj.as_bytes());
    let r = c.check("deep.json");
    assert!(r
        .diagnostics
        .iter()
        .any(|d| d.path.unescaped().contains("deep-obj.json")));
}

#[test]
fn random_bytes_under_artifact_names_are_unknown() {
    let mut seed: u64 = 0x9e3779b97f4a7c15;
    let mut random = vec![0u8; 70_000];
    for b in random.iter_mut() {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        *b = seed as u8;
    }
    let c = Case::new("random");
    c.write("inspect.json", &random)
        .write(
            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef-json.log.1.gz",
            &random,
        )
        .write("dmesg.txt", &random)
        .write("image/layer.tar", &random);
    let r = c.check("inspect.json");
    for bad in ["json.log.1.gz", "dmesg.txt", "layer.tar"] {
        assert!(
            r.diagnostics
                .iter()
                .any(|d| d.path.unescaped().contains(bad)),
            "{bad}"
        );
    }
}

#[test]
fn archives_nested_twelve_deep_stop_at_the_limit() {
    let mut data = std::fs::read(sample("bundle/containers/pworker/inspect.json")).unwrap();
    for depth in 0..12 {
        let name = format!("level-{depth}");
        data = gzip(&tar_of(&[(&name, &data)]));
    }
    let c = Case::new("nested");
    c.write("matryoshka.tar.gz", &data);
    let r = c.check("matryoshka.tar.gz");
    assert!(
        r.diagnostics
            .iter()
            .any(|d| d.message.unescaped().contains("nested")),
        "{:#?}",
        r.diagnostics
    );
}

#[test]
fn empty_files_get_a_diagnostic() {
    let c = Case::new("empty");
    c.write("empty-inspect.json", b"")
        .write("containers/x/x-json.log", b"");
    let r = c.check("empty-inspect.json");
    assert!(r
        .diagnostics
        .iter()
        .any(|d| d.path.unescaped().contains("x-json.log")));
}

#[test]
fn inspect_with_wrong_types_and_duplicate_keys_costs_fields_not_containers() {
    let weird = br#"[{"Id":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","Id":"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
        "Name":5,"State":{"Status":["exited"],"ExitCode":"139","OOMKilled":"yes","StartedAt":42,"Health":"bad"},
        "RestartCount":null,"Config":{"Env":"notalist","Cmd":{"a":1},"ExposedPorts":[]},"HostConfig":{"PortBindings":{"80/tcp":"x"},"Memory":-1},
        "Mounts":{"x":1},"NetworkSettings":null}]"#;
    let c = Case::new("weird-inspect");
    c.write("weird.json", weird);
    let r = run(&Config::new(vec![c.dir.clone()]));
    good_neighbours_survived(&r);
    let w = r
        .containers
        .iter()
        .find(|x| x.id.unescaped().starts_with("bbbb"))
        .expect("the odd container is kept");
    assert_eq!(w.exit_code, Some(139));
}

#[test]
fn escape_sequences_in_logs_and_names_are_shown_escaped() {
    let id = "1111111111111111111111111111111111111111111111111111111111111111";
    let inspect = format!(
        r#"[{{"Id":"{id}","Name":"/evil\u001b]0;pwned\u0007","State":{{"Status":"exited","ExitCode":1,"StartedAt":"2026-11-29T03:20:00Z","FinishedAt":"2026-11-29T03:20:01Z"}},"Config":{{"Image":"x"}},"HostConfig":{{"LogConfig":{{"Type":"json-file"}}}}}}]"#
    );
    let log = concat!(
        r#"{"log":"\u001b[2J\u001b[31mERROR: \u202edenied\u009b\n","stream":"stderr","time":"2026-11-29T03:20:00.5Z"}"#,
        "\n",
        r#"{"log":"panic: <script>alert(1)</script> [x](javascript:alert(1))\n","stream":"stderr","time":"2026-11-29T03:20:00.6Z"}"#,
        "\n"
    );
    let c = Case::new("escapes");
    c.write("evil/inspect.json", inspect.as_bytes())
        .write(&format!("evil/{id}-json.log"), log.as_bytes());
    let r = run(&Config::new(vec![c.dir.clone()]));
    good_neighbours_survived(&r);
    no_raw_escapes(&r);
    // Outside code fences (where text is inert) no markup from input survives.
    let md = render(&r, Format::Markdown);
    let mut prose = String::new();
    let mut fence: Option<String> = None;
    for line in md.lines() {
        let ticks: String = line.chars().take_while(|&c| c == '`').collect();
        match &fence {
            Some(f) if ticks.len() >= f.len() && line.trim_start_matches('`').is_empty() => {
                fence = None
            }
            Some(_) => {}
            None if ticks.len() >= 3 => fence = Some(ticks),
            None => {
                prose.push_str(line);
                prose.push('\n');
            }
        }
    }
    // Inline code spans are inert too (#13: quoted input is a real code
    // span): take them out, as a CommonMark reader would.
    let prose = strip_code_spans(&prose);
    assert!(md.contains("alert"), "the evidence is shown");
    assert!(!prose.contains("<script>"), "raw HTML in Markdown");
    assert!(!prose.contains("](javascript"), "live link in Markdown");
}

/// `s` without its code spans: a backtick run, up to the next run of the
/// same length (an unmatched run is literal text).
fn strip_code_spans(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(k) = rest.find('`') {
        let n = rest[k..].chars().take_while(|&c| c == '`').count();
        let after = &rest[k + n..];
        let mut close = None;
        let mut i = 0;
        while let Some(j) = after[i..].find('`') {
            let m = after[i + j..].chars().take_while(|&c| c == '`').count();
            if m == n {
                close = Some(i + j);
                break;
            }
            i += j + m;
        }
        out.push_str(&rest[..k]);
        match close {
            Some(at) => rest = &after[at + n..],
            None => {
                out.push_str(&rest[k..k + n]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

// ---- tar format edge cases and parser differentials (#4) ----

use coroner::archive::{compress, tar_index};
use coroner::Limits;

mod common;
use common::sample;

/// A raw ustar header; `size` is written as octal as long as it fits.
fn raw_header(name: &str, size: u64, kind: u8) -> [u8; 512] {
    let mut h = tar::Header::new_ustar();
    let raw = name.as_bytes();
    {
        let u = h.as_ustar_mut().unwrap();
        u.name[..raw.len().min(100)].copy_from_slice(&raw[..raw.len().min(100)]);
    }
    h.set_size(size);
    h.set_mode(0o644);
    h.set_entry_type(tar::EntryType::new(kind));
    h.set_cksum();
    *h.as_bytes()
}

fn pad(body: &[u8]) -> Vec<u8> {
    let mut v = body.to_vec();
    v.resize(body.len().div_ceil(512) * 512, 0);
    v
}

/// One PAX record, `"%d %s=%s\n"` with the length counting itself.
fn pax_record(key: &str, value: &[u8]) -> Vec<u8> {
    let rest = key.len() + value.len() + 3;
    let mut n = rest + 1;
    while n.to_string().len() + rest != n {
        n = n.to_string().len() + rest;
    }
    let mut r = format!("{n} {key}=").into_bytes();
    r.extend_from_slice(value);
    r.push(b'\n');
    r
}

fn end_marker() -> Vec<u8> {
    vec![0u8; 1024]
}

/// The names GNU tar lists, when it is installed.
fn gnu_tar_list(data: &[u8]) -> Option<Vec<String>> {
    let p = std::env::temp_dir().join(format!(
        "coroner-gnutar-{}-{}.tar",
        std::process::id(),
        data.len()
    ));
    std::fs::write(&p, data).ok()?;
    let out = std::process::Command::new("tar")
        .arg("-tf")
        .arg(&p)
        .output()
        .ok();
    let _ = std::fs::remove_file(&p);
    let out = out?;
    Some(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(String::from)
            .collect(),
    )
}

fn index_names(data: &[u8]) -> Vec<String> {
    tar_index::index_slice(data, &Limits::default())
        .entries
        .into_iter()
        .map(|e| e.path)
        .collect()
}

/// An inner tar hidden in a body: a parser that trusts the wrong size reads
/// `smuggled.txt` as an entry of the outer archive.
fn smuggled_inner() -> Vec<u8> {
    let mut inner = raw_header("smuggled.txt", 5, b'0').to_vec();
    inner.extend(pad(b"evil\n"));
    inner
}

#[test]
fn rustsec_2025_0110_pax_size_with_zero_ustar_size_is_honoured() {
    // TARmageddon (CVE-2025-62518): ustar size 0, PAX size = the body.
    let body = smuggled_inner();
    let pax = pax_record("size", body.len().to_string().as_bytes());
    let mut t = raw_header("PaxHeaders/outer.bin", pax.len() as u64, b'x').to_vec();
    t.extend(pad(&pax));
    t.extend(raw_header("outer.bin", 0, b'0'));
    t.extend(pad(&body));
    t.extend(raw_header("after.txt", 3, b'0'));
    t.extend(pad(b"ok\n"));
    t.extend(end_marker());
    let names = index_names(&t);
    assert_eq!(names, ["outer.bin", "after.txt"]);
    if let Some(gnu) = gnu_tar_list(&t) {
        assert_eq!(names, gnu, "coroner and GNU tar disagree");
    }
    let idx = tar_index::index_slice(&t, &Limits::default());
    assert_eq!(idx.entries[0].size, body.len() as u64);
}

#[test]
fn rustsec_2026_0068_pax_size_overrides_a_nonzero_ustar_size() {
    // tar <= 0.4.44 ignored PAX size when the ustar size was nonzero.
    let body = smuggled_inner();
    let pax = pax_record("size", body.len().to_string().as_bytes());
    let mut t = raw_header("PaxHeaders/outer.bin", pax.len() as u64, b'x').to_vec();
    t.extend(pad(&pax));
    t.extend(raw_header("outer.bin", 1, b'0'));
    t.extend(pad(&body));
    t.extend(end_marker());
    let names = index_names(&t);
    assert_eq!(names, ["outer.bin"]);
    if let Some(gnu) = gnu_tar_list(&t) {
        assert_eq!(names, gnu, "coroner and GNU tar disagree");
    }
}

#[test]
fn rustsec_2026_0145_pax_size_does_not_apply_to_a_gnu_long_name_header() {
    // A PAX `size` must describe the next file, not an intervening GNU `L`
    // header; applying it to the `L` header desynchronises the walk.
    let body = b"real body\n";
    let pax = pax_record("size", body.len().to_string().as_bytes());
    let long = format!("{}/long-name.txt", "d".repeat(120));
    let mut lname = long.clone().into_bytes();
    lname.push(0);
    let mut t = raw_header("PaxHeaders/x", pax.len() as u64, b'x').to_vec();
    t.extend(pad(&pax));
    t.extend(raw_header("././@LongLink", lname.len() as u64, b'L'));
    t.extend(pad(&lname));
    t.extend(raw_header("short", body.len() as u64, b'0'));
    t.extend(pad(body));
    t.extend(raw_header("after.txt", 3, b'0'));
    t.extend(pad(b"ok\n"));
    t.extend(end_marker());
    let names = index_names(&t);
    assert_eq!(names, [long.as_str(), "after.txt"]);
    if let Some(gnu) = gnu_tar_list(&t) {
        assert_eq!(names, gnu, "coroner and GNU tar disagree");
    }
}

#[test]
fn rustsec_2026_0067_symlink_then_directory_is_indexed_never_followed() {
    // tar's unpack_in chmod-ed the target of `x -> /etc` when a directory
    // `x/` followed. coroner never unpacks: both stay index entries.
    let mut t = Vec::new();
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::Symlink);
    h.set_size(0);
    h.set_mode(0o777);
    h.as_gnu_mut().unwrap().name[..1].copy_from_slice(b"x");
    h.set_link_name("/etc").unwrap();
    h.set_cksum();
    t.extend_from_slice(h.as_bytes());
    t.extend(raw_header("x/", 0, b'5'));
    t.extend(raw_header("x/inspect.json", 2, b'0'));
    t.extend(pad(b"{}"));
    t.extend(end_marker());
    let idx = tar_index::index_slice(&t, &Limits::default());
    assert_eq!(idx.entries.len(), 3);
    assert_eq!(idx.entries[0].link.as_deref(), Some("/etc"));
    if let Some(gnu) = gnu_tar_list(&t) {
        assert_eq!(index_names(&t), gnu);
    }
    let c = Case::new("rustsec-0067");
    c.write("chmod.tar", &t);
    let before = std::fs::metadata("/etc").map(|m| m.permissions());
    let r = run(&Config::new(vec![c.dir.clone()]));
    good_neighbours_survived(&r);
    assert_eq!(
        std::fs::metadata("/etc").map(|m| m.permissions()).ok(),
        before.ok()
    );
}

/// A reader that hands out one byte per call.
struct OneByte<R>(R);

impl<R: std::io::Read> std::io::Read for OneByte<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        self.0.read(&mut buf[..1])
    }
}

#[test]
fn short_reads_give_the_same_entries_as_the_slice_index() {
    let inspect = std::fs::read(sample("bundle/containers/pworker/inspect.json")).unwrap();
    let t = tar_of(&[
        ("a/inspect.json", &inspect),
        ("b.txt", b"hello"),
        ("c", &[7u8; 1500]),
    ]);
    let want: Vec<(String, u64)> = tar_index::index_slice(&t, &Limits::default())
        .entries
        .into_iter()
        .map(|e| (e.path, e.size))
        .collect();
    let walk = |r: &mut dyn std::io::Read| {
        let mut got = Vec::new();
        let err = tar_index::walk_stream(r, &Limits::default(), |e, body| {
            let mut n = 0u64;
            let mut b = [0u8; 1];
            while let Ok(1) = body.read(&mut b) {
                n += 1;
            }
            assert_eq!(n, e.size, "{}", e.path);
            got.push((e.path, e.size));
        });
        assert_eq!(err, None);
        got
    };
    assert_eq!(walk(&mut OneByte(&t[..])), want);
    // Through the decoder, gzip and zstd, one byte at a time in and out.
    for packed in [gzip(&t), zstd::encode_all(&t[..], 1).unwrap()] {
        let d = compress::decoder(&packed, 1 << 20).unwrap();
        assert_eq!(walk(&mut OneByte(d)), want);
        let mut all = Vec::new();
        let mut d = OneByte(compress::decoder(&packed, 1 << 20).unwrap());
        std::io::copy(&mut d, &mut all).unwrap();
        assert_eq!(all, t);
    }
}

#[test]
fn an_endless_chain_of_partial_records_stays_under_the_line_limit() {
    let id = "2222222222222222222222222222222222222222222222222222222222222222";
    let mut log = String::new();
    let chunk = "A".repeat(16 * 1024);
    // 4 MiB of one logical line that never ends with \n.
    for i in 0..256 {
        log.push_str(&format!(
            r#"{{"log":"{chunk}","stream":"stdout","time":"2026-11-29T03:20:{:02}.{:06}Z"}}"#,
            i / 100 % 60,
            i
        ));
        log.push('\n');
    }
    let c = Case::new("partial-chain");
    c.write(&format!("chain/{id}-json.log"), log.as_bytes());
    let mut cfg = Config::new(vec![c.dir.clone()]);
    cfg.limits.max_line_bytes = 256 * 1024;
    let r = run(&cfg);
    good_neighbours_survived(&r);
    assert!(
        r.diagnostics.iter().any(|d| d.path.unescaped().contains(id)
            && (d.message.unescaped().contains("max-line-bytes")
                || d.message.unescaped().contains("longer than"))),
        "{:#?}",
        r.diagnostics
    );
    for f in [Format::Text, Format::Markdown, Format::Json] {
        assert!(
            render(&r, f).len() < 2 << 20,
            "{f:?} report holds the whole chain"
        );
    }
}

fn link_entry(name: &str, target: &str, kind: tar::EntryType) -> Vec<u8> {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(kind);
    h.set_size(0);
    h.set_mode(0o777);
    let raw = name.as_bytes();
    h.as_gnu_mut().unwrap().name[..raw.len()].copy_from_slice(raw);
    let t = target.as_bytes();
    h.as_gnu_mut().unwrap().linkname[..t.len()].copy_from_slice(t);
    h.set_cksum();
    h.as_bytes().to_vec()
}

#[test]
fn symlink_loops_and_links_outside_are_never_resolved() {
    let inspect = std::fs::read(sample("bundle/containers/pworker/inspect.json")).unwrap();
    let mut bundle = Vec::new();
    bundle.extend(link_entry("loop-a", "loop-b", tar::EntryType::Symlink));
    bundle.extend(link_entry("loop-b", "loop-a", tar::EntryType::Symlink));
    bundle.extend(link_entry("self", "self", tar::EntryType::Symlink));
    bundle.extend(link_entry("shadow", "/etc/shadow", tar::EntryType::Symlink));
    bundle.extend(link_entry(
        "up",
        "../../../../etc/passwd",
        tar::EntryType::Symlink,
    ));
    bundle.extend(link_entry("hard", "/etc/shadow", tar::EntryType::Link));
    bundle.extend(tar_of(&[("inspect.json", &inspect)]));
    // Image archive: manifest points a layer at a symlink loop.
    let manifest = br#"[{"Config":"cfg.json","RepoTags":["evil:1"],"Layers":["l1/layer.tar","loop/layer.tar"]}]"#;
    let cfg = br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:aa","sha256:bb"]},"history":[]}"#;
    let layer = {
        let mut l = link_entry("etc/passwd", "/etc/passwd", tar::EntryType::Symlink);
        l.extend(link_entry("x", "x", tar::EntryType::Symlink));
        l.extend(end_marker());
        l
    };
    let mut image = tar_of(&[
        ("manifest.json", manifest),
        ("cfg.json", cfg),
        ("l1/layer.tar", &layer),
    ]);
    image.truncate(image.len() - 1024);
    image.extend(link_entry(
        "loop/layer.tar",
        "loop/layer.tar",
        tar::EntryType::Symlink,
    ));
    image.extend(end_marker());
    let c = Case::new("links");
    c.write("links.tar", &bundle).write("image.tar", &image);
    let start = Instant::now();
    let r = run(&Config::new(vec![c.dir.clone()]));
    good_neighbours_survived(&r);
    assert!(
        r.containers.iter().any(|x| x.name == "pworker"),
        "the member after the links is read"
    );
    assert!(start.elapsed() < Duration::from_secs(20));
    no_raw_escapes(&r);
}

#[test]
fn bogus_size_fields_are_damage_not_allocations() {
    let c = Case::new("sizes");
    // Negative (base-256 with the sign bit), overflowing octal, garbage.
    let mut neg = raw_header("neg.bin", 0, b'0');
    neg[124..136].fill(0xff);
    let mut over = raw_header("over.bin", 0, b'0');
    over[124..136].copy_from_slice(b"77777777777\0");
    over[124] = b'7';
    let mut junk = raw_header("junk.bin", 0, b'0');
    junk[124..136].copy_from_slice(b"12z4\0\0\0\0\0\0\0\0");
    for (name, h) in [("neg.tar", neg), ("over.tar", over), ("junk.tar", junk)] {
        let mut h2 = tar::Header::new_old();
        h2.as_mut_bytes().copy_from_slice(&h);
        h2.set_cksum();
        let mut t = h2.as_bytes().to_vec();
        t.extend(pad(b"abc"));
        t.extend(end_marker());
        let _ = tar_index::index_slice(&t, &Limits::default());
        c.write(name, &t);
    }
    let r = run(&Config::new(vec![c.dir.clone()]));
    good_neighbours_survived(&r);
}

#[test]
fn pax_records_with_huge_or_bogus_size_and_path_are_diagnosed() {
    let c = Case::new("pax");
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "pax-huge-size.tar",
            pax_record("size", b"99999999999999999999999"),
        ),
        ("pax-neg-size.tar", pax_record("size", b"-1")),
        ("pax-bogus-len.tar", b"99999999 path=x\n".to_vec()),
        ("pax-zero-len.tar", b"0 path=x\n".to_vec()),
        (
            "pax-long-path.tar",
            pax_record("path", "p/".repeat(40_000).as_bytes()),
        ),
    ];
    for (name, pax) in &cases {
        let mut t = raw_header("PaxHeaders/f", pax.len() as u64, b'x').to_vec();
        t.extend(pad(pax));
        t.extend(raw_header("f", 3, b'0'));
        t.extend(pad(b"abc"));
        t.extend(end_marker());
        let _ = tar_index::index_slice(&t, &Limits::default());
        c.write(name, &t);
    }
    // A PAX header claiming 1 GiB: refused before it is read.
    let mut t = raw_header("PaxHeaders/big", 1 << 30, b'x').to_vec();
    t.extend(pad(b"30 path=aaaaaaaaaaaaaaaaaaaaa\n"));
    c.write("pax-1gib.tar", &t);
    let r = c.check("pax-1gib.tar");
    let long = r
        .diagnostics
        .iter()
        .any(|d| d.path.unescaped().contains("pax-long-path.tar"));
    assert!(
        long,
        "a PAX path over --max-path-bytes is diagnosed: {:#?}",
        r.diagnostics
    );
}

#[test]
fn gnu_long_names_over_the_limit_are_diagnosed() {
    let mut lname = "n/".repeat(3000).into_bytes();
    lname.push(0);
    let mut t = raw_header("././@LongLink", lname.len() as u64, b'L').to_vec();
    t.extend(pad(&lname));
    t.extend(raw_header("f", 3, b'0'));
    t.extend(pad(b"abc"));
    t.extend(end_marker());
    let c = Case::new("gnu-long");
    c.write("long.tar", &t);
    let mut cfg = Config::new(vec![c.dir.clone()]);
    cfg.limits.max_path_bytes = 4096;
    let r = run(&cfg);
    good_neighbours_survived(&r);
    assert!(
        r.diagnostics
            .iter()
            .any(|d| d.path.unescaped().contains("long.tar")
                && d.message.unescaped().contains("max-path-bytes")),
        "{:#?}",
        r.diagnostics
    );
}

#[test]
fn sparse_entries_multi_member_gzip_and_trailing_garbage() {
    let inspect = std::fs::read(sample("bundle/containers/pworker/inspect.json")).unwrap();
    let c = Case::new("misc-tar");
    // GNU sparse entry ('S') with a map claiming far more than the body.
    let s = {
        let mut h = tar::Header::new_gnu();
        h.as_gnu_mut().unwrap().name[..10].copy_from_slice(b"sparse.bin");
        h.set_size(512);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::GNUSparse);
        let g = h.as_gnu_mut().unwrap();
        g.sparse[0].offset.copy_from_slice(b"77777777770\0");
        g.sparse[0].numbytes.copy_from_slice(b"00000001000\0");
        g.realsize.copy_from_slice(b"77777777777\0");
        h.set_cksum();
        *h.as_bytes()
    };
    let mut sparse = s.to_vec();
    sparse.extend(vec![b'x'; 512]);
    sparse.extend(tar_of(&[("inspect.json", &inspect)]));
    c.write("sparse.tar", &sparse);
    // A bundle split over two gzip members.
    let t = tar_of(&[("inspect.json", &inspect)]);
    let mut mm = gzip(&t[..1024]);
    mm.extend(gzip(&t[1024..]));
    c.write("multi.tar.gz", &mm);
    // Garbage after the end-of-archive marker: ignored, like GNU tar.
    let mut g = tar_of(&[("inspect.json", &inspect)]);
    g.extend(b"\x1b]0;garbage\x07 after the end");
    c.write("garbage.tar", &g);
    let r = run(&Config::new(vec![c.dir.clone()]));
    good_neighbours_survived(&r);
    no_raw_escapes(&r);
    let kinds: Vec<(&str, &str)> = r
        .inputs
        .iter()
        .map(|i| (i.path.unescaped(), i.kind.as_str()))
        .collect();
    assert!(
        r.inputs.iter().any(
            |i| i.path.unescaped().contains("multi.tar.gz!/inspect.json") && i.kind == "inspect"
        ),
        "{kinds:?}"
    );
    assert!(
        r.inputs.iter().any(
            |i| i.path.unescaped().contains("garbage.tar!/inspect.json") && i.kind == "inspect"
        ),
        "{kinds:?}"
    );
}

#[test]
fn extension_headers_over_the_limit_are_refused_before_they_are_read() {
    // A 2 MiB PAX header and a 2 MiB GNU long name, each followed by a good
    // member: refused with a diagnostic naming --max-header-bytes.
    let inspect = std::fs::read(sample("bundle/containers/pworker/inspect.json")).unwrap();
    let before = tar_of(&[("before/inspect.json", &inspect)]);
    let before = &before[..before.len() - 1024];
    let big = pax_record("comment", &vec![b'c'; 2 << 20]);
    let mut pax = before.to_vec();
    pax.extend(raw_header("PaxHeaders/f", big.len() as u64, b'x'));
    pax.extend(pad(&big));
    pax.extend(raw_header("f", 3, b'0'));
    pax.extend(pad(b"abc"));
    pax.extend(end_marker());
    let mut lname = vec![b'n'; 2 << 20];
    lname.push(0);
    let mut gnu = before.to_vec();
    gnu.extend(raw_header("././@LongLink", lname.len() as u64, b'L'));
    gnu.extend(pad(&lname));
    gnu.extend(raw_header("g", 3, b'0'));
    gnu.extend(pad(b"abc"));
    gnu.extend(end_marker());
    for t in [&pax, &gnu] {
        let idx = tar_index::index_slice(t, &Limits::default());
        assert_eq!(idx.entries.len(), 1, "the member before is kept");
        assert!(
            idx.error
                .as_ref()
                .is_some_and(|e| e.to_string().contains("--max-header-bytes")),
            "{:?}",
            idx.error
        );
        let err = tar_index::walk_stream(OneByte(&t[..]), &Limits::default(), |_, _| {});
        assert!(
            err.as_ref()
                .is_some_and(|e| e.to_string().contains("--max-header-bytes")),
            "{err:?}"
        );
        // Raising the limit lets both through.
        let lim = Limits {
            max_header_bytes: 4 << 20,
            max_path_bytes: 4 << 20,
            ..Limits::default()
        };
        assert_eq!(tar_index::index_slice(t, &lim).entries.len(), 2);
    }
    let c = Case::new("ext-headers");
    c.write("pax-big.tar", &pax).write("gnu-big.tar", &gnu);
    let r = c.check("pax-big.tar");
    for bad in ["pax-big.tar", "gnu-big.tar"] {
        assert!(
            r.diagnostics
                .iter()
                .any(|d| d.path.unescaped().contains(bad)
                    && d.message.unescaped().contains("max-header-bytes")),
            "{bad}: {:#?}",
            r.diagnostics
        );
        assert!(r.inputs.iter().any(|i| i
            .path
            .unescaped()
            .contains(&format!("{bad}!/before/inspect.json"))
            && i.kind == "inspect"));
    }
}
