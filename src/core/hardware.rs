//! Changing a VM's hardware: the device XML that libvirt's attach, detach
//! and update calls take, built from the VM's own XML so that everything
//! Vireo does not model stays as it was.

use super::wizard::NewVolume;
use super::xml::builder;
use super::xml::{DeviceKind, DomainXml, Element};

/// Where a changed device takes effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope {
    /// The running guest (only when it runs).
    pub live: bool,
    /// The persistent definition (from the next boot on).
    pub persistent: bool,
}

impl Scope {
    pub const BOTH: Scope = Scope {
        live: true,
        persistent: true,
    };
    pub const NEXT_BOOT: Scope = Scope {
        live: false,
        persistent: true,
    };
    pub const NOW_ONLY: Scope = Scope {
        live: true,
        persistent: false,
    };
}

/// Device names a bus gives its disks: `vd*` on virtio, `hd*` on IDE, `sd*`
/// on SCSI, SATA and USB.
pub fn target_prefix(bus: &str) -> &'static str {
    match bus {
        "virtio" => "vd",
        "ide" => "hd",
        "fdc" => "fd",
        _ => "sd",
    }
}

/// Buses whose disks QEMU can add to a running guest.
pub fn hotpluggable(bus: &str) -> bool {
    matches!(bus, "virtio" | "scsi" | "usb")
}

/// `a`, `b`, … `z`, `aa`, `ab`, … as the kernel names disks.
fn letters(mut n: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'a' + (n % 26) as u8);
        if n < 26 {
            break;
        }
        n = n / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).expect("ASCII letters")
}

/// The first free target name on `bus` among the VM's disks (`vdb` after
/// `vda`).
pub fn next_target(vm: &DomainXml, bus: &str) -> String {
    let taken: Vec<String> = vm
        .devices(DeviceKind::Disk)
        .iter()
        .filter_map(|d| d.target_dev())
        .collect();
    let prefix = target_prefix(bus);
    (0..)
        .map(|n| format!("{prefix}{}", letters(n)))
        .find(|t| !taken.contains(t))
        .expect("some name is free")
}

/// A size as users write it: `8 GiB`, `512M`, `0.5 G`, `64 MiB`, `1T`;
/// a bare number is GiB. Bytes, or `None` for nonsense, zero or negative.
pub fn parse_size(text: &str) -> Option<u64> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let value: f64 = number.replace(',', ".").parse().ok()?;
    let unit = unit.trim().to_ascii_lowercase();
    let scale: u64 = match unit.trim_end_matches('b').trim_end_matches('i') {
        "" if unit.is_empty() => 1 << 30,
        "k" => 1 << 10,
        "m" => 1 << 20,
        "g" => 1 << 30,
        "t" => 1 << 40,
        _ => return None,
    };
    let bytes = value * scale as f64;
    (value.is_finite() && bytes >= 1.0 && bytes < u64::MAX as f64).then(|| bytes.round() as u64)
}

/// Where a new disk's storage comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiskStorage {
    /// A new qcow2 volume in a pool whose directory is `pool_path`.
    NewVolume {
        pool: String,
        pool_path: String,
        name: String,
        size_bytes: u64,
    },
    /// An existing image file (or volume path) in `format`.
    Existing { path: String, format: String },
}

/// A disk for Add Hardware.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDisk {
    pub storage: DiskStorage,
    /// virtio, scsi, sata, usb, ide.
    pub bus: String,
    /// none, writeback, writethrough, directsync, unsafe; `None` = QEMU's default.
    pub cache: Option<String>,
}

impl NewDisk {
    /// The volume to create first, if any.
    pub fn volume(&self) -> Option<NewVolume> {
        let DiskStorage::NewVolume {
            pool,
            name,
            size_bytes,
            ..
        } = &self.storage
        else {
            return None;
        };
        Some(NewVolume {
            pool: pool.clone(),
            name: name.clone(),
            capacity_bytes: *size_bytes,
            xml: super::wizard::volume_xml(name, *size_bytes),
        })
    }

    /// The `<disk>` element for `vm` (its target the next free one).
    pub fn element(&self, vm: &DomainXml) -> Element {
        let target = next_target(vm, &self.bus);
        let disk = match &self.storage {
            DiskStorage::NewVolume {
                pool_path, name, ..
            } => builder::disk_file(
                &format!("{}/{name}", pool_path.trim_end_matches('/')),
                "qcow2",
                &target,
                &self.bus,
            ),
            DiskStorage::Existing { path, format } => {
                builder::disk_file(path, format, &target, &self.bus)
            }
        };
        let disk = match &self.cache {
            Some(c) => builder::with_cache(disk, c),
            None => disk,
        };
        disk.into_pretty()
    }

    /// The device XML for `virDomainAttachDeviceFlags`.
    pub fn xml(&self, vm: &DomainXml) -> String {
        self.element(vm).to_xml_string()
    }
}

/// The kinds Add Hardware offers besides disks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NewDevice {
    /// An empty or loaded CD-ROM drive on `bus` (sata, ide, scsi, usb).
    Cdrom { bus: String, iso: Option<String> },
    /// A NIC with `model` (virtio, e1000e, rtl8139).
    Interface {
        source: super::wizard::NetworkChoice,
        model: String,
    },
    /// A display: `vnc` or `spice`, local only.
    Graphics { kind: String },
    /// A video adapter: virtio, vga, bochs, qxl, ramfb.
    Video { model: String },
    /// A sound card: ich9, ich6, ac97.
    Sound { model: String },
    /// An input device: tablet, mouse or keyboard on usb or virtio.
    Input { kind: String, bus: String },
    /// A serial port on a pseudo-terminal.
    Serial,
    /// The QEMU guest agent's channel.
    GuestAgent,
    /// A virtio RNG fed by the host's /dev/urandom.
    Rng,
    /// An emulated TPM 2.0 (swtpm).
    Tpm { model: String },
    /// A USB device of the host, by vendor and product ID (hex, `0x1234`).
    UsbHost { vendor: String, product: String },
}

impl NewDevice {
    /// The device element, for `vm` (CD-ROMs take the next free name).
    pub fn element(&self, vm: &DomainXml) -> Element {
        use super::wizard::NetworkChoice as N;
        let e = match self {
            NewDevice::Cdrom { bus, iso } => {
                builder::cdrom(iso.as_deref(), &next_target(vm, bus), bus)
            }
            NewDevice::Interface { source, model } => match source {
                N::Virtual(n) => builder::interface_network(n, model, None),
                N::Bridge(b) => builder::interface_bridge(b, model, None),
                N::Macvtap(d) => builder::interface_direct(d, "bridge", model, None),
                N::User | N::None => builder::interface_user(model, None),
            },
            NewDevice::Graphics { kind } => Element::new("graphics")
                .with_attr("type", kind)
                .with_child(Element::new("listen").with_attr("type", "socket")),
            NewDevice::Video { model } => builder::video(model),
            NewDevice::Sound { model } => builder::sound(model),
            NewDevice::Input { kind, bus } => builder::input(kind, bus),
            NewDevice::Serial => builder::serial_pty(),
            NewDevice::GuestAgent => builder::channel_guest_agent(),
            NewDevice::Rng => builder::rng("/dev/urandom"),
            NewDevice::Tpm { model } => builder::tpm_emulator(model, "2.0"),
            NewDevice::UsbHost { vendor, product } => Element::new("hostdev")
                .with_attr("mode", "subsystem")
                .with_attr("type", "usb")
                .with_attr("managed", "yes")
                .with_child(
                    Element::new("source")
                        .with_child(Element::new("vendor").with_attr("id", vendor))
                        .with_child(Element::new("product").with_attr("id", product)),
                ),
        };
        e.into_pretty()
    }

    /// The device XML for `virDomainAttachDeviceFlags`.
    pub fn xml(&self, vm: &DomainXml) -> String {
        self.element(vm).to_xml_string()
    }
}

/// A setting whose saved value differs from the running guest's: it takes
/// effect at the next boot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// What it is, in the UI's words: `vcpus`, `memory`, `max-memory`,
    /// `disk`, `interface`, `title`, `description`, `machine`, `boot`,
    /// `boot-menu`, `nic-model`, `nic-link`, `disk-cache`, `video-model`,
    /// `sound-model`.
    pub what: &'static str,
    /// The running guest's value (empty when it lacks the device).
    pub now: String,
    /// The saved value.
    pub next_boot: String,
}

/// What the saved definition will change at the next boot, compared with
/// the running guest: the settings users edit (CPUs, memory, disks and
/// their media, network interfaces, title, machine, boot order). Runtime
/// details libvirt adds to live XML (aliases, ports) are not compared.
pub fn pending_changes(live: &DomainXml, saved: &DomainXml) -> Vec<Pending> {
    let mut out = Vec::new();
    let mut cmp = |what: &'static str, now: Option<String>, next: Option<String>| {
        if now != next {
            out.push(Pending {
                what,
                now: now.unwrap_or_default(),
                next_boot: next.unwrap_or_default(),
            });
        }
    };
    let vcpus = |vm: &DomainXml| {
        vm.vcpus_current()
            .ok()
            .flatten()
            .or(vm.vcpus_max().ok().flatten())
            .map(|n| n.to_string())
    };
    cmp("vcpus", vcpus(live), vcpus(saved));
    let mem = |vm: &DomainXml| {
        vm.current_memory_kib()
            .ok()
            .flatten()
            .or(vm.memory_kib().ok().flatten())
            .map(|k| format!("{} MiB", k / 1024))
    };
    cmp("memory", mem(live), mem(saved));
    let max = |vm: &DomainXml| {
        vm.memory_kib()
            .ok()
            .flatten()
            .map(|k| format!("{} MiB", k / 1024))
    };
    cmp("max-memory", max(live), max(saved));
    cmp("title", live.title(), saved.title());
    cmp("description", live.description(), saved.description());
    let menu = |vm: &DomainXml| vm.boot_menu().ok().flatten().unwrap_or(false).to_string();
    cmp("boot-menu", Some(menu(live)), Some(menu(saved)));
    // The device settings the Details page edits, device by device.
    for (what, kind, path) in [
        ("nic-model", DeviceKind::Interface, "model/@type"),
        ("nic-link", DeviceKind::Interface, "link/@state"),
        ("disk-cache", DeviceKind::Disk, "driver/@cache"),
        ("video-model", DeviceKind::Video, "model/@type"),
        ("sound-model", DeviceKind::Sound, "@model"),
    ] {
        for (i, d) in saved.devices(kind).iter().enumerate() {
            let key = crate::core::edit::DeviceKey::of(d, i);
            let Some(j) = key.find(live, kind) else {
                continue;
            };
            let id = match &key {
                crate::core::edit::DeviceKey::Target(t) | crate::core::edit::DeviceKey::Mac(t) => {
                    format!("{t}: ")
                }
                crate::core::edit::DeviceKey::Index(_) => String::new(),
            };
            let (now, next) = (live.devices(kind)[j].get(path), d.get(path));
            // An absent link state is an up link.
            let norm = |v: Option<String>| match (what, v) {
                ("nic-link", None) => Some("up".to_owned()),
                (_, v) => v,
            };
            cmp(
                what,
                norm(now).map(|v| format!("{id}{v}")),
                norm(next).map(|v| format!("{id}{v}")),
            );
        }
    }
    // The machine type: live XML names the versioned machine (pc-q35-7.2)
    // the alias resolved to; compare only when the saved one is versioned.
    if saved.machine().is_some_and(|m| m.contains('-')) {
        cmp("machine", live.machine(), saved.machine());
    }
    cmp(
        "boot",
        Some(live.boot_devices().join(", ")),
        Some(saved.boot_devices().join(", ")),
    );
    let disks = |vm: &DomainXml| -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = vm
            .devices(DeviceKind::Disk)
            .iter()
            .filter_map(|d| Some((d.target_dev()?, d.disk_source().unwrap_or_default())))
            .collect();
        v.sort();
        v
    };
    let (dl, ds) = (disks(live), disks(saved));
    let targets: std::collections::BTreeSet<&String> =
        dl.iter().chain(ds.iter()).map(|(t, _)| t).collect();
    for t in targets {
        let find = |v: &[(String, String)]| v.iter().find(|(x, _)| x == t).map(|(_, s)| s.clone());
        let (now, next) = (find(&dl), find(&ds));
        if now != next {
            out.push(Pending {
                what: "disk",
                now: now
                    .map(|s| format!("{t} {s}").trim().to_owned())
                    .unwrap_or_default(),
                next_boot: next
                    .map(|s| format!("{t} {s}").trim().to_owned())
                    .unwrap_or_default(),
            });
        }
    }
    let macs = |vm: &DomainXml| -> Vec<String> {
        let mut v: Vec<String> = vm
            .devices(DeviceKind::Interface)
            .iter()
            .filter_map(|d| d.mac())
            .collect();
        v.sort();
        v
    };
    let (ml, ms) = (macs(live), macs(saved));
    for m in ms.iter().filter(|m| !ml.contains(m)) {
        out.push(Pending {
            what: "interface",
            now: String::new(),
            next_boot: m.clone(),
        });
    }
    for m in ml.iter().filter(|m| !ms.contains(m)) {
        out.push(Pending {
            what: "interface",
            now: m.clone(),
            next_boot: String::new(),
        });
    }
    out
}

/// Why a media change cannot be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaError {
    /// No CD-ROM (or floppy) with that target.
    NoDrive(String),
}

impl std::fmt::Display for MediaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MediaError::NoDrive(t) => write!(f, "the VM has no CD-ROM drive “{t}”"),
        }
    }
}

/// The removable drives (CD-ROMs and floppies) of a VM: target, current media.
pub fn removable_drives(vm: &DomainXml) -> Vec<(String, Option<String>)> {
    vm.devices(DeviceKind::Disk)
        .iter()
        .filter(|d| matches!(d.disk_device().as_deref(), Some("cdrom" | "floppy")))
        .filter_map(|d| Some((d.target_dev()?, d.disk_source())))
        .collect()
}

/// The drive `target` of `vm` with `iso` inserted (`None`: ejected), as
/// `virDomainUpdateDeviceFlags` takes it: the drive's own element with only
/// its source changed.
pub fn media_xml(vm: &DomainXml, target: &str, iso: Option<&str>) -> Result<String, MediaError> {
    let disks = vm.devices(DeviceKind::Disk);
    let index = disks
        .iter()
        .position(|d| {
            d.target_dev().as_deref() == Some(target)
                && matches!(d.disk_device().as_deref(), Some("cdrom" | "floppy"))
        })
        .ok_or_else(|| MediaError::NoDrive(target.to_owned()))?;
    let mut copy = vm.clone();
    let mut drive = copy
        .device_mut(DeviceKind::Disk, index)
        .expect("the index was just found");
    // A network or block source becomes a plain file source.
    drive.set("@type", Some("file"));
    drive.set_disk_file(iso);
    Ok(drive.view().to_xml_string())
}

/// The image (or device) behind disk `target`, if it has one.
pub fn disk_source(vm: &DomainXml, target: &str) -> Option<String> {
    vm.devices(DeviceKind::Disk)
        .iter()
        .find(|d| d.target_dev().as_deref() == Some(target))
        .and_then(|d| d.disk_source())
}

/// The XML of the disk with target `target`, for `virDomainDetachDeviceFlags`.
pub fn disk_xml_by_target(vm: &DomainXml, target: &str) -> Option<String> {
    vm.devices(DeviceKind::Disk)
        .iter()
        .find(|d| d.target_dev().as_deref() == Some(target))
        .map(|d| d.to_xml_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const VM: &str = "<domain type='qemu'><name>t</name><devices>\
        <disk type='file' device='disk'><source file='/a.qcow2'/><target dev='vda' bus='virtio'/></disk>\
        <disk type='file' device='cdrom'><driver name='qemu' type='raw'/><target dev='hdc' bus='ide'/><readonly/></disk>\
        </devices></domain>";

    #[test]
    fn every_kind_of_device_has_its_element() {
        use crate::core::wizard::NetworkChoice;
        let vm = DomainXml::parse(VM).unwrap();
        let xml = |d: NewDevice| d.xml(&vm);
        assert!(
            xml(NewDevice::Cdrom {
                bus: "sata".into(),
                iso: None
            })
            .contains("<target dev='sda' bus='sata'/>")
        );
        assert!(
            xml(NewDevice::Interface {
                source: NetworkChoice::Virtual("default".into()),
                model: "virtio".into()
            })
            .contains("<source network='default'/>")
        );
        assert!(
            xml(NewDevice::Graphics {
                kind: "spice".into()
            })
            .starts_with("<graphics type='spice'>")
        );
        assert!(
            xml(NewDevice::UsbHost {
                vendor: "0x046d".into(),
                product: "0xc52b".into()
            })
            .contains("<vendor id='0x046d'/>")
        );
        assert!(xml(NewDevice::Rng).contains("/dev/urandom"));
    }

    #[test]
    fn pending_changes_list_what_the_next_boot_brings() {
        let live = DomainXml::parse(
            "<domain type='kvm'><name>p</name><memory unit='KiB'>2097152</memory>\
             <currentMemory unit='KiB'>1048576</currentMemory><vcpu current='1'>4</vcpu>\
             <os><type machine='pc-q35-7.2'>hvm</type><boot dev='hd'/></os><devices>\
             <disk type='file' device='disk'><source file='/a.qcow2'/><target dev='vda' bus='virtio'/><alias name='virtio-disk0'/></disk>\
             <interface type='network'><mac address='52:54:00:00:00:01'/><source network='default'/><alias name='net0'/></interface>\
             </devices></domain>",
        )
        .unwrap();
        // Same settings in the saved form: nothing pending.
        let same = DomainXml::parse(
            "<domain type='kvm'><name>p</name><memory unit='KiB'>2097152</memory>\
             <currentMemory unit='KiB'>1048576</currentMemory><vcpu current='1'>4</vcpu>\
             <os><type machine='q35'>hvm</type><boot dev='hd'/></os><devices>\
             <disk type='file' device='disk'><source file='/a.qcow2'/><target dev='vda' bus='virtio'/></disk>\
             <interface type='network'><mac address='52:54:00:00:00:01'/><source network='default'/></interface>\
             </devices></domain>",
        )
        .unwrap();
        assert_eq!(pending_changes(&live, &same), vec![]);
        let mut saved = same.clone();
        saved.set_vcpus(4, Some(2));
        saved.set_title(Some("Build box"));
        saved.add_device(
            DomainXml::parse("<domain><devices><disk type='file' device='disk'><source file='/b.img'/><target dev='hda' bus='ide'/></disk></devices></domain>")
                .unwrap()
                .document()
                .root
                .child("devices")
                .unwrap()
                .child("disk")
                .unwrap()
                .clone(),
        );
        let pending = pending_changes(&live, &saved);
        let whats: Vec<&str> = pending.iter().map(|p| p.what).collect();
        assert_eq!(whats, ["vcpus", "title", "disk"], "{pending:?}");
        assert_eq!(
            (pending[0].now.as_str(), pending[0].next_boot.as_str()),
            ("1", "2")
        );
        assert_eq!(pending[2].next_boot, "hda /b.img");
        assert_eq!(pending[2].now, "");

        // Settings the Details page saves for the next boot.
        let mut saved = same.clone();
        for e in [
            crate::core::edit::Edit::BootMenu(true),
            crate::core::edit::Edit::Device {
                kind: DeviceKind::Interface,
                key: crate::core::edit::DeviceKey::Mac("52:54:00:00:00:01".into()),
                path: "model/@type".into(),
                value: Some("e1000e".into()),
            },
            crate::core::edit::Edit::Device {
                kind: DeviceKind::Interface,
                key: crate::core::edit::DeviceKey::Index(0),
                path: "link/@state".into(),
                value: Some("up".into()),
            },
        ] {
            e.apply(&mut saved).unwrap();
        }
        let pending = pending_changes(&live, &saved);
        let got: Vec<(&str, &str, &str)> = pending
            .iter()
            .map(|p| (p.what, p.now.as_str(), p.next_boot.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("boot-menu", "false", "true"),
                ("nic-model", "", "52:54:00:00:00:01: e1000e")
            ],
            "an explicit up link is no change"
        );
    }

    #[test]
    fn sizes_are_read_with_their_units() {
        assert_eq!(parse_size("8 GiB"), Some(8 << 30));
        assert_eq!(parse_size("8"), Some(8 << 30));
        assert_eq!(parse_size("64 MiB"), Some(64 << 20));
        assert_eq!(parse_size("64M"), Some(64 << 20));
        assert_eq!(parse_size("0.5 G"), Some(512 << 20));
        assert_eq!(parse_size("1,5 GB"), Some(3 << 29));
        assert_eq!(parse_size("2 TiB"), Some(2 << 40));
        for bad in ["", "0", "-3 GiB", "lots", "3 parsecs", "1e3"] {
            assert_eq!(parse_size(bad), None, "{bad}");
        }
    }

    #[test]
    fn targets_are_named_as_the_kernel_names_disks() {
        assert_eq!(letters(0), "a");
        assert_eq!(letters(25), "z");
        assert_eq!(letters(26), "aa");
        assert_eq!(letters(27), "ab");
        let vm = DomainXml::parse(VM).unwrap();
        assert_eq!(next_target(&vm, "virtio"), "vdb");
        assert_eq!(next_target(&vm, "ide"), "hda");
        assert_eq!(next_target(&vm, "sata"), "sda");
        assert!(hotpluggable("virtio") && hotpluggable("scsi") && hotpluggable("usb"));
        assert!(!hotpluggable("ide") && !hotpluggable("sata"));
    }

    #[test]
    fn media_changes_touch_only_the_source() {
        let vm = DomainXml::parse(VM).unwrap();
        assert_eq!(
            removable_drives(&vm),
            vec![("hdc".to_string(), None::<String>)]
        );
        let insert = media_xml(&vm, "hdc", Some("/isos/b.iso")).unwrap();
        assert!(insert.contains("<source file='/isos/b.iso'/>"), "{insert}");
        assert_eq!(
            insert
                .replace("<source file='/isos/b.iso'/>", "")
                .replace(char::is_whitespace, ""),
            "<disktype='file'device='cdrom'><drivername='qemu'type='raw'/>\
             <targetdev='hdc'bus='ide'/><readonly/></disk>",
            "only the source changed"
        );
        let inserted = DomainXml::parse(&VM.replace(
            "<target dev='hdc'",
            "<source file='/isos/a.iso'/><target dev='hdc'",
        ))
        .unwrap();
        let eject = media_xml(&inserted, "hdc", None).unwrap();
        assert!(!eject.contains("source"), "{eject}");
        assert!(eject.contains("<target dev='hdc' bus='ide'/>"));
        assert_eq!(
            media_xml(&vm, "vda", None),
            Err(MediaError::NoDrive("vda".into()))
        );
    }

    #[test]
    fn a_new_disk_takes_the_next_free_name() {
        let vm = DomainXml::parse(VM).unwrap();
        let disk = NewDisk {
            storage: DiskStorage::NewVolume {
                pool: "default".into(),
                pool_path: "/var/lib/libvirt/images/".into(),
                name: "t-1.qcow2".into(),
                size_bytes: 64 << 20,
            },
            bus: "virtio".into(),
            cache: Some("none".into()),
        };
        let xml = disk.xml(&vm);
        assert!(
            xml.contains("<source file='/var/lib/libvirt/images/t-1.qcow2'/>"),
            "{xml}"
        );
        assert!(xml.contains("<target dev='vdb' bus='virtio'/>"), "{xml}");
        assert!(xml.contains("cache='none'"), "{xml}");
        assert_eq!(disk.volume().unwrap().capacity_bytes, 64 << 20);
        assert_eq!(
            disk_xml_by_target(&vm, "vda").as_deref(),
            Some(
                "<disk type='file' device='disk'><source file='/a.qcow2'/><target dev='vda' bus='virtio'/></disk>"
            )
        );
    }
}
