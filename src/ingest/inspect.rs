//! `docker inspect` output: containers (the heart of the report), and images,
//! networks and volumes, recognised so they are listed and used as context.
//!
//! Read through `serde_json::Value` and tolerant accessors rather than typed
//! structs: API versions 1.24 to 1.52 add, drop and retype fields, and a
//! missing or wrong-typed field must cost that field, not the container.

use serde_json::Value;

use crate::model::{Diagnostic, Evidence};
use crate::time::Timestamp;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct HealthProbe {
    pub start: Option<Timestamp>,
    pub end: Option<Timestamp>,
    pub exit_code: i64,
    pub output: String,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Health {
    pub status: String,
    pub failing_streak: i64,
    pub log: Vec<HealthProbe>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PortBinding {
    /// "8080/tcp"
    pub container_port: String,
    pub host_ip: String,
    pub host_port: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Mount {
    pub kind: String,
    pub name: String,
    pub source: String,
    pub destination: String,
    pub rw: bool,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Container {
    pub id: String,
    pub name: String,
    /// The image as the user named it (`Config.Image`).
    pub image: String,
    /// The image id (`Image`, `sha256:…`).
    pub image_id: String,
    /// `Config.Hostname` (Docker defaults it to the 12-hex short id).
    pub hostname: String,
    pub status: String,
    pub exit_code: i64,
    pub oom_killed: bool,
    pub pid: i64,
    pub error: String,
    pub created: Option<Timestamp>,
    pub started_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
    pub restart_count: i64,
    pub restart_policy: String,
    pub restart_max: i64,
    pub memory_limit: i64,
    pub cgroup_parent: String,
    pub log_driver: String,
    pub log_path: String,
    pub path: String,
    pub args: Vec<String>,
    pub cmd: Vec<String>,
    pub entrypoint: Vec<String>,
    pub user: String,
    pub env: Vec<String>,
    pub labels: Vec<(String, String)>,
    pub exposed_ports: Vec<String>,
    pub port_bindings: Vec<PortBinding>,
    pub healthcheck: Vec<String>,
    pub health: Option<Health>,
    pub mounts: Vec<Mount>,
    pub networks: Vec<String>,
    /// podman wrote it: its inspect output has `ConmonPidFile` or
    /// `State.ConmonPid` (0 once the container exited), which Docker's lacks.
    pub podman: bool,
    /// podman: the PID of the container's conmon monitor (`State.ConmonPid`).
    pub conmon_pid: i64,
    /// podman: the container's cgroup (`State.CgroupPath`, e.g.
    /// `/libpod_parent/libpod-<id>` or `machine.slice/libpod-<id>.scope`).
    pub cgroup_path: String,
    /// podman: its libpod storage records, attached by id when
    /// `containers.json` (and `images.json`) were in the inputs.
    pub storage: Option<Box<super::podman::storage::ContainerStorage>>,
    /// Every file this container's inspect output was read from.
    pub sources: Vec<String>,
    /// Line numbers of key fields in the first source, for evidence.
    pub lines: InspectLines,
    /// `HostConfig.LogConfig.Config` (`max-size`, `max-file`, …), sorted by key.
    pub log_opts: Vec<(String, String)>,
    /// `HostConfig.NetworkMode`: `default`, a network name, `host`, `none`,
    /// or `container:<id>` when it shares another container's network stack.
    pub network_mode: String,
    /// `Config.StopSignal` (e.g. `SIGQUIT`); empty for Docker's SIGTERM.
    pub stop_signal: String,
    /// `HostConfig.Links` (`/db:/web/db`), as written.
    pub links: Vec<String>,
    /// `HostConfig.Init`: `docker run --init`, so PID 1 is docker-init
    /// (tini), which forwards signals and reaps children.
    pub init: bool,
}

/// Where key fields sit in the inspect file, so findings can cite them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct InspectLines {
    pub id: Option<u64>,
    pub status: Option<u64>,
    pub exit_code: Option<u64>,
    pub oom_killed: Option<u64>,
    pub error: Option<u64>,
    pub restart_count: Option<u64>,
    pub health_status: Option<u64>,
    pub log_type: Option<u64>,
    pub port_bindings: Option<u64>,
    pub user: Option<u64>,
    pub env: Option<u64>,
    pub healthcheck: Option<u64>,
    pub started_at: Option<u64>,
    pub finished_at: Option<u64>,
    pub memory: Option<u64>,
    pub cmd: Option<u64>,
}

impl Container {
    pub fn evidence(&self, line: Option<u64>, excerpt: impl Into<String>) -> Evidence {
        Evidence::new(
            self.sources.first().cloned().unwrap_or_default(),
            line,
            excerpt,
        )
    }
}

/// Non-container objects recognised in inspect output.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OtherObject {
    /// "image", "network" or "volume".
    pub kind: &'static str,
    pub name: String,
    pub id: String,
    /// Network: names of attached containers. Image: exposed ports.
    pub members: Vec<String>,
}

/// One line of an image's history (`docker image inspect` from podman, or
/// `docker history --format '{{json .}}'`-like entries where present).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HistoryEntry {
    pub created: Option<Timestamp>,
    pub created_by: String,
    pub comment: String,
    pub empty_layer: bool,
}

/// `docker image inspect` (or podman's) facts, for images known without
/// an image archive. `env` holds values as written: the report layer
/// redacts secrets.
#[derive(Clone, Debug, PartialEq)]
pub struct ImageFacts {
    /// `sha256:…`
    pub id: String,
    pub repo_tags: Vec<String>,
    pub repo_digests: Vec<String>,
    pub created: Option<Timestamp>,
    /// Bytes (`Size`).
    pub size: Option<u64>,
    pub architecture: String,
    pub variant: String,
    pub os: String,
    pub env: Vec<String>,
    pub user: String,
    pub entrypoint: Vec<String>,
    pub cmd: Vec<String>,
    pub exposed_ports: Vec<String>,
    pub history: Vec<HistoryEntry>,
    /// Number of layers in `RootFS.Layers`.
    pub layers: usize,
    /// Where it was read from, with the line of `"Id"` when found.
    pub evidence: Evidence,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct InspectFile {
    pub path: String,
    pub containers: Vec<Container>,
    pub others: Vec<OtherObject>,
    /// The images among `others`, read in full.
    pub images: Vec<ImageFacts>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Decides from a parsed JSON value whether it is `docker inspect` output.
pub fn is_inspect(v: &Value) -> bool {
    let objs: Vec<&Value> = match v {
        Value::Array(a) => a.iter().take(4).collect(),
        Value::Object(_) => vec![v],
        _ => return false,
    };
    !objs.is_empty() && objs.iter().all(|o| object_kind(o).is_some())
}

fn object_kind(o: &Value) -> Option<&'static str> {
    let m = o.as_object()?;
    let has = |k: &str| m.contains_key(k) || m.keys().any(|x| x.eq_ignore_ascii_case(k));
    if has("State") && (has("Config") || has("HostConfig") || has("Id") || m.len() == 1) {
        Some("container")
    } else if has("ExitCode") && (has("Running") || has("Status")) && has("StartedAt") {
        // `docker inspect -f '{{json .State}}'`
        Some("state")
    } else if has("FailingStreak") && has("Log") && has("Status") {
        // `docker inspect -f '{{json .State.Health}}'`
        Some("health")
    } else if has("RootFS") || (has("RepoTags") && has("Config")) || has("ContainerConfig") {
        Some("image")
    } else if has("IPAM") || (has("Driver") && has("Containers")) {
        Some("network")
    } else if has("Mountpoint") {
        Some("volume")
    } else {
        None
    }
}

pub fn parse(path: &str, text: &[u8], value: &Value) -> InspectFile {
    let mut out = InspectFile {
        path: path.to_string(),
        ..Default::default()
    };
    let text = String::from_utf8_lossy(text);
    let mut src = Source::new(&text);
    let objs: Vec<&Value> = match value {
        Value::Array(a) => a.iter().collect(),
        v => vec![v],
    };
    for (i, o) in objs.into_iter().enumerate() {
        match object_kind(o) {
            Some("container") => {
                let mut c = container(path, &mut src, o);
                if c.name.is_empty() {
                    // Cut before "Name", or a `{"State": …}` fragment.
                    c.name = if c.id.len() >= 12 {
                        c.id.chars().take(12).collect()
                    } else {
                        fragment_name(path)
                    };
                }
                out.containers.push(c);
            }
            Some(kind @ ("state" | "health")) => {
                // A fragment: no id, no name. Name it after the file so the
                // findings still say where it came from.
                let state = if kind == "state" {
                    o.clone()
                } else {
                    serde_json::json!({"Status": "unknown", "Health": o})
                };
                let mut c = container(path, &mut src, &serde_json::json!({ "State": state }));
                c.name = fragment_name(path);
                out.diagnostics.push(Diagnostic::warning(
                    path,
                    format!("only the container's {kind} is here (no id or name): reported as container {:?}", c.name),
                ));
                out.containers.push(c);
            }
            Some(kind) => {
                if kind == "image" {
                    out.images.push(image(path, &src, o));
                }
                out.others.push(other(kind, o))
            }
            _ => out.diagnostics.push(Diagnostic::warning(
                path,
                format!("element {i} of the inspect array is not a Docker object; skipped"),
            )),
        }
    }
    out
}

/// `v.pointer(ptr)`, and where a key is missing, the same key in another
/// case: podman and Docker's on-disk `config.v2.json` write `ID`, Docker
/// 1.9-era output lowercase keys.
fn get<'v>(v: &'v Value, ptr: &str) -> Option<&'v Value> {
    if let Some(x) = v.pointer(ptr) {
        return Some(x);
    }
    let mut cur = v;
    for key in ptr.split('/').skip(1) {
        cur = match cur {
            Value::Object(m) => match m.get(key) {
                Some(x) => x,
                None => m
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(key))
                    .map(|(_, x)| x)?,
            },
            Value::Array(a) => a.get(key.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

fn s(v: &Value, ptr: &str) -> String {
    match get(v, ptr) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        _ => String::new(),
    }
}

fn i(v: &Value, ptr: &str) -> i64 {
    match get(v, ptr) {
        Some(Value::Number(n)) => n
            .as_i64()
            .or_else(|| n.as_f64().map(|f| f as i64))
            .unwrap_or(0),
        Some(Value::String(s)) => s.trim().parse().unwrap_or(0),
        Some(Value::Bool(b)) => *b as i64,
        _ => 0,
    }
}

fn b(v: &Value, ptr: &str) -> bool {
    match get(v, ptr) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s == "true",
        Some(Value::Number(n)) => n.as_i64() == Some(1),
        _ => false,
    }
}

fn t(v: &Value, ptr: &str) -> Option<Timestamp> {
    get(v, ptr)
        .and_then(Value::as_str)
        .and_then(Timestamp::parse_rfc3339)
}

/// A string array, or a single string (old API versions and shell-form Cmd).
fn strs(v: &Value, ptr: &str) -> Vec<String> {
    match get(v, ptr) {
        Some(Value::Array(a)) => a
            .iter()
            .map(|x| match x {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect(),
        Some(Value::String(s)) if !s.is_empty() => vec![s.clone()],
        _ => Vec::new(),
    }
}

fn keys(v: &Value, ptr: &str) -> Vec<String> {
    match get(v, ptr) {
        Some(Value::Object(m)) => m.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

fn container(path: &str, src: &mut Source<'_>, o: &Value) -> Container {
    let id = s(o, "/Id");
    // `GET /containers/json` (what `docker ps` reads, and what API clients
    // save): `State` is a word, `Names` a list, `Image` the name the user
    // gave, `Labels` and `Ports` at the top level.
    let listed = matches!(get(o, "/State"), Some(Value::String(_)));
    let mut port_bindings = Vec::new();
    if let Some(Value::Object(m)) = get(o, "/HostConfig/PortBindings") {
        for (port, binds) in m {
            match binds {
                Value::Array(a) => {
                    for bnd in a {
                        port_bindings.push(PortBinding {
                            container_port: port.clone(),
                            host_ip: s(bnd, "/HostIp"),
                            host_port: s(bnd, "/HostPort"),
                        })
                    }
                }
                _ => port_bindings.push(PortBinding {
                    container_port: port.clone(),
                    ..Default::default()
                }),
            }
        }
    }
    let health = get(o, "/State/Health")
        .or_else(|| get(o, "/State/Healthcheck"))
        .filter(|h| h.is_object())
        // podman 4 writes `{"Status": "", "FailingStreak": 0, "Log": null}`
        // for a container with no health check: no check, not a state.
        .filter(|h| {
            !(s(h, "/Status").is_empty() && matches!(get(h, "/Log"), None | Some(Value::Null)))
        })
        .map(|h| Health {
            status: s(h, "/Status"),
            failing_streak: i(h, "/FailingStreak"),
            log: match get(h, "/Log") {
                Some(Value::Array(a)) => a
                    .iter()
                    .map(|p| HealthProbe {
                        start: t(p, "/Start"),
                        end: t(p, "/End"),
                        exit_code: i(p, "/ExitCode"),
                        output: s(p, "/Output"),
                    })
                    .collect(),
                _ => Vec::new(),
            },
        });
    let mounts = match get(o, "/Mounts") {
        Some(Value::Array(a)) => a
            .iter()
            .map(|m| Mount {
                kind: s(m, "/Type"),
                name: s(m, "/Name"),
                source: s(m, "/Source"),
                destination: s(m, "/Destination"),
                rw: b(m, "/RW"),
            })
            .collect(),
        _ => Vec::new(),
    };
    if listed {
        if let Some(Value::Array(a)) = get(o, "/Ports") {
            for p in a {
                let kind = Some(s(p, "/Type")).filter(|t| !t.is_empty());
                port_bindings.push(PortBinding {
                    container_port: format!(
                        "{}/{}",
                        s(p, "/PrivatePort"),
                        kind.as_deref().unwrap_or("tcp")
                    ),
                    host_ip: s(p, "/IP"),
                    host_port: s(p, "/PublicPort"),
                });
            }
        }
    }
    let labels =
        match get(o, "/Config/Labels").or_else(|| listed.then(|| get(o, "/Labels")).flatten()) {
            Some(Value::Object(m)) => m
                .iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| v.to_string()),
                    )
                })
                .collect(),
            _ => Vec::new(),
        };
    let mut status = if listed {
        s(o, "/State").to_ascii_lowercase()
    } else {
        s(o, "/State/Status")
    };
    // podman's words for Docker's states.
    match status.as_str() {
        "configured" | "initialized" => status = "created".to_string(),
        "stopped" | "stopping" => status = "exited".to_string(),
        _ => {}
    }
    if !listed && status != "restarting" && b(o, "/State/Restarting") {
        // Docker derives `Status` from the booleans; a restart in progress
        // is what `Restarting` says, whatever word was saved beside it.
        status = "restarting".to_string();
    }
    if status.is_empty() {
        // API 1.24 without Status: derive it from the booleans.
        status = if b(o, "/State/Restarting") {
            "restarting"
        } else if b(o, "/State/Paused") {
            "paused"
        } else if b(o, "/State/Running") {
            "running"
        } else if b(o, "/State/Dead") {
            "dead"
        } else if t(o, "/State/StartedAt").is_some() {
            "exited"
        } else {
            "created"
        }
        .to_string();
    }
    let text = src.text;
    // Objects come in file order: look for this id after the previous one.
    let anchor = if id.is_empty() {
        0
    } else {
        text.get(src.cursor..)
            .and_then(|r| r.find(&id))
            .map_or_else(|| text.find(&id).unwrap_or(0), |p| src.cursor + p)
    };
    src.cursor = anchor;
    // This object ends where the next top-level object's "Id" begins.
    let end = text
        .get(anchor + id.len()..)
        .and_then(|r| r.find("\"Id\""))
        .map_or(text.len(), |p| anchor + id.len() + p);
    let src = &*src;
    let line_of = |key: &str| {
        text.get(anchor..end)
            .and_then(|r| r.find(key))
            .map(|p| src.line_at(anchor + p))
    };
    let lines = InspectLines {
        id: if id.is_empty() {
            None
        } else {
            Some(src.line_at(anchor))
        },
        status: line_of("\"Status\""),
        exit_code: line_of("\"ExitCode\""),
        oom_killed: line_of("\"OOMKilled\""),
        error: line_of("\"Error\""),
        restart_count: line_of("\"RestartCount\""),
        health_status: line_of("\"Health\"").and(line_of("\"FailingStreak\"")),
        log_type: line_of("\"LogConfig\"").map(|l| l + 1),
        port_bindings: line_of("\"PortBindings\""),
        user: line_of("\"User\""),
        env: line_of("\"Env\""),
        healthcheck: line_of("\"Healthcheck\""),
        started_at: line_of("\"StartedAt\""),
        finished_at: line_of("\"FinishedAt\""),
        memory: line_of("\"Memory\""),
        cmd: line_of("\"Cmd\""),
    };
    let (name, image, image_id) = if listed {
        (
            strs(o, "/Names").into_iter().next().unwrap_or_default(),
            s(o, "/Image"),
            s(o, "/ImageID"),
        )
    } else {
        (s(o, "/Name"), s(o, "/Config/Image"), s(o, "/Image"))
    };
    // A listing gives the exit code only inside its `Status` sentence.
    let exit_code = if listed {
        listed_exit_code(&s(o, "/Status")).unwrap_or(0)
    } else {
        i(o, "/State/ExitCode")
    };
    Container {
        name: name.trim_start_matches('/').to_string(),
        image,
        image_id,
        hostname: s(o, "/Config/Hostname"),
        status,
        exit_code,
        oom_killed: b(o, "/State/OOMKilled"),
        pid: i(o, "/State/Pid"),
        error: s(o, "/State/Error"),
        created: t(o, "/Created").or_else(|| match get(o, "/Created") {
            // The listing's `Created` is Unix seconds.
            Some(Value::Number(n)) => n.as_f64().map(Timestamp::from_secs_f64),
            _ => None,
        }),
        started_at: t(o, "/State/StartedAt"),
        finished_at: t(o, "/State/FinishedAt"),
        restart_count: i(o, "/RestartCount"),
        restart_policy: s(o, "/HostConfig/RestartPolicy/Name"),
        restart_max: i(o, "/HostConfig/RestartPolicy/MaximumRetryCount"),
        memory_limit: i(o, "/HostConfig/Memory"),
        cgroup_parent: s(o, "/HostConfig/CgroupParent"),
        log_driver: s(o, "/HostConfig/LogConfig/Type"),
        // podman writes no `LogPath`: its k8s-file path is in `LogConfig`.
        log_path: Some(s(o, "/LogPath"))
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| s(o, "/HostConfig/LogConfig/Path")),
        path: s(o, "/Path"),
        args: strs(o, "/Args"),
        cmd: strs(o, "/Config/Cmd"),
        entrypoint: strs(o, "/Config/Entrypoint"),
        user: s(o, "/Config/User"),
        env: strs(o, "/Config/Env"),
        labels,
        exposed_ports: keys(o, "/Config/ExposedPorts"),
        port_bindings,
        healthcheck: strs(o, "/Config/Healthcheck/Test"),
        health,
        mounts,
        networks: keys(o, "/NetworkSettings/Networks"),
        podman: get(o, "/ConmonPidFile").is_some() || get(o, "/State/ConmonPid").is_some(),
        conmon_pid: i(o, "/State/ConmonPid"),
        cgroup_path: s(o, "/State/CgroupPath"),
        storage: None,
        sources: vec![path.to_string()],
        lines,
        id,
        log_opts: log_opts(o),
        network_mode: s(o, "/HostConfig/NetworkMode"),
        stop_signal: s(o, "/Config/StopSignal"),
        links: strs(o, "/HostConfig/Links"),
        init: b(o, "/HostConfig/Init"),
    }
}

/// `Exited (137) 2 days ago` → 137.
fn listed_exit_code(status: &str) -> Option<i64> {
    let rest = status.strip_prefix("Exited (")?;
    rest.split_once(')')?.0.trim().parse().ok()
}

/// `HostConfig.LogConfig.Config`: string values only, sorted by key.
fn log_opts(o: &Value) -> Vec<(String, String)> {
    match o.pointer("/HostConfig/LogConfig/Config") {
        Some(Value::Object(m)) => {
            let mut v: Vec<(String, String)> = m
                .iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                .collect();
            v.sort();
            v
        }
        _ => Vec::new(),
    }
}

fn other(kind: &'static str, o: &Value) -> OtherObject {
    let mut name = s(o, "/Name");
    if name.is_empty() {
        name = strs(o, "/RepoTags").into_iter().next().unwrap_or_default();
    }
    if name.is_empty() {
        name = s(o, "/name");
    }
    let id = if s(o, "/Id").is_empty() {
        s(o, "/id")
    } else {
        s(o, "/Id")
    };
    let members = match kind {
        "network" => match o
            .pointer("/Containers")
            .or_else(|| o.pointer("/containers"))
        {
            Some(Value::Object(m)) => {
                let mut v: Vec<String> = m
                    .iter()
                    .map(|(k, c)| {
                        let n = s(c, "/Name");
                        if n.is_empty() {
                            k.clone()
                        } else {
                            n
                        }
                    })
                    .collect();
                v.sort();
                v
            }
            _ => Vec::new(),
        },
        "image" => {
            let mut p = keys(o, "/Config/ExposedPorts");
            if p.is_empty() {
                p = keys(o, "/ContainerConfig/ExposedPorts");
            }
            p
        }
        _ => Vec::new(),
    };
    OtherObject {
        kind,
        name: name.trim_start_matches('/').to_string(),
        id,
        members,
    }
}

fn image(path: &str, src: &Source<'_>, o: &Value) -> ImageFacts {
    // `Config` in API 1.44 and later; `ContainerConfig` only before it.
    let cfg = |k: &str| {
        let v = get(o, &format!("/Config/{k}"));
        match v {
            Some(Value::Null) | None => get(o, &format!("/ContainerConfig/{k}")).cloned(),
            Some(x) => Some(x.clone()),
        }
    };
    let list =
        |k: &str| cfg(k).map_or_else(Vec::new, |v| strs(&serde_json::json!({ "v": v }), "/v"));
    let id = s(o, "/Id");
    let line = (!id.is_empty())
        .then(|| src.text.find(&id).map(|p| src.line_at(p)))
        .flatten();
    let history = match get(o, "/History") {
        Some(Value::Array(a)) => a
            .iter()
            .map(|h| HistoryEntry {
                created: t(h, "/created"),
                created_by: s(h, "/created_by"),
                comment: s(h, "/comment"),
                empty_layer: b(h, "/empty_layer"),
            })
            .collect(),
        _ => Vec::new(),
    };
    let size = match get(o, "/Size") {
        Some(Value::Number(n)) => n.as_u64(),
        _ => None,
    };
    let mut exposed: Vec<String> = match cfg("ExposedPorts") {
        Some(Value::Object(m)) => m.keys().cloned().collect(),
        _ => Vec::new(),
    };
    exposed.sort();
    ImageFacts {
        repo_tags: strs(o, "/RepoTags"),
        repo_digests: strs(o, "/RepoDigests"),
        created: t(o, "/Created"),
        size,
        architecture: s(o, "/Architecture"),
        variant: s(o, "/Variant"),
        os: s(o, "/Os"),
        env: list("Env"),
        user: cfg("User")
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        entrypoint: list("Entrypoint"),
        cmd: list("Cmd"),
        exposed_ports: exposed,
        history,
        layers: match get(o, "/RootFS/Layers") {
            Some(Value::Array(a)) => a.len(),
            _ => 0,
        },
        evidence: Evidence::new(path, line, format!("\"Id\": {id:?}")),
        id,
    }
}

fn fragment_name(path: &str) -> String {
    let base = path.rsplit(['/', '!']).next().unwrap_or(path);
    base.split('.')
        .next()
        .filter(|b| !b.is_empty())
        .unwrap_or(base)
        .to_string()
}

/// Closes a JSON document cut short (a copy-paste or a truncated download):
/// cuts back to the last complete element and appends the missing closers.
/// `None` when nothing complete was read.
pub fn repair_truncated(data: &[u8]) -> Option<Vec<u8>> {
    let mut stack: Vec<u8> = Vec::new();
    let mut in_str = false;
    let mut esc = false;
    // (cut position, closers needed at that point)
    let mut safe: Option<(usize, Vec<u8>)> = None;
    for (i, &c) in data.iter().enumerate() {
        if in_str {
            if esc {
                esc = false;
            } else if c == b'\\' {
                esc = true;
            } else if c == b'"' {
                in_str = false;
            }
            continue;
        }
        match c {
            b'"' => in_str = true,
            b'{' | b'[' => {
                if stack.len() >= 128 {
                    return None;
                }
                stack.push(if c == b'{' { b'}' } else { b']' });
                safe = Some((i + 1, stack.clone()));
            }
            b'}' | b']' => {
                stack.pop();
            }
            b',' if !stack.is_empty() => safe = Some((i, stack.clone())),
            _ => {}
        }
    }
    let (cut, closers) = safe?;
    let mut out = data[..cut].to_vec();
    out.extend(closers.iter().rev());
    Some(out)
}

/// An inspect file's text with its line starts indexed once, so citing a
/// field costs a binary search, not a scan from the top of a file that may
/// hold thousands of containers.
struct Source<'a> {
    text: &'a str,
    newlines: Vec<usize>,
    /// Where the previous container's id was found.
    cursor: usize,
}

impl<'a> Source<'a> {
    fn new(text: &'a str) -> Source<'a> {
        Source {
            text,
            newlines: memchr::memchr_iter(b'\n', text.as_bytes()).collect(),
            cursor: 0,
        }
    }

    /// 1-based line number of byte offset `at`.
    fn line_at(&self, at: usize) -> u64 {
        self.newlines.partition_point(|&n| n < at) as u64 + 1
    }
}
