//! Accessible names on GTK 4.8.
//!
//! gtk4-rs binds the Accessible interface only for GTK 4.10+,
//! but the variadic `gtk_accessible_update_property` has existed since 4.0.

use std::ffi::{CString, c_int};

use relm4::gtk::{self, glib::translate::ToGlibPtr, prelude::*};

unsafe extern "C" {
    fn gtk_accessible_reset_relation(accessible: *mut gtk::ffi::GtkAccessible, relation: c_int);
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
}

/// libadwaita 1.2 names a message dialog's response buttons twice ("Delete
/// Delete"): give each button inside `root` its label, without mnemonic
/// underscores, as its accessible name.
pub fn name_buttons_by_label(root: &impl IsA<gtk::Widget>) {
    let mut stack = vec![root.as_ref().clone()];
    while let Some(widget) = stack.pop() {
        if let Some(button) = widget.downcast_ref::<gtk::Button>() {
            let text = button.label().map(|l| l.to_string()).or_else(|| {
                button
                    .child()
                    .and_then(|c| c.downcast::<gtk::Label>().ok())
                    .map(|l| l.label().to_string())
            });
            if let Some(text) = text {
                // SAFETY: a valid widget (every GtkWidget is a GtkAccessible).
                unsafe {
                    gtk_accessible_reset_relation(
                        ToGlibPtr::<*mut gtk::ffi::GtkWidget>::to_glib_none(
                            button.upcast_ref::<gtk::Widget>(),
                        )
                        .0 as *mut gtk::ffi::GtkAccessible,
                        gtk::ffi::GTK_ACCESSIBLE_RELATION_LABELLED_BY as c_int,
                    );
                }
                button.set_accessible_label(&text.replace('_', ""));
            }
        }
        let mut child = widget.first_child();
        while let Some(c) = child {
            child = c.next_sibling();
            stack.push(c);
        }
    }
}
