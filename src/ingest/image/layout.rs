//! The image-layout predicates, in one place: which member names belong to
//! a `docker save` or OCI layout, which name only such layouts use, which
//! early entry suggests an image archive, and whether a whole index is one.
//! Every caller (in-memory classification, the streaming classifier, image
//! analysis) asks here, so they cannot disagree.

use crate::archive::tar_index::{normalize, TarIndex};

/// A 64-hex-digit name (a layer or config digest without its algorithm).
fn hex64(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A legacy (`docker save` before Docker 25) layer directory's member:
/// `<hex>/layer.tar` or `<hex>/json`.
fn legacy_layer_member(dir: &str, base: &str) -> bool {
    hex64(dir) && (base == "layer.tar" || base == "json")
}

/// Members that belong in an image archive; anything else means the archive
/// is something else that happens to hold a `manifest.json`.
pub fn image_shaped(name: &str) -> bool {
    let n = normalize(name);
    if n.is_empty() {
        return true;
    }
    let (dir, base) = match n.rfind('/') {
        Some(i) => (&n[..i], &n[i + 1..]),
        None => ("", n),
    };
    if dir.is_empty() {
        return matches!(
            base,
            "manifest.json" | "repositories" | "index.json" | "oci-layout" | "blobs"
        ) || base.ends_with(".json")
            || base.ends_with(".tar")
            || base.ends_with(".tar.gz")
            || base.starts_with("sha256:")
            || hex64(base);
    }
    if n.starts_with("blobs/") {
        return true;
    }
    !dir.contains('/') && matches!(base, "layer.tar" | "json" | "VERSION")
}

/// Member names only image layouts use (a stricter test than
/// [`image_shaped`], which also admits any top-level `.json` or `.tar`): a
/// 64-hex layer directory, `blobs/`, the layouts' index files, and
/// digest-named top-level configs and layers.
pub fn image_member_name(name: &str) -> bool {
    let n = normalize(name);
    match n.split_once('/') {
        Some((first, _)) => hex64(first) || first == "blobs",
        None => {
            let stem = [".json", ".tar.gz", ".tar"]
                .iter()
                .find_map(|x| n.strip_suffix(x))
                .unwrap_or(n);
            matches!(
                n,
                "manifest.json" | "repositories" | "index.json" | "oci-layout"
            ) || hex64(stem)
                || stem.starts_with("sha256:")
        }
    }
}

/// True when the archive's entries make up a `docker save` or OCI image layout.
pub fn is_image_archive(index: &TarIndex) -> bool {
    // One pass, no set of names: this runs on every archive, and a
    // container export has tens of thousands of entries.
    let (mut oci_layout, mut index_json, mut legacy, mut shaped) = (false, false, false, true);
    for e in &index.entries {
        let n = normalize(&e.path);
        match n {
            "oci-layout" => oci_layout = true,
            "index.json" => index_json = true,
            // Any one docker-save member is enough when every member is
            // image-shaped: a save cut short may have lost manifest.json.
            "manifest.json" | "repositories" => legacy = true,
            _ if !legacy && shaped => {
                let (dir, base) = n.rsplit_once('/').unwrap_or(("", n));
                legacy = legacy_layer_member(dir, base)
                    || (dir.is_empty() && base.strip_suffix(".json").is_some_and(hex64));
            }
            _ => {}
        }
        shaped = shaped && image_shaped(&e.path);
        if !shaped && oci_layout && index_json {
            break;
        }
    }
    (oci_layout && index_json) || (legacy && shaped)
}

/// True when one entry, seen early in a streamed archive whose entries so
/// far are all [`image_shaped`], makes an image archive likely: an index
/// file of a layout or a legacy layer directory's member. Only a hint; the
/// full index decides ([`is_image_archive`]).
pub fn suggests_image(name: &str) -> bool {
    let n = normalize(name);
    let (dir, base) = n.rsplit_once('/').unwrap_or(("", n));
    matches!(
        n,
        "oci-layout" | "index.json" | "manifest.json" | "repositories"
    ) || legacy_layer_member(dir, base)
}

/// The `blobs/<alg>/<hex>` member an OCI digest names, if it is usable.
pub(super) fn blob_member(digest: &str) -> Option<String> {
    let (alg, hex) = digest.split_once(':')?;
    if alg.is_empty()
        || hex.is_empty()
        || alg.contains('/')
        || hex.contains('/')
        || hex.contains("..")
    {
        return None;
    }
    Some(format!("blobs/{alg}/{hex}"))
}

/// `sha256:…` from a config or layer member name, when the name carries one.
pub(super) fn digest_from_name(name: &str) -> String {
    let n = normalize(name);
    if let Some(rest) = n.strip_prefix("blobs/") {
        if let Some((alg, hex)) = rest.split_once('/') {
            return format!("{alg}:{hex}");
        }
    }
    if n.starts_with("sha256:") {
        return n.to_string();
    }
    let stem = n
        .strip_suffix(".json")
        .or_else(|| n.strip_suffix(".tar.gz"))
        .or_else(|| n.strip_suffix(".tar"))
        .unwrap_or(n);
    if hex64(stem) {
        return format!("sha256:{stem}");
    }
    String::new()
}
