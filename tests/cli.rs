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
    // The seven questions per container come with --verbose (#13).
    assert!(text.contains("SUMMARY") && !text.contains("1. running?"));
    let out = coroner()
        .arg("report")
        .arg(sample("bundle"))
        .arg("--verbose")
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
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
    // Everything in one folder, so what is reported does not depend on where
    // the clone lives (the folder is the root the report is relative to).
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("broken.json"), b"[{\"Id\": \"abc\", \"State\": {").unwrap();
    std::fs::write(
        dir.join("random.bin"),
        [0x1fu8, 0x8b, 0x08, 0, 1, 2, 3, 4, 5],
    )
    .unwrap();
    // Named like evidence and empty: worth a warning. Empty and named like
    // nothing (a `--format` template over no objects): listed, not warned.
    std::fs::write(dir.join("docker_inspect_pgone"), b"").unwrap();
    std::fs::write(dir.join("empty"), b"").unwrap();
    std::fs::copy(
        sample("bundle/containers/pindexer/inspect.json"),
        dir.join("inspect.json"),
    )
    .unwrap();
    let out = coroner()
        .args(["report", "--format", "json"])
        .arg(dir)
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
    for name in ["broken.json", "random.bin", "docker_inspect_pgone"] {
        assert!(
            diags
                .iter()
                .any(|d| d["path"].as_str().unwrap().ends_with(name)),
            "no diagnostic for {name}: {diags:?}"
        );
    }
    let inputs = v["inputs"].as_array().unwrap();
    assert!(
        inputs
            .iter()
            .any(|i| i["path"].as_str().unwrap().ends_with("/empty")
                && i["kind"] == "not-relevant"),
        "the empty file is listed: {inputs:?}"
    );
}

/// Issue #12: a path that cannot be read, passed beside good ones, still
/// gets the report written from the others, and exit 2.
#[test]
fn a_missing_path_beside_a_good_one_writes_the_report_and_exits_two() {
    let dir = tempfile::tempdir().unwrap();
    let out_file = dir.path().join("report.json");
    let out = coroner()
        .arg("report")
        .arg(sample("bundle"))
        .arg("/nonexistent/coroner-missing")
        .arg("-o")
        .arg(&out_file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("/nonexistent/coroner-missing"), "{stderr}");
    // -o report.json implies --format json (issue #13).
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&out_file).unwrap()).unwrap();
    assert!(json["containers"].as_array().unwrap().len() >= 18);
}

/// Issue #13: `-o FILE` picks the format from the extension unless
/// `--format` says otherwise.
#[test]
fn dash_o_infers_the_format_from_the_extension() {
    let dir = tempfile::tempdir().unwrap();
    for (name, starts) in [
        ("r.html", "<!DOCTYPE html>"),
        ("r.md", "# "),
        ("r.json", "{"),
        ("r.txt", "coroner"),
    ] {
        let file = dir.path().join(name);
        let out = coroner()
            .arg("report")
            .arg(sample("inspect"))
            .arg("-o")
            .arg(&file)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{name}");
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(
            text.starts_with(starts),
            "{name}: {}",
            &text[..text.len().min(80)]
        );
    }
    let file = dir.path().join("forced.html");
    coroner()
        .args(["report", "--format", "json"])
        .arg(sample("inspect"))
        .arg("-o")
        .arg(&file)
        .assert()
        .success();
    assert!(std::fs::read_to_string(&file).unwrap().starts_with('{'));
}

/// Issue #13: help text is ours and is never redacted; completions and the
/// manual page are generated from the same definition.
#[test]
fn help_is_not_redacted_and_completions_and_man_page_work() {
    for args in [&["--help"][..], &["report", "--help"], &["batch", "--help"]] {
        let out = coroner().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(0));
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(!text.contains("[REDACTED"), "{args:?}: {text}");
    }
    let report_help = coroner().args(["report", "--help"]).output().unwrap();
    assert!(String::from_utf8_lossy(&report_help.stdout).contains("print secret values"));
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = coroner().args(["completions", shell]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            text.contains("coroner") && text.contains("report"),
            "{shell}"
        );
    }
    let bash = coroner().args(["completions", "bash"]).output().unwrap();
    assert!(String::from_utf8_lossy(&bash.stdout).contains("--max-wasted-bytes"));
    let man = coroner().arg("man").output().unwrap();
    let man = String::from_utf8(man.stdout).unwrap();
    assert!(man.contains(".TH coroner 1") && man.contains("report"));
}
