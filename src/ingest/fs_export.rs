//! `docker export` tarballs: a container's merged filesystem, recognised by
//! `.dockerenv` and the init-layer files.

use crate::archive::tar_index::TarIndex;
use crate::ingest::image::PathSize;
use crate::model::Diagnostic;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct FsExport {
    pub source: String,
    pub files: u64,
    pub size_bytes: u64,
    pub largest_files: Vec<PathSize>,
    pub largest_dirs: Vec<PathSize>,
    pub setuid: Vec<String>,
    pub world_writable: Vec<String>,
}

/// True when the archive looks like a container filesystem export.
pub fn is_fs_export(_index: &TarIndex) -> bool {
    false
}

pub fn analyze(source: &str, _index: &TarIndex) -> (FsExport, Vec<Diagnostic>) {
    (
        FsExport {
            source: source.to_string(),
            ..Default::default()
        },
        Vec::new(),
    )
}
