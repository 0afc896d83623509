//! Accessible names on GTK 4.8.
//!
//! gtk4-rs binds the Accessible interface only for GTK 4.10+,
//! but the variadic `gtk_accessible_update_property` has existed since 4.0.

use std::ffi::{CString, c_int};

use relm4::gtk::{self, glib::translate::ToGlibPtr, prelude::*};

unsafe extern "C" {
    fn gtk_accessible_update_property(
        accessible: *mut gtk::ffi::GtkAccessible,
        first_property: c_int,
        ...
    );
}

/// Accessible names for widgets whose content does not name them (icon
/// buttons, spinners), so that screen readers and AT-SPI tests can find them.
pub trait AccessibleLabelExt {
    fn set_accessible_label(&self, label: &str);
    /// Tell assistive technologies that activating this opens a menu.
    fn set_accessible_has_popup(&self);
}

impl<W: IsA<gtk::Widget>> AccessibleLabelExt for W {
    fn set_accessible_label(&self, label: &str) {
        let label = CString::new(label.replace('\0', "")).expect("NULs were removed");
        // SAFETY: a valid GtkAccessible, a NUL-terminated string that GTK
        // copies, and the -1 terminator the variadic list requires.
        unsafe {
            gtk_accessible_update_property(
                ToGlibPtr::<*mut gtk::ffi::GtkWidget>::to_glib_none(self.as_ref()).0
                    as *mut gtk::ffi::GtkAccessible,
                gtk::ffi::GTK_ACCESSIBLE_PROPERTY_LABEL as c_int,
                label.as_ptr(),
                -1 as c_int,
            );
        }
    }

    fn set_accessible_has_popup(&self) {
        // SAFETY: a valid GtkAccessible, a gboolean value, and the -1
        // terminator the variadic list requires.
        unsafe {
            gtk_accessible_update_property(
                ToGlibPtr::<*mut gtk::ffi::GtkWidget>::to_glib_none(self.as_ref()).0
                    as *mut gtk::ffi::GtkAccessible,
                gtk::ffi::GTK_ACCESSIBLE_PROPERTY_HAS_POPUP as c_int,
                gtk::glib::ffi::GTRUE,
                -1 as c_int,
            );
        }
    }
}
