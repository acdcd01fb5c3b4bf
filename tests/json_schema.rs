//! The JSON report against its schema, `docs/report.schema.json` (issue #13):
//! the report of every sample in `samples/` (each top-level entry, and each
//! entry inside it) validates, every timestamp has the one fixed width, and
//! no running container carries an exit code. The schema is checked to
//! reject what it is there to reject, so the test can fail.

use std::path::{Path, PathBuf};

use serde_json::Value;

mod common;
use common::sample;

fn report_schema() -> jsonschema::Validator {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/report.schema.json"),
    )
    .expect("docs/report.schema.json");
    let schema: Value = serde_json::from_str(&text).expect("the schema is JSON");
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the schema compiles")
}

/// Every top-level entry of `samples/` and every entry inside a top-level
/// directory, sorted.
fn sample_inputs() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut top: Vec<PathBuf> = std::fs::read_dir(sample(""))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().is_some_and(|n| n != "PROVENANCE.md"))
        .collect();
    top.sort();
    for t in top {
        if t.is_dir() {
            let mut inner: Vec<PathBuf> = std::fs::read_dir(&t)
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            inner.sort();
            out.push(t);
            out.extend(inner);
        } else {
            out.push(t);
        }
    }
    out
}

fn json_report(path: &Path) -> Value {
    let r = coroner::run(&coroner::Config::new(vec![path.to_path_buf()]));
    let text = coroner::report::render(&r, coroner::report::Format::Json);
    serde_json::from_str(&text).expect("the JSON report parses")
}

/// Every string under a key that holds a time, with its JSON path.
fn times<'v>(v: &'v Value, path: &str, out: &mut Vec<(String, &'v str)>) {
    const TIME_KEYS: [&str; 7] = [
        "time",
        "started_at",
        "finished_at",
        "start",
        "first",
        "last",
        "created",
    ];
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let p = format!("{path}/{k}");
                match x {
                    Value::String(s) if TIME_KEYS.contains(&k.as_str()) => out.push((p, s)),
                    _ => times(x, &p, out),
                }
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                times(x, &format!("{path}/{i}"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn the_report_of_every_sample_validates_against_the_schema() {
    let validator = report_schema();
    let inputs = sample_inputs();
    assert!(inputs.len() > 100, "only {} sample inputs", inputs.len());
    let (mut checked_times, mut running, mut containers) = (0, 0, 0);
    for input in &inputs {
        let report = json_report(input);
        let errors: Vec<String> = validator
            .iter_errors(&report)
            .take(5)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{}: {}",
            input.display(),
            errors.join("\n")
        );
        // One width for every time (issue #13: 20, 29 and 30 before).
        let mut found = Vec::new();
        times(&report, "", &mut found);
        for (p, t) in &found {
            assert_eq!(t.len(), 30, "{}: {p} = {t}", input.display());
        }
        checked_times += found.len();
        for c in report["containers"].as_array().unwrap() {
            containers += 1;
            if c["status"] == "running" {
                running += 1;
                assert!(c["exit_code"].is_null(), "{}: {c}", input.display());
            }
        }
    }
    // The samples hold times and running containers, so the checks ran.
    assert!(checked_times > 200, "{checked_times} times checked");
    assert!(
        running >= 5 && containers >= 40,
        "{running} of {containers}"
    );
}

#[test]
fn the_schema_rejects_what_the_contract_forbids() {
    let validator = report_schema();
    let good = json_report(&sample("bundle"));
    assert!(validator.is_valid(&good));
    let broken = |f: &dyn Fn(&mut Value)| {
        let mut v = good.clone();
        f(&mut v);
        validator.is_valid(&v)
    };
    // A time without its nine fraction digits.
    assert!(!broken(
        &|v| v["timeline"][0]["time"] = "2026-11-29T03:20:28Z".into()
    ));
    assert!(!broken(
        &|v| v["containers"][0]["started_at"] = "2026-11-29T03:20:28.23515312Z".into()
    ));
    // A field of the contract missing, or one it does not know.
    assert!(!broken(&|v| {
        v["findings"][0].as_object_mut().unwrap().remove("evidence");
    }));
    assert!(!broken(&|v| v["containers"][0]["surprise"] = 1.into()));
    // Tokens are kebab-case, severities from the list.
    assert!(!broken(&|v| v["findings"][0]["severity"] = "fatal".into()));
    assert!(!broken(
        &|v| v["kernel"]["oom_kills"][0]["matched_by"] = "process name and time".into()
    ));
    // exit_code may be null, not a string.
    assert!(broken(&|v| v["containers"][0]["exit_code"] = Value::Null));
    assert!(!broken(&|v| v["containers"][0]["exit_code"] = "0".into()));
}

#[test]
fn running_containers_have_no_exit_code_and_tokens_have_words() {
    let r = coroner::run(&coroner::Config::new(vec![sample("bundle")]));
    let running: Vec<_> = r
        .containers
        .iter()
        .filter(|c| c.status == "running")
        .collect();
    assert!(!running.is_empty());
    for c in running {
        assert_eq!(c.exit_code, None, "{}", c.name.unescaped());
        assert!(c.exit_meaning.contains("running"), "{}", c.exit_meaning);
    }
    let exited = common::container(&r, "pindexer");
    assert_eq!(exited.exit_code, Some(137));
    let k = r
        .kernel
        .oom_kills
        .iter()
        .find(|k| k.matched_by.is_some())
        .expect("an attributed OOM kill");
    assert_eq!(k.matched_by.as_deref(), Some("cgroup"));
    assert!(k.matched_by_text.as_deref().unwrap().contains("cgroup"));
}
