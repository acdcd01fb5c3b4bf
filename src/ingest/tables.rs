//! The list tables that `host_text.rs` does not read itself: `docker network
//! ls`, `docker volume ls` (also the cluster-volume form), `docker image ls`
//! in the tree view of Docker 29 (`IMAGE  ID  DISK USAGE  CONTENT SIZE
//! EXTRA`), and `docker compose ps` (v2 table, `NAME IMAGE COMMAND SERVICE
//! CREATED STATUS PORTS` as docker/compose's `cmd/formatter/container.go`
//! writes it, and `--format json`, one object per container per line or one
//! array); plus `uname -m` / `uname -a`, which say the host's architecture.
//!
//! Every table is cut at its header's column starts (`host_text::table`).

use serde_json::Value;

use super::host_text::{self, DockerHost, ImageRow};

/// One row of `docker network ls`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NetworkRow {
    pub line: u64,
    pub id: String,
    pub name: String,
    pub driver: String,
    pub scope: String,
    pub source: String,
}

/// One row of `docker volume ls`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct VolumeRow {
    pub line: u64,
    pub driver: String,
    pub name: String,
    pub source: String,
}

/// One container of `docker compose ps`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ComposeRow {
    /// 1-based line of the row (or of the JSON object's line).
    pub line: u64,
    /// The container's name (`myapp-web-1`, v1 `myapp_web_1`).
    pub name: String,
    pub service: String,
    /// Only the JSON form says it.
    pub project: String,
    /// Only the JSON form says it.
    pub id: String,
    pub image: String,
    pub command: String,
    /// `Up 2 minutes`, `Exited (1) 3 seconds ago`.
    pub status: String,
    /// `running`, `exited` (JSON), else from the status.
    pub state: String,
    pub exit_code: Option<i64>,
    pub source: String,
}

/// `docker compose ps` as a table: its own header, never docker ps's.
pub fn is_compose_ps_header(first: &str) -> bool {
    let cols = host_text::column_names(first);
    cols.first() == Some(&"NAME")
        && ["SERVICE", "STATUS", "IMAGE"]
            .iter()
            .all(|c| cols.contains(c))
}

/// `docker image ls` in Docker 29's tree view.
pub fn is_image_tree_header(first: &str) -> bool {
    let cols = host_text::column_names(first);
    cols.first() == Some(&"IMAGE") && cols.contains(&"ID") && cols.contains(&"DISK USAGE")
}

/// `docker volume ls --cluster`: `VOLUME NAME  GROUP  DRIVER  AVAILABILITY  STATUS`.
pub fn is_cluster_volume_header(first: &str) -> bool {
    let cols = host_text::column_names(first);
    cols.first() == Some(&"VOLUME NAME") && cols.contains(&"DRIVER")
}

pub fn parse_networks(text: &str) -> Vec<NetworkRow> {
    host_text::table(text)
        .into_iter()
        .map(|(line, r)| NetworkRow {
            line,
            id: host_text::col(&r, "NETWORK ID").to_string(),
            name: host_text::col(&r, "NAME").to_string(),
            driver: host_text::col(&r, "DRIVER").to_string(),
            scope: host_text::col(&r, "SCOPE").to_string(),
            source: String::new(),
        })
        .filter(|n| !n.name.is_empty())
        .collect()
}

pub fn parse_volumes(text: &str) -> Vec<VolumeRow> {
    host_text::table(text)
        .into_iter()
        .map(|(line, r)| VolumeRow {
            line,
            driver: host_text::col(&r, "DRIVER").to_string(),
            name: host_text::col(&r, "VOLUME NAME").to_string(),
            source: String::new(),
        })
        .filter(|v| !v.name.is_empty())
        .collect()
}

/// `name:tag` (the tag after the last `:` that is not part of a registry's
/// port, i.e. after the last `/`).
fn split_ref(r: &str) -> (String, String) {
    let slash = r.rfind('/').map_or(0, |i| i + 1);
    match r[slash..].rfind(':') {
        Some(i) => (r[..slash + i].to_string(), r[slash + i + 1..].to_string()),
        None => (r.to_string(), String::new()),
    }
}

/// The tree view: one row per image, a name on a line of its own for each
/// further tag of the image on the next row with an id, and `└─ platform`
/// rows for the variants (skipped: the image row holds the totals).
pub fn parse_image_tree(text: &str) -> Vec<ImageRow> {
    let mut out = Vec::new();
    let mut pending: Vec<(u64, String)> = Vec::new();
    for (line, r) in host_text::table(text) {
        let name = host_text::col(&r, "IMAGE");
        let id = host_text::col(&r, "ID");
        if name.starts_with('└') || name.starts_with('├') || name.starts_with('│') {
            continue;
        }
        if id.is_empty() {
            if !name.is_empty() {
                pending.push((line, name.to_string()));
            }
            continue;
        }
        let size = host_text::parse_size(host_text::col(&r, "DISK USAGE"));
        for (l, n) in pending.drain(..).chain([(line, name.to_string())]) {
            let (repository, tag) = if n == "<untagged>" {
                ("<none>".to_string(), "<none>".to_string())
            } else {
                split_ref(&n)
            };
            out.push(ImageRow {
                line: l,
                repository,
                tag,
                id: id.to_string(),
                size,
                ..Default::default()
            });
        }
    }
    out
}

fn exit_from_status(status: &str) -> Option<i64> {
    status
        .strip_prefix("Exited (")
        .or_else(|| status.strip_prefix("exited ("))
        .and_then(|s| s.split_once(')'))
        .and_then(|(n, _)| n.trim().parse().ok())
}

/// The state a `docker ps` / `compose ps` status says: `Up …` is running,
/// `Up … (Paused)` paused, `Exited (N) …` exited.
pub fn state_from_status(status: &str) -> &'static str {
    let s = status.trim();
    if s.starts_with("Up") {
        if s.contains("(Paused)") {
            "paused"
        } else {
            "running"
        }
    } else if s.starts_with("Exited") || s.starts_with("exited") {
        "exited"
    } else if s.starts_with("Restarting") {
        "restarting"
    } else if s.starts_with("Created") {
        "created"
    } else if s.starts_with("Dead") {
        "dead"
    } else if s.starts_with("Removal") {
        "removing"
    } else {
        "unknown"
    }
}

pub fn parse_compose_ps(text: &str) -> Vec<ComposeRow> {
    host_text::table(text)
        .into_iter()
        .map(|(line, r)| {
            let status = host_text::col(&r, "STATUS").to_string();
            ComposeRow {
                line,
                name: host_text::col(&r, "NAME").to_string(),
                service: host_text::col(&r, "SERVICE").to_string(),
                image: host_text::col(&r, "IMAGE").to_string(),
                command: host_text::col(&r, "COMMAND").to_string(),
                state: state_from_status(&status).to_string(),
                exit_code: exit_from_status(&status),
                status,
                ..Default::default()
            }
        })
        .filter(|c| !c.name.is_empty())
        .collect()
}

/// One object of `docker compose ps --format json`: docker/compose marshals
/// its `ContainerContext` (`ID`, `Name`, `Service`, `Project`, `State`,
/// `ExitCode`, …). Older v2 releases wrote one array of them.
fn compose_object(v: &Value) -> bool {
    v.get("Service").is_some_and(Value::is_string)
        && v.get("Name").is_some_and(Value::is_string)
        && (v.get("Project").is_some() || v.get("State").is_some())
}

/// Whether a JSON value is `docker compose ps --format json` output.
pub fn is_compose_ps_json(v: &Value) -> bool {
    match v {
        Value::Array(a) => a.first().is_some_and(compose_object),
        v => compose_object(v),
    }
}

fn compose_row(v: &Value, line: u64) -> Option<ComposeRow> {
    if !compose_object(v) {
        return None;
    }
    let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let status = s("Status");
    let state = match s("State") {
        x if x.is_empty() => state_from_status(&status).to_string(),
        x => x,
    };
    Some(ComposeRow {
        line,
        name: s("Name"),
        service: s("Service"),
        project: s("Project"),
        id: s("ID"),
        image: s("Image"),
        command: s("Command").trim_matches('"').to_string(),
        exit_code: v
            .get("ExitCode")
            .and_then(Value::as_i64)
            .or_else(|| exit_from_status(&status)),
        status,
        state,
        source: String::new(),
    })
}

/// `docker compose ps --format json`: JSON lines or one array. `None` when
/// the first object is not compose's.
pub fn parse_compose_ps_json(data: &[u8]) -> Option<Vec<ComposeRow>> {
    let text = String::from_utf8_lossy(data);
    let t = text.trim_start_matches('\u{feff}');
    let mut out = Vec::new();
    if t.trim_start().starts_with('[') {
        let v: Value = serde_json::from_str(t).ok()?;
        for o in v.as_array()? {
            out.extend(compose_row(o, 1));
        }
        return (!out.is_empty()).then_some(out);
    }
    for (i, l) in t.lines().enumerate() {
        let l = l.trim();
        if l.is_empty() {
            continue;
        }
        // One bad line costs that line only.
        if let Ok(v) = serde_json::from_str::<Value>(l) {
            out.extend(compose_row(&v, i as u64 + 1));
        }
    }
    (!out.is_empty()).then_some(out)
}

/// CPU names `uname -m` prints.
const MACHINES: &[&str] = &[
    "x86_64",
    "aarch64",
    "arm64",
    "armv7l",
    "armv6l",
    "armv8l",
    "i686",
    "i386",
    "ppc64le",
    "ppc64",
    "s390x",
    "riscv64",
    "mips64",
    "loongarch64",
];

/// `uname -m` (`x86_64`) or `uname -a` (`Linux host 6.1.0-13-amd64 #1 SMP
/// PREEMPT_DYNAMIC Debian 6.1.55-1 (2023-09-29) x86_64 GNU/Linux`): the
/// host's architecture, and the kernel release from `-a`.
pub fn parse_uname(text: &str) -> Option<DockerHost> {
    let t = text.trim();
    if t.contains('\n') || t.len() > 400 {
        return None;
    }
    if MACHINES.contains(&t) {
        return Some(DockerHost {
            command: "uname -m",
            architecture: Some(t.to_string()),
            ..Default::default()
        });
    }
    let parts: Vec<&str> = t.split_whitespace().collect();
    if parts.len() < 5 || parts[0] != "Linux" || !parts.contains(&"SMP") && !t.contains(" #") {
        return None;
    }
    let machine = parts
        .iter()
        .rev()
        .find(|p| MACHINES.contains(p))
        .map(|m| m.to_string())?;
    Some(DockerHost {
        command: "uname -a",
        architecture: Some(machine),
        kernel_version: Some(parts[2].to_string()),
        os_type: Some("linux".into()),
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refs() {
        assert_eq!(split_ref("app:v1"), ("app".into(), "v1".into()));
        assert_eq!(
            split_ref("localhost:5000/app"),
            ("localhost:5000/app".into(), String::new())
        );
        assert_eq!(
            split_ref("localhost:5000/app:1"),
            ("localhost:5000/app".into(), "1".into())
        );
    }

    #[test]
    fn uname() {
        let m = parse_uname("aarch64\n").unwrap();
        assert_eq!(m.architecture.as_deref(), Some("aarch64"));
        let a = parse_uname("Linux web01 6.1.0-13-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.55-1 (2023-09-29) x86_64 GNU/Linux\n").unwrap();
        assert_eq!(a.architecture.as_deref(), Some("x86_64"));
        assert_eq!(a.kernel_version.as_deref(), Some("6.1.0-13-amd64"));
        assert_eq!(parse_uname("hello world"), None);
        assert_eq!(parse_uname("x86_64 x86_64"), None);
    }

    /// Constructed, not collected (no `docker compose` binary here): the
    /// columns of docker/compose's `defaultContainerTableFormat` and the keys
    /// its `ContainerContext` marshals. A real sample is still owed.
    #[test]
    fn compose_ps_table_and_json() {
        let t = "NAME           IMAGE          COMMAND       SERVICE   CREATED         STATUS                     PORTS\n\
                 shop-api-1     shop-api       \"./server\"    api       2 minutes ago   Exited (2) 1 minute ago    \n\
                 shop-db-1      postgres:16    \"docker-e…\"   db        2 minutes ago   Up 2 minutes               5432/tcp\n";
        let first = t.lines().next().unwrap();
        assert!(is_compose_ps_header(first));
        let rows = parse_compose_ps(t);
        assert_eq!(rows.len(), 2);
        assert_eq!(
            (rows[0].name.as_str(), rows[0].service.as_str()),
            ("shop-api-1", "api")
        );
        assert_eq!(
            (rows[0].state.as_str(), rows[0].exit_code),
            ("exited", Some(2))
        );
        assert_eq!(rows[1].state, "running");
        let j = br#"{"Command":"\"./server\"","ExitCode":2,"ID":"3f4e5d6c7b8a9f0e1d2c3b4a5f6e7d8c9b0a1f2e3d4c5b6a7f8e9d0c1b2a3f4e","Image":"shop-api","Name":"shop-api-1","Project":"shop","Service":"api","State":"exited","Status":"Exited (2) 1 minute ago"}
{"Command":"\"docker-entrypoint.s...\"","ExitCode":0,"ID":"aa","Image":"postgres:16","Name":"shop-db-1","Project":"shop","Service":"db","State":"running","Status":"Up 2 minutes"}
"#;
        let rows = parse_compose_ps_json(j).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].project, "shop");
        assert_eq!(rows[0].exit_code, Some(2));
        assert_eq!(rows[0].command, "./server");
        assert_eq!(parse_compose_ps_json(b"{\"a\":1}\n"), None);
    }

    #[test]
    fn states() {
        assert_eq!(state_from_status("Up 2 hours (Paused)"), "paused");
        assert_eq!(state_from_status("Exited (137) 5 minutes ago"), "exited");
        assert_eq!(exit_from_status("Exited (137) 5 minutes ago"), Some(137));
    }
}
