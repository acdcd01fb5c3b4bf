//! One image, counted once (issue #15). The same image often arrives twice
//! in a bundle, e.g. as a `docker save` and as an OCI archive made from it:
//! their config digests differ (the converter rewrites the config), but their
//! layers' uncompressed digests (`rootfs.diff_ids`) are the same, so their
//! content is. Such images become one, listing every archive it came from;
//! images that share a tag but not their content stay apart and are named,
//! since a retag or a rebuild is worth knowing about.

use crate::ingest::image::Image;

/// Images of one tag with different content: indices into the deduplicated
/// images, in input order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TagConflict {
    pub tag: String,
    pub images: Vec<usize>,
}

/// What identifies an image's content: its layers' uncompressed digests in
/// order. `None` when a layer has no such digest (a pre-1.10 image's v1 ids,
/// an archive whose config could not be read): never merged then.
fn content_key(img: &Image) -> Option<String> {
    if img.layers.is_empty()
        || img
            .layers
            .iter()
            .any(|l| !l.digest.starts_with("sha256:") || l.digest.len() != 71)
    {
        return None;
    }
    Some(
        img.layers
            .iter()
            .map(|l| l.digest.as_str())
            .collect::<Vec<_>>()
            .join(","),
    )
}

/// Merges images of the same content (the first in input order stays, the
/// others' archives go to its `also_in` and their tags to its `refs`), then
/// finds tags that name more than one content.
pub fn dedupe(images: Vec<Image>) -> (Vec<Image>, Vec<TagConflict>) {
    let mut out: Vec<Image> = Vec::with_capacity(images.len());
    let mut keys: Vec<Option<String>> = Vec::with_capacity(images.len());
    for img in images {
        let key = content_key(&img);
        let same = key
            .as_ref()
            .and_then(|k| keys.iter().position(|o| o.as_ref() == Some(k)));
        match same {
            Some(i) => {
                let first = &mut out[i];
                first.also_in.push(img.source);
                first.also_in.extend(img.also_in);
                for r in img.refs {
                    if !first.refs.contains(&r) {
                        first.refs.push(r);
                    }
                }
            }
            None => {
                keys.push(key);
                out.push(img);
            }
        }
    }
    let mut tags: Vec<&str> = out
        .iter()
        .flat_map(|i| i.refs.iter().map(String::as_str))
        .collect();
    tags.sort_unstable();
    tags.dedup();
    let conflicts = tags
        .into_iter()
        .filter_map(|t| {
            let holders: Vec<usize> = (0..out.len())
                .filter(|&i| out[i].refs.iter().any(|r| r == t))
                .collect();
            (holders.len() > 1).then(|| TagConflict {
                tag: t.to_string(),
                images: holders,
            })
        })
        .collect();
    (out, conflicts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::image::Layer;

    fn img(source: &str, refs: &[&str], digests: &[&str]) -> Image {
        Image {
            source: source.into(),
            refs: refs.iter().map(|s| s.to_string()).collect(),
            layers: digests
                .iter()
                .map(|d| Layer {
                    digest: format!("sha256:{}", d.repeat(64 / d.len())),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn same_layers_are_one_image_with_every_source() {
        let (imgs, conflicts) = dedupe(vec![
            img("save.tar", &["app:1"], &["a", "b"]),
            img("oci.tar", &["app:1"], &["a", "b"]),
            img("other.tar", &["app:1"], &["a", "c"]),
            img("v1.tar", &[], &[]),
            img("v1-again.tar", &[], &[]),
        ]);
        assert_eq!(imgs.len(), 4);
        assert_eq!(imgs[0].also_in, vec!["oci.tar".to_string()]);
        assert_eq!(imgs[0].refs, vec!["app:1".to_string()]);
        // Same tag, different content: named, kept apart.
        assert_eq!(
            conflicts,
            vec![TagConflict {
                tag: "app:1".into(),
                images: vec![0, 1]
            }]
        );
        // No content digest: never merged.
        assert!(imgs[2].also_in.is_empty() && imgs[3].also_in.is_empty());
    }

    #[test]
    fn tags_of_the_copies_are_kept() {
        let (imgs, conflicts) = dedupe(vec![
            img("a.tar", &["x:1"], &["a"]),
            img("b.tar", &["x:latest"], &["a"]),
        ]);
        assert_eq!(imgs.len(), 1);
        assert_eq!(
            imgs[0].refs,
            vec!["x:1".to_string(), "x:latest".to_string()]
        );
        assert!(conflicts.is_empty());
    }
}
