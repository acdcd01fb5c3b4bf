//! What Docker's own commands print about the host, read into typed facts:
//! `docker info` and `docker version` (text and `--format '{{json .}}'`),
//! and the tables of `docker ps [-a] [--no-trunc]`, `docker stats
//! --no-stream` and `docker images`.
//!
//! Tables are cut at the header's column starts: docker/cli writes them
//! through Go's `tabwriter`, which pads every cell to its column's width in
//! runes, so a column starts at the same character offset on every line
//! (cells hold single spaces, `18 minutes ago`, so splitting on runs of
//! spaces would not do).

use serde_json::Value;

/// Facts from `docker info` or `docker version`. `None` where the source
/// does not say.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DockerHost {
    /// "docker info" or "docker version".
    pub command: &'static str,
    pub server_version: Option<String>,
    pub kernel_version: Option<String>,
    /// As the source spells it: `x86_64` (info) or `amd64` (version's `OS/Arch`).
    pub architecture: Option<String>,
    pub os_type: Option<String>,
    pub operating_system: Option<String>,
    pub cgroup_driver: Option<String>,
    pub cgroup_version: Option<String>,
    pub logging_driver: Option<String>,
    pub storage_driver: Option<String>,
    pub docker_root_dir: Option<String>,
    pub cpus: Option<u64>,
    pub total_memory: Option<u64>,
    /// The file it was read from (set by the dispatcher), for evidence.
    pub source: String,
}

/// One row of `docker ps`, with its 1-based line in the file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PsRow {
    pub line: u64,
    pub id: String,
    pub image: String,
    pub command: String,
    pub created: String,
    pub status: String,
    pub ports: String,
    pub names: String,
    /// `Exited (137) …` gives 137.
    pub exit_code: Option<i64>,
    /// `--size`: `0B (virtual 1.2MB)` as printed.
    pub size: String,
    /// The file it was read from (set by the dispatcher), for evidence.
    pub source: String,
}

/// One row of `docker stats --no-stream`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StatsRow {
    pub line: u64,
    pub id: String,
    pub name: String,
    pub cpu_percent: Option<f64>,
    pub mem_usage: Option<u64>,
    pub mem_limit: Option<u64>,
    pub mem_percent: Option<f64>,
    pub pids: Option<u64>,
    /// The row as printed, and the file it was read from (set by the
    /// dispatcher), for evidence.
    pub text: String,
    pub source: String,
}

/// One row of `docker images`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ImageRow {
    pub line: u64,
    pub repository: String,
    pub tag: String,
    pub id: String,
    pub created: String,
    pub size: Option<u64>,
    /// `--digests`: `sha256:…`, or empty (`<none>` kept as printed).
    pub digest: String,
    /// The file it was read from (set by the dispatcher), for evidence.
    pub source: String,
}

/// Which of the commands a text is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextKind {
    Info,
    Version,
    Ps,
    Stats,
    Images,
    /// `docker image ls` in Docker 29's tree view.
    ImageTree,
    NetworkLs,
    VolumeLs,
    /// `docker compose ps`.
    ComposePs,
    /// `podman version`.
    PodmanVersion,
}

fn first_line(text: &str) -> &str {
    text.lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim_end()
}

/// Recognises one of the commands from the first bytes of its output.
pub fn identify(head: &str) -> Option<TextKind> {
    let head = head.strip_prefix('\u{feff}').unwrap_or(head);
    let first = first_line(head);
    let cols: Vec<&str> = header_columns(first).into_iter().map(|(_, n)| n).collect();
    let has = |c: &str| cols.contains(&c);
    if first.starts_with("CONTAINER ID") && has("IMAGE") && has("STATUS") && has("NAMES") {
        return Some(TextKind::Ps);
    }
    if (first.starts_with("CONTAINER ID") || first.starts_with("CONTAINER"))
        && has("MEM USAGE / LIMIT")
    {
        return Some(TextKind::Stats);
    }
    if first.starts_with("REPOSITORY") && has("TAG") && has("IMAGE ID") {
        return Some(TextKind::Images);
    }
    if first.starts_with("NETWORK ID") && has("NAME") && has("DRIVER") {
        return Some(TextKind::NetworkLs);
    }
    if first.starts_with("DRIVER") && has("VOLUME NAME")
        || super::tables::is_cluster_volume_header(first)
    {
        return Some(TextKind::VolumeLs);
    }
    if super::tables::is_image_tree_header(first) {
        return Some(TextKind::ImageTree);
    }
    if super::tables::is_compose_ps_header(first) {
        return Some(TextKind::ComposePs);
    }
    let keys: Vec<&str> = head
        .lines()
        .take(80)
        .filter_map(|l| l.trim().split_once(':').map(|(k, _)| k))
        .collect();
    let key = |k: &str| keys.contains(&k);
    if key("Server Version")
        && (key("Storage Driver") || key("Logging Driver") || key("Containers"))
    {
        return Some(TextKind::Info);
    }
    if first.starts_with("Client") && key("API version") && (key("Version") || key("Server")) {
        return Some(TextKind::Version);
    }
    // podman's: `Client:       Podman Engine` (4.x) or `Version:      1.6.4` first.
    if (first.starts_with("Client:") && first.contains("Podman") || first.starts_with("Version:"))
        && key("OS/Arch")
        && key("Go Version")
    {
        return Some(TextKind::PodmanVersion);
    }
    None
}

/// `key: value` lines, trimmed, first occurrence kept; with the section
/// (`Client:`, `Server:`, ` Engine:`) each sits under.
fn pairs(text: &str) -> Vec<(String, &str, &str)> {
    let mut out = Vec::new();
    let mut section = String::new();
    for line in text.lines() {
        let indent = line.len() - line.trim_start().len();
        let t = line.trim();
        let Some((k, v)) = t.split_once(':') else {
            continue;
        };
        let v = v.trim();
        // `Server: Docker Engine - Community` names the platform: still a section.
        if indent == 0 && (v.is_empty() || k == "Server" || k == "Client") {
            section = k.to_string();
        } else if v.is_empty() && indent > 0 && section.starts_with("Server") {
            // ` Engine:`, ` containerd:` under `Server:`.
            section = format!("Server/{k}");
        }
        if !v.is_empty() {
            out.push((section.clone(), k, v));
        }
    }
    out
}

/// `docker info` as text.
pub fn parse_info(text: &str) -> DockerHost {
    let p = pairs(text);
    let get = |k: &str| {
        p.iter()
            .find(|(s, key, _)| *key == k && !s.starts_with("Client"))
            .map(|(_, _, v)| v.to_string())
    };
    DockerHost {
        command: "docker info",
        server_version: get("Server Version"),
        kernel_version: get("Kernel Version"),
        architecture: get("Architecture"),
        os_type: get("OSType"),
        operating_system: get("Operating System"),
        cgroup_driver: get("Cgroup Driver"),
        cgroup_version: get("Cgroup Version"),
        logging_driver: get("Logging Driver"),
        storage_driver: get("Storage Driver"),
        docker_root_dir: get("Docker Root Dir"),
        cpus: get("CPUs").and_then(|v| v.parse().ok()),
        total_memory: get("Total Memory").and_then(|v| parse_size(&v)),
        source: String::new(),
    }
}

/// `docker version` as text: the server's `Version`, `OS/Arch` and, from
/// old clients, `Kernel Version`.
pub fn parse_version(text: &str) -> DockerHost {
    let p = pairs(text);
    let server = |k: &str| {
        p.iter()
            .find(|(s, key, _)| *key == k && (s == "Server" || s == "Server/Engine"))
            .or_else(|| {
                p.iter()
                    .find(|(s, key, _)| *key == k && s.starts_with("Server") && !s.contains('/'))
            })
            .map(|(_, _, v)| v.to_string())
    };
    let os_arch = server("OS/Arch");
    let (os, arch) = match os_arch.as_deref().and_then(|v| v.split_once('/')) {
        Some((o, a)) => (Some(o.to_string()), Some(a.to_string())),
        None => (None, None),
    };
    DockerHost {
        command: "docker version",
        server_version: server("Version"),
        kernel_version: server("Kernel Version"),
        architecture: arch,
        os_type: os,
        ..Default::default()
    }
}

/// `podman version` as text: `Version` and `OS/Arch`, the server's when a
/// remote client prints both (`Server:       Podman Engine`).
pub fn parse_podman_version(text: &str) -> DockerHost {
    let mut client = (None, None);
    let mut server = (None, None);
    let mut in_server = false;
    for line in text.lines() {
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        let (k, v) = (k.trim(), v.trim());
        match k {
            "Server" => in_server = true,
            "Client" => in_server = false,
            "Version" | "OS/Arch" => {
                let slot = if in_server { &mut server } else { &mut client };
                let cell = if k == "Version" {
                    &mut slot.0
                } else {
                    &mut slot.1
                };
                if cell.is_none() && !v.is_empty() {
                    *cell = Some(v.to_string());
                }
            }
            _ => {}
        }
    }
    let (version, os_arch) = (server.0.or(client.0), server.1.or(client.1));
    let (os, arch) = match os_arch.as_deref().and_then(|v| v.split_once('/')) {
        Some((o, a)) => (Some(o.to_string()), Some(a.to_string())),
        None => (None, None),
    };
    DockerHost {
        command: "podman version",
        server_version: version,
        architecture: arch,
        os_type: os,
        ..Default::default()
    }
}

/// `podman info --format json` (what sos and most scripts save as
/// `podman_info.json`): `host.arch`, `host.kernel`, `version.Version`.
fn podman_info_json(v: &Value) -> Option<DockerHost> {
    let host = v.get("host")?.as_object()?;
    v.get("store")?;
    let s = |o: &serde_json::Map<String, Value>, k: &str| {
        o.get(k)
            .and_then(Value::as_str)
            .filter(|x| !x.is_empty())
            .map(str::to_string)
    };
    let version = v.get("version").and_then(Value::as_object);
    Some(DockerHost {
        command: "podman info",
        server_version: version.and_then(|o| s(o, "Version")),
        kernel_version: s(host, "kernel"),
        architecture: s(host, "arch"),
        os_type: s(host, "os"),
        operating_system: host
            .get("distribution")
            .and_then(Value::as_object)
            .and_then(|d| s(d, "distribution")),
        cgroup_driver: s(host, "cgroupManager"),
        cgroup_version: s(host, "cgroupVersion"),
        cpus: host.get("cpus").and_then(Value::as_u64),
        total_memory: host.get("memTotal").and_then(Value::as_u64),
        ..Default::default()
    })
}

/// `docker info` or `docker version` as JSON.
pub fn from_json(v: &Value) -> Option<DockerHost> {
    let s = |p: &str| {
        v.pointer(p).and_then(|x| match x {
            Value::String(s) if !s.is_empty() => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
    };
    let u = |p: &str| v.pointer(p).and_then(Value::as_u64);
    if v.get("ServerVersion").is_some() && v.get("Driver").is_some() {
        return Some(DockerHost {
            command: "docker info",
            server_version: s("/ServerVersion"),
            kernel_version: s("/KernelVersion"),
            architecture: s("/Architecture"),
            os_type: s("/OSType"),
            operating_system: s("/OperatingSystem"),
            cgroup_driver: s("/CgroupDriver"),
            cgroup_version: s("/CgroupVersion"),
            logging_driver: s("/LoggingDriver"),
            storage_driver: s("/Driver"),
            docker_root_dir: s("/DockerRootDir"),
            cpus: u("/NCPU"),
            total_memory: u("/MemTotal"),
            source: String::new(),
        });
    }
    if let Some(p) = podman_info_json(v) {
        return Some(p);
    }
    if v.get("Client").is_some() && v.get("Server").is_some() {
        return Some(DockerHost {
            command: "docker version",
            server_version: s("/Server/Version"),
            kernel_version: s("/Server/KernelVersion"),
            architecture: s("/Server/Arch"),
            os_type: s("/Server/Os"),
            ..Default::default()
        });
    }
    None
}

/// Column starts (in characters) and names of a table header: names hold
/// single spaces, columns are two or more apart.
fn header_columns(header: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let chars: Vec<(usize, char)> = header.char_indices().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].1 == ' ' {
            i += 1;
            continue;
        }
        let start = i;
        let mut end = i;
        while end < chars.len() {
            if chars[end].1 == ' ' && (end + 1 >= chars.len() || chars[end + 1].1 == ' ') {
                break;
            }
            end += 1;
        }
        let (b0, b1) = (chars[start].0, chars.get(end).map_or(header.len(), |c| c.0));
        out.push((start, &header[b0..b1]));
        i = end;
    }
    out
}

/// The column names of a table header.
pub(super) fn column_names(header: &str) -> Vec<&str> {
    header_columns(header.trim_end())
        .into_iter()
        .map(|(_, n)| n)
        .collect()
}

/// Rows of a table as cells under the header's names, with line numbers.
pub(super) fn table(text: &str) -> Vec<(u64, Vec<(String, String)>)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let Some((_, header)) = lines.next() else {
        return Vec::new();
    };
    let cols = header_columns(header.trim_end());
    let mut out = Vec::new();
    for (n, line) in lines {
        let chars: Vec<char> = line.trim_end_matches('\r').chars().collect();
        let cell = |i: usize| {
            let from = cols[i].0.min(chars.len());
            let to = cols
                .get(i + 1)
                .map_or(chars.len(), |c| c.0.min(chars.len()));
            chars[from..to.max(from)]
                .iter()
                .collect::<String>()
                .trim()
                .to_string()
        };
        let row = (0..cols.len())
            .map(|i| (cols[i].1.to_string(), cell(i)))
            .collect();
        out.push((n as u64 + 1, row));
    }
    out
}

pub(super) fn col<'r>(row: &'r [(String, String)], name: &str) -> &'r str {
    row.iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

pub fn parse_ps(text: &str) -> Vec<PsRow> {
    table(text)
        .into_iter()
        .map(|(line, r)| {
            let status = col(&r, "STATUS").to_string();
            PsRow {
                line,
                id: col(&r, "CONTAINER ID").to_string(),
                image: col(&r, "IMAGE").to_string(),
                command: col(&r, "COMMAND").to_string(),
                created: col(&r, "CREATED").to_string(),
                ports: col(&r, "PORTS").to_string(),
                names: col(&r, "NAMES").to_string(),
                size: col(&r, "SIZE").to_string(),
                source: String::new(),
                exit_code: status
                    .strip_prefix("Exited (")
                    .and_then(|s| s.split_once(')'))
                    .and_then(|(n, _)| n.parse().ok()),
                status,
            }
        })
        .collect()
}

pub fn parse_stats(text: &str) -> Vec<StatsRow> {
    let pct = |s: &str| {
        s.trim()
            .strip_suffix('%')
            .and_then(|n| n.trim().parse().ok())
    };
    table(text)
        .into_iter()
        .map(|(line, r)| {
            let mem = col(&r, "MEM USAGE / LIMIT");
            let (usage, limit) = match mem.split_once(" / ") {
                Some((u, l)) => (parse_size(u), parse_size(l)),
                None => (None, None),
            };
            let id = if col(&r, "CONTAINER ID").is_empty() {
                col(&r, "CONTAINER")
            } else {
                col(&r, "CONTAINER ID")
            };
            StatsRow {
                line,
                id: id.to_string(),
                name: col(&r, "NAME").to_string(),
                cpu_percent: pct(col(&r, "CPU %")),
                mem_usage: usage,
                mem_limit: limit,
                mem_percent: pct(col(&r, "MEM %")),
                pids: col(&r, "PIDS").parse().ok(),
                text: text
                    .lines()
                    .nth(line.saturating_sub(1) as usize)
                    .unwrap_or("")
                    .trim_end()
                    .to_string(),
                source: String::new(),
            }
        })
        .collect()
}

pub fn parse_images(text: &str) -> Vec<ImageRow> {
    table(text)
        .into_iter()
        .map(|(line, r)| ImageRow {
            line,
            repository: col(&r, "REPOSITORY").to_string(),
            tag: col(&r, "TAG").to_string(),
            id: col(&r, "IMAGE ID").to_string(),
            created: col(&r, "CREATED").to_string(),
            size: parse_size(col(&r, "SIZE")).or_else(|| parse_size(col(&r, "VIRTUAL SIZE"))),
            digest: col(&r, "DIGEST").to_string(),
            source: String::new(),
        })
        .filter(|i| !i.id.is_empty())
        .collect()
}

/// `23.54GiB`, `324KiB`, `1.6kB`, `2.74MB`, `0B` (go-units' `BytesSize`
/// and `HumanSize`) in bytes.
pub fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
    let (num, unit) = s.split_at(split);
    let n: f64 = num.parse().ok()?;
    let mult: f64 = match unit.trim() {
        "B" => 1.0,
        "kB" | "KB" => 1e3,
        "MB" => 1e6,
        "GB" => 1e9,
        "TB" => 1e12,
        "PB" => 1e15,
        "KiB" => 1024.0,
        "MiB" => 1024f64.powi(2),
        "GiB" => 1024f64.powi(3),
        "TiB" => 1024f64.powi(4),
        "PiB" => 1024f64.powi(5),
        _ => return None,
    };
    let b = (n * mult).round();
    (b.is_finite() && b >= 0.0 && b < u64::MAX as f64).then_some(b as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("324KiB"), Some(324 * 1024));
        assert_eq!(parse_size("48MiB"), Some(48 << 20));
        assert_eq!(parse_size("1.6kB"), Some(1600));
        assert_eq!(parse_size("0B"), Some(0));
        assert_eq!(parse_size("--"), None);
    }

    #[test]
    fn header_with_spaces() {
        let h = "CONTAINER ID   NAME      CPU %     MEM USAGE / LIMIT   MEM %";
        let names: Vec<&str> = header_columns(h).into_iter().map(|c| c.1).collect();
        assert_eq!(
            names,
            [
                "CONTAINER ID",
                "NAME",
                "CPU %",
                "MEM USAGE / LIMIT",
                "MEM %"
            ]
        );
    }
}
