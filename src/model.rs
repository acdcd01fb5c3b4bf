//! Small types every stage shares: where a fact came from (`Evidence`), what
//! went wrong with an input (`Diagnostic`), and what kind of artifact a file is.

use std::fmt;

/// One cited line of an input: the path inside the input (archive members are
/// written `outer.tar.gz!/inner/path`), a 1-based line number when the artifact
/// is line-oriented, and the line itself. Excerpts are redacted and escaped
/// when a report is rendered, never here.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Evidence {
    pub source: String,
    pub line: Option<u64>,
    pub excerpt: String,
}

impl Evidence {
    pub fn new(
        source: impl Into<String>,
        line: Option<u64>,
        excerpt: impl Into<String>,
    ) -> Evidence {
        Evidence {
            source: source.into(),
            line,
            excerpt: excerpt.into(),
        }
    }
}

/// How bad a finding is; ordered most severe first, so `min` is the worst.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Critical,
    Warning,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DiagSeverity {
    Error,
    Warning,
    /// Said once, not a problem: e.g. how many files were not evidence.
    Info,
}

impl DiagSeverity {
    pub fn as_str(self) -> &'static str {
        match self {
            DiagSeverity::Error => "error",
            DiagSeverity::Warning => "warning",
            DiagSeverity::Info => "info",
        }
    }
}

/// A damaged, skipped or unreadable input. The run always goes on.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Diagnostic {
    pub path: String,
    pub severity: DiagSeverity,
    pub message: String,
}

impl Diagnostic {
    pub fn error(path: impl Into<String>, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            path: path.into(),
            severity: DiagSeverity::Error,
            message: message.into(),
        }
    }
    pub fn warning(path: impl Into<String>, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            path: path.into(),
            severity: DiagSeverity::Warning,
            message: message.into(),
        }
    }
    pub fn info(path: impl Into<String>, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            path: path.into(),
            severity: DiagSeverity::Info,
            message: message.into(),
        }
    }
}

/// What an input turned out to be, decided from its bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ArtifactKind {
    Inspect,
    JsonLog,
    DockerLogs,
    Dmesg,
    ImageArchive,
    FsExport,
    Events,
    Bundle,
    HostInfo,
    /// A Docker data root (`/var/lib/docker`), directory or archive.
    DataRoot,
    Unknown,
    Journal,
    /// podman's k8s-file log (`ctr.log`), CRI format.
    K8sFileLog,
    /// libpod's storage JSON (`containers.json`, `images.json`).
    PodmanStorage,
    /// `docker compose logs` / `docker-compose logs` output.
    ComposeLogs,
    /// Read, and not Docker or kernel evidence (a sos tree's `sys/module`
    /// files); summarised as counts by folder, never one warning each.
    NotRelevant,
    /// A report coroner wrote itself, recognised by its marker and skipped.
    CoronerReport,
}

impl ArtifactKind {
    /// The name used in the report contract.
    pub fn as_str(self) -> &'static str {
        match self {
            ArtifactKind::Inspect => "inspect",
            ArtifactKind::JsonLog => "json-log",
            ArtifactKind::DockerLogs => "docker-logs",
            ArtifactKind::Dmesg => "dmesg",
            ArtifactKind::ImageArchive => "image-archive",
            ArtifactKind::FsExport => "fs-export",
            ArtifactKind::Events => "events",
            ArtifactKind::Bundle => "bundle",
            ArtifactKind::HostInfo => "host-info",
            ArtifactKind::DataRoot => "data-root",
            ArtifactKind::Unknown => "unknown",
            ArtifactKind::Journal => "journal",
            ArtifactKind::K8sFileLog => "k8s-file-log",
            ArtifactKind::PodmanStorage => "podman-storage",
            ArtifactKind::ComposeLogs => "compose-logs",
            ArtifactKind::NotRelevant => "not-relevant",
            ArtifactKind::CoronerReport => "coroner-report",
        }
    }
}

impl fmt::Display for ArtifactKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Resource limits for untrusted input. Every limit has a flag in the CLI;
/// hitting one produces a diagnostic for that input, never a crash.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Decompressed bytes allowed from one compressed input.
    pub max_decompressed_bytes: u64,
    /// Largest decompressed/compressed ratio tolerated once past 64 MiB.
    pub max_ratio: u64,
    /// Archives inside archives.
    pub max_nesting: u32,
    /// Entries read from one tar archive.
    pub max_entries: u64,
    /// Largest JSON document parsed (inspect, image config).
    pub max_json_bytes: u64,
    /// Longest logical log line reassembled from partial records.
    pub max_line_bytes: usize,
    /// Largest archive member read into memory to be identified and analysed.
    pub max_member_bytes: u64,
    /// Longest entry path or link target in a tar archive (GNU long names
    /// and PAX `path`/`linkpath` records can be arbitrarily long).
    pub max_path_bytes: usize,
    /// Largest PAX or GNU long-name extension header in a tar archive.
    pub max_header_bytes: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_decompressed_bytes: 8 << 30,
            max_ratio: 200,
            max_nesting: 8,
            max_entries: 2_000_000,
            max_json_bytes: 256 << 20,
            max_line_bytes: 1 << 20,
            max_member_bytes: 4 << 30,
            max_path_bytes: 64 << 10,
            max_header_bytes: 1 << 20,
        }
    }
}
