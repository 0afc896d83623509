//! Read-only views of the other XML libvirt hands out: host capabilities,
//! domain capabilities, storage pools and volumes, networks. The wizard and
//! the details pages read these; Vireo never writes them back.

use super::document::{Document, Element};
use super::error::{XmlError, XmlErrorKind};
use super::path;

fn root(text: &str, expected: &str) -> Result<Document, XmlError> {
    let doc = Document::parse(text)?;
    if doc.root.name != expected {
        return Err(XmlError {
            kind: XmlErrorKind::WrongRoot {
                expected: expected.into(),
                found: doc.root.name.clone(),
            },
            position: doc.root.position,
        });
    }
    Ok(doc)
}

fn required(el: &Element, p: &str) -> Result<String, XmlError> {
    path::get(el, p).ok_or_else(|| XmlError {
        kind: XmlErrorKind::Missing { path: p.into() },
        position: el.position,
    })
}

/// Bytes from a value with a libvirt `unit` attribute (bytes by default).
fn bytes(el: &Element, p: &str) -> Result<Option<u64>, XmlError> {
    let Some(v) = path::get_parsed::<u64>(el, p, "a whole number")? else {
        return Ok(None);
    };
    let unit = path::get(el, &format!("{p}/@unit")).unwrap_or_else(|| "bytes".into());
    Ok(super::domain::to_bytes(v, &unit))
}

/// One `<guest>` of the host capabilities.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuestCaps {
    pub os_type: String,
    pub arch: String,
    pub emulator: Option<String>,
    /// Machine types, canonical names first as libvirt lists them.
    pub machines: Vec<String>,
    /// Domain types: qemu, kvm, …
    pub domain_types: Vec<String>,
}

/// `virConnectGetCapabilities`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capabilities {
    pub host_arch: String,
    pub host_cpu_model: Option<String>,
    /// The host's libvirt UUID (`host_uuid`), what migration compares.
    pub host_uuid: Option<String>,
    pub guests: Vec<GuestCaps>,
}

impl Capabilities {
    pub fn parse(text: &str) -> Result<Capabilities, XmlError> {
        let doc = root(text, "capabilities")?;
        let r = &doc.root;
        let guests = r
            .children_named("guest")
            .map(|g| {
                let arch = g.child("arch");
                GuestCaps {
                    os_type: path::get(g, "os_type").unwrap_or_default(),
                    arch: path::get(g, "arch/@name").unwrap_or_default(),
                    emulator: arch.and_then(|a| path::get(a, "emulator")),
                    machines: arch
                        .map(|a| {
                            a.children_named("machine")
                                .filter_map(|m| m.text())
                                .collect()
                        })
                        .unwrap_or_default(),
                    domain_types: arch
                        .map(|a| {
                            a.children_named("domain")
                                .filter_map(|d| d.attr("type"))
                                .collect()
                        })
                        .unwrap_or_default(),
                }
            })
            .collect();
        Ok(Capabilities {
            host_arch: required(r, "host/cpu/arch")?,
            host_cpu_model: path::get(r, "host/cpu/model"),
            host_uuid: path::get(r, "host/uuid"),
            guests,
        })
    }
}

/// `virConnectGetDomainCapabilities`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainCapabilities {
    pub emulator: Option<String>,
    pub domain_type: String,
    pub machine: Option<String>,
    pub arch: String,
    pub max_vcpus: Option<u32>,
    pub firmware: Vec<String>,
    pub loaders: Vec<String>,
    pub disk_devices: Vec<String>,
    pub disk_buses: Vec<String>,
    pub graphics_types: Vec<String>,
    pub video_models: Vec<String>,
    pub tpm_models: Vec<String>,
}

fn enum_values(el: &Element, at: &[&str], name: &str) -> Vec<String> {
    path::walk(el, at)
        .map(|e| {
            e.children_named("enum")
                .filter(|x| x.attr("name").as_deref() == Some(name))
                .flat_map(|x| {
                    x.children_named("value")
                        .filter_map(|v| v.text())
                        .collect::<Vec<_>>()
                })
                .collect()
        })
        .unwrap_or_default()
}

impl DomainCapabilities {
    pub fn parse(text: &str) -> Result<DomainCapabilities, XmlError> {
        let doc = root(text, "domainCapabilities")?;
        let r = &doc.root;
        Ok(DomainCapabilities {
            emulator: path::get(r, "path"),
            domain_type: required(r, "domain")?,
            machine: path::get(r, "machine"),
            arch: required(r, "arch")?,
            max_vcpus: path::get_parsed(r, "vcpu/@max", "a whole number")?,
            firmware: enum_values(r, &["os"], "firmware"),
            loaders: path::walk(r, &["os", "loader"])
                .map(|l| l.children_named("value").filter_map(|v| v.text()).collect())
                .unwrap_or_default(),
            disk_devices: enum_values(r, &["devices", "disk"], "diskDevice"),
            disk_buses: enum_values(r, &["devices", "disk"], "bus"),
            graphics_types: enum_values(r, &["devices", "graphics"], "type"),
            video_models: enum_values(r, &["devices", "video"], "modelType"),
            tpm_models: enum_values(r, &["devices", "tpm"], "model"),
        })
    }
}

/// A storage pool (`virStoragePoolGetXMLDesc`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolInfo {
    pub name: String,
    pub uuid: Option<String>,
    pub pool_type: String,
    pub capacity: Option<u64>,
    pub allocation: Option<u64>,
    pub available: Option<u64>,
    pub target_path: Option<String>,
}

impl PoolInfo {
    pub fn parse(text: &str) -> Result<PoolInfo, XmlError> {
        let doc = root(text, "pool")?;
        let r = &doc.root;
        Ok(PoolInfo {
            name: required(r, "name")?,
            uuid: path::get(r, "uuid"),
            pool_type: required(r, "@type")?,
            capacity: bytes(r, "capacity")?,
            allocation: bytes(r, "allocation")?,
            available: bytes(r, "available")?,
            target_path: path::get(r, "target/path"),
        })
    }
}

/// A storage volume (`virStorageVolGetXMLDesc`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeInfo {
    pub name: String,
    pub key: Option<String>,
    pub capacity: Option<u64>,
    pub allocation: Option<u64>,
    pub format: Option<String>,
    pub path: Option<String>,
}

impl VolumeInfo {
    pub fn parse(text: &str) -> Result<VolumeInfo, XmlError> {
        let doc = root(text, "volume")?;
        let r = &doc.root;
        Ok(VolumeInfo {
            name: required(r, "name")?,
            key: path::get(r, "key"),
            capacity: bytes(r, "capacity")?,
            allocation: bytes(r, "allocation")?,
            format: path::get(r, "target/format/@type"),
            path: path::get(r, "target/path"),
        })
    }
}

/// A virtual network (`virNetworkGetXMLDesc`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkInfo {
    pub name: String,
    pub uuid: Option<String>,
    /// nat, route, bridge, open, …; `None` is an isolated network.
    pub forward_mode: Option<String>,
    pub bridge: Option<String>,
    pub ip_address: Option<String>,
    pub netmask: Option<String>,
    pub dhcp_start: Option<String>,
    pub dhcp_end: Option<String>,
}

impl NetworkInfo {
    pub fn parse(text: &str) -> Result<NetworkInfo, XmlError> {
        let doc = root(text, "network")?;
        let r = &doc.root;
        let forward_mode = r
            .child("forward")
            .map(|f| f.attr("mode").unwrap_or_else(|| "nat".into()));
        Ok(NetworkInfo {
            name: required(r, "name")?,
            uuid: path::get(r, "uuid"),
            forward_mode,
            bridge: path::get(r, "bridge/@name"),
            ip_address: path::get(r, "ip/@address"),
            netmask: path::get(r, "ip/@netmask").or_else(|| path::get(r, "ip/@prefix")),
            dhcp_start: path::get(r, "ip/dhcp/range/@start"),
            dhcp_end: path::get(r, "ip/dhcp/range/@end"),
        })
    }
}
