//! The host overview: versions, CPU and memory, storage pools, networks, and
//! whether guests get hardware acceleration.

use virt::connect::Connect;

use super::{Error, HostInfo};
use crate::core::xml::caps::{Capabilities, NetworkInfo, PoolInfo};

/// A storage pool as the host overview lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolSummary {
    pub info: PoolInfo,
    pub active: bool,
}

/// A virtual network as the host overview lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkSummary {
    pub info: NetworkInfo,
    pub active: bool,
}

/// What Vireo could find out about hardware virtualization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Acceleration {
    /// libvirt offers the `kvm` domain type for the host's architecture.
    pub kvm_offered: bool,
    /// `/dev/kvm` exists; `None` for a remote host (not checked).
    pub dev_kvm: Option<bool>,
    /// The host CPU has the vmx or svm flag; `None` for a remote host.
    pub cpu_flags: Option<bool>,
}

impl Acceleration {
    /// True only when every check that could be made says yes. libvirt
    /// alone is not enough: it offers `kvm` whenever /dev/kvm opens, even
    /// on a CPU without virtualization extensions (guests then hang).
    pub fn available(&self) -> bool {
        self.kvm_offered && self.dev_kvm != Some(false) && self.cpu_flags != Some(false)
    }
}

/// Everything the host overview shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostOverview {
    pub info: HostInfo,
    pub cpu_model: String,
    pub hypervisor_version: Option<String>,
    pub pools: Vec<PoolSummary>,
    pub networks: Vec<NetworkSummary>,
    pub acceleration: Acceleration,
}

/// True for URIs that reach this machine (`qemu:///system`, `test:///…`,
/// `qemu+unix:///session?socket=…`), false for `qemu+ssh://host/system`.
pub fn is_local_uri(uri: &str) -> bool {
    match uri.split_once("://") {
        Some((scheme, rest)) => {
            rest.starts_with('/') || scheme.ends_with("+unix") && rest.starts_with("localhost")
        }
        None => true,
    }
}

/// libvirt's encoded versions (major * 1,000,000 + minor * 1000 + micro).
pub(super) fn version(v: u32) -> String {
    format!("{}.{}.{}", v / 1_000_000, (v / 1000) % 1000, v % 1000)
}

fn local_cpu_flags() -> Option<bool> {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    Some(
        cpuinfo
            .lines()
            .filter(|l| l.starts_with("flags"))
            .any(|l| l.split_whitespace().any(|f| f == "vmx" || f == "svm")),
    )
}

pub(super) fn overview(conn: &Connect, info: HostInfo) -> Result<HostOverview, Error> {
    let node = conn.node_info()?;
    let caps = Capabilities::parse(&conn.capabilities()?)
        .map_err(|e| Error::new(super::ErrorKind::Libvirt { code: -1 }, e.to_string()))?;
    let local = is_local_uri(&info.uri);
    let mut pools = Vec::new();
    for p in conn.list_all_storage_pools(0)? {
        // A pool that vanished or says nonsense is left out, not fatal.
        if let Ok(pi) = PoolInfo::parse(&p.xml_desc(0)?) {
            pools.push(PoolSummary {
                info: pi,
                active: p.is_active()?,
            });
        }
    }
    pools.sort_by(|a, b| a.info.name.cmp(&b.info.name));
    let mut networks = Vec::new();
    for n in conn.list_all_networks(0)? {
        if let Ok(ni) = NetworkInfo::parse(&n.xml_desc(0)?) {
            networks.push(NetworkSummary {
                info: ni,
                active: n.is_active()?,
            });
        }
    }
    networks.sort_by(|a, b| a.info.name.cmp(&b.info.name));
    Ok(HostOverview {
        cpu_model: node.model,
        hypervisor_version: conn.hyp_version().ok().filter(|v| *v > 0).map(version),
        info,
        pools,
        networks,
        acceleration: acceleration(&caps, local),
    })
}

/// What the capabilities and (for a local host) this machine say about KVM.
pub(super) fn acceleration(caps: &Capabilities, local: bool) -> Acceleration {
    Acceleration {
        kvm_offered: caps
            .guests
            .iter()
            .any(|g| g.arch == caps.host_arch && g.domain_types.iter().any(|t| t == "kvm")),
        dev_kvm: local.then(|| std::path::Path::new("/dev/kvm").exists()),
        cpu_flags: if local { local_cpu_flags() } else { None },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_and_remote_uris() {
        assert!(is_local_uri("qemu:///system"));
        assert!(is_local_uri("test:///work/demo.xml"));
        assert!(is_local_uri("qemu+unix:///session?socket=/tmp/s"));
        assert!(!is_local_uri("qemu+ssh://root@host/system"));
        assert!(!is_local_uri("qemu+tls://host.example/system"));
    }

    #[test]
    fn acceleration_needs_every_check_to_agree() {
        let all = Acceleration {
            kvm_offered: true,
            dev_kvm: Some(true),
            cpu_flags: Some(true),
        };
        assert!(all.available());
        // This machine: libvirt offers kvm, /dev/kvm exists, but no vmx/svm.
        assert!(
            !Acceleration {
                cpu_flags: Some(false),
                ..all
            }
            .available()
        );
        assert!(
            !Acceleration {
                kvm_offered: false,
                ..all
            }
            .available()
        );
        // A remote host: trust libvirt.
        assert!(
            Acceleration {
                kvm_offered: true,
                dev_kvm: None,
                cpu_flags: None
            }
            .available()
        );
    }
}
