//! Layers and documents of an image archive read as it streams: each layer
//! indexed as it passes (plain, gzip or zstd), small documents kept within
//! the JSON budget, nothing else held.

use std::collections::{HashMap, HashSet};
use std::io::{self, Read};

use crate::archive::compress::{self, Compression};
use crate::archive::tar_index::{self, normalize, EntryKind, TarEntry, TarError};
use crate::model::Limits;

/// A layer's entries, read from its (possibly compressed) blob.
#[derive(Clone)]
pub(super) struct LayerScan {
    pub(super) entries: Vec<TarEntry>,
    pub(super) compression: &'static str,
    pub(super) error: Option<TarError>,
}

pub(super) fn scan_layer(
    body: &[u8],
    limits: &Limits,
    release: &(dyn Fn(&[u8]) + Sync),
) -> LayerScan {
    let comp = Compression::sniff(body);
    if comp == Compression::None {
        let idx = tar_index::index_slice_releasing(body, limits, release);
        return LayerScan {
            entries: idx.entries,
            compression: comp.as_str(),
            error: idx.error,
        };
    }
    scan_compressed_layer(comp, compress::Releasing::new(body, release), limits)
}

/// A gzip or zstd layer's entries, walked as `reader` inflates.
fn scan_compressed_layer(comp: Compression, reader: impl Read, limits: &Limits) -> LayerScan {
    let mut entries = Vec::new();
    let error = match compress::decode(comp, reader, limits.max_decompressed_bytes) {
        Ok(r) => tar_index::walk_stream(r, limits, |e, _| entries.push(e)),
        Err(e) => Some(TarError::DecoderStart {
            comp: comp.as_str(),
            cause: e.to_string(),
        }),
    };
    LayerScan {
        entries,
        compression: comp.as_str(),
        error,
    }
}

/// What a streamed image archive leaves for analysis: each tar member's
/// entries (a layer, plain, gzip or zstd), indexed as the stream went by,
/// and the bodies of the other members up to `--max-json-bytes` (manifests,
/// configs, indexes). Memory follows the entry count and those small
/// documents, not the archive.
#[derive(Default)]
pub struct StreamedMembers {
    pub(super) bodies: HashMap<String, Vec<u8>>,
    pub(super) layers: HashMap<String, LayerScan>,
    /// Bytes of documents kept so far; together they may not pass
    /// `--max-json-bytes` (a hostile archive of many large documents).
    kept: u64,
    /// Documents not kept because of that budget.
    pub(super) dropped: HashSet<String>,
}

impl StreamedMembers {
    /// Reads one member of a streamed archive. An error means the member's
    /// body could not be read (the archive stream failed).
    pub fn visit(&mut self, e: &TarEntry, body: &mut dyn Read, limits: &Limits) -> io::Result<()> {
        if e.kind != EntryKind::File {
            return Ok(());
        }
        let name = normalize(&e.path).to_string();
        let mut head = Vec::with_capacity(512);
        body.take(512).read_to_end(&mut head)?;
        let comp = Compression::sniff(&head);
        if comp == Compression::None && !tar_index::looks_like_tar(&head) {
            if e.size <= limits.max_json_bytes {
                // A document is kept whole; anything else (a foreign blob)
                // only by its first bytes, which say why it does not parse.
                let first = head.iter().find(|b| !b.is_ascii_whitespace());
                if matches!(first, Some(b'{' | b'[')) {
                    if self.kept.saturating_add(e.size) > limits.max_json_bytes {
                        self.dropped.insert(name);
                        return Ok(());
                    }
                    body.read_to_end(&mut head)?;
                    self.kept += head.len() as u64;
                }
                self.bodies.insert(name, head);
            }
            return Ok(());
        }
        let reader = io::Cursor::new(head).chain(body);
        // As `scan_layer` reads a layer held in memory: plain layers with
        // the damage checks of an index, compressed ones walked.
        let scan = if comp == Compression::None {
            let (entries, error) = match tar_index::index_stream(reader, limits) {
                Ok((idx, _)) => (idx.entries, idx.error),
                Err(err) => (
                    Vec::new(),
                    Some(TarError::Read {
                        cause: err.to_string(),
                    }),
                ),
            };
            LayerScan {
                entries,
                compression: comp.as_str(),
                error,
            }
        } else {
            scan_compressed_layer(comp, reader, limits)
        };
        self.layers.insert(name, scan);
        Ok(())
    }
}
