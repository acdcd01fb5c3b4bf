//! Issue #11, "quiet on what is normal" and "its own reports": files of a
//! real sos tree or data root that are not Docker or kernel evidence are
//! counted by folder in one info line, not one warning each; a report
//! coroner wrote into its input folder is skipped with one info line.

use coroner::model::DiagSeverity;
use coroner::report::schema::Report;

mod common;

fn run(paths: Vec<std::path::PathBuf>) -> Report {
    let mut config = coroner::Config::new(paths);
    config.threads = 2;
    coroner::run(&config)
}

fn count(r: &Report, s: DiagSeverity) -> usize {
    r.diagnostics.iter().filter(|d| d.severity == s).count()
}

#[test]
fn the_real_sosreport_gives_at_most_five_warnings() {
    // Before #11: 351 warnings and 1 error on this tree.
    let r = run(vec![common::sample("real-sos/sosreport-prodweb01.tar.xz")]);
    let warnings: Vec<String> = r
        .diagnostics
        .iter()
        .filter(|d| d.severity != DiagSeverity::Info)
        .map(|d| format!("{}: {}", d.path.unescaped(), d.message.unescaped()))
        .collect();
    assert!(warnings.len() <= 5, "{warnings:#?}");
    assert_eq!(count(&r, DiagSeverity::Error), 0, "{warnings:#?}");
    let info: Vec<&str> = r
        .diagnostics
        .iter()
        .filter(|d| d.severity == DiagSeverity::Info)
        .map(|d| d.message.unescaped())
        .collect();
    assert_eq!(info.len(), 1, "{info:?}");
    assert!(info[0].contains("by folder: sys/module "), "{info:?}");
    // The summary rows of the inputs add up to what the info line says.
    let files: u64 = r
        .inputs
        .iter()
        .filter(|i| i.kind == "not-relevant")
        .map(|i| i.files.expect("a folder row counts files"))
        .sum();
    assert!(
        info[0].starts_with(&format!("{files} files read")),
        "{files} vs {info:?}"
    );
    // The evidence is still read: the 18 inspected containers of the corpus.
    let inspected = r
        .containers
        .iter()
        .filter(|c| c.matched_by.as_deref() == Some("inspect"))
        .count();
    assert_eq!(inspected, 18);
}

#[test]
fn the_real_data_root_gives_no_warning_and_tar_split_is_not_truncated_json() {
    let r = run(vec![common::sample(
        "real-data-root/docker-data-root-prodweb01.tar.gz",
    )]);
    let said: Vec<String> = r
        .diagnostics
        .iter()
        .filter(|d| d.severity != DiagSeverity::Info)
        .map(|d| format!("{}: {}", d.path.unescaped(), d.message.unescaped()))
        .collect();
    assert!(said.len() <= 5, "{said:#?}");
    assert!(
        !r.diagnostics
            .iter()
            .any(|d| d.path.unescaped().ends_with("tar-split.json.gz")),
        "{said:#?}"
    );
    assert_eq!(r.containers.len(), 18);
}

#[test]
fn json_lines_and_sysfs_brackets_are_not_damaged_json() {
    let limits = coroner::model::Limits::default();
    for (name, body) in [
        ("layerdb/sha256/x/tar-split.json", &b"{\"type\":2,\"payload\":\"AA==\",\"position\":0}\n{\"type\":1,\"name\":\"bin\",\"position\":1}\n"[..]),
        ("sys/module/pcie_aspm/parameters/policy", b"[default] performance powersave powersupersave \n"),
    ] {
        let (kind, _, diags) = coroner::ingest::detect::identify(name, body, &limits);
        assert_eq!(kind, coroner::model::ArtifactKind::NotRelevant, "{name}");
        assert!(diags.is_empty(), "{name}: {diags:?}");
    }
    // A document cut short is still said to be one.
    let (kind, _, diags) =
        coroner::ingest::detect::identify("inspect.json", b"[{\"Id\": \"a\", oops}]", &limits);
    assert_eq!(kind, coroner::model::ArtifactKind::Unknown);
    assert_eq!(diags.len(), 1);
}

#[test]
fn a_lone_unrecognised_file_keeps_its_warning() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("notes.txt");
    std::fs::write(&f, "call the on-call engineer\n").unwrap();
    let r = run(vec![f]);
    assert_eq!(r.inputs[0].kind, "unknown");
    assert_eq!(count(&r, DiagSeverity::Warning), 1);
    assert!(r.nothing_readable());
}

#[test]
fn its_own_reports_are_skipped_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    for f in ["inspect.json", "dmesg.txt"] {
        std::fs::copy(
            common::sample(&format!(
                "bundle/host/{}",
                if f == "dmesg.txt" {
                    "dmesg.txt"
                } else {
                    "docker-inspect-all.json"
                }
            )),
            dir.path().join(f),
        )
        .unwrap();
    }
    let first = run(vec![dir.path().to_path_buf()]);
    assert!(first.findings.iter().any(|f| f.rule.as_str() == "segfault"));
    use coroner::report::{render, Format};
    for (name, format) in [
        ("incident.txt", Format::Text),
        ("incident.md", Format::Markdown),
        ("incident.html", Format::Html),
        ("incident.json", Format::Json),
    ] {
        std::fs::write(dir.path().join(name), render(&first, format)).unwrap();
    }
    let again = run(vec![dir.path().to_path_buf()]);
    let rules = |r: &Report| -> Vec<(String, String)> {
        r.findings
            .iter()
            .map(|f| (f.rule.as_str().to_string(), f.title.unescaped().to_string()))
            .collect()
    };
    assert_eq!(rules(&again), rules(&first));
    assert_eq!(again.kernel.segfaults.len(), first.kernel.segfaults.len());
    let skipped: Vec<&str> = again
        .inputs
        .iter()
        .filter(|i| i.kind == "coroner-report")
        .map(|i| i.path.unescaped())
        .collect();
    assert_eq!(skipped.len(), 4, "{skipped:?}");
    let info = again
        .diagnostics
        .iter()
        .filter(|d| {
            d.severity == DiagSeverity::Info
                && d.message.unescaped().contains("a report coroner wrote")
        })
        .count();
    assert_eq!(info, 4);
}
