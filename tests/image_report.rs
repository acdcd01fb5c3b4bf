//! Images and exports in the report (issue #3): `coroner::run` over real
//! archives in `samples/` (provenance in `samples/images/PROVENANCE.md`),
//! plus one synthetic `docker save` built here to carry a build-arg token.
//! Figures were checked by hand with `tar -tvf` on each layer and export.

use coroner::report::schema::{Filesystem, Finding, Image, Report};
use coroner::report::{render, Format};

mod common;
use common::sample;

fn run(paths: &[&str]) -> Report {
    let mut c = coroner::Config::new(paths.iter().map(|p| sample(p)).collect());
    c.threads = 2;
    coroner::run(&c)
}

fn findings<'a>(r: &'a Report, rule: &str) -> Vec<&'a Finding> {
    r.findings.iter().filter(|f| f.rule == rule).collect()
}

fn check_pbloated(name: &str) {
    let r = run(&[name]);
    assert_eq!(r.images.len(), 1, "{name}: {:?}", r.diagnostics);
    let i: &Image = &r.images[0];
    assert_eq!(i.refs, ["pbloated:1.0"], "{name}");
    assert!(
        i.id.unescaped().starts_with("sha256:") && i.id.unescaped().len() == 71,
        "{name}: {}",
        i.id.unescaped()
    );
    assert!(i
        .created
        .as_deref()
        .unwrap_or("")
        .starts_with("2026-11-29T03:19:54"));
    assert_eq!(i.layers, 7, "{name}");
    assert_eq!(i.layer_table.len(), 7);
    assert_eq!(i.size_bytes, 6_568_445, "{name}");
    assert_eq!(i.wasted_bytes, 8_291_456, "{name}");
    let eff = 6_568_445f64 / (6_568_445f64 + 8_291_456f64);
    assert!(
        (i.efficiency - eff).abs() < 1e-6,
        "{name}: {}",
        i.efficiency
    );
    assert!((i.efficiency - 0.442025).abs() < 1e-6);
    assert_eq!(
        (i.largest_files[0].path.unescaped(), i.largest_files[0].size),
        ("/var/cache/apt/pkgcache.bin", 2_097_152)
    );
    assert_eq!(
        (i.largest_files[1].path.unescaped(), i.largest_files[1].size),
        ("/bin/busybox", 1_982_256)
    );
    assert_eq!(i.largest_dirs[0].path, "/app");
    // Layer table: layer 5 `rm` hides the 6 MiB cache, layer 7 `rm -rf` the .git.
    assert_eq!(i.layer_table[4].wasted_bytes, 6_291_456);
    assert_eq!(i.layer_table[4].created_by, "/bin/sh -c rm /app/cache.bin");
    assert_eq!(i.layer_table[6].wasted_bytes, 2_000_000);
    assert_eq!(i.layer_table[3].size_bytes, 6_291_462);
    assert_eq!(i.layer_table[2].files, 341);
    // History: 8 steps, 7 made a layer, the CMD did not.
    assert_eq!(i.history.len(), 8);
    let made: Vec<Option<u64>> = i.history.iter().map(|h| h.layer).collect();
    assert_eq!(
        made,
        [0, 1, 2, 3, 4, 5, 6]
            .map(Some)
            .into_iter()
            .chain([None])
            .collect::<Vec<_>>()
    );
    assert!(i.history[7].empty_layer && i.history[7].created_by.unescaped().contains("CMD"));
    // Top wasted files: who added and who hid them.
    let w = &i.wasted_files[0];
    assert_eq!(
        (
            w.path.unescaped(),
            w.size,
            w.added_in_layer,
            w.hidden_by_layer,
            w.how.as_str()
        ),
        ("/app/cache.bin", 6_291_456, 3, 4, "whiteout")
    );
    assert!(i.wasted_files[1..]
        .iter()
        .all(|w| w.path.unescaped().starts_with("/app/.git/") && w.hidden_by_layer == 6));
    assert_eq!(i.wasted_files.len(), 20, "capped at 20 of 41");

    let wasted = findings(&r, "image-wasted-space");
    assert_eq!(wasted.len(), 1, "{name}");
    let f = wasted[0];
    assert_eq!(
        f.image.as_ref().map(|s| s.unescaped()),
        Some("pbloated:1.0")
    );
    assert!(
        f.title.unescaped().contains("8291456 B"),
        "{}",
        f.title.unescaped()
    );
    assert!(f
        .explanation
        .unescaped()
        .contains("layer 5 `/bin/sh -c rm /app/cache.bin`"));
    assert!(f
        .explanation
        .unescaped()
        .contains("layer 7 `/bin/sh -c rm -rf /app/.git`"));
    let ev: Vec<&str> = f.evidence.iter().map(|e| e.excerpt.unescaped()).collect();
    assert!(
        ev[0].starts_with("/app/cache.bin (6291456 B) added in layer 4"),
        "{ev:?}"
    );
    // Named by the directory removed (`rm -rf /app/.git`), not by the
    // deepest directory its files share.
    assert!(
        ev[1].starts_with("/app/.git/ (40 files, 2000000 B) added in layer 3"),
        "{ev:?}"
    );
    assert!(ev[1].contains("hidden by layer 7 (whiteout: `/bin/sh -c rm -rf /app/.git`)"));
    for fix in [
        "same `RUN`",
        ".dockerignore",
        "multi-stage",
        "--mount=type=cache",
    ] {
        assert!(
            f.suggestion.unescaped().contains(fix),
            "{fix}: {}",
            f.suggestion.unescaped()
        );
    }

    let bloat = findings(&r, "image-bloat");
    let apt = bloat
        .iter()
        .find(|f| f.title.unescaped().contains("package-manager cache"))
        .expect("apt cache");
    assert!(apt
        .explanation
        .unescaped()
        .contains("Layer 6 (`/bin/sh -c mkdir -p /var/cache/apt"));
    assert!(apt.explanation.unescaped().contains("2097152 B"));
    assert_eq!(
        apt.evidence[0].excerpt,
        "/var/cache/apt/pkgcache.bin (layer 6)"
    );
    let nm = bloat
        .iter()
        .find(|f| f.title.unescaped().contains("node_modules"))
        .expect("node_modules");
    assert!(
        nm.explanation.unescaped().contains("Layer 3")
            && nm.explanation.unescaped().contains("2488983 B")
    );
    // `.git` is gone from the final view: wasted, not bloat.
    assert!(!bloat.iter().any(|f| f.title.unescaped().contains(".git")));
    assert_eq!(bloat.len(), 2, "{bloat:?}");
    assert!(findings(&r, "secrets-in-env").is_empty());
}

#[test]
fn pbloated_report_oci_gzip() {
    check_pbloated("images/pbloated_1.0.oci-gzip.tar");
}

#[test]
fn pbloated_report_legacy_docker_save() {
    check_pbloated("images/pbloated_1.0.tar.gz");
}

#[test]
fn pbloated_report_oci_zstd() {
    check_pbloated("images/pbloated_1.0.oci-zstd.tar");
}

#[test]
fn two_clean_images_waste_nothing() {
    let r = run(&["images/pweb-and-api.tar.gz"]);
    assert_eq!(r.images.len(), 2);
    assert!(r
        .images
        .iter()
        .all(|i| i.wasted_bytes == 0 && i.efficiency == 1.0));
    assert!(findings(&r, "image-wasted-space").is_empty());
    assert!(findings(&r, "image-bloat").is_empty());
}

fn fs<'a>(r: &'a Report, name: &str) -> &'a Filesystem {
    r.filesystems
        .iter()
        .find(|f| f.source.unescaped().ends_with(name))
        .expect("export in report")
}

#[test]
fn export_matched_to_container_and_image_with_drift() {
    let r = run(&[
        "images/pweb.tar.gz",
        "images/pweb-and-api.tar.gz",
        "bundle/containers/pweb/inspect.json",
        "images/pbatch.tar.zst",
    ]);
    let web = fs(&r, "pweb.tar.gz");
    assert_eq!(web.files, 9);
    assert_eq!(web.size_bytes, 1_982_292);
    assert_eq!(web.container.as_ref().map(|s| s.unescaped()), Some("pweb"));
    assert_eq!(web.image.as_ref().map(|s| s.unescaped()), Some("pweb:2.3"));
    assert_eq!(web.matched_by.as_deref(), Some("container-name"));
    // By hand (`tar -tvf`): the export is the image's two layers plus the
    // init layer (.dockerenv, dev/, etc/hostname|hosts|resolv.conf|mtab,
    // proc/, sys/), which drift ignores: pweb wrote nothing else.
    let d = web.drift.as_ref().expect("drift");
    assert_eq!(
        (d.added_count, d.changed_count, d.deleted_count),
        (0, 0, 0),
        "{d:?}"
    );

    // pbatch's container is not an input: linked to the closest image. It
    // ran from busybox, so against papi:1.4 (or pweb:2.3) /www is deleted.
    let batch = fs(&r, "pbatch.tar.zst");
    assert_eq!(batch.files, 7);
    assert_eq!(batch.largest_files[0].path, "/bin/busybox");
    assert_eq!(batch.matched_by.as_deref(), Some("closest-image"));
    assert_eq!(batch.container, None);
    // papi:1.4 (busybox + /www/health) is closer than pweb:2.3 (+ index.html).
    assert_eq!(
        batch.image.as_ref().map(|s| s.unescaped()),
        Some("papi:1.4")
    );
    let d = batch.drift.as_ref().expect("drift");
    let del: Vec<(&str, u64)> = d
        .deleted
        .iter()
        .map(|p| (p.path.unescaped(), p.size))
        .collect();
    assert_eq!(del, [("/www", 0), ("/www/health", 3)]);
    assert_eq!((d.added_count, d.changed_count, d.deleted_count), (0, 0, 2));
    assert_eq!(d.deleted_bytes, 3);

    // One line per fact: no wrapping at the terminal width (#13).
    let wide = coroner::report::RenderOptions {
        width: 10_000,
        ..Default::default()
    };
    let text = coroner::report::render_opts(&r, Format::Text, &wide);
    assert!(text.contains(
        "matched container pweb, image pweb:2.3 by container-name; drift: 0 added (0 B), 0 changed (0 B), 0 deleted (0 B)"
    ));
    let md = render(&r, Format::Markdown);
    assert!(md.contains("## Filesystem exports"));
    assert!(md.contains("by closest-image"));
}

#[test]
fn export_of_container_whose_image_is_missing_says_so() {
    let r = run(&[
        "images/pbatch.tar.zst",
        "images/pweb-and-api.tar.gz",
        "bundle/containers/pbatch/inspect.json",
    ]);
    let batch = fs(&r, "pbatch.tar.zst");
    assert_eq!(
        batch.container.as_ref().map(|s| s.unescaped()),
        Some("pbatch")
    );
    assert_eq!(batch.matched_by.as_deref(), Some("container-name"));
    assert_eq!(
        batch.image.as_ref().map(|s| s.unescaped()),
        Some("bb:latest")
    );
    assert!(batch.drift.is_none());
    let wide = coroner::report::RenderOptions {
        width: 10_000,
        ..Default::default()
    };
    assert!(coroner::report::render_opts(&r, Format::Text, &wide)
        .contains("the image is not among the inputs"));
}

// ------------------------------------------------------- secrets in an image

const TOKEN: &str = "npm_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789";
const DB_PASSWORD: &str = "s3cr3t-Hunter2-pw";

fn tar_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in entries {
        common::tar_file(&mut b, name, data);
    }
    b.into_inner().unwrap()
}

/// A minimal legacy `docker save`: manifest.json, a config, one layer.tar.
fn image_with_secrets() -> Vec<u8> {
    let layer = tar_of(&[("app/index.js", b"console.log(1)\n")]);
    let config = serde_json::json!({
        "architecture": "amd64",
        "os": "linux",
        "created": "2026-11-29T03:00:00Z",
        "config": {
            "Env": ["PATH=/usr/bin:/bin", format!("DB_PASSWORD={DB_PASSWORD}")],
            "Cmd": ["node", "index.js"]
        },
        "history": [
            {"created": "2026-11-29T03:00:00Z", "created_by": format!("/bin/sh -c #(nop)  ARG NPM_TOKEN={TOKEN}"), "empty_layer": true},
            {"created": "2026-11-29T03:00:01Z", "created_by": format!("|1 NPM_TOKEN={TOKEN} /bin/sh -c npm ci")}
        ],
        "rootfs": {"type": "layers", "diff_ids": ["sha256:1111111111111111111111111111111111111111111111111111111111111111"]}
    });
    let config = serde_json::to_vec(&config).unwrap();
    let cfg_name = format!("{}.json", "a".repeat(64));
    let manifest = serde_json::to_vec(&serde_json::json!([
        {"Config": cfg_name, "RepoTags": ["leaky:1"], "Layers": [format!("{}/layer.tar", "b".repeat(64))]}
    ]))
    .unwrap();
    let layer_name = format!("{}/layer.tar", "b".repeat(64));
    tar_of(&[
        ("manifest.json", &manifest),
        (&cfg_name, &config),
        (&layer_name, &layer),
    ])
}

#[test]
fn build_arg_token_and_env_secret_in_an_image_are_found_and_redacted() {
    let dir = std::env::temp_dir().join(format!("coroner-image-report-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("leaky.tar");
    std::fs::write(&path, image_with_secrets()).unwrap();
    let mut c = coroner::Config::new(vec![path.clone()]);
    c.threads = 1;
    let r = coroner::run(&c);
    std::fs::remove_dir_all(&dir).ok();

    assert_eq!(r.images.len(), 1, "{:?}", r.diagnostics);
    assert_eq!(r.images[0].refs, ["leaky:1"]);
    let s = findings(&r, "secrets-in-env");
    assert_eq!(s.len(), 1, "{:?}", r.findings);
    let f = s[0];
    assert_eq!(f.image.as_ref().map(|s| s.unescaped()), Some("leaky:1"));
    assert_eq!(f.container, None);
    assert!(
        f.title.unescaped().contains("DB_PASSWORD"),
        "{}",
        f.title.unescaped()
    );
    assert!(
        f.title.unescaped().contains("2 build step(s)"),
        "{}",
        f.title.unescaped()
    );
    assert!(f.evidence.iter().any(|e| e
        .excerpt
        .unescaped()
        .starts_with("config Env DB_PASSWORD=[REDACTED")));
    assert!(f.evidence.iter().any(|e| e
        .excerpt
        .unescaped()
        .starts_with("history[1] (layer 1) created_by: |1 NPM_TOKEN=[REDACTED")));
    assert!(r.images[0].history[0]
        .created_by
        .unescaped()
        .contains("NPM_TOKEN=[REDACTED"));
    for fmt in [Format::Text, Format::Markdown, Format::Json] {
        let out = render(&r, fmt);
        assert!(!out.contains(TOKEN), "{fmt:?} leaks the token");
        assert!(
            !out.contains("AbCdEfGhIj"),
            "{fmt:?} leaks part of the token"
        );
        assert!(!out.contains(DB_PASSWORD), "{fmt:?} leaks the password");
    }
}
