//! Issue #5: the progress hook is called, in order, with monotonic byte
//! counts ending at the total, and it does not change the report.

use std::sync::{Arc, Mutex};

use coroner::{Config, Progress, ProgressEvent};

mod common;

fn dir_bytes(p: &std::path::Path) -> u64 {
    let mut n = 0;
    for e in std::fs::read_dir(p).expect("dir").flatten() {
        let m = std::fs::symlink_metadata(e.path()).expect("meta");
        if m.is_dir() {
            n += dir_bytes(&e.path());
        } else if m.is_file() {
            n += m.len();
        }
    }
    n
}

#[test]
fn progress_is_called_and_monotonic() {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let paths = vec![root.join("samples/bundle"), root.join("samples/logs")];
    let total: u64 = paths.iter().map(|p| dir_bytes(p)).sum();
    for threads in [1, 2] {
        let events: Arc<Mutex<Vec<ProgressEvent>>> = Arc::default();
        let sink = Arc::clone(&events);
        let mut config = Config::new(paths.clone());
        config.threads = threads;
        config.progress = Some(Progress::new(move |e| {
            sink.lock().expect("lock").push(e.clone())
        }));
        let with = coroner::run(&config);
        config.progress = None;
        let without = coroner::run(&config);
        assert_eq!(with, without, "progress changed the report");
        let ev = events.lock().expect("lock");
        assert!(ev.len() > 2, "{} events", ev.len());
        assert_eq!(ev[0].bytes_done, 0);
        assert!(ev.windows(2).all(|w| w[0].bytes_done <= w[1].bytes_done));
        assert!(ev.iter().all(|e| e.bytes_total == total));
        assert_eq!(ev.last().map(|e| e.bytes_done), Some(total));
        assert!(ev[1..].iter().all(|e| !e.path.is_empty()));
    }
}

/// A large archive reports progress while it is read, not only when done:
/// the walk's released windows are the progress (here a 24 MiB .tar.zst of
/// incompressible bytes, read through the streaming path).
#[test]
fn a_large_compressed_archive_reports_progress_as_it_streams() {
    let mut b = tar::Builder::new(Vec::new());
    common::tar_file(&mut b, "blob.bin", &common::noise(24 << 20));
    let packed = zstd::encode_all(&b.into_inner().expect("tar")[..], 1).expect("zstd");
    let dir = std::env::temp_dir().join(format!("coroner-progress-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("big.tar.zst");
    std::fs::write(&file, &packed).expect("write");
    let events: Arc<Mutex<Vec<ProgressEvent>>> = Arc::default();
    let sink = Arc::clone(&events);
    let mut config = Config::new(vec![file.clone()]);
    config.progress = Some(Progress::new(move |e| {
        sink.lock().expect("lock").push(e.clone())
    }));
    coroner::run(&config);
    std::fs::remove_dir_all(&dir).ok();
    let ev = events.lock().expect("lock");
    let total = packed.len() as u64;
    let between = ev
        .iter()
        .filter(|e| e.bytes_done > 0 && e.bytes_done < total)
        .count();
    assert!(
        between >= 2,
        "{between} events between start and end: {ev:?}"
    );
    assert_eq!(ev.last().map(|e| e.bytes_done), Some(total));
}
