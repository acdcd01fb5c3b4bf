//! Helpers shared by the integration tests (each test file is its own
//! crate and uses some of them).
#![allow(dead_code)]

use std::path::PathBuf;

/// A path under the repository's `samples/`.
pub fn sample(p: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(p)
}

/// Appends a regular file (GNU header, mode 0644) to a tar being built.
pub fn tar_file(b: &mut tar::Builder<Vec<u8>>, name: &str, body: &[u8]) {
    let mut h = tar::Header::new_gnu();
    h.set_size(body.len() as u64);
    h.set_mode(0o644);
    h.set_cksum();
    b.append_data(&mut h, name, body).expect("append to tar");
}

/// `n` deterministic incompressible bytes (xorshift64), with no
/// recognisable magic.
pub fn noise(n: usize) -> Vec<u8> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// The container of that name in a report; panics naming it if missing.
pub fn container<'r>(
    report: &'r coroner::report::schema::Report,
    name: &str,
) -> &'r coroner::report::schema::Container {
    report
        .containers
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("container {name} missing from the report"))
}

/// The rules that fired for the container of that name.
pub fn rules_of<'r>(report: &'r coroner::report::schema::Report, name: &str) -> Vec<&'r str> {
    report
        .findings
        .iter()
        .filter(|f| f.container.as_ref().map(|s| s.unescaped()) == Some(name))
        .map(|f| f.rule.as_str())
        .collect()
}

/// `report()`, `c(name)` and `rules(name)` over one sample's report, built
/// once for the whole test file.
#[allow(unused_macros)]
macro_rules! one_report {
    ($sample:expr) => {
        fn report() -> &'static coroner::report::schema::Report {
            static R: std::sync::OnceLock<coroner::report::schema::Report> =
                std::sync::OnceLock::new();
            R.get_or_init(|| coroner::run(&coroner::Config::new(vec![common::sample($sample)])))
        }

        #[allow(dead_code)]
        fn c(name: &str) -> &'static coroner::report::schema::Container {
            common::container(report(), name)
        }

        #[allow(dead_code)]
        fn rules(name: &str) -> Vec<&'static str> {
            common::rules_of(report(), name)
        }
    };
}
#[allow(unused_imports)]
pub(crate) use one_report;
