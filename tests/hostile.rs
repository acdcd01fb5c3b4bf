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

fn sample(p: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(p)
}

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
            r.diagnostics.iter().any(|d| d.path.contains(bad)),
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
    assert_eq!((c.exit_code, c.oom_killed), (137, true));
    let k = r
        .kernel
        .oom_kills
        .iter()
        .find(|k| k.pid == 18778)
        .expect("the good kernel log is still analysed");
    assert_eq!(k.container.as_deref(), Some("pindexer"));
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
            .any(|d| d.message.contains("../../etc/cron.d/evil")),
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
            .any(|d| d.path.contains("bomb.gz") && d.message.contains("limit")),
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
        .any(|d| d.path.contains("deep-obj.json")));
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
        assert!(r.diagnostics.iter().any(|d| d.path.contains(bad)), "{bad}");
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
        r.diagnostics.iter().any(|d| d.message.contains("nested")),
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
    assert!(r.diagnostics.iter().any(|d| d.path.contains("x-json.log")));
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
        .find(|x| x.id.starts_with("bbbb"))
        .expect("the odd container is kept");
    assert_eq!(w.exit_code, 139);
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
    assert!(md.contains("alert"), "the evidence is shown");
    assert!(!prose.contains("<script>"), "raw HTML in Markdown");
    assert!(!prose.contains("](javascript"), "live link in Markdown");
}
