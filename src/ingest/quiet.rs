//! Quiet on what is normal: a sos tree, a troubleshoot bundle or a data root
//! holds hundreds of files that are not Docker or kernel evidence
//! (`sys/module/*/parameters/*`, `proc/slabinfo`, `hostconfig.json`). Each
//! was read and identified as [`ArtifactKind::NotRelevant`]; here they are
//! folded into one summary per folder and one info line per input root, so
//! warnings stay for files that look like evidence and fail to read (#11).
//!
//! A file the user named on its own command-line argument is not folded: it
//! is the whole input, and saying it was not recognised is the answer.

use std::collections::BTreeMap;
use std::path::Path;

use super::{Ingested, InputRecord};
use crate::model::{ArtifactKind, DiagSeverity, Diagnostic};

/// Files of one folder that were read and are not evidence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotRelevant {
    /// The folder, as the report names paths (`bundle.tar.xz!/sos/sys/module`).
    pub folder: String,
    pub files: u64,
    pub bytes: u64,
}

/// Under this many not-relevant files a root lists them one by one.
const FOLD_AT: usize = 10;

fn join_root(root: &str, rel: &str) -> String {
    if root.ends_with("!/") || root.ends_with('/') {
        format!("{root}{rel}")
    } else {
        format!("{root}/{rel}")
    }
}

/// The warning a lone, unrecognised file keeps.
pub(super) const NOT_RECOGNISED: &str = "not recognised as a Docker or kernel artifact; skipped";

/// Folds the not-relevant inputs of everything ingested: the roots are each
/// outer archive (`a.tar.xz!/`) and the deepest folder holding every plain
/// file (the directory the user named). A plain file that is the only plain
/// input is its own root, and so keeps its warning. Done once the whole
/// input is known (`correlate`), so `ingest` and `ingest_bytes` stay alike.
pub fn fold_not_relevant(out: &mut Ingested) {
    let plain: Vec<&str> = out
        .inputs
        .iter()
        .map(|i| i.path.as_str())
        .filter(|p| !p.contains("!/"))
        .collect();
    let root = match plain.as_slice() {
        [] => None,
        [one] => Some(one.to_string()),
        [first, rest @ ..] => {
            let mut common: Vec<&str> = first.split('/').collect();
            common.pop();
            for p in rest {
                let parts: Vec<&str> = p.split('/').collect();
                let n = common
                    .iter()
                    .zip(parts.iter())
                    .take_while(|(a, b)| a == b)
                    .count()
                    .min(parts.len().saturating_sub(1));
                common.truncate(n);
            }
            Some(common.join("/"))
        }
    };
    let roots: Vec<String> = root.into_iter().filter(|r| !r.is_empty()).collect();
    summarise(out, &roots);
}

/// Folds the not-relevant inputs of `out` under each of `roots` (the user's
/// paths as displayed) into folder summaries and one info diagnostic per root.
pub(super) fn summarise(out: &mut Ingested, roots: &[String]) {
    fold_empty(out, roots);
    let inputs = std::mem::take(&mut out.inputs);
    // root → (relative path, bytes), in input order.
    let mut by_root: BTreeMap<String, Vec<(String, u64)>> = BTreeMap::new();
    let mut original: BTreeMap<(String, String), String> = BTreeMap::new();
    for i in inputs {
        if i.kind != ArtifactKind::NotRelevant {
            out.inputs.push(i);
            continue;
        }
        let (root, rel) = split_root(&i.path, roots);
        if rel.is_empty() {
            // The user named this file itself: it is the whole answer.
            out.diagnostics
                .push(Diagnostic::warning(&i.path, NOT_RECOGNISED));
            out.inputs.push(InputRecord {
                kind: ArtifactKind::Unknown,
                ..i
            });
            continue;
        }
        original.insert((root.clone(), rel.clone()), i.path.clone());
        by_root.entry(root).or_default().push((rel, i.bytes));
    }
    for (root, files) in by_root {
        if files.len() < FOLD_AT {
            // A few files: listed one by one (kind `not-relevant`), no warning.
            for (rel, bytes) in files {
                let path = original
                    .remove(&(root.clone(), rel.clone()))
                    .unwrap_or_else(|| join_root(&root, &rel));
                out.inputs.push(InputRecord {
                    path,
                    kind: ArtifactKind::NotRelevant,
                    bytes,
                });
            }
            continue;
        }
        let shared = shared_first_component(&files);
        let mut folders: BTreeMap<String, (u64, u64)> = BTreeMap::new();
        for (rel, bytes) in &files {
            let rest = match shared {
                Some(s) => rel[s.len()..].trim_start_matches('/'),
                None => rel.as_str(),
            };
            let mut parts: Vec<&str> = rest.split('/').collect();
            parts.pop(); // the file name
            parts.truncate(2);
            // `containers/<64 hex>`: one line for all containers, not one each.
            if let Some(i) = parts.iter().position(|p| is_hex_id(p)) {
                parts.truncate(i);
            }
            let folder = if parts.is_empty() {
                ".".to_string()
            } else {
                parts.join("/")
            };
            let e = folders.entry(folder).or_default();
            e.0 += 1;
            e.1 += bytes;
        }
        let total: u64 = folders.values().map(|v| v.0).sum();
        let mut counts: Vec<(&String, &(u64, u64))> = folders.iter().collect();
        counts.sort_by(|a, b| b.1 .0.cmp(&a.1 .0).then(a.0.cmp(b.0)));
        let listed: Vec<String> = counts
            .iter()
            .map(|(f, (n, _))| format!("{f} {n}"))
            .collect();
        out.diagnostics.push(Diagnostic::info(
            &root,
            format!(
                "{total} file{} read that {} not Docker or kernel evidence, skipped; by folder: {}",
                if total == 1 { "" } else { "s" },
                if total == 1 { "is" } else { "are" },
                listed.join(", ")
            ),
        ));
        for (folder, (n, bytes)) in folders {
            let mut path = root.clone();
            if !path.ends_with('/') && !path.ends_with("!/") {
                path.push('/');
            }
            if let Some(s) = shared {
                path.push_str(s);
                path.push('/');
            }
            if folder != "." {
                path.push_str(&folder);
            }
            out.not_relevant.push(NotRelevant {
                folder: path.trim_end_matches('/').to_string(),
                files: n,
                bytes,
            });
        }
    }
}

/// The warning an empty file gets where it is one of a few.
pub(super) const EMPTY_FILE: &str = "empty file; nothing to analyse";

/// A whole tree (a sosreport's `sys/fs/cgroup/*/tasks`, `proc/sys` knobs)
/// holds hundreds of empty files, all normal: where one root holds at least
/// [`FOLD_AT`] of them they lose their warnings and are counted with the
/// other files that are not evidence. A few empty files keep theirs: an
/// empty `inspect.json` beside good ones is worth a look.
fn fold_empty(out: &mut Ingested, roots: &[String]) {
    let is_empty_warning =
        |d: &Diagnostic| d.severity == DiagSeverity::Warning && d.message == EMPTY_FILE;
    let mut per_root: BTreeMap<String, usize> = BTreeMap::new();
    for d in out.diagnostics.iter().filter(|d| is_empty_warning(d)) {
        let (root, rel) = split_root(&d.path, roots);
        if !rel.is_empty() {
            *per_root.entry(root).or_default() += 1;
        }
    }
    let folded = |path: &str| {
        let (root, rel) = split_root(path, roots);
        !rel.is_empty() && per_root.get(&root).is_some_and(|&n| n >= FOLD_AT)
    };
    if !per_root.values().any(|&n| n >= FOLD_AT) {
        return;
    }
    let mut paths = std::collections::BTreeSet::new();
    out.diagnostics.retain(|d| {
        let fold = is_empty_warning(d) && folded(&d.path);
        if fold {
            paths.insert(d.path.clone());
        }
        !fold
    });
    for i in &mut out.inputs {
        if i.kind == ArtifactKind::Unknown && i.bytes == 0 && paths.contains(&i.path) {
            i.kind = ArtifactKind::NotRelevant;
        }
    }
}

/// The input root of `path` (the outermost archive as `a.tar!/`, or the
/// user path it lies under) and the path inside it (`""` for the root itself).
fn split_root(path: &str, roots: &[String]) -> (String, String) {
    if let Some((outer, inner)) = path.split_once("!/") {
        return (format!("{outer}!/"), inner.replace("!/", "/"));
    }
    let best = roots
        .iter()
        .filter(|r| path == r.as_str() || Path::new(path).starts_with(Path::new(r.as_str())))
        .max_by_key(|r| r.len());
    match best {
        Some(r) if path == r.as_str() => (r.clone(), String::new()),
        Some(r) => {
            let rest = path[r.len()..].trim_start_matches('/').to_string();
            (r.clone(), rest)
        }
        None => (path.to_string(), String::new()),
    }
}

fn is_hex_id(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|c| c.is_ascii_hexdigit())
}

/// The first path component every file shares (a sos tree's
/// `sosreport-host-date/`), when every file lies below it.
fn shared_first_component(files: &[(String, u64)]) -> Option<&str> {
    let first = files.first()?.0.split_once('/')?.0;
    files
        .iter()
        .all(|(rel, _)| rel.split_once('/').is_some_and(|(c, _)| c == first))
        .then_some(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nr(path: &str) -> InputRecord {
        InputRecord {
            path: path.into(),
            kind: ArtifactKind::NotRelevant,
            bytes: 10,
        }
    }

    #[test]
    fn folds_by_folder_under_the_shared_top() {
        let mut out = Ingested::default();
        out.inputs.push(nr("b.tar!/sos/sys/module/a/parameters/x"));
        out.inputs.push(nr("b.tar!/sos/sys/module/b/parameters/y"));
        for m in ["c", "d", "e", "f", "g", "h", "i"] {
            out.inputs
                .push(nr(&format!("b.tar!/sos/sys/module/{m}/parameters/z")));
        }
        out.inputs.push(nr("b.tar!/sos/proc/slabinfo"));
        out.inputs.push(nr("b.tar!/sos/version.txt"));
        summarise(&mut out, &["b.tar".into()]);
        assert!(out.inputs.is_empty());
        assert_eq!(out.diagnostics.len(), 1);
        let d = &out.diagnostics[0];
        assert_eq!(d.severity, crate::model::DiagSeverity::Info);
        assert_eq!(
            d.message,
            "11 files read that are not Docker or kernel evidence, skipped; by folder: sys/module 9, . 1, proc 1"
        );
        let folders: Vec<(&str, u64)> = out
            .not_relevant
            .iter()
            .map(|n| (n.folder.as_str(), n.files))
            .collect();
        assert_eq!(
            folders,
            [
                ("b.tar!/sos", 1),
                ("b.tar!/sos/proc", 1),
                ("b.tar!/sos/sys/module", 9)
            ]
        );
    }

    #[test]
    fn a_file_named_alone_keeps_its_warning() {
        let mut out = Ingested::default();
        out.inputs.push(nr("notes.txt"));
        summarise(&mut out, &["notes.txt".into()]);
        assert_eq!(out.inputs[0].kind, ArtifactKind::Unknown);
        assert_eq!(out.diagnostics[0].message, NOT_RECOGNISED);
        assert_eq!(
            out.diagnostics[0].severity,
            crate::model::DiagSeverity::Warning
        );
    }
}

#[test]
fn a_few_files_stay_listed_one_by_one() {
    let mut out = Ingested::default();
    out.inputs.push(InputRecord {
        path: "z.zip!/etc/shadow".into(),
        kind: ArtifactKind::NotRelevant,
        bytes: 3,
    });
    summarise(&mut out, &[]);
    assert_eq!(out.inputs.len(), 1);
    assert_eq!(out.inputs[0].path, "z.zip!/etc/shadow");
    assert!(out.diagnostics.is_empty() && out.not_relevant.is_empty());
}
