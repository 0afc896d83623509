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
//! * [`TextView`]: a text console (serial port) in a VTE terminal.

mod canvas;
mod display;
mod fb;
pub mod keymap;
pub mod layout;
mod spice;
mod text;
mod vnc;
mod xshm;

pub use canvas::{ConsoleView, parse_release_combo};
pub use display::{ConsoleEvent, DisplaySource, Session};
pub use layout::ScaleMode;
pub use spice::{SocketSource, SpiceSession};
pub use text::TextView;
pub use vnc::VncSession;

use gtk::prelude::*;

/// GtkWindow runs application accelerators from a capture-phase
/// controller, before any widget sees the key: turn it off while a console
/// has the keyboard (and on again after), in the window of `widget`.
fn set_app_shortcuts(widget: &gtk::Widget, on: bool) {
    let Some(window) = widget.root().and_downcast::<gtk::Window>() else {
        return;
    };
    let controllers = window.observe_controllers();
    for i in 0..controllers.n_items() {
        if let Some(c) = controllers.item(i).and_downcast::<gtk::EventController>()
            && c.name().as_deref() == Some("gtk-application-shortcuts")
        {
            c.set_propagation_phase(if on {
                gtk::PropagationPhase::Capture
            } else {
                gtk::PropagationPhase::None
            });
        }
    }
}
