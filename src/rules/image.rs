//! Image rules: wasted space (files hidden by later layers) and bloat that
//! the seed's table says should not ship, each with the layer that did it
//! and the fix.

use super::RuleOptions;
use super::{Finding, RuleId, Severity};
use crate::correlate::Analysis;
use crate::format::{clip, human_bytes};
use crate::ingest::image::WastedFile;
use crate::model::Evidence;

fn fix_for(category: &str) -> &'static str {
    match category {
        "package-cache" => "Clean the package manager's cache in the same `RUN` that installs (`rm -rf /var/lib/apt/lists/* /var/cache/apt/*`, `apk add --no-cache`, `pip install --no-cache-dir`, `npm cache clean --force`), or use `RUN --mount=type=cache,target=...`.",
        "git" => "Add `.git/` to `.dockerignore`; a later `rm -rf .git` does not shrink the image.",
        "node_modules" => "Install production dependencies only in the final stage (`npm ci --omit=dev`) with a multi-stage build, and add local `node_modules` to `.dockerignore`.",
        "build-tools" => "Use a multi-stage build: compile in a builder stage and copy only the artefacts into a slim runtime image.",
        "tests-docs" => "Exclude tests, fixtures and docs with `.dockerignore` or a multi-stage build.",
        "build-logs" => "Do not ship build logs: delete them in the same `RUN` or exclude them with `.dockerignore`.",
        _ => "Remove it in the same layer that creates it, or use a multi-stage build.",
    }
}

fn describe(category: &str) -> &'static str {
    match category {
        "package-cache" => "package-manager cache",
        "git" => "`.git` directory",
        "node_modules" => "`node_modules` (dependencies, possibly dev-only)",
        "build-tools" => "compilers and build tools in a runtime image",
        "tests-docs" => "test fixtures and documentation",
        "build-logs" => "build logs",
        _ => "unneeded content",
    }
}

/// The deepest directory containing every path (`/app/.git`), `` for `/`.
fn common_dir<'a>(mut paths: impl Iterator<Item = &'a str>) -> String {
    let Some(first) = paths.next() else {
        return String::new();
    };
    let mut prefix: Vec<&str> = first.split('/').collect();
    prefix.pop();
    for p in paths {
        let parts: Vec<&str> = p.split('/').collect();
        let n = prefix
            .iter()
            .zip(&parts[..parts.len().saturating_sub(1)])
            .take_while(|(a, b)| a == b)
            .count();
        prefix.truncate(n);
    }
    prefix.join("/")
}

/// `image-tag-conflict`: one tag, two contents (a retag or a rebuild). The
/// reader of the report would otherwise take them for one image.
fn tag_conflicts(a: &Analysis, out: &mut Vec<Finding>) {
    for c in &a.image_tag_conflicts {
        let imgs: Vec<_> = c.images.iter().filter_map(|&i| a.images.get(i)).collect();
        let evidence = imgs
            .iter()
            .map(|img| {
                let digests: Vec<&str> = img
                    .layers
                    .iter()
                    .map(|l| l.digest.get(7..19).unwrap_or(&l.digest))
                    .collect();
                Evidence::new(
                    img.source.clone(),
                    None,
                    format!(
                        "{} is {} ({} layers: {})",
                        c.tag,
                        if img.id.is_empty() {
                            "an image without a config digest"
                        } else {
                            &img.id
                        },
                        img.layers.len(),
                        digests.join(", ")
                    ),
                )
            })
            .collect();
        out.push(Finding {
            rule: RuleId::ImageTagConflict,
            severity: Severity::Warning,
            container: None,
            image: Some(c.tag.clone()),
            title: format!(
                "{}: same tag, different content in {} archives",
                c.tag,
                imgs.len()
            ),
            explanation: format!(
                "The inputs hold {} images tagged `{}` whose layers differ: the tag was moved to a rebuilt or different image between the collections. A container started from `{}` ran whichever was current at its start; its inspect output's image id says which.",
                imgs.len(),
                c.tag,
                c.tag
            ),
            suggestion: "Pin images by digest (`image@sha256:…`) in deployments, and give each build its own tag, so a post-mortem knows which build ran.".into(),
            evidence,
            confidence: super::Confidence::Likely,
            caused_by: None,
        });
    }
}

pub fn rules(a: &Analysis, opts: &RuleOptions, out: &mut Vec<Finding>) {
    tag_conflicts(a, out);
    for img in &a.images {
        let name = img.refs.first().cloned().unwrap_or_else(|| img.id.clone());
        super::secrets::image(img, &name, out);
        let created_by = |layer: usize| -> String {
            img.layers
                .get(layer)
                .map(|l| l.created_by.clone())
                .unwrap_or_default()
        };
        if img.wasted_bytes > opts.wasted_bytes_threshold {
            let mut by_layer: Vec<(usize, u64)> = Vec::new();
            for w in &img.wasted_files {
                match by_layer.iter_mut().find(|(l, _)| *l == w.hidden_by) {
                    Some(e) => e.1 += w.size,
                    None => by_layer.push((w.hidden_by, w.size)),
                }
            }
            // One line per (adding layer, hiding layer, how, and for a
            // removal the path removed): a directory removed with `rm -rf`
            // is one line naming it; files written over are grouped under
            // their common directory.
            // Groups in the order first met, found by key (a linear search
            // was quadratic in the number of removed directories).
            type Key<'w> = (usize, usize, &'w str, Option<&'w str>);
            let mut groups: Vec<(Key, Vec<&WastedFile>)> = Vec::new();
            let mut group_of: std::collections::HashMap<Key, usize> = Default::default();
            for w in &img.wasted_files {
                let root = (w.how != "overwrite").then_some(w.root.as_str());
                let key = (w.added_in, w.hidden_by, w.how, root);
                match group_of.get(&key) {
                    Some(&i) => groups[i].1.push(w),
                    None => {
                        group_of.insert(key, groups.len());
                        groups.push((key, vec![w]));
                    }
                }
            }
            let bytes = |v: &[&WastedFile]| v.iter().map(|w| w.size).sum::<u64>();
            // Stable: equal keys keep the order first met.
            groups.sort_by_cached_key(|((added, hidden, _, root), files)| {
                (std::cmp::Reverse(bytes(files)), *added, *hidden, *root)
            });
            let evidence: Vec<Evidence> = groups
                .iter()
                .take(8)
                .map(|((added, hidden, how, root), files)| {
                    let what = if files.len() == 1 {
                        format!("{} ({} B)", files[0].path, files[0].size)
                    } else {
                        let dir = match root {
                            Some(r) => r.trim_end_matches('/').to_string(),
                            None => common_dir(files.iter().map(|w| w.path.as_str())),
                        };
                        format!("{dir}/ ({} files, {} B)", files.len(), bytes(files))
                    };
                    Evidence::new(
                        img.source.clone(),
                        None,
                        format!(
                            "{what} added in layer {} (`{}`) and hidden by layer {} ({how}: `{}`)",
                            added + 1,
                            clip(&created_by(*added), 100),
                            hidden + 1,
                            created_by(*hidden)
                        ),
                    )
                })
                .collect();
            let layers = by_layer
                .iter()
                .map(|(l, b)| {
                    format!(
                        "layer {} `{}` hides {}",
                        l + 1,
                        created_by(*l),
                        human_bytes(*b)
                    )
                })
                .collect::<Vec<_>>()
                .join("; ");
            out.push(Finding {
                rule: RuleId::ImageWastedSpace,
                severity: Severity::Warning,
                container: None,
                image: Some(name.clone()),
                title: format!("{name} wastes {} ({} B) on files later layers delete or overwrite", human_bytes(img.wasted_bytes), img.wasted_bytes),
                explanation: format!(
                    "Deleting or overwriting a file in a later layer hides it but does not remove it: every pull still downloads it. Efficiency {:.1}% ({} in the final view, {} wasted). {layers}.",
                    img.efficiency * 100.0,
                    human_bytes(img.size_bytes),
                    human_bytes(img.wasted_bytes)
                ),
                suggestion: "Create and delete temporary files in the same `RUN` instruction (or keep caches out of the image with `RUN --mount=type=cache,target=...`), keep `.git` and build inputs out with `.dockerignore`, and use a multi-stage build so only the final artefacts are copied.".into(),
                evidence: evidence.iter().map(super::ev).collect(),
                confidence: super::Confidence::Likely,
                caused_by: None,
            });
        }
        for b in &img.bloat {
            let severity = if b.bytes >= 1 << 20 {
                Severity::Warning
            } else {
                Severity::Info
            };
            out.push(Finding {
                rule: RuleId::ImageBloat,
                severity,
                container: None,
                image: Some(name.clone()),
                title: format!("{name} ships {} ({})", describe(b.category), human_bytes(b.bytes)),
                explanation: format!(
                    "Layer {} (`{}`) adds {} file(s), {} B, of {}, which the running container does not need.",
                    b.layer + 1,
                    created_by(b.layer),
                    b.files,
                    b.bytes,
                    describe(b.category)
                ),
                suggestion: fix_for(b.category).into(),
                evidence: b
                    .example_paths
                    .iter()
                    .map(|p| super::ev(&Evidence::new(img.source.clone(), None, format!("{p} (layer {})", b.layer + 1))))
                    .collect(),
                    confidence: super::Confidence::Likely,
                    caused_by: None,
            });
        }
    }
}
