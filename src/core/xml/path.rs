//! Paths into an element: `source/@file` (an attribute of a child),
//! `target` (a child's text), `@type` (an own attribute), `.` (own text).
//! Setting a path that does not exist yet creates the elements on the way;
//! clearing one removes the elements it leaves empty (virt-manager's stubs
//! and pruning).

use super::document::Element;
use super::error::{XmlError, XmlErrorKind};

fn split(path: &str) -> (Vec<&str>, Option<&str>) {
    let mut segs: Vec<&str> = path
        .split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .collect();
    let attr = match segs.last() {
        Some(last) if last.starts_with('@') => {
            let a = &last[1..];
            segs.pop();
            Some(a)
        }
        _ => None,
    };
    (segs, attr)
}

/// The order libvirt writes the children of an element in (the elements
/// Vireo creates; others keep their place).
pub fn libvirt_order(parent: &str) -> &'static [&'static str] {
    match parent {
        "domain" => &[
            "name",
            "uuid",
            "genid",
            "title",
            "description",
            "metadata",
            "maxMemory",
            "memory",
            "currentMemory",
            "blkiotune",
            "memtune",
            "memoryBacking",
            "vcpu",
            "vcpus",
            "iothreads",
            "cputune",
            "resource",
            "sysinfo",
            "bootloader",
            "os",
            "idmap",
            "features",
            "cpu",
            "clock",
            "on_poweroff",
            "on_reboot",
            "on_crash",
            "pm",
            "perf",
            "devices",
            "seclabel",
        ],
        "os" => &[
            "type", "firmware", "loader", "nvram", "boot", "bootmenu", "smbios", "bios", "kernel",
            "initrd", "cmdline", "dtb",
        ],
        "cpu" => &["model", "vendor", "topology", "cache", "feature", "numa"],
        "disk" => &[
            "driver",
            "source",
            "backingStore",
            "target",
            "iotune",
            "boot",
            "readonly",
            "shareable",
            "serial",
            "wwn",
            "vendor",
            "product",
            "encryption",
            "alias",
            "address",
        ],
        "interface" => &[
            "mac", "source", "target", "model", "driver", "boot", "link", "mtu", "alias", "address",
        ],
        "graphics" => &[
            "listen",
            "image",
            "streaming",
            "clipboard",
            "mouse",
            "filetransfer",
            "gl",
        ],
        _ => &[],
    }
}

/// Follow child segments from `el`.
pub fn walk<'a>(el: &'a Element, segs: &[&str]) -> Option<&'a Element> {
    segs.iter().try_fold(el, |e, s| e.child(s))
}

/// The value at `path`, unescaped.
pub fn get(el: &Element, path: &str) -> Option<String> {
    let (segs, attr) = split(path);
    let target = walk(el, &segs)?;
    match attr {
        Some(a) => target.attr(a),
        None => target.text(),
    }
}

/// The value at `path` read as `T`, with a typed error where it is not one.
pub fn get_parsed<T: std::str::FromStr>(
    el: &Element,
    path: &str,
    expected: &'static str,
) -> Result<Option<T>, XmlError> {
    let (segs, _) = split(path);
    let Some(v) = get(el, path) else {
        return Ok(None);
    };
    v.trim().parse::<T>().map(Some).map_err(|_| XmlError {
        kind: XmlErrorKind::InvalidValue {
            path: path.to_owned(),
            value: v.clone(),
            expected,
        },
        position: walk(el, &segs).map_or(el.position, |e| e.position),
    })
}

/// libvirt's yes/no (and on/off) attributes.
pub fn get_yes_no(el: &Element, path: &str) -> Result<Option<bool>, XmlError> {
    match get(el, path).as_deref() {
        None => Ok(None),
        Some("yes" | "on") => Ok(Some(true)),
        Some("no" | "off") => Ok(Some(false)),
        Some(other) => {
            let (segs, _) = split(path);
            Err(XmlError {
                kind: XmlErrorKind::InvalidValue {
                    path: path.to_owned(),
                    value: other.to_owned(),
                    expected: "yes or no",
                },
                position: walk(el, &segs).map_or(el.position, |e| e.position),
            })
        }
    }
}

/// Set (`Some`) or clear (`None`) the value at `path`. `indent` is the
/// indentation of `el`'s own start tag, for new elements.
pub fn set(el: &mut Element, indent: &str, path: &str, value: Option<&str>) {
    let (segs, attr) = split(path);
    match value {
        Some(v) => {
            let mut cur = el;
            let mut cur_indent = indent.to_owned();
            for s in &segs {
                let exists = cur.child(s).is_some();
                cur = if exists {
                    cur.child_mut(s).expect("checked above")
                } else {
                    let order = libvirt_order(&cur.name);
                    cur.insert_pretty(Element::new(s), &cur_indent, order)
                };
                cur_indent.push_str("  ");
            }
            match attr {
                Some(a) => cur.set_attr(a, Some(v)),
                None => cur.set_text(Some(v)),
            }
        }
        None => clear(el, &segs, attr),
    }
}

fn clear(el: &mut Element, segs: &[&str], attr: Option<&str>) {
    match segs.split_first() {
        None => match attr {
            Some(a) => el.set_attr(a, None),
            None => el.set_text(None),
        },
        Some((first, rest)) => {
            let Some(child) = el.child_mut(first) else {
                return;
            };
            clear(child, rest, attr);
            if child.is_empty() {
                el.remove_child(first, 0);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::xml::Document;

    #[test]
    fn set_creates_stubs_indented_and_clear_prunes_them() {
        let mut doc =
            Document::parse("<disk type='file'>\n  <target dev='vda'/>\n</disk>").unwrap();
        set(&mut doc.root, "", "source/@file", Some("/a b&c.img"));
        assert_eq!(
            doc.to_xml_string(),
            "<disk type='file'>\n  <source file='/a b&amp;c.img'/>\n  <target dev='vda'/>\n</disk>",
            "<source> goes before <target>, where libvirt puts it"
        );
        assert_eq!(
            get(&doc.root, "source/@file").as_deref(),
            Some("/a b&c.img")
        );
        set(&mut doc.root, "", "source/@file", None);
        assert_eq!(
            doc.to_xml_string(),
            "<disk type='file'>\n  <target dev='vda'/>\n</disk>"
        );
    }

    #[test]
    fn text_paths_and_typed_reads() {
        let mut doc = Document::parse("<domain><vcpu>x2</vcpu></domain>").unwrap();
        let err = get_parsed::<u32>(&doc.root, "vcpu", "a number").unwrap_err();
        assert!(matches!(err.kind, XmlErrorKind::InvalidValue { .. }));
        set(&mut doc.root, "", "vcpu", Some("4"));
        assert_eq!(
            get_parsed::<u32>(&doc.root, "vcpu", "a number").unwrap(),
            Some(4)
        );
        set(&mut doc.root, "", "os/type/@arch", Some("x86_64"));
        assert_eq!(
            doc.to_xml_string(),
            "<domain><vcpu>4</vcpu>\n  <os>\n    <type arch='x86_64'/>\n  </os></domain>"
        );
    }
}
