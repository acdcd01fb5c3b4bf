//! Progress of a run: bytes read, summed over every worker and sent to the
//! caller's hook in order.

use std::sync::Mutex;

use crate::{Progress, ProgressEvent};

/// Sums progress from every worker and sends it to the hook in order.
pub(super) struct Tracker<'h> {
    pub(super) hook: &'h Progress,
    pub(super) total: u64,
    pub(super) done: Mutex<u64>,
}

impl Tracker<'_> {
    pub(super) fn advance(&self, path: &str, n: u64) {
        // The hook runs under the lock, so events leave in order.
        let mut done = self.done.lock().unwrap_or_else(|e| e.into_inner());
        *done = done.saturating_add(n).min(self.total);
        self.hook.send(&ProgressEvent {
            bytes_done: *done,
            bytes_total: self.total,
            path: path.to_string(),
        });
    }
}
