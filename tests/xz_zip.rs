//! `.tar.xz`/`.xz` and `.zip` inputs (issue #11, item 1): the real sosreport
//! as sos ships it, the sample bundle packed both ways giving what the
//! directory gives, and hostile archives built here (bombs, a cut stream,
//! traversal names, overlapping entries, a lying central directory), each
//! beside good files that must still be analysed.

use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use coroner::report::schema::Report;
use coroner::{run, Config};

mod common;

/// Every file under `dir`, sorted, as (path relative to `dir`, bytes).
fn files_under(dir: &Path) -> Vec<(String, Vec<u8>)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .expect("read sample dir")
            .map(|e| e.expect("dir entry").path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).expect("under root");
                let rel = rel.to_string_lossy().replace('\\', "/");
                out.push((rel, std::fs::read(&p).expect("read sample")));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out
}

fn tar_of(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, body) in files {
        common::tar_file(&mut b, name, body);
    }
    b.into_inner().expect("tar")
}

fn xz(data: &[u8]) -> Vec<u8> {
    let mut w = liblzma::write::XzEncoder::new(Vec::new(), 1);
    w.write_all(data).expect("xz write");
    w.finish().expect("xz finish")
}

fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, body) in files {
        w.start_file(*name, opts).expect("zip entry");
        w.write_all(body).expect("zip write");
    }
    w.finish().expect("zip finish").into_inner()
}

/// A scratch directory holding good files beside the hostile one.
struct Case {
    dir: PathBuf,
}

impl Case {
    fn new(name: &str) -> Case {
        let dir = std::env::temp_dir().join(format!("coroner-xzzip-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch dir");
        for (from, to) in [
            ("bundle/containers/pindexer/inspect.json", "good-inspect"),
            ("bundle/host/dmesg.txt", "good-kernel"),
            ("bundle/host/uptime.txt", "uptime"),
            ("bundle/host/collected-at.txt", "collected-at"),
        ] {
            std::fs::copy(common::sample(from), dir.join(to)).expect("copy sample");
        }
        Case { dir }
    }

    fn write(&self, name: &str, bytes: &[u8]) -> &Case {
        std::fs::write(self.dir.join(name), bytes).expect("write case file");
        self
    }

    /// Runs coroner over the directory: the good neighbours must survive
    /// and `bad` must have a diagnostic.
    fn check(&self, bad: &str) -> Report {
        let r = run(&Config::new(vec![self.dir.clone()]));
        let c = common::container(&r, "pindexer");
        assert_eq!((c.exit_code, c.oom_killed), (Some(137), true));
        assert!(r
            .kernel
            .oom_kills
            .iter()
            .any(|k| k.pid == 18778
                && k.container.as_ref().map(|c| c.unescaped()) == Some("pindexer")));
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

fn has_diag(r: &Report, path: &str, words: &str) -> bool {
    r.diagnostics
        .iter()
        .any(|d| d.path.unescaped().contains(path) && d.message.unescaped().contains(words))
}

/// (name, status, exit code, OOMKilled) of every container, sorted.
fn states(r: &Report) -> Vec<(String, String, Option<i64>, bool)> {
    let mut v: Vec<_> = r
        .containers
        .iter()
        .map(|c| {
            (
                c.name.unescaped().to_string(),
                c.status.unescaped().to_string(),
                c.exit_code,
                c.oom_killed,
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn the_real_sosreport_tar_xz_is_read_as_a_bundle() {
    let r = run(&Config::new(vec![common::sample(
        "real-sos/sosreport-prodweb01.tar.xz",
    )]));
    assert!(
        r.inputs.iter().any(
            |i| i.path.unescaped().ends_with("sosreport-prodweb01.tar.xz") && i.kind == "bundle"
        ),
        "{:#?}",
        r.inputs.iter().take(3).collect::<Vec<_>>()
    );
    let names: Vec<&str> = r.containers.iter().map(|c| c.name.unescaped()).collect();
    assert_eq!(names.len(), 18, "{names:?}");
    assert!(names.iter().all(|n| n.starts_with('p')), "{names:?}");
    for (name, exit, oom) in [
        ("pindexer", Some(137), true),
        ("ppodlike", Some(137), true),
        ("psegv", Some(139), false),
        ("pworker", Some(1), false),
        ("pcron", None, false), // running: no exit code (#13)
    ] {
        let c = common::container(&r, name);
        assert_eq!((c.exit_code, c.oom_killed), (exit, oom), "{name}");
    }
    let mut killed: Vec<&str> = r
        .kernel
        .oom_kills
        .iter()
        .filter_map(|k| k.container.as_ref().map(|c| c.unescaped()))
        .collect();
    killed.sort();
    killed.dedup();
    assert_eq!(killed, ["pbatch", "pcron", "pindexer", "ppodlike"]);
    // The ring buffer holds an earlier run of the corpus too (another
    // `crash` segfault, 431 s before): the one of this psegv is attributed,
    // and no segfault goes to another container.
    let segv: Vec<Option<&str>> = r
        .kernel
        .segfaults
        .iter()
        .map(|s| s.container.as_ref().map(|c| c.unescaped()))
        .collect();
    assert!(segv.contains(&Some("psegv")), "{segv:?}");
    assert!(
        segv.iter().all(|c| c.is_none() || *c == Some("psegv")),
        "{segv:?}"
    );
    assert!(common::rules_of(&r, "pindexer").contains(&"oom-killed"));
    assert!(common::rules_of(&r, "psegv").contains(&"segfault"));
    // pstubborn traps TERM and logs `got SIGTERM, ignoring`; Docker's event
    // buffer (256 entries) no longer holds its kill, so its own log is what
    // says SIGTERM came first.
    let stop = r
        .findings
        .iter()
        .find(|f| {
            f.rule.as_str() == "stop-timeout-kill"
                && f.container.as_ref().map(|c| c.unescaped()) == Some("pstubborn")
        })
        .expect("pstubborn stop-timeout-kill");
    assert_eq!(stop.confidence.as_str(), "likely");
    let why = stop.explanation.unescaped();
    assert!(why.contains("got SIGTERM, ignoring"), "{why}");
    assert!(why.contains("traps TERM"), "{why}");
    assert!(!r
        .diagnostics
        .iter()
        .any(|d| d.message.unescaped().contains("cannot decompress")));
}

#[test]
fn the_sample_bundle_as_tar_xz_and_as_zip_gives_the_directory_s_containers() {
    let files = files_under(&common::sample("bundle"));
    assert!(files.len() > 30);
    let direct = run(&Config::new(vec![common::sample("bundle")]));
    let case = Case::new("packed");
    case.write("bundle.tar.xz", &xz(&tar_of(&files)));
    let refs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    case.write("bundle.zip", &zip_of(&refs));
    for name in ["bundle.tar.xz", "bundle.zip"] {
        let r = run(&Config::new(vec![case.dir.join(name)]));
        assert_eq!(states(&r), states(&direct), "{name}");
        assert_eq!(
            r.kernel.oom_kills.len(),
            direct.kernel.oom_kills.len(),
            "{name}"
        );
        assert_eq!(
            r.containers.iter().filter(|c| c.logs.is_some()).count(),
            direct
                .containers
                .iter()
                .filter(|c| c.logs.is_some())
                .count(),
            "{name}: logs, rotated .gz ones too, are read from the members"
        );
        assert!(
            r.inputs.iter().any(|i| i
                .path
                .unescaped()
                .contains(&format!("{name}!/host/docker-inspect-all.json"))
                && i.kind == "inspect"),
            "{name}"
        );
        let mut rules: Vec<_> = r
            .findings
            .iter()
            .map(|f| (f.container.clone(), f.rule.clone()))
            .collect();
        let mut want: Vec<_> = direct
            .findings
            .iter()
            .map(|f| (f.container.clone(), f.rule.clone()))
            .collect();
        rules.sort();
        want.sort();
        assert_eq!(rules, want, "{name}");
    }
}

#[test]
fn a_plain_xz_log_and_a_zip_inside_a_tar_xz() {
    let log_name = "28addf748080e3d7f0a5af4eb4d11fb9874f90b9d7f10f682e885e7eb9324015-json.log";
    let log = std::fs::read(common::sample("bundle/containers/pworker").join(log_name))
        .expect("read log");
    let inspect =
        std::fs::read(common::sample("bundle/containers/pworker/inspect.json")).expect("inspect");
    let case = Case::new("nested");
    let zipped_log = format!("pworker/{log_name}");
    let inner = zip_of(&[("pworker/inspect.json", &inspect), (&zipped_log, &log)]);
    let outer = xz(&tar_of(&[("diag/inner.zip".to_string(), inner)]));
    case.write("outer.tar.xz", &outer);
    case.write(&format!("{log_name}.1.xz"), &xz(&log));
    let r = run(&Config::new(vec![case.dir.clone()]));
    let w = common::container(&r, "pworker");
    assert!(
        w.logs.as_ref().is_some_and(|l| l.lines > 0),
        "{:#?}",
        r.diagnostics
    );
    assert!(r.inputs.iter().any(|i| i
        .path
        .unescaped()
        .ends_with("outer.tar.xz!/diag/inner.zip!/pworker/inspect.json")
        && i.kind == "inspect"));
    assert!(r
        .inputs
        .iter()
        .any(|i| i.path.unescaped().ends_with("-json.log.1.xz") && i.kind == "json-log"));
    assert!(r.inputs.iter().any(|i| i
        .path
        .unescaped()
        .ends_with(&format!("inner.zip!/{zipped_log}"))
        && i.kind == "json-log"));
}

#[test]
fn an_xz_bomb_stops_at_the_cap_within_seconds() {
    // 512 concatenated xz streams of 8 MiB of zeros: 4 GiB once decoded,
    // a few hundred KiB on disk.
    let one = xz(&vec![0u8; 8 << 20]);
    let bomb = one.repeat(512);
    assert!(bomb.len() < 2 << 20, "{}", bomb.len());
    let case = Case::new("xzbomb");
    case.write("bomb.xz", &bomb);
    // The same bomb as a bundle member.
    case.write(
        "bomb-in.tar",
        &tar_of(&[("zeros.xz".to_string(), bomb.clone())]),
    );
    let start = Instant::now();
    let r = case.check("bomb.xz");
    assert!(
        has_diag(&r, "bomb.xz", "exceeds the limit"),
        "{:#?}",
        r.diagnostics
    );
    assert!(
        has_diag(&r, "bomb-in.tar!/zeros.xz", "exceeds the limit"),
        "{:#?}",
        r.diagnostics
    );
    assert!(
        start.elapsed() < Duration::from_secs(60),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn a_truncated_tar_xz_keeps_the_entries_before_the_cut() {
    let files = files_under(&common::sample("bundle"));
    let packed = xz(&tar_of(&files));
    let case = Case::new("cut");
    case.write("cut.tar.xz", &packed[..packed.len() * 2 / 3]);
    let r = case.check("cut.tar.xz");
    assert!(
        has_diag(&r, "cut.tar.xz", "cannot decompress (xz)"),
        "{:#?}",
        r.diagnostics
    );
    assert!(
        r.inputs
            .iter()
            .filter(|i| i.path.unescaped().contains("cut.tar.xz!/"))
            .count()
            > 10,
        "entries before the cut are used"
    );
    // Every offset of a small one: no panic, always a diagnostic.
    let small = xz(&tar_of(&files[..3]));
    let mut cut = 1;
    while cut < small.len() {
        let r = run(&Config::new(vec![{
            case.write("c.tar.xz", &small[..cut]);
            case.dir.join("c.tar.xz")
        }]));
        assert!(!r.diagnostics.is_empty(), "cut at {cut}");
        cut += 97;
    }
}

#[test]
fn zip_bombs_deflate_and_overlapping_entries() {
    let zeros = vec![0u8; 256 << 20];
    let deflated = zip_of(&[("zeros.bin", &zeros)]);
    drop(zeros);
    assert!(deflated.len() < 1 << 20);
    // Overlapping entries: 200 central-directory records over one
    // 16 MiB deflate stream (3.2 GB if each were decoded).
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    w.start_file("a", opts).expect("entry");
    w.write_all(&vec![0u8; 16 << 20]).expect("write");
    for i in 0..200 {
        w.shallow_copy_file("a", &format!("copy{i:03}"))
            .expect("shallow copy");
    }
    let overlapping = w.finish().expect("finish").into_inner();
    let case = Case::new("zipbombs");
    case.write("deflate-bomb.zip", &deflated);
    case.write("overlap.zip", &overlapping);
    let start = Instant::now();
    let r = case.check("deflate-bomb.zip");
    assert!(
        has_diag(&r, "deflate-bomb.zip!/zeros.bin", "exceeds the limit"),
        "{:#?}",
        r.diagnostics
    );
    assert!(
        has_diag(&r, "overlap.zip", "overlapping-entry zip bomb"),
        "{:#?}",
        r.diagnostics
    );
    assert_eq!(
        r.inputs
            .iter()
            .filter(|i| i.path.unescaped().contains("overlap.zip!/"))
            .count(),
        1,
        "only the first entry over the shared data is read"
    );
    assert!(
        start.elapsed() < Duration::from_secs(60),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn zip_traversal_and_absolute_names_are_reported_never_followed() {
    let inspect =
        std::fs::read(common::sample("bundle/containers/pworker/inspect.json")).expect("inspect");
    let z = zip_of(&[
        ("../../etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n"),
        ("/etc/shadow", b"root:*:1::::::\n"),
        ("..\\..\\windows\\win.ini", b"[fonts]\n"),
        ("ok/../../inspect.json", &inspect),
    ]);
    let case = Case::new("traversal");
    case.write("evil.zip", &z);
    let r = case.check("evil.zip");
    assert!(
        has_diag(&r, "evil.zip", "would escape the archive"),
        "{:#?}",
        r.diagnostics
    );
    assert!(has_diag(&r, "evil.zip", "\"../../etc/passwd\""));
    // Names stay verbatim (no joining), and what they hold is still read.
    assert!(r.inputs.iter().any(|i| i
        .path
        .unescaped()
        .ends_with("evil.zip!/ok/../../inspect.json")
        && i.kind == "inspect"));
    assert!(r
        .inputs
        .iter()
        .any(|i| i.path.unescaped().ends_with("evil.zip!/etc/shadow")));
    assert_eq!(common::container(&r, "pworker").exit_code, Some(1));
    assert!(!case.dir.join("etc").exists(), "nothing is extracted");
}

/// Offsets of every central-directory record (signature PK\1\2).
fn central_records(z: &[u8]) -> Vec<usize> {
    z.windows(4)
        .enumerate()
        .filter(|(_, w)| *w == b"PK\x01\x02")
        .map(|(i, _)| i)
        .collect()
}

#[test]
fn a_central_directory_that_lies_about_sizes() {
    let inspect =
        std::fs::read(common::sample("bundle/containers/pworker/inspect.json")).expect("inspect");
    let big = "x".repeat(100_000);
    let mut z = zip_of(&[
        ("small-claim.txt", big.as_bytes()),
        ("large-claim.txt", b"short body\n"),
        ("huge-claim.txt", b"tiny\n"),
        ("pworker.json", &inspect),
    ]);
    let recs = central_records(&z);
    assert_eq!(recs.len(), 4);
    // Uncompressed size is at offset 24 of a central-directory record.
    z[recs[0] + 24..recs[0] + 28].copy_from_slice(&10u32.to_le_bytes());
    z[recs[1] + 24..recs[1] + 28].copy_from_slice(&5000u32.to_le_bytes());
    z[recs[2] + 24..recs[2] + 28].copy_from_slice(&u32::MAX.to_le_bytes());
    let case = Case::new("liar");
    case.write("liar.zip", &z);
    let r = case.check("liar.zip");
    assert!(
        has_diag(
            &r,
            "liar.zip!/small-claim.txt",
            "holds more than the 10 bytes"
        ),
        "{:#?}",
        r.diagnostics
    );
    assert!(
        has_diag(
            &r,
            "liar.zip!/large-claim.txt",
            "where the zip directory declares 5000"
        ),
        "{:#?}",
        r.diagnostics
    );
    // A 4 GiB claim in a tiny archive is never allocated: it is refused
    // against the archive's decompressed-size budget.
    assert!(
        has_diag(&r, "liar.zip!/huge-claim.txt", "decompressed-size limit"),
        "{:#?}",
        r.diagnostics
    );
    assert_eq!(common::container(&r, "pworker").exit_code, Some(1));
    // Cut zips and garbage after the magic: a diagnostic, never a panic.
    let good = zip_of(&[("pworker.json", &inspect)]);
    for cut in (1..good.len()).step_by(173) {
        case.write("cut.zip", &good[..cut]);
        let r = run(&Config::new(vec![case.dir.join("cut.zip")]));
        assert!(
            !r.diagnostics.is_empty() || !r.containers.is_empty(),
            "cut at {cut}"
        );
    }
}
