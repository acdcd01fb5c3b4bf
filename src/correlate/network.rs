//! Who can resolve whom by name: Docker's embedded DNS answers container
//! names only on user-defined networks, so two containers see each other
//! by name when they share one that is not `bridge`, `host` or `none`.

use super::ContainerRecord;

/// How a container's peers resolve its name, and it theirs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum NameResolution {
    /// No network in its inspect data.
    #[default]
    NoNetwork,
    /// Only the default bridge (or host/none): no container name resolves.
    DefaultBridge,
    /// On a user-defined network that no other container in the inputs shares.
    Alone,
    /// Indices (into `Analysis::containers`) of the containers that share a
    /// user-defined network with it, in container order.
    Peers(Vec<usize>),
}

fn user_defined(n: &str) -> bool {
    !matches!(n, "bridge" | "host" | "none")
}

/// One verdict per container, in `recs` order.
pub fn name_resolution(recs: &[ContainerRecord]) -> Vec<NameResolution> {
    recs.iter()
        .map(|me| {
            let nets = &me.c.networks;
            if nets.is_empty() {
                return NameResolution::NoNetwork;
            }
            if !nets.iter().any(|n| user_defined(n)) {
                return NameResolution::DefaultBridge;
            }
            let peers: Vec<usize> = recs
                .iter()
                .enumerate()
                .filter(|(_, o)| {
                    o.c.name != me.c.name
                        && o.c
                            .networks
                            .iter()
                            .any(|n| user_defined(n) && nets.contains(n))
                })
                .map(|(i, _)| i)
                .collect();
            if peers.is_empty() {
                NameResolution::Alone
            } else {
                NameResolution::Peers(peers)
            }
        })
        .collect()
}
