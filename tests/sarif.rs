//! `--format sarif` (issue #13): SARIF 2.1.0 that validates against the
//! OASIS schema (`docs/schemas/sarif-2.1.0.json`), the rule catalogue as
//! `tool.driver.rules`, one result per finding, evidence as physical
//! locations with `startLine` on at least 80 % of the results of the sample
//! bundles, secrets redacted, `-o x.sarif` and `batch --format sarif`.

use std::collections::BTreeSet;
use std::path::Path;

use coroner::report::{render, Format};
use serde_json::Value;

mod common;
use common::sample;

fn sarif_schema() -> jsonschema::Validator {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/schemas/sarif-2.1.0.json"),
    )
    .expect("docs/schemas/sarif-2.1.0.json");
    let schema: Value = serde_json::from_str(&text).unwrap();
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles")
}

fn report(paths: &[&str]) -> coroner::Report {
    coroner::run(&coroner::Config::new(
        paths.iter().map(|p| sample(p)).collect(),
    ))
}

fn validate(v: &jsonschema::Validator, doc: &Value, what: &str) {
    let errors: Vec<String> = v
        .iter_errors(doc)
        .take(5)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what}: {}", errors.join("\n"));
}

/// (results, results with a file:line location) of one SARIF log.
fn located(doc: &Value) -> (usize, usize) {
    let results = doc["runs"][0]["results"].as_array().unwrap();
    let with_line = results
        .iter()
        .filter(|r| {
            r["locations"].as_array().unwrap().iter().any(|l| {
                let p = &l["physicalLocation"];
                p["artifactLocation"]["uri"]
                    .as_str()
                    .is_some_and(|u| !u.is_empty())
                    && p["region"]["startLine"].as_u64().is_some_and(|n| n >= 1)
            })
        })
        .count();
    (results.len(), with_line)
}

#[test]
fn sarif_of_the_sample_bundles_validates_and_cites_lines() {
    let validator = sarif_schema();
    let (mut total, mut with_line) = (0, 0);
    for bundle in ["bundle", "real-sos", "sos", "sos-text", "real-data-root"] {
        let r = report(&[bundle]);
        let text = render(&r, Format::Sarif);
        let doc: Value = serde_json::from_str(&text).expect("SARIF is JSON");
        validate(&validator, &doc, bundle);
        assert_eq!(doc["version"], "2.1.0");
        let run = &doc["runs"][0];
        // The catalogue, in order, as the driver's rules.
        let rules: Vec<&str> = run["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap())
            .collect();
        let catalogue: Vec<&str> = coroner::rules::RuleId::ALL
            .iter()
            .map(|r| r.as_str())
            .collect();
        assert_eq!(rules, catalogue);
        // One result per finding, same rule, same order, level from severity.
        let results = run["results"].as_array().unwrap();
        assert_eq!(results.len(), r.findings.len(), "{bundle}");
        for (res, f) in results.iter().zip(&r.findings) {
            assert_eq!(res["ruleId"], f.rule.as_str());
            let idx = res["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(rules[idx], f.rule.as_str());
            let level = match f.severity {
                coroner::Severity::Critical => "error",
                coroner::Severity::Warning => "warning",
                coroner::Severity::Info => "note",
            };
            assert_eq!(res["level"], level);
            assert!(res["message"]["text"]
                .as_str()
                .unwrap()
                .starts_with(f.title.unescaped()));
        }
        let (n, l) = located(&doc);
        eprintln!("{bundle}: {l} of {n} results have a file:line location");
        total += n;
        with_line += l;
        // Deterministic.
        assert_eq!(text, render(&r, Format::Sarif));
    }
    assert!(total >= 20, "only {total} results");
    assert!(
        with_line * 100 >= total * 80,
        "{with_line} of {total} results have a file:line location"
    );
}

#[test]
fn sarif_keeps_secrets_redacted_and_escapes_hostile_paths() {
    let r = report(&["bundle"]);
    let doc: Value = serde_json::from_str(&render(&r, Format::Sarif)).unwrap();
    let secrets: Vec<_> = doc["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["ruleId"] == "secrets-in-env")
        .collect();
    assert!(!secrets.is_empty(), "the bundle has a secret in its env");
    let json = render(&r, Format::Json);
    let sarif = render(&r, Format::Sarif);
    // The secret from the bundle's env is nowhere; its redaction token is.
    let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    let input = std::fs::read_to_string(sample("bundle/containers/pweb/inspect.json")).unwrap();
    assert!(input.contains(secret), "the sample holds the secret");
    assert!(!json.contains(secret) && !sarif.contains(secret));
    assert!(json.contains("[REDACTED:") && sarif.contains("[REDACTED:"));

    // A hostile path and excerpt: still a URI reference, still valid SARIF.
    let mut r = r.clone();
    let f = &mut r.findings[0];
    f.evidence[0].source = coroner::report::schema::Untrusted::new("dir with space/#x%y:z\"<>.log");
    f.evidence[0].excerpt =
        coroner::report::schema::Untrusted::new("\u{1b}[31m\"quoted\"\n</script>");
    let text = render(&r, Format::Sarif);
    let doc: Value = serde_json::from_str(&text).unwrap();
    validate(&sarif_schema(), &doc, "hostile");
    let loc = &doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"];
    assert_eq!(
        loc["artifactLocation"]["uri"],
        "dir%20with%20space/%23x%25y%3Az%22%3C%3E.log"
    );
    assert_eq!(
        loc["region"]["snippet"]["text"],
        "\u{1b}[31m\"quoted\"\n</script>"
    );
    assert!(!text.contains('\u{1b}'), "serde escapes control characters");
}

#[test]
fn output_file_extension_and_batch_take_sarif() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("incident.sarif");
    let st = assert_cmd::Command::cargo_bin("coroner")
        .unwrap()
        .args(["report", "-o"])
        .arg(&out)
        .arg(sample("bundle"))
        .output()
        .unwrap();
    assert!(
        matches!(st.status.code(), Some(0..=2)),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    let doc: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(doc["version"], "2.1.0");

    let bundles = dir.path().join("in");
    std::fs::create_dir(&bundles).unwrap();
    std::fs::copy(
        sample("sos/sosreport-qhost-2026.tar.zst"),
        bundles.join("qhost.tar.zst"),
    )
    .unwrap();
    let outdir = dir.path().join("out");
    let st = assert_cmd::Command::cargo_bin("coroner")
        .unwrap()
        .args(["batch", "--format", "sarif,md", "--progress", "never"])
        .arg(&bundles)
        .arg("--out")
        .arg(&outdir)
        .output()
        .unwrap();
    assert!(
        matches!(st.status.code(), Some(0..=2)),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    let names: BTreeSet<String> = std::fs::read_dir(&outdir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let sarif = names
        .iter()
        .find(|n| n.ends_with(".sarif"))
        .unwrap_or_else(|| panic!("no .sarif in {names:?}"));
    let doc: Value = serde_json::from_slice(&std::fs::read(outdir.join(sarif)).unwrap()).unwrap();
    validate(&sarif_schema(), &doc, "batch");
    assert!(names.iter().any(|n| n.ends_with(".json")));
    assert!(names.iter().any(|n| n.ends_with(".md")));
}
