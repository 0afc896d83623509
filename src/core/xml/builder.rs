//! Builders for new domains and devices (the wizard, Add Hardware).
//!
//! Everything built here is checked against libvirt's own schema
//! (`virt-xml-validate`) in the tests.

use super::document::Element;

fn el(name: &str) -> Element {
    Element::new(name)
}

/// Firmware choice of a new domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Firmware {
    Bios,
    /// UEFI, optionally with Secure Boot (which needs SMM and q35).
    Efi {
        secure_boot: bool,
    },
}

/// A new domain.
#[derive(Debug, Clone)]
pub struct DomainBuilder {
    pub name: String,
    pub uuid: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    /// `qemu` (TCG) or `kvm`.
    pub domain_type: String,
    pub arch: String,
    pub machine: Option<String>,
    pub memory_kib: u64,
    /// With memory hot-plug: maximum and slots.
    pub max_memory: Option<(u64, u32)>,
    /// Current memory below the maximum (balloon); `None` = all of it.
    pub current_memory_kib: Option<u64>,
    pub vcpus: u32,
    /// A maximum above `vcpus` for vCPU hot-plug.
    pub max_vcpus: Option<u32>,
    /// Host CPUs the vCPUs may run on (`<vcpu cpuset>`).
    pub cpuset: Option<String>,
    pub firmware: Firmware,
    /// Boot order: hd, cdrom, network, fd.
    pub boot: Vec<String>,
    pub kernel: Option<String>,
    pub initrd: Option<String>,
    pub cmdline: Option<String>,
    /// host-passthrough, host-model, or none (QEMU's default model).
    pub cpu_mode: Option<String>,
    pub emulator: Option<String>,
    pub devices: Vec<Element>,
}

impl DomainBuilder {
    /// A domain with libvirt's defaults for a modern x86-64 guest.
    pub fn new(name: &str, memory_kib: u64, vcpus: u32) -> DomainBuilder {
        DomainBuilder {
            name: name.to_owned(),
            uuid: None,
            title: None,
            description: None,
            domain_type: "qemu".into(),
            arch: "x86_64".into(),
            machine: Some("q35".into()),
            memory_kib,
            max_memory: None,
            current_memory_kib: None,
            vcpus,
            max_vcpus: None,
            cpuset: None,
            firmware: Firmware::Bios,
            boot: vec!["hd".into()],
            kernel: None,
            initrd: None,
            cmdline: None,
            cpu_mode: None,
            emulator: None,
            devices: Vec::new(),
        }
    }

    pub fn device(mut self, device: Element) -> DomainBuilder {
        self.devices.push(device);
        self
    }

    /// The `<domain>` element.
    pub fn build_element(&self) -> Element {
        let mut d = el("domain").with_attr("type", &self.domain_type);
        d = d.with_child(el("name").with_text(&self.name));
        if let Some(u) = &self.uuid {
            d = d.with_child(el("uuid").with_text(u));
        }
        if let Some(t) = &self.title {
            d = d.with_child(el("title").with_text(t));
        }
        if let Some(t) = &self.description {
            d = d.with_child(el("description").with_text(t));
        }
        if let Some((max, slots)) = self.max_memory {
            d = d.with_child(
                el("maxMemory")
                    .with_attr("slots", &slots.to_string())
                    .with_attr("unit", "KiB")
                    .with_text(&max.to_string()),
            );
        }
        d = d.with_child(
            el("memory")
                .with_attr("unit", "KiB")
                .with_text(&self.memory_kib.to_string()),
        );
        let current = self
            .current_memory_kib
            .unwrap_or(self.memory_kib)
            .min(self.memory_kib);
        d = d.with_child(
            el("currentMemory")
                .with_attr("unit", "KiB")
                .with_text(&current.to_string()),
        );
        let max_vcpus = self.max_vcpus.unwrap_or(self.vcpus).max(self.vcpus);
        let mut vcpu = el("vcpu").with_attr("placement", "static");
        if let Some(cpuset) = &self.cpuset {
            vcpu = vcpu.with_attr("cpuset", cpuset);
        }
        if max_vcpus > self.vcpus {
            vcpu = vcpu.with_attr("current", &self.vcpus.to_string());
        }
        d = d.with_child(vcpu.with_text(&max_vcpus.to_string()));

        let mut os = el("os");
        if let Firmware::Efi { .. } = self.firmware {
            os = os.with_attr("firmware", "efi");
        }
        let mut ty = el("type").with_attr("arch", &self.arch);
        if let Some(m) = &self.machine {
            ty = ty.with_attr("machine", m);
        }
        os = os.with_child(ty.with_text("hvm"));
        if let Firmware::Efi { secure_boot } = self.firmware {
            let fw = el("firmware").with_child(
                el("feature")
                    .with_attr("enabled", if secure_boot { "yes" } else { "no" })
                    .with_attr("name", "secure-boot"),
            );
            os = os.with_child(fw);
        }
        for (tag, value) in [
            ("kernel", &self.kernel),
            ("initrd", &self.initrd),
            ("cmdline", &self.cmdline),
        ] {
            if let Some(v) = value {
                os = os.with_child(el(tag).with_text(v));
            }
        }
        if self.kernel.is_none() {
            for b in &self.boot {
                os = os.with_child(el("boot").with_attr("dev", b));
            }
        }
        d = d.with_child(os);

        let mut features = el("features").with_child(el("acpi")).with_child(el("apic"));
        if matches!(self.firmware, Firmware::Efi { secure_boot: true }) {
            features = features.with_child(el("smm").with_attr("state", "on"));
        }
        d = d.with_child(features);
        if let Some(mode) = &self.cpu_mode {
            d = d.with_child(el("cpu").with_attr("mode", mode));
        }
        d = d.with_child(el("clock").with_attr("offset", "utc"));
        d = d.with_child(el("on_poweroff").with_text("destroy"));
        d = d.with_child(el("on_reboot").with_text("restart"));
        d = d.with_child(el("on_crash").with_text("destroy"));
        let mut devices = el("devices");
        if let Some(e) = &self.emulator {
            devices = devices.with_child(el("emulator").with_text(e));
        }
        for dev in &self.devices {
            devices = devices.with_child(dev.clone());
        }
        d.with_child(devices).into_pretty()
    }

    /// The domain XML text, indented as libvirt writes it.
    pub fn build(&self) -> String {
        let mut s = self.build_element().to_xml_string();
        s.push('\n');
        s
    }
}

/// A disk backed by an image file.
pub fn disk_file(file: &str, format: &str, target_dev: &str, bus: &str) -> Element {
    el("disk")
        .with_attr("type", "file")
        .with_attr("device", "disk")
        .with_child(
            el("driver")
                .with_attr("name", "qemu")
                .with_attr("type", format),
        )
        .with_child(el("source").with_attr("file", file))
        .with_child(
            el("target")
                .with_attr("dev", target_dev)
                .with_attr("bus", bus),
        )
}

/// A disk backed by a volume of a storage pool.
pub fn disk_volume(pool: &str, volume: &str, format: &str, target_dev: &str, bus: &str) -> Element {
    el("disk")
        .with_attr("type", "volume")
        .with_attr("device", "disk")
        .with_child(
            el("driver")
                .with_attr("name", "qemu")
                .with_attr("type", format),
        )
        .with_child(
            el("source")
                .with_attr("pool", pool)
                .with_attr("volume", volume),
        )
        .with_child(
            el("target")
                .with_attr("dev", target_dev)
                .with_attr("bus", bus),
        )
}

/// A block-device disk.
pub fn disk_block(dev: &str, target_dev: &str, bus: &str) -> Element {
    el("disk")
        .with_attr("type", "block")
        .with_attr("device", "disk")
        .with_child(
            el("driver")
                .with_attr("name", "qemu")
                .with_attr("type", "raw"),
        )
        .with_child(el("source").with_attr("dev", dev))
        .with_child(
            el("target")
                .with_attr("dev", target_dev)
                .with_attr("bus", bus),
        )
}

/// A CD-ROM, empty (`None`) or with an ISO inserted.
pub fn cdrom(iso: Option<&str>, target_dev: &str, bus: &str) -> Element {
    let mut d = el("disk")
        .with_attr("type", "file")
        .with_attr("device", "cdrom")
        .with_child(
            el("driver")
                .with_attr("name", "qemu")
                .with_attr("type", "raw"),
        );
    if let Some(iso) = iso {
        d = d.with_child(el("source").with_attr("file", iso));
    }
    d.with_child(
        el("target")
            .with_attr("dev", target_dev)
            .with_attr("bus", bus),
    )
    .with_child(el("readonly"))
}

/// Set a disk's cache mode on a built disk.
pub fn with_cache(mut disk: Element, cache: &str) -> Element {
    if let Some(driver) = disk.child_mut("driver") {
        driver.set_attr("cache", Some(cache));
    }
    disk
}

/// Give a built disk or interface a boot order.
pub fn with_boot_order(disk: Element, order: u32) -> Element {
    disk.with_child(el("boot").with_attr("order", &order.to_string()))
}

/// A NIC on a libvirt virtual network.
pub fn interface_network(network: &str, model: &str, mac: Option<&str>) -> Element {
    interface(
        "network",
        el("source").with_attr("network", network),
        model,
        mac,
    )
}

/// A NIC on a host bridge.
pub fn interface_bridge(bridge: &str, model: &str, mac: Option<&str>) -> Element {
    interface(
        "bridge",
        el("source").with_attr("bridge", bridge),
        model,
        mac,
    )
}

/// A macvtap NIC on a host interface.
pub fn interface_direct(dev: &str, mode: &str, model: &str, mac: Option<&str>) -> Element {
    interface(
        "direct",
        el("source").with_attr("dev", dev).with_attr("mode", mode),
        model,
        mac,
    )
}

/// User-mode networking (slirp/passt).
pub fn interface_user(model: &str, mac: Option<&str>) -> Element {
    let mut i = el("interface").with_attr("type", "user");
    if let Some(m) = mac {
        i = i.with_child(el("mac").with_attr("address", m));
    }
    i.with_child(el("model").with_attr("type", model))
}

fn interface(kind: &str, source: Element, model: &str, mac: Option<&str>) -> Element {
    let mut i = el("interface").with_attr("type", kind);
    if let Some(m) = mac {
        i = i.with_child(el("mac").with_attr("address", m));
    }
    i.with_child(source)
        .with_child(el("model").with_attr("type", model))
}

/// VNC (`"vnc"`) or SPICE (`"spice"`) on a TCP address, port chosen by libvirt.
pub fn graphics(kind: &str, listen: &str) -> Element {
    el("graphics")
        .with_attr("type", kind)
        .with_attr("autoport", "yes")
        .with_child(
            el("listen")
                .with_attr("type", "address")
                .with_attr("address", listen),
        )
}

/// VNC on a unix socket.
pub fn vnc_socket(socket: &str) -> Element {
    el("graphics").with_attr("type", "vnc").with_child(
        el("listen")
            .with_attr("type", "socket")
            .with_attr("socket", socket),
    )
}

pub fn video(model: &str) -> Element {
    el("video").with_child(el("model").with_attr("type", model))
}

pub fn input(kind: &str, bus: &str) -> Element {
    el("input").with_attr("type", kind).with_attr("bus", bus)
}

pub fn sound(model: &str) -> Element {
    el("sound").with_attr("model", model)
}

pub fn controller(kind: &str, index: u32, model: Option<&str>) -> Element {
    let c = el("controller")
        .with_attr("type", kind)
        .with_attr("index", &index.to_string());
    match model {
        Some(m) => c.with_attr("model", m),
        None => c,
    }
}

/// A serial port on a pseudo-terminal, with its console.
pub fn serial_pty() -> Element {
    el("serial")
        .with_attr("type", "pty")
        .with_child(el("target").with_attr("port", "0"))
}

pub fn console_pty() -> Element {
    el("console").with_attr("type", "pty").with_child(
        el("target")
            .with_attr("type", "serial")
            .with_attr("port", "0"),
    )
}

/// A virtio console on a pseudo-terminal.
pub fn console_virtio() -> Element {
    el("console")
        .with_attr("type", "pty")
        .with_child(el("target").with_attr("type", "virtio"))
}

/// The QEMU guest agent channel.
pub fn channel_guest_agent() -> Element {
    el("channel").with_attr("type", "unix").with_child(
        el("target")
            .with_attr("type", "virtio")
            .with_attr("name", "org.qemu.guest_agent.0"),
    )
}

/// The SPICE agent channel (clipboard, resolution).
pub fn channel_spice_agent() -> Element {
    el("channel").with_attr("type", "spicevmc").with_child(
        el("target")
            .with_attr("type", "virtio")
            .with_attr("name", "com.redhat.spice.0"),
    )
}

pub fn rng(source: &str) -> Element {
    el("rng")
        .with_attr("model", "virtio")
        .with_child(el("backend").with_attr("model", "random").with_text(source))
}

/// An emulated TPM (swtpm).
pub fn tpm_emulator(model: &str, version: &str) -> Element {
    el("tpm").with_attr("model", model).with_child(
        el("backend")
            .with_attr("type", "emulator")
            .with_attr("version", version),
    )
}

pub fn memballoon(model: &str) -> Element {
    el("memballoon").with_attr("model", model)
}

/// A host directory shared with the guest over virtiofs.
pub fn filesystem_virtiofs(source_dir: &str, target: &str) -> Element {
    el("filesystem")
        .with_attr("type", "mount")
        .with_attr("accessmode", "passthrough")
        .with_child(el("driver").with_attr("type", "virtiofs"))
        .with_child(el("source").with_attr("dir", source_dir))
        .with_child(el("target").with_attr("dir", target))
}
