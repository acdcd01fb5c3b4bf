//! Network rules: published ports that nothing listens on, and name
//! resolution failures explained by the networks the container is on.

use super::finding;
use super::{Finding, RuleId, Severity};
use crate::correlate::{Analysis, ContainerRecord};
use crate::ingest::json_log::SignatureKind;

/// Port numbers named in a command line or URL: `-p 80`, `--port=8080`,
/// `:3000`, `PORT=5000`, `listen 80`.
pub fn ports_in_text(s: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let toks: Vec<&str> = s
        .split(|c: char| c.is_whitespace() || c == '"' || c == '\'')
        .filter(|t| !t.is_empty())
        .collect();
    let mut push = |p: &str| {
        if let Ok(n) = p.parse::<u32>() {
            if (1..=65535).contains(&n) && !out.contains(&n.to_string()) {
                out.push(n.to_string());
            }
        }
    };
    for (i, t) in toks.iter().enumerate() {
        let lower = t.to_ascii_lowercase();
        if matches!(
            lower.as_str(),
            "-p" | "--port" | "--listen" | "listen" | "--bind" | "-port"
        ) {
            if let Some(n) = toks.get(i + 1) {
                push(n.rsplit(':').next().unwrap_or(n));
            }
        }
        for prefix in ["--port=", "-port=", "port=", "--listen=", "--bind="] {
            if let Some(v) = lower.strip_prefix(prefix) {
                push(v.rsplit(':').next().unwrap_or(v));
            }
        }
        // host:port inside URLs and addresses.
        if let Some(pos) = t.find("://") {
            let rest = &t[pos + 3..];
            let hostport = rest.split('/').next().unwrap_or("");
            if let Some((_, p)) = hostport.rsplit_once(':') {
                push(p);
            }
        }
    }
    out
}

fn port_number(spec: &str) -> &str {
    spec.split('/').next().unwrap_or(spec)
}

/// Ports the container's process is configured to listen on: the image's
/// EXPOSE list (from an image archive or image inspect when present) and
/// ports named in its command line.
pub fn listening_ports(a: &Analysis, r: &ContainerRecord) -> Vec<String> {
    let c = &r.c;
    let mut ports: Vec<String> = Vec::new();
    let image = a
        .images
        .iter()
        .find(|i| (!c.image_id.is_empty() && i.id == c.image_id) || i.refs.contains(&c.image));
    let image_ports: Option<Vec<String>> = match image {
        Some(i) => Some(i.config.exposed_ports.clone()),
        None => a
            .others
            .iter()
            .find(|o| {
                o.kind == "image"
                    && ((!c.image_id.is_empty() && o.id == c.image_id) || o.name == c.image)
            })
            .map(|o| o.members.clone()),
    };
    let published: Vec<&str> = c
        .port_bindings
        .iter()
        .map(|b| b.container_port.as_str())
        .collect();
    let exposed = image_ports.unwrap_or_else(|| {
        // Without the image, Config.ExposedPorts is the image's EXPOSE list
        // plus every published port; the published ones prove nothing.
        c.exposed_ports
            .iter()
            .filter(|p| !published.contains(&p.as_str()))
            .cloned()
            .collect()
    });
    for p in exposed {
        let n = port_number(&p).to_string();
        if !ports.contains(&n) {
            ports.push(n);
        }
    }
    let mut cmdline = vec![c.path.clone()];
    cmdline.extend(c.args.iter().cloned());
    for p in ports_in_text(&cmdline.join(" ")) {
        if !ports.contains(&p) {
            ports.push(p);
        }
    }
    ports
}

pub fn rules(a: &Analysis, r: &ContainerRecord, out: &mut Vec<Finding>) {
    let c = &r.c;
    let listen = listening_ports(a, r);
    if !listen.is_empty() {
        for b in &c.port_bindings {
            let p = port_number(&b.container_port);
            if listen.iter().any(|l| l == p) {
                continue;
            }
            let host = if b.host_ip.is_empty() {
                b.host_port.clone()
            } else {
                format!("{}:{}", b.host_ip, b.host_port)
            };
            out.push(finding(
                RuleId::PortMismatch,
                Severity::Warning,
                r,
                format!("{} publishes {host}->{} but nothing listens on container port {p}", c.name, b.container_port),
                format!(
                    "The host port {host} is mapped to container port {}, but the process is configured to listen on {} (image EXPOSE and command line). Connections to the host port reach a container port where nothing listens, and are refused or reset.",
                    b.container_port,
                    listen.join(", ")
                ),
                format!(
                    "Fix the mapping: `-p {}:{}` (host:container), or make the process listen on {p}.",
                    if b.host_ip.is_empty() { b.host_port.clone() } else { format!("{}:{}", b.host_ip, b.host_port) },
                    listen[0]
                ),
                vec![c.evidence(c.lines.port_bindings, format!("\"PortBindings\": {{\"{}\": [{{\"HostIp\": \"{}\", \"HostPort\": \"{}\"}}]}}", b.container_port, b.host_ip, b.host_port)),
                     c.evidence(c.lines.cmd, format!("\"Cmd\": {:?}", if c.cmd.is_empty() { c.args.clone() } else { c.cmd.clone() }))],
            ));
        }
    }

    if let Some(s) = r
        .logs
        .as_ref()
        .and_then(|l| l.signature(SignatureKind::Dns))
    {
        let host = looked_up_name(&s.last.evidence.excerpt);
        let nets = if c.networks.is_empty() {
            "no network".to_string()
        } else {
            c.networks.join(", ")
        };
        let default_bridge = c.networks.iter().all(|n| n == "bridge");
        let target = host
            .as_ref()
            .and_then(|h| a.containers.iter().find(|o| &o.c.name == h));
        let mut why = format!("{} is on network(s) {nets}.", c.name);
        match (&host, target) {
            (Some(h), Some(t)) => {
                let shared: Vec<&String> =
                    t.c.networks
                        .iter()
                        .filter(|n| c.networks.contains(n))
                        .collect();
                if shared.is_empty() {
                    why.push_str(&format!(
                        " The container `{h}` it looks up is on {}, which {} does not share, so Docker's embedded DNS cannot resolve it.",
                        t.c.networks.join(", "),
                        c.name
                    ));
                }
            }
            (Some(h), None) => why.push_str(&format!(
                " No container named `{h}` is in the bundle on any network."
            )),
            _ => {}
        }
        if default_bridge {
            why.push_str(" On the default `bridge` network, Docker's embedded DNS does not resolve container names at all: only user-defined networks do.");
        }
        out.push(finding(
            RuleId::DnsFailure,
            Severity::Warning,
            r,
            format!("{} cannot resolve {}", c.name, host.clone().map(|h| format!("`{h}`")).unwrap_or_else(|| "a host name".into())),
            format!("Name resolution failed {} time(s) in the logs. {why}", s.count),
            "Put both containers on the same user-defined network (`docker network create app && docker network connect app NAME`), check the service is running under that name, and test with `docker exec NAME nslookup HOST`.".into(),
            vec![s.first.evidence.clone(), s.last.evidence.clone()],
        ));
    }
}

/// The host name in `lookup redis: no such host`, `getaddrinfo ENOTFOUND db`,
/// `could not resolve host: api`.
fn looked_up_name(line: &str) -> Option<String> {
    let l = line;
    let after = |key: &str| -> Option<String> {
        let i = l.find(key)? + key.len();
        let name: String = l[i..]
            .trim_start()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '.' || *c == '_')
            .collect();
        let name = name.trim_end_matches('.').to_string();
        (!name.is_empty()).then_some(name)
    };
    after("lookup ")
        .or_else(|| after("bad address '"))
        .or_else(|| after("ENOTFOUND"))
        .or_else(|| after("resolve host:"))
        .or_else(|| after("resolve host"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_ports_in_commands_and_urls() {
        assert_eq!(ports_in_text("httpd -f -v -p 80 -h /www"), vec!["80"]);
        assert_eq!(
            ports_in_text("wget -qO- http://127.0.0.1:3000/health || exit 1"),
            vec!["3000"]
        );
        assert_eq!(ports_in_text("app --port=8080"), vec!["8080"]);
    }

    #[test]
    fn names_the_host_busybox_could_not_resolve() {
        assert_eq!(
            looked_up_name("wget: bad address 'qmissing'").as_deref(),
            Some("qmissing")
        );
    }

    #[test]
    fn names_the_looked_up_host() {
        assert_eq!(
            looked_up_name("dial tcp: lookup redis: no such host").as_deref(),
            Some("redis")
        );
        assert_eq!(
            looked_up_name("getaddrinfo ENOTFOUND db").as_deref(),
            Some("db")
        );
    }
}
