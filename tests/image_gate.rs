//! The CI gate on `coroner report` (issue #3): `--max-wasted-bytes`,
//! `--max-wasted-ratio`, `--min-efficiency`, one PASS/FAIL line per rule and
//! image on stderr, the report untouched on stdout, exit 1 on any failure.
//! pbloated:1.0 wastes 8,291,456 B of 14,859,901 (efficiency 0.4420).

use std::path::PathBuf;

use assert_cmd::Command;

fn sample(p: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("samples/images")
        .join(p)
}

fn gate(args: &[&str], images: &[&str]) -> (Option<i32>, String, String) {
    let mut cmd = Command::cargo_bin("coroner").expect("binary builds");
    cmd.arg("report").args(args);
    for i in images {
        cmd.arg(sample(i));
    }
    let out = cmd.output().unwrap();
    (
        out.status.code(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

const PBLOATED: &str = "pbloated_1.0.oci-gzip.tar";

#[test]
fn wasted_bytes_over_the_limit_fails() {
    let (code, stdout, stderr) = gate(&["--max-wasted-bytes", "1000000"], &[PBLOATED]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("FAIL max-wasted-bytes pbloated:1.0: 8291456 > 1000000"),
        "{stderr}"
    );
    // The report still goes to stdout, without gate lines.
    assert!(stdout.contains("IMAGE pbloated:1.0"));
    assert!(!stdout.contains("FAIL") && !stdout.contains("PASS"));
}

#[test]
fn wasted_bytes_under_a_generous_limit_passes() {
    let (code, _, stderr) = gate(&["--max-wasted-bytes", "10000000"], &[PBLOATED]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("PASS max-wasted-bytes pbloated:1.0: 8291456 <= 10000000"),
        "{stderr}"
    );
}

#[test]
fn min_efficiency() {
    let (code, _, stderr) = gate(&["--min-efficiency", "0.99"], &[PBLOATED]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("FAIL min-efficiency pbloated:1.0: 0.4420 < 0.99"),
        "{stderr}"
    );
    let (code, _, stderr) = gate(&["--min-efficiency", "0.1"], &[PBLOATED]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("PASS min-efficiency pbloated:1.0: 0.4420 >= 0.1"));
}

#[test]
fn wasted_ratio_and_every_image_gets_a_line() {
    let (code, _, stderr) = gate(
        &["--max-wasted-ratio", "0.5", "--format", "json"],
        &[PBLOATED, "pweb-and-api.tar.gz"],
    );
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("FAIL max-wasted-ratio pbloated:1.0: 0.5580 > 0.5"));
    assert!(stderr.contains("PASS max-wasted-ratio pweb:2.3: 0.0000 <= 0.5"));
    assert!(stderr.contains("PASS max-wasted-ratio papi:1.4: 0.0000 <= 0.5"));
    let (code, _, _) = gate(&["--max-wasted-ratio", "0.6"], &[PBLOATED]);
    assert_eq!(code, Some(0));
}

#[test]
fn gate_and_fail_on_combine() {
    // The gate passes but an image-bloat warning trips --fail-on warning.
    let (code, _, stderr) = gate(
        &["--max-wasted-bytes", "10000000", "--fail-on", "warning"],
        &[PBLOATED],
    );
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("PASS max-wasted-bytes"));
    // Neither trips: 0 wasted bytes pass a limit of 1, and no critical finding.
    let (code, _, _) = gate(
        &["--max-wasted-bytes", "1", "--fail-on", "critical"],
        &["pweb-and-api.tar.gz"],
    );
    assert_eq!(code, Some(0));
}

#[test]
fn ratio_flags_reject_values_outside_zero_to_one() {
    let (code, _, stderr) = gate(&["--min-efficiency", "1.5"], &[PBLOATED]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("outside 0.0-1.0"), "{stderr}");
}
