//! The guest console widget (VNC through gvnc, SPICE later).
//!
//! This module is a small library of its own: a GTK4 widget, a public state
//! enum and typed errors, with no knowledge of libvirt or Relm4. The UI hands
//! it a connected socket (from `virDomainOpenGraphicsFD`) or an address.
//!
//! * [`keymap`]: Linux key codes to QEMU scancodes, and the held-keys tracker.
//! * [`layout`]: scaling modes and pointer mapping (pure, unit-tested).
//! * `fb`: the Rust-owned gvnc framebuffer.
//! * [`ConsoleView`]: the widget (rendering, input, grab).
//! * [`VncSession`]: one gvnc connection driving a [`ConsoleView`].

mod canvas;
mod fb;
pub mod keymap;
pub mod layout;
mod vnc;

pub use canvas::{ConsoleView, parse_release_combo};
pub use layout::ScaleMode;
pub use vnc::{ConsoleEvent, VncSession};
