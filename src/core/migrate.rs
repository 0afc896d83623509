//! Moving a VM to another host: the plan the Migrate dialog fills in, what
//! will not work before anything starts, the destination's XML, and the
//! progress read from libvirt's job statistics. Pure: the libvirt side is
//! `core::libvirt::migrate`.

use std::net::IpAddr;

use crate::core::xml::{DeviceKind, DomainXml, XmlError};

/// How the migration stream travels (libvirt's migration modes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Vireo holds both connections and drives each step (`virDomainMigrate3`).
    #[default]
    Direct,
    /// The source host's libvirt reaches the destination itself; the move
    /// goes on if Vireo quits.
    PeerToPeer,
    /// Peer-to-peer through libvirt's own connection: no extra port to open.
    Tunnelled,
}

/// What the user chose in the Migrate dialog.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MigratePlan {
    pub mode: Mode,
    /// Copy the disks' contents to new volumes on the destination (`false`:
    /// the storage is shared, reachable at the same paths there).
    pub copy_storage: bool,
    /// For each copied disk (by target, e.g. `vda`), the destination pool
    /// its new volume is created in.
    pub pools: Vec<(String, String)>,
    /// A temporary move: the definition stays on the source and the guest
    /// runs on the destination until it stops. `false` (the default) moves
    /// the definition too.
    pub temporary: bool,
    /// The most the guest may be paused at the switch-over, in ms.
    pub max_downtime_ms: Option<u64>,
    /// The most the stream may use, in MiB/s.
    pub bandwidth_mib: Option<u64>,
    /// The destination's address for the migration stream (`None`: what the
    /// destination host calls itself).
    pub address: Option<String>,
    /// Its port (`None`: libvirt chooses from the destination's range).
    pub port: Option<u16>,
}

/// `tcp://ADDRESS[:PORT]` for `VIR_MIGRATE_PARAM_URI`, IPv6 in brackets.
pub fn migration_uri(address: &str, port: Option<u16>) -> String {
    let host = match address.parse::<IpAddr>() {
        Ok(IpAddr::V6(v6)) => format!("[{v6}]"),
        _ => address.to_owned(),
    };
    match port {
        Some(p) => format!("tcp://{host}:{p}"),
        None => format!("tcp://{host}"),
    }
}

/// A disk whose contents live on the source host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalDisk {
    /// `vda`
    pub target: String,
    /// Its image (file or block device).
    pub path: String,
    /// `qcow2`, `raw`, …
    pub format: String,
}

/// The writable disks backed by a file, block device or pool volume (not
/// network disks, not CD-ROMs: media are not copied).
pub fn local_disks(xml: &DomainXml) -> Vec<LocalDisk> {
    xml.devices(DeviceKind::Disk)
        .iter()
        .filter(|d| d.disk_device().as_deref().unwrap_or("disk") == "disk")
        .filter(|d| !d.readonly())
        .filter_map(|d| {
            Some(LocalDisk {
                target: d.target_dev()?,
                path: d.source_file().or_else(|| d.source_dev())?,
                format: d.driver_type().unwrap_or_else(|| "raw".into()),
            })
        })
        .collect()
}

/// The XML the destination starts from: the source's migratable XML with
/// each copied disk (`moves`: target, new path) pointing at its new volume.
pub fn destination_xml(migratable: &str, moves: &[(String, String)]) -> Result<String, XmlError> {
    let mut xml = DomainXml::parse(migratable)?;
    let disks = xml.devices(DeviceKind::Disk).len();
    for i in 0..disks {
        let Some(mut disk) = xml.device_mut(DeviceKind::Disk, i) else {
            continue;
        };
        let target = disk.view().target_dev();
        let Some((_, path)) = moves.iter().find(|(t, _)| Some(t) == target.as_ref()) else {
            continue;
        };
        // A file volume, whatever the source was (file, block, pool volume).
        disk.set("@type", Some("file"));
        disk.set("source/@dev", None);
        disk.set("source/@pool", None);
        disk.set("source/@volume", None);
        disk.set("source/@file", Some(path));
    }
    Ok(xml.to_xml_string())
}

/// What the destination host offers, as far as the checks need.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DestinationFacts {
    /// Its libvirt host UUID.
    pub host_uuid: String,
    /// Its virtual networks: (name, active).
    pub networks: Vec<(String, bool)>,
    /// Bridges known there (of its networks and its host interfaces);
    /// `None` when the host does not say.
    pub bridges: Option<Vec<String>>,
    /// Its storage pools: (name, active).
    pub pools: Vec<(String, bool)>,
    /// Disk paths of the VM that exist on the destination too.
    pub shared_paths: Vec<String>,
    /// Names of the volumes already in each chosen pool: (pool, volume).
    pub taken_volumes: Vec<(String, String)>,
    /// The destination's verdict on the guest's CPU, when it has one
    /// (libvirt's comparison message).
    pub cpu_problem: Option<String>,
    /// A VM with this UUID or name already runs there.
    pub vm_running_there: bool,
    /// The VM's disk paths that are no volume of a pool on the source (a
    /// shut-off VM's disks are copied volume to volume).
    pub unpooled_paths: Vec<String>,
}

/// Something that stops a migration; the UI says it in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// Both connections reach the same libvirt host (UUID).
    SameHost,
    /// The VM is already running on the destination.
    AlreadyThere,
    /// A virtual network the VM uses is not defined there.
    MissingNetwork(String),
    /// …or is defined but not running.
    InactiveNetwork(String),
    /// A host bridge the VM uses is not there.
    MissingBridge(String),
    /// The destination cannot give the guest its CPU.
    Cpu(String),
    /// A disk on the source's own storage, with storage not copied.
    LocalDisk { target: String, path: String },
    /// A copied disk with no destination pool chosen.
    NoPool { target: String },
    /// The chosen pool is not there or not running.
    PoolUnavailable { target: String, pool: String },
    /// A volume with the disk's name is already in the chosen pool.
    VolumeExists {
        target: String,
        pool: String,
        name: String,
    },
    /// A shut-off VM's disk to copy that is no volume of a storage pool
    /// (its contents are streamed volume to volume).
    NotAVolume { target: String, path: String },
}

impl std::fmt::Display for Problem {
    /// In English, for logs and the command line; the UI words its own.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::SameHost => write!(f, "both connections reach the same host (host UUID)"),
            Problem::AlreadyThere => write!(f, "the VM already runs on the destination"),
            Problem::MissingNetwork(n) => write!(f, "network “{n}” is not on the destination"),
            Problem::InactiveNetwork(n) => {
                write!(f, "network “{n}” is not running on the destination")
            }
            Problem::MissingBridge(b) => write!(f, "bridge “{b}” is not on the destination"),
            Problem::Cpu(m) => write!(f, "the destination cannot provide the CPU: {m}"),
            Problem::LocalDisk { target, path } => {
                write!(
                    f,
                    "disk {target} ({path}) is not on the destination; copy storage"
                )
            }
            Problem::NoPool { target } => write!(f, "no destination pool chosen for disk {target}"),
            Problem::PoolUnavailable { target, pool } => {
                write!(
                    f,
                    "pool “{pool}” for disk {target} is not running on the destination"
                )
            }
            Problem::VolumeExists { target, pool, name } => {
                write!(
                    f,
                    "pool “{pool}” already has a volume “{name}” (disk {target})"
                )
            }
            Problem::NotAVolume { target, path } => write!(
                f,
                "disk {target} ({path}) is in no storage pool: a shut-off VM's disks are copied as volumes"
            ),
        }
    }
}

/// The volume name a copied disk gets: its image's file name.
pub fn volume_name(path: &str) -> String {
    path.rsplit('/').next().unwrap_or(path).to_owned()
}

/// Everything that will not work, in the order the dialog lists them.
/// `running`: the VM runs (a live move) or not (offline).
pub fn check(
    xml: &DomainXml,
    running: bool,
    source_host_uuid: &str,
    dest: &DestinationFacts,
    plan: &MigratePlan,
) -> Vec<Problem> {
    let mut out = Vec::new();
    if !source_host_uuid.is_empty() && source_host_uuid == dest.host_uuid {
        out.push(Problem::SameHost);
    }
    if dest.vm_running_there {
        out.push(Problem::AlreadyThere);
    }
    for iface in xml.devices(DeviceKind::Interface) {
        match iface.device_type().as_deref() {
            Some("network") => {
                let Some(name) = iface.source_network() else {
                    continue;
                };
                match dest.networks.iter().find(|(n, _)| *n == name) {
                    None => out.push(Problem::MissingNetwork(name)),
                    Some((_, false)) if running => out.push(Problem::InactiveNetwork(name)),
                    _ => {}
                }
            }
            Some("bridge") => {
                if let (Some(bridge), Some(known)) = (iface.source_bridge(), &dest.bridges)
                    && !known.contains(&bridge)
                {
                    out.push(Problem::MissingBridge(bridge));
                }
            }
            _ => {}
        }
    }
    if let Some(cpu) = &dest.cpu_problem {
        out.push(Problem::Cpu(cpu.clone()));
    }
    for disk in local_disks(xml) {
        if !plan.copy_storage {
            if !dest.shared_paths.contains(&disk.path) {
                out.push(Problem::LocalDisk {
                    target: disk.target,
                    path: disk.path,
                });
            }
            continue;
        }
        if !running && dest.unpooled_paths.contains(&disk.path) {
            out.push(Problem::NotAVolume {
                target: disk.target,
                path: disk.path,
            });
            continue;
        }
        let Some((_, pool)) = plan.pools.iter().find(|(t, _)| *t == disk.target) else {
            out.push(Problem::NoPool {
                target: disk.target,
            });
            continue;
        };
        if !dest.pools.iter().any(|(p, active)| p == pool && *active) {
            out.push(Problem::PoolUnavailable {
                target: disk.target,
                pool: pool.clone(),
            });
            continue;
        }
        let name = volume_name(&disk.path);
        if dest
            .taken_volumes
            .iter()
            .any(|(p, v)| p == pool && *v == name)
        {
            out.push(Problem::VolumeExists {
                target: disk.target,
                pool: pool.clone(),
                name,
            });
        }
    }
    out
}

/// One reading of the migration job, on the source.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    pub elapsed_ms: u64,
    /// Memory and disk data, in bytes.
    pub total: u64,
    pub processed: u64,
    pub remaining: u64,
    pub mem_remaining: Option<u64>,
    pub disk_remaining: Option<u64>,
    /// Bytes per second, memory and disk together.
    pub rate: Option<u64>,
    /// The guest's pause at the switch-over, once known.
    pub downtime_ms: Option<u64>,
}

impl Progress {
    /// Done so far, 0.0 to 1.0.
    pub fn fraction(&self) -> f64 {
        if self.total == 0 {
            return 0.0;
        }
        (self.total.saturating_sub(self.remaining) as f64 / self.total as f64).clamp(0.0, 1.0)
    }

    /// Seconds left at the current rate.
    pub fn seconds_left(&self) -> Option<u64> {
        let rate = self.rate.filter(|r| *r > 0)?;
        Some(self.remaining.div_ceil(rate))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VM: &str = r#"<domain type='qemu'>
  <name>tiny</name>
  <uuid>8f1d2c3e-1111-4222-8333-944455556666</uuid>
  <memory unit='KiB'>196608</memory>
  <os><type arch='x86_64'>hvm</type></os>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='/a/images/tiny.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <disk type='file' device='cdrom'>
      <source file='/a/install.iso'/>
      <target dev='sda' bus='sata'/>
      <readonly/>
    </disk>
    <disk type='block' device='disk'>
      <source dev='/dev/vg/data'/>
      <target dev='vdb' bus='virtio'/>
    </disk>
    <interface type='network'><source network='default'/></interface>
    <interface type='bridge'><source bridge='br0'/></interface>
  </devices>
</domain>"#;

    fn facts() -> DestinationFacts {
        DestinationFacts {
            host_uuid: "b".into(),
            networks: vec![("default".into(), true)],
            bridges: Some(vec!["br0".into(), "virbr0".into()]),
            pools: vec![("default".into(), true), ("off".into(), false)],
            ..Default::default()
        }
    }

    fn copy_all() -> MigratePlan {
        MigratePlan {
            copy_storage: true,
            pools: vec![
                ("vda".into(), "default".into()),
                ("vdb".into(), "default".into()),
            ],
            ..Default::default()
        }
    }

    #[test]
    fn local_disks_leave_media_out() {
        let xml = DomainXml::parse(VM).unwrap();
        let disks = local_disks(&xml);
        assert_eq!(
            disks,
            vec![
                LocalDisk {
                    target: "vda".into(),
                    path: "/a/images/tiny.qcow2".into(),
                    format: "qcow2".into()
                },
                LocalDisk {
                    target: "vdb".into(),
                    path: "/dev/vg/data".into(),
                    format: "raw".into()
                },
            ]
        );
    }

    #[test]
    fn a_ready_destination_has_no_problems() {
        let xml = DomainXml::parse(VM).unwrap();
        assert_eq!(check(&xml, true, "a", &facts(), &copy_all()), vec![]);
    }

    #[test]
    fn the_same_host_and_missing_pieces_are_named() {
        let xml = DomainXml::parse(VM).unwrap();
        let mut dest = facts();
        dest.host_uuid = "a".into();
        dest.networks = vec![];
        dest.bridges = Some(vec![]);
        dest.cpu_problem = Some("no avx512".into());
        let problems = check(&xml, true, "a", &dest, &MigratePlan::default());
        assert_eq!(
            problems,
            vec![
                Problem::SameHost,
                Problem::MissingNetwork("default".into()),
                Problem::MissingBridge("br0".into()),
                Problem::Cpu("no avx512".into()),
                Problem::LocalDisk {
                    target: "vda".into(),
                    path: "/a/images/tiny.qcow2".into()
                },
                Problem::LocalDisk {
                    target: "vdb".into(),
                    path: "/dev/vg/data".into()
                },
            ]
        );
        // Shared storage: the same paths exist there.
        dest.shared_paths = vec!["/a/images/tiny.qcow2".into(), "/dev/vg/data".into()];
        dest.host_uuid = "b".into();
        dest.bridges = None; // unknown: not a problem
        dest.cpu_problem = None;
        dest.networks = vec![("default".into(), false)];
        assert_eq!(
            check(&xml, true, "a", &dest, &MigratePlan::default()),
            vec![Problem::InactiveNetwork("default".into())]
        );
        // Offline, a stopped network does not matter.
        assert_eq!(
            check(&xml, false, "a", &dest, &MigratePlan::default()),
            vec![]
        );
    }

    #[test]
    fn copied_disks_need_a_running_pool_and_a_free_name() {
        let xml = DomainXml::parse(VM).unwrap();
        let mut dest = facts();
        dest.taken_volumes = vec![("default".into(), "tiny.qcow2".into())];
        let mut plan = copy_all();
        plan.pools[1].1 = "off".into();
        assert_eq!(
            check(&xml, true, "a", &dest, &plan),
            vec![
                Problem::VolumeExists {
                    target: "vda".into(),
                    pool: "default".into(),
                    name: "tiny.qcow2".into()
                },
                Problem::PoolUnavailable {
                    target: "vdb".into(),
                    pool: "off".into()
                },
            ]
        );
        plan.pools.pop();
        assert!(
            check(&xml, true, "a", &facts(), &plan).contains(&Problem::NoPool {
                target: "vdb".into()
            })
        );
        // Shut off, disks are copied volume to volume: a block device in no
        // pool cannot be.
        assert_eq!(check(&xml, false, "a", &facts(), &copy_all()), vec![]);
        let mut dest = facts();
        dest.unpooled_paths = vec!["/dev/vg/data".into()];
        assert_eq!(
            check(&xml, false, "a", &dest, &copy_all()),
            vec![Problem::NotAVolume {
                target: "vdb".into(),
                path: "/dev/vg/data".into()
            }]
        );
        assert_eq!(check(&xml, true, "a", &dest, &copy_all()), vec![]);
    }

    #[test]
    fn the_destination_xml_points_at_the_new_volumes() {
        let out = destination_xml(
            VM,
            &[
                ("vda".into(), "/b/pool/tiny.qcow2".into()),
                ("vdb".into(), "/b/pool/data".into()),
            ],
        )
        .unwrap();
        let xml = DomainXml::parse(&out).unwrap();
        let disks = xml.devices(DeviceKind::Disk);
        assert_eq!(
            disks[0].source_file().as_deref(),
            Some("/b/pool/tiny.qcow2")
        );
        assert_eq!(disks[1].source_file().as_deref(), Some("/a/install.iso"));
        assert_eq!(disks[2].source_file().as_deref(), Some("/b/pool/data"));
        assert_eq!(disks[2].source_dev(), None);
        assert_eq!(disks[2].device_type().as_deref(), Some("file"));
        assert!(out.contains("<name>tiny</name>"));
    }

    #[test]
    fn uris_and_progress_read_as_expected() {
        assert_eq!(
            migration_uri("10.0.0.2", Some(49152)),
            "tcp://10.0.0.2:49152"
        );
        assert_eq!(migration_uri("fd00::2", None), "tcp://[fd00::2]");
        assert_eq!(migration_uri("b.example", None), "tcp://b.example");
        let p = Progress {
            total: 1000,
            remaining: 250,
            rate: Some(100),
            ..Default::default()
        };
        assert_eq!(p.fraction(), 0.75);
        assert_eq!(p.seconds_left(), Some(3));
        assert_eq!(Progress::default().fraction(), 0.0);
        assert_eq!(Progress::default().seconds_left(), None);
    }
}
