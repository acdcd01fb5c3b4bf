//! Identifies one artifact's bytes and sends them to their reader:
//! compressed content is streamed when it holds a json-file log or a tar
//! (else inflated under the cap), tar archives go to [`super::bundle`],
//! anything else to `detect::identify`.

use std::io::Read;

use super::{
    bundle, data_root, decode, detect, docker_logs, json_log, quiet, stream, zip_bundle, Ingested,
    InputRecord, Parsed,
};
use crate::archive::compress::{self, Compression};
use crate::archive::tar_index;
use crate::model::{ArtifactKind, Diagnostic, Limits};

/// True when `head`, the first bytes of some content, is a json-file log
/// (not compressed, not a tar archive): such content is parsed as it
/// streams, never held whole.
pub(super) fn is_log_head(head: &[u8]) -> bool {
    Compression::sniff(head) == Compression::None
        && !tar_index::looks_like_tar(head)
        && detect::is_json_log(head)
}

/// A json-file log parsed as `reader` streams it.
pub(super) fn log_from_reader(
    path: &str,
    reader: &mut dyn Read,
    bytes: u64,
    limits: &Limits,
) -> std::io::Result<Ingested> {
    json_log::parse_reader(path, reader, limits, json_log::CHUNK_BYTES, &mut |_| {})
        .map(|log| log_input(path, bytes, log))
}

pub(super) fn docker_logs_input(
    path: &str,
    bytes: u64,
    mut d: docker_logs::DockerLogs,
) -> Ingested {
    let mut out = Ingested::default();
    out.inputs.push(InputRecord {
        path: path.to_string(),
        kind: ArtifactKind::DockerLogs,
        bytes,
    });
    out.diagnostics
        .extend(std::mem::take(&mut d.log.diagnostics));
    out.items.push(Parsed::DockerLogs(d));
    out
}

pub(super) fn log_input(path: &str, bytes: u64, mut log: json_log::LogFile) -> Ingested {
    let mut out = Ingested::default();
    out.inputs.push(InputRecord {
        path: path.to_string(),
        kind: ArtifactKind::JsonLog,
        bytes,
    });
    out.diagnostics.extend(std::mem::take(&mut log.diagnostics));
    out.items.push(Parsed::Log(log));
    out
}

/// Identifies and parses one artifact's bytes. `depth` counts enclosing
/// archives and compression layers.
pub fn ingest_bytes(path: &str, data: &[u8], depth: u32, bytes: u64, limits: &Limits) -> Ingested {
    ingest_bytes_releasing(path, data, depth, bytes, limits, &|_| {})
}

/// [`ingest_bytes`], calling `release` with image layers and bundle members
/// once read (see `ingest_mapped`).
pub(super) fn ingest_bytes_releasing(
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
    if depth > limits.max_nesting {
        out.inputs.push(record(ArtifactKind::Unknown));
        out.diagnostics.push(Diagnostic::error(
            path,
            format!(
                "nested more than {} archives or compression layers deep; not opened (raise with --max-nesting)",
                limits.max_nesting
            ),
        ));
        return out;
    }
    if let Some((root, rel)) = data_root::claim(path) {
        // A Docker data root's file: kept for assembly, by its place.
        out.items.push(Parsed::DataRootPiece(Box::new(
            data_root::piece_from_bytes(path, root, rel, data, limits),
        )));
        return out;
    }
    if data.is_empty() && json_log::name_info(path).0.is_some() {
        // An empty `<id>-json.log`: the container wrote nothing. Its content
        // cannot say what it is, so the name does, and only for this.
        out.inputs.push(record(ArtifactKind::JsonLog));
        out.items
            .push(Parsed::Log(json_log::parse(path, data, limits)));
        return out;
    }
    if data.is_empty() && docker_logs::name_hint(path) {
        // `docker logs` of a container that wrote nothing (sos keeps it).
        let shape = docker_logs::Shape::Stamped;
        out.inputs.push(record(ArtifactKind::DockerLogs));
        out.items.push(Parsed::DockerLogs(docker_logs::parse(
            path, data, shape, limits,
        )));
        return out;
    }
    if data.is_empty() && !detect::named_like_evidence_or_archive(path) {
        // An empty output (a `--format` template over no objects) is not
        // evidence that failed to read: counted with the others.
        out.inputs.push(record(ArtifactKind::NotRelevant));
        return out;
    }
    if data.is_empty() {
        out.inputs.push(record(ArtifactKind::Unknown));
        out.diagnostics
            .push(Diagnostic::warning(path, quiet::EMPTY_FILE));
        return out;
    }
    if let Some(bom) = decode::sniff(data) {
        // PowerShell's `>` writes UTF-16LE with a BOM: decode, then identify.
        let (text, bad) = decode::to_utf8(data, bom);
        let mut out = ingest_bytes_releasing(path, &text, depth, bytes, limits, release);
        if bom != decode::Bom::Utf8 {
            out.diagnostics.push(Diagnostic::info(
                path,
                format!(
                    "text in {} with a byte-order mark, decoded to UTF-8{}",
                    bom.as_str(),
                    if bad > 0 {
                        format!(" ({bad} code unit(s) could not be decoded and became U+FFFD)")
                    } else {
                        String::new()
                    }
                ),
            ));
        }
        return out;
    }
    let comp = Compression::sniff(data);
    if comp != Compression::None {
        let cap = compress::cap_for(
            data.len() as u64,
            limits.max_decompressed_bytes,
            limits.max_ratio,
        );
        let head = if depth < limits.max_nesting {
            compress::head(data, 64 * 1024, cap).ok()
        } else {
            None
        };
        let plain = head
            .as_deref()
            .filter(|h| Compression::sniff(h) == Compression::None);
        if plain.is_some_and(is_log_head) {
            // Stream the log through the capped decoder in chunks rather
            // than inflating it whole.
            let input = compress::Releasing::new(data, release);
            let parsed = compress::decoder_from(comp, input, cap)
                .and_then(|mut r| log_from_reader(path, &mut r, bytes, limits));
            return parsed.unwrap_or_else(|e| cannot_decompress(path, bytes, comp, &e));
        }
        if plain.is_some_and(tar_index::looks_like_tar) {
            // `None`: an image archive that must be read whole.
            if let Some(out) =
                stream::ingest_tar_stream(path, data, cap, depth + 1, bytes, limits, release)
            {
                return out;
            }
        }
        return match compress::inflate_partial(
            data,
            limits.max_decompressed_bytes,
            limits.max_ratio,
        ) {
            (inner, None) => ingest_bytes(path, &inner, depth + 1, bytes, limits),
            // A cut `.tar.gz`/`.tar.xz`/`.tar.zst`: the entries decoded
            // before the cut are used (the tar walk says where it stopped),
            // as the streamed path does. A bomb keeps the cap error alone.
            (inner, Some(e))
                if !compress::is_cap_error(&e) && tar_index::looks_like_tar(&inner) =>
            {
                let mut part = ingest_bytes(path, &inner, depth + 1, bytes, limits);
                part.diagnostics
                    .push(decoded_before(path, comp, &e, inner.len() as u64));
                part
            }
            (_, Some(e)) => cannot_decompress(path, bytes, comp, &e),
        };
    }
    if tar_index::looks_like_tar(data) {
        return bundle::ingest_tar(path, data, depth, bytes, limits, release);
    }
    if crate::archive::zip::looks_like_zip(data) {
        return zip_bundle::ingest_zip(path, data, depth, bytes, limits);
    }
    let (kind, parsed, diags) = detect::identify(path, data, limits);
    out.inputs.push(record(kind));
    out.diagnostics.extend(diags);
    out.items.extend(parsed);
    out
}

/// What compressed content of `bytes` bytes that fails to decode becomes:
/// an unknown input and the decoder's error.
pub(super) fn cannot_decompress(
    path: &str,
    bytes: u64,
    comp: Compression,
    e: &dyn std::fmt::Display,
) -> Ingested {
    let mut out = Ingested::default();
    out.inputs.push(InputRecord {
        path: path.to_string(),
        kind: ArtifactKind::Unknown,
        bytes,
    });
    out.diagnostics.push(Diagnostic::error(
        path,
        format!("cannot decompress ({}): {e}", comp.as_str()),
    ));
    out
}

/// The error diagnostic of a compressed archive cut part way whose `n`
/// decoded bytes before the cut were used.
pub(super) fn decoded_before(
    path: &str,
    comp: Compression,
    e: &dyn std::fmt::Display,
    n: u64,
) -> Diagnostic {
    Diagnostic::error(
        path,
        format!(
            "cannot decompress ({}): {e}; the {n} bytes decoded before it were used",
            comp.as_str()
        ),
    )
}
