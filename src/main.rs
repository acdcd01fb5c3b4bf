//! The `coroner` command line: flags become a plain `coroner::Config`, the
//! library does the work, and the exit code says what happened.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, OnceLock};

use clap::{Parser, Subcommand, ValueEnum};

const EXIT_CODES: &str = "Exit codes:
  0  the report was written
  1  findings at or above --fail-on
  2  usage error, or no input could be read";

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
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: FormatArg,
        /// Write the report to FILE instead of stdout.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
        /// Worker threads (0 = one per core). The report is identical for every value.
        #[arg(long, default_value_t = 0)]
        threads: usize,
        /// Exit 1 when a finding at or above this severity exists.
        #[arg(long, value_enum)]
        fail_on: Option<FailOn>,
        /// Evidence lines per finding in Markdown output.
        #[arg(long, default_value_t = 8)]
        max_evidence: usize,
        /// DANGEROUS: print secret values (passwords, tokens, keys) instead of redacting them.
        #[arg(long)]
        show_secrets: bool,
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
    },
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
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match cli.command {
        Command::Report {
            paths,
            format,
            output,
            threads,
            fail_on,
            max_evidence,
            show_secrets,
            max_decompressed_bytes,
            max_nesting,
            max_entries,
            max_json_bytes,
            max_line_bytes,
        } => {
            let mut config = coroner::Config::new(paths);
            config.threads = threads;
            config.show_secrets = show_secrets;
            config.limits.max_decompressed_bytes = max_decompressed_bytes;
            config.limits.max_nesting = max_nesting;
            config.limits.max_entries = max_entries;
            config.limits.max_json_bytes = max_json_bytes;
            config.limits.max_line_bytes = max_line_bytes;
            if show_secrets {
                eprintln!("coroner: WARNING: --show-secrets is set: this report contains passwords, tokens and keys in clear text. Do not attach it to a ticket.");
            }
            let bar = progress_bar(&mut config);
            let report = coroner::run(&config);
            if let Some(bar) = bar.get().and_then(|b| b.as_ref()) {
                bar.finish_and_clear();
            }
            let text = match format {
                FormatArg::Text => coroner::report::render(&report, coroner::report::Format::Text),
                FormatArg::Json => coroner::report::render(&report, coroner::report::Format::Json),
                FormatArg::Md => coroner::report::markdown::render_with(&report, max_evidence),
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
                eprintln!("coroner: error: {}", coroner::redact::redact(&e));
                return ExitCode::from(2);
            }
            for d in report.diagnostics.iter().filter(|d| d.severity == "error") {
                eprintln!(
                    "coroner: {}: {}",
                    coroner::report::escape::visible(&d.path),
                    coroner::report::escape::visible(&d.message)
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
            match (threshold, report.worst()) {
                (Some(t), Some(w)) if w <= t => ExitCode::from(1),
                _ => ExitCode::SUCCESS,
            }
        }
    }
}
