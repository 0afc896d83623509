//! The framebuffer gvnc draws into, with its pixel memory owned by Rust.
//!
//! gvnc 0.7 does not bind `vnc_base_framebuffer_new`, and the C object never
//! frees its buffer. Subclassing `VncBaseFramebuffer` ties the memory to the
//! GObject: it is freed when the last reference (ours or the connection's)
//! goes.

use std::cell::Cell;
use std::ptr::NonNull;

use gtk::glib;
use gtk::glib::subclass::prelude::*;
use gvnc::prelude::*;

mod imp {
    use super::*;

    #[derive(Default)]
    pub struct Framebuffer {
        pub(super) memory: Cell<Option<NonNull<[u8]>>>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for Framebuffer {
        const NAME: &'static str = "VireoVncFramebuffer";
        type Type = super::Framebuffer;
        type ParentType = gvnc::BaseFramebuffer;
    }

    impl ObjectImpl for Framebuffer {}
    impl gvnc::subclass::base_framebuffer::BaseFramebufferImpl for Framebuffer {}

    impl Drop for Framebuffer {
        fn drop(&mut self) {
            if let Some(memory) = self.memory.take() {
                // SAFETY: made by Box::into_raw in Framebuffer::new; the C
                // object is being finalized, so nothing writes to it any more.
                drop(unsafe { Box::from_raw(memory.as_ptr()) });
            }
        }
    }
}

glib::wrapper! {
    pub struct Framebuffer(ObjectSubclass<imp::Framebuffer>)
        @extends gvnc::BaseFramebuffer, @implements gvnc::Framebuffer;
}

/// 32 bits per pixel, depth 24, red at bit 16, green 8, blue 0, little
/// endian: QEMU's own format (gvnc's fast path), B, G, R, X in memory.
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
    pub fn new(width: u16, height: u16, remote: &gvnc::PixelFormat) -> Framebuffer {
        let stride = usize::from(width) * 4;
        let memory: *mut [u8] =
            Box::into_raw(vec![0u8; stride * usize::from(height)].into_boxed_slice());
        let fb: Framebuffer = glib::Object::builder()
            .property("buffer", memory as *mut u8 as glib::Pointer)
            .property("width", i32::from(width))
            .property("height", i32::from(height))
            .property("rowstride", stride as i32)
            .property("local-format", local_format())
            .property("remote-format", remote.clone())
            .build();
        fb.imp().memory.set(NonNull::new(memory));
        fb
    }

    /// The pixels (B, G, R, X rows of `width * 4` bytes). Only valid
    /// between gvnc's callbacks, on the main thread, where gvnc is not
    /// writing (its protocol coroutine is suspended).
    pub fn pixels(&self) -> &[u8] {
        match self.imp().memory.get() {
            // SAFETY: owned by this object for its whole life; see above.
            Some(memory) => unsafe { memory.as_ref() },
            None => &[],
        }
    }

    pub fn stride(&self) -> usize {
        FramebufferExt::width(self) as usize * 4
    }
}
