//! The New VM wizard's model: the user's choices ([`Plan`]), what the host
//! offers ([`HostFacts`]), the checks of each page ([`check`]), and the
//! libvirt XML the choices become. The wizard's pages and `vireo create`
//! both fill a [`Plan`], so the same choices give the same XML.

pub mod args;
pub mod check;
mod display;
pub mod os;
pub mod tree;

pub use check::{Page, Problem, Severity};
pub use display::{DisplayChoice, TextConsoleChoice, cpuset_cpus};
pub use os::{FirmwarePolicy, OsProfile, Resources};

use super::xml::Element;
use super::xml::builder::{self, DomainBuilder, Firmware};

/// One GiB in bytes.
pub const GIB: u64 = 1 << 30;

/// Where the guest's OS comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InstallSource {
    /// An ISO image on the host (`--cdrom PATH`); a pool volume is given by
    /// its path.
    Iso(String),
    /// A network install tree (`--location URL`): its kernel and initrd are
    /// booted directly, with extra kernel arguments.
    Location { url: String, kernel_args: String },
    /// Boot an existing disk image as it is (`--import`).
    Import { path: String, format: String },
    /// No install media: an empty CD-ROM drive to insert one later.
    Manual,
}

/// Where the guest's disk comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum StorageChoice {
    /// A new qcow2 volume named after the VM in a storage pool.
    New { pool: String, size_bytes: u64 },
    /// An existing image file or volume, by path, with its format.
    Existing { path: String, format: String },
    /// A new image at `path` (`--disk path=P,size=N`), made through
    /// libvirt's storage API in the pool that holds its directory (a
    /// directory pool is made for it when none does), as virt-install does.
    NewAt { path: String, size_bytes: u64 },
    /// No disk.
    None,
}

/// How the guest reaches the network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetworkChoice {
    /// A libvirt virtual network (`network=default`).
    Virtual(String),
    /// A host bridge (`bridge=br0`).
    Bridge(String),
    /// macvtap on a host interface.
    Macvtap(String),
    /// User-mode networking (no host setup, no inbound connections).
    User,
    None,
}

/// The hypervisor type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VirtType {
    /// KVM when the host offers it, else QEMU emulation.
    Auto,
    Kvm,
    Qemu,
}

/// The firmware.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FirmwareChoice {
    /// What the OS needs (see [`FirmwarePolicy`]).
    Auto,
    Bios,
    Uefi {
        secure_boot: bool,
    },
}

/// Every choice of the wizard.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub name: String,
    pub source: InstallSource,
    pub os: OsProfile,
    pub virt_type: VirtType,
    /// Guest architecture (`x86_64`).
    pub arch: String,
    /// Machine type; `None` chooses from the OS (q35 or pc).
    pub machine: Option<String>,
    pub firmware: FirmwareChoice,
    pub memory_mib: u64,
    /// Memory the guest may balloon up to (`maxmemory`).
    pub max_memory_mib: Option<u64>,
    pub vcpus: u32,
    /// vCPUs that can be hot-plugged later (`maxvcpus`).
    pub max_vcpus: Option<u32>,
    pub storage: StorageChoice,
    pub network: NetworkChoice,
    pub display: DisplayChoice,
    /// The text consoles; empty: a serial port with its console.
    pub consoles: Vec<TextConsoleChoice>,
    /// Host CPUs the vCPUs may run on (`0-1,3`); `None`: any.
    pub cpuset: Option<String>,
}

/// A storage pool as the wizard sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolFacts {
    pub name: String,
    /// Its directory, for pools that have one.
    pub path: Option<String>,
    /// Free bytes, as libvirt last refreshed them.
    pub available: Option<u64>,
    pub active: bool,
    /// Names of its volumes.
    pub volumes: Vec<String>,
}

/// A virtual network as the wizard sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkFacts {
    pub name: String,
    pub active: bool,
    /// nat, route, bridge, open; `None` for an isolated network.
    pub forward_mode: Option<String>,
}

/// What the host offers, read once when the wizard opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostFacts {
    /// The connection reaches this machine: paths can be checked here.
    pub local: bool,
    /// A session (per-user) connection: the default pool lives in the
    /// user's data directory.
    pub session: bool,
    pub arch: String,
    /// Hardware acceleration works (see `host::Acceleration`).
    pub kvm: bool,
    /// Architectures libvirt can emulate, with their machine types.
    pub arches: Vec<(String, Vec<String>)>,
    pub memory_mib: u64,
    pub cpus: u32,
    pub domain_names: Vec<String>,
    pub pools: Vec<PoolFacts>,
    pub networks: Vec<NetworkFacts>,
}

impl HostFacts {
    pub fn pool(&self, name: &str) -> Option<&PoolFacts> {
        self.pools.iter().find(|p| p.name == name)
    }

    pub fn network(&self, name: &str) -> Option<&NetworkFacts> {
        self.networks.iter().find(|n| n.name == name)
    }

    /// The pool a new disk goes to: `default`, else the first active one.
    pub fn default_pool(&self) -> Option<&PoolFacts> {
        self.pool("default")
            .or_else(|| self.pools.iter().find(|p| p.active))
    }

    /// The network a new VM joins: `default`, else the first NAT network.
    pub fn default_network(&self) -> NetworkChoice {
        match self.network("default").or_else(|| {
            self.networks
                .iter()
                .find(|n| n.forward_mode.as_deref() == Some("nat"))
        }) {
            Some(n) => NetworkChoice::Virtual(n.name.clone()),
            // Session daemons have no networks: user-mode works anywhere.
            None => NetworkChoice::User,
        }
    }
}

/// Where the default pool goes when it has to be created.
pub fn default_pool_path(session: bool, data_home: Option<&str>) -> String {
    match (session, data_home) {
        (true, Some(d)) => format!("{d}/libvirt/images"),
        _ => "/var/lib/libvirt/images".into(),
    }
}

/// The XML of a directory pool named `default` at `path`.
pub fn default_pool_xml(path: &str) -> String {
    let pool = Element::new("pool")
        .with_attr("type", "dir")
        .with_child(Element::new("name").with_text("default"))
        .with_child(Element::new("target").with_child(Element::new("path").with_text(path)))
        .into_pretty();
    pool.to_xml_string() + "\n"
}

/// A volume to create before the domain is defined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewVolume {
    pub pool: String,
    pub name: String,
    pub capacity_bytes: u64,
    /// The volume's XML for `virStorageVolCreateXML`.
    pub xml: String,
}

/// The format of a new image at `path`: raw for `.img` and `.raw` files,
/// else qcow2.
pub fn new_image_format(path: &str) -> &'static str {
    if path.ends_with(".img") || path.ends_with(".raw") {
        "raw"
    } else {
        "qcow2"
    }
}

/// The XML of a new, empty qcow2 volume for `virStorageVolCreateXML`.
pub fn volume_xml(name: &str, size_bytes: u64) -> String {
    volume_xml_format(name, size_bytes, "qcow2")
}

/// The XML of a new, empty volume in `format`.
pub fn volume_xml_format(name: &str, size_bytes: u64, format: &str) -> String {
    Element::new("volume")
        .with_child(Element::new("name").with_text(name))
        .with_child(
            Element::new("capacity")
                .with_attr("unit", "bytes")
                .with_text(&size_bytes.to_string()),
        )
        .with_child(Element::new("allocation").with_text("0"))
        .with_child(
            Element::new("target").with_child(Element::new("format").with_attr("type", format)),
        )
        .into_pretty()
        .to_xml_string()
        + "\n"
}

/// A disk image's format from its first bytes: `qcow2` or `raw`.
pub fn image_format(head: &[u8]) -> &'static str {
    if head.starts_with(b"QFI\xfb") {
        "qcow2"
    } else {
        "raw"
    }
}

/// The format of an image file on this machine (`raw` when unreadable:
/// the checks report that).
pub fn probe_format(path: &str) -> &'static str {
    use std::io::Read;
    let mut head = [0u8; 4];
    match std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut head)) {
        Ok(()) => image_format(&head),
        Err(_) => "raw",
    }
}

/// Values the plan leaves to Vireo, resolved against the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub domain_type: &'static str,
    pub machine: String,
    pub firmware: Firmware,
    pub disk_bus: &'static str,
    pub cdrom_bus: &'static str,
    pub nic_model: &'static str,
}

impl Plan {
    /// A plan with the OS's defaults on this host, named `name`.
    pub fn new(name: &str, source: InstallSource, os: OsProfile, host: &HostFacts) -> Plan {
        let storage = match (&source, host.default_pool()) {
            (InstallSource::Import { .. }, _) | (_, None) => StorageChoice::None,
            (_, Some(pool)) => StorageChoice::New {
                pool: pool.name.clone(),
                size_bytes: os.default_disk_gib() * GIB,
            },
        };
        Plan {
            name: name.to_owned(),
            memory_mib: os.default_memory_mib(host.memory_mib),
            vcpus: os.default_vcpus(host.cpus),
            max_memory_mib: None,
            max_vcpus: None,
            source,
            virt_type: VirtType::Auto,
            arch: host.arch.clone(),
            machine: None,
            firmware: FirmwareChoice::Auto,
            storage,
            network: host.default_network(),
            os,
            display: DisplayChoice::default(),
            consoles: Vec::new(),
            cpuset: None,
        }
    }

    /// A name suggested from the OS (`debian12`, `debian12-2`, …) that no
    /// domain of the host has.
    pub fn suggest_name(os: &OsProfile, taken: &[String]) -> String {
        let base = if os.is_generic() {
            "vm".to_owned()
        } else {
            os.short_id
                .chars()
                .map(|c| if check::name_char_ok(c) { c } else { '-' })
                .collect()
        };
        if !taken.iter().any(|t| t == &base) {
            return base;
        }
        (2..)
            .map(|n| format!("{base}-{n}"))
            .find(|candidate| !taken.iter().any(|t| t == candidate))
            .expect("some suffix is free")
    }

    /// Decide what the plan leaves open.
    pub fn resolve(&self, host: &HostFacts) -> Resolved {
        let domain_type = match self.virt_type {
            VirtType::Kvm => "kvm",
            VirtType::Qemu => "qemu",
            VirtType::Auto if host.kvm && self.arch == host.arch => "kvm",
            VirtType::Auto => "qemu",
        };
        let machine = self.machine.clone().unwrap_or_else(|| {
            if self.os.prefers_q35() || self.wants_secure_boot() {
                "q35".into()
            } else {
                "pc".into()
            }
        });
        let firmware = match (self.firmware, self.os.firmware) {
            (FirmwareChoice::Bios, _) => Firmware::Bios,
            (FirmwareChoice::Uefi { secure_boot }, _) => Firmware::Efi { secure_boot },
            (FirmwareChoice::Auto, FirmwarePolicy::UefiOnly { secure_boot }) => {
                Firmware::Efi { secure_boot }
            }
            (FirmwareChoice::Auto, _) => Firmware::Bios,
        };
        let q35 = machine == "q35" || machine.starts_with("pc-q35");
        let legacy_bus = if q35 { "sata" } else { "ide" };
        Resolved {
            domain_type,
            machine,
            firmware,
            disk_bus: if self.os.virtio { "virtio" } else { legacy_bus },
            cdrom_bus: legacy_bus,
            nic_model: match (self.os.virtio, q35) {
                (true, _) => "virtio",
                (false, true) => "e1000e",
                (false, false) => "rtl8139",
            },
        }
    }

    fn wants_secure_boot(&self) -> bool {
        matches!(self.firmware, FirmwareChoice::Uefi { secure_boot: true })
            || matches!(
                (self.firmware, self.os.firmware),
                (
                    FirmwareChoice::Auto,
                    FirmwarePolicy::UefiOnly { secure_boot: true }
                )
            )
    }

    /// The name of the new volume (`<vm>.qcow2`).
    pub fn volume_name(&self) -> String {
        format!("{}.qcow2", self.name)
    }

    /// The volume to create first, if any.
    pub fn new_volume(&self) -> Option<NewVolume> {
        let StorageChoice::New { pool, size_bytes } = &self.storage else {
            return None;
        };
        let name = self.volume_name();
        let xml = volume_xml(&name, *size_bytes);
        Some(NewVolume {
            pool: pool.clone(),
            name,
            capacity_bytes: *size_bytes,
            xml,
        })
    }

    /// The persistent domain XML: what `virDomainDefineXML` receives and the
    /// summary page previews. Network installs boot the tree's kernel from
    /// [`Plan::install_xml`] once; this definition boots from the disk.
    pub fn domain_xml(&self, host: &HostFacts) -> String {
        self.builder(host, None).build()
    }

    /// For a network install: the definition the first boot uses, booting
    /// `kernel` and `initrd` (already on the host) with the tree's URL and
    /// the user's arguments, and stopping instead of rebooting into the
    /// installer again.
    /// `uuid` is the defined domain's: the first boot runs as that domain.
    pub fn install_xml(
        &self,
        host: &HostFacts,
        kernel: &str,
        initrd: &str,
        uuid: Option<&str>,
    ) -> Option<String> {
        let InstallSource::Location { url, kernel_args } = &self.source else {
            return None;
        };
        // An ISO is the installer's CD: no URL to point it at.
        let mut cmdline = if tree::is_local_iso(url) {
            String::new()
        } else {
            format!("{}={url}", self.os_url_argument())
        };
        if !kernel_args.trim().is_empty() && !cmdline.is_empty() {
            cmdline.push(' ');
        }
        if !kernel_args.trim().is_empty() {
            cmdline.push_str(kernel_args.trim());
        }
        let mut b = self.builder(host, Some((kernel, initrd, &cmdline)));
        b.uuid = uuid.map(str::to_owned);
        let mut domain = b.build_element();
        if let Some(on_reboot) = domain.child_mut("on_reboot") {
            on_reboot.set_text(Some("destroy"));
        }
        Some(domain.to_xml_string() + "\n")
    }

    /// The kernel argument naming the install tree (Red Hat's `inst.repo`
    /// family, else Debian's `url`, as libosinfo's kernel-url-argument).
    fn os_url_argument(&self) -> &'static str {
        let id = self.os.short_id.as_str();
        if ["fedora", "rhel", "centos", "rocky", "alma", "ol"]
            .iter()
            .any(|p| id.starts_with(p))
        {
            "inst.repo"
        } else if id.starts_with("opensuse") || id.starts_with("sle") {
            "install"
        } else {
            "url"
        }
    }

    fn builder(&self, host: &HostFacts, kernel: Option<(&str, &str, &str)>) -> DomainBuilder {
        let r = self.resolve(host);
        let memory_mib = self
            .max_memory_mib
            .unwrap_or(self.memory_mib)
            .max(self.memory_mib);
        let mut b = DomainBuilder::new(&self.name, memory_mib * 1024, self.vcpus);
        b.cpuset = self.cpuset.clone();
        b.current_memory_kib = Some(self.memory_mib * 1024);
        b.max_vcpus = self.max_vcpus;
        b.domain_type = r.domain_type.into();
        b.arch = self.arch.clone();
        b.machine = Some(r.machine.clone());
        b.firmware = r.firmware;
        if r.domain_type == "kvm" {
            b.cpu_mode = Some("host-passthrough".into());
        }
        if let Some((k, i, c)) = kernel {
            b.kernel = Some(k.into());
            b.initrd = Some(i.into());
            b.cmdline = Some(c.into());
        }
        b.boot = match self.source {
            InstallSource::Iso(_) => vec!["hd".into(), "cdrom".into()],
            InstallSource::Manual => vec!["hd".into(), "cdrom".into(), "network".into()],
            _ => vec!["hd".into()],
        };
        let q35 = r.cdrom_bus == "sata";
        let letters = |prefix: &str, n: usize| format!("{prefix}{}", (b'a' + n as u8) as char);
        let disk_prefix = match r.disk_bus {
            "virtio" => "vd",
            "ide" => "hd",
            _ => "sd",
        };
        let mut disks = 0usize;
        let mut push_disk = |b: &mut DomainBuilder, disk: Element| {
            b.devices.push(disk);
            disks += 1;
        };
        match &self.source {
            InstallSource::Import { path, format } => {
                let d = builder::disk_file(path, format, &letters(disk_prefix, 0), r.disk_bus);
                push_disk(&mut b, d);
            }
            _ => match &self.storage {
                StorageChoice::New { pool, .. } => {
                    let volume = self.volume_name();
                    let target = letters(disk_prefix, 0);
                    let d = match host.pool(pool).and_then(|p| p.path.as_deref()) {
                        Some(dir) => builder::disk_file(
                            &format!("{}/{volume}", dir.trim_end_matches('/')),
                            "qcow2",
                            &target,
                            r.disk_bus,
                        ),
                        None => builder::disk_volume(pool, &volume, "qcow2", &target, r.disk_bus),
                    };
                    push_disk(&mut b, d);
                }
                StorageChoice::Existing { path, format } => {
                    let d = builder::disk_file(path, format, &letters(disk_prefix, 0), r.disk_bus);
                    push_disk(&mut b, d);
                }
                StorageChoice::NewAt { path, .. } => {
                    let format = new_image_format(path);
                    let d = builder::disk_file(path, format, &letters(disk_prefix, 0), r.disk_bus);
                    push_disk(&mut b, d);
                }
                StorageChoice::None => {}
            },
        }
        // The CD-ROM: on a bus of its own letter range so that it never
        // takes the disk's name (vda + sda, or sda + sdb).
        let cdrom_index = if disk_prefix == "vd" { 0 } else { disks };
        let cdrom_target = letters(if r.cdrom_bus == "ide" { "hd" } else { "sd" }, cdrom_index);
        match &self.source {
            InstallSource::Iso(iso) => {
                b.devices
                    .push(builder::cdrom(Some(iso), &cdrom_target, r.cdrom_bus));
            }
            // An install tree on an ISO: the installer reads the rest of
            // the media from it, as from a CD.
            InstallSource::Location { url, .. } if tree::is_local_iso(url) => {
                let iso = url.strip_prefix("file://").unwrap_or(url);
                b.devices
                    .push(builder::cdrom(Some(iso), &cdrom_target, r.cdrom_bus));
            }
            InstallSource::Manual => {
                b.devices
                    .push(builder::cdrom(None, &cdrom_target, r.cdrom_bus));
            }
            _ => {}
        }
        if q35 {
            b.devices
                .push(builder::controller("usb", 0, Some("qemu-xhci")));
        }
        match &self.network {
            NetworkChoice::Virtual(n) => {
                b.devices
                    .push(builder::interface_network(n, r.nic_model, None))
            }
            NetworkChoice::Bridge(br) => {
                b.devices
                    .push(builder::interface_bridge(br, r.nic_model, None))
            }
            NetworkChoice::Macvtap(dev) => {
                b.devices
                    .push(builder::interface_direct(dev, "bridge", r.nic_model, None))
            }
            NetworkChoice::User => b.devices.push(builder::interface_user(r.nic_model, None)),
            NetworkChoice::None => {}
        }
        if self.consoles.is_empty() {
            b.devices.push(builder::serial_pty());
            b.devices.push(builder::console_pty());
        }
        for console in &self.consoles {
            b.devices.push(match console {
                TextConsoleChoice::Serial => builder::serial_pty(),
                TextConsoleChoice::SerialConsole => builder::console_pty(),
                TextConsoleChoice::VirtioConsole => builder::console_virtio(),
            });
        }
        if self.os.virtio && (self.os.is_linux() || self.os.is_windows()) {
            b.devices.push(builder::channel_guest_agent());
        }
        if let DisplayChoice::Graphical {
            protocol,
            listen,
            port,
            password,
        } = &self.display
        {
            // An absolute pointer, so the console's pointer lands where it is.
            b.devices.push(builder::input("tablet", "usb"));
            let mut g = match (listen, port) {
                // Local consoles are handed over as a file descriptor: a
                // unix socket libvirt names keeps the display off the network.
                (None, None) if host.local => Element::new("graphics")
                    .with_attr("type", protocol)
                    .with_child(Element::new("listen").with_attr("type", "socket")),
                _ => builder::graphics(protocol, listen.as_deref().unwrap_or("127.0.0.1")),
            };
            if let Some(port) = port {
                g = g
                    .with_attr("autoport", "no")
                    .with_attr("port", &port.to_string());
            }
            if let Some(password) = password {
                g = g.with_attr("passwd", password);
            }
            b.devices.push(g);
            if protocol == "spice" {
                b.devices.push(builder::channel_spice_agent());
            }
            b.devices
                .push(builder::video(if self.os.virtio && self.os.is_linux() {
                    "virtio"
                } else if protocol == "spice" {
                    "qxl"
                } else {
                    "vga"
                }));
        }
        if self.os.needs_tpm {
            b.devices.push(builder::tpm_emulator("tpm-crb", "2.0"));
        }
        if self.os.virtio {
            b.devices.push(builder::memballoon("virtio"));
            b.devices.push(builder::rng("/dev/urandom"));
        }
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_formats_are_read_from_the_magic() {
        assert_eq!(image_format(b"QFI\xfb\0\0\0\x03"), "qcow2");
        assert_eq!(image_format(b"\xeb\x63\x90\x10"), "raw");
        assert_eq!(image_format(b""), "raw");
        assert_eq!(probe_format("/nonexistent/vireo.img"), "raw");
    }

    #[test]
    fn names_are_suggested_from_the_os_and_kept_unique() {
        let mut os = OsProfile::generic();
        assert_eq!(Plan::suggest_name(&os, &[]), "vm");
        os.short_id = "debian12".into();
        assert_eq!(Plan::suggest_name(&os, &["web".into()]), "debian12");
        let taken = vec!["debian12".to_string(), "debian12-2".to_string()];
        assert_eq!(Plan::suggest_name(&os, &taken), "debian12-3");
        os.short_id = "opensuse/15.5".into();
        assert_eq!(Plan::suggest_name(&os, &[]), "opensuse-15.5");
    }

    #[test]
    fn cpusets_name_host_cpus() {
        assert_eq!(cpuset_cpus("0"), Some(vec![0]));
        assert_eq!(cpuset_cpus("0-3,^2,6"), Some(vec![0, 1, 3, 6]));
        assert_eq!(cpuset_cpus("3-1"), None);
        assert_eq!(cpuset_cpus("a"), None);
        assert_eq!(cpuset_cpus("1,"), None);
        assert_eq!(
            cpuset_cpus("1,^1"),
            Some(vec![]),
            "empty: refused by the check"
        );
    }

    #[test]
    fn the_default_pool_lives_where_libvirt_puts_it() {
        assert_eq!(
            default_pool_path(true, Some("/home/ann/.local/share")),
            "/home/ann/.local/share/libvirt/images"
        );
        assert_eq!(default_pool_path(false, None), "/var/lib/libvirt/images");
        assert!(default_pool_xml("/p").contains("<path>/p</path>"));
    }
}
