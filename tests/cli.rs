//! End-to-end checks of the `coroner` binary: exit codes, formats, output
//! file, and that damaged inputs never cost the good ones. Guards issue #2.

use assert_cmd::Command;

mod common;
use common::sample;

fn coroner() -> Command {
    Command::cargo_bin("coroner").expect("binary builds")
}

#[test]
fn report_on_the_bundle_exits_zero_and_prints_findings() {
    let out = coroner()
        .arg("report")
        .arg(sample("bundle"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("FINDINGS"));
    assert!(text.contains("1. running?") && text.contains("7. process?"));
}

#[test]
fn fail_on_critical_exits_one() {
    let out = coroner()
        .args(["report", "--fail-on", "critical"])
        .arg(sample("bundle"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn fail_on_is_not_triggered_by_a_healthy_container() {
    let out = coroner()
        .args(["report", "--fail-on", "warning"])
        .arg(sample("bundle/containers/papi/inspect.json"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn usage_errors_and_unreadable_inputs_exit_two() {
    assert_eq!(
        coroner().arg("report").output().unwrap().status.code(),
        Some(2)
    );
    assert_eq!(
        coroner()
            .args(["report", "--format", "yaml", "x"])
            .output()
            .unwrap()
            .status
            .code(),
        Some(2)
    );
    let out = coroner()
        .args(["report", "/nonexistent/coroner-input"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/coroner-input"));
}

#[test]
fn help_documents_the_exit_codes() {
    let out = coroner().args(["report", "--help"]).output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(help.contains("Exit codes") && help.contains("--fail-on"));
}

#[test]
fn json_goes_to_a_file_with_dash_o() {
    let dir = std::env::temp_dir().join(format!("coroner-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out_file = dir.join("report.json");
    let out = coroner()
        .args(["report", "--format", "json", "-o"])
        .arg(&out_file)
        .arg(sample("bundle/containers/pindexer"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&out_file).unwrap()).unwrap();
    assert_eq!(v["schema"], "coroner.report/v1");
    assert_eq!(v["containers"][0]["name"], "pindexer");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn markdown_has_a_summary_table_first() {
    let out = coroner()
        .args(["report", "--format", "md"])
        .arg(sample("bundle"))
        .output()
        .unwrap();
    let md = String::from_utf8(out.stdout).unwrap();
    let table = md
        .find("| critical | warning | info |")
        .expect("summary table");
    let findings = md.find("## Findings").expect("findings section");
    assert!(table < findings);
    assert!(!md.contains("<script"), "no raw HTML");
}

#[test]
fn a_damaged_input_beside_good_ones_is_reported_and_the_rest_analysed() {
    let dir = std::env::temp_dir().join(format!("coroner-damaged-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("broken.json"), b"[{\"Id\": \"abc\", \"State\": {").unwrap();
    std::fs::write(
        dir.join("random.bin"),
        [0x1fu8, 0x8b, 0x08, 0, 1, 2, 3, 4, 5],
    )
    .unwrap();
    std::fs::write(dir.join("empty"), b"").unwrap();
    let out = coroner()
        .args(["report", "--format", "json"])
        .arg(&dir)
        .arg(sample("bundle/containers/pindexer/inspect.json"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = v["containers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"pindexer"), "{names:?}");
    let diags = v["diagnostics"].as_array().unwrap();
    for name in ["broken.json", "random.bin", "empty"] {
        assert!(
            diags
                .iter()
                .any(|d| d["path"].as_str().unwrap().ends_with(name)),
            "no diagnostic for {name}: {diags:?}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
