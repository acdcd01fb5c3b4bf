//! The `coroner` command line: flags become a plain `coroner::Config`, the
//! library does the work, and the exit code says what happened.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

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
        /// Limit: bytes of one tar entry path or link target (GNU long names, PAX path/linkpath).
        #[arg(long, default_value_t = coroner::Limits::default().max_path_bytes)]
        max_path_bytes: usize,
        /// Limit: bytes of one PAX or GNU long-name extension header in a tar archive.
        #[arg(long, default_value_t = coroner::Limits::default().max_header_bytes)]
        max_header_bytes: u64,
        /// Limit: bytes of one archive member read to be identified and analysed.
        #[arg(long, default_value_t = coroner::Limits::default().max_member_bytes)]
        max_member_bytes: u64,
    },
}

/// Redacted unless `--show-secrets` is among the arguments.
fn redact_msg(msg: &str) -> String {
    if std::env::args_os().any(|a| a == "--show-secrets") {
        msg.to_string()
    } else {
        coroner::redact::redact(msg).into_owned()
    }
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
            // (`--pasword=hunter2`).
            let text = redact_msg(&e.render().to_string());
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
            max_path_bytes,
            max_header_bytes,
            max_member_bytes,
        } => {
            let mut config = coroner::Config::new(paths);
            config.threads = threads;
            config.show_secrets = show_secrets;
            config.limits.max_decompressed_bytes = max_decompressed_bytes;
            config.limits.max_nesting = max_nesting;
            config.limits.max_entries = max_entries;
            config.limits.max_json_bytes = max_json_bytes;
            config.limits.max_line_bytes = max_line_bytes;
            config.limits.max_path_bytes = max_path_bytes;
            config.limits.max_header_bytes = max_header_bytes;
            config.limits.max_member_bytes = max_member_bytes;
            if show_secrets {
                eprintln!("coroner: WARNING: --show-secrets is set: this report contains passwords, tokens and keys in clear text. Do not attach it to a ticket.");
            }
            let report = coroner::run(&config);
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
                eprintln!(
                    "coroner: error: {}",
                    coroner::report::escape::visible(&redact_msg(&e))
                );
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
