//! Typed views of the devices in a domain's `<devices>`.

use super::document::Element;
use super::error::XmlError;
use super::path;

/// The device elements Vireo knows by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeviceKind {
    Disk,
    Controller,
    Interface,
    Graphics,
    Video,
    Input,
    Sound,
    Channel,
    Serial,
    Console,
    Rng,
    Tpm,
    MemBalloon,
    Filesystem,
    /// Read-only: shown, never edited.
    HostDev,
}

impl DeviceKind {
    pub const ALL: [DeviceKind; 15] = [
        DeviceKind::Disk,
        DeviceKind::Controller,
        DeviceKind::Interface,
        DeviceKind::Graphics,
        DeviceKind::Video,
        DeviceKind::Input,
        DeviceKind::Sound,
        DeviceKind::Channel,
        DeviceKind::Serial,
        DeviceKind::Console,
        DeviceKind::Rng,
        DeviceKind::Tpm,
        DeviceKind::MemBalloon,
        DeviceKind::Filesystem,
        DeviceKind::HostDev,
    ];

    /// The element name under `<devices>`.
    pub fn element(self) -> &'static str {
        match self {
            DeviceKind::Disk => "disk",
            DeviceKind::Controller => "controller",
            DeviceKind::Interface => "interface",
            DeviceKind::Graphics => "graphics",
            DeviceKind::Video => "video",
            DeviceKind::Input => "input",
            DeviceKind::Sound => "sound",
            DeviceKind::Channel => "channel",
            DeviceKind::Serial => "serial",
            DeviceKind::Console => "console",
            DeviceKind::Rng => "rng",
            DeviceKind::Tpm => "tpm",
            DeviceKind::MemBalloon => "memballoon",
            DeviceKind::Filesystem => "filesystem",
            DeviceKind::HostDev => "hostdev",
        }
    }
}

/// A device, read-only.
#[derive(Debug, Clone, Copy)]
pub struct DeviceView<'a> {
    pub kind: DeviceKind,
    el: &'a Element,
}

/// A device, to edit. Its edits change its own element only.
#[derive(Debug)]
pub struct DeviceMut<'a> {
    pub kind: DeviceKind,
    el: &'a mut Element,
}

/// Devices sit two levels deep: `<domain><devices><disk>`.
const INDENT: &str = "    ";

impl<'a> DeviceView<'a> {
    pub(crate) fn new(kind: DeviceKind, el: &'a Element) -> Self {
        DeviceView { kind, el }
    }

    /// Any value by path (`source/@file`, `target/@dev`, `@type`).
    pub fn get(&self, p: &str) -> Option<String> {
        path::get(self.el, p)
    }

    /// The device's XML as it stands in the document.
    pub fn to_xml_string(&self) -> String {
        self.el.to_xml_string()
    }

    pub fn element(&self) -> &'a Element {
        self.el
    }

    /// `@type` (disk type, interface type, graphics type, …).
    pub fn device_type(&self) -> Option<String> {
        self.get("@type")
    }

    /// `<readonly/>` on a disk.
    pub fn readonly(&self) -> bool {
        self.el.child("readonly").is_some()
    }

    /// `<boot order>` on a disk or interface.
    pub fn boot_order(&self) -> Result<Option<u32>, XmlError> {
        path::get_parsed(self.el, "boot/@order", "a whole number")
    }

    /// Where a disk's data is, whatever its type: file, block device,
    /// `pool/volume`, or `protocol://host/name` for network disks.
    pub fn disk_source(&self) -> Option<String> {
        match self.device_type().as_deref() {
            Some("block") => self.get("source/@dev"),
            Some("volume") => Some(format!(
                "{}/{}",
                self.get("source/@pool")?,
                self.get("source/@volume")?
            )),
            Some("network") => {
                let host = self.get("source/host/@name").unwrap_or_default();
                Some(format!(
                    "{}://{}/{}",
                    self.get("source/@protocol")?,
                    host,
                    self.get("source/@name")?
                ))
            }
            Some("dir") => self.get("source/@dir"),
            _ => self.get("source/@file"),
        }
    }

    /// Whether a `<graphics>` device asks for a password (its value is
    /// never returned).
    pub fn has_password(&self) -> bool {
        self.el.attr("passwd").is_some()
    }

    /// A graphics device's listen address (`listen` attribute or `<listen address>`).
    pub fn graphics_listen_address(&self) -> Option<String> {
        self.get("listen/@address").or_else(|| self.get("@listen"))
    }

    /// A graphics or TCP port; `-1` and absent mean "not allocated".
    pub fn port(&self) -> Result<Option<i32>, XmlError> {
        Ok(path::get_parsed::<i32>(self.el, "@port", "a port number")?.filter(|p| *p > 0))
    }

    /// `@autoport='yes'`
    pub fn autoport(&self) -> Result<Option<bool>, XmlError> {
        path::get_yes_no(self.el, "@autoport")
    }

    /// `@mode` of a hostdev (subsystem, capabilities). Host devices are
    /// shown, never edited, so there is no setter.
    pub fn hostdev_mode(&self) -> Option<String> {
        self.get("@mode")
    }

    /// The `<address>` attributes (type, bus, slot, …), in order.
    pub fn address(&self) -> Vec<(String, String)> {
        self.el
            .child("address")
            .map(|a| {
                a.attributes()
                    .iter()
                    .map(|x| (x.name.clone(), x.value()))
                    .collect()
            })
            .unwrap_or_default()
    }
}

macro_rules! device_props {
    ($( $(#[$doc:meta])* $get:ident, $set:ident => $path:literal; )*) => {
        impl DeviceView<'_> {
            $( $(#[$doc])* pub fn $get(&self) -> Option<String> { self.get($path) } )*
        }
        impl DeviceMut<'_> {
            $( $(#[$doc])* pub fn $set(&mut self, value: Option<&str>) { self.set($path, value) } )*
        }
    };
}

device_props! {
    /// Disk `@device`: disk, cdrom, floppy, lun.
    disk_device, set_disk_device => "@device";
    /// `<driver name>` (qemu).
    driver_name, set_driver_name => "driver/@name";
    /// `<driver type>`: the image format (qcow2, raw).
    driver_type, set_driver_type => "driver/@type";
    /// `<driver cache>`: none, writeback, writethrough, directsync, unsafe.
    driver_cache, set_driver_cache => "driver/@cache";
    /// `<source file>`
    source_file, set_source_file => "source/@file";
    /// `<source dev>`: a block device, or a macvtap host interface.
    source_dev, set_source_dev => "source/@dev";
    /// `<source pool>`
    source_pool, set_source_pool => "source/@pool";
    /// `<source volume>`
    source_volume, set_source_volume => "source/@volume";
    /// `<source protocol>` of a network disk.
    source_protocol, set_source_protocol => "source/@protocol";
    /// `<source name>` of a network disk.
    source_name, set_source_name => "source/@name";
    /// `<source network>` of an interface.
    source_network, set_source_network => "source/@network";
    /// `<source bridge>` of an interface.
    source_bridge, set_source_bridge => "source/@bridge";
    /// `<source mode>`: macvtap mode, or bind/connect for sockets.
    source_mode, set_source_mode => "source/@mode";
    /// `<source path>` of a serial, console or channel.
    source_path, set_source_path => "source/@path";
    /// `<target dev>`
    target_dev, set_target_dev => "target/@dev";
    /// `<target bus>`
    target_bus, set_target_bus => "target/@bus";
    /// `<target type>` of a serial, console or channel.
    target_type, set_target_type => "target/@type";
    /// `<target name>` of a channel.
    target_name, set_target_name => "target/@name";
    /// `<target port>` of a serial or console.
    target_port, set_target_port => "target/@port";
    /// `<target dir>` of a filesystem.
    target_dir, set_target_dir => "target/@dir";
    /// `<source dir>` of a filesystem.
    source_dir, set_source_dir => "source/@dir";
    /// `<mac address>`
    mac, set_mac => "mac/@address";
    /// `<model type>` of an interface or video device.
    model_type, set_model_type => "model/@type";
    /// `@model` of a controller, sound, rng, tpm, memballoon.
    model, set_model => "@model";
    /// `@index` of a controller.
    index, set_index => "@index";
    /// `@bus` of an input device.
    bus, set_bus => "@bus";
    /// `<model heads>` of a video device.
    video_heads, set_video_heads => "model/@heads";
    /// `<listen socket>` of a graphics device.
    graphics_socket, set_graphics_socket => "listen/@socket";
    /// `<listen type>`: address, network, socket, none.
    listen_type, set_listen_type => "listen/@type";
    /// `<backend model>` of an rng or `<backend type>` of a tpm.
    backend_model, set_backend_model => "backend/@model";
    /// The rng's source device (`<backend>` text).
    backend_source, set_backend_source => "backend";
    /// `<backend type>` of a tpm.
    backend_type, set_backend_type => "backend/@type";
    /// `<backend version>` of a tpm.
    backend_version, set_backend_version => "backend/@version";
    /// `@accessmode` of a filesystem.
    access_mode, set_access_mode => "@accessmode";
}

impl<'a> DeviceMut<'a> {
    pub(crate) fn new(kind: DeviceKind, el: &'a mut Element) -> Self {
        DeviceMut { kind, el }
    }

    /// Set or clear any value by path.
    pub fn set(&mut self, p: &str, value: Option<&str>) {
        path::set(self.el, INDENT, p, value)
    }

    pub fn view(&self) -> DeviceView<'_> {
        DeviceView::new(self.kind, self.el)
    }

    /// Add or remove `<readonly/>`.
    pub fn set_readonly(&mut self, readonly: bool) {
        match (readonly, self.el.child("readonly").is_some()) {
            (true, false) => {
                self.el.append_pretty(Element::new("readonly"), INDENT);
            }
            (false, true) => {
                self.el.remove_child("readonly", 0);
            }
            _ => {}
        }
    }

    /// `<boot order>`; `None` removes it.
    pub fn set_boot_order(&mut self, order: Option<u32>) {
        let v = order.map(|o| o.to_string());
        self.set("boot/@order", v.as_deref());
    }

    /// Graphics port: `Some(p)` fixes it (autoport off), `None` lets libvirt choose.
    pub fn set_port(&mut self, port: Option<u16>) {
        match port {
            Some(p) => {
                self.set("@port", Some(&p.to_string()));
                self.set("@autoport", Some("no"));
            }
            None => {
                self.set("@port", Some("-1"));
                self.set("@autoport", Some("yes"));
            }
        }
    }

    /// A graphics listen address, kept consistent in the attribute and the
    /// `<listen type='address'>` element when both exist.
    pub fn set_graphics_listen_address(&mut self, address: Option<&str>) {
        if self.el.attr("listen").is_some() || address.is_none() {
            self.set("@listen", address);
        }
        match address {
            Some(a) => {
                self.set("listen/@type", Some("address"));
                self.set("listen/@address", Some(a));
            }
            None => self.set("listen/@address", None),
        }
    }

    /// Point a disk at a file (CD-ROM media change, a new image), or eject:
    /// `None` removes `<source>` while the rest of the disk stays.
    pub fn set_disk_file(&mut self, file: Option<&str>) {
        if file.is_some() {
            self.set("@type", Some("file"));
        }
        self.set("source/@file", file);
        if file.is_none() {
            self.el.remove_child("source", 0);
        }
    }
}
