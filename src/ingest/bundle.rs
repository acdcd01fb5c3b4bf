//! A tar archive held in memory or mapped: indexed with a header-only walk,
//! then classified as an image archive, a filesystem export, or a bundle
//! whose members are ingested in parallel, recursively.

use rayon::prelude::*;

use super::dispatch::ingest_bytes_releasing;
use super::{fs_export, image, Ingested, InputRecord, Parsed};
use crate::archive::tar_index;
use crate::model::{ArtifactKind, Diagnostic, Limits};

pub(super) fn ingest_tar(
    path: &str,
    data: &[u8],
    depth: u32,
    bytes: u64,
    limits: &Limits,
    release: &(dyn Fn(&[u8]) + Sync),
) -> Ingested {
    let mut out = Ingested::default();
    let record = |kind| InputRecord {
        path: path.to_string(),
        kind,
        bytes,
    };
    let index = tar_index::index_slice_releasing(data, limits, release);
    out.diagnostics.extend(damage(path, &index));
    if image::is_image_archive(&index) {
        out.inputs.push(record(ArtifactKind::ImageArchive));
        let (images, diags) = image::analyze_releasing(path, data, &index, limits, release);
        out.diagnostics.extend(diags);
        out.items.push(Parsed::Images(images));
        return out;
    }
    if fs_export::has_export_shape(&index) {
        out.inputs.push(record(ArtifactKind::FsExport));
        let (mut export, diags) = fs_export::analyze(path, &index);
        export.hostname = fs_export::hostname(data, &index);
        out.diagnostics.extend(diags);
        out.items.push(Parsed::Export(export));
        return out;
    }
    out.inputs.push(record(ArtifactKind::Bundle));
    let marker = index.error.is_some() || tar_index::has_end_marker(data, &index);
    bundle_warnings(path, &index, marker, &mut out);
    // A data root's volume data and upper layers: names, sizes and modes
    // from the headers, bodies never read.
    let mut members: Vec<&tar_index::TarEntry> = Vec::new();
    for e in &index.entries {
        let member = format!("{path}!/{}", tar_index::normalize(&e.path));
        match super::data_root::piece_from_entry(&member, e) {
            Some(p) => out.items.push(Parsed::DataRootPiece(Box::new(p))),
            None if e.kind == tar_index::EntryKind::File => members.push(e),
            None => {}
        }
    }
    let parts: Vec<Ingested> = members
        .par_iter()
        .map(|e| {
            let member = format!("{path}!/{}", tar_index::normalize(&e.path));
            if e.size > limits.max_member_bytes {
                return oversized(member, e.size);
            }
            let body = tar_index::body(data, e);
            let part = ingest_bytes_releasing(&member, body, depth + 1, e.size, limits, release);
            release(body);
            part
        })
        .collect();
    for p in parts {
        out.absorb(p);
    }
    out
}

/// The diagnostic for an archive whose walk stopped at damage, if it did.
pub(super) fn damage(path: &str, index: &tar_index::TarIndex) -> Option<Diagnostic> {
    index.error.as_ref().map(|err| {
        Diagnostic::error(
            path,
            format!(
                "{err}; the {} entries before the damage were used",
                index.entries.len()
            ),
        )
    })
}

pub(super) fn oversized(member: String, size: u64) -> Ingested {
    let mut o = Ingested::default();
    o.inputs.push(InputRecord {
        path: member.clone(),
        kind: ArtifactKind::Unknown,
        bytes: size,
    });
    o.diagnostics.push(Diagnostic::error(
        member,
        format!("member of {size} bytes exceeds --max-member-bytes; skipped"),
    ));
    o
}

/// Warnings about a bundle archive as a whole: a missing end marker (only
/// checked when the walk found no damage) and names that would escape it.
pub(super) fn bundle_warnings(
    path: &str,
    index: &tar_index::TarIndex,
    marker: bool,
    out: &mut Ingested,
) {
    if !marker {
        out.diagnostics.push(Diagnostic::warning(
            path,
            format!(
                "no end-of-archive marker after {} entries: the archive may have been cut short; every entry read was used",
                index.entries.len()
            ),
        ));
    }
    out.diagnostics.extend(unsafe_names_warning(
        path,
        index.entries.iter().map(|e| e.path.as_str()),
    ));
}

/// The warning for archive entry names that would escape the archive if
/// extracted (`../`, absolute, backslashes), for tar and zip bundles alike;
/// the first five are named.
pub(super) fn unsafe_names_warning<'a>(
    path: &str,
    names: impl Iterator<Item = &'a str>,
) -> Option<Diagnostic> {
    let unsafe_names: Vec<&str> = names.filter(|n| tar_index::is_unsafe_name(n)).collect();
    (!unsafe_names.is_empty()).then(|| {
        Diagnostic::warning(
            path,
            format!(
                "{} entr{} would escape the archive if extracted (kept verbatim, never extracted): {}",
                unsafe_names.len(),
                if unsafe_names.len() == 1 { "y" } else { "ies" },
                unsafe_names.iter().take(5).map(|n| format!("{n:?}")).collect::<Vec<_>>().join(", ")
            ),
        )
    })
}
