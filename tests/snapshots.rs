//! Snapshots of the four reports of `samples/bundle` (issue #10), so that a
//! renderer change shows up in review as a diff of `tests/snapshots/`.
//! Paths are made relative to the repository and timestamps are replaced,
//! so the snapshots hold what the renderers decide, not where the clone
//! lives or which instants the corpus happened to record.
//!
//! After an intended change: `INSTA_UPDATE=always cargo test --test snapshots`
//! (or `cargo insta review`), then read the diff before committing it.

use coroner::report::{render, Format};

mod common;

fn report() -> coroner::Report {
    // Relative to the package root (the tests' working directory): the text
    // report wraps its "Paths are relative to …" line, so an absolute path
    // would make the snapshot depend on where the clone lives.
    let mut config = coroner::Config::new(vec![std::path::PathBuf::from("samples/bundle")]);
    config.threads = 2;
    coroner::run(&config)
}

fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    let root = regex::escape(env!("CARGO_MANIFEST_DIR"));
    s.add_filter(&format!("{root}/"), "");
    s.add_filter(&root, "[REPO]");
    // RFC 3339 instants (any fraction, Z or offset) and `dmesg -T` stamps.
    s.add_filter(
        r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?",
        "[TIME]",
    );
    s.add_filter(r#""version": "[^"]+""#, r#""version": "[VERSION]""#);
    s.set_prepend_module_to_snapshot(false);
    s.set_omit_expression(true);
    s
}

#[test]
fn bundle_reports_in_every_format() {
    let r = report();
    let settings = settings();
    settings.bind(|| {
        insta::assert_snapshot!("bundle.txt", render(&r, Format::Text));
        insta::assert_snapshot!("bundle.md", render(&r, Format::Markdown));
        insta::assert_snapshot!("bundle.json", render(&r, Format::Json));
        insta::assert_snapshot!("bundle.html", render(&r, Format::Html));
    });
}
