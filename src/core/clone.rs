//! Cloning a VM, as pure data: the clone's name and disk paths chosen the
//! way virt-clone chooses them, one action per disk (copy, share, or a
//! linked qcow2 overlay on the original), and the clone's domain XML made
//! from the original's by editing it as a document (a new name and UUID, new
//! MAC addresses, automatic graphics ports, new disk and NVRAM paths),
//! so that everything else the user wrote stays as it was.

pub mod args;

use crate::core::storage::volume_element;
use crate::core::xml::{Document, Element};

/// What happens to one disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiskAction {
    /// A full copy of the image, in the same pool.
    Copy,
    /// The clone uses the same image (read-only media, shareable disks).
    Share,
    /// A new qcow2 overlay whose backing file is the original image: made in
    /// seconds, taking no space until the clone writes.
    Linked,
}

/// One disk of the original and what the clone gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloneDisk {
    /// The guest's name for it (`vda`).
    pub target: String,
    /// `disk`, `cdrom`, `floppy`.
    pub device: String,
    /// The original's image (`None`: an empty drive).
    pub source: Option<String>,
    /// The image format (`qcow2`, `raw`).
    pub format: String,
    pub action: DiskAction,
    /// Where a copy or overlay goes.
    pub new_path: Option<String>,
    /// The user chose `new_path` (a new name does not change it).
    pub path_chosen: bool,
}

impl CloneDisk {
    /// Whether the disk can be copied or linked (a file or block image).
    pub fn has_image(&self) -> bool {
        self.source.is_some()
    }
}

/// Why the clone cannot be made as planned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloneProblem {
    /// The original runs; it must be shut off (or paused) so that its disks
    /// hold still.
    Running,
    EmptyName,
    /// Names with `/` cannot be libvirt's.
    NameWithSlash,
    NameTaken(String),
    /// Two disks, or a disk and an existing file, at one path.
    PathTaken {
        target: String,
        path: String,
    },
    /// A copy or overlay needs an image to start from.
    NothingToCopy(String),
    /// A new path must be absolute.
    RelativePath {
        target: String,
        path: String,
    },
    /// `--file` given more times than there are disks to copy.
    TooManyPaths,
    /// A MAC address that is not six hex pairs (or one of another VM).
    BadMac(String),
    /// The copies going to the pool at `dir` need more than it has free.
    NoSpace {
        dir: String,
        needed: u64,
        available: u64,
    },
    /// The original's XML could not be read.
    BadXml(String),
}

/// The clone to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClonePlan {
    original_xml: String,
    pub original_name: String,
    pub name: String,
    pub disks: Vec<CloneDisk>,
    /// One per network interface, in order: `None` for a new random one.
    pub macs: Vec<Option<String>>,
    /// The original's NVRAM file and the clone's.
    pub nvram: Option<(String, String)>,
}

/// The default name: `NAME-clone`, or `NAME-clone1`, `-clone2`, … when
/// taken; cloning `NAME-clone` gives `NAME-clone1`, not `NAME-clone-clone`.
pub fn default_name(original: &str, taken: &dyn Fn(&str) -> bool) -> String {
    let (base, start, numbered) = match original.rfind("-clone") {
        Some(at)
            if original[at + 6..].chars().all(|c| c.is_ascii_digit())
                && !original[at + 6..].starts_with('0') =>
        {
            let n: u32 = original[at + 6..].parse().unwrap_or(0);
            (&original[..at], n + 1, true)
        }
        _ => (original, 1, false),
    };
    let base = format!("{base}-clone");
    if !numbered && !taken(&base) {
        return base;
    }
    (start..)
        .map(|n| format!("{base}{n}"))
        .find(|n| !taken(n))
        .expect("a free name")
}

/// The default path of a disk's copy: `DIR/NEWNAME.EXT` when the image is
/// named after the VM, else `DIR/IMAGE-clone.EXT`; `-1`, `-2`, … before the
/// extension when taken.
pub fn disk_path(
    image: &str,
    original_name: &str,
    new_name: &str,
    taken: &dyn Fn(&str) -> bool,
) -> String {
    let (stem, ext) = match image.rsplit_once('.') {
        Some((stem, ext)) if ext.chars().count() <= 7 && !ext.contains('/') => {
            (stem, format!(".{ext}"))
        }
        _ => (image, String::new()),
    };
    let (dir, base) = match stem.rsplit_once('/') {
        Some((dir, base)) => (format!("{dir}/"), base),
        None => (String::new(), stem),
    };
    let base = if base == original_name {
        new_name.to_owned()
    } else {
        format!("{base}-clone")
    };
    let first = format!("{dir}{base}{ext}");
    if !taken(&first) {
        return first;
    }
    (1..)
        .map(|n| format!("{dir}{base}-{n}{ext}"))
        .find(|p| !taken(p))
        .expect("a free path")
}

/// Check a MAC address typed by the user; canonical lower case.
pub fn parse_mac(mac: &str) -> Option<String> {
    let parts: Vec<&str> = mac.split(':').collect();
    let ok = parts.len() == 6
        && parts
            .iter()
            .all(|p| p.len() == 2 && p.chars().all(|c| c.is_ascii_hexdigit()));
    // The first octet's low bit marks multicast addresses: not for a NIC.
    let unicast = ok && u8::from_str_radix(parts[0], 16).is_ok_and(|b| b & 1 == 0);
    unicast.then(|| mac.to_ascii_lowercase())
}

/// Bytes from the system's random source.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    use std::io::Read;
    let mut buf = [0u8; N];
    if std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .is_err()
    {
        // No /dev/urandom: the clock's nanoseconds still differ per call.
        let mut seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        for b in &mut buf {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            *b = (seed >> 33) as u8;
        }
    }
    buf
}

/// A new random MAC address in QEMU's range (52:54:00).
pub fn random_mac() -> String {
    let b = random_bytes::<3>();
    format!("52:54:00:{:02x}:{:02x}:{:02x}", b[0], b[1], b[2])
}

/// A new random (version 4) UUID.
pub fn random_uuid() -> String {
    let mut b = random_bytes::<16>();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

fn devices(doc: &Document) -> impl Iterator<Item = &Element> {
    doc.root
        .child("devices")
        .into_iter()
        .flat_map(|d| d.elements())
}

impl ClonePlan {
    /// Plan a clone of the domain whose inactive XML (read with its secrets)
    /// is `xml`. `name_taken` and `path_taken` say what exists on the host.
    pub fn new(
        xml: &str,
        name_taken: &dyn Fn(&str) -> bool,
        path_taken: &dyn Fn(&str) -> bool,
    ) -> Result<ClonePlan, CloneProblem> {
        let doc = Document::parse(xml).map_err(|e| CloneProblem::BadXml(e.to_string()))?;
        let original_name = doc
            .root
            .child("name")
            .and_then(Element::text)
            .ok_or_else(|| CloneProblem::BadXml("the domain has no name".into()))?;
        let name = default_name(&original_name, name_taken);
        let disks = devices(&doc)
            .filter(|e| e.name == "disk")
            .map(|disk| {
                let device = disk.attr("device").unwrap_or_else(|| "disk".into());
                let source = disk
                    .child("source")
                    .and_then(|s| s.attr("file").or_else(|| s.attr("dev")));
                let shared = source.is_none()
                    || device == "cdrom"
                    || device == "floppy"
                    || disk.child("readonly").is_some()
                    || disk.child("shareable").is_some()
                    || disk.attr("type").as_deref() == Some("network");
                CloneDisk {
                    target: disk
                        .child("target")
                        .and_then(|t| t.attr("dev"))
                        .unwrap_or_default(),
                    device,
                    format: disk
                        .child("driver")
                        .and_then(|d| d.attr("type"))
                        .unwrap_or_else(|| "raw".into()),
                    action: if shared {
                        DiskAction::Share
                    } else {
                        DiskAction::Copy
                    },
                    source,
                    new_path: None,
                    path_chosen: false,
                }
            })
            .collect();
        let macs = devices(&doc)
            .filter(|e| e.name == "interface")
            .map(|_| None)
            .collect();
        let nvram = doc
            .root
            .child("os")
            .and_then(|os| os.child("nvram"))
            .and_then(Element::text)
            .map(|old| (old, String::new()));
        let mut plan = ClonePlan {
            original_xml: xml.to_owned(),
            original_name,
            name,
            disks,
            macs,
            nvram,
        };
        plan.derive_paths(path_taken);
        Ok(plan)
    }

    /// Give the clone a new name; paths the user did not choose follow it.
    pub fn set_name(&mut self, name: &str, path_taken: &dyn Fn(&str) -> bool) {
        self.name = name.to_owned();
        self.derive_paths(path_taken);
    }

    /// Choose what happens to disk `index`.
    pub fn set_action(
        &mut self,
        index: usize,
        action: DiskAction,
        path_taken: &dyn Fn(&str) -> bool,
    ) {
        if let Some(d) = self.disks.get_mut(index) {
            d.action = action;
        }
        self.derive_paths(path_taken);
    }

    /// Put disk `index`'s copy at `path` (the user's choice).
    pub fn set_path(&mut self, index: usize, path: &str) {
        if let Some(d) = self.disks.get_mut(index) {
            d.new_path = Some(path.to_owned());
            d.path_chosen = true;
        }
    }

    fn derive_paths(&mut self, path_taken: &dyn Fn(&str) -> bool) {
        let mut given: Vec<String> = Vec::new();
        for d in &mut self.disks {
            if d.action == DiskAction::Share {
                if !d.path_chosen {
                    d.new_path = None;
                }
                continue;
            }
            if d.path_chosen {
                given.extend(d.new_path.clone());
                continue;
            }
            let Some(source) = &d.source else { continue };
            // A linked clone's overlay is qcow2 whatever the original was.
            let source = if d.action == DiskAction::Linked && d.format != "qcow2" {
                match source.rsplit_once('.') {
                    Some((stem, ext)) if ext.len() <= 7 && !ext.contains('/') => {
                        format!("{stem}.qcow2")
                    }
                    _ => format!("{source}.qcow2"),
                }
            } else {
                source.clone()
            };
            let path = disk_path(&source, &self.original_name, &self.name, &|p| {
                path_taken(p) || given.iter().any(|g| g == p)
            });
            given.push(path.clone());
            d.new_path = Some(path);
        }
        if let Some((old, new)) = &mut self.nvram {
            let dir = old.rsplit_once('/').map_or("", |(d, _)| d);
            *new = format!("{dir}/{}_VARS.fd", self.name);
        }
    }

    /// Everything wrong with the plan, in the order the dialog shows it.
    pub fn problems(
        &self,
        original_running: bool,
        name_taken: &dyn Fn(&str) -> bool,
        path_taken: &dyn Fn(&str) -> bool,
    ) -> Vec<CloneProblem> {
        let mut out = Vec::new();
        if original_running {
            out.push(CloneProblem::Running);
        }
        if self.name.trim().is_empty() {
            out.push(CloneProblem::EmptyName);
        } else if self.name.contains('/') {
            out.push(CloneProblem::NameWithSlash);
        } else if name_taken(&self.name) {
            out.push(CloneProblem::NameTaken(self.name.clone()));
        }
        let mut seen: Vec<&str> = Vec::new();
        for d in &self.disks {
            if d.action == DiskAction::Share {
                continue;
            }
            if !d.has_image() {
                out.push(CloneProblem::NothingToCopy(d.target.clone()));
                continue;
            }
            let Some(path) = d.new_path.as_deref() else {
                continue;
            };
            if !path.starts_with('/') {
                out.push(CloneProblem::RelativePath {
                    target: d.target.clone(),
                    path: path.to_owned(),
                });
            } else if path_taken(path) || seen.contains(&path) || d.source.as_deref() == Some(path)
            {
                out.push(CloneProblem::PathTaken {
                    target: d.target.clone(),
                    path: path.to_owned(),
                });
            }
            seen.push(path);
        }
        for mac in self.macs.iter().flatten() {
            if parse_mac(mac).is_none() {
                out.push(CloneProblem::BadMac(mac.clone()));
            }
        }
        out
    }

    /// The clone's domain XML, with `uuid` and the MAC addresses of `macs`
    /// (one per interface, used where the plan has `None`).
    pub fn domain_xml(&self, uuid: &str, macs: &[String]) -> Result<String, CloneProblem> {
        let mut doc =
            Document::parse(&self.original_xml).map_err(|e| CloneProblem::BadXml(e.to_string()))?;
        let root = &mut doc.root;
        let old_uuid = root.child("uuid").and_then(Element::text);
        if let Some(n) = root.child_mut("name") {
            n.set_text(Some(&self.name));
        }
        match root.child_mut("uuid") {
            Some(u) => u.set_text(Some(uuid)),
            None => {
                root.insert_pretty(Element::new("uuid").with_text(uuid), "", &["name", "uuid"]);
            }
        }
        // The title names the original; the clone goes by its name.
        while root.remove_child("title", 0).is_some() {}
        // SMBIOS system UUID that mirrored the domain's.
        if let Some(system) = root
            .child_mut("sysinfo")
            .and_then(|s| s.child_mut("system"))
        {
            for entry in system.elements_mut() {
                if entry.attr("name").as_deref() == Some("uuid") && entry.text() == old_uuid {
                    entry.set_text(Some(uuid));
                }
            }
        }
        if let Some((_, new)) = &self.nvram
            && let Some(nvram) = root.child_mut("os").and_then(|os| os.child_mut("nvram"))
        {
            nvram.set_text(Some(new));
        }
        let Some(devs) = root.child_mut("devices") else {
            return Ok(doc.to_xml_string());
        };
        let (mut disk_i, mut nic_i) = (0, 0);
        for dev in devs.elements_mut() {
            match dev.name.as_str() {
                "disk" => {
                    let plan = &self.disks[disk_i.min(self.disks.len() - 1)];
                    disk_i += 1;
                    if plan.action == DiskAction::Share {
                        continue;
                    }
                    let Some(path) = &plan.new_path else { continue };
                    dev.set_attr("type", Some("file"));
                    if let Some(src) = dev.child_mut("source") {
                        src.set_attr("dev", None);
                        src.set_attr("file", Some(path));
                    }
                    if plan.action == DiskAction::Linked
                        && let Some(driver) = dev.child_mut("driver")
                    {
                        driver.set_attr("type", Some("qcow2"));
                    }
                    while dev.remove_child("backingStore", 0).is_some() {}
                }
                "interface" => {
                    let mac = self
                        .macs
                        .get(nic_i)
                        .cloned()
                        .flatten()
                        .or_else(|| macs.get(nic_i).cloned())
                        .unwrap_or_else(random_mac);
                    nic_i += 1;
                    match dev.child_mut("mac") {
                        Some(m) => m.set_attr("address", Some(&mac)),
                        None => {
                            dev.insert_pretty(
                                Element::new("mac").with_attr("address", &mac),
                                "    ",
                                &["mac", "source"],
                            );
                        }
                    }
                    while dev.remove_child("target", 0).is_some() {}
                }
                "graphics" => {
                    // Port -1 is libvirt's "choose one when it starts".
                    for attr in ["port", "tlsPort"] {
                        if dev.attr(attr).is_some_and(|p| p != "-1") {
                            dev.set_attr(attr, Some("-1"));
                            if dev.attr("autoport").as_deref() == Some("no") {
                                dev.set_attr("autoport", None);
                            }
                        }
                    }
                }
                "serial" | "console" | "parallel" => {
                    // Sockets and logs named after the original get the
                    // clone's name, so that both can run at once.
                    let rename = |path: String| -> Option<String> {
                        let (dir, file) = path.rsplit_once('/').unwrap_or(("", &path));
                        file.contains(&self.original_name).then(|| {
                            let file = file.replace(&self.original_name, &self.name);
                            if dir.is_empty() && !path.starts_with('/') {
                                file
                            } else {
                                format!("{dir}/{file}")
                            }
                        })
                    };
                    if let Some(src) = dev.child_mut("source")
                        && let Some(new) = src.attr("path").and_then(rename)
                    {
                        src.set_attr("path", Some(&new));
                    }
                    if let Some(log) = dev.child_mut("log")
                        && let Some(new) = log.attr("file").and_then(rename)
                    {
                        log.set_attr("file", Some(&new));
                    }
                }
                "channel" => {
                    // A socket path named after the original: libvirt picks a new one.
                    let target = dev.child("target").and_then(|t| t.attr("name"));
                    if dev.attr("type").as_deref() == Some("unix")
                        && let Some(target) = target
                        && let Some(src) = dev.child_mut("source")
                        && src.attr("path").is_some_and(|p| p.contains(&target))
                    {
                        src.set_attr("path", None);
                    }
                }
                _ => {}
            }
        }
        Ok(doc.to_xml_string())
    }

    /// The MAC addresses `domain_xml` needs, freshly made.
    pub fn new_macs(&self) -> Vec<String> {
        self.macs.iter().map(|_| random_mac()).collect()
    }
}

/// The XML of a linked clone's overlay: a qcow2 volume named `name` of
/// `capacity` bytes whose backing file is `backing` (in `backing_format`).
pub fn overlay_volume_xml(
    name: &str,
    capacity: u64,
    backing: &str,
    backing_format: &str,
) -> String {
    volume_element(name, capacity, "qcow2", Some((backing, backing_format)))
        .into_pretty()
        .to_xml_string()
}

/// The XML of a full copy's volume: named `name`, in `format`, of the
/// original's `capacity`.
pub fn copy_volume_xml(name: &str, capacity: u64, format: &str) -> String {
    volume_element(name, capacity, format, None)
        .into_pretty()
        .to_xml_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_virt_clone() {
        let none = |_: &str| false;
        assert_eq!(default_name("web", &none), "web-clone");
        assert_eq!(default_name("web", &|n| n == "web-clone"), "web-clone1");
        assert_eq!(default_name("web-clone", &none), "web-clone1");
        assert_eq!(default_name("web-clone3", &none), "web-clone4");
        assert_eq!(
            disk_path("/i/web.qcow2", "web", "web-clone", &none),
            "/i/web-clone.qcow2"
        );
        assert_eq!(
            disk_path("/i/data.img", "web", "x", &|p| p == "/i/data-clone.img"),
            "/i/data-clone-1.img"
        );
        assert_eq!(
            disk_path("/i/disk.averylongext", "web", "x", &none),
            "/i/disk.averylongext-clone"
        );
    }

    #[test]
    fn macs_and_uuids_are_well_formed() {
        assert_eq!(
            parse_mac("52:54:00:AA:bb:01").as_deref(),
            Some("52:54:00:aa:bb:01")
        );
        assert_eq!(parse_mac("01:00:5e:00:00:01"), None, "multicast");
        assert_eq!(parse_mac("52:54:00:aa:bb"), None);
        assert!(parse_mac(&random_mac()).is_some());
        let u = random_uuid();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert_ne!(random_uuid(), u);
    }

    #[test]
    fn a_linked_clone_is_a_qcow2_overlay_on_the_original() {
        let xml = "<domain type='kvm'><name>web</name><uuid>u</uuid>\
            <os><nvram>/nv/web_VARS.fd</nvram></os><devices>\
            <disk type='file' device='disk'><driver name='qemu' type='raw'/>\
            <source file='/i/web.img'/><target dev='vda'/></disk>\
            <interface type='network'><target dev='vnet3'/><source network='default'/></interface>\
            </devices></domain>";
        let mut plan = ClonePlan::new(xml, &|_| false, &|_| false).unwrap();
        plan.set_action(0, DiskAction::Linked, &|_| false);
        assert_eq!(
            plan.disks[0].new_path.as_deref(),
            Some("/i/web-clone.qcow2")
        );
        assert_eq!(plan.nvram.as_ref().unwrap().1, "/nv/web-clone_VARS.fd");
        let out = plan
            .domain_xml("new-uuid", &["52:54:00:01:02:03".into()])
            .unwrap();
        assert!(out.contains("<driver name='qemu' type='qcow2'/>"), "{out}");
        assert!(out.contains("<mac address='52:54:00:01:02:03'/>"), "{out}");
        assert!(
            !out.contains("vnet3"),
            "the original's tap name goes: {out}"
        );
        assert!(out.contains("<nvram>/nv/web-clone_VARS.fd</nvram>"));
        let serial = "<domain><name>web</name><devices><serial type='unix'>\
            <source mode='bind' path='/vm/web.serial.sock'/><log file='/vm/web.log'/>\
            </serial><serial type='pty'/></devices></domain>";
        let plan = ClonePlan::new(serial, &|_| false, &|_| false).unwrap();
        let out = plan.domain_xml("u", &[]).unwrap();
        assert!(
            out.contains("path='/vm/web-clone.serial.sock'")
                && out.contains("file='/vm/web-clone.log'"),
            "{out}"
        );
        let vol = overlay_volume_xml("web-clone.qcow2", 1 << 30, "/i/web.img", "raw");
        assert!(vol.contains("<path>/i/web.img</path>") && vol.contains("<format type='raw'/>"));
        assert_eq!(
            plan.problems(true, &|n| n == "web-clone", &|_| false),
            [
                CloneProblem::Running,
                CloneProblem::NameTaken("web-clone".into())
            ]
        );
    }
}
