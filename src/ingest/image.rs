//! `docker save` archives in every layout (legacy with manifest.json,
//! pre-1.10 with `repositories`, Docker 25+ OCI, pure OCI layout, kaniko)
//! analysed layer by layer into a merged view: size, wasted bytes, largest
//! files and bloat.

use crate::archive::tar_index::TarIndex;
use crate::model::{Diagnostic, Limits};
use crate::time::Timestamp;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ImageConfig {
    pub exposed_ports: Vec<String>,
    pub env: Vec<String>,
    pub cmd: Vec<String>,
    pub entrypoint: Vec<String>,
    pub user: String,
    pub healthcheck: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct HistoryEntry {
    pub created: Option<Timestamp>,
    pub created_by: String,
    pub empty_layer: bool,
    /// Index into `Image::layers` for entries that made a layer.
    pub layer: Option<usize>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Layer {
    pub digest: String,
    /// Uncompressed bytes of regular files the layer adds.
    pub size_bytes: u64,
    pub created_by: String,
    pub files: u64,
    /// Bytes of lower-layer files this layer hides (whiteouts, opaque dirs, overwrites).
    pub wasted_bytes: u64,
    pub compression: &'static str,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct PathSize {
    pub path: String,
    pub size: u64,
}

/// A file that occupies a lower layer but is not visible in the final image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WastedFile {
    pub path: String,
    pub size: u64,
    pub added_in: usize,
    pub hidden_by: usize,
    /// "whiteout", "opaque" or "overwrite".
    pub how: &'static str,
}

/// Content that the seed's bloat table says should not ship.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bloat {
    /// "package-cache", "git", "node_modules", "build-tools", "tests-docs", "build-logs".
    pub category: &'static str,
    pub layer: usize,
    pub bytes: u64,
    pub files: u64,
    pub example_paths: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Image {
    pub source: String,
    pub refs: Vec<String>,
    /// Config digest, `sha256:…`.
    pub id: String,
    pub created: Option<Timestamp>,
    pub config: ImageConfig,
    pub history: Vec<HistoryEntry>,
    pub layers: Vec<Layer>,
    pub size_bytes: u64,
    pub wasted_bytes: u64,
    pub efficiency: f64,
    pub largest_files: Vec<PathSize>,
    pub largest_dirs: Vec<PathSize>,
    pub wasted_files: Vec<WastedFile>,
    pub bloat: Vec<Bloat>,
}

/// True when the archive's entries make up a `docker save` or OCI image layout.
pub fn is_image_archive(_index: &TarIndex) -> bool {
    false
}

/// Analyses every image in an uncompressed archive held in `data`.
pub fn analyze(
    _source: &str,
    _data: &[u8],
    _index: &TarIndex,
    _limits: &Limits,
) -> (Vec<Image>, Vec<Diagnostic>) {
    (Vec::new(), Vec::new())
}
