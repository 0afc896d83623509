//! The framebuffer gvnc draws into, with its pixel memory owned by a cairo
//! image surface the view paints as it is.
//!
//! gvnc 0.7 does not bind `vnc_base_framebuffer_new`, and the C object never
//! frees its buffer. Subclassing `VncBaseFramebuffer` ties the memory to the
//! GObject: the surface it writes into is referenced until the last
//! reference (ours or the connection's) goes.

use std::cell::RefCell;

use gtk::cairo;
use gtk::glib;
use gtk::glib::subclass::prelude::*;

use super::canvas::surface_memory;

mod imp {
    use super::*;

    #[derive(Default)]
    pub struct Framebuffer {
        pub(super) surface: RefCell<Option<cairo::ImageSurface>>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for Framebuffer {
        const NAME: &'static str = "VireoVncFramebuffer";
        type Type = super::Framebuffer;
        type ParentType = gvnc::BaseFramebuffer;
    }

    impl ObjectImpl for Framebuffer {}
    impl gvnc::subclass::base_framebuffer::BaseFramebufferImpl for Framebuffer {}
}

glib::wrapper! {
    pub struct Framebuffer(ObjectSubclass<imp::Framebuffer>)
        @extends gvnc::BaseFramebuffer, @implements gvnc::Framebuffer;
}

/// 32 bits per pixel, depth 24, red at bit 16, green 8, blue 0, little
/// endian: QEMU's own format (gvnc's fast path), B, G, R, X in memory,
/// which is also cairo's RGB24.
pub fn local_format() -> gvnc::PixelFormat {
    gvnc::PixelFormat::new_with(
        (255, 255, 255),
        (16, 8, 0),
        24,
        32,
        gvnc::ByteOrder::Little,
        1,
    )
    .expect("a valid pixel format")
}

impl Framebuffer {
    /// A framebuffer over `surface` (RGB24, the guest screen's size).
    pub fn new(surface: &cairo::ImageSurface, remote: &gvnc::PixelFormat) -> Framebuffer {
        surface.flush();
        let (data, stride) = surface_memory(surface);
        let fb: Framebuffer = glib::Object::builder()
            .property("buffer", data as glib::Pointer)
            .property("width", surface.width())
            .property("height", surface.height())
            .property("rowstride", stride as i32)
            .property("local-format", local_format())
            .property("remote-format", remote.clone())
            .build();
        fb.imp().surface.replace(Some(surface.clone()));
        fb
    }
}
