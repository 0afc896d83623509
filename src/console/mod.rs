//! The guest console widget (VNC through gvnc, SPICE through spice-client-glib).
//!
//! This module is a small library of its own: a GTK4 widget, a public state
//! enum and typed errors, with no knowledge of libvirt or Relm4. The UI hands
//! it a connected socket (from `virDomainOpenGraphicsFD`) or an address.
//!
//! * [`keymap`]: Linux key codes to QEMU scancodes, and the held-keys tracker.
//! * [`layout`]: scaling modes and pointer mapping (pure, unit-tested).
//! * `fb`: the gvnc framebuffer over the view's screen surface.
//! * `xshm`: that surface in X shared memory (cairo renderer on X11).
//! * [`ConsoleView`]: the display widget (rendering, scaling, screenshots;
//!   `canvas/direct.rs`: the direct X11 path; `canvas/input.rs`: keys,
//!   pointer and grab).
//! * [`DisplaySource`]: what a protocol session implements to feed the view
//!   (the `display` module describes both halves).
//! * [`VncSession`]: one gvnc connection driving a [`ConsoleView`].
//! * [`SpiceSession`]: one spice-client-glib session driving a [`ConsoleView`].

mod canvas;
mod display;
mod fb;
pub mod keymap;
pub mod layout;
mod spice;
mod vnc;
mod xshm;

pub use canvas::{ConsoleView, parse_release_combo};
pub use display::{ConsoleEvent, DisplaySource, Session};
pub use layout::ScaleMode;
pub use spice::{SocketSource, SpiceSession};
pub use vnc::VncSession;
