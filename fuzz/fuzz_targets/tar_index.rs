//! Tar header index over arbitrary bytes: in memory and as a stream, with a
//! small entry limit. Neither may panic, and a body slice stays in bounds.
#![no_main]
use coroner::archive::tar_index;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = coroner::Limits {
        max_entries: 256,
        ..coroner::Limits::default()
    };
    let _ = tar_index::looks_like_tar(data);
    let idx = tar_index::index_slice(data, &limits);
    for e in &idx.entries {
        let b = tar_index::body(data, e);
        assert!(b.len() as u64 <= e.size);
        let _ = tar_index::is_unsafe_name(&e.path);
        let _ = tar_index::normalize(&e.path);
    }
    let _ = tar_index::has_end_marker(data, &idx);
    let _ = tar_index::walk_stream(data, &limits, |_, r| {
        let _ = std::io::copy(&mut std::io::Read::take(r, 1 << 20), &mut std::io::sink());
    });
});
