//! The flow runs one way (issue #10, ARCHITECTURE.md): archive → ingest →
//! correlate → rules → report, with `format`, `model` and `time` at the
//! bottom. This test reads every `crate::` path in `src/` and fails on an
//! arrow that runs back up, so the layering cannot erode unnoticed.

use std::collections::BTreeSet;
use std::path::Path;

/// What each top-level module may name with `crate::`.
const ALLOWED: &[(&str, &[&str])] = &[
    ("format", &[]),
    ("time", &[]),
    ("model", &["time"]),
    ("archive", &["model"]),
    ("ingest", &["model", "archive", "time", "format"]),
    (
        "correlate",
        &["ingest", "model", "archive", "time", "format"],
    ),
    // rules use redact's secret *detection* (names and values), not its
    // report walk.
    (
        "rules",
        &["correlate", "ingest", "model", "time", "format", "redact"],
    ),
    (
        "report",
        &[
            "rules",
            "correlate",
            "ingest",
            "model",
            "time",
            "format",
            "redact",
        ],
    ),
    // redact runs on the finished schema.
    ("redact", &["report", "time"]),
];

fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn no_module_imports_a_later_stage() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut all = Vec::new();
    files(&src, &mut all);
    let re = regex::Regex::new(r"\bcrate::([a-z_]+)").unwrap();
    let mut bad = BTreeSet::new();
    let mut checked = 0;
    for path in all {
        let rel = path
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let top = rel.split(['/', '.']).next().unwrap().to_string();
        let Some((_, allowed)) = ALLOWED.iter().find(|(m, _)| *m == top) else {
            continue; // lib.rs, main.rs, batch.rs, gate.rs: users of run()
        };
        checked += 1;
        let text = std::fs::read_to_string(&path).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for c in re.captures_iter(code) {
                let to = &c[1];
                if to != top && !allowed.contains(&to) {
                    bad.insert(format!("src/{rel}:{}: {top} -> {to}", n + 1));
                }
            }
        }
    }
    assert!(checked > 40, "only {checked} files checked");
    assert!(
        bad.is_empty(),
        "imports against the flow:\n{}",
        bad.into_iter().collect::<Vec<_>>().join("\n")
    );
}
