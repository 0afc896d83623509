//! Device changes, run on the connection's actor thread. The ones that take
//! several libvirt calls are one operation each, with their own rollback,
//! so that the UI sends one request and shows one outcome:
//!
//! * [`add_disk`]: create the volume, attach the disk, delete the volume
//!   again when the attach fails (nothing is left behind);
//! * [`remove_disk`]: detach, wait for the running guest to let go, then
//!   delete the image (only once nothing uses it);
//! * [`change_media`]: the drive's element read from the current XML, its
//!   source changed, updated in place; a locked tray is reported as
//!   [`ErrorKind::MediaLocked`] so the UI can offer to force it;
//! * [`attach`]: a device the running guest refused (not hot-pluggable) is
//!   reported as [`ErrorKind::RefusedLive`], the definition unchanged, so the
//!   UI can offer the next boot instead.

use virt::connect::Connect;
use virt::domain::Domain;

use super::{Detached, Error, ErrorKind, Scope};
use crate::core::hardware::{self, NewDisk};
use crate::core::xml::DomainXml;

/// How Remove Disk ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiskRemoved {
    pub detached: Detached,
    /// The image's deletion, when it was asked for and the disk is gone
    /// (`None`: not asked, or the guest still holds it).
    pub image: Option<Result<(), Error>>,
}

/// libvirt's flags for `scope` on `d`: the live part only when it runs,
/// the persistent part only when it has a definition.
pub(super) fn scope_flags(d: &Domain, scope: Scope) -> Result<u32, Error> {
    let mut flags = 0;
    if scope.live && d.is_active()? {
        flags |= virt::sys::VIR_DOMAIN_AFFECT_LIVE;
    }
    if scope.persistent && d.is_persistent()? {
        flags |= virt::sys::VIR_DOMAIN_AFFECT_CONFIG;
    }
    if flags == 0 {
        let message = if scope.live && !scope.persistent {
            "the virtual machine is not running"
        } else {
            "the virtual machine has no persistent definition"
        };
        return Err(Error::new(ErrorKind::Other, message));
    }
    Ok(flags)
}

const CONFIG: u32 = virt::sys::VIR_DOMAIN_AFFECT_CONFIG;
const LIVE: u32 = virt::sys::VIR_DOMAIN_AFFECT_LIVE;

fn unreadable(e: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::Other, e.to_string())
}

/// The domain's current XML: the running guest's, or the definition.
fn current(d: &Domain) -> Result<DomainXml, Error> {
    DomainXml::parse(&super::edit::domain_xml(d, false)?).map_err(unreadable)
}

/// Add the device `xml` to the running guest and/or the definition. With
/// both, libvirt changes the definition only when the guest took the
/// device: a refusal is [`ErrorKind::RefusedLive`] and changes nothing.
pub(super) fn attach(conn: &Connect, d: &Domain, xml: &str, scope: Scope) -> Result<(), Error> {
    let flags = scope_flags(d, scope)?;
    if flags == CONFIG {
        return super::edit::define_edited(conn, d, |vm| crate::core::edit::attach(vm, xml));
    }
    d.attach_device_flags(xml, flags).map_err(|e| {
        let mut e = Error::from(e);
        if flags == LIVE | CONFIG {
            e.kind = ErrorKind::RefusedLive;
        }
        e
    })
}

/// Change a device in place (CD-ROM media); `force` opens a locked tray.
pub(super) fn update(
    conn: &Connect,
    d: &Domain,
    xml: &str,
    scope: Scope,
    force: bool,
) -> Result<(), Error> {
    let mut flags = scope_flags(d, scope)?;
    if flags == CONFIG {
        return super::edit::define_edited(conn, d, |vm| crate::core::edit::update(vm, xml));
    }
    if force {
        flags |= virt::sys::VIR_DOMAIN_DEVICE_MODIFY_FORCE;
    }
    d.update_device_flags(xml, flags).map_err(|e| {
        let mut e = Error::from(e);
        if !force && is_locked(&e.message) {
            e.kind = ErrorKind::MediaLocked;
        }
        e
    })
}

/// QEMU's words for a tray the guest has locked: "Device 'ide1-cd0' is
/// locked and force was not specified".
fn is_locked(message: &str) -> bool {
    let m = message.to_lowercase();
    m.contains("is locked") || m.contains("tray is locked")
}

/// Detach, then wait up to `wait` for the running guest to release disk
/// `target` (other devices are released in the guest's own time).
pub(super) fn detach(
    conn: &Connect,
    d: &Domain,
    xml: &str,
    target: Option<&str>,
    scope: Scope,
    wait: std::time::Duration,
) -> Result<Detached, Error> {
    let flags = scope_flags(d, scope)?;
    if flags == CONFIG {
        super::edit::define_edited(conn, d, |vm| crate::core::edit::detach(vm, xml))?;
        return Ok(Detached::Done);
    }
    d.detach_device_flags(xml, flags)?;
    let live = flags & LIVE != 0;
    let Some(target) = target.filter(|_| live) else {
        return Ok(if live {
            Detached::Pending
        } else {
            Detached::Done
        });
    };
    let deadline = std::time::Instant::now() + wait;
    loop {
        let live = DomainXml::parse(&d.xml_desc(0)?).map_err(unreadable)?;
        if hardware::disk_xml_by_target(&live, target).is_none() {
            return Ok(Detached::Done);
        }
        if std::time::Instant::now() >= deadline {
            return Ok(Detached::Pending);
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

/// Add Disk: its volume first (when new), then the disk, named after the
/// VM's current disks. A disk that was not added leaves no volume behind.
/// Replies with the disk's target name.
pub(super) fn add_disk(
    conn: &Connect,
    d: &Domain,
    disk: &NewDisk,
    scope: Scope,
) -> Result<String, Error> {
    let vm = current(d)?;
    let element = disk.element(&vm);
    let target = element
        .child("target")
        .and_then(|t| t.attr("dev"))
        .unwrap_or_default();
    let made = match disk.volume() {
        Some(v) => Some(
            conn.lookup_storage_pool_by_name(&v.pool)
                .and_then(|p| virt::storage_vol::StorageVol::create_xml(&p, &v.xml, 0))?,
        ),
        None => None,
    };
    match attach(conn, d, &element.to_xml_string(), scope) {
        Ok(()) => Ok(target),
        Err(e) => {
            if let Some(volume) = made {
                let _ = volume.delete(0);
            }
            Err(e)
        }
    }
}

/// Remove Disk `target`, and its image when `delete_image` is set and the
/// disk is gone from everything it was removed from.
pub(super) fn remove_disk(
    conn: &Connect,
    d: &Domain,
    target: &str,
    delete_image: bool,
    scope: Scope,
    wait: std::time::Duration,
) -> Result<DiskRemoved, Error> {
    let vm = current(d)?;
    let xml = hardware::disk_xml_by_target(&vm, target).ok_or_else(|| {
        Error::new(
            ErrorKind::Other,
            format!("the virtual machine has no disk “{target}”"),
        )
    })?;
    let source = hardware::disk_source(&vm, target);
    let detached = detach(conn, d, &xml, Some(target), scope, wait)?;
    let image = match (detached, delete_image, source) {
        (Detached::Done, true, Some(path)) => Some(
            conn.lookup_storage_vol_by_path(&path)
                .and_then(|v| v.delete(0))
                .map_err(Error::from),
        ),
        _ => None,
    };
    Ok(DiskRemoved { detached, image })
}

/// Insert `iso` into drive `target` (`None`: eject).
pub(super) fn change_media(
    conn: &Connect,
    d: &Domain,
    target: &str,
    iso: Option<&str>,
    scope: Scope,
    force: bool,
) -> Result<(), Error> {
    let xml = hardware::media_xml(&current(d)?, target, iso).map_err(unreadable)?;
    update(conn, d, &xml, scope, force)
}

#[cfg(test)]
mod tests {
    #[test]
    fn qemus_locked_tray_is_recognised() {
        assert!(super::is_locked(
            "internal error: unable to execute QEMU command 'blockdev-open-tray': \
             Device 'ide1-cd0' is locked and force was not specified, wait for tray to open and try again"
        ));
        assert!(!super::is_locked("Requested operation is not valid"));
    }
}
