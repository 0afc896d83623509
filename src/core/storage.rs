//! Storage volumes, as pure data: sizes typed with units, a new volume's
//! XML, which VMs use a volume, and the checks made before a resize or an
//! upload (one sentence each in the UI, nothing changed).

use crate::core::xml::{Document, Element};

/// A volume's image format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VolumeFormat {
    Qcow2,
    Raw,
}

impl VolumeFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            VolumeFormat::Qcow2 => "qcow2",
            VolumeFormat::Raw => "raw",
        }
    }
}

/// A volume to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewVolume {
    pub name: String,
    pub format: VolumeFormat,
    pub capacity: u64,
    /// A backing volume (path, format): the new one is an overlay on it.
    pub backing: Option<(String, String)>,
}

/// The `<volume>` XML for `v`.
pub fn volume_xml(v: &NewVolume) -> String {
    let backing = v.backing.as_ref().map(|(p, f)| (p.as_str(), f.as_str()));
    volume_element(&v.name, v.capacity, v.format.as_str(), backing)
        .into_pretty()
        .to_xml_string()
}

/// A `<volume>`: `name`, `capacity` bytes in `format`, optionally an
/// overlay on `backing` (path, format).
pub(crate) fn volume_element(
    name: &str,
    capacity: u64,
    format: &str,
    backing: Option<(&str, &str)>,
) -> Element {
    let mut vol = Element::new("volume")
        .with_child(Element::new("name").with_text(name))
        .with_child(
            Element::new("capacity")
                .with_attr("unit", "bytes")
                .with_text(&capacity.to_string()),
        )
        .with_child(
            Element::new("target").with_child(Element::new("format").with_attr("type", format)),
        );
    if let Some((path, format)) = backing {
        vol = vol.with_child(
            Element::new("backingStore")
                .with_child(Element::new("path").with_text(path))
                .with_child(Element::new("format").with_attr("type", format)),
        );
    }
    vol
}

/// Why a typed size is not one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SizeProblem {
    Empty,
    /// Not a number followed by an optional unit.
    NotASize(String),
    /// A unit this does not know.
    UnknownUnit(String),
    Zero,
}

/// Read a size the way people type it: `20G`, `20 GiB`, `512M`, `1.5 GB`,
/// `4096` (bytes). Single letters and `iB` units are powers of 1024,
/// `KB`/`MB`/`GB`/`TB` powers of 1000 (as `qemu-img` and libvirt read them).
pub fn parse_size(text: &str) -> Result<u64, SizeProblem> {
    let t = text.trim();
    if t.is_empty() {
        return Err(SizeProblem::Empty);
    }
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| SizeProblem::NotASize(t.to_owned()))?;
    let factor: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" | "bytes" => 1.0,
        "k" | "kib" => 1024.0,
        "m" | "mib" => 1024f64.powi(2),
        "g" | "gib" => 1024f64.powi(3),
        "t" | "tib" => 1024f64.powi(4),
        "kb" => 1e3,
        "mb" => 1e6,
        "gb" => 1e9,
        "tb" => 1e12,
        _ => return Err(SizeProblem::UnknownUnit(unit.trim().to_owned())),
    };
    let bytes = (value * factor).round();
    if bytes < 1.0 {
        return Err(SizeProblem::Zero);
    }
    Ok(bytes as u64)
}

/// The names of the VMs (name, inactive XML) whose disks use `path`, sorted.
pub fn users_of(path: &str, domains: &[(String, String)]) -> Vec<String> {
    let mut users: Vec<String> = domains
        .iter()
        .filter(|(_, xml)| {
            Document::parse(xml).is_ok_and(|doc| {
                doc.root
                    .child("devices")
                    .into_iter()
                    .flat_map(|d| d.children_named("disk"))
                    .filter_map(|d| d.child("source"))
                    .any(|s| {
                        s.attr("file").as_deref() == Some(path)
                            || s.attr("dev").as_deref() == Some(path)
                    })
            })
        })
        .map(|(name, _)| name.clone())
        .collect();
    users.sort();
    users
}

/// Why a resize is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResizeProblem {
    /// The same size.
    Unchanged,
    /// Smaller than what the image already holds.
    BelowAllocation { allocation: u64 },
}

/// Check a resize from `capacity` to `new` of a volume holding
/// `allocation` bytes; `Ok(true)` when it shrinks (which loses whatever the
/// guest kept past the new end: the UI asks first).
pub fn check_resize(capacity: u64, allocation: u64, new: u64) -> Result<bool, ResizeProblem> {
    if new == capacity {
        Err(ResizeProblem::Unchanged)
    } else if new < allocation {
        Err(ResizeProblem::BelowAllocation { allocation })
    } else {
        Ok(new < capacity)
    }
}

/// Whether a file of `file_size` bytes fits a volume of `capacity`.
pub fn upload_fits(file_size: u64, capacity: u64) -> bool {
    file_size <= capacity
}

/// The kinds of pool Vireo creates, each with only what it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PoolKind {
    /// A folder of image files.
    Dir { path: String },
    /// A block device with a filesystem, mounted at `path`.
    Fs { device: String, path: String },
    /// An NFS export `host:dir`, mounted at `path`.
    Netfs {
        host: String,
        dir: String,
        path: String,
    },
    /// An LVM volume group.
    Logical { group: String },
    /// A whole disk, its partitions the volumes.
    Disk { device: String },
    /// An iSCSI target's LUNs.
    Iscsi { host: String, target: String },
}

impl PoolKind {
    /// libvirt's pool type.
    pub fn type_name(&self) -> &'static str {
        match self {
            PoolKind::Dir { .. } => "dir",
            PoolKind::Fs { .. } => "fs",
            PoolKind::Netfs { .. } => "netfs",
            PoolKind::Logical { .. } => "logical",
            PoolKind::Disk { .. } => "disk",
            PoolKind::Iscsi { .. } => "iscsi",
        }
    }

    /// Whether libvirt builds it (makes the folder) before starting it.
    pub fn builds(&self) -> bool {
        matches!(
            self,
            PoolKind::Dir { .. } | PoolKind::Fs { .. } | PoolKind::Netfs { .. }
        )
    }
}

/// A pool to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPool {
    pub name: String,
    pub kind: PoolKind,
}

/// A pool source libvirt found on the host or a server
/// (`virConnectFindStoragePoolSources`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FoundSource {
    pub host: Option<String>,
    /// An NFS export.
    pub dir: Option<String>,
    /// A volume group.
    pub name: Option<String>,
    /// A device (a volume group's physical volume, an iSCSI target's IQN).
    pub device: Option<String>,
}

impl FoundSource {
    /// How the New Pool form lists it.
    pub fn label(&self) -> String {
        match (&self.host, &self.dir, &self.name, &self.device) {
            (Some(h), Some(d), _, _) => format!("{h}:{d}"),
            (_, _, Some(n), Some(d)) => format!("{n} ({d})"),
            (_, _, Some(n), None) => n.clone(),
            (Some(h), None, None, Some(d)) => format!("{d} @ {h}"),
            (_, _, _, Some(d)) => d.clone(),
            _ => String::new(),
        }
    }
}

/// The `<source>` spec naming the server to search (NFS, iSCSI).
pub fn source_spec(host: &str) -> String {
    Element::new("source")
        .with_child(Element::new("host").with_attr("name", host))
        .to_xml_string()
}

/// Read the `<sources>` document libvirt answers with.
pub fn parse_sources(xml: &str) -> Vec<FoundSource> {
    let Ok(doc) = Document::parse(xml) else {
        return Vec::new();
    };
    let attr = |e: &Element, child: &str, a: &str| e.child(child).and_then(|c| c.attr(a));
    doc.root
        .children_named("source")
        .map(|s| FoundSource {
            host: attr(s, "host", "name"),
            dir: attr(s, "dir", "path"),
            name: s.child("name").and_then(|n| n.text()),
            device: attr(s, "device", "path"),
        })
        .collect()
}

/// The `<pool>` XML for `p`.
pub fn pool_xml(p: &NewPool) -> String {
    let el = Element::new;
    let mut source = el("source");
    let target = match &p.kind {
        PoolKind::Dir { path } => path.clone(),
        PoolKind::Fs { device, path } => {
            source = source.with_child(el("device").with_attr("path", device));
            path.clone()
        }
        PoolKind::Netfs { host, dir, path } => {
            source = source
                .with_child(el("host").with_attr("name", host))
                .with_child(el("dir").with_attr("path", dir))
                .with_child(el("format").with_attr("type", "nfs"));
            path.clone()
        }
        PoolKind::Logical { group } => {
            source = source.with_child(el("name").with_text(group));
            format!("/dev/{group}")
        }
        PoolKind::Disk { device } => {
            source = source.with_child(el("device").with_attr("path", device));
            "/dev".into()
        }
        PoolKind::Iscsi { host, target: iqn } => {
            source = source
                .with_child(el("host").with_attr("name", host))
                .with_child(el("device").with_attr("path", iqn));
            "/dev/disk/by-path".into()
        }
    };
    let mut pool = el("pool")
        .with_attr("type", p.kind.type_name())
        .with_child(el("name").with_text(&p.name));
    if !source.is_empty() {
        pool = pool.with_child(source);
    }
    pool.with_child(el("target").with_child(el("path").with_text(&target)))
        .into_pretty()
        .to_xml_string()
}

/// Why a pool cannot be created as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PoolProblem {
    EmptyName,
    NameWithSlash,
    NameTaken(String),
    /// A field its kind needs is empty (the field's name).
    Missing(&'static str),
    /// A path that must be absolute is not.
    RelativePath(String),
}

/// Everything wrong with `p` among the host's pools `existing`.
pub fn check_pool(p: &NewPool, existing: &[String]) -> Vec<PoolProblem> {
    let mut out = Vec::new();
    let name = p.name.trim();
    if name.is_empty() {
        out.push(PoolProblem::EmptyName);
    } else if name.contains('/') {
        out.push(PoolProblem::NameWithSlash);
    } else if existing.iter().any(|e| e == name) {
        out.push(PoolProblem::NameTaken(name.to_owned()));
    }
    let fields: Vec<(&'static str, &str, bool)> = match &p.kind {
        PoolKind::Dir { path } => vec![("path", path, true)],
        PoolKind::Fs { device, path } => vec![("device", device, true), ("path", path, true)],
        PoolKind::Netfs { host, dir, path } => {
            vec![
                ("host", host, false),
                ("dir", dir, true),
                ("path", path, true),
            ]
        }
        PoolKind::Logical { group } => vec![("group", group, false)],
        PoolKind::Disk { device } => vec![("device", device, true)],
        PoolKind::Iscsi { host, target } => vec![("host", host, false), ("target", target, false)],
    };
    for (field, value, absolute) in fields {
        if value.trim().is_empty() {
            out.push(PoolProblem::Missing(field));
        } else if absolute && !value.starts_with('/') {
            out.push(PoolProblem::RelativePath(value.to_owned()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_type_them() {
        assert_eq!(parse_size("20G"), Ok(20 << 30));
        assert_eq!(parse_size(" 20 GiB "), Ok(20 << 30));
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("1.5 GB"), Ok(1_500_000_000));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size(""), Err(SizeProblem::Empty));
        assert_eq!(parse_size("0M"), Err(SizeProblem::Zero));
        assert_eq!(parse_size("big"), Err(SizeProblem::NotASize("big".into())));
        assert_eq!(
            parse_size("3 parsecs"),
            Err(SizeProblem::UnknownUnit("parsecs".into()))
        );
    }

    #[test]
    fn resizes_and_uploads_are_checked() {
        let g = 1u64 << 30;
        assert_eq!(check_resize(10 * g, g, 20 * g), Ok(false));
        assert_eq!(
            check_resize(10 * g, g, 5 * g),
            Ok(true),
            "a shrink asks first"
        );
        assert_eq!(
            check_resize(10 * g, 4 * g, 2 * g),
            Err(ResizeProblem::BelowAllocation { allocation: 4 * g })
        );
        assert_eq!(check_resize(g, 0, g), Err(ResizeProblem::Unchanged));
        assert!(upload_fits(g, g) && !upload_fits(g + 1, g));
    }

    #[test]
    fn volumes_know_their_users_and_their_xml() {
        let vm = |name: &str, path: &str| {
            (
                name.to_owned(),
                format!(
                    "<domain><name>{name}</name><devices><disk type='file' device='disk'><source file='{path}'/></disk></devices></domain>"
                ),
            )
        };
        let domains = [
            vm("a", "/i/a.qcow2"),
            vm("b", "/i/shared.iso"),
            vm("c", "/i/shared.iso"),
        ];
        assert_eq!(users_of("/i/shared.iso", &domains), ["b", "c"]);
        assert!(users_of("/i/none", &domains).is_empty());
        let xml = volume_xml(&NewVolume {
            name: "x.qcow2".into(),
            format: VolumeFormat::Qcow2,
            capacity: 1 << 30,
            backing: Some(("/i/base.qcow2".into(), "qcow2".into())),
        });
        assert!(
            xml.contains("<capacity unit='bytes'>1073741824</capacity>"),
            "{xml}"
        );
        assert!(xml.contains("<path>/i/base.qcow2</path>"), "{xml}");
    }

    #[test]
    fn pools_get_only_what_their_kind_needs() {
        let nfs = NewPool {
            name: "isos".into(),
            kind: PoolKind::Netfs {
                host: "nas".into(),
                dir: "/export/isos".into(),
                path: "/var/lib/libvirt/isos".into(),
            },
        };
        let xml = pool_xml(&nfs);
        assert!(xml.starts_with("<pool type='netfs'>"), "{xml}");
        assert!(xml.contains("<host name='nas'/>") && xml.contains("<dir path='/export/isos'/>"));
        assert!(check_pool(&nfs, &[]).is_empty());
        assert_eq!(
            check_pool(&nfs, &["isos".into()]),
            [PoolProblem::NameTaken("isos".into())]
        );
        let dir = NewPool {
            name: "a/b".into(),
            kind: PoolKind::Dir {
                path: "images".into(),
            },
        };
        assert_eq!(
            check_pool(&dir, &[]),
            [
                PoolProblem::NameWithSlash,
                PoolProblem::RelativePath("images".into())
            ]
        );
        let vg = NewPool {
            name: "vg".into(),
            kind: PoolKind::Logical {
                group: String::new(),
            },
        };
        assert_eq!(check_pool(&vg, &[]), [PoolProblem::Missing("group")]);
        assert!(
            pool_xml(&NewPool {
                name: "d".into(),
                kind: PoolKind::Dir {
                    path: "/srv/d".into()
                }
            })
            .contains("<target>")
        );
    }
}
