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
pub fn shared_surface(display: &gdk::Display, width: i32, height: i32) -> Option<cairo::ImageSurface> {
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
        cairo::Surface::from_raw_full(cairo_xlib_surface_create(xdisplay, root, visual, 1, 1)).ok()?
    };
    let similar = other
        .create_similar_image(cairo::Format::Rgb24, width, height)
        .ok()?;
    cairo::ImageSurface::try_from(similar).ok()
}
