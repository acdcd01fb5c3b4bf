//! A zip archive (Docker Desktop diagnostics, a hand-zipped bundle folder)
//! read as a bundle: its members go through the same identification as a
//! tar bundle's, named `<zip>!/<member>` with the name kept verbatim.
//! Each member is decoded from the archive in memory, never extracted, and
//! within the caps of a bundle member: `--max-member-bytes`, the ratio cap
//! on its compressed size, its declared size, and one budget for the whole
//! archive (the `--max-decompressed-bytes`/ratio cap of its size), reserved
//! in directory order so the outcome never depends on the thread count.
//! A json-file log member is parsed as it decodes, never held whole.

use std::io::Read;

use rayon::prelude::*;

use super::bundle::{oversized, unsafe_names_warning};
use super::dispatch::{ingest_bytes_releasing, is_log_head, log_from_reader};
use super::{Ingested, InputRecord};
use crate::archive::zip::{self, SizeCheck, ZipEntry, ZipIndex};
use crate::archive::{compress, tar_index};
use crate::model::{ArtifactKind, Diagnostic, Limits};

/// What is done with one file entry.
enum Plan {
    Read(u64),
    Oversized,
    OverBudget,
}

pub(super) fn ingest_zip(
    path: &str,
    data: &[u8],
    depth: u32,
    bytes: u64,
    limits: &Limits,
) -> Ingested {
    let mut out = Ingested::default();
    let record = |kind| InputRecord {
        path: path.to_string(),
        kind,
        bytes,
    };
    let ix = match zip::index(data, limits.max_entries) {
        Ok(ix) => ix,
        Err(e) => {
            out.inputs.push(record(ArtifactKind::Unknown));
            out.diagnostics.push(Diagnostic::error(
                path,
                format!("cannot read zip archive: {e}"),
            ));
            return out;
        }
    };
    out.inputs.push(record(ArtifactKind::Bundle));
    warnings(path, &ix, limits, &mut out);
    let mut budget = compress::cap_for(
        data.len() as u64,
        limits.max_decompressed_bytes,
        limits.max_ratio,
    );
    let plans: Vec<(&ZipEntry, Plan)> = ix
        .entries
        .iter()
        .filter(|e| e.is_file)
        .map(|e| {
            if e.size > limits.max_member_bytes {
                return (e, Plan::Oversized);
            }
            let cap = compress::cap_for(
                e.compressed_size,
                limits.max_decompressed_bytes.min(limits.max_member_bytes),
                limits.max_ratio,
            );
            let reserve = e.size.min(cap);
            if reserve > budget {
                return (e, Plan::OverBudget);
            }
            budget -= reserve;
            (e, Plan::Read(cap))
        })
        .collect();
    let parts: Vec<Ingested> = plans
        .par_iter()
        .map(|(e, plan)| {
            let member = format!("{path}!/{}", tar_index::normalize(&e.path));
            match plan {
                Plan::Oversized => oversized(member, e.size),
                Plan::OverBudget => {
                    let mut o = Ingested::default();
                    o.inputs.push(InputRecord {
                        path: member.clone(),
                        kind: ArtifactKind::Unknown,
                        bytes: e.size,
                    });
                    o.diagnostics.push(Diagnostic::error(
                        member,
                        "skipped: the archive's members together would exceed the decompressed-size limit (raise it with --max-decompressed-bytes)",
                    ));
                    o
                }
                Plan::Read(cap) => read_member(&ix, e, *cap, &member, depth, limits),
            }
        })
        .collect();
    for p in parts {
        out.absorb(p);
    }
    out
}

/// Diagnostics about the archive as a whole.
fn warnings(path: &str, ix: &ZipIndex, limits: &Limits, out: &mut Ingested) {
    if ix.skipped > 0 {
        out.diagnostics.push(Diagnostic::warning(
            path,
            format!(
                "{} more entries past the first {} were not read (raise with --max-entries)",
                ix.skipped, limits.max_entries
            ),
        ));
    }
    if !ix.overlapping.is_empty() {
        out.diagnostics.push(Diagnostic::error(
            path,
            format!(
                "{} entr{} share compressed data with another entry (an overlapping-entry zip bomb shape); not read: {}",
                ix.overlapping.len(),
                if ix.overlapping.len() == 1 { "y" } else { "ies" },
                names(ix.overlapping.iter().map(|e| e.path.as_str()))
            ),
        ));
    }
    out.diagnostics.extend(unsafe_names_warning(
        path,
        ix.entries
            .iter()
            .chain(&ix.overlapping)
            .map(|e| e.path.as_str()),
    ));
}

fn names<'a>(it: impl Iterator<Item = &'a str>) -> String {
    it.take(5)
        .map(|n| format!("{n:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn read_member(
    ix: &ZipIndex,
    e: &ZipEntry,
    cap: u64,
    member: &str,
    depth: u32,
    limits: &Limits,
) -> Ingested {
    let failed = |err: &dyn std::fmt::Display| {
        let mut o = Ingested::default();
        o.inputs.push(InputRecord {
            path: member.to_string(),
            kind: ArtifactKind::Unknown,
            bytes: e.size,
        });
        o.diagnostics.push(Diagnostic::error(
            member,
            format!("cannot read zip member ({}): {err}", e.method),
        ));
        o
    };
    let head = ix.with_member(e, cap, |r| {
        let mut h = Vec::new();
        r.take(64 * 1024).read_to_end(&mut h).map(|_| h)
    });
    let head = match head {
        Ok((Ok(h), _)) => h,
        Ok((Err(err), _)) => return failed(&err),
        Err(err) => return failed(&err),
    };
    let (mut part, check) = if is_log_head(&head) {
        match ix.with_member(e, cap, |r| log_from_reader(member, r, e.size, limits)) {
            Ok((Ok(part), check)) => (part, check),
            Ok((Err(err), _)) => return failed(&err),
            Err(err) => return failed(&err),
        }
    } else {
        let body = ix.with_member(e, cap, |r| {
            let mut v = Vec::with_capacity(e.size.min(1 << 20) as usize);
            r.read_to_end(&mut v).map(|_| v)
        });
        match body {
            Ok((Ok(v), check)) => (
                ingest_bytes_releasing(member, &v, depth + 1, e.size, limits, &|_| {}),
                check,
            ),
            Ok((Err(err), _)) => return failed(&err),
            Err(err) => return failed(&err),
        }
    };
    match check {
        SizeCheck::Exact => {}
        SizeCheck::Longer => part.diagnostics.push(Diagnostic::warning(
            member,
            format!(
                "holds more than the {} bytes the zip directory declares; only those were read",
                e.size
            ),
        )),
        SizeCheck::Shorter(n) => part.diagnostics.push(Diagnostic::warning(
            member,
            format!(
                "holds {n} bytes where the zip directory declares {}; the archive may be damaged",
                e.size
            ),
        )),
    }
    part
}
