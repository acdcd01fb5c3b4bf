//! Byte-level container formats: compression sniffing with capped inflation,
//! a header-only index of tar archives, and a central-directory index of zip
//! archives. Nothing here knows about Docker.

pub mod compress;
pub mod tar_index;
pub mod tar_split;
pub mod zip;
