//! Input text reaches every human format escaped (issue #10): ESC/OSC/CSI
//! sequences, C1 controls and bidi overrides planted in inspect fields, a
//! json-file log line and a kernel process name never reach the text,
//! Markdown or HTML report raw, and the analysis beside them still works.

use coroner::report::{render, Format};
use coroner::{run, Config};

const EVIL: &str = "\u{1b}]0;pwned\u{7}\u{1b}[2J\u{9b}31m\u{202e}x";

fn sample(p: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(p)
}

fn raw_controls(s: &str) -> Vec<char> {
    s.chars()
        .filter(|&c| {
            let u = c as u32;
            (u < 0x20 && c != '\n' && c != '\t')
                || u == 0x7f
                || (0x80..=0x9f).contains(&u)
                || matches!(u, 0x202a..=0x202e | 0x2066..=0x2069 | 0x200e | 0x200f)
        })
        .collect()
}

#[test]
fn planted_escapes_never_reach_text_markdown_or_html_raw() {
    let dir = tempfile::tempdir().unwrap();
    let src = "bundle/containers/pindexer";
    let text = std::fs::read_to_string(sample(&format!("{src}/inspect.json"))).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let c = if v.is_array() { &mut v[0] } else { &mut v };
    let evil = |s: &str| serde_json::Value::String(format!("{s}{EVIL}"));
    c["State"]["Status"] = evil("exited");
    c["State"]["Health"] = serde_json::json!({"Status": format!("unhealthy{EVIL}"), "FailingStreak": 3,
        "Log": [{"Start": "2026-11-29T03:19:58.4Z", "End": "2026-11-29T03:19:58.5Z", "ExitCode": 1, "Output": format!("probe{EVIL}")}]});
    c["HostConfig"]["RestartPolicy"]["Name"] = evil("no");
    c["HostConfig"]["NetworkMode"] = evil("default");
    c["Config"]["User"] = evil("1000");
    c["Config"]["Env"] = serde_json::json!([format!("MODE=a{EVIL}")]);
    c["Config"]["Cmd"] = serde_json::json!([format!("run{EVIL}")]);
    c["Config"]["Labels"] = serde_json::json!({"team": format!("ops{EVIL}")});
    std::fs::write(
        dir.path().join("inspect.json"),
        serde_json::to_vec(&v).unwrap(),
    )
    .unwrap();
    let log = "85a48e138c0e93f28340a6ed94dfb35822f95f8c8abdb06b080007e38efc1106-json.log";
    let mut lines = std::fs::read_to_string(sample(&format!("{src}/{log}"))).unwrap();
    lines.push_str(&format!(
        "{}\n",
        serde_json::json!({"log": format!("fatal error: boom{EVIL}\n"), "stream": "stderr", "time": "2026-11-29T03:19:58.41Z"})
    ));
    std::fs::write(dir.path().join(log), lines).unwrap();
    let dmesg = std::fs::read_to_string(sample("bundle/host/dmesg.txt")).unwrap();
    std::fs::write(
        dir.path().join("dmesg.txt"),
        dmesg.replace("(dd)", &format!("(dd{EVIL})")),
    )
    .unwrap();
    for f in ["uptime.txt", "collected-at.txt"] {
        std::fs::copy(sample(&format!("bundle/host/{f}")), dir.path().join(f)).unwrap();
    }

    let r = run(&Config::new(vec![dir.path().to_path_buf()]));
    assert_eq!(r.containers.len(), 1);
    // The kernel OOM kill of the planted `comm` is still attributed by cgroup.
    assert!(
        r.kernel.oom_kills.iter().any(|k| k.container.is_some()),
        "analysis still works: {:?}",
        r.kernel.oom_kills
    );
    let json = render(&r, Format::Json);
    assert!(
        json.contains("\\u001b]0;pwned"),
        "JSON keeps the text, escaped by serde"
    );
    for format in [Format::Text, Format::Markdown, Format::Html] {
        let out = render(&r, format);
        assert!(out.contains("pwned"), "{format:?} lost the planted text");
        let bad = raw_controls(&out);
        assert!(bad.is_empty(), "{format:?} wrote raw {bad:?}");
    }
}
