//! coroner: the offline post-mortem of a Docker incident.
//!
//! The library reads artifacts (inspect JSON, json-file logs, kernel logs,
//! docker events, image archives, filesystem exports, whole bundles),
//! correlates them and returns a report model. It never prints, never parses
//! command-line flags and never exits the process: that is the binary's job.

pub mod archive;
pub mod ingest;
pub mod model;
pub mod time;
