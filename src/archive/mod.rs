//! Byte-level container formats: compression sniffing with capped inflation,
//! and a header-only index of tar archives. Nothing here knows about Docker.

pub mod compress;
pub mod tar_index;
pub mod tar_split;
