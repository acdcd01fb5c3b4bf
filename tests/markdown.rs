//! Markdown for GitHub and Jira tickets (issues #6 and #13): a summary
//! table first, evidence only inside code fences, `--max-evidence`
//! honoured, real code spans, a character budget that holds whatever the
//! input, and nothing from input that a renderer would turn into markup, a
//! list, a mention or a link. Rendered with a CommonMark renderer
//! (pulldown-cmark, GFM tables on) to check what a reader would see.

use coroner::report::markdown::render_with;
use coroner::report::{render_opts, Format, RenderOptions};
use pulldown_cmark::{Event, Options, Parser, Tag};

mod common;
use common::sample;

fn run(paths: &[&str]) -> coroner::Report {
    let mut c = coroner::Config::new(paths.iter().map(|p| sample(p)).collect());
    c.threads = 2;
    coroner::run(&c)
}

fn md(r: &coroner::Report, max_chars: usize) -> String {
    render_opts(
        r,
        Format::Markdown,
        &RenderOptions {
            max_chars,
            ..RenderOptions::default()
        },
    )
}

fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH
}

fn to_html(md: &str) -> String {
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, Parser::new_ext(md, options()));
    html
}

/// What a reader would see that input must never produce: raw HTML,
/// links, images, lists (ours are only under Diagnostics and Filesystem
/// exports); and the text a reader sees, code included, a line per block.
fn rendered(md: &str) -> (Vec<String>, String) {
    let (bad, text, _) = rendered3(md);
    (bad, text)
}

/// `rendered`, and the prose: text outside code spans and blocks.
fn rendered3(md: &str) -> (Vec<String>, String, String) {
    let mut bad = Vec::new();
    let mut text = String::new();
    let mut prose = String::new();
    let mut in_code = false;
    let mut section = String::new();
    let mut in_h2 = false;
    for ev in Parser::new_ext(md, options()) {
        match ev {
            Event::Html(h) | Event::InlineHtml(h) => bad.push(format!("html {h}")),
            Event::Start(Tag::Link { dest_url, .. }) => bad.push(format!("link {dest_url}")),
            Event::Start(Tag::Image { dest_url, .. }) => bad.push(format!("image {dest_url}")),
            Event::Start(Tag::Heading { level, .. }) => {
                in_h2 = level == pulldown_cmark::HeadingLevel::H2;
                if in_h2 {
                    section.clear();
                }
            }
            Event::Start(Tag::List(_))
                if !matches!(
                    section.as_str(),
                    "Diagnostics"
                        | "Filesystem exports"
                        | "Container changes"
                        | "Volumes"
                        | "Data-root containers"
                ) =>
            {
                bad.push(format!("list in {section:?}"))
            }
            Event::Start(Tag::CodeBlock(_)) => in_code = true,
            Event::Text(t) => {
                if in_h2 {
                    section.push_str(&t);
                }
                if !in_code {
                    prose.push_str(&t);
                }
                text.push_str(&t);
            }
            Event::Code(t) => {
                if in_h2 {
                    section.push_str(&t);
                }
                text.push_str(&t);
            }
            Event::End(_) => {
                in_code = false;
                in_h2 = false;
                text.push('\n');
            }
            _ => {}
        }
    }
    (bad, text, prose)
}

#[test]
fn hostile_names_cannot_become_markup_lists_or_mentions() {
    let tmp = tempfile::tempdir().unwrap();
    let src = sample("bundle/containers/pworker");
    let evil = "1. @here <img src=x onerror=alert(1)> [x](https://e.example) | `tick` ``` *b*";
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
    let (bad, text) = rendered(&md);
    assert!(bad.is_empty(), "markup from input: {bad:?}");
    // The name reads as it is, in the text a reader sees; no emphasis.
    assert!(
        text.contains("1. @here <img src=x onerror=alert(1)> [x](https://e.example)"),
        "{text}"
    );
    let html = to_html(&md);
    assert!(
        !html.contains("<img") && !html.contains("<em>b</em>") && !html.contains("<a "),
        "{html}"
    );
    // No @mention outside code: GitHub would ping; the `@` is escaped.
    for line in md.lines().filter(|l| l.contains("@here")) {
        assert!(
            line.contains("\\@here") || line.starts_with("pworker") || !line.contains(" @here"),
            "{line}"
        );
    }
    // --max-evidence 1: one line per fence, and the rest announced.
    assert!(md.contains("more evidence line(s)"));
    assert!(md.contains("`--max-evidence "));
}

#[test]
fn real_sos_fits_and_has_real_code_spans() {
    let r = run(&["real-sos"]);
    let m = md(&r, 60_000);
    let n = m.chars().count();
    assert!(n <= 60_000, "{n} characters");
    let html = to_html(&m);
    let codes = html.matches("<code>").count() + html.matches("<code class=").count();
    assert!(codes >= 20, "{codes} <code> elements");
    // Commands in the rules' texts are code, not literal backticks.
    assert!(
        html.contains("<code>docker run --memory</code>"),
        "oom-killed's fix"
    );
    let (bad, _, prose) = rendered3(&m);
    assert!(bad.is_empty(), "{bad:?}");
    assert!(
        !prose.contains('`'),
        "a backtick shown raw: {}",
        prose.lines().find(|l| l.contains('`')).unwrap_or_default()
    );
    // Human-readable sizes in the inputs table.
    assert!(m.contains(" KiB |"), "sizes");
    // Every finding is in the summary table.
    assert_eq!(
        html.matches("<td>critical</td>").count(),
        r.findings
            .iter()
            .filter(|f| f.severity == coroner::Severity::Critical)
            .count()
    );
}

#[test]
fn jira_budget_holds_and_says_what_was_left_out() {
    let r = run(&["real-sos"]);
    let m = md(&r, 30_000);
    assert!(m.chars().count() <= 30_000, "{}", m.chars().count());
    assert!(m.contains("**Shortened to fit 30000 characters:**"));
    assert!(m.contains("left out to keep this report under 30000 characters"));
    assert!(m.contains("`--format html`") && m.contains("`--max-evidence N`"));
    let (bad, _) = rendered(&m);
    assert!(bad.is_empty(), "{bad:?}");
}

#[test]
fn a_bigger_combined_input_fits_every_budget() {
    let r = run(&[
        "bundle",
        "real-sos",
        "sos",
        "real-data-root",
        "images/pweb-and-api.tar.gz",
        "images/pbloated_1.0.tar.gz",
    ]);
    let full = md(&r, usize::MAX);
    assert!(
        full.chars().count() > 60_000,
        "the combined input is big: {}",
        full.chars().count()
    );
    assert!(!full.contains("Shortened"));
    for budget in [60_000, 30_000, 10_000] {
        let m = md(&r, budget);
        assert!(
            m.chars().count() <= budget,
            "{budget}: {}",
            m.chars().count()
        );
        assert!(m.contains("Shortened to fit"));
        let (bad, _) = rendered(&m);
        assert!(bad.is_empty(), "{budget}: {bad:?}");
        // Every fence that opens closes: nothing after a cut reads as code.
        let html = to_html(&m);
        assert_eq!(
            html.matches("<pre>").count(),
            html.matches("</pre>").count()
        );
    }
    // Human-readable layer sizes.
    let m = md(&r, 60_000);
    assert!(m.contains("| # | size | files | wasted | created by |"));
    assert!(
        !regex::Regex::new(r"\| \d+ \| \d{5,} \|")
            .unwrap()
            .is_match(&m),
        "raw byte counts"
    );
}

#[test]
fn bundle_fits_unchanged() {
    let r = run(&["bundle"]);
    let m = md(&r, 60_000);
    assert!(!m.contains("Shortened"), "the bundle fits as it is");
    assert_eq!(m, md(&r, usize::MAX));
}
