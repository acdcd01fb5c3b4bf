//! Issue #5: the progress hook is called, in order, with monotonic byte
//! counts ending at the total, and it does not change the report.

use std::sync::{Arc, Mutex};

use coroner::{Config, Progress, ProgressEvent};

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
