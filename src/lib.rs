//! coroner: the offline post-mortem of a Docker incident.
//!
//! The library reads artifacts (inspect JSON, json-file logs, kernel logs,
//! docker events, image archives, filesystem exports, whole bundles),
//! correlates them and returns a report. It never prints, never parses
//! command-line flags and never exits the process: that is the binary's job.
//!
//! ```no_run
//! let config = coroner::Config::new(vec!["samples/bundle".into()]);
//! let report = coroner::run(&config);
//! print!("{}", coroner::report::render(&report, coroner::report::Format::Text));
//! ```

pub mod archive;
pub mod batch;
pub mod correlate;
pub mod format;
pub mod gate;
pub mod ingest;
pub mod model;
pub mod redact;
pub mod report;
pub mod rules;
pub mod time;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

pub use model::Limits;
pub use report::schema::{Report, Severity};
pub use rules::RuleOptions;

/// Everything a run needs, free of any CLI type.
#[derive(Clone, Debug)]
pub struct Config {
    pub paths: Vec<PathBuf>,
    /// Worker threads; 0 means one per core.
    pub threads: usize,
    pub limits: Limits,
    pub rules: RuleOptions,
    /// Print secret values. Off by default; the CLI makes it loud.
    pub show_secrets: bool,
    /// Told how many input bytes have been read; `None` for silence. The
    /// report does not depend on it.
    pub progress: Option<Progress>,
}

/// How far ingestion has got.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProgressEvent {
    /// Bytes of the input files read so far; never decreases.
    pub bytes_done: u64,
    /// Total size of the input files (compressed size for compressed files).
    pub bytes_total: u64,
    /// The input being read when the event was sent (empty for the first
    /// event, sent before any input is read).
    pub path: String,
}

/// A progress hook. Events arrive one at a time (never concurrently) and in
/// order, from whichever worker thread made the progress.
#[derive(Clone)]
pub struct Progress(Arc<dyn Fn(&ProgressEvent) + Send + Sync>);

impl Progress {
    pub fn new(hook: impl Fn(&ProgressEvent) + Send + Sync + 'static) -> Progress {
        Progress(Arc::new(hook))
    }

    pub(crate) fn send(&self, event: &ProgressEvent) {
        (self.0)(event)
    }
}

impl fmt::Debug for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Progress(..)")
    }
}

impl Config {
    pub fn new(paths: Vec<PathBuf>) -> Config {
        Config {
            paths,
            threads: 0,
            limits: Limits::default(),
            rules: RuleOptions::default(),
            show_secrets: false,
            progress: None,
        }
    }
}

/// Reads, correlates and judges every input; returns the report, redacted
/// unless `show_secrets` is set. Never panics on input: damaged inputs end
/// up in `Report::diagnostics`.
pub fn run(config: &Config) -> Report {
    match rayon::ThreadPoolBuilder::new()
        .num_threads(config.threads)
        .build()
    {
        Ok(pool) => pool.install(|| run_on_current_pool(config)),
        Err(_) => run_on_current_pool(config),
    }
}

/// [`run`] on the rayon pool the caller is already in, ignoring
/// `config.threads`: `batch` runs many bundles on one pool instead of
/// building (and tearing down) a pool per bundle.
pub fn run_on_current_pool(config: &Config) -> Report {
    let ingested =
        ingest::ingest_with_progress(&config.paths, &config.limits, config.progress.as_ref());
    let analysis = correlate::correlate(ingested);
    let findings = rules::evaluate(&analysis, &config.rules);
    let report = report::build(&analysis, findings);
    if config.show_secrets {
        report
    } else {
        redact::redact_report(&report)
    }
}

impl Report {
    /// True when no input at all could be read.
    pub fn nothing_readable(&self) -> bool {
        self.inputs.iter().all(|i| {
            matches!(
                i.kind.as_str(),
                "unknown" | "not-relevant" | "coroner-report"
            )
        })
    }

    /// The most severe finding, if any.
    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).min()
    }
}
