//! Edits of a VM's saved definition, as typed changes.
//!
//! The Details page changes one setting at a time. Each change is an
//! [`Edit`]: the service reads the saved definition, applies the edit to
//! that document (everything else in it stays as it was) and defines the
//! result; where libvirt can change the running guest too, it does that on
//! its own, so the user learns where the change took effect.
//!
//! Device additions, removals and media changes for the next boot go the
//! same way ([`attach`], [`detach`], [`update`]): an edited definition
//! works on every driver, where `virDomainAttachDeviceFlags(CONFIG)` does not.

use crate::core::xml::{DeviceKind, DeviceView, Document, DomainXml, Element};

/// Which device an edit is about: an identity that is the same in the
/// running guest's XML and in the saved definition where there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceKey {
    /// A disk's `<target dev>`.
    Target(String),
    /// An interface's `<mac address>`.
    Mac(String),
    /// The `n`th device of its kind (devices without an identity).
    Index(usize),
}

impl DeviceKey {
    /// The key of `device`, the `index`th of its kind.
    pub fn of(device: &DeviceView<'_>, index: usize) -> DeviceKey {
        match device.kind {
            DeviceKind::Disk => device.target_dev().map(DeviceKey::Target),
            DeviceKind::Interface => device.mac().map(DeviceKey::Mac),
            _ => None,
        }
        .unwrap_or(DeviceKey::Index(index))
    }

    /// Where the device is among `vm`'s devices of `kind`.
    pub fn find(&self, vm: &DomainXml, kind: DeviceKind) -> Option<usize> {
        let devices = vm.devices(kind);
        match self {
            DeviceKey::Index(i) => (*i < devices.len()).then_some(*i),
            key => devices
                .iter()
                .enumerate()
                .position(|(i, d)| DeviceKey::of(d, i) == *key),
        }
    }
}

/// One change to a VM's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    /// A new name (libvirt renames only a shut-off VM).
    Rename(String),
    /// `<title>`; `None` removes it.
    Title(Option<String>),
    /// `<description>`; `None` removes it.
    Description(Option<String>),
    /// `<os><boot dev>` in order (hd, cdrom, network, fd).
    BootOrder(Vec<String>),
    /// `<os><bootmenu enable>`
    BootMenu(bool),
    /// One setting of one device, by path (`link/@state`, `driver/@cache`,
    /// `@passwd`); `None` removes it.
    Device {
        kind: DeviceKind,
        key: DeviceKey,
        path: String,
        value: Option<String>,
    },
}

/// How an edit reaches a running guest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LiveChange {
    /// The next boot only.
    None,
    /// `virDomainSetMetadata` of the title (`true`) or the description.
    Metadata { title: bool, text: Option<String> },
    /// `virDomainUpdateDeviceFlags` with the running guest's device, changed.
    Device,
}

/// Why an edit could not be made to a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EditError {
    /// The device is not (or no longer) in the configuration.
    NoDevice(DeviceKind),
    /// A device's XML that does not parse or is no device.
    BadDevice(String),
    /// A name libvirt would refuse (the wizard's own words).
    BadName(String),
}

impl std::fmt::Display for EditError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EditError::NoDevice(k) => write!(f, "the configuration has no such {}", k.element()),
            EditError::BadDevice(e) => write!(f, "the device's XML is not usable: {e}"),
            EditError::BadName(e) => f.write_str(e),
        }
    }
}

impl std::error::Error for EditError {}

/// Refuse a name libvirt would refuse, in the wizard's words.
pub fn check_rename(name: &str) -> Result<(), EditError> {
    match crate::core::wizard::check::check_name(name, &[]).first() {
        Some(p) => Err(EditError::BadName(p.to_string())),
        None => Ok(()),
    }
}

impl Edit {
    /// Apply the edit to `vm`, touching only what it names.
    pub fn apply(&self, vm: &mut DomainXml) -> Result<(), EditError> {
        match self {
            Edit::Rename(name) => {
                check_rename(name)?;
                vm.set_name(name);
            }
            Edit::Title(t) => vm.set_title(t.as_deref().filter(|t| !t.is_empty())),
            Edit::Description(d) => vm.set_description(d.as_deref().filter(|d| !d.is_empty())),
            Edit::BootOrder(devs) => {
                let devs: Vec<&str> = devs.iter().map(String::as_str).collect();
                vm.set_boot_devices(&devs);
            }
            Edit::BootMenu(on) => vm.set_boot_menu(Some(*on)),
            Edit::Device {
                kind,
                key,
                path,
                value,
            } => {
                let index = key.find(vm, *kind).ok_or(EditError::NoDevice(*kind))?;
                let mut d = vm.device_mut(*kind, index).expect("found above");
                d.set(path, value.as_deref());
            }
        }
        Ok(())
    }

    /// What the edit can change in a running guest.
    pub fn live(&self) -> LiveChange {
        match self {
            Edit::Title(t) => LiveChange::Metadata {
                title: true,
                text: t.clone(),
            },
            Edit::Description(d) => LiveChange::Metadata {
                title: false,
                text: d.clone(),
            },
            Edit::Device { .. } => LiveChange::Device,
            Edit::Rename(_) | Edit::BootOrder(_) | Edit::BootMenu(_) => LiveChange::None,
        }
    }

    /// For [`LiveChange::Device`]: the running guest's device (from its
    /// XML, `live`) with the edit made, as `virDomainUpdateDeviceFlags`
    /// takes it.
    pub fn live_device_xml(&self, live: &DomainXml) -> Result<Option<String>, EditError> {
        let Edit::Device { kind, key, .. } = self else {
            return Ok(None);
        };
        let mut copy = live.clone();
        self.apply(&mut copy)?;
        let index = key.find(&copy, *kind).ok_or(EditError::NoDevice(*kind))?;
        Ok(Some(copy.devices(*kind)[index].to_xml_string()))
    }
}

/// A device's XML parsed: its kind and element.
fn parse_device(xml: &str) -> Result<(DeviceKind, Element), EditError> {
    let doc = Document::parse(xml).map_err(|e| EditError::BadDevice(e.to_string()))?;
    let kind = DeviceKind::ALL
        .into_iter()
        .find(|k| k.element() == doc.root.name)
        .ok_or_else(|| EditError::BadDevice(format!("<{}> is no device", doc.root.name)))?;
    Ok((kind, doc.root))
}

/// The same device's place in `vm`: by its identity when it has one (a
/// disk's target, an interface's MAC), else the device equal to it once
/// what libvirt adds to a running guest (`<alias>`) is left out.
fn find_same(vm: &DomainXml, kind: DeviceKind, el: &Element) -> Option<usize> {
    let view = DeviceView::new(kind, el);
    if let key @ (DeviceKey::Target(_) | DeviceKey::Mac(_)) = DeviceKey::of(&view, usize::MAX) {
        return key.find(vm, kind);
    }
    let strip = |e: &Element| {
        let mut e = e.clone();
        while e.remove_child("alias", 0).is_some() {}
        e.to_xml_string().split_whitespace().collect::<String>()
    };
    let want = strip(el);
    vm.devices(kind)
        .iter()
        .position(|d| strip(d.element()) == want)
}

/// Add the device `xml` to `vm`, after the other devices of its kind.
pub fn attach(vm: &mut DomainXml, xml: &str) -> Result<(), EditError> {
    let (_, el) = parse_device(xml)?;
    vm.add_device(el);
    Ok(())
}

/// Remove the device `xml` names from `vm`.
pub fn detach(vm: &mut DomainXml, xml: &str) -> Result<(), EditError> {
    let (kind, el) = parse_device(xml)?;
    let index = find_same(vm, kind, &el).ok_or(EditError::NoDevice(kind))?;
    vm.remove_device(kind, index);
    Ok(())
}

/// Give the device of `vm` that `xml` names the media of `xml` (a CD-ROM's
/// `<source>` and type), leaving the rest of the drive as it is.
pub fn update(vm: &mut DomainXml, xml: &str) -> Result<(), EditError> {
    let (kind, el) = parse_device(xml)?;
    let index = find_same(vm, kind, &el).ok_or(EditError::NoDevice(kind))?;
    let new = DeviceView::new(kind, &el);
    let mut d = vm.device_mut(kind, index).expect("found above");
    if let Some(t) = new.device_type() {
        d.set("@type", Some(&t));
    }
    d.set_disk_file(new.source_file().as_deref());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const VM: &str = "<domain type='qemu'>\n  <name>t</name>\n  <devices>\n    \
        <disk type='file' device='cdrom'>\n      <target dev='sda' bus='sata'/>\n      <readonly/>\n    </disk>\n    \
        <interface type='network'>\n      <mac address='52:54:00:00:00:01'/>\n      <source network='default'/>\n    </interface>\n    \
        <input type='tablet' bus='usb'/>\n    <input type='keyboard' bus='ps2'/>\n  </devices>\n</domain>\n";

    #[test]
    fn a_device_setting_changes_that_device_only() {
        let mut vm = DomainXml::parse(VM).unwrap();
        Edit::Device {
            kind: DeviceKind::Interface,
            key: DeviceKey::Mac("52:54:00:00:00:01".into()),
            path: "link/@state".into(),
            value: Some("down".into()),
        }
        .apply(&mut vm)
        .unwrap();
        let out = vm.to_xml_string();
        assert!(out.contains("<link state='down'/>"), "{out}");
        assert_eq!(out.lines().count(), VM.lines().count() + 1);
    }

    #[test]
    fn a_device_that_is_gone_is_an_error_and_changes_nothing() {
        let mut vm = DomainXml::parse(VM).unwrap();
        let err = Edit::Device {
            kind: DeviceKind::Disk,
            key: DeviceKey::Target("vdz".into()),
            path: "driver/@cache".into(),
            value: Some("none".into()),
        }
        .apply(&mut vm)
        .unwrap_err();
        assert_eq!(err, EditError::NoDevice(DeviceKind::Disk));
        assert_eq!(vm.to_xml_string(), VM);
    }

    #[test]
    fn a_bad_name_is_refused() {
        let mut vm = DomainXml::parse(VM).unwrap();
        assert!(matches!(
            Edit::Rename("a/b".into()).apply(&mut vm),
            Err(EditError::BadName(_))
        ));
        assert_eq!(vm.to_xml_string(), VM);
    }

    #[test]
    fn detach_finds_a_running_guests_device_without_an_identity() {
        let mut vm = DomainXml::parse(VM).unwrap();
        // As the live XML has it: with an alias.
        detach(
            &mut vm,
            "<input type='keyboard' bus='ps2'>\n  <alias name='input1'/>\n</input>",
        )
        .unwrap();
        let out = vm.to_xml_string();
        assert!(!out.contains("keyboard"), "{out}");
        assert!(out.contains("tablet"), "{out}");
        assert_eq!(
            detach(&mut vm, "<input type='mouse' bus='ps2'/>"),
            Err(EditError::NoDevice(DeviceKind::Input))
        );
    }

    #[test]
    fn media_changes_keep_the_drive() {
        let mut vm = DomainXml::parse(VM).unwrap();
        update(
            &mut vm,
            "<disk type='file' device='cdrom'><source file='/x.iso'/><target dev='sda' bus='sata'/></disk>",
        )
        .unwrap();
        let out = vm.to_xml_string();
        assert!(out.contains("<source file='/x.iso'/>"), "{out}");
        assert!(out.contains("<readonly/>"), "{out}");
    }

    #[test]
    fn live_device_xml_is_the_running_device_changed() {
        let live = DomainXml::parse(VM).unwrap();
        let edit = Edit::Device {
            kind: DeviceKind::Interface,
            key: DeviceKey::Mac("52:54:00:00:00:01".into()),
            path: "link/@state".into(),
            value: Some("down".into()),
        };
        let xml = edit.live_device_xml(&live).unwrap().unwrap();
        assert!(xml.starts_with("<interface type='network'>"), "{xml}");
        assert!(xml.contains("<link state='down'/>"), "{xml}");
        assert_eq!(Edit::BootMenu(true).live(), LiveChange::None);
    }
}
