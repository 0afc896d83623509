//! The console's X11 fast path under GTK's cairo renderer (machines without
//! a GPU): guest screen memory shared with the X server (MIT-SHM), and a
//! cairo target on the toplevel's X window to draw updates straight onto.
//!
//! cairo-xlib uploads every painted frame through a shared-memory segment
//! from its own pool, and destroys a pool as soon as nothing in it is in
//! use: every frame then faulted in a fresh 8 MB segment (half the CPU of a
//! full-screen update). Allocating the guest screen itself from that pool
//! keeps the pool alive, so the uploads reuse pages already mapped, and gvnc
//! decodes straight into memory the X server composites from.

use std::ffi::{c_int, c_long, c_ulong, c_void};

use gtk::glib::translate::ToGlibPtr;
use gtk::prelude::*;
use gtk::{cairo, gdk};

unsafe extern "C" {
    // GTK's X11 backend (libgtk-4).
    fn gdk_x11_display_get_xdisplay(display: *mut gdk::ffi::GdkDisplay) -> *mut c_void;
    fn gdk_x11_display_get_xrootwindow(display: *mut gdk::ffi::GdkDisplay) -> c_ulong;
    fn gdk_x11_surface_get_xid(surface: *mut gdk::ffi::GdkSurface) -> c_ulong;
    // cairo's Xlib backend (libcairo).
    fn cairo_xlib_surface_create(
        display: *mut c_void,
        drawable: c_ulong,
        visual: *mut c_void,
        width: c_int,
        height: c_int,
    ) -> *mut cairo::ffi::cairo_surface_t;
}

/// Xlib's `XWindowAttributes`, for the window's visual.
#[repr(C)]
struct XWindowAttributes {
    x: c_int,
    y: c_int,
    width: c_int,
    height: c_int,
    border_width: c_int,
    depth: c_int,
    visual: *mut c_void,
    root: c_ulong,
    class: c_int,
    bit_gravity: c_int,
    win_gravity: c_int,
    backing_store: c_int,
    backing_planes: c_ulong,
    backing_pixel: c_ulong,
    save_under: c_int,
    colormap: c_ulong,
    map_installed: c_int,
    map_state: c_int,
    all_event_masks: c_long,
    your_event_mask: c_long,
    do_not_propagate_mask: c_long,
    override_redirect: c_int,
    screen: *mut c_void,
}

#[link(name = "X11")]
unsafe extern "C" {
    fn XDefaultScreen(display: *mut c_void) -> c_int;
    fn XDefaultVisual(display: *mut c_void, screen: c_int) -> *mut c_void;
    fn XGetWindowAttributes(
        display: *mut c_void,
        window: c_ulong,
        attributes: *mut XWindowAttributes,
    ) -> c_int;
    fn XFlush(display: *mut c_void) -> c_int;
}

/// The Xlib display behind `display`, when it is an X11 one.
fn xdisplay(display: &gdk::Display) -> Option<*mut c_void> {
    if display.type_().name() != "GdkX11Display" {
        return None;
    }
    // SAFETY: a live GdkX11Display.
    let xdisplay = unsafe { gdk_x11_display_get_xdisplay(display.to_glib_none().0) };
    (!xdisplay.is_null()).then_some(xdisplay)
}

/// An RGB24 image surface of `width` × `height` from cairo's shared-memory
/// pool for `display` (a plain image surface when the X server has no
/// MIT-SHM), or `None` when `display` is not an X11 display.
pub fn shared_surface(
    display: &gdk::Display,
    width: i32,
    height: i32,
) -> Option<cairo::ImageSurface> {
    let xdisplay = xdisplay(display)?;
    if width <= 0 || height <= 0 {
        return None;
    }
    // SAFETY: the Xlib display and root window of a live X11 display; the
    // 1×1 Xlib surface only leads to cairo's device for that display.
    let other = unsafe {
        let root = gdk_x11_display_get_xrootwindow(display.to_glib_none().0);
        let visual = XDefaultVisual(xdisplay, XDefaultScreen(xdisplay));
        cairo::Surface::from_raw_full(cairo_xlib_surface_create(xdisplay, root, visual, 1, 1))
            .ok()?
    };
    other
        .create_similar_image(cairo::Format::Rgb24, width, height)
        .ok()
}

/// An Xlib cairo surface on a toplevel's X window (in device pixels), for
/// drawing the guest screen straight onto it between GTK's frames.
pub struct WindowTarget {
    xid: c_ulong,
    size: (i32, i32),
    xdisplay: *mut c_void,
    pub surface: cairo::Surface,
}

impl WindowTarget {
    /// The target for the mapped X11 `surface`; reuses `old` when it is for
    /// the same window at the same size.
    pub fn for_surface(old: Option<WindowTarget>, surface: &gdk::Surface) -> Option<WindowTarget> {
        let xdisplay = xdisplay(&surface.display())?;
        if !surface.is_mapped() {
            return None;
        }
        let scale = surface.scale_factor();
        let size = (surface.width() * scale, surface.height() * scale);
        // SAFETY: a mapped surface of a live X11 display: its window exists.
        unsafe {
            let xid = gdk_x11_surface_get_xid(surface.to_glib_none().0);
            if let Some(old) = old
                && old.xid == xid
                && old.size == size
            {
                return Some(old);
            }
            let mut attrs: XWindowAttributes = std::mem::zeroed();
            if xid == 0
                || XGetWindowAttributes(xdisplay, xid, &mut attrs) == 0
                || attrs.visual.is_null()
            {
                return None;
            }
            let raw = cairo_xlib_surface_create(xdisplay, xid, attrs.visual, size.0, size.1);
            let surface = cairo::Surface::from_raw_full(raw).ok()?;
            Some(WindowTarget {
                xid,
                size,
                xdisplay,
                surface,
            })
        }
    }

    /// Send what was drawn to the X server now.
    pub fn flush(&self) {
        self.surface.flush();
        // SAFETY: the display this target was made on, still open.
        unsafe {
            XFlush(self.xdisplay);
        }
    }
}
