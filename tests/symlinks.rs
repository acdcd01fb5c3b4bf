//! Evidence stays inside the evidence (issue #14, part 5): inside a
//! directory given on the command line, a link whose target resolves
//! outside it is not followed and gets one diagnostic naming the link and
//! its target; a path given on the command line is read as given.

use std::fs;
use std::io::Read;
use std::os::unix::fs::symlink;

use coroner::{run, Config};

mod common;

/// pweb's real `config.v2.json` from the data-root sample.
fn real_config() -> (String, Vec<u8>) {
    let mut gz = Vec::new();
    flate2::read::GzDecoder::new(
        fs::File::open(common::sample(
            "real-data-root/docker-data-root-prodweb01.tar.gz",
        ))
        .unwrap(),
    )
    .read_to_end(&mut gz)
    .unwrap();
    let mut ar = tar::Archive::new(gz.as_slice());
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        let p = e.path().unwrap().to_string_lossy().into_owned();
        if p.starts_with("containers/9d3636eb") && p.ends_with("config.v2.json") {
            let mut b = Vec::new();
            e.read_to_end(&mut b).unwrap();
            let id = p.split('/').nth(1).unwrap().to_string();
            return (id, b);
        }
    }
    panic!("pweb's config.v2.json is in the sample");
}

#[test]
fn links_out_of_the_input_are_not_read_and_each_is_named() {
    let base = tempfile::tempdir().unwrap();
    let evidence = base.path().join("evidence");
    let host = base.path().join("host");
    let (id, config) = real_config();
    fs::create_dir_all(evidence.join("containers").join(&id)).unwrap();
    fs::create_dir_all(evidence.join("host")).unwrap();
    fs::create_dir_all(&host).unwrap();
    fs::write(host.join("config.v2.json"), &config).unwrap();
    fs::write(
        host.join("dmesg.txt"),
        "[ 1.000000] Memory cgroup out of memory: Killed process 4242 (analyst) total-vm:1kB, anon-rss:1kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:0kB oom_score_adj:0\n",
    )
    .unwrap();
    // Absolute and relative links out, and one link that stays inside.
    let link = evidence.join("containers").join(&id).join("config.v2.json");
    symlink(host.join("config.v2.json"), &link).unwrap();
    symlink("../../host/dmesg.txt", evidence.join("host/dmesg.txt")).unwrap();
    fs::write(evidence.join("host/uptime.txt"), "100.00 50.00\n").unwrap();
    symlink("uptime.txt", evidence.join("host/uptime-link.txt")).unwrap();

    let r = run(&Config::new(vec![evidence.clone()]));
    assert!(r.containers.is_empty(), "{:?}", r.containers);
    assert!(r.kernel.oom_kills.is_empty(), "{:?}", r.kernel.oom_kills);
    let outside: Vec<_> = r
        .diagnostics
        .iter()
        .filter(|d| d.message.unescaped().contains("outside the input"))
        .collect();
    assert_eq!(outside.len(), 2, "{:?}", r.diagnostics);
    for (d, target) in outside.iter().zip(["config.v2.json", "dmesg.txt"]) {
        assert!(d.message.unescaped().contains(target), "{d:?}");
    }
    assert!(outside
        .iter()
        .any(|d| d.path.unescaped() == link.to_string_lossy()));
    // Nothing outside is an input; the link inside was followed.
    assert!(r
        .inputs
        .iter()
        .all(|i| !i.path.unescaped().contains("/host/config")));
    assert!(r
        .inputs
        .iter()
        .any(|i| i.path.unescaped().ends_with("uptime-link.txt")));
    // The same link given on the command line is read as given.
    let r = run(&Config::new(vec![link]));
    assert_eq!(r.containers.len(), 1);
    assert_eq!(r.containers[0].name, "pweb");
}
