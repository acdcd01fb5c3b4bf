//! Markdown for GitHub and Jira tickets (issue #6): a summary table first,
//! evidence only inside code fences, `--max-evidence` honoured, and nothing
//! from input that a renderer would turn into markup, a list, a mention or a
//! link.

use coroner::report::markdown::render_with;

mod common;
use common::sample;

/// The lines of `md` outside code fences.
fn prose(md: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut fence: Option<usize> = None;
    for line in md.lines() {
        let ticks = line.chars().take_while(|&c| c == '`').count();
        match fence {
            Some(f) if ticks >= f && line.trim_start_matches('`').is_empty() => fence = None,
            Some(_) => {}
            None if ticks >= 3 => fence = Some(ticks),
            None => out.push(line.to_string()),
        }
    }
    out
}

#[test]
fn hostile_names_cannot_become_markup_lists_or_mentions() {
    let tmp = tempfile::tempdir().unwrap();
    let src = sample("bundle/containers/pworker");
    let evil = "1. @here <img src=x onerror=alert(1)> [x](https://e.example) | `tick`";
    let mut v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(src.join("inspect.json")).unwrap()).unwrap();
    v[0]["Name"] = format!("/{evil}").into();
    std::fs::write(
        tmp.path().join("inspect.json"),
        serde_json::to_vec(&v).unwrap(),
    )
    .unwrap();
    for e in std::fs::read_dir(&src).unwrap() {
        let p = e.unwrap().path();
        if p.to_string_lossy().ends_with("-json.log") {
            std::fs::copy(&p, tmp.path().join(p.file_name().unwrap())).unwrap();
        }
    }
    let r = coroner::run(&coroner::Config::new(vec![tmp.path().to_path_buf()]));
    assert_eq!(r.containers[0].name, evil);
    let md = render_with(&r, 1);
    assert!(
        md.starts_with("# coroner incident report\n\n| critical |"),
        "summary table first"
    );
    let prose = prose(&md);
    for line in &prose {
        assert!(!line.starts_with("1. "), "ordered list from input: {line}");
        // Every markup character that came from input is escaped.
        for c in ['<', '[', '@', '`'] {
            for (i, _) in line.match_indices(c) {
                assert!(line[..i].ends_with('\\'), "unescaped {c}: {line}");
            }
        }
    }
    // --max-evidence 1: one line per fence, and the rest announced.
    assert!(md.contains("more evidence line(s) in the JSON report"));
    assert!(md.contains(&"\\@here".to_string()));
}
