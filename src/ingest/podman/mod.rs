//! podman's own artifacts, where they differ from Docker's: the k8s-file
//! log format that conmon writes (`ctr.log`, also the CRI log format of
//! containerd and CRI-O), and libpod's storage JSON
//! (`overlay-containers/containers.json`, `overlay-images/images.json`),
//! attached to the containers of `podman inspect` by id.
//!
//! `podman inspect`, `podman logs` text and `podman events` are close enough
//! to Docker's to be read by `inspect`, `docker_logs` and `events`.

pub mod k8s_file;
pub mod storage;
