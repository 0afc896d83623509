//! Guest screen memory shared with the X server (MIT-SHM), for GTK's cairo
//! renderer on X11 (machines without a GPU).
//!
//! cairo-xlib uploads every painted frame through a shared-memory segment
//! from its own pool, and destroys a pool as soon as nothing in it is in
//! use: every frame then faulted in a fresh 8 MB segment (half the CPU of a
//! full-screen update). Allocating the guest screen itself from that pool
//! keeps the pool alive, so the uploads reuse pages already mapped, and gvnc
//! decodes straight into memory the renderer paints from.

use std::ffi::{c_int, c_ulong, c_void};

use gtk::glib::translate::ToGlibPtr;
use gtk::prelude::*;
use gtk::{cairo, gdk};

unsafe extern "C" {
    // GTK's X11 backend (libgtk-4).
    fn gdk_x11_display_get_xdisplay(display: *mut gdk::ffi::GdkDisplay) -> *mut c_void;
    fn gdk_x11_display_get_xrootwindow(display: *mut gdk::ffi::GdkDisplay) -> c_ulong;
    // cairo's Xlib backend (libcairo).
    fn cairo_xlib_surface_create(
        display: *mut c_void,
        drawable: c_ulong,
        visual: *mut c_void,
        width: c_int,
        height: c_int,
    ) -> *mut cairo::ffi::cairo_surface_t;
}

#[link(name = "X11")]
unsafe extern "C" {
    fn XDefaultScreen(display: *mut c_void) -> c_int;
    fn XDefaultVisual(display: *mut c_void, screen: c_int) -> *mut c_void;
}

/// An RGB24 image surface of `width` × `height` in X shared memory, or
/// `None` when `display` is not an X11 display (or cairo has no MIT-SHM).
pub fn shared_surface(
    display: &gdk::Display,
    width: i32,
    height: i32,
) -> Option<cairo::ImageSurface> {
    if display.type_().name() != "GdkX11Display" || width <= 0 || height <= 0 {
        return None;
    }
    // SAFETY: `display` is a live GdkX11Display, so its Xlib display and
    // root window are valid for as long as it is open; the Xlib surface is
    // only used to reach cairo's device for that display.
    let other = unsafe {
        let gdk_display: *mut gdk::ffi::GdkDisplay = display.to_glib_none().0;
        let xdisplay = gdk_x11_display_get_xdisplay(gdk_display);
        if xdisplay.is_null() {
            return None;
        }
        let root = gdk_x11_display_get_xrootwindow(gdk_display);
        let visual = XDefaultVisual(xdisplay, XDefaultScreen(xdisplay));
        cairo::Surface::from_raw_full(cairo_xlib_surface_create(xdisplay, root, visual, 1, 1))
            .ok()?
    };
    other
        .create_similar_image(cairo::Format::Rgb24, width, height)
        .ok()
}

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
    all_event_masks: std::ffi::c_long,
    your_event_mask: std::ffi::c_long,
    do_not_propagate_mask: std::ffi::c_long,
    override_redirect: c_int,
    screen: *mut c_void,
}

unsafe extern "C" {
    fn gdk_x11_surface_get_xid(surface: *mut gdk::ffi::GdkSurface) -> c_ulong;
}

#[link(name = "X11")]
unsafe extern "C" {
    fn XGetWindowAttributes(
        display: *mut c_void,
        window: c_ulong,
        attributes: *mut XWindowAttributes,
    ) -> c_int;
    fn XFlush(display: *mut c_void) -> c_int;
}

/// An Xlib cairo surface on a toplevel's X window, for drawing the guest
/// screen straight onto it between GTK's frames.
pub struct WindowTarget {
    xid: c_ulong,
    size: (i32, i32),
    xdisplay: *mut c_void,
    pub surface: cairo::Surface,
}

impl WindowTarget {
    /// The target for `surface` (X11 only), `pixel_size` its size in
    /// device pixels; reuses `old` when it is for the same window and size.
    pub fn for_surface(
        old: Option<WindowTarget>,
        surface: &gdk::Surface,
        pixel_size: (i32, i32),
    ) -> Option<WindowTarget> {
        let display = surface.display();
        if display.type_().name() != "GdkX11Display" || !surface.is_mapped() {
            return None;
        }
        // SAFETY: an X11 surface of a live X11 display; the window exists
        // while the surface is mapped.
        unsafe {
            let xid = gdk_x11_surface_get_xid(surface.to_glib_none().0);
            if let Some(old) = old
                && old.xid == xid
                && old.size == pixel_size
            {
                return Some(old);
            }
            let xdisplay = gdk_x11_display_get_xdisplay(display.to_glib_none().0);
            if xid == 0 || xdisplay.is_null() {
                return None;
            }
            let mut attrs: XWindowAttributes = std::mem::zeroed();
            if XGetWindowAttributes(xdisplay, xid, &mut attrs) == 0 || attrs.visual.is_null() {
                return None;
            }
            let raw =
                cairo_xlib_surface_create(xdisplay, xid, attrs.visual, pixel_size.0, pixel_size.1);
            let surface = cairo::Surface::from_raw_full(raw).ok()?;
            Some(WindowTarget {
                xid,
                size: pixel_size,
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
