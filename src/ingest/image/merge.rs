//! Layer merge: applies each layer's opaque markers, whiteouts and entries,
//! in layer order, over a map of normalised paths, and attributes every
//! hidden lower-layer byte to the layer that hid it. Also the final-view
//! statistics (largest files and directories) and the bloat table.

use std::collections::BTreeMap;

use crate::archive::tar_index::{normalize, EntryKind, TarEntry};

use super::{Bloat, FileEntry, PathSize, WastedFile};

/// One visible path during the merge.
#[derive(Clone, Debug)]
struct Node {
    size: u64,
    layer: usize,
    kind: EntryKind,
    mode: u32,
}

/// What the merge of all layers produced.
#[derive(Debug, Default)]
pub(crate) struct Merged {
    /// Sorted by path; paths start with `/`.
    pub files: Vec<FileEntry>,
    /// Per layer: bytes of lower-layer regular files this layer hid.
    pub layer_wasted: Vec<u64>,
    pub wasted_files: Vec<WastedFile>,
}

const OPAQUE: &str = ".wh..wh..opq";
const WH_PREFIX: &str = ".wh.";

fn split_parent(p: &str) -> (&str, &str) {
    match memchr::memrchr(b'/', p.as_bytes()) {
        Some(i) => (&p[..i], &p[i + 1..]),
        None => ("", p),
    }
}

fn join(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_string()
    } else {
        format!("{parent}/{name}")
    }
}

/// Merges layers (each a list of indexed entries, in archive order) in
/// layer order.
pub(crate) fn merge(layers: &[Vec<TarEntry>]) -> Merged {
    let mut m = Merger::default();
    for entries in layers {
        m.push(entries);
    }
    m.finish()
}

/// One path of the merged view. Paths that only stand above an entry
/// (a tar may list `a/b/c` without `a/b`) are kept as *implicit* slots, so
/// that every path's parent is a slot and a subtree is found by its
/// children, not by a prefix scan.
struct Slot {
    /// The path with a leading `/`, as the final view spells it; the
    /// index is keyed by the rest ([`Slot::key`]).
    path: Box<str>,
    /// The key's hash, so that growing the index or removing a slot
    /// does not hash the path again.
    hash: u64,
    node: Node,
    /// Listed by a layer (else implicit: not part of the final view).
    listed: bool,
    /// Removed by a later layer; its path may come back as a new slot.
    alive: bool,
    children: Vec<u32>,
}

/// The merge one layer at a time, so a caller can drop each layer's
/// entries once pushed (data roots read from tar-split): only the merged
/// view is held between layers.
///
/// The view is a table of slots: a hash index from path to its live slot
/// (a lookup hashes the path once, where an ordered map compared it with
/// about 17 others, #14) and, per slot, its children. The final view is
/// sorted once, at the end.
pub(crate) struct Merger {
    slots: Vec<Slot>,
    index: hashbrown::HashTable<u32>,
    hasher: foldhash::fast::FixedState,
    out: Merged,
    /// Bytes hidden so far by the first layer, while it is streamed.
    first_wasted: u64,
}

impl Slot {
    /// A path that only stands above listed ones (and the root), with
    /// its hash.
    fn implicit(path: &str, hash: u64) -> Slot {
        Slot {
            path: rooted(path).into_boxed_str(),
            hash,
            node: Node {
                size: 0,
                layer: 0,
                kind: EntryKind::Dir,
                mode: 0,
            },
            listed: false,
            alive: true,
            children: Vec::new(),
        }
    }

    /// The path without its leading `/`, as layers list it.
    fn key(&self) -> &str {
        &self.path[1..]
    }
}

/// `p` with a leading `/`, in one allocation.
fn rooted(p: &str) -> String {
    let mut s = String::with_capacity(p.len() + 1);
    s.push('/');
    s.push_str(p);
    s
}

impl Default for Merger {
    fn default() -> Merger {
        let hasher = foldhash::fast::FixedState::default();
        let h = {
            use std::hash::BuildHasher as _;
            hasher.hash_one("")
        };
        let mut m = Merger {
            slots: vec![Slot::implicit("", h)],
            index: hashbrown::HashTable::new(),
            hasher,
            out: Merged::default(),
            first_wasted: 0,
        };
        m.index.insert_unique(h, 0, |_| h);
        m
    }
}

impl Merger {
    fn hash(&self, p: &str) -> u64 {
        use std::hash::BuildHasher as _;
        self.hasher.hash_one(p)
    }

    /// The live slot of `p`, listed or implicit.
    fn find(&self, p: &str) -> Option<u32> {
        self.find_hashed(self.hash(p), p)
    }

    /// [`Merger::find`] with `p`'s hash already known.
    fn find_hashed(&self, h: u64, p: &str) -> Option<u32> {
        let slots = &self.slots;
        self.index
            .find(h, |&i| slots[i as usize].key() == p)
            .copied()
    }

    /// A new slot for `p` (hashed `h`), not in the view yet, made with
    /// its missing parents (implicit).
    fn new_slot(&mut self, h: u64, p: &str) -> u32 {
        let (up, _) = split_parent(p);
        let hu = self.hash(up);
        let parent = match self.find_hashed(hu, up) {
            Some(i) => i,
            None => self.new_slots(hu, up),
        };
        self.push_slot(parent, p, h)
    }

    /// [`Merger::new_slot`] when its parent is missing too: walks up to
    /// the nearest existing parent, then makes the missing ones top down.
    fn new_slots(&mut self, h: u64, p: &str) -> u32 {
        let mut missing = vec![(p, h)];
        let mut parent = loop {
            let (up, _) = split_parent(missing[missing.len() - 1].0);
            let hu = self.hash(up);
            match self.find_hashed(hu, up) {
                Some(i) => break i,
                None => missing.push((up, hu)),
            }
        };
        for (q, hq) in missing.into_iter().rev() {
            parent = self.push_slot(parent, q, hq);
        }
        parent
    }

    /// Adds the implicit slot `p` (hashed `h`) under `parent`.
    fn push_slot(&mut self, parent: u32, p: &str, h: u64) -> u32 {
        let i = self.slots.len() as u32;
        self.slots.push(Slot::implicit(p, h));
        self.slots[parent as usize].children.push(i);
        let slots = &self.slots;
        self.index.insert_unique(h, i, |&j| slots[j as usize].hash);
        i
    }

    /// Removes `path` (when `with_self`) and everything under it, recording
    /// the regular files among them as wasted, in path order. Returns the
    /// bytes hidden.
    fn hide_subtree(
        &mut self,
        path: &str,
        with_self: bool,
        hidden_by: usize,
        how: &'static str,
    ) -> u64 {
        let Some(top) = self.find(path) else {
            return 0; // nothing under a path that was never seen
        };
        let mut removed: Vec<u32> = Vec::new();
        let mut stack: Vec<u32> = std::mem::take(&mut self.slots[top as usize].children);
        while let Some(i) = stack.pop() {
            let s = &mut self.slots[i as usize];
            if !s.alive {
                continue;
            }
            s.alive = false;
            stack.append(&mut s.children);
            removed.push(i);
        }
        // The root stays: only what is under it goes.
        if with_self && top != 0 {
            self.slots[top as usize].alive = false;
            removed.push(top);
        }
        let mut bytes = 0u64;
        let root = rooted(path);
        let mut wasted: Vec<(&str, &Node)> = Vec::new();
        for &i in &removed {
            let s = &self.slots[i as usize];
            if let Ok(e) = self.index.find_entry(s.hash, |&j| j == i) {
                e.remove();
            }
            if s.listed && s.node.kind == EntryKind::File && s.node.layer < hidden_by {
                wasted.push((&s.path, &s.node));
            }
        }
        wasted.sort_unstable_by(|a, b| a.0.cmp(b.0));
        for (p, n) in wasted {
            bytes = bytes.saturating_add(n.size);
            self.out.wasted_files.push(WastedFile {
                path: p.to_string(),
                size: n.size,
                added_in: n.layer,
                hidden_by,
                how,
                root: root.clone(),
            });
        }
        bytes
    }

    /// Applies the next layer over the merged view.
    pub(crate) fn push(&mut self, entries: &[TarEntry]) {
        let li = self.out.layer_wasted.len();
        let mut wasted = 0u64;
        // 1. Opaque markers hide everything lower under their directory.
        for e in entries {
            let p = normalize(&e.path);
            let (parent, name) = split_parent(p);
            if name == OPAQUE {
                wasted += self.hide_subtree(parent, false, li, "opaque");
            }
        }
        // 2. Whiteouts hide one path and, for a directory, all under it.
        for e in entries {
            let p = normalize(&e.path);
            let (parent, name) = split_parent(p);
            if let Some(target) = name.strip_prefix(WH_PREFIX) {
                if target.starts_with(WH_PREFIX) || target.is_empty() {
                    continue; // .wh..wh..opq and AUFS metadata (.wh..wh.plnk)
                }
                let t = join(parent, target);
                wasted += self.hide_subtree(&t, true, li, "whiteout");
            }
        }
        // 3. The layer's own entries.
        for e in entries {
            wasted = wasted.saturating_add(self.place(e, li));
        }
        self.out.layer_wasted.push(wasted);
    }

    /// Puts one of layer `li`'s own entries in the view; the bytes it hides.
    fn place(&mut self, e: &TarEntry, li: usize) -> u64 {
        let p = normalize(&e.path);
        if p.is_empty() || p == "." {
            return 0;
        }
        let (_, name) = split_parent(p);
        if name.starts_with(WH_PREFIX) {
            return 0;
        }
        let mut wasted = 0u64;
        let is_dir = e.kind == EntryKind::Dir;
        let size = if e.kind == EntryKind::File { e.size } else { 0 };
        // One lookup: the slot found is the one set below, unless a
        // directory there is replaced (its slot then goes with its subtree).
        // An implicit slot (a parent no layer listed yet) is simply taken.
        let h = self.hash(p);
        let mut found = self.find_hashed(h, p);
        if let Some(i) = found.filter(|&i| self.slots[i as usize].listed) {
            let old = &self.slots[i as usize];
            let old_dir = old.node.kind == EntryKind::Dir;
            if old_dir && is_dir {
                // A directory re-listed keeps its origin layer.
                self.slots[i as usize].node.mode = e.mode;
                return 0;
            } else if old_dir {
                // A non-directory replaces a directory: the subtree goes.
                wasted += self.hide_subtree(p, true, li, "overwrite");
                found = None;
            } else if old.node.kind == EntryKind::File {
                let (osize, olayer) = (old.node.size, old.node.layer);
                // The same path twice in one layer still ships both copies.
                wasted = wasted.saturating_add(osize);
                let path = old.path.to_string();
                self.out.wasted_files.push(WastedFile {
                    root: path.clone(),
                    path,
                    size: osize,
                    added_in: olayer,
                    hidden_by: li,
                    how: "overwrite",
                });
            }
        }
        let i = match found {
            Some(i) => i,
            None => self.new_slot(h, p),
        } as usize;
        let s = &mut self.slots[i];
        s.listed = true;
        s.node = Node {
            size,
            layer: li,
            kind: e.kind,
            mode: e.mode,
        };
        wasted
    }

    /// The first layer, one entry at a time as it is read (#14): over an
    /// empty view its opaque markers and whiteouts hide nothing, so its
    /// entries in order are the whole of its merge. [`Merger::end_first`]
    /// closes it; any other use starts with [`Merger::push`].
    pub(crate) fn push_first(&mut self, e: &TarEntry) {
        debug_assert!(self.out.layer_wasted.is_empty());
        self.first_wasted = self.first_wasted.saturating_add(self.place(e, 0));
    }

    /// Closes the first layer pushed by [`Merger::push_first`], with the
    /// rest of its entries (those not pushed yet).
    pub(crate) fn end_first(&mut self, rest: &[TarEntry]) {
        for e in rest {
            self.push_first(e);
        }
        let w = std::mem::take(&mut self.first_wasted);
        self.out.layer_wasted.push(w);
    }

    /// The final view, sorted by path.
    pub(crate) fn finish(self) -> Merged {
        let (slots, mut out) = (self.slots, self.out);
        out.files = slots
            .into_iter()
            .filter(|s| s.alive && s.listed)
            .map(|s| FileEntry {
                path: s.path.into_string(),
                size: s.node.size,
                mode: s.node.mode,
                kind: s.node.kind,
                layer: s.node.layer,
            })
            .collect();
        // Layers list their paths in walk order: the sort mostly merges
        // long sorted runs. Paths are unique, so any sort gives one order.
        {
            use rayon::prelude::*;
            out.files.par_sort_by(|a, b| a.path.cmp(&b.path));
        }
        out
    }
}

/// Top `n` regular files, largest first, ties by path.
pub fn largest_files(files: &[FileEntry], n: usize) -> Vec<PathSize> {
    let v: Vec<(u64, &str)> = files
        .iter()
        .filter(|f| f.kind == EntryKind::File)
        .map(|f| (f.size, f.path.as_str()))
        .collect();
    top_by_size(v, n)
}

/// The `n` largest (size, path) pairs, largest first, ties by path; only
/// those `n` paths are copied.
fn top_by_size(mut v: Vec<(u64, &str)>, n: usize) -> Vec<PathSize> {
    let order = |a: &(u64, &str), b: &(u64, &str)| b.0.cmp(&a.0).then_with(|| a.1.cmp(b.1));
    if v.len() > n && n > 0 {
        v.select_nth_unstable_by(n - 1, order);
    }
    v.truncate(n);
    v.sort_unstable_by(order);
    v.into_iter()
        .map(|(size, path)| PathSize {
            path: path.to_string(),
            size,
        })
        .collect()
}

/// Top `n` directories by the recursive size of the regular files under them.
pub fn largest_dirs(files: &[FileEntry], n: usize) -> Vec<PathSize> {
    let mut regular: Vec<&FileEntry> = files.iter().filter(|f| f.kind == EntryKind::File).collect();
    if !regular.windows(2).all(|w| w[0].path <= w[1].path) {
        regular.sort_unstable_by(|a, b| a.path.cmp(&b.path));
    }
    // In path order the files under a directory are contiguous, so one
    // stack of the current path's directories replaces a map of every
    // directory: a size is added to the innermost directory and passed to
    // the parent when the walk leaves it.
    let mut done: Vec<(u64, &str)> = Vec::new();
    let mut stack: Vec<(&str, u64)> = Vec::new();
    fn leave<'a>(stack: &mut Vec<(&'a str, u64)>, done: &mut Vec<(u64, &'a str)>) {
        if let Some((d, s)) = stack.pop() {
            if let Some(parent) = stack.last_mut() {
                parent.1 += s;
            }
            done.push((s, d));
        }
    }
    for f in regular {
        let dir = f.path.rfind('/').map_or("", |i| &f.path[..i]);
        while let Some(&(d, _)) = stack.last() {
            if dir.starts_with(d) && (dir.len() == d.len() || dir.as_bytes()[d.len()] == b'/') {
                break;
            }
            leave(&mut stack, &mut done);
        }
        let from = stack.last().map_or(0, |(d, _)| d.len());
        for (i, _) in dir.match_indices('/').filter(|&(i, _)| i > from) {
            stack.push((&dir[..i], 0));
        }
        if dir.len() > from {
            stack.push((dir, 0));
        }
        if let Some(top) = stack.last_mut() {
            top.1 += f.size;
        }
    }
    while !stack.is_empty() {
        leave(&mut stack, &mut done);
    }
    top_by_size(done, n)
}

/// Well-known packages that belong in devDependencies.
const DEV_ONLY: &[&str] = &[
    "typescript",
    "jest",
    "eslint",
    "webpack",
    "@types",
    "mocha",
    "prettier",
];

/// `usr/include` only counts as bloat once it is this large.
const INCLUDE_THRESHOLD: u64 = 1 << 20;

/// What the directory components of a path (all but the last, which is
/// the file itself) say for bloat, found in one pass over its `/`s (#14:
/// a search per pattern was a tenth of a data root's analysis).
#[derive(Default)]
#[cfg_attr(test, derive(Debug, PartialEq))]
struct DirMarks {
    /// A `.git` directory.
    git: bool,
    /// A `node_modules` directory.
    node_modules: bool,
    /// A `test`, `tests`, `__tests__` or `fixtures` directory.
    tests: bool,
    /// `/.cache/pip/`, `/.cache/yarn/` or `/.npm/_cacache/` inside the path.
    cache: bool,
    /// `/.cargo/registry/` inside the path.
    cargo_registry: bool,
}

fn dir_marks(p: &str) -> DirMarks {
    let b = p.as_bytes();
    let mut m = DirMarks::default();
    let mut start = 0;
    // The component before, when a `/` comes before it too.
    let mut inner: Option<&[u8]> = None;
    for end in memchr::memchr_iter(b'/', b) {
        let c = &b[start..end];
        match c {
            b".git" => m.git = true,
            b"node_modules" => m.node_modules = true,
            b"test" | b"tests" | b"__tests__" | b"fixtures" => m.tests = true,
            _ => {}
        }
        match (inner, c) {
            (Some(b".cache"), b"pip" | b"yarn") | (Some(b".npm"), b"_cacache") => m.cache = true,
            (Some(b".cargo"), b"registry") => m.cargo_registry = true,
            _ => {}
        }
        inner = (start > 0).then_some(c);
        start = end + 1;
    }
    m
}

fn prefixed(p: &str, prefixes: &[&str]) -> bool {
    prefixes.iter().any(|x| p.starts_with(x))
}

/// The bloat category of a final-view path (no leading `/`), if any.
/// `include` is a separate internal key, folded into "build-tools" when large.
fn category(p: &str, size: u64) -> Option<&'static str> {
    let dirs = dir_marks(p);
    if dirs.cache
        || prefixed(
            p,
            &[
                "var/cache/apt/",
                "var/lib/apt/lists/",
                "var/cache/apk/",
                "var/cache/yum/",
                "var/cache/dnf/",
                "root/.cache/pip/",
                "root/.npm/",
                "usr/local/share/.cache/yarn/",
            ],
        )
    {
        return Some("package-cache");
    }
    if dirs.git {
        return Some("git");
    }
    if dirs.node_modules {
        return Some("node_modules");
    }
    let (_, name) = split_parent(p);
    if (p.starts_with("usr/bin/")
        && !p["usr/bin/".len()..].contains('/')
        && (name.starts_with("gcc")
            || name.starts_with("g++")
            || name == "cc"
            || name == "make"
            || name == "rustc"))
        || prefixed(p, &["usr/lib/gcc/", "usr/local/go/"])
        || dirs.cargo_registry
    {
        return Some("build-tools");
    }
    if p.starts_with("usr/include/") {
        return Some("include");
    }
    if name == "npm-debug.log"
        || name == "yarn-error.log"
        || (name == "build.log" && p.contains('/'))
    {
        return Some("build-logs");
    }
    if name.ends_with(".log") && !p.starts_with("var/log/") && size > 0 {
        return Some("build-logs");
    }
    if dirs.tests || prefixed(p, &["usr/share/doc/", "usr/share/man/"]) {
        return Some("tests-docs");
    }
    None
}

/// The dev-only package a node_modules path belongs to, as
/// `…/node_modules/<pkg>`, if it is one.
fn dev_package(p: &str) -> Option<&str> {
    // `…/node_modules/<pkg>/…`: the text up to the end of `<pkg>`, as the
    // components joined again would spell it.
    let b = p.as_bytes();
    for i in memchr::memmem::find_iter(b, b"node_modules") {
        if i > 0 && b[i - 1] != b'/' {
            continue;
        }
        let Some(rest) = p.get(i + "node_modules".len()..) else {
            continue;
        };
        let Some(rest) = rest.strip_prefix('/') else {
            continue;
        };
        let Some((pkg, _)) = rest.split_once('/') else {
            continue;
        };
        if DEV_ONLY.contains(&pkg) {
            return Some(&p[..p.len() - rest.len() + pkg.len()]);
        }
    }
    None
}

/// One `Bloat` per (category, layer) over the final view.
pub(crate) fn bloat(files: &[FileEntry]) -> Vec<Bloat> {
    // Paths are borrowed from the view; only the examples shown are copied.
    struct Acc<'a> {
        bytes: u64,
        files: u64,
        examples: Vec<(u64, &'a str)>,
        dev: BTreeMap<&'a str, u64>,
    }
    let mut groups: BTreeMap<(&'static str, usize), Acc> = BTreeMap::new();
    // The categories are found in parallel (most of the cost), summed in
    // path order.
    let cats: Vec<Option<&'static str>> = {
        use rayon::prelude::*;
        files
            .par_iter()
            .with_min_len(4096)
            .map(|f| {
                (f.kind != EntryKind::Dir)
                    .then(|| category(f.path.trim_start_matches('/'), f.size))
                    .flatten()
            })
            .collect()
    };
    for (f, cat) in files.iter().zip(cats) {
        let p = f.path.trim_start_matches('/');
        let Some(cat) = cat else {
            continue;
        };
        let acc = groups.entry((cat, f.layer)).or_insert_with(|| Acc {
            bytes: 0,
            files: 0,
            examples: Vec::new(),
            dev: BTreeMap::new(),
        });
        acc.bytes += f.size;
        acc.files += 1;
        acc.examples.push((f.size, f.path.as_str()));
        if cat == "node_modules" {
            if let Some(pkg) = dev_package(p) {
                *acc.dev.entry(pkg).or_insert(0) += f.size;
            }
        }
    }
    // usr/include counts only when large (over all layers together).
    let include_total: u64 = groups
        .iter()
        .filter(|((c, _), _)| *c == "include")
        .map(|(_, a)| a.bytes)
        .sum();
    let mut out = Vec::new();
    let mut tools: BTreeMap<usize, Acc> = BTreeMap::new();
    for ((cat, layer), acc) in groups {
        let cat = match cat {
            "include" if include_total < INCLUDE_THRESHOLD => continue,
            "include" | "build-tools" => {
                let t = tools.entry(layer).or_insert_with(|| Acc {
                    bytes: 0,
                    files: 0,
                    examples: Vec::new(),
                    dev: BTreeMap::new(),
                });
                t.bytes += acc.bytes;
                t.files += acc.files;
                t.examples.extend(acc.examples);
                continue;
            }
            c => c,
        };
        out.push(finish(
            cat,
            layer,
            acc.bytes,
            acc.files,
            acc.examples,
            acc.dev,
        ));
    }
    for (layer, acc) in tools {
        out.push(finish(
            "build-tools",
            layer,
            acc.bytes,
            acc.files,
            acc.examples,
            acc.dev,
        ));
    }
    out.sort_by(|a, b| (a.layer, a.category).cmp(&(b.layer, b.category)));
    return out;

    fn finish(
        category: &'static str,
        layer: usize,
        bytes: u64,
        files: u64,
        examples: Vec<(u64, &str)>,
        dev: BTreeMap<&str, u64>,
    ) -> Bloat {
        let mut paths: Vec<String> = Vec::new();
        // Dev-only packages first, largest first: they are the actionable part.
        let mut dev: Vec<(&str, u64)> = dev.into_iter().collect();
        dev.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        for (pkg, _) in dev.into_iter().take(5) {
            paths.push(format!("/{pkg}/ (dev-only package)"));
        }
        for top in top_by_size(examples, 5) {
            if paths.len() >= 5 {
                break;
            }
            paths.push(top.path);
        }
        Bloat {
            category,
            layer,
            bytes,
            files,
            example_paths: paths,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The map-of-every-directory definition `largest_dirs` must agree with.
    fn dirs_by_map(files: &[FileEntry]) -> Vec<PathSize> {
        let mut sizes: std::collections::HashMap<&str, u64> = Default::default();
        for f in files.iter().filter(|f| f.kind == EntryKind::File) {
            let mut p = f.path.as_str();
            while let Some(i) = p.rfind('/') {
                p = &p[..i];
                if p.is_empty() {
                    break;
                }
                *sizes.entry(p).or_insert(0) += f.size;
            }
        }
        let mut v: Vec<PathSize> = sizes
            .into_iter()
            .map(|(p, s)| PathSize {
                path: p.to_string(),
                size: s,
            })
            .collect();
        v.sort_by(|a, b| b.size.cmp(&a.size).then_with(|| a.path.cmp(&b.path)));
        v
    }

    /// The merge as it was first written, over an ordered map with prefix
    /// scans: the slot table must give exactly the same result.
    fn reference(layers: &[Vec<TarEntry>]) -> Merged {
        fn hide(
            map: &mut BTreeMap<String, Node>,
            path: &str,
            with_self: bool,
            hidden_by: usize,
            how: &'static str,
            wasted: &mut Vec<WastedFile>,
        ) -> u64 {
            let mut doomed: Vec<String> = Vec::new();
            if with_self && map.contains_key(path) {
                doomed.push(path.to_string());
            }
            if path.is_empty() {
                doomed.extend(map.keys().cloned());
            } else {
                let prefix = format!("{path}/");
                doomed.extend(
                    map.range(prefix.clone()..)
                        .take_while(|(k, _)| k.starts_with(&prefix))
                        .map(|(k, _)| k.clone()),
                );
            }
            let mut bytes = 0u64;
            for k in doomed {
                if let Some(n) = map.remove(&k) {
                    if n.kind == EntryKind::File && n.layer < hidden_by {
                        bytes += n.size;
                        wasted.push(WastedFile {
                            path: format!("/{k}"),
                            size: n.size,
                            added_in: n.layer,
                            hidden_by,
                            how,
                            root: format!("/{path}"),
                        });
                    }
                }
            }
            bytes
        }
        let mut map: BTreeMap<String, Node> = BTreeMap::new();
        let mut out = Merged::default();
        for (li, entries) in layers.iter().enumerate() {
            let mut wasted = 0u64;
            for e in entries {
                let (parent, name) = split_parent(normalize(&e.path));
                if name == OPAQUE {
                    wasted += hide(&mut map, parent, false, li, "opaque", &mut out.wasted_files);
                }
            }
            for e in entries {
                let (parent, name) = split_parent(normalize(&e.path));
                if let Some(target) = name.strip_prefix(WH_PREFIX) {
                    if target.starts_with(WH_PREFIX) || target.is_empty() {
                        continue;
                    }
                    let t = join(parent, target);
                    wasted += hide(&mut map, &t, true, li, "whiteout", &mut out.wasted_files);
                }
            }
            for e in entries {
                let p = normalize(&e.path);
                if p.is_empty() || p == "." || split_parent(p).1.starts_with(WH_PREFIX) {
                    continue;
                }
                let is_dir = e.kind == EntryKind::Dir;
                let size = if e.kind == EntryKind::File { e.size } else { 0 };
                if let Some(old) = map.get(p) {
                    let old_dir = old.kind == EntryKind::Dir;
                    if old_dir && !is_dir {
                        wasted += hide(&mut map, p, true, li, "overwrite", &mut out.wasted_files);
                    } else if !old_dir && old.kind == EntryKind::File {
                        wasted += old.size;
                        out.wasted_files.push(WastedFile {
                            path: format!("/{p}"),
                            size: old.size,
                            added_in: old.layer,
                            hidden_by: li,
                            how: "overwrite",
                            root: format!("/{p}"),
                        });
                    }
                }
                if is_dir {
                    if let Some(n) = map.get_mut(p) {
                        if n.kind == EntryKind::Dir {
                            n.mode = e.mode;
                            continue;
                        }
                    }
                }
                let node = Node {
                    size,
                    layer: li,
                    kind: e.kind,
                    mode: e.mode,
                };
                map.insert(p.to_string(), node);
            }
            out.layer_wasted.push(wasted);
        }
        out.files = map
            .into_iter()
            .map(|(k, n)| FileEntry {
                path: format!("/{k}"),
                size: n.size,
                mode: n.mode,
                kind: n.kind,
                layer: n.layer,
            })
            .collect();
        out
    }

    #[test]
    fn the_slot_table_merges_like_an_ordered_map() {
        // Layers drawn from a small tree so that paths collide: files,
        // directories listed or not, whiteouts of files and directories,
        // opaque markers (the root's too), a file over a directory and a
        // directory over a file, duplicates within a layer, odd spellings.
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let names = ["a", "b", "a.b", "c-d", "x"];
        for round in 0..300 {
            let mut layers = Vec::new();
            for _ in 0..1 + next(5) {
                let mut l = Vec::new();
                for _ in 0..next(40) {
                    let depth = 1 + next(4);
                    let mut p: Vec<&str> = (0..depth).map(|_| names[next(5) as usize]).collect();
                    let last = p.pop().expect("a name");
                    let dir = p.join("/");
                    let at = |n: &str| {
                        if dir.is_empty() {
                            n.to_string()
                        } else {
                            format!("{dir}/{n}")
                        }
                    };
                    let (path, kind, size) = match next(10) {
                        0 => (at(&format!(".wh.{last}")), File, 0),
                        1 => (at(OPAQUE), File, 0),
                        2 | 3 => (format!("{}/", at(last)), Dir, 0),
                        4 => (format!("./{}", at(last)), Symlink, 0),
                        _ => (at(last), File, 1 + next(1000)),
                    };
                    l.push(e(&path, kind, size));
                }
                if next(20) == 0 {
                    l.push(e("./.wh..wh..opq", File, 0));
                }
                layers.push(l);
            }
            let want = reference(&layers);
            let got = merge(&layers);
            assert_eq!(got.files, want.files, "round {round}: {layers:?}");
            assert_eq!(got.layer_wasted, want.layer_wasted, "round {round}");
            assert_eq!(got.wasted_files, want.wasted_files, "round {round}");
        }
    }

    #[test]
    fn largest_dirs_matches_a_map_of_every_directory() {
        let f = |path: &str, size: u64| FileEntry {
            path: path.to_string(),
            size,
            mode: 0o644,
            kind: EntryKind::File,
            layer: 0,
        };
        // Siblings that sort between a directory's files (`b-x`, `b.y`
        // before `b/`), a doubled slash, a file at the root, a directory
        // entry, and input out of order.
        let mut files = vec![
            f("/a/b/c", 5),
            f("/a/b-x", 7),
            f("/a/b.y/z", 11),
            f("/a/b/d/e", 13),
            f("/a//q", 17),
            f("/top", 19),
            f("/a/b/d/f", 23),
            f("rel/x", 29),
            FileEntry {
                kind: EntryKind::Dir,
                ..f("/a/b/d", 0)
            },
        ];
        for round in 0..2 {
            assert_eq!(
                largest_dirs(&files, 100),
                dirs_by_map(&files),
                "round {round}"
            );
            assert_eq!(largest_dirs(&files, 2), dirs_by_map(&files)[..2].to_vec());
            files.sort_by(|a, b| a.path.cmp(&b.path));
        }
    }

    fn e(path: &str, kind: EntryKind, size: u64) -> TarEntry {
        TarEntry {
            path: path.to_string(),
            kind,
            size,
            mode: 0o644,
            uid: 0,
            gid: 0,
            link: None,
            data_offset: 0,
        }
    }
    use EntryKind::*;

    #[test]
    fn directory_whiteout_counts_every_file_under_it() {
        let l0 = vec![
            e("app/", Dir, 0),
            e("app/.git/", Dir, 0),
            e("app/.git/a", File, 10),
            e("app/.git/sub/b", File, 20),
            e("app/keep", File, 5),
        ];
        let l1 = vec![e("app/.wh..git", File, 0)];
        let m = merge(&[l0, l1]);
        assert_eq!(m.layer_wasted, vec![0, 30]);
        assert_eq!(m.wasted_files.len(), 2);
        // Each hidden file names what hid it: the removed directory, not
        // the deepest directory the files share.
        assert!(m.wasted_files.iter().all(|w| w.root == "/app/.git"));
        assert!(m.files.iter().any(|f| f.path == "/app/keep"));
        assert!(!m.files.iter().any(|f| f.path.starts_with("/app/.git")));
    }

    #[test]
    fn opaque_hides_lower_only_and_overwrites_count() {
        let l0 = vec![e("d/", Dir, 0), e("d/x", File, 7), e("f", File, 3)];
        let l1 = vec![
            e("d/", Dir, 0),
            e("d/.wh..wh..opq", File, 0),
            e("d/y", File, 1),
            e("f", File, 4),
        ];
        let m = merge(&[l0, l1]);
        assert_eq!(m.layer_wasted, vec![0, 10]);
        let paths: Vec<&str> = m.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, vec!["/d", "/d/y", "/f"]);
        let roots: Vec<(&str, &str)> = m
            .wasted_files
            .iter()
            .map(|w| (w.how, w.root.as_str()))
            .collect();
        assert!(
            roots.contains(&("opaque", "/d")) && roots.contains(&("overwrite", "/f")),
            "{roots:?}"
        );
    }

    #[test]
    fn file_replacing_directory_hides_subtree() {
        let l0 = vec![e("d/", Dir, 0), e("d/x", File, 7), e("d/y/z", File, 2)];
        let l1 = vec![e("d", Symlink, 0)];
        let m = merge(&[l0, l1]);
        assert_eq!(m.layer_wasted, vec![0, 9]);
        assert_eq!(m.files.len(), 1);
    }

    /// The directory tests as `category` first made them, a substring
    /// search per pattern: the one pass must find the same in every path.
    fn dir_marks_by_search(p: &str) -> DirMarks {
        fn has_dir_component(p: &str, names: &[&str]) -> bool {
            let b = p.as_bytes();
            names.iter().any(|n| {
                let n = n.as_bytes();
                let at_start = b.len() > n.len() && b.starts_with(n) && b[n.len()] == b'/';
                at_start
                    || memchr::memmem::find_iter(b, n)
                        .any(|i| i > 0 && b[i - 1] == b'/' && b.get(i + n.len()) == Some(&b'/'))
            })
        }
        DirMarks {
            git: has_dir_component(p, &[".git"]),
            node_modules: has_dir_component(p, &["node_modules"]),
            tests: has_dir_component(p, &["test", "tests", "__tests__", "fixtures"]),
            cache: ["/.cache/pip/", "/.npm/_cacache/", "/.cache/yarn/"]
                .iter()
                .any(|x| p.contains(x)),
            cargo_registry: p.contains("/.cargo/registry/"),
        }
    }

    #[test]
    fn directory_marks_in_one_pass_match_the_searches() {
        // Every path of up to four components over a vocabulary of the
        // components the one pass looks for, near misses and empty components
        // (`category` takes the rest, its prefix and name tests, unchanged).
        let words = [
            "",
            ".git",
            ".gitx",
            "node_modules",
            "test",
            "tests",
            "__tests__",
            "fixtures",
            "testing",
            ".cache",
            "pip",
            "yarn",
            ".npm",
            "_cacache",
            ".cargo",
            "registry",
            "usr",
            "x.log",
        ];
        let mut paths: Vec<String> = Vec::new();
        let mut level: Vec<String> = vec![String::new()];
        for depth in 0..4 {
            let mut next = Vec::new();
            for p in &level {
                for w in words {
                    let q = if depth == 0 {
                        w.to_string()
                    } else {
                        format!("{p}/{w}")
                    };
                    next.push(q);
                }
            }
            paths.extend(next.iter().cloned());
            level = next;
        }
        assert!(paths.len() > 100_000);
        for p in &paths {
            assert_eq!(dir_marks(p), dir_marks_by_search(p), "{p:?}");
        }
    }

    #[test]
    fn bloat_categories() {
        let files = vec![
            FileEntry {
                path: "/var/cache/apt/pkgcache.bin".into(),
                size: 100,
                mode: 0o644,
                kind: File,
                layer: 1,
            },
            FileEntry {
                path: "/app/node_modules/typescript/lib/tsc.js".into(),
                size: 50,
                mode: 0o644,
                kind: File,
                layer: 2,
            },
            FileEntry {
                path: "/app/node_modules/left-pad/index.js".into(),
                size: 5,
                mode: 0o644,
                kind: File,
                layer: 2,
            },
            FileEntry {
                path: "/usr/share/doc/x/README".into(),
                size: 5,
                mode: 0o644,
                kind: File,
                layer: 0,
            },
            FileEntry {
                path: "/app/empty.log".into(),
                size: 0,
                mode: 0o644,
                kind: File,
                layer: 0,
            },
        ];
        let b = bloat(&files);
        let cats: Vec<(&str, usize)> = b.iter().map(|b| (b.category, b.layer)).collect();
        assert_eq!(
            cats,
            vec![("tests-docs", 0), ("package-cache", 1), ("node_modules", 2)]
        );
        assert_eq!(
            b[2].example_paths[0],
            "/app/node_modules/typescript/ (dev-only package)"
        );
        assert_eq!(b[2].bytes, 55);
    }
}
