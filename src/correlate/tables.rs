//! Docker's list tables merged into the container records (#11 item 4):
//! `docker ps -a` rows and `docker compose ps` rows give a container
//! record of their own when no inspect output is among the inputs
//! (`matched_by` `docker-ps` / `compose-ps`: name, image, state and exit
//! code as the table prints them), and fill what a record made from logs or
//! events lacks. Beside inspect output they add nothing: inspect says more,
//! and a row no inspect describes is another host's or a removed container.

use super::ContainerRecord;
use crate::ingest::host_text::PsRow;
use crate::ingest::inspect::Container;
use crate::ingest::tables::{state_from_status, ComposeRow};

fn is_hex_id(s: &str) -> bool {
    (12..=64).contains(&s.len()) && s.bytes().all(|c| c.is_ascii_hexdigit())
}

fn same_id(a: &str, b: &str) -> bool {
    is_hex_id(a)
        && is_hex_id(b)
        && (a.eq_ignore_ascii_case(b) || a.starts_with(b) || b.starts_with(a))
}

/// A record a table row names: by id (either a prefix of the other) or by
/// name.
fn find(recs: &[ContainerRecord], id: &str, name: &str) -> Option<usize> {
    recs.iter().position(|r| same_id(&r.c.id, id)).or_else(|| {
        recs.iter()
            .position(|r| !name.is_empty() && r.c.name == name)
    })
}

/// Fills what a record made from logs or events lacks from a row.
fn fill(c: &mut Container, image: &str, status: &str, exit: Option<i64>, source: &str) {
    if c.image.is_empty() {
        c.image = image.to_string();
    }
    if c.status.is_empty() || c.status == "unknown" {
        c.status = state_from_status(status).to_string();
        if let Some(x) = exit {
            c.exit_code = x;
        }
    }
    if !source.is_empty() && !c.sources.iter().any(|s| s == source) {
        c.sources.push(source.to_string());
    }
}

fn record(c: Container, matched_by: &'static str) -> ContainerRecord {
    ContainerRecord {
        c,
        logs: None,
        events: Vec::new(),
        oom_kills: Vec::new(),
        segfaults: Vec::new(),
        matched_by,
    }
}

/// What one table row says of a container, whichever table it is from.
struct Row<'r> {
    id: &'r str,
    name: &'r str,
    image: &'r str,
    status: &'r str,
    exit_code: Option<i64>,
    source: &'r str,
}

/// Fills the record a row names and gives None, or gives a new container
/// for a row no record describes (None beside inspect output).
fn new_from_row(recs: &mut [ContainerRecord], inspected: bool, row: &Row) -> Option<Container> {
    if let Some(i) = find(recs, row.id, row.name) {
        if recs[i].matched_by != "inspect" {
            fill(
                &mut recs[i].c,
                row.image,
                row.status,
                row.exit_code,
                row.source,
            );
        }
        return None;
    }
    if inspected {
        return None;
    }
    let mut c = Container {
        id: if is_hex_id(row.id) {
            row.id.to_ascii_lowercase()
        } else {
            String::new()
        },
        name: if row.name.is_empty() {
            row.id.to_string()
        } else {
            row.name.to_string()
        },
        ..Default::default()
    };
    fill(&mut c, row.image, row.status, row.exit_code, row.source);
    Some(c)
}

/// `docker ps` rows. `NAMES` lists links too (`c2,foo/bar`): the name is
/// the one without a slash.
pub fn from_ps(recs: &mut Vec<ContainerRecord>, rows: &[PsRow]) {
    let inspected = recs.iter().any(|r| r.matched_by == "inspect");
    for row in rows {
        let name = row
            .names
            .split(',')
            .find(|n| !n.contains('/'))
            .unwrap_or("")
            .trim();
        let r = Row {
            id: &row.id,
            name,
            image: &row.image,
            status: &row.status,
            exit_code: row.exit_code,
            source: &row.source,
        };
        if let Some(c) = new_from_row(recs, inspected, &r) {
            recs.push(record(c, "docker-ps"));
        }
    }
}

/// `docker compose ps` rows, before Compose logs are split: a record made
/// here carries the Compose labels (service, project, the container number
/// from its name's `-N`/`_N`) so `compose_logs::resolve` finds it. Only a
/// row with an id (the JSON form) gets labels: a log attached by an empty
/// id would land on the wrong record.
pub fn from_compose_ps(recs: &mut Vec<ContainerRecord>, rows: &[ComposeRow]) {
    let inspected = recs.iter().any(|r| r.matched_by == "inspect");
    for row in rows {
        let r = Row {
            id: &row.id,
            name: &row.name,
            image: &row.image,
            status: &row.status,
            exit_code: row.exit_code,
            source: &row.source,
        };
        let Some(mut c) = new_from_row(recs, inspected, &r) else {
            continue;
        };
        if !c.id.is_empty() {
            c.labels
                .push(("com.docker.compose.service".into(), row.service.clone()));
            if !row.project.is_empty() {
                c.labels
                    .push(("com.docker.compose.project".into(), row.project.clone()));
            }
            let number = row
                .name
                .rsplit(['-', '_'])
                .next()
                .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
            if let Some(n) = number {
                c.labels
                    .push(("com.docker.compose.container-number".into(), n.to_string()));
            }
            c.labels.sort();
        }
        if !row.state.is_empty() && row.state != "unknown" {
            c.status = row.state.clone();
        }
        recs.push(record(c, "compose-ps"));
    }
}
