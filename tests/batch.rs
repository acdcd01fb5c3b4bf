//! `coroner batch` end to end (issue #6): one report and one index line per
//! bundle, a broken bundle never stops the batch, re-runs skip up-to-date
//! bundles, shards partition the bundles, output does not depend on
//! `--jobs`, and DuckDB reads the index.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;
use std::process::Command as Std;
use std::time::{Duration, SystemTime};

use assert_cmd::Command;
use serde_json::Value;

mod common;
use common::sample;

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            fs::copy(e.path(), dest).unwrap();
        }
    }
}

/// Sets the modification time of everything under `p` to `t`.
fn set_mtime(p: &Path, t: SystemTime) {
    if p.is_dir() {
        for e in fs::read_dir(p).unwrap() {
            set_mtime(&e.unwrap().path(), t);
        }
    }
    fs::File::open(p).unwrap().set_modified(t).unwrap();
}

const NAMES: [&str; 5] = [
    "bloated.tar",
    "broken.bin",
    "host-a",
    "host-b.tar.gz",
    "host-papi",
];

/// Five bundles: a directory copy of the sample bundle, a .tar.gz of it, a
/// directory with one container, an image archive, and random bytes.
fn fleet(with_broken: bool) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("in");
    fs::create_dir_all(&dir).unwrap();
    copy_dir(&sample("bundle"), &dir.join("host-a"));
    copy_dir(
        &sample("bundle/containers/papi"),
        &dir.join("host-papi/containers/papi"),
    );
    let gz = flate2::write::GzEncoder::new(
        fs::File::create(dir.join("host-b.tar.gz")).unwrap(),
        flate2::Compression::fast(),
    );
    let mut tar = tar::Builder::new(gz);
    tar.append_dir_all("bundle", sample("bundle")).unwrap();
    tar.into_inner().unwrap().finish().unwrap();
    fs::copy(
        sample("images/pbloated_1.0.oci-gzip.tar"),
        dir.join("bloated.tar"),
    )
    .unwrap();
    if with_broken {
        fs::write(dir.join("broken.bin"), common::noise(4096)).unwrap();
    }
    // Inputs collected an hour ago: reports written now are strictly newer
    // whatever the filesystem's timestamp granularity.
    set_mtime(&dir, SystemTime::now() - Duration::from_secs(3600));
    tmp
}

fn batch(tmp: &Path, out: &str, extra: &[&str]) -> std::process::Output {
    Command::cargo_bin("coroner")
        .unwrap()
        .arg("batch")
        .arg(tmp.join("in"))
        .arg("--out")
        .arg(tmp.join(out))
        .args(extra)
        .output()
        .unwrap()
}

fn index(tmp: &Path, out: &str) -> Vec<Value> {
    fs::read_to_string(tmp.join(out).join("index.ndjson"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn names(lines: &[Value]) -> Vec<String> {
    lines
        .iter()
        .map(|l| l["bundle"].as_str().unwrap().to_string())
        .collect()
}

fn without(v: &Value, keys: &[&str]) -> Value {
    let mut v = v.clone();
    for k in keys {
        v.as_object_mut().unwrap().remove(*k);
    }
    v
}

#[test]
fn one_report_and_line_per_bundle_and_a_broken_one_does_not_stop_the_batch() {
    let tmp = fleet(true);
    let out = batch(
        tmp.path(),
        "out",
        &["--format", "json,md,html", "--jobs", "2"],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a failed bundle exits 2: {stderr}"
    );
    assert!(stderr.contains("1 bundle(s) failed"), "{stderr}");
    assert!(
        stdout.contains("5 bundle(s): 4 analysed, 0 up to date, 1 failed"),
        "{stdout}"
    );
    // Not a terminal: no progress bar on stderr.
    assert!(!stderr.contains("bundles "), "{stderr}");

    let lines = index(tmp.path(), "out");
    assert_eq!(names(&lines), NAMES, "one line per bundle, sorted by name");
    for (l, name) in lines.iter().zip(NAMES) {
        for ext in ["json", "md", "html"] {
            let p = tmp.path().join("out").join(format!("{name}.{ext}"));
            assert!(p.is_file(), "{} missing", p.display());
        }
        assert_eq!(l["skipped"], false);
        for key in [
            "path",
            "report",
            "containers",
            "critical",
            "warning",
            "info",
            "rules",
            "images",
            "wasted_bytes",
            "oom_kills",
            "duration_ms",
            "error",
        ] {
            assert!(l.get(key).is_some(), "{name}: {key} missing");
        }
    }
    let by = |n: &str| lines.iter().find(|l| l["bundle"] == n).unwrap().clone();
    let broken = by("broken.bin");
    assert!(broken["error"]
        .as_str()
        .unwrap()
        .contains("no input could be read"));
    for n in ["host-a", "host-b.tar.gz", "host-papi", "bloated.tar"] {
        assert!(by(n)["error"].is_null(), "{n}: {}", by(n)["error"]);
    }
    // The directory and its tarball are the same incident.
    let a = by("host-a");
    assert_eq!(a["containers"], 18);
    // 11: pflapper's dns-failure is its crash loop's root cause and as severe (#12).
    assert_eq!(a["critical"], 11);
    assert_eq!(a["oom_kills"], 4);
    let rules: Vec<&str> = a["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert!(rules.windows(2).all(|w| w[0] < w[1]), "sorted, unique");
    assert!(rules.contains(&"oom-killed") && rules.contains(&"unhealthy"));
    assert_eq!(
        without(&a, &["bundle", "path", "report", "duration_ms"]),
        without(
            &by("host-b.tar.gz"),
            &["bundle", "path", "report", "duration_ms"]
        )
    );
    assert_eq!(by("host-papi")["containers"], 1);
    let bloated = by("bloated.tar");
    assert_eq!(bloated["images"], serde_json::json!(["pbloated:1.0"]));
    assert_eq!(bloated["wasted_bytes"], 8_291_456);
    // The HTML report of a bundle is the HTML renderer's page.
    let html = fs::read_to_string(tmp.path().join("out/host-a.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("pindexer"));
}

#[test]
fn exit_codes_follow_fail_on_and_failures() {
    let tmp = fleet(false);
    let ok = batch(tmp.path(), "o1", &["--format", "json"]);
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let crit = batch(
        tmp.path(),
        "o2",
        &["--format", "json", "--fail-on", "critical"],
    );
    assert_eq!(crit.status.code(), Some(1));
    let tmp = fleet(true);
    let both = batch(
        tmp.path(),
        "o3",
        &["--format", "json", "--fail-on", "warning"],
    );
    assert_eq!(
        both.status.code(),
        Some(2),
        "a failed bundle outranks --fail-on"
    );
    for bad in [
        &["--shard", "0/2"][..],
        &["--shard", "3/2"],
        &["--format", "pdf"],
    ] {
        let out = batch(tmp.path(), "o4", bad);
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
    }
    let missing = Command::cargo_bin("coroner")
        .unwrap()
        .args(["batch", "/nonexistent/coroner-batch-dir", "--out"])
        .arg(tmp.path().join("o5"))
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("cannot read the batch directory"));
}

#[test]
fn a_second_run_skips_up_to_date_bundles_and_keeps_their_facts() {
    let tmp = fleet(true);
    batch(tmp.path(), "out", &["--format", "json,html"]);
    let first = index(tmp.path(), "out");
    let report_before = fs::read(tmp.path().join("out/host-a.json")).unwrap();

    let second_run = batch(tmp.path(), "out", &["--format", "json,html"]);
    assert!(String::from_utf8_lossy(&second_run.stdout)
        .contains("5 bundle(s): 0 analysed, 4 up to date, 1 failed"));
    let second = index(tmp.path(), "out");
    assert_eq!(names(&second), NAMES);
    for (a, b) in first.iter().zip(&second) {
        assert_eq!(b["skipped"], true, "{}", b["bundle"]);
        assert_eq!(
            without(a, &["duration_ms", "skipped"]),
            without(b, &["duration_ms", "skipped"])
        );
    }
    assert_eq!(
        fs::read(tmp.path().join("out/host-a.json")).unwrap(),
        report_before
    );

    // A file changed after the reports: that bundle, and only it, is redone.
    let later = SystemTime::now() + Duration::from_secs(3600);
    fs::File::open(tmp.path().join("in/host-papi/containers/papi/inspect.json"))
        .unwrap()
        .set_modified(later)
        .unwrap();
    batch(tmp.path(), "out", &["--format", "json,html"]);
    let third = index(tmp.path(), "out");
    for l in &third {
        let redone = l["bundle"] == "host-papi";
        assert_eq!(l["skipped"], !redone, "{}", l["bundle"]);
    }
    set_mtime(
        &tmp.path().join("in/host-papi"),
        SystemTime::now() - Duration::from_secs(3600),
    );
    // A report written by another version of coroner is redone.
    let old = tmp.path().join("out/bloated.tar.json");
    let mut v: Value = serde_json::from_slice(&fs::read(&old).unwrap()).unwrap();
    v["tool"]["version"] = "0.0.0-old".into();
    fs::write(&old, serde_json::to_vec(&v).unwrap()).unwrap();
    batch(tmp.path(), "out", &["--format", "json,html"]);
    for l in &index(tmp.path(), "out") {
        let redone = l["bundle"] == "bloated.tar";
        assert_eq!(l["skipped"], !redone, "{}", l["bundle"]);
    }
    // Asking for a format not yet written redoes every bundle.
    batch(tmp.path(), "out", &["--format", "json,md"]);
    assert!(index(tmp.path(), "out")
        .iter()
        .all(|l| l["skipped"] == false));
}

fn fnv1a64(s: &str) -> u64 {
    s.bytes().fold(0xcbf29ce484222325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100000001b3)
    })
}

#[test]
fn shards_partition_the_bundles_by_name_hash() {
    let tmp = fleet(true);
    batch(tmp.path(), "s1", &["--format", "json", "--shard", "1/2"]);
    batch(tmp.path(), "s2", &["--format", "json", "--shard", "2/2"]);
    let s1: BTreeSet<String> = names(&index(tmp.path(), "s1")).into_iter().collect();
    let s2: BTreeSet<String> = names(&index(tmp.path(), "s2")).into_iter().collect();
    assert!(s1.is_disjoint(&s2), "{s1:?} {s2:?}");
    let all: BTreeSet<String> = s1.union(&s2).cloned().collect();
    let expected: BTreeSet<String> = NAMES.iter().map(|s| s.to_string()).collect();
    assert_eq!(all, expected);
    // The documented rule, computed independently.
    for n in NAMES {
        let k = fnv1a64(n) % 2 + 1;
        assert!(if k == 1 { &s1 } else { &s2 }.contains(n), "{n}");
    }
    // Reports exist only for the shard's own bundles.
    for n in &s1 {
        assert!(tmp.path().join(format!("s1/{n}.json")).is_file());
        assert!(!tmp.path().join(format!("s2/{n}.json")).exists());
    }
}

#[test]
fn output_does_not_depend_on_jobs() {
    let tmp = fleet(true);
    let formats = ["--format", "json,md,html"];
    batch(tmp.path(), "j1", &[&formats[..], &["--jobs", "1"]].concat());
    batch(tmp.path(), "j2", &[&formats[..], &["--jobs", "2"]].concat());
    let mut files: Vec<String> = fs::read_dir(tmp.path().join("j1"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files.len(), 5 * 3 + 1);
    for f in &files {
        let a = fs::read(tmp.path().join("j1").join(f)).unwrap();
        let b = fs::read(tmp.path().join("j2").join(f)).unwrap();
        if f == "index.ndjson" {
            let strip = |bytes: &[u8]| -> Vec<Value> {
                String::from_utf8_lossy(bytes)
                    .lines()
                    .map(|l| without(&serde_json::from_str(l).unwrap(), &["duration_ms"]))
                    .collect()
            };
            assert_eq!(strip(&a), strip(&b));
        } else {
            assert!(a == b, "{f} differs between --jobs 1 and --jobs 2");
        }
    }
}

#[test]
fn duckdb_reads_the_index() {
    let has_duckdb = Std::new("python3")
        .args(["-c", "import duckdb"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_duckdb {
        let required = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false")
            || std::env::var("CORONER_REQUIRE_DUCKDB").as_deref() == Ok("1");
        if std::env::var("CORONER_SKIP_DUCKDB").as_deref() == Ok("1") || !required {
            eprintln!("SKIPPED: python3 -c 'import duckdb' fails (python3 -m pip install duckdb); CI=true makes this a failure");
            return;
        }
        panic!("the duckdb Python module is missing: python3 -m pip install duckdb, or set CORONER_SKIP_DUCKDB=1 to skip");
    }
    let tmp = fleet(true);
    batch(tmp.path(), "out/1", &["--format", "json", "--shard", "1/2"]);
    batch(tmp.path(), "out/2", &["--format", "json", "--shard", "2/2"]);
    let script = r#"
import duckdb, json, sys
glob = sys.argv[1] + '/out/*/index.ndjson'
con = duckdb.connect()
res = {}
res['by_status'] = con.sql(f"""
    SELECT error IS NULL AS ok, count(*) AS bundles, sum(containers) AS containers, sum(oom_kills) AS ooms
    FROM read_json_auto('{glob}') GROUP BY ok ORDER BY ok""").fetchall()
res['waste'] = con.sql(f"""
    SELECT image, max(wasted_bytes) AS wasted
    FROM (SELECT unnest(images) AS image, wasted_bytes
          FROM read_json_auto('{glob}') WHERE image_contents = 1)
    GROUP BY image ORDER BY wasted DESC, image""").fetchall()
res['contents'] = con.sql(f"""
    SELECT bundle, image_contents, wasted_bytes FROM read_json_auto('{glob}')
    WHERE error IS NULL ORDER BY wasted_bytes DESC, bundle LIMIT 1""").fetchall()
res['oom'] = con.sql(f"""
    SELECT bundle, oom_kills FROM read_json_auto('{glob}')
    WHERE oom_kills > 0 ORDER BY oom_kills DESC, bundle""").fetchall()
print(json.dumps(res, default=str))
"#;
    let out = Std::new("python3")
        .args(["-c", script])
        .arg(tmp.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let res: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        res["by_status"],
        serde_json::json!([[false, 1, 0, 0], [true, 4, 37, 8]]),
        "{res}"
    );
    assert_eq!(
        res["waste"],
        serde_json::json!([["pbloated:1.0", 8_291_456]]),
        "{res}"
    );
    assert_eq!(
        res["contents"],
        serde_json::json!([["bloated.tar", 1, 8_291_456]]),
        "{res}"
    );
    assert_eq!(
        res["oom"],
        serde_json::json!([["host-a", 4], ["host-b.tar.gz", 4]]),
        "{res}"
    );
}

/// The limits of `report` apply to every bundle of a batch.
#[test]
fn limit_flags_reach_every_bundle() {
    let tmp = fleet(false);
    let out = batch(tmp.path(), "out", &["--max-member-bytes", "4096"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_str(
        &fs::read_to_string(tmp.path().join("out/host-b.tar.gz.json")).unwrap(),
    )
    .unwrap();
    let capped = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| {
            d["message"]
                .as_str()
                .unwrap_or("")
                .contains("--max-member-bytes")
        })
        .count();
    assert!(capped > 0, "{:#}", report["diagnostics"]);
    // Without the flag the same bundle has no such diagnostic.
    let out = batch(tmp.path(), "plain", &[]);
    assert!(out.status.success());
    let plain = fs::read_to_string(tmp.path().join("plain/host-b.tar.gz.json")).unwrap();
    assert!(!plain.contains("--max-member-bytes"));
}

/// Issue #15: a real job runner. Four shards run under GNU parallel; their
/// indexes, concatenated, equal the full run's index line for line
/// (ignoring `duration_ms`), and `--list-shard` names exactly the bundles
/// each shard took.
#[test]
fn four_shards_under_gnu_parallel_equal_the_full_run() {
    let has_parallel = Std::new("parallel")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_parallel {
        let required = std::env::var("CI").as_deref() == Ok("true")
            || std::env::var("CORONER_REQUIRE_PARALLEL").as_deref() == Ok("1");
        if !required {
            eprintln!("SKIPPED: GNU parallel is not installed (apt-get install parallel); CI=true makes this a failure");
            return;
        }
        panic!("GNU parallel is missing: apt-get install parallel");
    }
    let tmp = fleet(true);
    batch(tmp.path(), "full", &["--format", "json"]);
    let bin = assert_cmd::cargo::cargo_bin("coroner");
    let status = Std::new("parallel")
        .args(["--will-cite", "--halt", "never", "-j", "4"])
        .arg(format!(
            "{} batch {} --out {}/shard-{{}} --shard {{}}/4 --format json --jobs 1 --progress never",
            bin.display(),
            tmp.path().join("in").display(),
            tmp.path().display()
        ))
        .args([":::", "1", "2", "3", "4"])
        .output()
        .unwrap();
    // One shard holds broken.bin, which fails (exit 2) by design.
    assert!(
        matches!(status.status.code(), Some(0) | Some(1)),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let strip = |v: &Value| without(v, &["duration_ms"]).to_string();
    let mut union: Vec<(String, String)> = Vec::new();
    for k in 1..=4 {
        let lines = index(tmp.path(), &format!("shard-{k}"));
        let listed = Command::cargo_bin("coroner")
            .unwrap()
            .args(["batch", "--list-shard", &format!("{k}/4")])
            .arg(tmp.path().join("in"))
            .output()
            .unwrap();
        assert_eq!(listed.status.code(), Some(0));
        let listed: Vec<String> = String::from_utf8(listed.stdout)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect();
        assert_eq!(listed, names(&lines), "--list-shard {k}/4");
        union.extend(
            lines
                .iter()
                .map(|l| (l["bundle"].as_str().unwrap().to_string(), strip(l))),
        );
    }
    union.sort();
    let full: Vec<String> = index(tmp.path(), "full").iter().map(strip).collect();
    let shards: Vec<String> = union.into_iter().map(|(_, l)| l).collect();
    assert_eq!(shards.len(), NAMES.len());
    assert_eq!(shards, full);
}

/// Issue #15: `--progress lines` writes one line per bundle on stderr for a
/// job runner's log, and the summary gives the rate.
#[test]
fn progress_lines_and_rate() {
    let tmp = fleet(false);
    let out = batch(
        tmp.path(),
        "p",
        &["--format", "json", "--progress", "lines"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("coroner: ["))
        .collect();
    assert_eq!(lines.len(), NAMES.len() - 1, "{stderr}");
    assert!(lines.iter().any(|l| l.contains("host-a: ok")), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("bundles/s"), "{stdout}");
}
