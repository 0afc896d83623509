//! Vireo: a native GNOME virtual machine manager for libvirt.
//!
//! The crate is split into three layers with one-way dependencies:
//!
//! ```text
//!   src/ui       Relm4 components (windows, dialogs, pages)
//!     │  │
//!     │  └────► src/console   GTK4 console widget on gvnc (knows no libvirt, no Relm4)
//!     ▼
//!   src/core     no GTK/GLib: libvirt service, XML, wizard logic, command line
//! ```
//!
//! [`core`] never imports GTK, GLib, libadwaita, Relm4 or gvnc; a test enforces it.
//! [`ui`] talks to libvirt only through the async handle of [`core::libvirt`],
//! from Relm4 commands, so the GTK main loop never blocks on libvirt.

pub mod console;
pub mod core;
pub mod osinfo;
pub mod ui;
