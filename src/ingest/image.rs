//! `docker save` archives in every layout (legacy with manifest.json,
//! pre-1.10 with `repositories`, Docker 25+ OCI, pure OCI layout, kaniko)
//! analysed layer by layer into a merged view: size, wasted bytes, largest
//! files and bloat.

mod analyze;
mod layered;
pub mod layout;
mod manifest;
mod merge;
mod streamed;

use crate::archive::tar_index::{self, EntryKind, TarIndex};
use crate::model::{Diagnostic, Limits};
use crate::time::Timestamp;

pub use layered::{analyze_layered, LayerInput};
pub use layout::is_image_archive;
pub use merge::{largest_dirs, largest_files};
pub use streamed::StreamedMembers;

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
    /// What hid it: the removed path (whiteout), the opaque directory, or
    /// the path written over.
    pub root: String,
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
    /// Other archives holding the same content (the same layer digests),
    /// merged into this one by correlate; empty when read.
    pub also_in: Vec<String>,
    pub refs: Vec<String>,
    /// Config digest, `sha256:…`.
    pub id: String,
    pub created: Option<Timestamp>,
    pub config: ImageConfig,
    pub history: Vec<HistoryEntry>,
    pub layers: Vec<Layer>,
    /// Bytes of regular files in the final merged view.
    pub size_bytes: u64,
    /// Bytes of lower-layer regular files hidden in the final view.
    pub wasted_bytes: u64,
    /// `size_bytes / (size_bytes + wasted_bytes)`, 1.0 when both are 0: the
    /// share of the bytes shipped in layers that a container can still see.
    ///
    /// This differs from dive's "image efficiency" on purpose. dive only
    /// considers paths touched in more than one layer, so a directory removed
    /// with `rm -rf` (one whiteout for the directory, not one per file) does
    /// not count the files under it; it also counts every copy of a file
    /// rewritten several times, the visible copy included. Here every
    /// lower-layer regular file hidden by a whiteout, an opaque directory, an
    /// overwrite or a non-directory replacing a directory counts exactly
    /// once, and the visible copy never counts as waste.
    pub efficiency: f64,
    pub largest_files: Vec<PathSize>,
    pub largest_dirs: Vec<PathSize>,
    pub wasted_files: Vec<WastedFile>,
    pub bloat: Vec<Bloat>,
    /// The final merged view, sorted by path (paths start with `/`):
    /// every visible entry, directories included. Sizes are 0 for
    /// everything but regular files.
    pub files: Vec<FileEntry>,
}

/// One path of a merged filesystem view (image or export).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileEntry {
    pub path: String,
    pub size: u64,
    pub mode: u32,
    pub kind: EntryKind,
    /// Index of the layer that put this entry in place (0 for exports).
    pub layer: usize,
}

/// Analyses every image in an uncompressed archive held in `data`.
pub fn analyze(
    source: &str,
    data: &[u8],
    index: &TarIndex,
    limits: &Limits,
) -> (Vec<Image>, Vec<Diagnostic>) {
    analyze_releasing(source, data, index, limits, &|_| {})
}

/// [`analyze`], calling `release` with each layer's bytes once the layer
/// is scanned, so a caller reading a mapped file can let those pages go
/// (layers are read once; peak RSS then follows the layers in flight, not
/// the archive).
pub fn analyze_releasing(
    source: &str,
    data: &[u8],
    index: &TarIndex,
    limits: &Limits,
    release: &(dyn Fn(&[u8]) + Sync),
) -> (Vec<Image>, Vec<Diagnostic>) {
    analyze::analyze_inner(
        source,
        data,
        data.len() as u64,
        None,
        index,
        limits,
        release,
    )
}

/// [`analyze`] for an archive read as a stream (a compressed `docker save`):
/// `index` and `end` from the walk, `members` filled by
/// [`StreamedMembers::visit`] on the way. Same report as reading the
/// inflated archive whole.
pub fn analyze_streamed(
    source: &str,
    index: &TarIndex,
    end: tar_index::StreamEnd,
    members: &StreamedMembers,
    limits: &Limits,
) -> (Vec<Image>, Vec<Diagnostic>) {
    analyze::analyze_inner(source, &[], end.len, Some(members), index, limits, &|_| {})
}
