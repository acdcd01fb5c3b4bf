//! The `coroner` command line: flags become a plain `coroner::Config`, the
//! library does the work, and the exit code says what happened.

// The binary owns the terminal: it alone prints and exits (Cargo.toml's
// [lints] deny these everywhere else).
#![allow(clippy::print_stdout, clippy::print_stderr, clippy::exit)]

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, OnceLock};

use clap::{Parser, Subcommand, ValueEnum};

const BATCH_EXIT_CODES: &str = "Exit codes (checked in this order):
  2  usage error (bad flag, unreadable DIR, OUTDIR not writable), or any bundle failed
     (no input of it could be read, or its reports could not be written)
  1  --fail-on is set and any bundle has a finding at or above it
  0  every bundle was analysed (or was up to date) and none crossed --fail-on";

const EXIT_CODES: &str = "Exit codes:
  0  the report was written
  1  findings at or above --fail-on, or an image crossed a CI gate limit
     (--max-wasted-bytes, --max-wasted-ratio, --min-efficiency)
  2  usage error, a path given on the command line could not be read (the
     report is still written from the others), or no input could be read";

#[derive(Parser)]
#[command(name = "coroner", version, about = "Offline post-mortem of Docker incidents: explains the cause of death with cited evidence.", after_help = EXIT_CODES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum FormatArg {
    Text,
    Md,
    Json,
    Html,
    /// SARIF 2.1.0, for CI and code scanning (issue #13).
    Sarif,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum ColorArg {
    Auto,
    Always,
    Never,
}

/// Columns for text output: `COLUMNS` when set, else the terminal's width
/// when stdout is one, else 100.
fn text_width() -> usize {
    if let Some(n) = std::env::var("COLUMNS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&n| n > 0)
    {
        return n;
    }
    if io::stdout().is_terminal() {
        if let Some((terminal_size::Width(w), _)) = terminal_size::terminal_size() {
            if w > 0 {
                return w as usize;
            }
        }
    }
    100
}

/// Whether text output is coloured: `--color`, `NO_COLOR` (any non-empty
/// value turns auto off), and auto only when writing to a terminal.
fn use_color(arg: ColorArg, to_file: bool) -> bool {
    match arg {
        ColorArg::Always => true,
        ColorArg::Never => false,
        ColorArg::Auto => {
            !to_file
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && io::stdout().is_terminal()
        }
    }
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum ProgressArg {
    Auto,
    Lines,
    Never,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum FailOn {
    Warning,
    Critical,
}

#[derive(Subcommand)]
enum Command {
    /// Analyse files, directories and archives (.tar, .tar.gz, .tar.zst) and write one incident report.
    #[command(after_help = EXIT_CODES)]
    Report {
        /// Inputs: any mix of inspect JSON, json-file logs, kernel logs, docker events, image archives, exports, bundle directories or archives. Identified by content, not name.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Output format [default: from the extension of -o FILE (.txt, .md, .json, .html, .sarif), else text].
        #[arg(long, value_enum)]
        format: Option<FormatArg>,
        /// Write the report to FILE instead of stdout.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
        /// Worker threads (0 = one per core). The report is identical for every value.
        #[arg(long, default_value_t = 0)]
        threads: usize,
        /// Exit 1 when a finding at or above this severity exists.
        #[arg(long, value_enum)]
        fail_on: Option<FailOn>,
        /// Evidence lines per finding in text and Markdown output.
        #[arg(long, default_value_t = 8)]
        max_evidence: usize,
        /// Colour in text output: on a terminal (auto, off when NO_COLOR is set), always or never.
        #[arg(long, value_enum, default_value = "auto")]
        color: ColorArg,
        /// Text output: the seven diagnosis questions in full for every container, and every input.
        #[arg(short = 'v', long)]
        verbose: bool,
        /// Markdown output: at most N characters (GitHub comments take 65536, Jira 32767); the largest sections are cut first, saying what was left out.
        #[arg(long, value_name = "N", default_value_t = coroner::report::markdown::DEFAULT_MAX_CHARS)]
        max_chars: usize,
        /// DANGEROUS: print secret values (passwords, tokens, keys) instead of redacting them.
        #[arg(long)]
        show_secrets: bool,
        /// CI gate: fail (exit 1) when an image wastes more than N bytes (files hidden by later layers). One PASS/FAIL line per image goes to stderr.
        #[arg(long, value_name = "N", help_heading = "CI gate (like dive --ci)")]
        max_wasted_bytes: Option<u64>,
        /// CI gate: fail when an image's wasted / (size + wasted) is above F (0.0-1.0).
        #[arg(long, value_name = "F", value_parser = fraction, help_heading = "CI gate (like dive --ci)")]
        max_wasted_ratio: Option<f64>,
        /// CI gate: fail when an image's efficiency, size / (size + wasted), is below F (0.0-1.0).
        #[arg(long, value_name = "F", value_parser = fraction, help_heading = "CI gate (like dive --ci)")]
        min_efficiency: Option<f64>,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// Analyse every top-level entry of DIR (bundle directory, file or archive) as one incident; write OUTDIR/<name>.{json,md,html} and OUTDIR/index.ndjson.
    #[command(after_help = BATCH_EXIT_CODES)]
    Batch {
        /// Directory whose top-level entries are the bundles (hidden entries are ignored).
        dir: PathBuf,
        /// Output directory for the reports and index.ndjson (created if missing; one per shard).
        #[arg(long, value_name = "OUTDIR", required_unless_present = "list_shard")]
        out: Option<PathBuf>,
        /// Print the bundles that shard K of N would take, one per line, and exit; nothing is read or written.
        #[arg(long, value_name = "K/N", value_parser = parse_shard, conflicts_with = "shard")]
        list_shard: Option<coroner::batch::Shard>,
        /// How progress is shown on stderr: a bar on a terminal (auto), one line per finished bundle for job runners' logs (lines), or nothing (never).
        #[arg(long, value_enum, default_value = "auto")]
        progress: ProgressArg,
        /// Report formats, comma-separated. The JSON report is always written: re-runs read it back.
        #[arg(
            long,
            value_enum,
            value_delimiter = ',',
            default_value = "json,md,html"
        )]
        format: Vec<FormatArg>,
        /// Bundles analysed at once (0 = one per core). Reports are identical for every value.
        #[arg(long, default_value_t = 0)]
        jobs: usize,
        /// Only process shard K of N (1-based): the bundles whose FNV-1a 64 hash of the name, modulo N, plus 1, is K.
        #[arg(long, value_name = "K/N", value_parser = parse_shard)]
        shard: Option<coroner::batch::Shard>,
        /// Exit 1 when any bundle has a finding at or above this severity.
        #[arg(long, value_enum)]
        fail_on: Option<FailOn>,
        /// Evidence lines per finding in Markdown reports.
        #[arg(long, default_value_t = 8)]
        max_evidence: usize,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// Print a shell completion script: `coroner completions bash > /etc/bash_completion.d/coroner`.
    Completions {
        /// The shell to complete for.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff): `coroner man > coroner.1 && man ./coroner.1`.
    Man,
}

/// The format `-o FILE` implies when `--format` is not given.
fn format_from_path(path: &std::path::Path) -> Option<FormatArg> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "txt" | "text" | "log" => Some(FormatArg::Text),
        "md" | "markdown" => Some(FormatArg::Md),
        "json" => Some(FormatArg::Json),
        "html" | "htm" => Some(FormatArg::Html),
        "sarif" => Some(FormatArg::Sarif),
        _ => None,
    }
}

/// The paths given on the command line that cannot be read at all.
fn unreadable(paths: &[PathBuf]) -> Vec<(PathBuf, io::Error)> {
    paths
        .iter()
        .filter_map(|p| {
            let probe = std::fs::metadata(p).and_then(|m| {
                if m.is_dir() {
                    std::fs::read_dir(p).map(|_| ())
                } else {
                    std::fs::File::open(p).map(|_| ())
                }
            });
            probe.err().map(|e| (p.clone(), e))
        })
        .collect()
}

/// The limits that keep hostile or huge inputs bounded, shared by `report`
/// and `batch`.
#[derive(clap::Args)]
#[command(next_help_heading = "Limits (hostile or huge inputs)")]
struct LimitArgs {
    /// Limit: decompressed bytes per compressed input.
    #[arg(long, default_value_t = coroner::Limits::default().max_decompressed_bytes)]
    max_decompressed_bytes: u64,
    /// Limit: archives (and compression layers) nested inside each other.
    #[arg(long, default_value_t = coroner::Limits::default().max_nesting)]
    max_nesting: u32,
    /// Limit: entries read from one tar archive.
    #[arg(long, default_value_t = coroner::Limits::default().max_entries)]
    max_entries: u64,
    /// Limit: size of one JSON document (inspect, image config).
    #[arg(long, default_value_t = coroner::Limits::default().max_json_bytes)]
    max_json_bytes: u64,
    /// Limit: bytes of one logical log line reassembled from partial records.
    #[arg(long, default_value_t = coroner::Limits::default().max_line_bytes)]
    max_line_bytes: usize,
    /// Limit: bytes of one tar entry path or link target (GNU long names, PAX path/linkpath).
    #[arg(long, default_value_t = coroner::Limits::default().max_path_bytes)]
    max_path_bytes: usize,
    /// Limit: bytes of one PAX or GNU long-name extension header in a tar archive.
    #[arg(long, default_value_t = coroner::Limits::default().max_header_bytes)]
    max_header_bytes: u64,
    /// Limit: bytes of one archive member read to be identified and analysed.
    #[arg(long, default_value_t = coroner::Limits::default().max_member_bytes)]
    max_member_bytes: u64,
}

impl LimitArgs {
    fn apply(&self, limits: &mut coroner::Limits) {
        limits.max_decompressed_bytes = self.max_decompressed_bytes;
        limits.max_nesting = self.max_nesting;
        limits.max_entries = self.max_entries;
        limits.max_json_bytes = self.max_json_bytes;
        limits.max_line_bytes = self.max_line_bytes;
        limits.max_path_bytes = self.max_path_bytes;
        limits.max_header_bytes = self.max_header_bytes;
        limits.max_member_bytes = self.max_member_bytes;
    }
}

fn parse_shard(s: &str) -> Result<coroner::batch::Shard, String> {
    coroner::batch::Shard::parse(s).map_err(|e| e.to_string())
}

fn format_of(f: FormatArg) -> coroner::report::Format {
    match f {
        FormatArg::Text => coroner::report::Format::Text,
        FormatArg::Md => coroner::report::Format::Markdown,
        FormatArg::Json => coroner::report::Format::Json,
        FormatArg::Html => coroner::report::Format::Html,
        FormatArg::Sarif => coroner::report::Format::Sarif,
    }
}

fn batch(
    config: coroner::batch::BatchConfig,
    fail_on: Option<FailOn>,
    progress_mode: ProgressArg,
) -> ExitCode {
    use std::io::IsTerminal;
    use std::sync::atomic::{AtomicU64, Ordering};
    let started = std::time::Instant::now();
    let bar = if progress_mode == ProgressArg::Auto && io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:30} {pos}/{len} bundles, {per_sec}, ETA {eta} {wide_msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Some(bar)
    } else {
        None
    };
    let (failed, skipped, done) = (AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0));
    let total = AtomicU64::new(0);
    let progress = |p: coroner::batch::Progress<'_>| match p {
        coroner::batch::Progress::Planned { total: n } => {
            total.store(n as u64, Ordering::Relaxed);
            if let Some(bar) = &bar {
                bar.set_length(n as u64);
            }
        }
        coroner::batch::Progress::Finished { line } => {
            let n = done.fetch_add(1, Ordering::Relaxed) + 1;
            let f = failed.fetch_add(u64::from(line.error.is_some()), Ordering::Relaxed)
                + u64::from(line.error.is_some());
            let k = skipped.fetch_add(u64::from(line.skipped), Ordering::Relaxed)
                + u64::from(line.skipped);
            let name = coroner::report::escape::visible(&line.bundle).into_owned();
            if let Some(bar) = &bar {
                bar.set_message(format!("{f} failed, {k} up to date; {name}"));
                bar.inc(1);
            } else if progress_mode == ProgressArg::Lines {
                let status = match (&line.error, line.skipped) {
                    (Some(_), _) => "FAILED",
                    (None, true) => "up to date",
                    (None, false) => "ok",
                };
                eprintln!(
                    "coroner: [{n}/{}] {name}: {status} ({} ms; {f} failed, {k} up to date)",
                    total.load(Ordering::Relaxed),
                    line.duration_ms
                );
            }
        }
    };
    let result = coroner::batch::run(&config, &progress);
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let result = match result {
        Ok(r) => r,
        Err(e) => {
            eprintln!(
                "coroner: error: {}",
                coroner::redact::redact(&e.to_string())
            );
            return ExitCode::from(2);
        }
    };
    let v = |s: &str| coroner::report::escape::visible(s).into_owned();
    // The index is read back twice, a line at a time (the column width,
    // then the rows): a batch of any size holds one line in memory.
    let lines = || {
        coroner::batch::read_index(&result.index)
            .into_iter()
            .flatten()
            .map_while(Result::ok)
    };
    let mut table = String::new();
    let width = lines()
        .map(|l| v(&l.bundle).chars().count())
        .max()
        .unwrap_or(6)
        .max(6);
    table.push_str(&format!(
        "{:<width$}  {:>10}  {:>8}  {:>7}  {:>4}  {:>4}  {:>12}  status\n",
        "bundle", "containers", "critical", "warning", "info", "oom", "wasted B"
    ));
    let mut out = io::stdout().lock();
    let mut rows = 0usize;
    for l in lines() {
        let status = match (&l.error, l.skipped) {
            (Some(e), _) => format!("FAILED: {}", v(e)),
            (None, true) => "up to date".to_string(),
            (None, false) => "ok".to_string(),
        };
        table.push_str(&format!(
            "{:<width$}  {:>10}  {:>8}  {:>7}  {:>4}  {:>4}  {:>12}  {}\n",
            v(&l.bundle),
            l.containers,
            l.critical,
            l.warning,
            l.info,
            l.oom_kills,
            l.wasted_bytes,
            status
        ));
        rows += 1;
        if rows % 256 == 0 {
            // Written as it goes, so the table does not grow with the batch.
            if let Err(e) = out.write_all(table.as_bytes()) {
                if e.kind() == io::ErrorKind::BrokenPipe {
                    break;
                }
            }
            table.clear();
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let rate = result.total as f64 / secs.max(1e-3);
    table.push_str(&format!(
        "{} bundle(s): {} analysed, {} up to date, {} failed; {} in other shards; {secs:.1} s, {rate:.1} bundles/s. Index: {}\n",
        result.total,
        result.analysed,
        result.up_to_date,
        result.failed(),
        result.other_shards,
        v(&result.index.display().to_string())
    ));
    match out.write_all(table.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
        Err(e) => {
            eprintln!("coroner: error: cannot write the summary: {e}");
            return ExitCode::from(2);
        }
    }
    if result.failed() > 0 {
        eprintln!(
            "coroner: error: {} bundle(s) failed; see the `error` field in {}",
            result.failed(),
            v(&result.index.display().to_string())
        );
        return ExitCode::from(2);
    }
    let threshold = match fail_on {
        Some(FailOn::Critical) => Some(coroner::Severity::Critical),
        Some(FailOn::Warning) => Some(coroner::Severity::Warning),
        None => None,
    };
    match threshold {
        Some(t) if result.crosses(t) => ExitCode::from(1),
        _ => ExitCode::SUCCESS,
    }
}

/// Redacted unless `--show-secrets` is among the arguments.
fn redact_msg(msg: &str) -> String {
    if std::env::args_os().any(|a| a == "--show-secrets") {
        msg.to_string()
    } else {
        coroner::redact::redact(msg).into_owned()
    }
}

/// Inputs above this size show a progress bar (on a terminal): reading them
/// is expected to take more than about a second.
const PROGRESS_MIN_BYTES: u64 = 200 << 20;

/// Installs a progress hook that draws a bar on stderr once the first event
/// says the inputs are large, and only when stderr is a terminal. Returns
/// the bar (set once the first event arrives) so it can be cleared.
fn progress_bar(config: &mut coroner::Config) -> Arc<OnceLock<Option<indicatif::ProgressBar>>> {
    let cell: Arc<OnceLock<Option<indicatif::ProgressBar>>> = Arc::new(OnceLock::new());
    if !io::stderr().is_terminal() {
        return cell;
    }
    let hook_cell = Arc::clone(&cell);
    config.progress = Some(coroner::Progress::new(move |ev| {
        let bar = hook_cell.get_or_init(|| {
            (ev.bytes_total >= PROGRESS_MIN_BYTES).then(|| {
                let bar = indicatif::ProgressBar::with_draw_target(
                    Some(ev.bytes_total),
                    indicatif::ProgressDrawTarget::stderr(),
                );
                if let Ok(style) = indicatif::ProgressStyle::with_template(
                    "{spinner} reading {bytes}/{total_bytes} ({bytes_per_sec}, {eta}) {wide_msg}",
                ) {
                    bar.set_style(style);
                }
                bar
            })
        });
        if let Some(bar) = bar {
            bar.set_position(ev.bytes_done);
            if !ev.path.is_empty() {
                bar.set_message(coroner::report::escape::visible(&ev.path).into_owned());
            }
        }
    }));
    cell
}

fn main() -> ExitCode {
    // A panic message may quote input (a log line, a path): redact it and
    // escape control characters like every other message.
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!(
            "coroner: internal error{at}: {}\nhint: this is a bug; please report it with the command line (not the input)",
            coroner::report::escape::visible(&redact_msg(&msg))
        );
    }));
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            // clap quotes the offending argument, which may be a secret
            // (`--pasword=hunter2`). Help and version text is ours, never
            // input: it is printed as written.
            let rendered = e.render().to_string();
            let text = if e.use_stderr() {
                redact_msg(&rendered)
            } else {
                rendered
            };
            if e.use_stderr() {
                eprint!("{text}");
            } else {
                print!("{text}");
            }
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match cli.command {
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut cmd, "coroner", &mut out);
            write_stdout(&out)
        }
        Command::Man => {
            let cmd = <Cli as clap::CommandFactory>::command();
            let mut out = Vec::new();
            match clap_mangen::Man::new(cmd).render(&mut out) {
                Ok(()) => write_stdout(&out),
                Err(e) => {
                    eprintln!("coroner: error: cannot render the manual page: {e}");
                    ExitCode::from(2)
                }
            }
        }
        Command::Batch {
            dir,
            out,
            list_shard,
            progress,
            format,
            jobs,
            shard,
            fail_on,
            max_evidence,
            limits,
        } => {
            if let Some(shard) = list_shard {
                let mut config = coroner::batch::BatchConfig::new(dir, PathBuf::new());
                config.shard = Some(shard);
                return match coroner::batch::plan(&config) {
                    Ok(bundles) => {
                        let mut text = String::new();
                        for (name, _) in bundles {
                            text.push_str(&coroner::report::escape::visible(&name));
                            text.push('\n');
                        }
                        write_stdout(text.as_bytes())
                    }
                    Err(e) => {
                        eprintln!("coroner: error: {}", redact_msg(&e.to_string()));
                        ExitCode::from(2)
                    }
                };
            }
            // clap requires --out unless --list-shard is given.
            let Some(out) = out else {
                eprintln!("coroner: error: --out OUTDIR is required");
                return ExitCode::from(2);
            };
            let mut config = coroner::batch::BatchConfig::new(dir, out);
            limits.apply(&mut config.run.limits);
            config.formats = format.into_iter().map(format_of).collect();
            config.jobs = jobs;
            config.shard = shard;
            config.max_evidence = max_evidence;
            batch(config, fail_on, progress)
        }
        Command::Report {
            paths,
            format,
            output,
            threads,
            fail_on,
            max_evidence,
            color,
            verbose,
            max_chars,
            show_secrets,
            max_wasted_bytes,
            max_wasted_ratio,
            min_efficiency,
            limits,
        } => {
            let mut config = coroner::Config::new(paths);
            config.threads = threads;
            config.show_secrets = show_secrets;
            limits.apply(&mut config.limits);
            if show_secrets {
                eprintln!("coroner: WARNING: --show-secrets is set: this report contains passwords, tokens and keys in clear text. Do not attach it to a ticket.");
            }
            let bar = progress_bar(&mut config);
            let report = coroner::run(&config);
            if let Some(bar) = bar.get().and_then(|b| b.as_ref()) {
                bar.finish_and_clear();
            }
            let format = format
                .or_else(|| output.as_deref().and_then(format_from_path))
                .unwrap_or(FormatArg::Text);
            let opts = coroner::report::RenderOptions {
                width: text_width(),
                color: use_color(color, output.is_some()),
                verbose,
                max_evidence,
                max_chars,
            };
            let text = match format {
                FormatArg::Text => {
                    coroner::report::render_opts(&report, coroner::report::Format::Text, &opts)
                }
                FormatArg::Json => coroner::report::render(&report, coroner::report::Format::Json),
                FormatArg::Md => {
                    coroner::report::render_opts(&report, coroner::report::Format::Markdown, &opts)
                }
                FormatArg::Html => coroner::report::render(&report, coroner::report::Format::Html),
                FormatArg::Sarif => {
                    coroner::report::render(&report, coroner::report::Format::Sarif)
                }
            };
            let written = match &output {
                Some(p) => std::fs::write(p, text.as_bytes())
                    .map_err(|e| format!("cannot write {}: {e}", p.display())),
                None => {
                    let mut out = io::stdout().lock();
                    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
                        Ok(()) => Ok(()),
                        // `| head` closed the pipe: not an error.
                        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
                        Err(e) => Err(format!("cannot write the report: {e}")),
                    }
                }
            };
            if let Err(e) = written {
                eprintln!(
                    "coroner: error: {}",
                    coroner::report::escape::visible(&redact_msg(&e))
                );
                return ExitCode::from(2);
            }
            for d in report
                .diagnostics
                .iter()
                .filter(|d| d.severity == coroner::model::DiagSeverity::Error)
            {
                eprintln!("coroner: {}: {}", d.path.text(), d.message.text());
            }
            let missing = unreadable(&config.paths);
            for (p, e) in &missing {
                let shown = p.display().to_string();
                if report
                    .diagnostics
                    .iter()
                    .any(|d| d.severity == coroner::model::DiagSeverity::Error && d.path == shown)
                {
                    continue; // already said above
                }
                eprintln!(
                    "coroner: error: cannot read {}: {e}\nhint: check the path and its permissions; the report was written from the other inputs",
                    coroner::report::escape::visible(&redact_msg(&p.display().to_string()))
                );
            }
            if report.nothing_readable() {
                eprintln!("coroner: error: no input could be read as a Docker or kernel artifact\nhint: pass docker inspect JSON, json-file logs, kernel logs, image archives or a bundle directory");
                return ExitCode::from(2);
            }
            let threshold = match fail_on {
                Some(FailOn::Critical) => Some(coroner::Severity::Critical),
                Some(FailOn::Warning) => Some(coroner::Severity::Warning),
                None => None,
            };
            let gate = coroner::gate::Gate {
                max_wasted_bytes,
                max_wasted_ratio,
                min_efficiency,
            };
            let results = coroner::gate::evaluate(&report, &gate);
            for r in &results {
                eprintln!("{}", coroner::report::escape::visible(&r.to_string()));
            }
            if !gate.is_empty() && report.images.is_empty() {
                eprintln!("coroner: warning: CI gate limits set but no image archive among the inputs; nothing checked");
            }
            let gate_failed = coroner::gate::failed(&results);
            if !missing.is_empty() {
                return ExitCode::from(2);
            }
            match (threshold, report.worst()) {
                (Some(t), Some(w)) if w <= t => ExitCode::from(1),
                _ if gate_failed => ExitCode::from(1),
                _ => ExitCode::SUCCESS,
            }
        }
    }
}

/// Writes generated text to stdout; a closed pipe is not an error.
fn write_stdout(bytes: &[u8]) -> ExitCode {
    let mut out = io::stdout().lock();
    match out.write_all(bytes).and_then(|_| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("coroner: error: cannot write to stdout: {e}");
            ExitCode::from(2)
        }
    }
}

/// A number between 0 and 1 for the ratio flags.
fn fraction(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .parse()
        .map_err(|_| format!("{s:?} is not a number; give a fraction such as 0.9"))?;
    if (0.0..=1.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!("{v} is outside 0.0-1.0"))
    }
}
