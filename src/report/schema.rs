//! The `coroner.report/v1` contract (../REPORT-CONTRACT.md in the steering
//! repo, summarised in README.md). These are the only types that derive
//! `Serialize`: internal models stay free to change, this shape does not.
//! Fields may be added; none of the contract's fields may be renamed or
//! dropped without bumping `SCHEMA`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub use super::untrusted::Untrusted;
pub use crate::correlate::network::NameResolution;
pub use crate::correlate::timeline::TimelineKind;
pub use crate::model::{DiagSeverity, Severity};
pub use crate::rules::{Confidence, RuleId};
use crate::time::Timestamp;

pub const SCHEMA: &str = "coroner.report/v1";

/// Enums of the lower layers, written as their contract tokens. They are
/// serialised here so that only this module knows serde.
macro_rules! token_serde {
    ($module:ident, $ty:ty, $from:expr) => {
        mod $module {
            use super::*;
            pub fn serialize<S: Serializer>(v: &$ty, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(v.as_str())
            }
            pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<$ty, D::Error> {
                let name = String::deserialize(d)?;
                let from: fn(&str) -> Option<$ty> = $from;
                from(&name).ok_or_else(|| {
                    serde::de::Error::custom(format!("unknown {}: {name}", stringify!($ty)))
                })
            }
        }
    };
}

token_serde!(rule_token, RuleId, RuleId::from_name);
token_serde!(kind_token, TimelineKind, TimelineKind::from_name);
token_serde!(confidence_token, Confidence, Confidence::from_name);

/// `findings[].caused_by`: a rule id or null.
mod caused_by_token {
    use super::*;
    pub fn serialize<S: Serializer>(v: &Option<RuleId>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(r) => s.serialize_some(r.as_str()),
            None => s.serialize_none(),
        }
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<RuleId>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(None),
            Some(name) => RuleId::from_name(&name)
                .map(Some)
                .ok_or_else(|| serde::de::Error::custom(format!("unknown RuleId: {name}"))),
        }
    }
}

fn likely() -> Confidence {
    Confidence::Likely
}

/// An instant in the contract's one fixed form: RFC 3339 in UTC with exactly
/// nine fraction digits (`2026-12-01T18:16:20.169193143Z`), so that every
/// time of a report has one width and times sort as strings (issue #13).
pub fn fixed_time(t: Timestamp) -> String {
    let (y, mo, d, h, mi, s, n) = t.civil();
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{n:09}Z")
}

/// A typed instant written as the contract's RFC 3339 string (`fixed_time`).
mod rfc3339 {
    use super::*;
    pub fn serialize<S: Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&fixed_time(*t))
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
        let text = String::deserialize(d)?;
        Timestamp::parse_rfc3339(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("not an RFC 3339 time: {text}")))
    }
}
token_serde!(severity_token, Severity, |s| match s {
    "critical" => Some(Severity::Critical),
    "warning" => Some(Severity::Warning),
    "info" => Some(Severity::Info),
    _ => None,
});
token_serde!(diag_token, DiagSeverity, |s| match s {
    "error" => Some(DiagSeverity::Error),
    "warning" => Some(DiagSeverity::Warning),
    "info" => Some(DiagSeverity::Info),
    _ => None,
});

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Report {
    pub schema: String,
    pub tool: Tool,
    pub inputs: Vec<Input>,
    pub diagnostics: Vec<Diagnostic>,
    pub containers: Vec<Container>,
    pub kernel: Kernel,
    pub images: Vec<Image>,
    pub filesystems: Vec<Filesystem>,
    pub findings: Vec<Finding>,
    pub timeline: Vec<TimelineEntry>,
    /// With no finding: what was and was not read, in one sentence (never
    /// "nothing points at a failure" when part of the input could not be
    /// read). Holds counts only, no input text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_findings: Option<String>,
    /// Named volumes read from a Docker data root (`volumes/<name>/_data`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<Volume>,
    /// Images known from `docker image inspect` output (issue #11, item 6),
    /// with or without an archive of them; one entry per image id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub image_inspect: Vec<ImageInspect>,
}

/// One image as `docker image inspect` (or podman's) described it. `env`
/// goes through redaction like every other string of the report.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct ImageInspect {
    /// The first inspect file it was read from, with the line of its `Id`.
    pub source: Untrusted,
    pub line: Option<u64>,
    /// Every inspect file that described this id.
    pub sources: Vec<Untrusted>,
    pub id: Untrusted,
    pub tags: Vec<Untrusted>,
    pub digests: Vec<Untrusted>,
    pub created: Option<String>,
    /// `Size`, when the engine wrote it.
    pub size_bytes: Option<u64>,
    pub architecture: Untrusted,
    pub variant: Untrusted,
    pub os: Untrusted,
    /// Number of `RootFS.Layers`.
    pub layers: u64,
    pub user: Untrusted,
    pub entrypoint: Vec<Untrusted>,
    pub cmd: Vec<Untrusted>,
    pub env: Vec<Untrusted>,
    pub exposed_ports: Vec<Untrusted>,
    pub history: Vec<HistoryRow>,
}

/// A named volume of a data root.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Volume {
    pub name: Untrusted,
    pub driver: Untrusted,
    pub size_bytes: u64,
    pub files: u64,
    /// `uid:gid` of `_data`, when its metadata was in the evidence.
    pub owner: Option<String>,
    pub source: Untrusted,
}

/// A container's own changes, read from its overlay2 upper layer in a data
/// root, as `docker diff` reports them. `entries` is sorted by path and
/// capped at `DRIFT_CAP`; the counts cover every entry.
/// What podman records beside Docker's fields: conmon, the health probe
/// as configured (`health` holds its state), libpod's storage records.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Podman {
    /// `State.ConmonPid`: the PID of the container's conmon monitor; null
    /// when podman recorded 0 or none.
    pub conmon_pid: Option<i64>,
    /// `Config.Healthcheck.Test`, the probe; empty without a health check.
    pub healthcheck: Vec<Untrusted>,
    /// From `overlay-containers/containers.json` (and `images.json`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<PodmanStorage>,
}

/// A container's libpod storage records.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct PodmanStorage {
    /// The `containers.json` it was read from.
    pub source: Untrusted,
    /// The container's read-write layer.
    pub layer: Untrusted,
    pub image_id: Untrusted,
    /// The image's names: from `images.json` when it was read, else the
    /// container record's `metadata.image-name`.
    pub image_names: Vec<Untrusted>,
    /// The image's digest and top layer, from `images.json`.
    pub image_digest: Option<Untrusted>,
    pub image_layer: Option<Untrusted>,
    pub created: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct ContainerChanges {
    /// The upper layer (`overlay2/<mount id>/diff`).
    pub source: Untrusted,
    pub added: u64,
    pub modified: u64,
    pub deleted: u64,
    /// Bytes of the regular files the container wrote.
    pub written_bytes: u64,
    /// Entries carrying a flag (`tmp`, `app-dir`, `executable`, `setuid`, `large`).
    pub flagged: u64,
    pub entries: Vec<Change>,
}

/// A data-root container's own directory (`containers/<id>/`) and layer.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct ContainerDataRoot {
    /// `config.v2.json`, or `config.json` (Docker 1.x).
    pub config_file: String,
    /// `Created` of its config.
    pub created: Option<String>,
    /// The image id its config names (`Image`).
    pub image_id: Untrusted,
    /// The `hostname` file (else `Config.Hostname`).
    pub hostname: Untrusted,
    /// `nameserver` lines of its `resolv.conf`.
    pub nameservers: Vec<Untrusted>,
    /// Its layer's directory name under the storage driver (overlay2 mount
    /// id; the container id on Docker 1.x); empty when unknown.
    pub mount_id: Untrusted,
    /// What the engine mounted in from `containers/<id>/`: `mounts/secrets`,
    /// `mounts/shm`, `shm`.
    pub mounts: Vec<Untrusted>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Change {
    pub path: Untrusted,
    /// "added", "modified", "deleted" or "replaced" (an opaque directory).
    pub kind: String,
    pub size: u64,
    pub flags: Vec<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Input {
    pub path: Untrusted,
    pub kind: String,
    pub bytes: u64,
    /// For a `not-relevant` folder summary: how many files it stands for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files: Option<u64>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Diagnostic {
    pub path: Untrusted,
    #[serde(with = "diag_token")]
    pub severity: DiagSeverity,
    pub message: Untrusted,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Container {
    /// Where the record came from: `inspect`, `data-root` (a data root's
    /// `config.v2.json` with `hostconfig.json`), `log-path-id`, `file-name`,
    /// `events`, `kernel-cgroup` (#11, #14).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matched_by: Option<String>,
    pub name: Untrusted,
    pub id: Untrusted,
    pub image: Untrusted,
    pub status: Untrusted,
    /// Null while the container runs (or is paused) or was never started:
    /// there is no exit to report (issue #13).
    pub exit_code: Option<i64>,
    /// What the exit code means (the exit-code table: 137 = 128 + SIGKILL…);
    /// with a null `exit_code`, why there is none.
    pub exit_meaning: String,
    pub oom_killed: bool,
    pub restart_count: i64,
    pub restart_policy: Untrusted,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    pub health: Option<Health>,
    pub logs: Option<Logs>,
    pub log_driver: Untrusted,
    pub user: Untrusted,
    pub memory_limit_bytes: i64,
    pub networks: Vec<Untrusted>,
    pub ports: Vec<Untrusted>,
    pub mounts: Vec<Untrusted>,
    /// Every inspect file this container was read from.
    pub sources: Vec<Untrusted>,
    /// Its own changes, when its upper layer was in a data root.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changes: Option<ContainerChanges>,
    /// What only its data-root directory says, for a container read from
    /// a data root (#14).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_root: Option<ContainerDataRoot>,
    /// podman's own facts, for a container podman ran (#14).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub podman: Option<Podman>,
    /// Its worst finding's severity; None when no finding names it. Not in
    /// the JSON contract (a reader derives it from `findings`).
    #[serde(skip)]
    pub verdict: Option<Severity>,
    /// Which containers of this report (indices into `containers`) resolve
    /// it by name. Not in the JSON contract yet.
    #[serde(skip)]
    pub name_resolution: NameResolution,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Health {
    pub status: Untrusted,
    pub failing_streak: i64,
    pub log: Vec<HealthProbe>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct HealthProbe {
    pub start: Option<String>,
    pub exit_code: i64,
    pub output: Untrusted,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Logs {
    pub driver: Untrusted,
    pub files: u64,
    pub lines: u64,
    /// Null when the logs were `docker logs` text, where stdout and stderr
    /// are merged and the count is not known.
    pub stderr_lines: Option<u64>,
    pub first: Option<String>,
    pub last: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Kernel {
    pub oom_kills: Vec<OomKill>,
    pub segfaults: Vec<Segfault>,
    /// How raw kernel stamps were placed on the wall clock.
    pub time_method: Untrusted,
    /// How kernel times were placed on Docker's clock, and how well they agree.
    #[serde(default)]
    pub clock: KernelClock,
}

/// `kernel.clock`: `offset_s` is the kernel clock minus Docker's (median over
/// the pairs; about −18000 for a host at UTC−5 printing local time),
/// `residual_s` the largest distance between a placed kernel event and its
/// Docker record; both null without pairs.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct KernelClock {
    pub method: String,
    pub offset_s: Option<f64>,
    pub pairs: u64,
    pub residual_s: Option<f64>,
    pub text: Untrusted,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct OomKill {
    pub pid: u64,
    pub process: Untrusted,
    pub container: Option<Untrusted>,
    pub cgroup: Option<Untrusted>,
    pub anon_rss_kib: Option<u64>,
    pub time: Option<String>,
    /// The printed local time (`2026-11-29T03:19:57`, no zone) of an event
    /// that could not be placed on Docker's clock (`time` is then null).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_time: Option<String>,
    pub uptime_s: Option<f64>,
    /// Why the kill was attributed to its container, a kebab-case token
    /// (`cgroup`, `pid`, …; `matched_by_token` in report/mod.rs).
    pub matched_by: Option<String>,
    /// The same in words, for people.
    #[serde(default)]
    pub matched_by_text: Option<String>,
    pub source: Untrusted,
    pub line: Option<u64>,
    /// The report stops before its kill line: `pid`/`process` are the task
    /// that invoked the OOM killer (#11).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub kill_line_missing: bool,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Segfault {
    pub pid: u64,
    pub process: Untrusted,
    pub container: Option<Untrusted>,
    pub time: Option<String>,
    /// The printed local time (`2026-11-29T03:19:57`, no zone) of an event
    /// that could not be placed on Docker's clock (`time` is then null).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_time: Option<String>,
    pub uptime_s: Option<f64>,
    /// `pid`, `process-name-and-time` or `log-line-and-time`.
    pub matched_by: Option<String>,
    /// The same in words, for people.
    #[serde(default)]
    pub matched_by_text: Option<String>,
    pub source: Untrusted,
    pub line: Option<u64>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Image {
    pub source: Untrusted,
    /// Every archive this image content was read from (`source` first): a
    /// `docker save` and an OCI archive of one image are one image.
    #[serde(default)]
    pub sources: Vec<Untrusted>,
    pub refs: Vec<Untrusted>,
    pub id: Untrusted,
    pub created: Option<String>,
    pub layers: u64,
    pub size_bytes: u64,
    pub wasted_bytes: u64,
    pub efficiency: f64,
    pub layer_table: Vec<LayerRow>,
    pub largest_files: Vec<PathSize>,
    pub largest_dirs: Vec<PathSize>,
    /// The config's history, aligned with `layer_table`: `layer` is the
    /// 0-based index of the layer a step made, null for `empty_layer` steps.
    #[serde(default)]
    pub history: Vec<HistoryRow>,
    /// The largest files hidden in the final view (at most 20), each with
    /// the layer that added it and the layer that hid it (0-based).
    #[serde(default)]
    pub wasted_files: Vec<WastedFile>,
    /// Content that should not ship (package caches, `.git`, …), per layer.
    #[serde(default)]
    pub bloat: Vec<BloatRow>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct HistoryRow {
    pub created: Option<String>,
    pub created_by: Untrusted,
    pub empty_layer: bool,
    pub layer: Option<u64>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct WastedFile {
    pub path: Untrusted,
    pub size: u64,
    pub added_in_layer: u64,
    pub hidden_by_layer: u64,
    /// "whiteout", "opaque" or "overwrite".
    pub how: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct BloatRow {
    /// "package-cache", "git", "node_modules", "build-tools", "tests-docs", "build-logs".
    pub category: String,
    pub layer: u64,
    pub bytes: u64,
    pub files: u64,
    pub example_paths: Vec<Untrusted>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct LayerRow {
    pub digest: Untrusted,
    /// Uncompressed bytes of the regular files the layer adds (its own
    /// contribution, before later layers hide anything).
    pub size_bytes: u64,
    pub created_by: Untrusted,
    pub files: u64,
    pub wasted_bytes: u64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct PathSize {
    pub path: Untrusted,
    pub size: u64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Filesystem {
    pub source: Untrusted,
    pub files: u64,
    pub size_bytes: u64,
    pub largest_files: Vec<PathSize>,
    pub largest_dirs: Vec<PathSize>,
    pub setuid: Vec<Untrusted>,
    pub world_writable: Vec<Untrusted>,
    /// The container the export was taken from, when one was matched.
    #[serde(default)]
    pub container: Option<Untrusted>,
    /// The image the container was created from (a ref, else its id).
    #[serde(default)]
    pub image: Option<Untrusted>,
    /// How the export was linked: "container-name", "container-id",
    /// "hostname" or "closest-image"; null when nothing matched.
    #[serde(default)]
    pub matched_by: Option<String>,
    /// The same in words, for people.
    #[serde(default)]
    pub matched_by_text: Option<String>,
    /// What the container changed compared with its image's final view,
    /// when that image is among the inputs.
    #[serde(default)]
    pub drift: Option<Drift>,
}

/// `docker diff` offline: each list sorted by path and capped at
/// `DRIFT_CAP` entries; the counts and byte totals cover every entry.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Drift {
    pub added: Vec<PathSize>,
    pub changed: Vec<PathSize>,
    pub deleted: Vec<PathSize>,
    pub added_count: u64,
    pub changed_count: u64,
    pub deleted_count: u64,
    pub added_bytes: u64,
    pub changed_bytes: u64,
    pub deleted_bytes: u64,
}

/// Entries listed per drift category; the counts say how many there were.
pub const DRIFT_CAP: usize = 200;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Finding {
    #[serde(with = "rule_token")]
    pub rule: RuleId,
    #[serde(with = "severity_token")]
    pub severity: Severity,
    pub container: Option<Untrusted>,
    pub image: Option<Untrusted>,
    pub title: Untrusted,
    pub explanation: Untrusted,
    pub suggestion: Untrusted,
    pub evidence: Vec<Evidence>,
    /// `confirmed`, `likely` or `possible` (issue #12).
    #[serde(with = "confidence_token", default = "likely")]
    pub confidence: Confidence,
    /// The rule of the primary finding of the same container this one
    /// follows from; it does not repeat that finding's evidence.
    #[serde(with = "caused_by_token", default)]
    pub caused_by: Option<RuleId>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Evidence {
    pub source: Untrusted,
    pub line: Option<u64>,
    pub excerpt: Untrusted,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct TimelineEntry {
    #[serde(with = "rfc3339")]
    pub time: Timestamp,
    pub container: Option<Untrusted>,
    pub source: Untrusted,
    pub event: Untrusted,
    #[serde(with = "kind_token")]
    pub kind: TimelineKind,
    /// Every record of the happening: path inside the input and line.
    pub sources: Vec<SourceRef>,
    /// The exit code of an exit (`kind` = `exited`), when recorded. Not in
    /// the JSON contract: the wording of `event` holds it.
    #[serde(skip)]
    pub exit_code: Option<i64>,
    /// True for an exit Docker recorded as OOM-killed.
    #[serde(skip)]
    pub oom_killed: bool,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct SourceRef {
    pub source: Untrusted,
    pub line: Option<u64>,
}

impl Evidence {
    /// `source:line`, or the source alone.
    pub fn location(&self) -> Untrusted {
        match self.line {
            Some(l) => Untrusted::new(format!("{}:{}", self.source.unescaped(), l)),
            None => self.source.clone(),
        }
    }
}

impl Report {
    /// Copies the facts that the JSON form does not carry (`#[serde(skip)]`
    /// fields: numbers, enums and indices, never input text) from `from`, a
    /// report of the same shape; redaction goes through the JSON form and
    /// calls this to keep them.
    pub fn keep_derived_from(&mut self, from: &Report) {
        for (to, c) in self.containers.iter_mut().zip(&from.containers) {
            to.verdict = c.verdict;
            to.name_resolution = c.name_resolution.clone();
        }
        for (to, e) in self.timeline.iter_mut().zip(&from.timeline) {
            to.exit_code = e.exit_code;
            to.oom_killed = e.oom_killed;
        }
    }
}

/// One line of `index.ndjson`, written by `coroner batch` (issue #6): the
/// facts of one bundle's report, flat so that DuckDB's `read_json_auto` and
/// `jq` read them without nesting. Every key is always present (`error` is
/// `null` for a bundle that was read) so schema inference never depends on
/// which bundles happen to come first.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct BatchIndexLine {
    /// The bundle's entry name in the batch directory.
    pub bundle: String,
    /// The path the bundle was read from.
    pub path: String,
    /// File stem of this bundle's reports in the output directory.
    pub report: String,
    pub containers: u64,
    pub critical: u64,
    pub warning: u64,
    pub info: u64,
    /// Rule IDs of the findings, sorted and unique.
    pub rules: Vec<String>,
    /// Image references (or ids when untagged), sorted and unique.
    pub images: Vec<String>,
    /// Sum of the wasted bytes over the bundle's distinct image contents
    /// (an image read from two archives counts once).
    pub wasted_bytes: u64,
    /// Distinct image contents in the bundle (same layer digests = one).
    #[serde(default)]
    pub image_contents: u64,
    /// Kernel OOM kills in the bundle.
    pub oom_kills: u64,
    pub duration_ms: u64,
    /// True when the reports were up to date and were read back, not rebuilt.
    pub skipped: bool,
    /// Why the bundle failed (nothing readable, reports not writable); null otherwise.
    pub error: Option<String>,
}
