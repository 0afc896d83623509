//! A small safe layer over the system libosinfo (through `libosinfo-sys`):
//! the OS database, media detection, and each OS's needs as the plain
//! [`OsProfile`] the wizard's core logic uses.
//!
//! The database is loaded once (about 800 OSes) and kept behind a mutex;
//! every function may be called from any thread (the UI calls them from
//! Relm4 commands, never from the main loop).

use std::ffi::{CStr, CString, c_char};
use std::ptr;
use std::sync::{Mutex, OnceLock};

use libosinfo_sys as sys;

use crate::core::wizard::{FirmwarePolicy, OsProfile, Resources};

/// One line of the OS picker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OsEntry {
    pub short_id: String,
    pub name: String,
    pub vendor: String,
    /// `YYYY-MM-DD` or empty.
    pub release_date: String,
    /// Past its end of life.
    pub eol: bool,
}

struct Db {
    loader: *mut sys::OsinfoLoader,
    db: *mut sys::OsinfoDb,
}

// SAFETY: the loader and database are only touched with the mutex held, and
// libosinfo objects use GObject's thread-safe reference counting.
unsafe impl Send for Db {}

impl Drop for Db {
    fn drop(&mut self) {
        unsafe { gobject_sys::g_object_unref(self.loader.cast()) };
    }
}

fn db() -> Result<&'static Mutex<Db>, String> {
    static DB: OnceLock<Result<Mutex<Db>, String>> = OnceLock::new();
    DB.get_or_init(|| unsafe {
        let loader = sys::osinfo_loader_new();
        let mut error: *mut glib_sys::GError = ptr::null_mut();
        sys::osinfo_loader_process_default_path(loader, &mut error);
        if !error.is_null() {
            let message = take_error(error);
            gobject_sys::g_object_unref(loader.cast());
            return Err(format!("the OS database could not be read: {message}"));
        }
        let db = sys::osinfo_loader_get_db(loader);
        Ok(Mutex::new(Db { loader, db }))
    })
    .as_ref()
    .map_err(Clone::clone)
}

unsafe fn take_error(error: *mut glib_sys::GError) -> String {
    unsafe {
        let message = text((*error).message).unwrap_or_default();
        glib_sys::g_error_free(error);
        message
    }
}

/// Run `f` with a private GLib main context as this thread's default.
/// libosinfo's blocking media reader spins a main loop on the thread's
/// default context; without a private one it would wait for the global
/// context, which GTK's main loop or libvirt's event thread holds.
fn with_private_context<T>(f: impl FnOnce() -> T) -> T {
    unsafe {
        let ctx = glib_sys::g_main_context_new();
        glib_sys::g_main_context_push_thread_default(ctx);
        let out = f();
        glib_sys::g_main_context_pop_thread_default(ctx);
        glib_sys::g_main_context_unref(ctx);
        out
    }
}

unsafe fn text(p: *const c_char) -> Option<String> {
    if p.is_null() {
        None
    } else {
        Some(unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
    }
}

/// The `n`th element of an `OsinfoList`.
unsafe fn nth<T>(list: *mut T, n: i32) -> *mut sys::OsinfoEntity {
    unsafe { sys::osinfo_list_get_nth(list.cast(), n) }
}

unsafe fn len<T>(list: *mut T) -> i32 {
    if list.is_null() {
        0
    } else {
        unsafe { sys::osinfo_list_get_length(list.cast()) }
    }
}

unsafe fn unref<T>(object: *mut T) {
    if !object.is_null() {
        unsafe { gobject_sys::g_object_unref(object.cast()) };
    }
}

/// Every OS the database knows, newest first within a vendor; for the
/// searchable picker.
pub fn all() -> Result<Vec<OsEntry>, String> {
    let db = db()?
        .lock()
        .map_err(|_| "the OS database is unusable".to_owned())?;
    let mut out = Vec::new();
    unsafe {
        let list = sys::osinfo_db_get_os_list(db.db);
        for i in 0..len(list) {
            let product: *mut sys::OsinfoProduct = nth(list, i).cast();
            let Some(short_id) = text(sys::osinfo_product_get_short_id(product)) else {
                continue;
            };
            let eol = text(sys::osinfo_product_get_eol_date_string(product))
                .is_some_and(|d| d.as_str() < today().as_str());
            out.push(OsEntry {
                name: text(sys::osinfo_product_get_name(product))
                    .unwrap_or_else(|| short_id.clone()),
                vendor: text(sys::osinfo_product_get_vendor(product)).unwrap_or_default(),
                release_date: text(sys::osinfo_product_get_release_date_string(product))
                    .unwrap_or_default(),
                short_id,
                eol,
            });
        }
        unref(list);
    }
    out.sort_by(|a, b| {
        a.vendor
            .cmp(&b.vendor)
            .then_with(|| b.release_date.cmp(&a.release_date))
            .then_with(|| a.name.cmp(&b.name))
    });
    Ok(out)
}

/// Today as `YYYY-MM-DD` (UTC), to tell which OSes are past their end of life.
fn today() -> String {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() / 86_400)
        .unwrap_or(0) as i64;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The profile of the OS with libosinfo short ID `short_id` (`debian11`),
/// as `--os-variant` names it; `None` for an ID the database lacks.
pub fn profile(short_id: &str) -> Result<Option<OsProfile>, String> {
    if short_id == crate::core::wizard::os::GENERIC_ID {
        return Ok(Some(OsProfile::generic()));
    }
    let db = db()?
        .lock()
        .map_err(|_| "the OS database is unusable".to_owned())?;
    unsafe {
        let list = sys::osinfo_db_get_os_list(db.db);
        let mut found = None;
        for i in 0..len(list) {
            let product: *mut sys::OsinfoProduct = nth(list, i).cast();
            let ids = sys::osinfo_product_get_short_id_list(product);
            let mut matches = false;
            let mut node = ids;
            while !node.is_null() {
                if text((*node).data as *const c_char).as_deref() == Some(short_id) {
                    matches = true;
                }
                node = (*node).next;
            }
            glib_sys::g_list_free(ids);
            if matches {
                found = Some(read_profile(product.cast()));
                break;
            }
        }
        unref(list);
        Ok(found)
    }
}

/// Identify the OS on an ISO image. `Ok(None)` when the image is readable
/// but libosinfo does not know it; `Err` when it cannot be read as an ISO.
pub fn detect(iso_path: &str) -> Result<Option<OsProfile>, String> {
    let location = CString::new(iso_path).map_err(|_| "the path contains a NUL byte".to_owned())?;
    let db = db()?
        .lock()
        .map_err(|_| "the OS database is unusable".to_owned())?;
    unsafe {
        let mut error: *mut glib_sys::GError = ptr::null_mut();
        let media = with_private_context(|| {
            sys::osinfo_media_create_from_location(location.as_ptr(), ptr::null_mut(), &mut error)
        });
        if media.is_null() {
            let message = if error.is_null() {
                "not an ISO image".to_owned()
            } else {
                take_error(error)
            };
            return Err(message);
        }
        let mut os = None;
        if sys::osinfo_db_identify_media(db.db, media) != 0 {
            let found = sys::osinfo_media_get_os(media);
            if !found.is_null() {
                os = Some(read_profile(found));
                unref(found);
            }
        }
        unref(media);
        Ok(os)
    }
}

/// The volume label of an ISO image (what detection matched against).
pub fn volume_id(iso_path: &str) -> Option<String> {
    let location = CString::new(iso_path).ok()?;
    unsafe {
        let mut error: *mut glib_sys::GError = ptr::null_mut();
        let media = with_private_context(|| {
            sys::osinfo_media_create_from_location(location.as_ptr(), ptr::null_mut(), &mut error)
        });
        if media.is_null() {
            if !error.is_null() {
                take_error(error);
            }
            return None;
        }
        let id = text(sys::osinfo_media_get_volume_id(media));
        unref(media);
        id.map(|s| s.trim().to_owned())
    }
}

/// Resources of one kind for x86-64 (or for every architecture).
unsafe fn resources(list: *mut sys::OsinfoResourcesList) -> Resources {
    let mut out = Resources::default();
    unsafe {
        for i in 0..len(list) {
            let r: *mut sys::OsinfoResources = nth(list, i).cast();
            let arch = text(sys::osinfo_resources_get_architecture(r)).unwrap_or_default();
            if arch != "x86_64" && arch != "all" {
                continue;
            }
            let ram = sys::osinfo_resources_get_ram(r);
            let cpus = sys::osinfo_resources_get_n_cpus(r);
            let storage = sys::osinfo_resources_get_storage(r);
            // x86_64 entries win over "all" ones.
            let specific = arch == "x86_64";
            if ram > 0 && (specific || out.ram_mib.is_none()) {
                out.ram_mib = Some(ram as u64 >> 20);
            }
            if cpus > 0 && (specific || out.vcpus.is_none()) {
                out.vcpus = Some(cpus as u32);
            }
            if storage > 0 && (specific || out.storage_gib.is_none()) {
                out.storage_gib = Some((storage as u64).div_ceil(1 << 30));
            }
        }
        unref(list);
    }
    out
}

unsafe fn read_profile(os: *mut sys::OsinfoOs) -> OsProfile {
    unsafe {
        let product: *mut sys::OsinfoProduct = os.cast();
        let short_id = text(sys::osinfo_product_get_short_id(product)).unwrap_or_default();
        let family = text(sys::osinfo_os_get_family(os)).unwrap_or_default();

        let devices = sys::osinfo_os_get_all_devices(os, ptr::null_mut());
        let mut virtio = false;
        for i in 0..len(devices) {
            let name =
                text(sys::osinfo_device_get_name(nth(devices, i).cast())).unwrap_or_default();
            virtio |= name.starts_with("virtio") && name.ends_with("block");
        }
        unref(devices);

        let firmwares = sys::osinfo_os_get_complete_firmware_list(os, ptr::null_mut());
        let (mut efi, mut bios) = (None, None);
        for i in 0..len(firmwares) {
            let f: *mut sys::OsinfoFirmware = nth(firmwares, i).cast();
            let arch = text(sys::osinfo_firmware_get_architecture(f)).unwrap_or_default();
            if arch != "x86_64" && arch != "all" {
                continue;
            }
            let supported = sys::osinfo_firmware_is_supported(f) != 0;
            match text(sys::osinfo_firmware_get_firmware_type(f)).as_deref() {
                Some("efi") => efi = Some(supported),
                Some("bios") => bios = Some(supported),
                _ => {}
            }
        }
        unref(firmwares);
        // Windows 11 is the OS that insists on Secure Boot and a TPM 2.0;
        // osinfo-db 2022 records only its UEFI need.
        let windows11 = short_id.starts_with("win11");
        let firmware = match (efi, bios) {
            (Some(true), Some(false)) => FirmwarePolicy::UefiOnly {
                secure_boot: windows11,
            },
            (Some(false), _) => FirmwarePolicy::BiosOnly,
            _ => FirmwarePolicy::Either,
        };

        OsProfile {
            name: text(sys::osinfo_product_get_name(product)).unwrap_or_else(|| short_id.clone()),
            release_date: text(sys::osinfo_product_get_release_date_string(product)),
            minimum: resources(sys::osinfo_os_get_minimum_resources(os)),
            recommended: resources(sys::osinfo_os_get_recommended_resources(os)),
            // libosinfo lists virtio for Linux and BSD kernels that ship the
            // drivers; Windows needs the virtio-win drivers, which installers
            // lack: keep its disks on SATA.
            virtio: virtio && family != "winnt",
            firmware,
            needs_tpm: windows11,
            short_id,
            family,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn today_is_a_plausible_date() {
        let t = today();
        assert_eq!(t.len(), 10);
        assert!(t.as_str() > "2024-01-01", "{t}");
    }
}
