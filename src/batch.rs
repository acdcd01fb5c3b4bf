//! Batch post-mortems for fleets (issue #6): every top-level entry of a
//! directory (a bundle directory, a file or an archive) is one incident,
//! analysed with [`crate::run`] and written as `OUTDIR/<name>.{json,md,html}`,
//! with one line of facts per bundle in `OUTDIR/index.ndjson`.
//!
//! Bundles run in parallel on a rayon pool of `jobs` threads; each bundle's
//! own run is single-threaded, and results are collected in name order, so
//! reports and index are the same for any `jobs` (the index's `duration_ms`
//! is the one measured field). A bundle that cannot be read is a line with an
//! `error`, never the end of the batch. Bundles whose reports are newer than
//! every file in them, and were written by this version of coroner, are
//! skipped and their facts read back from their JSON report. `shard` picks a stable subset by a hash of the bundle name, so N
//! machines can split one directory without talking to each other.
//!
//! This module never prints: the caller gets a [`BatchResult`] and may watch
//! progress through a callback.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

use rayon::prelude::*;

use crate::report::schema::BatchIndexLine;
use crate::report::{self, Format};
use crate::{Config, Report, Severity};

/// File name of the index in the output directory.
pub const INDEX_FILE: &str = "index.ndjson";

/// Everything a batch needs, free of any CLI type.
#[derive(Clone, Debug)]
pub struct BatchConfig {
    /// The directory whose top-level entries are the bundles.
    pub dir: PathBuf,
    /// Where reports and `index.ndjson` are written (created if missing).
    pub out: PathBuf,
    /// Report formats to write. JSON is always written as well: it is the
    /// record that re-runs read back.
    pub formats: Vec<Format>,
    /// Bundles analysed at once; 0 means one per core.
    pub jobs: usize,
    /// Only process the bundles of this shard.
    pub shard: Option<Shard>,
    /// Evidence lines per finding in Markdown reports.
    pub max_evidence: usize,
    /// Limits, rule options and `show_secrets` for every bundle; `paths` and
    /// `threads` are set per bundle.
    pub run: Config,
}

impl BatchConfig {
    pub fn new(dir: PathBuf, out: PathBuf) -> BatchConfig {
        BatchConfig {
            dir,
            out,
            formats: vec![Format::Json],
            jobs: 0,
            shard: None,
            max_evidence: report::markdown::DEFAULT_MAX_EVIDENCE,
            run: Config::new(Vec::new()),
        }
    }
}

/// Shard `index` of `count` (1-based): a bundle belongs to it when
/// `fnv1a64(name) % count + 1 == index`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    /// Parses `K/N` with `1 <= K <= N`.
    pub fn parse(spec: &str) -> Result<Shard, BatchError> {
        let bad = || BatchError::Shard {
            spec: spec.to_string(),
        };
        let (k, n) = spec.split_once('/').ok_or_else(bad)?;
        let index: u64 = k.trim().parse().map_err(|_| bad())?;
        let count: u64 = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// True when the bundle called `name` belongs to this shard.
    pub fn contains(&self, name: &str) -> bool {
        fnv1a64(name.as_bytes()) % self.count + 1 == self.index
    }
}

/// 64-bit FNV-1a: tiny, stable across machines and Rust versions.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Why a batch could not run at all. Per-bundle failures are not errors:
/// they are index lines with `error` set.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    #[error("cannot read the batch directory {path}: {source}")]
    ReadDir { path: PathBuf, source: io::Error },
    #[error("cannot create the output directory {path}: {source}")]
    CreateOut { path: PathBuf, source: io::Error },
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: io::Error },
    #[error("invalid shard {spec:?}: expected K/N with 1 <= K <= N")]
    Shard { spec: String },
}

/// What the callback is told while a batch runs. Called from worker
/// threads, in no particular order between bundles.
#[derive(Debug)]
pub enum Progress<'a> {
    /// The bundles of this run (after sharding) are known.
    Planned { total: usize },
    /// A bundle has been analysed, read back, or failed.
    Finished { line: &'a BatchIndexLine },
}

/// The outcome of a batch. The index lines themselves are in the index
/// file (sorted by name), never all in memory: a batch of many thousand
/// bundles holds only their names and these counts.
#[derive(Clone, Debug, Default)]
pub struct BatchResult {
    /// Path of the index written.
    pub index: PathBuf,
    /// Bundles of this run (after sharding).
    pub total: usize,
    /// Analysed now (not up to date, not failed).
    pub analysed: usize,
    /// Up to date: their reports were read back.
    pub up_to_date: usize,
    /// Failed (a line with `error`).
    pub failed: usize,
    /// Bundles left to other shards.
    pub other_shards: usize,
    /// Bundles with at least one finding of each severity.
    pub with_critical: usize,
    pub with_warning: usize,
    pub with_info: usize,
}

impl BatchResult {
    /// Bundles that failed.
    pub fn failed(&self) -> usize {
        self.failed
    }

    /// True when any bundle has a finding at or above `threshold`.
    pub fn crosses(&self, threshold: Severity) -> bool {
        match threshold {
            Severity::Critical => self.with_critical > 0,
            Severity::Warning => self.with_critical + self.with_warning > 0,
            Severity::Info => self.with_critical + self.with_warning + self.with_info > 0,
        }
    }

    fn count(&mut self, l: &BatchIndexLine) {
        self.total += 1;
        match (&l.error, l.skipped) {
            (Some(_), _) => self.failed += 1,
            (None, true) => self.up_to_date += 1,
            (None, false) => self.analysed += 1,
        }
        self.with_critical += usize::from(l.critical > 0);
        self.with_warning += usize::from(l.warning > 0);
        self.with_info += usize::from(l.info > 0);
    }
}

/// Reads an index written by [`run`] back, one line at a time.
pub fn read_index(path: &Path) -> io::Result<impl Iterator<Item = io::Result<BatchIndexLine>>> {
    use std::io::BufRead;
    let file = io::BufReader::new(fs::File::open(path)?);
    Ok(file.lines().map(|l| {
        l.and_then(|l| {
            serde_json::from_str(&l).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
        })
    }))
}

/// A file name for a bundle's reports: the name itself when it only holds
/// `[A-Za-z0-9._-]`, else the name with other characters replaced by `_`
/// and the FNV-1a hash of the original appended, so two names never share
/// a report, whatever the shard.
pub fn report_stem(name: &str) -> String {
    let safe = !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if safe {
        return name.to_string();
    }
    let mut s: String = name
        .chars()
        .take(100)
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    s = s.trim_start_matches('.').to_string();
    format!("{s}-{:016x}", fnv1a64(name.as_bytes()))
}

fn extension(f: Format) -> &'static str {
    match f {
        Format::Json => "json",
        Format::Markdown => "md",
        Format::Html => "html",
        Format::Text => "txt",
        Format::Sarif => "sarif",
    }
}

/// The facts of one report, as one index line.
pub fn index_line(bundle: &str, path: &Path, stem: &str, r: &Report) -> BatchIndexLine {
    let n = |s| r.findings.iter().filter(|f| f.severity == s).count() as u64;
    let mut rules: Vec<String> = r
        .findings
        .iter()
        .map(|f| f.rule.as_str().to_string())
        .collect();
    rules.sort();
    rules.dedup();
    let mut images: Vec<String> = r
        .images
        .iter()
        .flat_map(|i| {
            if i.refs.is_empty() {
                vec![i.id.unescaped().to_string()]
            } else {
                i.refs.iter().map(|r| r.unescaped().to_string()).collect()
            }
        })
        .collect();
    images.sort();
    images.dedup();
    BatchIndexLine {
        bundle: bundle.to_string(),
        path: path.display().to_string(),
        report: stem.to_string(),
        containers: r.containers.len() as u64,
        critical: n(Severity::Critical),
        warning: n(Severity::Warning),
        info: n(Severity::Info),
        rules,
        images,
        wasted_bytes: r.images.iter().map(|i| i.wasted_bytes).sum(),
        image_contents: r.images.len() as u64,
        oom_kills: r.kernel.oom_kills.len() as u64,
        duration_ms: 0,
        skipped: false,
        error: if r.nothing_readable() {
            Some(unreadable_message(r))
        } else {
            None
        },
    }
}

fn unreadable_message(r: &Report) -> String {
    let mut s = String::from("no input could be read as a Docker or kernel artifact");
    if let Some(d) = r.diagnostics.first() {
        s.push_str(&format!(
            " ({}: {})",
            d.path.unescaped(),
            d.message.unescaped()
        ));
    }
    s
}

/// The newest modification time of anything in the bundle (the entry
/// itself, every directory and file below it); `None` when any of it
/// cannot be read, which means "never skip".
fn newest_mtime(path: &Path) -> Option<SystemTime> {
    let meta = fs::metadata(path).ok()?;
    let mut newest = meta.modified().ok()?;
    if meta.is_dir() {
        let mut stack = vec![path.to_path_buf()];
        while let Some(dir) = stack.pop() {
            for e in fs::read_dir(&dir).ok()? {
                let e = e.ok()?;
                let m = e.path().symlink_metadata().ok()?;
                newest = newest.max(m.modified().ok()?);
                if m.is_dir() {
                    stack.push(e.path());
                }
            }
        }
    }
    Some(newest)
}

/// Writes through a temporary file and a rename, so an interrupted batch
/// never leaves a half report that a re-run would take as up to date.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), BatchError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp"));
    let err = |source| BatchError::Write {
        path: path.to_path_buf(),
        source,
    };
    fs::write(&tmp, bytes).map_err(err)?;
    fs::rename(&tmp, path).map_err(err)
}

struct Bundle {
    name: String,
    path: PathBuf,
    stem: String,
}

fn list_bundles(cfg: &BatchConfig) -> Result<Vec<Bundle>, BatchError> {
    let read_err = |source| BatchError::ReadDir {
        path: cfg.dir.clone(),
        source,
    };
    let out = fs::canonicalize(&cfg.out).ok();
    let mut bundles = Vec::new();
    for e in fs::read_dir(&cfg.dir).map_err(read_err)? {
        let e = e.map_err(read_err)?;
        let name = e.file_name().to_string_lossy().into_owned();
        // Hidden entries are collection debris (.DS_Store, .partial files).
        if name.starts_with('.') {
            continue;
        }
        let path = e.path();
        if out.is_some() && fs::canonicalize(&path).ok() == out {
            continue;
        }
        let Ok(meta) = fs::metadata(&path) else {
            // A dangling link is still a bundle: it fails with a reason.
            bundles.push(Bundle {
                stem: report_stem(&name),
                name,
                path,
            });
            continue;
        };
        if meta.is_dir() || meta.is_file() {
            bundles.push(Bundle {
                stem: report_stem(&name),
                name,
                path,
            });
        }
    }
    bundles.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(bundles)
}

fn process(cfg: &BatchConfig, b: &Bundle) -> BatchIndexLine {
    let start = Instant::now();
    let mut formats = vec![Format::Json];
    for f in &cfg.formats {
        if !formats.contains(f) {
            formats.push(*f);
        }
    }
    let outputs: Vec<(Format, PathBuf)> = formats
        .iter()
        .map(|&f| (f, cfg.out.join(format!("{}.{}", b.stem, extension(f)))))
        .collect();
    let elapsed = |start: Instant| start.elapsed().as_millis() as u64;

    // Up to date? Every report newer than everything in the bundle.
    if let Some(newest) = newest_mtime(&b.path) {
        let fresh = outputs.iter().all(|(_, p)| {
            fs::metadata(p)
                .and_then(|m| m.modified())
                .is_ok_and(|t| t > newest)
        });
        if fresh {
            let previous = fs::read(&outputs[0].1)
                .ok()
                .and_then(|bytes| serde_json::from_slice::<Report>(&bytes).ok())
                // A report from another version of coroner is redone: rules change.
                .filter(|r| {
                    r.schema == report::schema::SCHEMA
                        && r.tool.version == env!("CARGO_PKG_VERSION")
                });
            if let Some(r) = previous {
                let mut line = index_line(&b.name, &b.path, &b.stem, &r);
                line.skipped = true;
                line.duration_ms = elapsed(start);
                return line;
            }
        }
    }

    let mut config = cfg.run.clone();
    config.paths = vec![b.path.clone()];
    config.threads = 1;
    let r = crate::run_on_current_pool(&config);
    let mut line = index_line(&b.name, &b.path, &b.stem, &r);
    for (f, p) in &outputs {
        let text = match f {
            Format::Markdown => report::markdown::render_with(&r, cfg.max_evidence),
            f => report::render(&r, *f),
        };
        if let Err(e) = write_atomic(p, text.as_bytes()) {
            line.error = Some(crate::redact::redact(&e.to_string()).into_owned());
            break;
        }
    }
    line.duration_ms = elapsed(start);
    line
}

/// The bundles of `cfg.dir` that the shard (all of them without one) would
/// take, sorted by name: `coroner batch --list-shard K/N DIR` prints them so
/// an operator can check a split before running it.
pub fn plan(cfg: &BatchConfig) -> Result<Vec<(String, PathBuf)>, BatchError> {
    Ok(list_bundles(cfg)?
        .into_iter()
        .filter(|b| cfg.shard.map_or(true, |s| s.contains(&b.name)))
        .map(|b| (b.name, b.path))
        .collect())
}

/// Runs the batch: lists the bundles of `cfg.dir`, keeps those of the
/// shard, analyses them (or reads back up-to-date reports), writes the
/// reports and `index.ndjson`, and returns the index lines sorted by name.
pub fn run(
    cfg: &BatchConfig,
    progress: &(dyn Fn(Progress<'_>) + Sync),
) -> Result<BatchResult, BatchError> {
    let all = list_bundles(cfg)?;
    fs::create_dir_all(&cfg.out).map_err(|source| BatchError::CreateOut {
        path: cfg.out.clone(),
        source,
    })?;
    let total = all.len();
    let bundles: Vec<Bundle> = all
        .into_iter()
        .filter(|b| cfg.shard.map_or(true, |s| s.contains(&b.name)))
        .collect();
    let other_shards = total - bundles.len();
    progress(Progress::Planned {
        total: bundles.len(),
    });
    let index_path = cfg.out.join(INDEX_FILE);
    let tmp = cfg.out.join(format!(".{INDEX_FILE}.tmp"));
    let err = |source| BatchError::Write {
        path: index_path.clone(),
        source,
    };
    let mut index = io::BufWriter::new(fs::File::create(&tmp).map_err(err)?);
    let mut result = BatchResult {
        other_shards,
        ..Default::default()
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(cfg.jobs)
        .build()
        .ok();
    // Bundles go out in ordered groups a few per worker wide: each group's
    // lines are written in name order and dropped, so memory holds one
    // group's lines at a time, whatever the number of bundles.
    let width = pool.as_ref().map_or(1, |p| p.current_num_threads()).max(1) * 4;
    for group in bundles.chunks(width) {
        let work = || -> Vec<BatchIndexLine> {
            group
                .par_iter()
                .map(|b| {
                    let line = process(cfg, b);
                    progress(Progress::Finished { line: &line });
                    line
                })
                .collect()
        };
        let lines = match &pool {
            Some(pool) => pool.install(work),
            None => work(),
        };
        for l in &lines {
            result.count(l);
            // Serialising a struct of strings and numbers cannot fail.
            let text = serde_json::to_string(l).unwrap_or_default();
            index.write_all(text.as_bytes()).map_err(err)?;
            index.write_all(b"\n").map_err(err)?;
        }
    }
    index.flush().map_err(err)?;
    drop(index);
    fs::rename(&tmp, &index_path).map_err(err)?;
    result.index = index_path;
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a64_matches_the_reference_vectors() {
        assert_eq!(fnv1a64(b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a64(b"a"), 0xaf63dc4c8601ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x85944171f73967e8);
    }

    #[test]
    fn shard_specs() {
        assert_eq!(Shard::parse("2/8").unwrap(), Shard { index: 2, count: 8 });
        for bad in ["0/8", "9/8", "1/0", "x/2", "3", ""] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
        let names = ["a", "b", "host-1", "host-2", "z.tar.gz"];
        for n in names {
            let owners = (1..=3)
                .filter(|k| {
                    Shard {
                        index: *k,
                        count: 3,
                    }
                    .contains(n)
                })
                .count();
            assert_eq!(owners, 1, "{n}");
        }
    }

    #[test]
    fn report_stems_are_safe_and_distinct() {
        assert_eq!(report_stem("host-1.tar.gz"), "host-1.tar.gz");
        let a = report_stem("a b");
        let b = report_stem("a_b");
        assert_ne!(a, b);
        assert!(a.starts_with("a_b-"));
        let evil = report_stem("../../etc/passwd");
        assert!(!evil.contains('/') && !evil.starts_with('.'));
    }
}
