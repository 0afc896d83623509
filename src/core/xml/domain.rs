//! Typed accessors over a domain's XML (`<domain>`), in the manner of
//! virt-manager's XMLBuilder: each property is a path into the retained
//! document, so reading or writing one never disturbs the rest.

use super::devices::{DeviceKind, DeviceMut, DeviceView};
use super::document::{Document, Element};
use super::error::{XmlError, XmlErrorKind};
use super::path;

/// A domain document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainXml {
    doc: Document,
}

/// Convert a libvirt amount with a `unit` to bytes (`None` when the unit
/// is unknown or the value overflows).
pub fn to_bytes(value: u64, unit: &str) -> Option<u64> {
    let factor: u64 = match unit {
        "b" | "bytes" => 1,
        "KB" => 1000,
        "k" | "KiB" => 1 << 10,
        "MB" => 1000 * 1000,
        "M" | "MiB" => 1 << 20,
        "GB" => 1000 * 1000 * 1000,
        "G" | "GiB" => 1 << 30,
        "TB" => 1000 * 1000 * 1000 * 1000,
        "T" | "TiB" => 1 << 40,
        "PB" => 1000 * 1000 * 1000 * 1000 * 1000,
        "P" | "PiB" => 1 << 50,
        _ => return None,
    };
    value.checked_mul(factor)
}

/// Convert a libvirt memory amount to KiB (`unit` defaults to KiB, as in
/// libvirt's memory elements).
pub fn to_kib(value: u64, unit: Option<&str>) -> Option<u64> {
    to_bytes(value, unit.unwrap_or("KiB")).map(|b| b / 1024)
}

/// The CPU topology (`<cpu><topology …/>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Topology {
    pub sockets: u32,
    pub dies: Option<u32>,
    pub cores: u32,
    pub threads: u32,
}

macro_rules! text_props {
    ($( $(#[$doc:meta])* $get:ident, $set:ident => $path:literal; )*) => {
        impl DomainXml {
            $(
                $(#[$doc])*
                pub fn $get(&self) -> Option<String> {
                    path::get(&self.doc.root, $path)
                }
                $(#[$doc])*
                pub fn $set(&mut self, value: Option<&str>) {
                    path::set(&mut self.doc.root, "", $path, value)
                }
            )*
        }
    };
}

text_props! {
    /// `<uuid>`
    uuid, set_uuid => "uuid";
    /// `<title>`
    title, set_title => "title";
    /// `<description>`
    description, set_description => "description";
    /// The domain type (`kvm`, `qemu`, `test`).
    domain_type, set_domain_type => "@type";
    /// `<os><type>`: hvm, linux, exe.
    os_type, set_os_type => "os/type";
    /// `<os><type arch>`
    arch, set_arch => "os/type/@arch";
    /// `<os><type machine>`
    machine, set_machine => "os/type/@machine";
    /// `<os firmware>`: efi or bios.
    firmware, set_firmware => "os/@firmware";
    /// `<os><loader type>`: rom or pflash.
    loader_type, set_loader_type => "os/loader/@type";
    /// `<os><loader secure>`
    loader_secure, set_loader_secure => "os/loader/@secure";
    /// `<os><nvram>` path.
    nvram, set_nvram => "os/nvram";
    /// `<os><kernel>` for direct kernel boot.
    kernel, set_kernel => "os/kernel";
    /// `<os><initrd>`
    initrd, set_initrd => "os/initrd";
    /// `<os><cmdline>`
    cmdline, set_cmdline => "os/cmdline";
    /// `<cpu mode>`: host-passthrough, host-model, custom, maximum.
    cpu_mode, set_cpu_mode => "cpu/@mode";
    /// `<cpu><model>`
    cpu_model, set_cpu_model => "cpu/model";
    /// `<clock offset>`: utc, localtime, …
    clock_offset, set_clock_offset => "clock/@offset";
    /// `<on_poweroff>`
    on_poweroff, set_on_poweroff => "on_poweroff";
    /// `<on_reboot>`
    on_reboot, set_on_reboot => "on_reboot";
    /// `<on_crash>`
    on_crash, set_on_crash => "on_crash";
}

impl DomainXml {
    /// Parse a domain; any other root element is an error.
    pub fn parse(text: &str) -> Result<DomainXml, XmlError> {
        DomainXml::from_document(Document::parse(text)?)
    }

    pub fn from_document(doc: Document) -> Result<DomainXml, XmlError> {
        if doc.root.name != "domain" {
            return Err(XmlError {
                kind: XmlErrorKind::WrongRoot {
                    expected: "domain".into(),
                    found: doc.root.name.clone(),
                },
                position: doc.root.position,
            });
        }
        Ok(DomainXml { doc })
    }

    pub fn document(&self) -> &Document {
        &self.doc
    }

    pub fn to_xml_string(&self) -> String {
        self.doc.to_xml_string()
    }

    fn missing(&self, what: &str) -> XmlError {
        XmlError {
            kind: XmlErrorKind::Missing { path: what.into() },
            position: self.doc.root.position,
        }
    }

    /// `<name>`: required by libvirt.
    pub fn name(&self) -> Result<String, XmlError> {
        path::get(&self.doc.root, "name").ok_or_else(|| self.missing("name"))
    }

    pub fn set_name(&mut self, name: &str) {
        path::set(&mut self.doc.root, "", "name", Some(name));
    }

    fn memory_at(&self, p: &str) -> Result<Option<u64>, XmlError> {
        let Some(value) = path::get_parsed::<u64>(&self.doc.root, p, "a whole number")? else {
            return Ok(None);
        };
        let unit = path::get(&self.doc.root, &format!("{p}/@unit"));
        to_kib(value, unit.as_deref())
            .map(Some)
            .ok_or_else(|| XmlError {
                kind: XmlErrorKind::InvalidValue {
                    path: format!("{p}/@unit"),
                    value: unit.unwrap_or_default(),
                    expected: "a memory unit",
                },
                position: self
                    .doc
                    .root
                    .child(p)
                    .map_or(self.doc.root.position, |e| e.position),
            })
    }

    fn set_memory_at(&mut self, p: &str, kib: Option<u64>) {
        match kib {
            Some(k) => {
                path::set(&mut self.doc.root, "", p, Some(&k.to_string()));
                path::set(&mut self.doc.root, "", &format!("{p}/@unit"), Some("KiB"));
            }
            None => {
                self.doc.root.remove_child(p, 0);
            }
        }
    }

    /// `<memory>` in KiB: the maximum the guest boots with.
    pub fn memory_kib(&self) -> Result<Option<u64>, XmlError> {
        self.memory_at("memory")
    }
    pub fn set_memory_kib(&mut self, kib: u64) {
        self.set_memory_at("memory", Some(kib));
    }
    /// `<currentMemory>` in KiB: what the balloon gives the guest.
    pub fn current_memory_kib(&self) -> Result<Option<u64>, XmlError> {
        self.memory_at("currentMemory")
    }
    pub fn set_current_memory_kib(&mut self, kib: Option<u64>) {
        self.set_memory_at("currentMemory", kib);
    }
    /// `<maxMemory>` in KiB, for memory hot-plug.
    pub fn max_memory_kib(&self) -> Result<Option<u64>, XmlError> {
        self.memory_at("maxMemory")
    }
    /// `<maxMemory slots>`
    pub fn max_memory_slots(&self) -> Result<Option<u32>, XmlError> {
        path::get_parsed(&self.doc.root, "maxMemory/@slots", "a whole number")
    }
    pub fn set_max_memory_kib(&mut self, kib: Option<u64>, slots: u32) {
        self.set_memory_at("maxMemory", kib);
        if kib.is_some() {
            path::set(
                &mut self.doc.root,
                "",
                "maxMemory/@slots",
                Some(&slots.to_string()),
            );
        }
    }

    /// `<vcpu>`: the maximum vCPU count.
    pub fn vcpus_max(&self) -> Result<Option<u32>, XmlError> {
        path::get_parsed(&self.doc.root, "vcpu", "a whole number")
    }
    /// `<vcpu current>`, else the maximum.
    pub fn vcpus_current(&self) -> Result<Option<u32>, XmlError> {
        match path::get_parsed(&self.doc.root, "vcpu/@current", "a whole number")? {
            Some(c) => Ok(Some(c)),
            None => self.vcpus_max(),
        }
    }
    /// Set the maximum and (when lower) the current vCPU count.
    pub fn set_vcpus(&mut self, max: u32, current: Option<u32>) {
        path::set(&mut self.doc.root, "", "vcpu", Some(&max.to_string()));
        let current = current.filter(|c| *c < max).map(|c| c.to_string());
        path::set(&mut self.doc.root, "", "vcpu/@current", current.as_deref());
    }

    /// `<os><boot dev>` in order.
    pub fn boot_devices(&self) -> Vec<String> {
        self.doc
            .root
            .child("os")
            .map(|os| {
                os.children_named("boot")
                    .filter_map(|b| b.attr("dev"))
                    .collect()
            })
            .unwrap_or_default()
    }
    /// Replace the `<boot dev>` list (others in `<os>` stay).
    pub fn set_boot_devices(&mut self, devs: &[&str]) {
        if self.doc.root.child("os").is_none() && devs.is_empty() {
            return;
        }
        if self.doc.root.child("os").is_none() {
            self.doc
                .root
                .insert_pretty(Element::new("os"), "", path::libvirt_order("domain"));
        }
        let os = self.doc.root.child_mut("os").expect("made above");
        while os.remove_child("boot", 0).is_some() {}
        for d in devs {
            os.insert_pretty(
                Element::new("boot").with_attr("dev", d),
                "  ",
                path::libvirt_order("os"),
            );
        }
    }
    /// `<os><loader>` path.
    pub fn loader(&self) -> Option<String> {
        path::get(&self.doc.root, "os/loader")
    }
    /// Set the loader path; `None` removes `<loader>` with its attributes,
    /// which mean nothing without a path.
    pub fn set_loader(&mut self, loader: Option<&str>) {
        match loader {
            Some(l) => path::set(&mut self.doc.root, "", "os/loader", Some(l)),
            None => {
                if let Some(os) = self.doc.root.child_mut("os") {
                    os.remove_child("loader", 0);
                }
            }
        }
    }

    /// `<os><bootmenu enable>`
    pub fn boot_menu(&self) -> Result<Option<bool>, XmlError> {
        path::get_yes_no(&self.doc.root, "os/bootmenu/@enable")
    }
    pub fn set_boot_menu(&mut self, enable: Option<bool>) {
        let v = enable.map(|e| if e { "yes" } else { "no" });
        path::set(&mut self.doc.root, "", "os/bootmenu/@enable", v);
    }

    /// The names of the enabled `<features>` (acpi, apic, smm, …).
    pub fn features(&self) -> Vec<String> {
        self.doc
            .root
            .child("features")
            .map(|f| f.elements().map(|e| e.name.clone()).collect())
            .unwrap_or_default()
    }
    /// Turn a simple feature on or off.
    pub fn set_feature(&mut self, name: &str, on: bool) {
        let has = self.features().iter().any(|f| f == name);
        if on && !has {
            if self.doc.root.child("features").is_none() {
                self.doc.root.insert_pretty(
                    Element::new("features"),
                    "",
                    path::libvirt_order("domain"),
                );
            }
            let f = self.doc.root.child_mut("features").expect("made above");
            f.append_pretty(Element::new(name), "  ");
        } else if !on && has {
            let f = self
                .doc
                .root
                .child_mut("features")
                .expect("it has the feature");
            f.remove_child(name, 0);
            if f.is_empty() {
                self.doc.root.remove_child("features", 0);
            }
        }
    }

    /// `<cpu><topology>`
    pub fn cpu_topology(&self) -> Result<Option<Topology>, XmlError> {
        let r = &self.doc.root;
        if path::walk(r, &["cpu", "topology"]).is_none() {
            return Ok(None);
        }
        let n =
            |a: &str| path::get_parsed::<u32>(r, &format!("cpu/topology/@{a}"), "a whole number");
        Ok(Some(Topology {
            sockets: n("sockets")?.unwrap_or(1),
            dies: n("dies")?,
            cores: n("cores")?.unwrap_or(1),
            threads: n("threads")?.unwrap_or(1),
        }))
    }
    pub fn set_cpu_topology(&mut self, t: Option<Topology>) {
        let r = &mut self.doc.root;
        match t {
            None => path::set(r, "", "cpu/topology", None),
            Some(t) => {
                path::set(r, "", "cpu/topology/@sockets", Some(&t.sockets.to_string()));
                let dies = t.dies.map(|d| d.to_string());
                path::set(r, "", "cpu/topology/@dies", dies.as_deref());
                path::set(r, "", "cpu/topology/@cores", Some(&t.cores.to_string()));
                path::set(r, "", "cpu/topology/@threads", Some(&t.threads.to_string()));
            }
        }
    }

    /// Every device of a kind, in document order.
    pub fn devices(&self, kind: DeviceKind) -> Vec<DeviceView<'_>> {
        self.doc
            .root
            .child("devices")
            .map(|d| {
                d.children_named(kind.element())
                    .map(|e| DeviceView::new(kind, e))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The `index`th device of a kind, to edit.
    pub fn device_mut(&mut self, kind: DeviceKind, index: usize) -> Option<DeviceMut<'_>> {
        let devices = self.doc.root.child_mut("devices")?;
        devices
            .nth_child_mut(kind.element(), index)
            .map(|e| DeviceMut::new(kind, e))
    }

    /// Append a device (built by [`super::builder`]) to `<devices>`, after
    /// the last device of its kind when there is one, else at the end.
    pub fn add_device(&mut self, device: Element) {
        if self.doc.root.child("devices").is_none() {
            self.doc
                .root
                .insert_pretty(Element::new("devices"), "", path::libvirt_order("domain"));
        }
        let devices = self.doc.root.child_mut("devices").expect("made above");
        devices.append_pretty(device, "  ");
    }

    /// Remove the `index`th device of a kind; returns its XML.
    pub fn remove_device(&mut self, kind: DeviceKind, index: usize) -> Option<String> {
        let devices = self.doc.root.child_mut("devices")?;
        devices
            .remove_child(kind.element(), index)
            .map(|e| e.to_xml_string())
    }
}
