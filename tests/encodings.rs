//! Issue #11, "text encodings people produce": UTF-16LE/BE with a BOM
//! (Windows PowerShell 5.1's `>`: UTF-16LE + BOM + CRLF), a UTF-8 BOM and
//! CRLF, on real inspect and kernel files from `samples/`. Evidence line
//! numbers stay those of the original file.

use coroner::report::schema::Report;

mod common;

fn run(paths: Vec<std::path::PathBuf>) -> Report {
    let mut config = coroner::Config::new(paths);
    config.threads = 2;
    coroner::run(&config)
}

fn utf16(text: &str, be: bool) -> Vec<u8> {
    let mut v = if be {
        vec![0xFE, 0xFF]
    } else {
        vec![0xFF, 0xFE]
    };
    for u in text.encode_utf16() {
        v.extend(if be { u.to_be_bytes() } else { u.to_le_bytes() });
    }
    v
}

fn crlf(s: &str) -> String {
    s.replace("\r\n", "\n").replace('\n', "\r\n")
}

fn findings(r: &Report) -> Vec<(String, Option<String>, Vec<Option<u64>>)> {
    r.findings
        .iter()
        .map(|f| {
            (
                f.rule.as_str().to_string(),
                f.container.as_ref().map(|c| c.unescaped().to_string()),
                f.evidence.iter().map(|e| e.line).collect(),
            )
        })
        .collect()
}

#[test]
fn the_committed_powershell_inspect_reads_like_the_original() {
    let original = run(vec![common::sample(
        "bundle/containers/poneshot/inspect.json",
    )]);
    let ps = run(vec![common::sample(
        "encodings/poneshot-inspect.powershell-utf16le.json",
    )]);
    assert_eq!(ps.inputs[0].kind, "inspect");
    assert_eq!(ps.containers.len(), 1);
    assert_eq!(ps.containers[0].name.unescaped(), "poneshot");
    assert_eq!(ps.containers[0].id, original.containers[0].id);
    assert_eq!(findings(&ps), findings(&original));
    assert!(ps
        .diagnostics
        .iter()
        .any(|d| d.message.unescaped().contains("UTF-16LE")));
}

#[test]
fn inspect_and_kernel_logs_in_every_bom_encoding() {
    let dir = tempfile::tempdir().unwrap();
    let inspect =
        std::fs::read_to_string(common::sample("bundle/host/docker-inspect-all.json")).unwrap();
    let dmesg = std::fs::read_to_string(common::sample("bundle/host/dmesg.txt")).unwrap();
    let plain = {
        let d = dir.path().join("plain");
        std::fs::create_dir(&d).unwrap();
        std::fs::write(d.join("inspect.json"), &inspect).unwrap();
        std::fs::write(d.join("dmesg.txt"), &dmesg).unwrap();
        run(vec![d])
    };
    assert!(plain.findings.iter().any(|f| f.rule.as_str() == "segfault"));
    let encodings: [(&str, fn(&str) -> Vec<u8>); 4] = [
        ("utf16le-crlf", |s| utf16(&crlf(s), false)),
        ("utf16be", |s| utf16(s, true)),
        ("utf8-bom-crlf", |s| {
            let mut v = vec![0xEF, 0xBB, 0xBF];
            v.extend(crlf(s).into_bytes());
            v
        }),
        ("crlf", |s| crlf(s).into_bytes()),
    ];
    for (label, encode) in encodings {
        let d = dir.path().join(label);
        std::fs::create_dir(&d).unwrap();
        std::fs::write(d.join("inspect.json"), encode(&inspect)).unwrap();
        std::fs::write(d.join("dmesg.txt"), encode(&dmesg)).unwrap();
        let r = run(vec![d]);
        let kinds: Vec<&str> = r.inputs.iter().map(|i| i.kind.as_str()).collect();
        assert_eq!(kinds, ["dmesg", "inspect"], "{label}");
        assert_eq!(r.containers.len(), plain.containers.len(), "{label}");
        assert_eq!(
            r.kernel.oom_kills.len(),
            plain.kernel.oom_kills.len(),
            "{label}"
        );
        // Same rules, same containers, same evidence line numbers.
        assert_eq!(findings(&r), findings(&plain), "{label}");
    }
}
